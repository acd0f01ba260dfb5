import Logging
import Storage
import Telemetry

/// The alert work of `vigil serve`: every `interval`, creates alerts for newly stored advisory revisions and sends what
/// is due in the outbox (one `AlertLoop` pass), so the delay from a poll that stores a revision to the message is bounded
/// by this interval, not by the poll interval. Runs until its task is cancelled.
///
/// Errors: a pass that fails (the store unavailable, a mail server down) is transient by nature. `AlertLoop` logs it
/// at error level with the reason and the phase (creation or delivery), and the next pass retries it, less often while
/// failures go on (`AlertLoop.wait`); when passes succeed again after failing, one notice line says how many failed.
/// Nothing is swallowed without a line in the log, and no such failure stops the service: the web server and the
/// source polling of the same process keep running, and `/metrics` shows the outbox growing.
///
/// Stopping: cancellation never interrupts a pass under way. Deliveries the pass has claimed are sent and recorded,
/// so stopping a node never sends a message twice (the other nodes would take up a claim left unrecorded once its
/// lease lapsed, and send it again). Only a pass still running `shutdownGrace` after the cancellation is itself
/// cancelled; its claimed deliveries are then retried by whichever node claims them after their lease.
public struct AlertService: Sendable {
    let loop: AlertLoop
    let logger: Logger
    /// How long a pass under way may still run once the service is cancelled.
    public var shutdownGrace: Duration

    public init(store: any VigilStore, dispatcher: AlertDispatcher, logger: Logger, metrics: VigilMetrics? = nil,
                interval: Duration = .seconds(1), shutdownGrace: Duration = .seconds(20)) {
        loop = AlertLoop(store: store, dispatcher: dispatcher, logger: logger, metrics: metrics, interval: interval)
        self.logger = logger
        self.shutdownGrace = shutdownGrace
    }

    /// Runs passes until the task is cancelled; returns once the pass under way (if any) has finished.
    public func run() async {
        var failures = 0
        while !Task.isCancelled {
            let succeeded = await finishingPass()
            if succeeded, failures > 0 {
                logger.notice("alert passes succeed again", metadata: ["failedPasses": "\(failures)"])
            }
            failures = succeeded ? 0 : failures + 1
            do {
                try await loop.sleep(AlertLoop.wait(afterFailures: failures, interval: loop.interval, maxBackoff: loop.maxBackoff))
            } catch {
                break // cancelled while waiting: nothing is under way
            }
        }
    }

    /// One pass, in a task of its own so that cancelling this one does not cut it short; cancelled itself only when
    /// it is still running `shutdownGrace` after this task was.
    private func finishingPass() async -> Bool {
        let (loop, grace) = (self.loop, shutdownGrace)
        let pass = Task { await loop.runOnce() }
        let succeeded = await withTaskCancellationHandler {
            await pass.value
        } onCancel: {
            // Cancelling a pass that has finished does nothing.
            Task {
                try? await Task.sleep(for: grace)
                pass.cancel()
            }
        }
        if pass.isCancelled {
            logger.warning("the alert pass was still running \(grace) after the shutdown began and was cancelled; its claimed deliveries are retried after their lease")
        }
        return succeeded
    }
}
