import Foundation
import GRDB
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

    /// `updates` in one GRDB transaction, on GRDB's writer queue (a long batch does not hold a Swift concurrency thread).
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        if let session = SQLiteSession.current, session.writer.lock === lock {
            // Inside this store's own transaction (a nested call on the same task): join it as a savepoint.
            return try session.run { db in
                var result: T?
                try db.inSavepoint {
                    result = try updates(db)
                    return .commit
                }
                return result!
            }
        }
        await lock.acquire()
        defer { lock.release() }
        do { return try await base.write(updates) } catch { throw StoreError.classifying(sqlite: error, path: path) }
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE … COMMIT), its statements on the writer connection; rolled back
    /// when it throws. A nested call on the same task joins the transaction already open.
    func transaction<T>(_ body: (SQLiteSession) async throws -> T) async throws -> T {
        if let session = SQLiteSession.current, session.writer.lock === lock { return try await body(session) }
        await lock.acquire()
        defer { lock.release() }
        let session = SQLiteSession(writer: self)
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

/// The writer connection inside a transaction (`SQLiteWriter.transaction`). Its statements run synchronously: the
/// lock is held, so GRDB's writer queue is idle and each statement starts at once, without a thread hop.
public struct SQLiteSession: SQLExecutor {
    let writer: SQLiteWriter

    /// The transaction the current task has open, if any.
    @TaskLocal static var current: SQLiteSession?

    func run<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.base.writeWithoutTransaction(body) } catch {
            throw StoreError.classifying(sqlite: error, path: writer.path)
        }
    }

    public func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        try run { db in try SQLiteSession.rows(sql, arguments, db) }
    }

    /// One statement's rows, its statement cached on the connection.
    static func rows(_ sql: String, _ arguments: SQLArguments, _ db: Database) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: StatementArguments(arguments)).map(SQLRow.init)
    }
}

extension StatementArguments {
    /// `?` placeholders bound in order; booleans as 0 and 1, as SQLite stores them.
    init(_ arguments: SQLArguments) {
        self.init(arguments.values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let v): v.databaseValue
            case .real(let v): v.databaseValue
            case .text(let v): v.databaseValue
            case .blob(let v): Data(v).databaseValue
            case .bool(let v): (v ? 1 : 0 as Int64).databaseValue
            case .array: preconditionFailure("arrays are bound for PostgreSQL's unnest only")
            }
        })
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
