import Foundation
import GRDB
import Storage
import Synchronization

/// The store's SQLite connections: GRDB's pool (concurrent readers, one writer), with every failure classified as a
/// `StoreError` on the way out, and one lock that every write takes.
///
/// The lock is what lets the rules written once for both databases (`SQLStore`) run on SQLite: a transaction there is
/// an `async` body that awaits between its statements, which GRDB's own transactions (synchronous closures) cannot
/// hold. `transaction` takes the lock, begins, runs each statement on the writer connection, and commits or rolls
/// back; GRDB's closure writes (`write`) take the same lock, so no statement ever lands inside another task's open
/// transaction. Readers never wait for it (WAL: they read the last commit).
struct SQLiteWriter: Sendable {
    let base: any DatabaseWriter
    let path: String
    let lock = SQLiteWriteLock()

    func read<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await base.read(value) } catch { throw StoreError.classifying(sqlite: error, path: path) }
    }

    /// `updates` in one GRDB transaction, under the writer lock (for code written against GRDB directly; the store's
    /// own rules go through `transaction`). Not to be called inside this store's `transaction`: the lock is not
    /// reentrant.
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        await lock.acquire()
        defer { lock.release() }
        do { return try await base.write(updates) } catch { throw StoreError.classifying(sqlite: error, path: path) }
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE … COMMIT), its statements on the writer connection; rolled back
    /// when it throws. A nested call on the same task joins the transaction already open.
    func transaction<T>(_ body: (SQLiteSession) async throws -> T) async throws -> T {
        if let session = SQLiteSession.current, session.lock === lock { return try await body(session) }
        await lock.acquire()
        defer { lock.release() }
        let session = SQLiteSession(connection: base, path: path, lock: lock)
        try session.run { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        do {
            let result = try await SQLiteSession.$current.withValue(session) { try await body(session) }
            try session.run { db in try db.execute(sql: "COMMIT") }
            return result
        } catch {
            // Also after a cancellation: the statements run synchronously under the lock, so nothing stops this one.
            try? session.run { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
            throw StoreError.classifying(sqlite: error, path: path)
        }
    }
}

/// One connection inside a transaction: the writer's (`SQLiteWriter.transaction`) or a snapshot reader's
/// (`SQLiteSnapshotReaders`). Its statements run synchronously: the connection is held by this task alone, so its
/// GRDB queue is idle and each statement starts at once, without a thread hop.
public struct SQLiteSession: SQLExecutor {
    let connection: any DatabaseWriter
    let path: String
    /// The writer's lock, for a session on the writer connection.
    let lock: SQLiteWriteLock?

    /// The transaction the current task has open, if any.
    @TaskLocal static var current: SQLiteSession?

    func run<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try connection.writeWithoutTransaction(body) } catch {
            throw StoreError.classifying(sqlite: error, path: path)
        }
    }

    public func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        try run { db in try SQLiteSession.rows(sql, arguments, db) }
    }

    /// One statement's rows. A statement with few parameters is cached on the connection; a multi-row one (whose text
    /// changes with its row count) is prepared afresh, so an import's VALUES lists do not pile up in the cache.
    static func rows(_ sql: String, _ arguments: SQLArguments, _ db: Database) throws -> [SQLRow] {
        let statement = arguments.values.count <= 64 ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: StatementArguments(arguments)).map(SQLRow.init)
    }
}

extension StatementArguments {
    /// `?` placeholders bound in order; booleans as 0 and 1, as SQLite stores them.
    init(_ arguments: SQLArguments) {
        self.init(arguments.values.map(\.databaseValue))
    }
}

extension SQLValue {
    /// The value as GRDB binds it.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let v): v.databaseValue
        case .real(let v): v.databaseValue
        case .text(let v): v.databaseValue
        case .blob(let v): Data(v).databaseValue
        case .bool(let v): (v ? 1 : 0 as Int64).databaseValue
        case .array: preconditionFailure("arrays are bound for PostgreSQL's unnest only")
        }
    }
}

/// One writer at a time, held across the awaits of a transaction; waiters are served in order. Not cancellable: a
/// transaction is short, and a cancelled waiter would only have to roll back what it had not begun.
final class SQLiteWriteLock: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func acquire() async {
        if state.withLock({ state in
            if state.busy { return false }
            state.busy = true
            return true
        }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if !state.busy {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// Read-only connections of their own for `SQLiteStore.snapshot`: a page's several queries see one state of the
/// database (a read transaction held across the awaits between them), without waiting for the writer and without
/// holding one of GRDB's pooled readers, whose accesses cannot span an await. Opened on first use, up to `maximum`.
final class SQLiteSnapshotReaders: Sendable {
    private struct State {
        var idle: [DatabaseQueue] = []
        var opened = 0
        var waiting: [CheckedContinuation<DatabaseQueue, Never>] = []
        var closed = false
    }
    private let state = Mutex(State())
    let path: String
    let maximum: Int

    init(path: String, maximum: Int = 4) {
        self.path = path
        self.maximum = maximum
    }

    /// Runs `body` in one read transaction on a reader of its own.
    func read<T>(_ body: (SQLiteSession) async throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        let session = SQLiteSession(connection: connection, path: path, lock: nil)
        try session.run { db in try db.execute(sql: "BEGIN DEFERRED") }
        do {
            let result = try await body(session)
            try session.run { db in try db.execute(sql: "COMMIT") }
            return result
        } catch {
            try? session.run { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
            throw StoreError.classifying(sqlite: error, path: path)
        }
    }

    private func acquire() async throws -> DatabaseQueue {
        enum Next { case use(DatabaseQueue), open, wait }
        let next = state.withLock { state -> Next in
            if let idle = state.idle.popLast() { return .use(idle) }
            if state.opened < maximum {
                state.opened += 1
                return .open
            }
            return .wait
        }
        switch next {
        case .use(let connection):
            return connection
        case .open:
            do {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.allowsUnsafeTransactions = true
                configuration.busyMode = .timeout(10)
                configuration.prepareDatabase { db in
                    // Pages read through a memory map rather than copied by a read() each: on a corpus larger than
                    // the connection's page cache, a list page's reads were a third of the server's time. The pages
                    // are the kernel's page cache either way, but mapped ones count in the resident set: the map's
                    // size (`SQLiteStore.mmapSize`) bounds that.
                    try db.execute(sql: "PRAGMA mmap_size = \(SQLiteStore.mmapSize)")
                }
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch {
                state.withLock { $0.opened -= 1 }
                throw StoreError.classifying(sqlite: error, path: path)
            }
        case .wait:
            return await withCheckedContinuation { continuation in
                let idle = state.withLock { state -> DatabaseQueue? in
                    if let idle = state.idle.popLast() { return idle }
                    state.waiting.append(continuation)
                    return nil
                }
                if let idle { continuation.resume(returning: idle) }
            }
        }
    }

    /// Closes the idle readers; one in use closes when its snapshot ends.
    func close() {
        let idle = state.withLock { state -> [DatabaseQueue] in
            defer { state.idle = [] }
            state.closed = true
            return state.idle
        }
        for connection in idle { try? connection.close() }
    }

    private func release(_ connection: DatabaseQueue) {
        enum Next { case keep, close, hand(CheckedContinuation<DatabaseQueue, Never>) }
        let next = state.withLock { state -> Next in
            if !state.waiting.isEmpty { return .hand(state.waiting.removeFirst()) }
            if state.closed { return .close }
            state.idle.append(connection)
            return .keep
        }
        switch next {
        case .keep: break
        case .close: try? connection.close()
        case .hand(let waiter): waiter.resume(returning: connection)
        }
    }
}
