import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// `vigil serve --metrics-port`: the real executable, scraped and parsed by the Prometheus project's own Python parser
/// (`prometheus_client.parser`). A worker polls a loopback CSAF provider (CISA's documents, published "now" and signed
/// with a test key), alerts a watch and mails aiosmtpd: the counters move with each step. A web node times its routes
/// by template; without the option no second listener exists.
@Suite(.serialized) struct MetricsEndpointTests {
    static let documentCount = 3

    @Test func workerCountersMoveWithSyncAlertAndDelivery() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let folderURL = folder.url
        let smtp = try MessageIDCatcher(folder: folderURL)
        defer { smtp.stop() }
        let documents = try FileManager.default.contentsOfDirectory(atPath: try SharedData.url("providers/cisa/csaf_files/OT/white/2019").path)
            .filter { $0.hasSuffix(".json") }.sorted().prefix(Self.documentCount).map { "csaf_files/OT/white/2019/" + $0 }
        let mirror = try ProviderMirror.cisa()
        try Self.publishNow(documents, on: mirror)

        try await mirror.run { mirror in
            let db = folderURL.appendingPathComponent("vigil.sqlite").path
            let store = try SQLiteStore(path: db)
            _ = try await store.seedSourcesOnce([])
            // Disabled at first: the first scrape sees no poll; enabling it is the event that must move the counters.
            var source = SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL, pollInterval: 3600)
            source.enabled = false
            try await store.saveSource(source)
            let watch = try await Executables.runVigil(["watch", "add", "--db", db, "--org", "plant", "--publisher", "CISA",
                                                        "--notify", "email:ot-security@plant.example"])
            #expect(watch.status == 0, "\(watch.stderr)")

            let metricsPort = try LoopbackPort.free()
            let worker = try VigilServer(["serve", "--role", "worker", "--db", db, "--metrics-port", String(metricsPort), "--log-level", "warning"],
                                         folder: folderURL, environment: ["VIGIL_SMTP_URL": "smtp://127.0.0.1:\(smtp.port)",
                                                                          "VIGIL_MAIL_FROM": "vigil@plant.example"])
            defer { worker.stop() }
            let url = "http://127.0.0.1:\(metricsPort)/metrics"
            let before = try await Scrape.waitForListener(url, server: worker)
            #expect(before.status == 200)
            #expect(before.contentType == "text/plain; version=0.0.4; charset=utf-8")
            for (name, type) in [("vigil_source_polls", "counter"), ("vigil_source_poll_failures", "counter"),
                                 ("vigil_source_consecutive_failures", "gauge"), ("vigil_source_poll_interval_seconds", "gauge"),
                                 ("vigil_source_state", "gauge"), ("vigil_documents", "gauge"), ("vigil_quarantined_documents", "gauge"),
                                 ("vigil_store_size_bytes", "gauge"), ("vigil_alerts_created", "counter"), ("vigil_deliveries", "counter"),
                                 ("vigil_outbox_pending_deliveries", "gauge"), ("vigil_outbox_oldest_due_age_seconds", "gauge"),
                                 ("vigil_alert_latency_seconds", "histogram"), ("vigil_delivery_latency_seconds", "histogram"),
                                 ("vigil_http_request_duration_seconds", "histogram")] {
                #expect(before.families[name] == type, "\(name) should be a \(type): \(before.families)")
            }
            #expect(before.value("vigil_source_polls_total", ["source": "cisa"]) == 0)
            #expect(before.value("vigil_source_poll_failures_total", ["source": "cisa"]) == 0)
            #expect(before.value("vigil_source_state", ["source": "cisa", "state": "disabled"]) == 1)
            #expect(before.value("vigil_source_state", ["source": "cisa", "state": "ok"]) == 0)
            #expect(before.value("vigil_alerts_created_total", ["reason": "new_advisory"]) == 0)
            #expect(before.value("vigil_deliveries_total", ["channel_kind": "email", "outcome": "sent"]) == 0)
            #expect(before.value("vigil_documents", ["integrity": "verified"]) == 0)
            #expect(before.value("vigil_alert_latency_seconds_count", [:]) == 0)
            #expect((before.value("vigil_store_size_bytes", [:]) ?? 0) > 0)
            // A worker has no web server: nothing is timed.
            #expect(before.samples.allSatisfy { $0.name.hasPrefix("vigil_http_request_duration_seconds") == false })

