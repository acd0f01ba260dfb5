import Alerts
import AsyncHTTPClient
import Foundation
import Logging
import NIOPosix
import Storage
import Store
import Synchronization
import Testing
import VigilTestSupport

/// `vigil serve`'s alert loop on a store that fails: every failure is logged with its reason, the loop keeps going,
/// and it waits longer between passes while they keep failing.
@Suite struct AlertLoopTests {
    struct Stop: Error {}

    /// Runs the loop on `store` for `passes` passes, recording the waits it asks for instead of sleeping them out.
    static func run(_ store: SQLiteStore, passes: Int, log: CapturedLog) async throws -> [Duration] {
        let waits = Mutex<[Duration]>([])
        try await DeliveryTests.withClient { client in
            let dispatcher = AlertDispatcher(store: store, configuration: .init(smtp: nil, baseURL: "https://vigil.example/"),
                                             httpClient: client, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let loop = AlertLoop(store: store, dispatcher: dispatcher, logger: log.logger(), interval: .milliseconds(100),
                                 maxBackoff: .seconds(1)) { wait in
                if waits.withLock({ $0.append(wait); return $0.count }) >= passes { throw Stop() }
            }
            await #expect(throws: Stop.self) { try await loop.run() }
        }
        return waits.withLock { $0 }
    }

    @Test("a failing store: each failure logged at error level with its reason, the loop goes on, backing off up to the cap")
    func failingStoreIsLoggedAndBackedOff() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("vigil.sqlite").path
        let store = try SQLiteStore(path: path)
        // Break the store under the running process: the tables alert creation and delivery read are gone.
        let sqlite = try Executables.find("sqlite3", hint: "apt-get install sqlite3")
        try Executables.run(sqlite, [path, "PRAGMA foreign_keys = OFF; DROP TABLE advisory_changes; DROP TABLE deliveries;"])

        let log = CapturedLog()
        let waits = try await Self.run(store, passes: 7, log: log)
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1), .seconds(1)])
        let errors = log.events.filter { $0.level == .error }
        // Both halves of every pass failed and said so, with the store's reason.
        #expect(errors.filter { $0.message == "alert creation failed" }.count == 7)
        #expect(errors.filter { $0.message == "alert delivery pass failed" }.count == 7)
        #expect(errors.allSatisfy { $0.metadata["error"]?.contains("no such table") == true }, "\(errors.map(\.metadata))")
    }

    @Test("a healthy store: passes every interval, nothing logged at error level")
    func healthyStoreKeepsTheInterval() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let log = CapturedLog()
        let waits = try await Self.run(store, passes: 3, log: log)
        #expect(waits == Array(repeating: .milliseconds(100), count: 3))
        #expect(log.messages(atLeast: .error).isEmpty)
    }

    @Test("the wait doubles per failure in a row after the first, up to the cap, and is the interval after a success")
    func backoffSchedule() {
        let waits = (0...8).map { AlertLoop.wait(afterFailures: $0, interval: .seconds(1), maxBackoff: .seconds(60)) }
        #expect(waits == [1, 1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
    }
}
