import Foundation
import GRDB
import Storage
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

    @Test("upgrading vouches for the passwords of invited and administrator-made users, not for unconfirmed sign-ups")
    func upgradeVouchesForInvitedPasswords() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("vigil.sqlite").path
        _ = try SQLiteStore(path: path)
        // The database as the version before this migration left it.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "ALTER TABLE users DROP COLUMN password_vouched_at")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v14-password-vouched'")
            let created = "2026-01-01T00:00:00Z"
            for (id, email, hash, verified) in [(1, "invited@x.org", "h", nil), (2, "stdin@x.org", "h", nil), (3, "signup@x.org", "h", nil),
                                                (4, "signup-reset@x.org", "h", nil), (5, "confirmed@x.org", "h", created),
                                                (6, "no-password@x.org", nil, nil)] as [(Int, String, String?, String?)] {
                try db.execute(sql: "INSERT INTO users(id, email, password_hash, email_verified_at, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [id, email, hash, verified, created])
            }
            for (hash, purpose, user, used) in [("a", "invitation", 1, created), ("b", "email_verification", 3, nil),
                                                ("c", "email_verification", 4, nil), ("d", "password_reset", 4, created),
                                                ("e", "password_reset", 3, nil), ("f", "email_verification", 5, created)] as [(String, String, Int, String?)] {
                try db.execute(sql: """
                    INSERT INTO one_time_tokens(token_hash, purpose, user_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [hash, purpose, user, created, "2026-01-02T00:00:00Z", used])
            }
        }
        try queue.close()
        let store = try SQLiteStore(path: path)
        func user(_ email: String) async throws -> UserAccount { try #require(try await store.user(email: email)) }
        #expect(try await user("invited@x.org").mayUsePassword, "an invited user who set a password keeps signing in")
        #expect(try await user("stdin@x.org").mayUsePassword, "a password an administrator gave keeps signing in")
        #expect(try await user("signup-reset@x.org").mayUsePassword, "a reset link sent to the address vouches for the password")
        #expect(try await user("confirmed@x.org").mayUsePassword)
        #expect(try await user("signup@x.org").mayUsePassword == false, "an unconfirmed sign-up's own password must not sign in")
        #expect(try await user("signup@x.org").passwordVouchedAt == nil)
        #expect(try await user("no-password@x.org").passwordVouchedAt == nil)
    }
}