            source.enabled = true
            try await store.saveSource(source)
            var after = before
            for _ in 0..<600 {
                after = try await Scrape.fetch(url)
                if after.value("vigil_deliveries_total", ["channel_kind": "email", "outcome": "sent"]) == Double(Self.documentCount) { break }
                guard worker.isRunning else { break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            let count = Double(Self.documentCount)
            #expect(after.value("vigil_source_polls_total", ["source": "cisa"]) == 1, "\(worker.log)")
            #expect(after.value("vigil_source_poll_failures_total", ["source": "cisa"]) == 0)
            #expect(after.value("vigil_source_state", ["source": "cisa", "state": "ok"]) == 1)
            #expect(after.value("vigil_source_state", ["source": "cisa", "state": "disabled"]) == 0)
            #expect(after.value("vigil_source_consecutive_failures", ["source": "cisa"]) == 0)
            #expect(after.value("vigil_source_poll_interval_seconds", ["source": "cisa"]) == 3600)
            #expect(after.value("vigil_documents", ["integrity": "verified"]) == count)
            #expect(after.value("vigil_quarantined_documents", [:]) == 0)
            #expect(after.value("vigil_alerts_created_total", ["reason": "new_advisory"]) == count, "\(worker.log)")
            #expect(after.value("vigil_deliveries_total", ["channel_kind": "email", "outcome": "sent"]) == count, "\(worker.log)")
            #expect(after.value("vigil_deliveries_total", ["channel_kind": "email", "outcome": "failed"]) == 0)
            #expect(after.value("vigil_alert_latency_seconds_count", [:]) == count)
            #expect(after.value("vigil_alert_latency_seconds_bucket", ["le": "+Inf"]) == count)
            #expect(after.value("vigil_delivery_latency_seconds_count", [:]) == count)
            #expect(after.value("vigil_outbox_pending_deliveries", [:]) == 0)
            #expect(after.value("vigil_outbox_oldest_due_age_seconds", [:]) == 0)
            #expect(Set(try smtp.messageIDs()).count == Self.documentCount)

            // Anything but GET /metrics is 404.
            #expect(try await Scrape.fetch("http://127.0.0.1:\(metricsPort)/").status == 404)
            #expect(try await Scrape.fetch("http://127.0.0.1:\(metricsPort)/metrics/x").status == 404)
        }
    }

