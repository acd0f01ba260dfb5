/// Every metric `vigil serve` exposes on `--metrics-port`, named in one place. One instance per process (made by
/// `vigil serve`, passed to the scheduler, the alert creator, the dispatcher and the web middleware); tests make
/// their own, so nothing leaks between them. Counters and histograms move as events happen; the gauges read from the
/// store are set by the scrape handler just before it renders.
public final class VigilMetrics: Sendable {
    public let registry = MetricsRegistry()

    // Sources: counted by the scheduler; the backoff state is read from the store at scrape time.
    public let sourcePolls: CounterFamily
    public let sourcePollFailures: CounterFamily
    public let sourceConsecutiveFailures: GaugeFamily
    public let sourcePollInterval: GaugeFamily
    public let sourceState: GaugeFamily

    // The store, at scrape time.
    public let documents: GaugeFamily
    public let quarantinedDocuments: GaugeFamily
    public let storeSize: GaugeFamily

    // Alerts and their delivery.
    public let alertsCreated: CounterFamily
    public let deliveries: CounterFamily
    public let outboxPending: GaugeFamily
    public let outboxOldestDueAge: GaugeFamily
    public let alertLatency: HistogramFamily
    public let deliveryLatency: HistogramFamily

    // The web server.
    public let httpRequestDuration: HistogramFamily

    /// The source states `vigil_source_state` has a series for (each source has 1 in exactly one of them).
    public static let sourceStates = ["disabled", "pending", "ok", "degraded", "unreachable"]
    /// What `vigil_alerts_created_total{reason}` tells apart.
    public enum AlertReason: String, Sendable, CaseIterable {
        case newAdvisory = "new_advisory"
        case revision
        case knownExploited = "known_exploited"
    }
    /// What became of one delivery attempt (`vigil_deliveries_total{outcome}`).
    public enum DeliveryOutcome: String, Sendable, CaseIterable {
        /// Accepted by the mail server or the webhook.
        case sent
        /// Failed for now; it will be tried again.
        case retried
        /// Failed for good (a permanent error, or it kept failing until the give-up time).
        case failed
    }
    /// The channel kinds (`NotificationChannel.Kind` raw values) declared at 0 from the start.
    public static let channelKinds = ["email", "webhook", "slack", "teams"]

    public init() {
        sourcePolls = registry.register(CounterFamily(
            name: "vigil_source_polls_total", help: "Syncs of a source this process finished (successful or not).", labelNames: ["source"]))
        sourcePollFailures = registry.register(CounterFamily(
            name: "vigil_source_poll_failures_total", help: "Syncs of a source this process finished that failed.", labelNames: ["source"]))
        sourceConsecutiveFailures = registry.register(GaugeFamily(
            name: "vigil_source_consecutive_failures", help: "Failed syncs in a row of a source (0 once it answers).", labelNames: ["source"]))
        sourcePollInterval = registry.register(GaugeFamily(
            name: "vigil_source_poll_interval_seconds", help: "The interval a source is polled with now, before backoff.", labelNames: ["source"]))
        sourceState = registry.register(GaugeFamily(
            name: "vigil_source_state", help: "1 for the state a source is in (disabled, pending, ok, degraded, unreachable), 0 for the others.",
            labelNames: ["source", "state"]))
        documents = registry.register(GaugeFamily(
            name: "vigil_documents", help: "Stored documents (every revision) by the outcome of their integrity check.", labelNames: ["integrity"]))
        quarantinedDocuments = registry.register(GaugeFamily(
            name: "vigil_quarantined_documents", help: "Files kept in quarantine (rejected or failing their integrity check)."))
        storeSize = registry.register(GaugeFamily(
            name: "vigil_store_size_bytes", help: "The size of the store: the SQLite file with its WAL, or the PostgreSQL database."))
        alertsCreated = registry.register(CounterFamily(
            name: "vigil_alerts_created_total", help: "Alerts this process created, by what they announce.", labelNames: ["reason"]))
        deliveries = registry.register(CounterFamily(
            name: "vigil_deliveries_total", help: "Delivery attempts this process made, by channel kind and outcome.",
            labelNames: ["channel_kind", "outcome"]))
        outboxPending = registry.register(GaugeFamily(
            name: "vigil_outbox_pending_deliveries", help: "Deliveries waiting in the outbox (pending or being sent)."))
        outboxOldestDueAge = registry.register(GaugeFamily(
            name: "vigil_outbox_oldest_due_age_seconds", help: "How long the longest-overdue delivery has been due (0 when none is due)."))
        alertLatency = registry.register(HistogramFamily(
            name: "vigil_alert_latency_seconds",
            help: "From an advisory's publication (its current_release_date, else when Vigil stored it) to its alert's creation.",
            buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 259200, 604800]))
        deliveryLatency = registry.register(HistogramFamily(
            name: "vigil_delivery_latency_seconds", help: "From an alert's creation to its delivery to a channel (digests and tests left out).",
            buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400]))
        httpRequestDuration = registry.register(HistogramFamily(
            name: "vigil_http_request_duration_seconds",
            help: "Time to answer a web or API request, by method, route template (unmatched for no route) and status.",
            labelNames: ["method", "route", "status"],
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]))
        for reason in AlertReason.allCases { alertsCreated.declare([reason.rawValue]) }
        for kind in Self.channelKinds {
            for outcome in DeliveryOutcome.allCases { deliveries.declare([kind, outcome.rawValue]) }
        }
    }

    /// The scheduler finished a sync of `source`.
    public func sourcePolled(_ source: String, failed: Bool) {
        sourcePolls.increment([source])
        sourcePollFailures.increment([source], by: failed ? 1 : 0)
    }

    /// An alert was stored; `latency` is seconds since the advisory's publication.
    public func alertCreated(_ reason: AlertReason, latency: Double?) {
        alertsCreated.increment([reason.rawValue])
        if let latency { alertLatency.observe([], max(latency, 0)) }
    }

    /// A delivery attempt ended; `latency` (seconds since its alert was created) only for a delivery that was sent.
    public func deliveryAttempted(channelKind: String, outcome: DeliveryOutcome, latency: Double?) {
        deliveries.increment([channelKind, outcome.rawValue])
        if let latency { deliveryLatency.observe([], max(latency, 0)) }
    }

    /// One web request was answered.
    public func httpRequest(method: String, route: String, status: Int, seconds: Double) {
        httpRequestDuration.observe([method, route, String(status)], seconds)
    }

    /// The scrape's answer: every family in the text exposition format.
    public func render() -> String { registry.render() }
}
