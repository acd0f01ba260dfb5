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
    /// Digests are composed at this hour each day, and on Mondays for weekly ones, unless the organisation set its own
    /// hour and time zone (`OrganisationSettings`; 07:00 UTC by default).
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
    /// one before it, on the wall clock of `timeZone` (UTC and the policy's `digestHour` unless given). Nil for
    /// immediate channels.
    ///
    /// Through daylight saving time the boundary stays at the local hour: 07:00 in Berlin is 06:00 UTC in summer and
    /// 07:00 UTC in winter. An hour the clocks skip that day (02:00 on a spring-forward night) is read as the first
    /// moment after the gap; an hour they pass twice is its first pass.
    public func digestBoundary(_ schedule: NotificationChannel.Schedule, now: Date, timeZone: TimeZone? = nil, hour: Int? = nil) -> Date? {
        if schedule == .immediate { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone ?? TimeZone(identifier: "UTC")!
        let hour = min(max(hour ?? digestHour, 0), 23)
        func boundary(on day: Date) -> Date {
            calendar.date(bySettingHour: hour, minute: 0, second: 0, of: day, matchingPolicy: .nextTime, repeatedTimePolicy: .first,
                          direction: .forward) ?? day.addingTimeInterval(TimeInterval(hour * 3600))
        }
        var day = calendar.startOfDay(for: now)
        if boundary(on: day) > now { day = calendar.date(byAdding: .day, value: -1, to: day) ?? day.addingTimeInterval(-24 * 3600) }
        if schedule == .weekly {
            // Calendar weekday: 1 is Sunday, 2 is Monday; the Monday of the organisation's own calendar.
            while calendar.component(.weekday, from: day) != 2 {
                day = calendar.date(byAdding: .day, value: -1, to: day) ?? day.addingTimeInterval(-24 * 3600)
            }
        }
        return boundary(on: calendar.startOfDay(for: day))
    }
}