    @Test func webNodeTimesRoutesByTemplateOnASecondListener() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        let store = try SQLiteStore(path: db)
        _ = try await store.seedSourcesOnce([])
        let (webPort, metricsPort) = (try LoopbackPort.free(), try LoopbackPort.free())
        let web = try VigilServer(["serve", "--role", "web", "--db", db, "--port", String(webPort), "--metrics-port", String(metricsPort),
                                   "--log-level", "warning"], folder: folder.url)
        defer { web.stop() }
        let metricsURL = "http://127.0.0.1:\(metricsPort)/metrics"
        _ = try await Scrape.waitForListener(metricsURL, server: web)
        _ = try await Scrape.waitForListener("http://127.0.0.1:\(webPort)/healthz", server: web)
        #expect(try web.listeningPorts() == [webPort, metricsPort].sorted())
        // Two different advisory IDs, one route; a path no route has; the metrics are not on the web port.
        #expect(try await Scrape.fetch("http://127.0.0.1:\(webPort)/advisories/NOPE-1").status == 404)
        #expect(try await Scrape.fetch("http://127.0.0.1:\(webPort)/advisories/NOPE-2").status == 404)
        #expect(try await Scrape.fetch("http://127.0.0.1:\(webPort)/no/such/page").status == 404)
        #expect(try await Scrape.fetch("http://127.0.0.1:\(webPort)/metrics").status == 404)
        let scrape = try await Scrape.fetch(metricsURL)
        #expect(scrape.families["vigil_http_request_duration_seconds"] == "histogram")
        #expect(scrape.value("vigil_http_request_duration_seconds_count", ["method": "GET", "route": "/advisories/{id}", "status": "404"]) == 2)
        #expect(scrape.value("vigil_http_request_duration_seconds_count", ["method": "GET", "route": "/healthz", "status": "200"]) ?? 0 >= 1)
        #expect(scrape.value("vigil_http_request_duration_seconds_count", ["method": "GET", "route": "unmatched", "status": "404"]) == 2)
        let routes = Set(scrape.samples.filter { $0.name == "vigil_http_request_duration_seconds_count" }.compactMap { $0.labels["route"] })
        #expect(!routes.contains { $0.contains("NOPE") || $0.contains("no/such") }, "raw paths leaked into labels: \(routes)")
        // Buckets are cumulative and end with +Inf = count.
        let buckets = scrape.samples.filter { $0.name == "vigil_http_request_duration_seconds_bucket" && $0.labels["route"] == "/advisories/{id}" }
        #expect(buckets.map(\.value) == buckets.map(\.value).sorted())
        #expect(buckets.last?.labels["le"] == "+Inf" && buckets.last?.value == 2)
    }

    @Test func withoutTheOptionThereIsNoMetricsListener() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        let store = try SQLiteStore(path: db)
        _ = try await store.seedSourcesOnce([])
        let webPort = try LoopbackPort.free()
        let web = try VigilServer(["serve", "--db", db, "--port", String(webPort), "--no-sync", "--log-level", "warning"], folder: folder.url)
        defer { web.stop() }
        _ = try await Scrape.waitForListener("http://127.0.0.1:\(webPort)/healthz", server: web)
        #expect(try web.listeningPorts() == [webPort])
        #expect(try await Scrape.fetch("http://127.0.0.1:\(webPort)/metrics").status == 404)
    }

    @Test func metricsOptionsAreValidated() async throws {
        for (arguments, message) in [(["--metrics-port", "0"], "--metrics-port must be between 1 and 65535"),
                                     (["--metrics-port", "65536"], "--metrics-port must be between 1 and 65535"),
                                     (["--metrics-port=-3"], "--metrics-port must be between 1 and 65535"),
                                     (["--metrics-port", "8080"], "--metrics-port must differ from --port"),
                                     (["--metrics-host", "0.0.0.0"], "--metrics-host needs --metrics-port")] {
            let output = try await Executables.runVigil(["serve", "--db", "/nonexistent/folder/vigil.sqlite"] + arguments)
            #expect(output.status == 64, "\(arguments): \(output.stderr)")
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
    }

    /// Rewrites the documents' dates to now (news, not backfill), with matching hash sidecars and signatures by a test
    /// key the provider metadata lists.
    static func publishNow(_ documents: [String], on mirror: ProviderMirror) throws {
        mirror.only(Set(documents))
        let gpg = try GnuPG()
        let key = try gpg.generateKey("Vigil metrics test <keys@example.invalid>", algorithm: "ed25519")
        let now = ISO8601DateFormatter().string(from: Date())
        for path in documents {
            let original = try #require(mirror.content(path))
            var object = try #require(try JSONSerialization.jsonObject(with: Data(original)) as? [String: Any])
            var head = try #require(object["document"] as? [String: Any])
            var tracking = try #require(head["tracking"] as? [String: Any])
            tracking["initial_release_date"] = now
            tracking["current_release_date"] = now
            head["tracking"] = tracking
            object["document"] = head
            let fresh = [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            let name = String(path.split(separator: "/").last!)
            mirror.set(path, fresh)
            mirror.set(path + ".sha512", ProviderSyncTests.sha512Sidecar(fresh, name: name))
            mirror.set(path + ".asc", try gpg.sign(fresh, with: key, armored: true, digest: "SHA512"))
        }
        mirror.set("test-key.asc", try gpg.export(key, armored: true))
        mirror.addKey(fingerprint: key, path: "test-key.asc")
    }
}

/// One `vigil serve` process, its output in a log file.
final class VigilServer: @unchecked Sendable {
    let process = ChildProcess()
    let logURL: URL

    init(_ arguments: [String], folder: URL, environment: [String: String] = [:]) throws {
        logURL = folder.appendingPathComponent("serve-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try Executables.vigil())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)).map { String($0.suffix(3000)) } ?? "" }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The TCP ports this process listens on, from /proc: its socket descriptors matched against the kernel's table of
    /// listening sockets.
    func listeningPorts() throws -> [Int] {
        let fdFolder = "/proc/\(process.processIdentifier)/fd"
        var inodes = Set<String>()
        for fd in try FileManager.default.contentsOfDirectory(atPath: fdFolder) {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdFolder)/\(fd)"),
               target.hasPrefix("socket:[") {
                inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
            }
        }
        var ports: [Int] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end with read(2): /proc files report size 0 and Foundation's readers stop after one buffer,
            // which a busy machine's socket table outgrows.
            guard let handle = FileHandle(forReadingAtPath: table) else { continue }
            var data = Data()
            while let chunk = try handle.read(upToCount: 65_536), !chunk.isEmpty { data += chunk }
            try? handle.close()
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // local_address is field 1 (ADDR:PORT in hex), st is field 3 (0A = LISTEN), inode is field 9.
                guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])),
                      let port = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }) else { continue }
                ports.append(port)
            }
        }
        return ports.sorted()
    }
}

