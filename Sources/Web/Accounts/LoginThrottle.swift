import Foundation

/// Counts failed sign-ins per email address and per client address, and refuses further attempts once either has
/// `limit` failures inside `window`.
///
/// Kept in memory: a restart forgets the failures, and several nodes count separately. That is enough to make
/// guessing passwords slow on one node; a table in the store would make the count shared.
actor LoginThrottle {
    let limit: Int
    let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    init(limit: Int = 5, window: TimeInterval = 15 * 60) {
        self.limit = limit
        self.window = window
    }

    static func keys(email: String, address: String?) -> [String] {
        ["email:" + email.lowercased()] + (address.map { ["address:" + $0] } ?? [])
    }

    /// True when any of the keys has used up its attempts.
    func isLocked(_ keys: [String], now: Date) -> Bool {
        keys.contains { key in recent(key, now: now).count >= limit }
    }

    func recordFailure(_ keys: [String], now: Date) {
        for key in keys { failures[key] = recent(key, now: now) + [now] }
        // Forget stale entries now and then, so probing many addresses cannot grow the table without bound.
        if failures.count > 10_000 {
            failures = failures.filter { !$0.value.filter { now.timeIntervalSince($0) < window }.isEmpty }
        }
    }

    /// A successful sign-in clears the email's count (not the client address's: one success does not excuse a
    /// address guessing at other accounts).
    func reset(_ key: String) {
        failures[key] = nil
    }

    private func recent(_ key: String, now: Date) -> [Date] {
        (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
    }
}
