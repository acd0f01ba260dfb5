import Foundation
import Store
import Testing
import VigilTestSupport

/// The account store over a real SQLite file: unique emails, memberships, sessions that expire, tokens used once.
@Suite("Account store")
struct AccountStoreTests {
    func store() throws -> (SQLiteStore, TemporaryFolder) {
        let folder = try TemporaryFolder()
        return (try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path), folder)
    }

    @Test("emails are unique ignoring case; memberships name their organisation; leaving ends sessions and tokens")
    func usersAndMemberships() async throws {
        let (store, folder) = try store()
        defer { folder.remove() }
        #expect(try await store.hasUsers() == false)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let user = try await store.createUser(.init(email: "Ops@Example.org", displayName: "Ops", passwordHash: "$2b$04$x"), now: now)
        #expect(try await store.hasUsers())
        await #expect(throws: StoreError.self) { try await store.createUser(.init(email: "ops@example.ORG", displayName: ""), now: now) }
        #expect(try await store.user(email: "OPS@example.org")?.id == user.id)
        let plant = try #require(try await store.organisation(named: "Plant A", create: true))
        let utility = try #require(try await store.organisation(named: "Utility B", create: true))
        _ = try await store.setMembership(userID: user.id, organisationID: plant.id, role: .viewer, delivery: .immediate)
        let changed = try await store.setMembership(userID: user.id, organisationID: plant.id, role: .member, delivery: .weekly)
        #expect(changed.role == .member && changed.organisation == plant)
        #expect(try await store.users(organisationID: plant.id).map(\.email) == ["Ops@Example.org"])
        #expect(try await store.users(organisationID: utility.id).isEmpty)
        #expect(try await store.membership(userID: user.id, organisationID: utility.id) == nil)

        try await store.createSession(SessionRecord(tokenHash: "s1", userID: user.id, organisationID: plant.id, csrfToken: "c",
                                                    createdAt: now, expiresAt: now.addingTimeInterval(3600), lastSeenAt: now))
        _ = try await store.createAPIToken(hash: "t1", name: "ticketing", userID: user.id, organisationID: plant.id, now: now)
        #expect(try await store.apiToken(hash: "t1", now: now)?.organisationID == plant.id)
        #expect(try await store.removeMembership(userID: user.id, organisationID: plant.id))
        #expect(try await store.session(tokenHash: "s1", now: now, idleTimeout: 3600) == nil)
        #expect(try await store.apiToken(hash: "t1", now: now) == nil)
    }

    @Test("a session ends at its absolute expiry and after the idle timeout; activity moves last-seen")
    func sessionExpiry() async throws {
        let (store, folder) = try store()
        defer { folder.remove() }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let user = try await store.createUser(.init(email: "a@example.org", displayName: ""), now: start)
        try await store.createSession(SessionRecord(tokenHash: "s", userID: user.id, organisationID: nil, csrfToken: "c",
                                                    createdAt: start, expiresAt: start.addingTimeInterval(7 * 86_400), lastSeenAt: start))
        let idle: TimeInterval = 12 * 3600
        #expect(try await store.session(tokenHash: "s", now: start.addingTimeInterval(11 * 3600), idleTimeout: idle) != nil)
        // Seen at 11 h, so still alive at 22 h; not after 12 h of silence.
        #expect(try await store.session(tokenHash: "s", now: start.addingTimeInterval(22 * 3600), idleTimeout: idle) != nil)
        #expect(try await store.session(tokenHash: "s", now: start.addingTimeInterval(35 * 3600), idleTimeout: idle) == nil)

        try await store.createSession(SessionRecord(tokenHash: "t", userID: user.id, organisationID: nil, csrfToken: "c",
                                                    createdAt: start, expiresAt: start.addingTimeInterval(3600), lastSeenAt: start))
        #expect(try await store.session(tokenHash: "t", now: start.addingTimeInterval(3599), idleTimeout: idle) != nil)
        #expect(try await store.session(tokenHash: "t", now: start.addingTimeInterval(3600), idleTimeout: idle) == nil)
    }

    @Test("a one-time token is used once, for its purpose only, and not after it expires")
    func oneTimeTokens() async throws {
        let (store, folder) = try store()
        defer { folder.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let user = try await store.createUser(.init(email: "a@example.org", displayName: ""), now: now)
        try await store.createOneTimeToken(OneTimeToken(hash: "h", purpose: .passwordReset, userID: user.id, createdAt: now,
                                                        expiresAt: now.addingTimeInterval(3600)))
        try await store.createOneTimeToken(OneTimeToken(hash: "old", purpose: .invitation, userID: user.id, createdAt: now,
                                                        expiresAt: now.addingTimeInterval(60)))
        #expect(try await store.consumeOneTimeToken(hash: "h", purpose: .invitation, now: now) == nil)
        #expect(try await store.oneTimeToken(hash: "h", purpose: .passwordReset, now: now) != nil)
        #expect(try await store.consumeOneTimeToken(hash: "h", purpose: .passwordReset, now: now)?.userID == user.id)
        #expect(try await store.consumeOneTimeToken(hash: "h", purpose: .passwordReset, now: now) == nil)
        #expect(try await store.consumeOneTimeToken(hash: "old", purpose: .invitation, now: now.addingTimeInterval(61)) == nil)
    }
}
