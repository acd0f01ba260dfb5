import Logging
import Storage
import Telemetry

/// The work `vigil serve` does for alerts, pass after pass until cancelled: creates alerts for newly stored advisory
/// revisions, then sends what is due in the outbox. A pass that fails is logged (error level, with the reason) and
/// the loop goes on; while passes keep failing (the database down, say) it waits longer between them, doubling up to
/// `maxBackoff`, so a broken store is neither hammered nor flooded into the log. One good pass restores `interval`.
public struct AlertLoop: Sendable {
    let creator: AlertCreator
    let dispatcher: AlertDispatcher
    let logger: Logger
    /// The wait between passes while they succeed: the bound on the delay from a stored revision to its message.
    public var interval: Duration
    /// The longest wait between failing passes.
    public var maxBackoff: Duration
    /// How the loop waits (tests record the waits instead of sleeping them out).
    let sleep: @Sendable (Duration) async throws -> Void

    public init(store: any AlertingStore, dispatcher: AlertDispatcher, logger: Logger, metrics: VigilMetrics? = nil,
                interval: Duration = .seconds(1), maxBackoff: Duration = .seconds(60),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        creator = AlertCreator(store: store, metrics: metrics)
        self.dispatcher = dispatcher
        self.logger = logger
        self.interval = interval
        self.maxBackoff = maxBackoff
        self.sleep = sleep
    }

    /// Runs passes until the task is cancelled (or `sleep` throws).
    public func run() async throws {
        var failures = 0
        while !Task.isCancelled {
            failures = await runOnce() ? 0 : failures + 1
            try await sleep(Self.wait(afterFailures: failures, interval: interval, maxBackoff: maxBackoff))
        }
    }

    /// One pass: alert creation, then delivery, each tried even when the other failed. True when both succeeded.
    public func runOnce() async -> Bool {
        var succeeded = true
        do {
            let summary = try await creator.processPending()
            if summary.alertsCreated > 0 {
                logger.info("alerts created", metadata: ["alerts": "\(summary.alertsCreated)", "revisions": "\(summary.changesProcessed)"])
            }
        } catch {
            // Left pending: the next pass retries, and alerts are unique by key, so none is created twice.
            if Task.isCancelled { return false }
            logger.error("alert creation failed", metadata: ["error": "\(error)"])
            succeeded = false
        }
        do {
            let sent = try await dispatcher.runOnce()
            if sent.delivered + sent.failed + sent.retrying > 0 {
                logger.info("alerts delivered", metadata: ["delivered": "\(sent.delivered)", "retrying": "\(sent.retrying)",
                                                           "failed": "\(sent.failed)"])
            }
        } catch {
            // Claimed deliveries keep their lease and are taken up again when it expires.
            if Task.isCancelled { return false }
            logger.error("alert delivery pass failed", metadata: ["error": "\(error)"])
            succeeded = false
        }
        return succeeded
    }

    /// The wait before the next pass: `interval` after a good pass; after `failures` failing passes in a row,
    /// `interval` doubled for each failure but the first, at most `maxBackoff`.
    public static func wait(afterFailures failures: Int, interval: Duration, maxBackoff: Duration) -> Duration {
        guard failures > 1 else { return interval }
        var wait = interval
        for _ in 1..<min(failures, 32) {
            wait = wait * 2
            if wait >= maxBackoff { return max(maxBackoff, interval) }
        }
        return wait
    }
}
