import CSAF
import Foundation
import GRDB
import Storage
import Store
import VigilTestSupport

/// What the contract tests read beneath the protocol: the `advisory_changes` journal that alert creation works through.
enum Journal {
    struct Entry: Equatable, CustomStringConvertible {
        var advisoryID: String
        var documentID: Int64
        var previousDocumentID: Int64?
        var knownExploited: String?
        var description: String { "\(advisoryID) \(documentID)←\(previousDocumentID.map(String.init) ?? "nil") \(knownExploited ?? "")" }
    }

    static func entries(_ store: any VigilStore) async throws -> [Entry] {
        let sql = "SELECT advisory_id, document_id, previous_document_id, known_exploited FROM advisory_changes ORDER BY id"
        if let postgres = store as? PostgresStore {
            return try await postgres.fetchAll(sql).map {
                Entry(advisoryID: $0["advisory_id"], documentID: $0["document_id"], previousDocumentID: $0["previous_document_id"],
                      knownExploited: $0["known_exploited"])
            }
        }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: store.path, configuration: configuration)
        defer { try? queue.close() }
        return try await queue.read { db in
            try Row.fetchAll(db, sql: sql).map {
                Entry(advisoryID: $0["advisory_id"], documentID: $0["document_id"], previousDocumentID: $0["previous_document_id"],
                      knownExploited: $0["known_exploited"])
            }
        }
    }
}

extension StoredRevision {
    /// The revision without what differs between two stores holding the same documents: row ids and import times.
    var portable: StoredRevision {
        var copy = self
        copy.documentID = 0
        copy.importedAt = Date(timeIntervalSince1970: 0)
        return copy
    }
}

extension IncomingDocument {
    /// The same document with a title word changed: same ID, version, date and status, other bytes.
    func altered(_ from: String, _ to: String, origin: String) throws -> IncomingDocument {
        var bytes = self.bytes
        guard let range = bytes.firstRange(of: Array(from.utf8)) else { throw Incoming.NotCSAF(origin: "\(from) not in \(self.origin)") }
        bytes.replaceSubrange(range, with: Array(to.utf8))
        return try Incoming.document(bytes, origin: origin)
    }
}

enum Corpus {
    static let proconos = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"
    static let ruggedcom = "providers/cisa/csaf_files/OT/white/2021/icsa-21-259-01.json"

    /// Every CISA advisory of a year, in file order.
    static func cisa(year: Int) throws -> [IncomingDocument] {
        try SharedData.jsonFiles(under: "providers/cisa/csaf_files/OT/white/\(year)").map {
            try Incoming.document("providers/cisa/csaf_files/OT/white/\(year)/\($0)")
        }
    }
}
