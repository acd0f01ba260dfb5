import Alerts
import Logging
import ServiceLifecycle
import Store
import Telemetry

/// Inside `vigil serve`: every second, creates alerts for newly stored advisory revisions and sends what is due
/// in the outbox, so the delay from a poll that stores a revision to the message is bounded by this interval, not by
/// the poll interval.
struct AlertService: Service {
    let store: any VigilStore
    let dispatcher: AlertDispatcher
    let logger: Logger
    /// Where created alerts are counted (`--metrics-port`); nil counts nothing.
    var metrics: VigilMetrics? = nil
    var interval: Duration = .seconds(1)

    func run() async throws {
        let creator = AlertCreator(store: store, metrics: metrics)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let summary = try await creator.processPending()
                    if summary.alertsCreated > 0 {
                        logger.info("alerts created", metadata: ["alerts": "\(summary.alertsCreated)",
                                                                 "revisions": "\(summary.changesProcessed)"])
                    }
                } catch {
                    // Left pending: the next pass retries, and alerts are unique by key, so none is created twice.
                    logger.error("alert creation failed; retrying", metadata: ["error": "\(error)"])
                }
                do {
                    let sent = try await dispatcher.runOnce()
                    if sent.delivered + sent.failed + sent.retrying > 0 {
                        logger.info("alerts delivered", metadata: ["delivered": "\(sent.delivered)", "retrying": "\(sent.retrying)",
                                                                   "failed": "\(sent.failed)"])
                    }
                } catch {
                    // Claimed deliveries keep their lease and are taken up again when it expires.
                    logger.error("alert delivery pass failed; retrying", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
