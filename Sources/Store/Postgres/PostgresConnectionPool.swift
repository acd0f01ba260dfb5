import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Storage

/// A small pool of PostgreSQL connections. Vigil keeps its own rather than `PostgresClient`'s because that one waits
/// forever when the server cannot be reached (postgres-nio issue #489); here a connection that cannot be made fails the
/// operation at once with the server's or the network's reason, and a broken connection is dropped and replaced.
actor PostgresConnectionPool {
    private let configuration: PostgresConnection.Configuration
    private let maximum: Int
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []
    private var nextID = 0
    private var closed = false
    /// Where the pool connects, for messages (never the password).
    let endpoint: String

    init(configuration: PostgresConnection.Configuration, maximum: Int, endpoint: String, logger: Logger) {
        self.configuration = configuration
        self.maximum = max(1, maximum)
        self.endpoint = endpoint
        self.logger = logger
    }

    /// A store dropped without `close()`: its idle connections close in the background (each kept alive by its own
    /// completion handler until closed, as postgres-nio requires).
    deinit {
        for connection in idle where !connection.isClosed {
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    func lease() async throws -> PostgresConnection {
        if closed { throw StoreError.unavailable("the PostgreSQL store for \(endpoint) is closed") }
        while let connection = idle.popLast() {
            if !connection.isClosed { return connection }
            open -= 1
        }
        if open >= maximum {
            // Wait for a connection to come back, or for a slot to free up (nil: connect anew).
            if let handed = await withCheckedContinuation({ waiters.append($0) }) { return handed }
        } else {
            open += 1
        }
        do {
            nextID += 1
            return try await PostgresConnection.connect(configuration: configuration, id: nextID, logger: logger)
        } catch {
            open -= 1
            wakeOne()
            throw PostgresConnectionPool.describe(error, endpoint: endpoint)
        }
    }

    func release(_ connection: PostgresConnection, broken: Bool) {
        if broken || connection.isClosed || closed {
            if !connection.isClosed { connection.close().whenComplete { _ in } }
            open -= 1
            wakeOne()
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// A waiter gets the freed slot and connects itself.
    private func wakeOne() {
        guard !waiters.isEmpty, open < maximum else { return }
        open += 1
        waiters.removeFirst().resume(returning: nil)
    }

    func close() async {
        closed = true
        let connections = idle
        idle = []
        for connection in connections { try? await connection.close().get() }
        open -= connections.count
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters = []
    }

    /// A connection failure in words a person can act on.
    static func describe(_ error: any Error, endpoint: String) -> StoreError {
        if let failure = error as? PSQLError {
            let text = PostgresFailure(failure, sql: nil).message
            if failure.serverInfo?[.sqlState] == "28P01" || failure.serverInfo?[.sqlState] == "28000" {
                return StoreError.unavailable("could not sign in to \(endpoint): \(text). Check the user and the password "
                                  + "(VIGIL_DB_PASSWORD_FILE, PGPASSWORD or the URL)")
            }
            if failure.serverInfo?[.sqlState] == "3D000" {
                return StoreError.unavailable("could not open \(endpoint): \(text). Create it first (createdb) or fix the name")
            }
            return StoreError.unavailable("could not connect to \(endpoint): \(text). Is PostgreSQL running and reachable there?")
        }
        return StoreError.unavailable("could not connect to \(endpoint): \(error). Is PostgreSQL running and reachable there?")
    }
}

extension PostgresFailure {
    /// The connection itself failed (rather than the statement): it must not go back to the pool.
    static func isConnectionLevel(_ error: any Error) -> Bool {
        if let failure = error as? PostgresFailure { return failure.sqlState == nil }
        if let failure = error as? PSQLError { return failure.serverInfo == nil }
        return false
    }
}
