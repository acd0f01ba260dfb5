import CSAF
import Foundation

/// Where documents go: the store implements this, the importers and fetchers feed it.
public protocol DocumentSink: Sendable {
    func ingest(_ document: IncomingDocument) async throws -> IngestOutcome
    func quarantine(_ document: RejectedDocument) async throws
    /// Stores documents in order, each one atomically (all of its rows or none of them); a store may commit several
    /// together. Returns one outcome per document. When a document fails, the ones before it stay stored, it and
    /// the ones after it are not, and the error is thrown.
    func ingest(batch documents: [IncomingDocument]) async throws -> [IngestOutcome]
    /// For a bulk import: a writer that takes the next batch while the one before it is still being stored, or nil
    /// (the default) when batches are best handed over one at a time.
    func batchPipeline() -> (any BatchPipeline)?
}

/// Batches numbered 0, 1, 2, … in the order of the documents, of which the importer hands over the next while the one
/// before it is still being stored (at most two at once). Each batch's outcomes are those `ingest(batch:)` gives: the
/// store keeps the documents' order (IDs, slugs, revisions) whatever the timing, and a batch that fails leaves the
/// ones after it as if it had been stored first.
public protocol BatchPipeline: Sendable {
    func ingest(batch documents: [IncomingDocument], number: Int) async throws -> [IngestOutcome]
}

extension DocumentSink {
    public func batchPipeline() -> (any BatchPipeline)? { nil }

    /// One document after the other, for sinks with nothing to gain from grouping them.
    public func ingest(batch documents: [IncomingDocument]) async throws -> [IngestOutcome] {
        var outcomes: [IngestOutcome] = []
        outcomes.reserveCapacity(documents.count)
        for document in documents { outcomes.append(try await ingest(document)) }
        return outcomes
    }
}
