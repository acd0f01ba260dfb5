import Alerts
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Sources
import Storage
import Store
import Synchronization
import Telemetry
import Web

/// `vigil serve`'s one wiring place: builds the store, the HTTP clients, the source scheduler, the alert service, the
/// web server and the metrics listener from a `ServeConfiguration`, and runs them as the services of one
/// `ServiceGroup`, whatever the role (a role only leaves services out).
///
/// Shutdown: SIGTERM or SIGINT starts a graceful shutdown, which stops the services in the reverse of their order in
/// the group: the metrics listener, the web server (requests under way are answered), the alert service (the pass
/// under way finishes, so claimed deliveries are sent and recorded; see `AlertService`), the scheduler (syncs under way
/// are cancelled; a sync resumes from the listings on the next start), and last `ServeResources`, which shuts the HTTP
/// clients down and closes the store. A service that fails starts the same ordered shutdown, and `vigil serve` exits
/// with its error. After `maximumGracefulShutdown` the services still running are cancelled.
enum ServeNode {
    static let maximumGracefulShutdown: Duration = .seconds(30)

    static func run(_ configuration: ServeConfiguration) async throws {
        LogFormatOption.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        let say = { (text: String, level: Logger.Level) in LogFormatOption.say(text, format: configuration.logFormat, level: level) }
        let store: any VigilStore
        do {
            store = try await configuration.store.open(environment: configuration.environment)
        } catch {
            say("vigil serve: \(error)", .error)
            throw ExitCode(2)
        }
        // From here the store (and the clients made below) are closed once, however the run ends.
        let resources = ServeResources(store: store)
        var failure: (any Error)?
        do {
            try await prepare(store, configuration, say: say)
            let group = try await serviceGroup(configuration, resources: resources, say: say)
            try await group.run()
        } catch {
            failure = error
        }
        await resources.close()
        if let failure { throw failure }
    }

    /// `--import`, then the catalogue's sources seeded on a new store.
    static func prepare(_ store: any VigilStore, _ configuration: ServeConfiguration, say: (String, Logger.Level) -> Void) async throws {
        if !configuration.importPaths.isEmpty {
            let started = ContinuousClock.now
            let summary = try await LocalImporter().run(paths: configuration.importPaths, into: store)
            say(ImportReport.text(summary, seconds: (ContinuousClock.now - started).seconds, database: configuration.store.description), .notice)
            for error in summary.errors { say("rejected \(error.path): \(error.reason)", .notice) }
        }
        do {
            _ = try await store.seedSourcesOnce(SourceCatalogue.seedRecords())
        } catch {
            say("vigil serve: \(error)", .error)
            throw ExitCode(2)
        }
    }

