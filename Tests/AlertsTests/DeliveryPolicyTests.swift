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
