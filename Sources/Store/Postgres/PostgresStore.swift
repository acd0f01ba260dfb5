import CSAF
import Foundation
import Logging
import PostgresNIO
import Storage

/// The store for several nodes: one PostgreSQL database shared by every web node and worker.
///
/// Behaves as `SQLiteStore` does for every query the web pages, the API, matching and alerts use; the contract tests run
/// the same cases against both. Each document is stored in one transaction (or a batch in one), so a node killed
/// half-way leaves every document fully stored or absent. Concurrent writers are serialised where they would race:
/// ingests of one advisory by a transaction-scoped advisory lock on its ID, outbox claims by `FOR UPDATE SKIP LOCKED`,
/// digests of one channel by an advisory lock on the channel; alerts and one-time tokens by their unique keys.
public struct PostgresStore: SQLExecutor {
    let pool: PostgresConnectionPool
    let logger: Logger
    public let assetIndexCache = AssetIndexCache()
    public let facetCache = FacetCache()
    public let configuration: PostgresConfiguration

    /// Where the database lives, for messages (never the password).
    public var path: String { configuration.redactedURL }

    /// Connects (failing at once when the server cannot be reached or refuses the sign-in) and migrates the schema.
    public init(configuration: PostgresConfiguration, migrate: Bool = true) async throws {
        var logger = Logger(label: "vigil.postgres")
        logger.logLevel = .error
        self.logger = logger
        self.configuration = configuration
        pool = PostgresConnectionPool(configuration: try configuration.connectionConfiguration(), maximum: configuration.poolSize,
                                      endpoint: configuration.description, logger: logger)
        // A first connection now: a wrong host, password or database name is reported here rather than at first use.
        try await withConnection { _ in }
        if migrate { _ = try await self.migrate() }
    }

    /// `environment` supplies what the URL leaves out (`PGUSER`, `PGPASSWORD`, `PGSSLMODE`, `VIGIL_DB_PASSWORD_FILE`,
    /// `VIGIL_DB_POOL`): the caller passes the process's, the library never reads it.
    public init(url: String, environment: [String: String] = [:], migrate: Bool = true) async throws {
        try await self.init(configuration: PostgresConfiguration(url: url, environment: environment), migrate: migrate)
    }

    /// Closes the idle connections; connections still leased close when they come back.
    public func close() async { await pool.close() }

    // MARK: Running SQL

    /// One statement on whichever pooled connection is free, in its own implicit transaction.
    public func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        try await withConnection { try await $0.fetchAll(sql, arguments) }
    }

    /// Runs `body` on a pooled connection; driver failures come out as `StoreError`s (`StoreError.classifying`).
    func withConnection<T>(_ body: (SQLConnection) async throws -> T) async throws -> T {
        do {
            return try await withPooledConnection(body)
        } catch {
            throw StoreError.classifying(postgres: error, endpoint: pool.endpoint)
        }
    }

    private func withPooledConnection<T>(_ body: (SQLConnection) async throws -> T) async throws -> T {
        let connection = try await pool.lease()
        do {
            let result = try await body(SQLConnection(connection: connection, logger: logger))
            await pool.release(connection, broken: false)
            return result
        } catch {
            await pool.release(connection, broken: PostgresFailure.isConnectionLevel(error))
            throw error
        }
    }

    /// Runs `body` in one read-only snapshot, so that the several queries of one page see the same data.
    public func snapshot<T>(_ body: (SQLConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try await body(connection) }
        }
    }

    /// Runs `body` in one transaction, committed when it returns and rolled back when it throws. A serialisation
    /// failure or deadlock (another node wrote the same rows at the same time) runs it again, up to five times.
    public func transaction<T>(_ body: (SQLConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withPooledConnection { connection in
                    try await connection.inTransaction { try await body(connection) }
                }
            } catch let failure as PostgresFailure where failure.isRetryable && attempt < 5 {
                try await Task.sleep(nanoseconds: UInt64.random(in: 5_000_000...50_000_000) * UInt64(attempt))
            } catch {
                throw StoreError.classifying(postgres: error, endpoint: pool.endpoint)
            }
        }
    }

    // MARK: Migrations

    /// Applies the migrations not yet applied, in order, each in its own transaction together with its row in
    /// `schema_migrations`, under an advisory lock so that nodes starting together migrate once. A migration that
    /// fails is rolled back alone: the ones before it stay applied and recorded, and the next start resumes at the one
    /// that failed (PostgreSQL's DDL is transactional, so a migration is never left half applied). Returns the names
    /// applied.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await migrate(PostgresStore.migrations)
    }

    func migrate(_ migrations: [Migration]) async throws -> [String] {
        try await transaction { db in
            try await db.execute("SELECT pg_advisory_xact_lock(?)", [PostgresStore.migrationLock])
            try await db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        }
        var names: [String] = []
        for migration in migrations {
            let applied = try await transaction { db in
                // Taken again in each transaction and the applied set read under it: another node may have applied
                // this migration since.
                try await db.execute("SELECT pg_advisory_xact_lock(?)", [PostgresStore.migrationLock])
                guard try await db.fetchValue("SELECT 1 FROM schema_migrations WHERE name = ?", [migration.name], as: Int.self) == nil else {
                    return false
                }
                for statement in migration.statements { try await db.execute(statement) }
                try await db.execute("INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)",
                                     [migration.name, Timestamp.format(Date())])
                return true
            }
            if applied { names.append(migration.name) }
        }
        return names
    }

    /// Migrations known to this build and whether each is applied, for `vigil migrate --status`.
    public func migrationStatus() async throws -> [(name: String, applied: Bool)] {
        guard try await fetchValue("SELECT to_regclass('schema_migrations')::text", as: String.self) != nil else {
            return PostgresStore.migrations.map { ($0.name, false) }
        }
        let applied = Set(try await fetchValues("SELECT name FROM schema_migrations", as: String.self))
        return PostgresStore.migrations.map { ($0.name, applied.contains($0.name)) }
    }

    /// Advisory-lock keys (one namespace for Vigil's locks): migrations, and per-source polling (see `SourceLease`).
    static let migrationLock: Int64 = 0x5649_4749_4C00_0001
}
