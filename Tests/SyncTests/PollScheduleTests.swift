import CSAF
import Foundation
import Logging
@testable import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// The backoff across polls, as a state machine: events (a sync that ran, one that could not) applied to a source
/// record, with no clock and no sleeping.
struct PollScheduleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func source(interval: Int = 300) -> SourceRecord {
        SourceRecord(slug: "p", name: "P", url: "https://p.example/provider-metadata.json", pollInterval: interval)
    }

    @Test("each failure in a row doubles the wait from one interval, up to eight intervals or an hour, whichever is less")
    func doublingUpToTheCap() {
        let schedule = PollSchedule(interval: 300)
        var record = Self.source()
        var now = Self.t0
        var waits: [Double] = []
        for _ in 0..<8 {
            record = schedule.failed(record, at: now, error: "unreachable")
            waits.append(record.nextPoll!.timeIntervalSince(now))
            now = record.nextPoll!
        }
        #expect(waits == [300, 600, 1200, 2400, 2400, 2400, 2400, 2400])
        #expect(record.consecutiveFailures == 8)
        #expect(record.failingSince == Self.t0, "the run of failures began at the first one")
        #expect(record.health == .unreachable)
        #expect(record.lastError == "unreachable")

        // A ten-second interval reaches eight intervals (80 s); an hourly one never goes past an hour.
        #expect((1...6).map { PollSchedule(interval: 10).delay(failures: $0) } == [10, 20, 40, 80, 80, 80])
        #expect((1...4).map { PollSchedule(interval: 3600).delay(failures: $0) } == [3600, 3600, 3600, 3600])
        #expect((1...5).map { PollSchedule(interval: 900).delay(failures: $0) } == [900, 1800, 3600, 3600, 3600])
        // Hundreds of failures do not overflow.
        #expect(PollSchedule(interval: 300).delay(failures: 10_000) == 2400)
    }

    @Test("an answer resets the backoff at once: the next poll is one interval later and the source is healthy")
    func resetOnSuccess() {
        let schedule = PollSchedule(interval: 300)
        var record = Self.source()
        for k in 0..<5 { record = schedule.failed(record, at: Self.t0.addingTimeInterval(Double(k) * 3000), error: "down") }
        let back = Self.t0.addingTimeInterval(20_000)
        record = schedule.succeeded(record, at: back)
        #expect(record.consecutiveFailures == 0)
        #expect(record.failingSince == nil)
        #expect(record.lastSuccess == back)
        #expect(record.nextPoll == back.addingTimeInterval(300))
        #expect(record.health == .ok)
        // And the next failure starts from one interval again, with a new "since".
        let again = back.addingTimeInterval(300)
        record = schedule.failed(record, at: again, error: "down again")
        #expect(record.nextPoll == again.addingTimeInterval(300))
        #expect(record.failingSince == again)
    }

    @Test("a server's Retry-After pushes the next try later (up to six hours), never sooner than the backoff")
    func retryAfter() {
        let schedule = PollSchedule(interval: 10)
        let record = Self.source(interval: 10)
        #expect(schedule.failed(record, at: Self.t0, error: "503", retryAfter: 3600).nextPoll == Self.t0.addingTimeInterval(3600))
        #expect(schedule.failed(record, at: Self.t0, error: "503", retryAfter: 2).nextPoll == Self.t0.addingTimeInterval(10))
        #expect(schedule.failed(record, at: Self.t0, error: "503", retryAfter: 86_400 * 7).nextPoll == Self.t0.addingTimeInterval(6 * 3600))
    }

    @Test("jitter scales the wait; the interval in force is recorded when it is not the configured one")
    func jitterAndScheduledInterval() {
        let record = Self.source(interval: 300)
        let fast = PollSchedule(interval: 10).succeeded(record, at: Self.t0, jitter: 1.1)
        #expect(fast.nextPoll == Self.t0.addingTimeInterval(11))
        #expect(fast.scheduledInterval == 10)
        #expect(fast.effectiveInterval == 10)
        let own = PollSchedule(interval: 300).succeeded(fast, at: Self.t0, jitter: 0.9)
        #expect(own.scheduledInterval == nil)
        #expect(own.nextPoll == Self.t0.addingTimeInterval(270))
        // Under ten seconds is raised to ten.
        #expect(PollSchedule(interval: 1).interval == 10)
    }

    @Test("with --poll-interval, a source that keeps failing is still backed off; a schedule made with the same interval is used as stored")
    func overrideKeepsTheBackoff() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await HTTPFetcher.with { fetcher in
            let scheduler = SourceScheduler(store: store, fetcher: fetcher, logger: Logger(label: "test"), pollInterval: 10)
            var record = Self.source(interval: 300)
            record.lastAttempt = Self.t0
            record.consecutiveFailures = 3
            // Scheduled by a server with the configured interval: the override recomputes from the last attempt.
            record.nextPoll = Self.t0.addingTimeInterval(1200)
            #expect(scheduler.nextPoll(record) == Self.t0.addingTimeInterval(40))
            // Scheduled with the override itself (Retry-After, jitter included): taken as stored.
            let failed = PollSchedule(interval: 10).failed(record, at: Self.t0, error: "503", retryAfter: 600)
            #expect(scheduler.nextPoll(failed) == Self.t0.addingTimeInterval(600))
        }
    }

    @Test("the store keeps the backoff state: failures in a row, since when, and the interval in force")
    func storedState() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let failed = PollSchedule(interval: 10).failed(Self.source(), at: Self.t0, error: "the host name does not resolve")
        try await store.saveSource(failed)
        let read = try #require(try await store.source(slug: "p"))
        #expect(read.consecutiveFailures == 1)
        #expect(read.failingSince == Self.t0)
        #expect(read.scheduledInterval == 10)
        #expect(read.nextPoll == Self.t0.addingTimeInterval(10))
        #expect(read.health == .unreachable)
    }

    @Test("per-host politeness: requests to one host start no faster than the cap after a one-second burst; other hosts are not held")
    func hostRateCap() async {
        let limiter = HostLimiter()
        let started = ContinuousClock.now
        // 20 per second with a burst of 20: 30 requests need at least half a second (a lower bound, which load on the
        // machine can only lengthen).
        for _ in 0..<30 {
            await limiter.acquire("a.example", limit: 4, perSecond: 20)
            await limiter.release("a.example")
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(450), "\(elapsed)")
        // Another host has its own budget: while a.example's requests are being spaced out (two seconds' worth),
        // b.example's first request goes through.
        let paced = Task {
            for _ in 0..<60 { await limiter.acquire("c.example", limit: 100, perSecond: 20) }
            return ContinuousClock.now
        }
        try? await Task.sleep(for: .milliseconds(200))
        await limiter.acquire("b.example", limit: 4, perSecond: 20)
        let other = ContinuousClock.now
        let pacedDone = await paced.value
        #expect(other < pacedDone, "b.example waited for c.example's pacing")
    }
}
