import Foundation
import Storage

/// When a source is polled next, after a sync that worked or one that could not run: the backoff across polls.
///
/// A pure state machine over `SourceRecord`'s `consecutiveFailures` and `failingSince`: a success resets both and
/// schedules one interval later; each failure in a row doubles the wait (one interval, two, four, …) up to a cap of
/// eight intervals and at most an hour (never less than one interval), and a server's `Retry-After` pushes the next
/// try later still (up to six hours). Jitter of ±10 % comes in as a parameter so tests are exact.
public struct PollSchedule: Sendable, Equatable {
    /// Seconds between polls of a healthy source.
    public var interval: Int

    public init(interval: Int) {
        self.interval = max(interval, 10)
    }

    /// The longest wait a run of failures reaches: eight intervals, at most an hour, never under one interval.
    public var cap: Double { max(Double(interval), min(8 * Double(interval), 3600)) }

    /// The longest `Retry-After` honoured.
    public static let maxRetryAfter: Double = 6 * 3600

    /// Seconds before the next try after `failures` failures in a row (0 = healthy).
    public func delay(failures: Int) -> Double {
        guard failures > 1 else { return Double(interval) }
        let doubled = Double(interval) * pow(2, Double(min(failures - 1, 30)))
        return min(doubled, cap)
    }

    /// The record after a sync that ran (the source answered): healthy again at once.
    public func succeeded(_ record: SourceRecord, at now: Date, jitter: Double = 1) -> SourceRecord {
        var record = record
        record.lastAttempt = now
        record.lastSuccess = now
        record.lastError = nil
        record.consecutiveFailures = 0
        record.failingSince = nil
        record.scheduledInterval = interval == record.pollInterval ? nil : interval
        record.nextPoll = now.addingTimeInterval(Double(interval) * jitter)
        return record
    }

    /// The record after a sync that could not run: one more failure, the error kept, the next try backed off.
    public func failed(_ record: SourceRecord, at now: Date, error: String, retryAfter: Double? = nil, jitter: Double = 1) -> SourceRecord {
        var record = record
        record.lastAttempt = now
        record.lastError = error
        record.consecutiveFailures += 1
        if record.failingSince == nil { record.failingSince = now }
        record.scheduledInterval = interval == record.pollInterval ? nil : interval
        var wait = delay(failures: record.consecutiveFailures) * jitter
        if let retryAfter, retryAfter > wait { wait = min(retryAfter, PollSchedule.maxRetryAfter) }
        record.nextPoll = now.addingTimeInterval(wait)
        return record
    }
}
