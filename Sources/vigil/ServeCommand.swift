import Alerts
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Sources
import Store
import Telemetry
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

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        if let metricsPort {
            guard (1...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be between 1 and 65535") }
            if role.servesWeb, metricsPort == port {
                throw ValidationError("--metrics-port must differ from --port (\(port)): the metrics have a listener of their own")
            }
        } else if metricsHost != nil {
            throw ValidationError("--metrics-host needs --metrics-port")
        }
        if let metricsHost, metricsHost.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--metrics-host must be an address such as 127.0.0.1")
        }
        if let lease, ServeCommand.seconds(lease) == nil {
            throw ValidationError("--lease must be a duration such as 30s or 2m (at least 10s), not \(lease)")
        }
        if let pollInterval, ServeCommand.seconds(pollInterval) == nil {
            throw ValidationError("--poll-interval must be a duration such as 30s, 5m or 1h (at least 10s), not \(pollInterval)")
        }
        guard (1...1000).contains(syncConcurrency) else { throw ValidationError("--sync-concurrency must be between 1 and 1000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        guard AccountSettings.SignupPolicy(rawValue: signup) != nil else { throw ValidationError("--signup must be invite-only or open") }
        if let trustedProxyHeader, !AccountSettings.isHeaderName(trustedProxyHeader) {
            throw ValidationError("--trusted-proxy-header must be a header name such as X-Forwarded-For, not \(trustedProxyHeader)")
        }
    }

    func run() async throws {
        logging.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
        if !importPaths.isEmpty {
            let store = try await database.open()
            let started = ContinuousClock.now
            let summary = try await LocalImporter().run(paths: importPaths, into: store)
            logging.say(ImportReport.text(summary, seconds: (ContinuousClock.now - started).seconds, database: database.location.description))
            for error in summary.errors { logging.say("rejected \(error.path): \(error.reason)") }
        }
        let environmentBase = ProcessInfo.processInfo.environment["VIGIL_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let publicBase = baseURL ?? environmentBase ?? "http://\(host):\(port)"
        // Account emails (verification, reset) use the alert mail settings; a malformed VIGIL_SMTP_URL is reported below.
        let mailer = (try? SMTPConfiguration(environment: ProcessInfo.processInfo.environment)).map { SMTPAccountMailer(configuration: $0) }
        let signupPolicy = AccountSettings.SignupPolicy(rawValue: signup) ?? .inviteOnly
        if signupPolicy == .open, mailer == nil {
            logging.say("note: --signup open needs VIGIL_SMTP_URL and VIGIL_MAIL_FROM to mail confirmation links; until then there is no sign-up page")
        }
        var configuration = WebConfiguration(host: host, port: port, databasePath: database.path,
                                             logLevel: Logger.Level(rawValue: logLevel) ?? .info,
                                             organisation: organisation.name,
                                             accounts: AccountSettings(baseURL: publicBase, signup: signupPolicy, mailer: mailer,
                                                                       trustedProxyHeader: trustedProxyHeader),
                                             limits: limits.limits)
        configuration.logFormat = logging.format
        let store: any VigilStore
        do {
            store = try await database.open()
            _ = try await store.seedSourcesOnce(SourceCatalogue.seedRecords())
        } catch {
            logging.say("vigil serve: \(error)", level: .error)
            throw ExitCode(2)
        }
        var logger = Logger(label: "vigil.sources")
        logger.logLevel = configuration.logLevel
        let fetcher = HTTPFetcher(policy: fetch.policy)
        // One set of metrics for the process, only when something scrapes it.
        let metrics = metricsPort.map { _ in VigilMetrics() }
        let delivery: DeliveryRuntime
        do {
            delivery = try DeliveryRuntime(store: store, baseURL: publicBase, lease: lease.flatMap(ServeCommand.seconds).map(Double.init),
                                           metrics: metrics)
        } catch {
            await fetcher.shutdown()
            logging.say("vigil serve: \(error)", level: .error)
            throw ExitCode(2)
        }
        if let problem = delivery.mailProblem { logging.say("note: \(problem)") }
        let alerts = AlertService(store: store, dispatcher: delivery.dispatcher, logger: Logger(label: "vigil.alerts"), metrics: metrics)
        let scheduler = SourceScheduler(store: store, fetcher: fetcher, logger: logger, concurrency: syncConcurrency,
                                        pollInterval: pollInterval.flatMap(ServeCommand.seconds),
                                        lease: lease.flatMap(ServeCommand.seconds).map(Double.init) ?? 120, metrics: metrics)
        var services: [any Service] = role.works ? (noSync ? [] : [scheduler]) + [alerts] : []
        var metricsNote = ""
        if let metrics, let metricsPort {
            var metricsLogger = Logger(label: "vigil.metrics")
            metricsLogger.logLevel = configuration.logLevel
            services.append(MetricsEndpoint(metrics: metrics, store: store, logger: metricsLogger)
                .application(host: metricsHost ?? "127.0.0.1", port: metricsPort))
            metricsNote = "; metrics at http://\(metricsHost ?? "127.0.0.1"):\(metricsPort)/metrics"
        }
        if !role.servesWeb {
            let enabled = try await store.sources().filter(\.enabled).count
            logging.say("Vigil worker \(scheduler.holder) on \(store.path): " + (noSync ? "alerts only (not polling sources)" : "polling \(enabled) sources and sending alerts") + metricsNote)
            var lifecycleLogger = Logger(label: "vigil")
            lifecycleLogger.logLevel = configuration.logLevel
            let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                          gracefulShutdownSignals: [.sigterm, .sigint], logger: lifecycleLogger))
            do {
                try await group.run()
            } catch {
                await fetcher.shutdown()
                await delivery.shutdown()
                throw error
            }
            await fetcher.shutdown()
            await delivery.shutdown()
            await store.close()
            return
        }
        let app: any ApplicationProtocol
        do {
            app = try await buildApplication(configuration, store: store, services: services,
                                             sourcesWithoutFeed: SourceCatalogue.withoutFeed.map { SourceWithoutFeed(name: $0.name, page: $0.page, note: $0.note) },
                                             metrics: metrics)
        } catch {
            await fetcher.shutdown()
            await delivery.shutdown()
            logging.say("vigil serve: \(error)", level: .error)
            throw ExitCode(2)
        }
        let enabled = try await store.sources().filter(\.enabled).count
        let work = role == .web ? " (web only: another node polls and alerts)" : noSync ? " (not polling sources)" : " and polling \(enabled) sources"
        logging.say("Vigil is serving \(store.path) at http://\(host):\(port)/" + work + metricsNote)
        do {
            try await app.runService()
        } catch {
            await fetcher.shutdown()
            await delivery.shutdown()
            throw error
        }
        await fetcher.shutdown()
        await delivery.shutdown()
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
