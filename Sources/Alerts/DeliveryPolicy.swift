import Foundation
import Storage

/// When a failed delivery is tried again, when it is given up, and when digests fall due. Pure: time and randomness
/// come in as values.
public struct DeliveryPolicy: Sendable, Equatable {
    /// The first retry waits this long; each further one twice as long, up to `maximumDelay`.
    public var firstDelay: TimeInterval = 30
    public var maximumDelay: TimeInterval = 3600
    /// A delivery still failing this long after it was queued is failed for good, with its last error.
    public var giveUpAfter: TimeInterval = 24 * 3600
    /// How long a claimed delivery is left to its dispatcher before another may take it over.
    public var lease: TimeInterval = 120
    /// Digests are composed at this hour (UTC) each day, and on Mondays for weekly ones.
    public var digestHour = 7

    public init() {}

    /// The wait before attempt `attempts + 1`, with ±20% jitter (`jitter` in 0...1) so retries of many deliveries
    /// after an outage do not arrive at the server together.
    public func retryDelay(afterAttempts attempts: Int, jitter: Double) -> TimeInterval {
        let exponent = Double(max(attempts - 1, 0))
        let base = min(firstDelay * pow(2, min(exponent, 30)), maximumDelay)
        return base * (0.8 + 0.4 * min(max(jitter, 0), 1))
    }

    /// When to try again, or nil when the delivery is to be failed for good.
    public func retryTime(queuedAt: Date, attempts: Int, now: Date, jitter: Double) -> Date? {
        let next = now.addingTimeInterval(retryDelay(afterAttempts: attempts, jitter: jitter))
        return next.timeIntervalSince(queuedAt) > giveUpAfter ? nil : next
    }

    /// The latest digest boundary at or before `now` for a schedule: today's (or this Monday's) digest hour, or the
    /// one before it. Nil for immediate channels.
    public func digestBoundary(_ schedule: NotificationChannel.Schedule, now: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let day = calendar.startOfDay(for: now)
        var boundary = day.addingTimeInterval(TimeInterval(digestHour * 3600))
        if boundary > now { boundary = boundary.addingTimeInterval(-24 * 3600) }
        switch schedule {
        case .immediate:
            return nil
        case .daily:
            return boundary
        case .weekly:
            // Calendar weekday: 1 is Sunday, 2 is Monday.
            while calendar.component(.weekday, from: boundary) != 2 { boundary = boundary.addingTimeInterval(-24 * 3600) }
            return boundary
        }
    }
}
