import Alerts
import Foundation
import Storage
import Store
import Testing

/// Retry timing, giving up, digest boundaries and webhook signatures: pure functions with exact answers.
struct DeliveryPolicyTests {
    let policy = DeliveryPolicy()

    @Test("retries wait 30 s, doubling to at most an hour, with ±20% jitter")
    func backoff() {
        #expect(policy.retryDelay(afterAttempts: 1, jitter: 0.5) == 30)
        #expect(policy.retryDelay(afterAttempts: 2, jitter: 0.5) == 60)
        #expect(policy.retryDelay(afterAttempts: 5, jitter: 0.5) == 480)
        #expect(policy.retryDelay(afterAttempts: 8, jitter: 0.5) == 3600)
        #expect(policy.retryDelay(afterAttempts: 40, jitter: 0.5) == 3600)
        #expect(policy.retryDelay(afterAttempts: 1, jitter: 0) == 24)
        #expect(abs(policy.retryDelay(afterAttempts: 1, jitter: 1) - 36) < 1e-9)
    }

    @Test("a delivery still failing 24 hours after it was queued is given up")
    func givingUp() {
        let queued = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(policy.retryTime(queuedAt: queued, attempts: 3, now: queued.addingTimeInterval(600), jitter: 0.5)
                == queued.addingTimeInterval(600 + 120))
        #expect(policy.retryTime(queuedAt: queued, attempts: 20, now: queued.addingTimeInterval(23.5 * 3600), jitter: 0.5) == nil)
    }

    @Test("daily digests fall at 07:00 UTC, weekly ones on Mondays, immediate channels have none")
    func digestBoundaries() throws {
        let formatter = ISO8601DateFormatter()
        let tuesdayMorning = try #require(formatter.date(from: "2026-12-01T06:59:00Z"))
        #expect(policy.digestBoundary(.daily, now: tuesdayMorning) == formatter.date(from: "2026-11-30T07:00:00Z"))
        let tuesdayLater = try #require(formatter.date(from: "2026-12-01T07:00:00Z"))
        #expect(policy.digestBoundary(.daily, now: tuesdayLater) == tuesdayLater)
        #expect(policy.digestBoundary(.weekly, now: tuesdayLater) == formatter.date(from: "2026-11-30T07:00:00Z"))
        let mondayEarly = try #require(formatter.date(from: "2026-11-30T06:00:00Z"))
        #expect(policy.digestBoundary(.weekly, now: mondayEarly) == formatter.date(from: "2026-11-23T07:00:00Z"))
        #expect(policy.digestBoundary(.immediate, now: tuesdayLater) == nil)
    }

    @Test("digests fall at the organisation's hour on its own clock: through daylight saving time, and on its own Mondays")
    func digestBoundariesInATimeZone() throws {
        let formatter = ISO8601DateFormatter()
        func at(_ text: String) throws -> Date { try #require(formatter.date(from: text)) }
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        // 07:00 in Berlin is 06:00 UTC in winter, 05:00 UTC in summer.
        #expect(policy.digestBoundary(.daily, now: try at("2026-12-01T06:00:00Z"), timeZone: berlin, hour: 7) == (try at("2026-12-01T06:00:00Z")))
        #expect(policy.digestBoundary(.daily, now: try at("2026-12-01T05:59:59Z"), timeZone: berlin, hour: 7) == (try at("2026-11-30T06:00:00Z")))
        #expect(policy.digestBoundary(.daily, now: try at("2026-07-01T05:30:00Z"), timeZone: berlin, hour: 7) == (try at("2026-07-01T05:00:00Z")))
        // The night the clocks go forward (2026-03-29, 02:00 → 03:00): the day is 23 hours long, and 07:00 is 05:00 UTC.
        #expect(policy.digestBoundary(.daily, now: try at("2026-03-29T12:00:00Z"), timeZone: berlin, hour: 7) == (try at("2026-03-29T05:00:00Z")))
        #expect(policy.digestBoundary(.daily, now: try at("2026-03-29T04:59:00Z"), timeZone: berlin, hour: 7) == (try at("2026-03-28T06:00:00Z")))
        // 02:00 does not exist that night: the first moment after the gap, 03:00 CEST.
        #expect(policy.digestBoundary(.daily, now: try at("2026-03-29T12:00:00Z"), timeZone: berlin, hour: 2) == (try at("2026-03-29T01:00:00Z")))
        // The night they go back (2026-10-25, 03:00 → 02:00): 02:00 comes twice; the first, 02:00 CEST, counts.
        #expect(policy.digestBoundary(.daily, now: try at("2026-10-25T12:00:00Z"), timeZone: berlin, hour: 2) == (try at("2026-10-25T00:00:00Z")))
        // Auckland's Monday 07:00 (UTC+13 in summer) is Sunday 18:00 UTC.
        let auckland = try #require(TimeZone(identifier: "Pacific/Auckland"))
        #expect(policy.digestBoundary(.weekly, now: try at("2026-11-29T18:30:00Z"), timeZone: auckland, hour: 7) == (try at("2026-11-29T18:00:00Z")))
        #expect(policy.digestBoundary(.weekly, now: try at("2026-11-29T17:59:00Z"), timeZone: auckland, hour: 7) == (try at("2026-11-22T18:00:00Z")))
        // Chicago's 16:00 is 22:00 UTC in winter: at 23:00 UTC on Monday it is still Monday there.
        let chicago = try #require(TimeZone(identifier: "America/Chicago"))
        #expect(policy.digestBoundary(.weekly, now: try at("2026-12-07T23:00:00Z"), timeZone: chicago, hour: 16) == (try at("2026-12-07T22:00:00Z")))
        #expect(policy.digestBoundary(.daily, now: try at("2026-12-08T03:00:00Z"), timeZone: chicago, hour: 16) == (try at("2026-12-07T22:00:00Z")))
        #expect(policy.digestBoundary(.immediate, now: try at("2026-12-08T03:00:00Z"), timeZone: chicago, hour: 16) == nil)
        // Hour 0 in UTC: midnight.
        #expect(policy.digestBoundary(.daily, now: try at("2026-12-08T00:00:00Z"), timeZone: TimeZone(identifier: "UTC"), hour: 0) == (try at("2026-12-08T00:00:00Z")))
    }

    @Test("the webhook signature is HMAC-SHA256 over \"t.\" and the body (the value Python's hmac module gives)")
    func signature() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"1700000000.{\"a\":1}",hashlib.sha256).hexdigest())'
        let header = AlertMessageComposer.signature(body: Array(#"{"a":1}"#.utf8), secret: "key", timestamp: 1_700_000_000)
        #expect(header == "t=1700000000,v1=" + Self.pythonHMAC)
    }

    static let pythonHMAC = "a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"

    @Test("JSON output escapes quotes, backslashes and control characters, and keeps member order")
    func jsonOutput() {
        let value = JSONOutput.object([("b", .string("a\"b\\c\n\u{01}é")), ("a", .array([.int(1), .double(9.8), .double(10), .null, .bool(true)]))])
        #expect(String(decoding: value.bytes, as: UTF8.self) == #"{"b":"a\"b\\c\n\u0001é","a":[1,9.8,10,null,true]}"#)
    }
}
