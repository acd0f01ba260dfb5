import CSAF
import Foundation
import Storage

/// What ingest shares between the databases: the generation pages are cached by, and the quarantine. (Storing a
/// document's rows is each database's own bulk path: `SQLiteStore.ingest` writes them with cached statements on the
/// writer connection, `PostgresStore` binds a batch's rows as arrays in a few round trips.)
extension SQLStore {
    public func generation() async throws -> Int64 {
        try await fetchValue("SELECT value FROM meta WHERE key = 'generation'") ?? 0
    }

    static func bumpGeneration(_ db: some SQLExecutor) async throws {
        try await db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    }

    /// Keeps a rejected document with its reason; the same bytes from the same place rejected again update the reason.
    public func quarantine(_ document: RejectedDocument) async throws {
        try await transaction { db in
            try await db.execute("""
                INSERT INTO quarantine(origin, reason, code, advisory_id, sha256, size, raw, detected_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (origin, sha256) DO UPDATE SET reason = excluded.reason, code = excluded.code
                """, [document.origin, document.reason, document.code.rawValue, document.advisoryID, document.sha256 ?? "",
                      document.bytes?.count, document.bytes, Timestamp.format(Date())])
            try await Self.bumpGeneration(db)
        }
    }
}
