import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `vigil serve --log-format json`: every line it writes is a JSON object, and the lines about a source or a
/// request carry its ID.
@Suite("Structured logs from vigil serve")
struct StructuredLogTests {
    /// A store whose only enabled source is a provider on a loopback port nothing listens on: its first poll fails at
    /// once, and the scheduler logs that it is unreachable.
    func storeWithDeadSource(_ path: String) async throws -> String {
        let store = try await StoreLocation(path).open()
        _ = try await store.seedSourcesOnce(SourceCatalogue.seedRecords())
        for var source in try await store.sources() {
            source.enabled = false
            try await store.saveSource(source)
        }
        let refusing = try LoopbackPort.refusing()
        defer { withExtendedLifetime(refusing) {} }
        let deadPort = refusing.port
        var dead = SourceRecord(slug: "dead-end", name: "Dead End", url: "http://127.0.0.1:\(deadPort)/.well-known/csaf/provider-metadata.json")
        dead.allowPrivateNetwork = true
        try await store.saveSource(dead)
        await store.close()
        return dead.slug
    }

    /// Runs `vigil serve` with `arguments` until `body` returns, then stops it with SIGTERM; returns what it wrote to
    /// standard output and standard error.
    func serve(_ arguments: [String], folder: TemporaryFolder, environment: [String: String] = [:],
               _ body: (Int) async throws -> Void) async throws -> (stdout: String, stderr: String) {
        let port = try LoopbackPort.free()
        let out = folder.url.appendingPathComponent("stdout"), err = folder.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: try Executables.vigil())
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "\(port)"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var ready = false
        for _ in 0..<150 where !ready {
            guard process.isRunning else { break }
            ready = (try? await get(port: port, "/healthz"))?.status == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        let readyLog = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        guard ready else { throw TestSetupError("vigil serve did not answer /healthz: \(readyLog.suffix(2000))") }
        try await body(port)
        process.terminate()
        try await waitForExit(process)
        return ((try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    func waitForExit(_ process: ChildProcess) async throws {
        for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "vigil serve stops on SIGTERM")
    }

    func get(port: Int, _ target: String) async throws -> (status: Int, body: String)? {
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        await connection.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return await connection.readResponse(timeout: .seconds(5)).map { ($0.status, "") }
    }

    /// Every non-empty line parsed as a JSON object with the four fixed keys; records an issue for each that is not.
    func jsonLines(_ text: String, stream: String) -> [[String: Any]] {
        var objects: [[String: Any]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                Issue.record("\(stream): not a JSON object: \(line)")
                continue
            }
            for key in ["ts", "level", "logger", "message"] where !(object[key] is String) {
                Issue.record("\(stream): no \(key): \(line)")
            }
            if let ts = object["ts"] as? String, ts.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) == nil {
                Issue.record("\(stream): ts is not RFC 3339 with milliseconds: \(ts)")
            }
            for (key, value) in object where !(value is String || value is [String]) {
                Issue.record("\(stream): \(key) is not a string: \(line)")
            }
            objects.append(object)
        }
        return objects
    }

    @Test("vigil serve --log-format json --no-sync: every line is JSON; request lines carry the request ID, paths no query string")
    func serveWithoutSync() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.url.appendingPathComponent("vigil.sqlite").path
        let (stdout, stderr) = try await serve(["--db", database, "--log-format", "json", "--log-level", "debug", "--no-sync"], folder: folder) { port in
            let list = try await get(port: port, "/api/v1/advisories?token=s3cret-in-the-query")
            let missing = try await get(port: port, "/no-such-page")
            let missingAPI = try await get(port: port, "/api/v1/advisories/nothing-here")
            #expect(list?.status == 200)
            #expect(missing?.status == 404)
            #expect(missingAPI?.status == 404)
        }
        let out = jsonLines(stdout, stream: "stdout"), err = jsonLines(stderr, stream: "stderr")
        #expect(!(stdout + stderr).contains("s3cret"), "the query string is not logged")
        #expect(err.contains { ($0["message"] as? String)?.hasPrefix("Vigil is serving") == true })
        #expect(out.contains { ($0["message"] as? String)?.hasPrefix("Server started") == true })
        let requests = (out + err).filter { $0["path"] != nil }
        #expect(requests.contains { $0["path"] as? String == "/api/v1/advisories" && $0["status"] as? String == "200" && $0["method"] as? String == "GET" })
        #expect(requests.contains { $0["path"] as? String == "/no-such-page" && $0["status"] as? String == "404" })
        #expect(requests.contains { $0["path"] as? String == "/healthz" })
        for line in requests {
            #expect((line["request"] as? String)?.isEmpty == false, "a request line without its ID: \(line)")
            #expect(line["hb.request.id"] == nil)
            #expect(line["duration_ms"] is String)
        }
        let ids = requests.compactMap { $0["request"] as? String }
        #expect(Set(ids).count == ids.count, "one ID per request")
    }

    @Test("a source's sync logs carry its slug as source; VIGIL_LOG_FORMAT=json chooses the format too")
    func sourceLinesCarryTheirSlug() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.url.appendingPathComponent("vigil.sqlite").path
        let slug = try await storeWithDeadSource(database)
        let log = folder.url.appendingPathComponent("stderr")
        let (stdout, stderr) = try await serve(["--db", database, "--log-level", "debug"], folder: folder,
                                               environment: ["VIGIL_LOG_FORMAT": "json"]) { _ in
            // The first poll starts at once and fails at once (nothing listens on its port).
            for _ in 0..<100 {
                if let text = try? String(contentsOf: log, encoding: .utf8), text.contains("is unreachable") { return }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let lines = jsonLines(stdout, stream: "stdout") + jsonLines(stderr, stream: "stderr")
        let sources = lines.filter { $0["logger"] as? String == "vigil.sources" }
        let unreachable = try #require(sources.first { ($0["message"] as? String)?.contains("is unreachable") == true }, "\(stderr.suffix(3000))")
        #expect(unreachable["source"] as? String == slug)
        #expect(unreachable["level"] as? String == "warning")
        #expect((unreachable["error"] as? String)?.isEmpty == false)
        for line in sources where (line["message"] as? String)?.contains("source ") == true {
            #expect(line["source"] != nil, "a line about a source without its slug: \(line)")
        }
    }

    @Test("vigil sources sync --log-format json: what it says about each source is a JSON line carrying the slug")
    func sourcesSyncLogs() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.url.appendingPathComponent("vigil.sqlite").path
        let slug = try await storeWithDeadSource(database)
        let output = try await Executables.runVigil(["sources", "sync", "--db", database, "--log-format", "json"])
        #expect(output.status == 1, "the source could not be synced")
        let lines = jsonLines(output.stderr, stream: "stderr")
        let failed = try #require(lines.first { $0["source"] as? String == slug }, "\(output.stderr)")
        #expect(failed["level"] as? String == "error")
        #expect(failed["logger"] as? String == "vigil.sources")
        #expect((failed["error"] as? String)?.isEmpty == false)
        #expect(lines.allSatisfy { $0["source"] != nil })
    }
}
