import Foundation
import GRDB
import Storage

/// What differs between SQLite and PostgreSQL in the SQL the shared store logic writes. Everything else (the rules,
/// the statements, the mapping of rows to records) is written once, in `extension SQLStore`.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// An ORDER BY key in SQLite's `COLLATE NOCASE` order: only ASCII letters fold (lower() would fold `Ã` too and
    /// order `LeÃ£o` after `Leão`, where SQLite puts it before), then bytes compare.
    func noCase(_ column: String) -> String {
        switch self {
        case .sqlite: "\(column) COLLATE NOCASE"
        case .postgres: "translate(\(column), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') COLLATE \"C\""
        }
    }

    /// `column = ?` ignoring ASCII case, as the unique indexes compare: SQLite's columns are `COLLATE NOCASE`,
    /// PostgreSQL's indexes are on `lower(column)`.
    func sameText(_ column: String) -> String {
        switch self {
        case .sqlite: "\(column) = ?"
        case .postgres: "lower(\(column)) = lower(?)"
        }
    }

    /// Locks the rows a SELECT reads until the transaction ends (SQLite: one writer at a time locks everything).
    var forUpdate: String { self == .postgres ? "FOR UPDATE" : "" }

    /// Locks the rows a SELECT reads, passing over those another transaction holds (SQLite: nothing to pass over).
    var skipLocked: String { self == .postgres ? "FOR UPDATE SKIP LOCKED" : "" }

    /// An ORDER BY key in byte order (SQLite's default; PostgreSQL's collation would otherwise apply the locale's).
    func binary(_ column: String) -> String {
        switch self {
        case .sqlite: column
        case .postgres: "\(column) COLLATE \"C\""
        }
    }
}

/// A database the store's rules run on: statements with `?` placeholders on whichever connection is free
/// (`SQLExecutor`), transactions, and the dialect. `SQLiteStore` and `PostgresStore` conform; the rules of storing
/// (accounts, alerts, the outbox, sources, assets) live once, in extensions of this protocol.
public protocol SQLStore: SQLExecutor, AdvisoryStore, AssetStore {
    associatedtype Session: SQLExecutor
    var dialect: SQLDialect { get }
    /// Where the data lives, for messages: a file path or a postgres:// URL without its password.
    var path: String { get }
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: (Session) async throws -> T) async throws -> T
    /// Runs `body`'s reads against one consistent state of the database.
    func snapshot<T>(_ body: (Session) async throws -> T) async throws -> T
    /// The database's size on disk, in bytes.
    func sizeOnDisk() async throws -> Int64
    /// The organisations' asset indexes, kept between ingests until an inventory changes.
    var assetIndexCache: AssetIndexCache { get }
    /// Aggregates over the whole corpus, kept per generation of it.
    var facetCache: FacetCache { get }
}

extension SQLStore {
    /// Serialises the transactions that take the same key until they end: PostgreSQL's transaction-scoped advisory
    /// lock. SQLite has one writer at a time, so every transaction is serialised already.
    func lock(_ key: Int64, in db: Session) async throws {
        guard dialect == .postgres else { return }
        try await db.execute("SELECT pg_advisory_xact_lock(?)", [key])
    }
}

extension SQLStore {
    /// Inserts `rows` (one value per column each) with as few statements as the database allows (`MultiRowInsert`).
    /// `suffix` follows the values (`ON CONFLICT …`).
    func insertRows(_ table: String, _ columns: [String], _ rows: [[(any SQLValueConvertible)?]], suffix: String = "",
                    in db: Session) async throws {
        var insert = MultiRowInsert()
        insert.add(table, columns, rows: rows, suffix: suffix)
        try await insert.run(db, dialect: dialect)
    }
}

extension SQLiteStore {
    /// On a snapshot reader of its own (`SQLiteSnapshotReaders`): never waits for the writer.
    public func snapshot<T>(_ body: (SQLiteSession) async throws -> T) async throws -> T {
        try await readers.read(body)
    }

    /// The file with its write-ahead log.
    public func sizeOnDisk() async throws -> Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
    }

    public var dialect: SQLDialect { .sqlite }

    public func transaction<T>(_ body: (SQLiteSession) async throws -> T) async throws -> T {
        try await writer.transaction(body)
    }

    /// One statement: a read on one of the pool's readers (never waiting for the writer), anything else as a write
    /// of its own (or inside the current task's transaction, when it has one open).
    public func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        if let session = SQLiteSession.current, session.lock === writer.lock {
            return try await session.fetchAll(sql, arguments)
        }
        let read = try await writer.read { db -> [SQLRow]? in
            let statement = arguments.values.count <= 64 ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
            guard statement.isReadonly else { return nil }
            return try Row.fetchAll(statement, arguments: StatementArguments(arguments)).map(SQLRow.init)
        }
        if let read { return read }
        return try await transaction { db in try await db.fetchAll(sql, arguments) }
    }
}

extension PostgresStore: SQLStore {
    public var dialect: SQLDialect { .postgres }

    public func sizeOnDisk() async throws -> Int64 {
        try await fetchValue("SELECT pg_database_size(current_database())", as: Int64.self) ?? 0
    }
}
