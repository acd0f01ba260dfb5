import CSAF
import Foundation
import GRDB
import Storage

extension SQLiteStore: VigilStore {
    public var backend: StoreBackend { .sqlite }

    /// Closes the snapshot readers, folds the write-ahead log into the database file (so the file alone is the whole
    /// store, as a copy of it by hand expects), closes GRDB's pool, then gives up the hold on `<path>.lock`.
    public func close() async {
        readers.close()
        await writer.lock.acquire()
        defer { writer.lock.release() }
        _ = try? await writer.base.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        if let pool = writer.base as? DatabasePool {
            // Readers first (GRDB's close() closes the writer first, and SQLite removes the log and its index only
            // when the last connection to close is one that may write).
            pool.releaseMemory()
            try? pool.close()
        }
        hold?.release()
    }
}

extension PostgresStore: VigilStore {
    public var backend: StoreBackend { .postgres }
}

/// Where a store is, as given to `--db` or `VIGIL_DB`: a `postgres://` (or `postgresql://`) URL, `sqlite:PATH`, or a
/// plain path to a SQLite file.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    public init(_ text: String) {
        if PostgresConfiguration.isPostgresURL(text) {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite:") {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else {
            self = .sqlite(path: text)
        }
    }

    /// For messages: never a password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): (try? PostgresConfiguration(url: url, environment: [:]).redactedURL) ?? PostgresConfiguration.redact(url)
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// Opens (creating and migrating as needed) the store. `environment` is where a PostgreSQL URL's missing parts are
    /// looked up (see `PostgresConfiguration`); commands pass the process's.
    public func open(migrate: Bool = true, environment: [String: String] = [:]) async throws -> any VigilStore {
        switch self {
        case .sqlite(let path): try SQLiteStore(path: path)
        case .postgres(let url): try await PostgresStore(url: url, environment: environment, migrate: migrate)
        }
    }
}

extension SQLiteStore {
    /// SQLite migrates when the file is opened; this reports nothing left to apply.
    public func migrate() async throws -> [String] { [] }

    public func migrationStatus() async throws -> [(name: String, applied: Bool)] {
        let applied = try await writer.read { db in try SQLiteStore.migrator.appliedIdentifiers(db) }
        return SQLiteStore.migrator.migrations.map { ($0, applied.contains($0)) }
    }

    /// The migrations a SQLite file does not have yet, read without changing it (nil: the file does not exist).
    public static func pendingMigrations(at path: String) throws -> [String]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let applied = try queue.read { db in try migrator.appliedIdentifiers(db) }
        return migrator.migrations.filter { !applied.contains($0) }
    }
}
