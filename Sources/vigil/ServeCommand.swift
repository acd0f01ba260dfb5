import ArgumentParser
import Foundation
import Logging
import Web

/// `vigil serve`: the web interface, JSON API and Atom feed over the store.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web interface, JSON API and Atom feed.",
        discussion: "Open http://127.0.0.1:8080 once it runs. Import advisories first with `vigil import PATH`, or while it runs.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var organisation: AssetsCommand.OrganisationOption

    @Option(help: "The address to listen on. Use 0.0.0.0 to listen on every interface.")
    var host = "127.0.0.1"

    @Option(help: "The TCP port to listen on.")
    var port = 8080

    @Option(name: .customLong("import"), help: ArgumentHelp("Import these files or folders before serving (as `vigil import` does).", valueName: "path"))
    var importPaths: [String] = []

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    @OptionGroup var logging: LogFormatOption

    @Option(name: .customLong("base-url"), help: ArgumentHelp("Where people reach this server, for the links in alert messages (default: $VIGIL_BASE_URL, else http://HOST:PORT).", valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Poll every source this often while serving (30s, 5m, 1h), instead of each source's own interval.", valueName: "duration"))
    var pollInterval: String?

    @OptionGroup(title: "Fetching from providers") var fetch: FetchOptions
    @Option(name: .customLong("sync-concurrency"), help: ArgumentHelp("Sources synced at once (default 32); each source keeps its own schedule.", valueName: "n"))
    var syncConcurrency = 32
    @Flag(help: "Do not poll sources (serve what is stored; for air-gapped sites that import by hand).")
    var noSync = false

    @Option(help: ArgumentHelp("Who may create an account in the browser: invite-only (default; vigil users add) or open.", valueName: "policy"))
    var signup = "invite-only"

    @Option(name: .customLong("trusted-proxy-header"), help: ArgumentHelp("""
        The header in which the reverse proxy in front of Vigil names the client, such as X-Forwarded-For (its last \
        entry is used), for the limit on sign-in attempts per client address. Default: the connection's address. Set \
        it only behind a proxy that sets the header, since any client can send it.
        """, valueName: "name"))
    var trustedProxyHeader: String?

    @OptionGroup(title: "Limits on clients (defaults as a reverse proxy would set them)") var limits: ServerLimitOptions

    @Option(help: ArgumentHelp("""
        What this node does: all (default: web pages and API, source polling, alerts), web (pages and API only) or \
        worker (polling and alerts, no web server). Several nodes share one PostgreSQL database (--db postgres://…).
        """, valueName: "role"))
    var role: Role = .all

    @Option(help: ArgumentHelp("""
        How long this node's claim on a source poll or an outbox delivery lasts (default 2m): how soon other nodes take \
        over the work of a node that died. A delivery must be sent within it, or another node may send it again.
        """, valueName: "duration"))
    var lease: String?

    @Option(name: .customLong("metrics-port"), help: ArgumentHelp("""
        Serve Prometheus metrics at http://METRICS-HOST:PORT/metrics, on a listener of its own (off unless given; on \
        every role, the worker's too).
        """, valueName: "port"))
    var metricsPort: Int?

    @Option(name: .customLong("metrics-host"), help: ArgumentHelp("""
        The address the metrics listener binds (default 127.0.0.1; 0.0.0.0 for every interface). Only with --metrics-port.
        """, valueName: "addr"))
    var metricsHost: String?

    enum Role: String, ExpressibleByArgument, CaseIterable {
        case all, web, worker
        var servesWeb: Bool { self != .worker }
        var works: Bool { self != .web }
    }

    @Flag(name: .customLong("check-config"), help: """
        Check the flags and the VIGIL_* variables, print the settings in force (flag, else variable, else default) and \
        exit without opening the store.
        """)
    var checkConfig = false

    /// Checked here, before `run`, so that a wrong value is reported with the usage; `run` resolves it again.
    func validate() throws {
        _ = try resolved()
    }

    func run() async throws {
        let configuration = try resolved()
        if checkConfig {
            print(configuration.summary)
            return
        }
        try await ServeNode.run(configuration)
    }

    /// The configuration from these flags and this process's environment (the one place `vigil serve` reads it).
    func resolved() throws -> ServeConfiguration {
        do {
            return try ServeConfiguration(self, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.message)
        }
    }
}

extension ServeCommand {
    /// `30s`, `5m`, `1h`, or plain seconds; nil for anything else or under 10 seconds.
    static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let value = Int(trimmed.dropLast()), value > 0 else { return nil }
            return value * factor >= 10 ? value * factor : nil
        }
        guard let value = Int(trimmed), value >= 10 else { return nil }
        return value
    }
}