/// A scrape, fetched and parsed by `prometheus_client.parser.text_string_to_metric_families`.
struct Scrape: Sendable {
    struct Sample: Sendable, Decodable {
        var name: String
        var labels: [String: String]
        var value: Double
    }
    var status: Int
    var contentType: String
    /// Family name → type (the parser names a counter's family without `_total`).
    var families: [String: String]
    var samples: [Sample]

    /// The value of the sample with exactly these labels; nil when there is none.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    static let script = #"""
import json, sys, urllib.error, urllib.request
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("the Python module prometheus_client is missing: pip install prometheus-client", file=sys.stderr)
    sys.exit(3)
try:
    response = urllib.request.urlopen(sys.argv[1], timeout=10)
    status, content_type, body = response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8")
except urllib.error.HTTPError as error:
    status, content_type, body = error.code, error.headers.get("Content-Type", ""), ""
families, samples = {}, []
if status == 200 and sys.argv[1].endswith("/metrics"):
    for family in text_string_to_metric_families(body):
        families[family.name] = family.type
        for sample in family.samples:
            samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
print(json.dumps({"status": status, "contentType": content_type, "families": families, "samples": samples}))
"""#

    /// Fetches, and parses what a `/metrics` URL answers; a 404 and the like come back with their status and no samples.
    static func fetch(_ url: String) async throws -> Scrape {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let scriptPath = folder.url.appendingPathComponent("scrape.py")
        try Data(script.utf8).write(to: scriptPath)
        let out = folder.url.appendingPathComponent("out"), err = folder.url.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: try Executables.find("python3", hint: "install Python 3"))
        process.arguments = [scriptPath.path, url]
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try await Executables.runToExit(process)
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        if process.terminationStatus == 3 {
            throw TestSetupError("prometheus_client is not installed: pip install prometheus-client (\(stderr))")
        }
        guard process.terminationStatus == 0 else { throw ScrapeFailed(message: "scraping \(url) failed: \(stderr.suffix(1500))") }
        struct Answer: Decodable { var status: Int; var contentType: String; var families: [String: String]; var samples: [Sample] }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(contentsOf: out))
        return Scrape(status: answer.status, contentType: answer.contentType, families: answer.families, samples: answer.samples)
    }

    struct ScrapeFailed: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// Fetches until the listener answers (the process is starting); fails when the process exits first or after 60 s.
    static func waitForListener(_ url: String, server: VigilServer) async throws -> Scrape {
        var lastError = ""
        for _ in 0..<300 {
            guard server.isRunning else { throw TestSetupError("vigil serve exited: \(server.log)") }
            do {
                return try await fetch(url)
            } catch let failure as ScrapeFailed {
                lastError = failure.message
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        throw TestSetupError("nothing answered at \(url): \(lastError); \(server.log)")
    }
}
