import CSAF
import Foundation
import Hummingbird
import Logging
import Storage
import Telemetry

/// `vigil serve --metrics-port`: a listener of its own answering `GET /metrics` in the Prometheus text format, and
/// 404 to anything else. It runs on every role (a worker has no web server, yet is scraped), and is kept off the web
/// port so that the operators' network, not the public one, reaches it.
public struct MetricsEndpoint: Sendable {
    let metrics: VigilMetrics
    let store: any VigilStore
    let logger: Logger

    public init(metrics: VigilMetrics, store: any VigilStore, logger: Logger = Logger(label: "vigil.metrics")) {
        self.metrics = metrics
        self.store = store
        self.logger = logger
    }

    /// The listener as a service for the serve command's service group.
    public func application(host: String, port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in try await self.scrape() }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Vigil metrics"),
                           logger: logger)
    }

    /// Reads the store's gauges, then renders every metric.
    func scrape() async throws -> Response {
        do {
            try await refreshStoreGauges(now: Date())
        } catch {
            logger.error("metrics: could not read the store", metadata: ["error": "\(error)"])
            throw HTTPError(.serviceUnavailable, message: "The store could not be read; see the server log.")
        }
        var headers = HTTPFields()
        headers[.contentType] = PrometheusText.contentType
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }

    /// Sets the gauges that come from the store: sources' backoff state, documents, quarantine, outbox, size.
    public func refreshStoreGauges(now: Date) async throws {
        let reading = try await store.metricsReading(now: now)
        let sources = try await store.sources()
        Self.apply(reading, sources: sources, now: now, to: metrics)
    }

    static func apply(_ reading: StoreMetricsReading, sources: [SourceRecord], now: Date, to metrics: VigilMetrics) {
        var failures: [[String]: Double] = [:], intervals: [[String]: Double] = [:], states: [[String]: Double] = [:]
        for source in sources {
            // Each source's counters exist (at 0) from the first scrape, so a rate over them is defined before its first poll.
            metrics.sourcePolls.declare([source.slug])
            metrics.sourcePollFailures.declare([source.slug])
            failures[[source.slug]] = Double(source.consecutiveFailures)
            intervals[[source.slug]] = Double(source.effectiveInterval)
            for state in Set(VigilMetrics.sourceStates + [source.health.rawValue]) {
                states[[source.slug, state]] = state == source.health.rawValue ? 1 : 0
            }
        }
        metrics.sourceConsecutiveFailures.replaceAll(failures)
        metrics.sourcePollInterval.replaceAll(intervals)
        metrics.sourceState.replaceAll(states)
        // Every integrity status has a series, at 0 when no document has it, so an alert rule can watch any of them.
        var documents = Dictionary(uniqueKeysWithValues: IntegrityStatus.allCases.map { ([$0.rawValue], 0.0) })
        for (status, count) in reading.documentsByIntegrity { documents[[status], default: 0] += Double(count) }
        metrics.documents.replaceAll(documents)
        metrics.quarantinedDocuments.set(Double(reading.quarantined))
        metrics.outboxPending.set(Double(reading.pendingDeliveries))
        metrics.outboxOldestDueAge.set(reading.oldestDue.map { max(now.timeIntervalSince($0), 0) } ?? 0)
        metrics.storeSize.set(Double(reading.sizeBytes))
    }
}