    /// Every service this node runs, in start order (shutdown goes the other way), in one group.
    static func serviceGroup(_ configuration: ServeConfiguration, resources: ServeResources,
                             say: (String, Logger.Level) -> Void) async throws -> ServiceGroup {
        func logger(_ label: String) -> Logger {
            var logger = Logger(label: label)
            logger.logLevel = configuration.logLevel
            return logger
        }
        let store = resources.store
        let role = configuration.role
        // One set of metrics for the process, only when something scrapes it.
        let metrics = configuration.metrics.map { _ in VigilMetrics() }
        let lease = configuration.lease.map(TimeInterval.init)
        // Named for the lifecycle's log lines (`sl-service`).
        var services: [(name: String, service: any Service)] = [("store and HTTP clients", resources)]
        var holder: String?
        if role.works {
            if configuration.polls {
                let fetcher = HTTPFetcher(policy: configuration.fetchPolicy)
                resources.add(fetcher)
                let scheduler = SourceScheduler(store: store, fetcher: fetcher, logger: logger("vigil.sources"),
                                                concurrency: configuration.syncConcurrency, pollInterval: configuration.pollInterval,
                                                lease: lease ?? 120, metrics: metrics, environment: configuration.environment)
                holder = scheduler.holder
                services.append(("source scheduler", scheduler))
            }
            let delivery = DeliveryRuntime(store: store, smtp: configuration.smtp, baseURL: configuration.baseURL, lease: lease, metrics: metrics)
            resources.add(delivery)
            if let problem = configuration.mailProblem { say("note: \(problem)", .notice) }
            services.append(("alert service", AlertWork(service: AlertService(store: store, dispatcher: delivery.dispatcher,
                                                                              logger: logger("vigil.alerts"), metrics: metrics))))
        }
        if role.servesWeb {
            if configuration.signup == .open, configuration.smtp == nil {
                say("note: --signup open needs VIGIL_SMTP_URL and VIGIL_MAIL_FROM to mail confirmation links; until then there is no sign-up page", .notice)
            }
            do {
                services.append(("web server", try await buildApplication(configuration.web, store: store,
                                                                          sourcesWithoutFeed: SourceCatalogue.withoutFeed.map { SourceWithoutFeed(name: $0.name, page: $0.page, note: $0.note) },
                                                                          metrics: metrics,
                                                                          sourceAdministration: SourceAdministrator(store: store, policy: configuration.fetchPolicy,
                                                                                                                    environment: configuration.environment))))
            } catch {
                say("vigil serve: \(error)", .error)
                throw ExitCode(2)
            }
        }
        var metricsNote = ""
        if let metrics, let listener = configuration.metrics {
            services.append(("metrics listener", MetricsEndpoint(metrics: metrics, store: store, logger: logger("vigil.metrics"))
                .application(host: listener.host, port: listener.port)))
            metricsNote = "; metrics at http://\(listener.host):\(listener.port)/metrics"
        }

        let enabled = try await store.sources().filter(\.enabled).count
        if role.servesWeb {
            let work = role == .web ? " (web only: another node polls and alerts)" : !configuration.polls ? " (not polling sources)" : " and polling \(enabled) sources"
            say("Vigil is serving \(store.path) at http://\(configuration.host):\(configuration.port)/" + work + metricsNote, .notice)
        } else {
            let name = holder ?? SourceScheduler.nodeName()
            say("Vigil worker \(name) on \(store.path): " + (configuration.polls ? "polling \(enabled) sources and sending alerts" : "alerts only (not polling sources)") + metricsNote, .notice)
        }

        var group = ServiceGroupConfiguration(
            services: services.map { .init(service: $0.service, failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: $0.name) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger("vigil"))
        group.maximumGracefulShutdownDuration = maximumGracefulShutdown
        group.maximumCancellationDuration = .seconds(10)
        return ServiceGroup(configuration: group)
    }
}

/// What outlives every other service of `vigil serve`: the store and the HTTP clients. First in the group, so stopped
/// last: its graceful shutdown comes once every service using them has stopped, and closes them. `ServeNode.run` also
/// calls `close` after the group has returned, whichever way it ended (a failure before the group ran, a cancelled
/// shutdown); it acts once.
final class ServeResources: Service, Sendable {
    let store: any VigilStore
    private let state = Mutex<(closed: Bool, fetchers: [HTTPFetcher], deliveries: [DeliveryRuntime])>((false, [], []))

    init(store: any VigilStore) {
        self.store = store
    }

    func add(_ fetcher: HTTPFetcher) { state.withLock { $0.fetchers.append(fetcher) } }
    func add(_ delivery: DeliveryRuntime) { state.withLock { $0.deliveries.append(delivery) } }

    func run() async throws {
        do {
            // Returns at the graceful shutdown, once the services after this one in the group have stopped.
            try await gracefulShutdown()
        } catch {
            // Cancelled (the shutdown overran its time): other services may still be ending; `ServeNode.run` closes
            // everything once the group has returned.
            return
        }
        await close()
    }

    /// Shuts the HTTP clients down, then closes the store; once.
    func close() async {
        let owned = state.withLock { state -> (fetchers: [HTTPFetcher], deliveries: [DeliveryRuntime])? in
            guard !state.closed else { return nil }
            state.closed = true
            return (state.fetchers, state.deliveries)
        }
        guard let (fetchers, deliveries) = owned else { return }
        for delivery in deliveries { await delivery.shutdown() }
        for fetcher in fetchers { await fetcher.shutdown() }
        await store.close()
    }
}

/// `AlertService` as a service of the group: cancelled at the graceful shutdown, which lets the pass under way finish
/// (`AlertService.run`). (`Alerts` does not depend on swift-service-lifecycle; once it does, `AlertService` can be
/// the `Service` itself.)
struct AlertWork: Service {
    let service: AlertService

    func run() async throws {
        // Returns once the run has returned after its last pass.
        await cancelWhenGracefulShutdown { await service.run() }
    }
}
