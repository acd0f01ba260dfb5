import CSAF
import Foundation
import Matching

// Scaffolding: each method is replaced by its PostgreSQL implementation; this file goes when all are.
extension PostgresStore {
    public func advisory(id: String) async throws -> StoredAdvisory? { throw StoreError("PostgreSQL: not yet") }
    public func rawDocument(advisoryID: String, documentID: Int64?) async throws -> RawDocument? { throw StoreError("PostgreSQL: not yet") }
    public func search(_ query: AdvisoryQuery) async throws -> AdvisoryPage { throw StoreError("PostgreSQL: not yet") }
    public func vendors() async throws -> [VendorSummary] { throw StoreError("PostgreSQL: not yet") }
    public func vendor(slug: String) async throws -> VendorSummary? { throw StoreError("PostgreSQL: not yet") }
    public func vendorSlugs(for names: [String]) async throws -> [String: String] { throw StoreError("PostgreSQL: not yet") }
    public func filterOptions() async throws -> FilterOptions { throw StoreError("PostgreSQL: not yet") }
    public func statistics() async throws -> StoreStatistics { throw StoreError("PostgreSQL: not yet") }
    public func quarantined(limit: Int) async throws -> [QuarantinedDocument] { throw StoreError("PostgreSQL: not yet") }
    public func conflicts(advisoryID: String?) async throws -> [RevisionConflict] { throw StoreError("PostgreSQL: not yet") }
    public func sources() async throws -> [SourceRecord] { throw StoreError("PostgreSQL: not yet") }
    public func source(slug: String) async throws -> SourceRecord? { throw StoreError("PostgreSQL: not yet") }
    public func saveSource(_ source: SourceRecord) async throws { throw StoreError("PostgreSQL: not yet") }
    public func removeSource(slug: String) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func cachedResponse(for url: String) async throws -> CachedResponse? { throw StoreError("PostgreSQL: not yet") }
    public func saveCachedResponse(_ response: CachedResponse, for url: String) async throws { throw StoreError("PostgreSQL: not yet") }
    public func seedSourcesOnce(_ sources: [SourceRecord]) async throws -> Int { throw StoreError("PostgreSQL: not yet") }
    public func remoteDocuments(source: String) async throws -> [String: RemoteDocumentState] { throw StoreError("PostgreSQL: not yet") }
    public func saveRemoteDocument(_ state: RemoteDocumentState) async throws { throw StoreError("PostgreSQL: not yet") }
    public func failingDocuments(source: String, limit: Int) async throws -> [RemoteDocumentState] { throw StoreError("PostgreSQL: not yet") }
    public func replaceKnownExploited(_ entries: [KnownExploitedVulnerability], catalogVersion: String) async throws -> (added: Int, removed: Int) { throw StoreError("PostgreSQL: not yet") }
    public func ingest(_ document: IncomingDocument) async throws -> IngestOutcome { throw StoreError("PostgreSQL: not yet") }
    public func quarantine(_ document: RejectedDocument) async throws { throw StoreError("PostgreSQL: not yet") }
}
