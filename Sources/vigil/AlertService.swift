import Alerts
import Logging
import ServiceLifecycle
import Store

/// Creates alerts for newly stored advisory revisions every few seconds inside `vigil serve`, so the delay from a
/// poll that stores a revision to its alert is bounded by this interval, not by the poll interval.
struct AlertService: Service {
    let store: SQLiteStore
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async throws {
        let creator = AlertCreator(store: store)
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
                try await Task.sleep(for: interval)
            }
        }
    }
}
