import Foundation
import Storage
import Store
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilTestSupport

/// `vigil serve`'s configuration, resolved once from flags and `VIGIL_*` variables (flag, else variable, else default)
/// and checked before anything is opened, seen through `--check-config`; and its one service group's graceful
/// shutdown, on the real executable: SIGTERM or SIGINT ends it with status 0, and the store is released at once.
@Suite(.serialized) struct ServeLifecycleTests {
    /// Every variable the serve path reads, set empty (which counts as unset), so the test's own environment cannot leak in.
    static let unset = ["VIGIL_DB": "", "VIGIL_ORG": "", "VIGIL_BASE_URL": "", "VIGIL_LOG_FORMAT": "", "VIGIL_SMTP_URL": "", "VIGIL_MAIL_FROM": ""]

    static func settings(_ arguments: [String], environment: [String: String]) async throws -> [String: String] {
        let output = try await Executables.runVigil(["serve", "--check-config"] + arguments, environment: unset.merging(environment) { _, new in new })
        #expect(output.status == 0, "\(arguments) \(environment): \(output.stderr)")
        var settings: [String: String] = [:]
        for line in output.stdout.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            settings[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return settings
    }

    @Test("each setting is its flag, else its VIGIL_* variable, else the default; checking opens no store")
    func flagBeatsEnvironmentBeatsDefault() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let fromEnvironment = folder.url.appendingPathComponent("env.sqlite").path
        let fromFlag = folder.url.appendingPathComponent("flag.sqlite").path
        let environment = ["VIGIL_DB": fromEnvironment, "VIGIL_ORG": "env-org", "VIGIL_BASE_URL": "https://env.example",
                           "VIGIL_LOG_FORMAT": "JSON", "VIGIL_SMTP_URL": "smtp://127.0.0.1:2525", "VIGIL_MAIL_FROM": "vigil@plant.example"]

        let defaults = try await Self.settings(["--port", "8181"], environment: [:])
        #expect(defaults["db"] == "vigil.sqlite")
        #expect(defaults["org"] == "default")
        #expect(defaults["base-url"] == "http://127.0.0.1:8181")
        #expect(defaults["log-format"] == "text")
        #expect(defaults["mail"]?.hasPrefix("off (VIGIL_SMTP_URL is not set") == true, "\(defaults)")
        #expect(defaults["role"] == "all")
        #expect(defaults["lease"] == "120s")

        let environmental = try await Self.settings([], environment: environment)
        #expect(environmental["db"] == fromEnvironment)
        #expect(environmental["org"] == "env-org")
        #expect(environmental["base-url"] == "https://env.example")
        #expect(environmental["log-format"] == "json")
        #expect(environmental["mail"] == "smtp://127.0.0.1:2525 from vigil@plant.example")

        let flagged = try await Self.settings(["--db", fromFlag, "--org", "flag-org", "--base-url", "https://flag.example",
                                               "--log-format", "text", "--role", "worker", "--lease", "1m", "--no-sync",
                                               "--metrics-port", "9191"], environment: environment)
        #expect(flagged["db"] == fromFlag)
        #expect(flagged["org"] == "flag-org")
        #expect(flagged["base-url"] == "https://flag.example")
        #expect(flagged["log-format"] == "text")
        #expect(flagged["role"] == "worker")
        #expect(flagged["lease"] == "60s")
        #expect(flagged["sync"] == "off")
        #expect(flagged["metrics"] == "http://127.0.0.1:9191/metrics")

        // A flag wins over a variable whose value would be refused: the variable is not even read.
        let overridden = try await Self.settings(["--log-format", "text", "--base-url", "https://flag.example"],
                                                 environment: ["VIGIL_LOG_FORMAT": "yaml", "VIGIL_BASE_URL": "not a url"])
        #expect(overridden["log-format"] == "text")
        #expect(overridden["base-url"] == "https://flag.example")

        #expect(!FileManager.default.fileExists(atPath: fromEnvironment) && !FileManager.default.fileExists(atPath: fromFlag),
                "--check-config must not create the store")
    }

    @Test("a value that cannot be used stops vigil serve with status 64 and a message naming its flag or variable")
    func invalidValuesNameTheirFlagOrVariable() async throws {
        let cases: [([String], [String: String], String)] = [
            ([], ["VIGIL_LOG_FORMAT": "yaml"], "VIGIL_LOG_FORMAT must be text or json, not yaml"),
            ([], ["VIGIL_BASE_URL": "vigil.example.org"], "VIGIL_BASE_URL must be an http:// or https:// URL"),
            (["--base-url", "ftp://vigil.example.org"], [:], "--base-url must be an http:// or https:// URL"),
            ([], ["VIGIL_SMTP_URL": "http://mail.example.org", "VIGIL_MAIL_FROM": "vigil@plant.example"],
             "VIGIL_SMTP_URL: the scheme must be smtp or smtps"),
            ([], ["VIGIL_SMTP_URL": "smtp://127.0.0.1:2525"], "VIGIL_MAIL_FROM: VIGIL_MAIL_FROM is not set"),
            (["--lease", "5s"], [:], "--lease must be a duration such as 30s or 2m (at least 10s), not 5s"),
            (["--poll-interval", "soon"], [:], "--poll-interval must be a duration"),
            (["--sync-concurrency", "0"], [:], "--sync-concurrency must be between 1 and 1000"),
            (["--port", "70000"], [:], "--port must be between 1 and 65535"),
            (["--signup", "anyone"], [:], "--signup must be invite-only or open"),
            (["--log-level", "loud"], [:], "--log-level must be one of"),
        ]
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.url.appendingPathComponent("never.sqlite").path
        for (arguments, environment, message) in cases {
            // Without --check-config: the real start refuses before it opens anything.
            let output = try await Executables.runVigil(["serve", "--db", database] + arguments,
                                                        environment: Self.unset.merging(environment) { _, new in new })
            #expect(output.status == 64, "\(arguments) \(environment): \(output.stderr)")
            #expect(output.stderr.contains(message), "\(arguments) \(environment): \(output.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test("SIGTERM or SIGINT: every role's service group shuts down, vigil serve exits 0, and the store can be restored over at once",
          arguments: [(SIGTERM, "all"), (SIGINT, "all"), (SIGTERM, "web"), (SIGTERM, "worker")])
    func signalShutsDownGracefully(signal: Int32, role: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.url.appendingPathComponent("vigil.sqlite").path
        let port = try LoopbackPort.free(), metricsPort = try LoopbackPort.free()
        // The metrics listener answers on every role, the worker's too: it says when the group is running.
        let server = try VigilServer(["serve", "--role", role, "--db", database, "--port", String(port), "--no-sync",
                                      "--metrics-port", String(metricsPort), "--log-level", "info"],
                                     folder: folder.url, environment: Self.unset)
        defer { server.stop() }
        try await Self.waitUntilAnswering("http://127.0.0.1:\(metricsPort)/metrics", server: server)
        if role != "worker" {
            try await Self.waitUntilAnswering("http://127.0.0.1:\(port)/healthz", server: server)
        }
        // Taken while the server runs (backups do not need the store to themselves).
        let backup = folder.url.appendingPathComponent("backup.sqlite").path
        let backedUp = try await Executables.runVigil(["backup", "--db", database, backup])
        #expect(backedUp.status == 0, "\(backedUp.stderr)")

        kill(server.process.processIdentifier, signal)
        var waited = 0
        while server.isRunning, waited < 600 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        #expect(!server.isRunning, "vigil serve --role \(role) still runs a minute after the signal: \(server.log)")
        guard !server.isRunning else { return }
        #expect(server.process.terminationReason == .exit, "killed by a signal instead of exiting: \(server.log)")
        #expect(server.process.terminationStatus == 0, "\(server.log)")
        #expect(!server.log.contains("error"), "\(server.log)")

        // A restore takes the store's lock exclusively and refuses while any process holds it: it succeeds right away.
        let restored = try await Executables.runVigil(["restore", "--db", database, "--no-keep", backup])
        #expect(restored.status == 0, "the store is still held after vigil serve exited: \(restored.stderr)")
        let stats = try await Executables.runVigil(["stats", "--db", database])
        #expect(stats.status == 0, "\(stats.stderr)")
    }

    @Test("SIGTERM while a webhook delivery is in flight: the pass finishes, the delivery is recorded as delivered, and it is sent once")
    func shutdownDrainsTheDeliveryInFlight() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.url.appendingPathComponent("vigil.sqlite").path
        // A receiver that takes four seconds to answer: the SIGTERM arrives while the request is open.
        let receiver = try SlowWebhookReceiver(folder: folder.url, delaySeconds: 4)
        defer { receiver.stop() }
        let added = try await Executables.runVigil(["channel", "add", "--db", database, "--org", "plant", "hook",
                                                    "webhook:http://127.0.0.1:\(receiver.port)/hook", "--allow-private-network"])
        #expect(added.status == 0, "\(added.stderr)")
        let (organisationID, deliveryID): (Int64, Int64)
        do {
            let store = try SQLiteStore(path: database)
            let org = try #require(try await store.organisation(named: "plant", create: false))
            let channel = try #require(try await store.channels(organisationID: org.id).first)
            organisationID = org.id
            deliveryID = try await store.enqueueTest(channelID: channel.id, organisationID: org.id, now: Date())
            await store.close()
        }

        let server = try VigilServer(["serve", "--role", "worker", "--no-sync", "--db", database, "--log-level", "info"],
                                     folder: folder.url, environment: Self.unset)
        defer { server.stop() }
        for _ in 0..<600 where receiver.received == 0 {
            guard server.isRunning else { throw TestSetupError("vigil serve exited: \(server.log)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(receiver.received == 1, "the delivery never reached the receiver: \(server.log)")
        #expect(receiver.answered == 0, "the receiver answered before the signal; the test proves nothing")
        kill(server.process.processIdentifier, SIGTERM)
        for _ in 0..<600 where server.isRunning {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!server.isRunning, "vigil serve still runs a minute after SIGTERM: \(server.log)")
        guard !server.isRunning else { return }
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0, "\(server.log)")
        #expect(receiver.answered == 1, "the request in flight was cut off: \(server.log)")

        let store = try SQLiteStore(path: database)
        let record = try #require(try await store.deliveries(organisationID: organisationID, status: nil, limit: 10).first { $0.id == deliveryID })
        #expect(record.status == .delivered, "left \(record.status) (\(record.lastError ?? "")): \(server.log)")
        #expect(record.attempts == 1)
        await store.close()
        #expect(receiver.received == 1, "sent more than once")
    }

    /// Fetches `url` until it answers 200; fails when the server exits first or after a minute.
    static func waitUntilAnswering(_ url: String, server: VigilServer) async throws {
        for _ in 0..<600 {
            guard server.isRunning else { throw TestSetupError("vigil serve exited: \(server.log)") }
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!),
               (response as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("nothing answered at \(url): \(server.log)")
    }
}

/// A webhook receiver (Python's http.server) that answers every POST with 200 after `delaySeconds`; counts what it
/// received and what it answered in files.
final class SlowWebhookReceiver: @unchecked Sendable {
    let process = ChildProcess()
    let port: Int
    let folder: URL

    static let script = #"""
import http.server, pathlib, sys, time
folder, delay = pathlib.Path(sys.argv[2]), float(sys.argv[3])
def mark(name):
    with open(folder / name, "a") as f:
        f.write("1\n")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mark("received")
        time.sleep(delay)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        mark("answered")
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
mark("ready")
server.serve_forever()
"""#

    init(folder: URL, delaySeconds: Double) throws {
        self.folder = folder.appendingPathComponent("receiver")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        port = try LoopbackPort.free()
        let scriptURL = self.folder.appendingPathComponent("receiver.py")
        try Data(Self.script.utf8).write(to: scriptURL)
        process.executableURL = URL(fileURLWithPath: try Executables.find("python3", hint: "install Python 3"))
        process.arguments = [scriptURL.path, String(port), self.folder.path, String(delaySeconds)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 where count("ready") == 0 {
            guard process.isRunning else { throw TestSetupError("the webhook receiver exited with status \(process.terminationStatus)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    private func count(_ name: String) -> Int {
        ((try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    var received: Int { count("received") }
    var answered: Int { count("answered") }

    /// SIGKILL: a child of the test process may inherit a signal mask that blocks SIGTERM.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
