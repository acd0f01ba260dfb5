import Foundation

/// Limits attempts per email address and per client address: at most `limit` inside `window` for each.
///
/// An attempt is counted when it starts, before the password is checked, and the check and the count are one step
/// (`reserve`, on an actor): forty guesses sent at once cannot all pass a check made before any of them is recorded, and
/// a refused attempt costs no bcrypt. A sign-in that succeeds gives its attempt back (`refund`).
///
/// Kept in memory: a restart forgets the attempts, and several nodes count separately. That is enough to make
/// guessing passwords slow on one node; a table in the store would make the count shared.
actor LoginThrottle {
    let limit: Int
    let window: TimeInterval
    private var attempts: [String: [Date]] = [:]

    /// An attempt taken by `reserve`, to give back with `refund`.
    struct Reservation: Sendable {
        let keys: [String]
        let at: Date
    }

    init(limit: Int = 5, window: TimeInterval = 15 * 60) {
        self.limit = limit
        self.window = window
    }

    static func keys(email: String, address: String?) -> [String] {
        ["email:" + email.lowercased()] + (address.map { ["address:" + $0] } ?? [])
    }

    /// Counts an attempt against every key and returns it, or nil (counting nothing) when any key has used up its
    /// attempts.
    func reserve(_ keys: [String], now: Date) -> Reservation? {
        guard !keys.contains(where: { recent($0, now: now).count >= limit }) else { return nil }
        for key in keys { attempts[key] = recent(key, now: now) + [now] }
        // Forget stale entries now and then, so probing many addresses cannot grow the table without bound.
        if attempts.count > 10_000 {
            attempts = attempts.filter { !$0.value.filter { now.timeIntervalSince($0) < window }.isEmpty }
        }
        return Reservation(keys: keys, at: now)
    }

    /// Gives back an attempt that turned out not to be a guess (the password was right).
    func refund(_ reservation: Reservation) {
        for key in reservation.keys {
            guard var dates = attempts[key], let index = dates.lastIndex(of: reservation.at) else { continue }
            dates.remove(at: index)
            attempts[key] = dates.isEmpty ? nil : dates
        }
    }

    private func recent(_ key: String, now: Date) -> [Date] {
        (attempts[key] ?? []).filter { now.timeIntervalSince($0) < window }
    }
}
