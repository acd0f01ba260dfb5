import CSAF
import Foundation
import GRDB
import Storage
import Store
import Testing
import VigilTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `vigil import` killed with SIGKILL half-way: the database must be consistent and a re-run must complete it.
@Suite("Killed import")
struct KilledImportTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Watches the database of the running import through one read-only connection, opened once the file and its
    /// schema exist (reopening a connection on every poll was fragile under a loaded test run).
    final class Watcher {
        let path: String
        var queue: DatabaseQueue?
        var lastError: String = "the database file was never created"

        init(path: String) { self.path = path }

        func storedCount() -> Int? {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            do {
                if queue == nil {
                    var configuration = Configuration()
                    configuration.readonly = true
                    configuration.busyMode = .timeout(2)
                    queue = try DatabaseQueue(path: path, configuration: configuration)
                }
                return try queue!.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM advisories") }
            } catch {
                lastError = "\(error)"
                return nil
            }
        }
    }

    @Test("after SIGKILL the database opens, passes integrity_check, holds whole documents only, and a re-run completes it")
    func killedImport() async throws {
        let vigil = URL(fileURLWithPath: try Executables.vigil())
        let cisa = try SharedData.url("providers/cisa").path
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.url.appendingPathComponent("x.sqlite").path

        let process = ChildProcess()
        process.executableURL = vigil
        process.arguments = ["import", "--db", database, "--quiet", cisa]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        var seen = 0
        var polls = 0
        let watcher = Watcher(path: database)
        while process.isRunning, seen < 200, polls < 6_000 {
            seen = watcher.storedCount() ?? seen
            polls += 1
            // A blocking sleep on purpose: with two cores, other tests' blocking waits (Chromium, python, child
            // processes) can hold both cooperative threads, and a Task.sleep here resumed only after the import
            // had already finished.
            usleep(10_000)
        }
        guard process.isRunning else {
            throw Failure(description: "the import ended (status \(process.terminationStatus)) before it could be killed; \(seen) advisories were seen (last read error: \(watcher.lastError))")
        }
        #expect(seen >= 200, "the import stored \(seen) advisories in \(polls) polls")
        kill(process.processIdentifier, SIGKILL)
        watcher.queue = nil
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)

        // The database opens through the store (migrations find it current) and SQLite finds it sound.
        let store = try SQLiteStore(path: database)
        let queue = try DatabaseQueue(path: database)
        let check = try await queue.read { db in
            (integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
             advisories: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisories") ?? -1,
             documents: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? -1,
             withoutDocument: try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM advisories a LEFT JOIN documents d ON d.id = a.document_id
                WHERE d.id IS NULL OR d.advisory_id <> a.id
                """) ?? -1,
             orphanDocuments: try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM advisories a WHERE a.id = d.advisory_id)
                """) ?? -1,
             searchable: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisories_fts") ?? -1,
             foreignKeys: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count)
        }
        try queue.close()
        #expect(check.integrity == ["ok"])
        let stored = check.advisories
        #expect(stored >= seen)
        #expect(stored < 2_383, "the kill came after the import had finished")
        #expect(check.documents == stored)
        #expect(check.withoutDocument == 0)
        #expect(check.orphanDocuments == 0)
        #expect(check.searchable == stored)
        #expect(check.foreignKeys == 0)

        // Every stored advisory has its whole document: the bytes are the file's bytes.
        var compared = 0
        var query = AdvisoryQuery(perPage: 500)
        while true {
            let page = try await store.search(query)
            for item in page.items {
                let raw = try #require(try await store.rawDocument(advisoryID: item.id, documentID: nil), "\(item.id)")
                let stored = try #require(try await store.advisory(id: item.id))
                #expect(raw.bytes == [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored.document.origin))), "\(item.id)")
                compared += 1
            }
            guard query.page < page.pageCount else { break }
            query.page += 1
        }
        #expect(compared == stored)

        // A re-run completes the import; what was stored before the kill is reported unchanged.
        let rerun = ChildProcess()
        rerun.executableURL = vigil
        rerun.arguments = ["import", "--db", database, "--json", cisa]
        let output = Pipe()
        rerun.standardOutput = output
        rerun.standardError = FileHandle.nullDevice
        try rerun.run()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        rerun.waitUntilExit()
        #expect(rerun.terminationStatus == 0)
        struct Report: Decodable {
            var new: Int
            var updated: Int
            var unchanged: Int
            var historical: Int
            var rejected: Int
            var files: Int
        }
        let report = try JSONDecoder().decode(Report.self, from: json)
        #expect(report.unchanged == stored)
        #expect(report.new == 2_383 - stored)
        #expect(report.updated == 0)
        #expect(report.historical == 0)
        #expect(report.rejected == 0)
        #expect(report.files == 2_390)

        let statistics = try await store.statistics()
        #expect(statistics.advisories == 2_383)
        #expect(statistics.documents == 2_383)
        print("Killed import: \(stored) advisories were stored when vigil was killed; the re-run reported \(report.new) new and \(report.unchanged) unchanged")
    }
}
