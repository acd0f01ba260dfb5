import Alerts
import Logging
import ServiceLifecycle
import Store
import Telemetry

/// Inside `vigil serve`: every second, creates alerts for newly stored advisory revisions and sends what is due
/// in the outbox (`AlertLoop`), so the delay from a poll that stores a revision to the message is bounded by this
/// interval, not by the poll interval. A failing pass is logged and retried, less often while failures go on.
struct AlertService: Service {
    let store: any VigilStore
    let dispatcher: AlertDispatcher
    let logger: Logger
    /// Where created alerts are counted (`--metrics-port`); nil counts nothing.
    var metrics: VigilMetrics? = nil
    var interval: Duration = .seconds(1)

    func run() async throws {
        let loop = AlertLoop(store: store, dispatcher: dispatcher, logger: logger, metrics: metrics, interval: interval)
        // Failures are logged and retried inside the loop; what ends it is the shutdown (a cancelled sleep).
        try? await cancelWhenGracefulShutdown { try await loop.run() }
    }
}
