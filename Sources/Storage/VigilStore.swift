import Foundation

/// Everything Vigil keeps: advisories and their documents, sources, assets and exposures, watches and alerts, the
/// outbox, accounts. Two implementations behave the same way for every query: `SQLiteStore` (one file, the default)
/// and `PostgresStore` (one database shared by several nodes).
public protocol VigilStore: AdvisoryStore, AssetStore, AlertStore, OutboxStore, AccountStore, SourceStateStore {
    /// Where the data lives, for messages: a file path or a postgres:// URL without its password.
    var path: String { get }
    /// Which backend this is, for messages and `vigil stats`.
    var backend: StoreBackend { get }
    /// Applies the migrations not yet applied; returns their names.
    func migrate() async throws -> [String]
    /// Every migration this build knows and whether the database has it.
    func migrationStatus() async throws -> [(name: String, applied: Bool)]
    /// The counts and size `GET /metrics` shows, read at each scrape (cheap: indexed counts only).
    func metricsReading(now: Date) async throws -> StoreMetricsReading
    /// Releases connections; the store must not be used afterwards.
    func close() async
}

public enum StoreBackend: String, Sendable {
    case sqlite = "SQLite"
    case postgres = "PostgreSQL"
}
