import CSAF
import Foundation
import Revisions

/// Two stored revisions of one advisory and what changed from the first to the second.
public struct RevisionComparison: Sendable, Encodable {
    public var advisoryID: String
    public var from: StoredRevision
    public var to: StoredRevision
    public var diff: AdvisoryDiff
    /// Every stored revision, newest first, for choosing another pair.
    public var revisions: [StoredRevision]
    /// The current revision's title, for headings.
    public var title: String

    enum CodingKeys: String, CodingKey {
        case advisoryID = "advisoryId", from, to, summary, diff
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(advisoryID, forKey: .advisoryID)
        try container.encode(RevisionComparison.reference(from, among: revisions), forKey: .from)
        try container.encode(RevisionComparison.reference(to, among: revisions), forKey: .to)
        try container.encode(diff.summary, forKey: .summary)
        try container.encode(diff, forKey: .diff)
    }

    /// How a revision is named in URLs and on the command line: its version, and `VERSION@DOCUMENT` when another stored
    /// revision has the same version (an interim document made final without a new version).
    public static func reference(_ revision: StoredRevision, among revisions: [StoredRevision]) -> String {
        revisions.filter { $0.version == revision.version }.count > 1 ? "\(revision.version)@\(revision.documentID)" : revision.version
    }
}

extension AdvisoryStore {
    /// What changed between two stored revisions of an advisory, named as `RevisionComparison.reference` names them:
    /// `to` defaults to the current revision and `from` to the revision before `to`. nil when the advisory is not stored.
    /// A version that is not stored, or no revision before `to` to compare it with, is `StoreError.notFound`.
    public func changes(advisoryID: String, from: String? = nil, to: String? = nil) async throws -> RevisionComparison? {
        guard let stored = try await advisory(id: advisoryID) else { return nil }
        let revisions = stored.revisions
        func pick(_ reference: String) throws -> Int {
            let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
            let found: Int?
            if parts.count == 2, let documentID = Int64(parts[1]) {
                found = revisions.firstIndex { $0.version == parts[0] && $0.documentID == documentID }
            } else {
                found = revisions.firstIndex { $0.version == reference }
            }
            guard let found else {
                let known = revisions.map { RevisionComparison.reference($0, among: revisions) }.joined(separator: ", ")
                throw StoreError.notFound("\(advisoryID) has no stored revision \(reference) (stored: \(known))")
            }
            return found
        }
        let toIndex = try to.map { try pick($0) } ?? 0
        let fromIndex: Int
        if let from {
            fromIndex = try pick(from)
        } else {
            guard toIndex + 1 < revisions.count else {
                throw StoreError.notFound(revisions.count < 2
                    ? "\(advisoryID) has one stored revision: there is no earlier one to compare it with"
                    : "revision \(RevisionComparison.reference(revisions[toIndex], among: revisions)) of \(advisoryID) is the oldest stored: there is no earlier one to compare it with")
            }
            fromIndex = toIndex + 1
        }
        // The current revision is the one `advisory(id:)` read already; the others are read again.
        func read(_ revision: StoredRevision) async throws -> Advisory {
            revision.isCurrent ? stored.advisory : try await parsedRevision(advisoryID: advisoryID, revision)
        }
        let old = try await read(revisions[fromIndex])
        let new = try await read(revisions[toIndex])
        return RevisionComparison(advisoryID: advisoryID, from: revisions[fromIndex], to: revisions[toIndex],
                                  diff: AdvisoryDiff.between(old, new), revisions: revisions, title: stored.advisory.title)
    }

    /// One stored revision's document, read again (without the identifier-length check: it was stored).
    func parsedRevision(advisoryID: String, _ revision: StoredRevision) async throws -> Advisory {
        guard let raw = try await rawDocument(advisoryID: advisoryID, documentID: revision.documentID) else {
            throw StoreError.notFound("revision \(revision.version) of \(advisoryID) is no longer stored")
        }
        guard case .csaf(let parsed) = try? CSAFDocumentReader.read(raw.bytes, checkIdentifiers: false) else {
            throw StoreError.corrupt("the stored document of \(advisoryID) revision \(revision.version) no longer reads as CSAF")
        }
        return parsed.advisory
    }
}
