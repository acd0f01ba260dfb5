import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Users, memberships, sessions and tokens behave the same on SQLite and PostgreSQL.
@Suite struct AccountContractTests {
    @Test("emails are unique ignoring case; memberships name their organisation and role", arguments: Backend.allCases)
    func usersAndMemberships(backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.hasUsers() == false)
            let now = Contract.epoch
            let ops = try await store.createUser(.init(email: " Ops@Example.org ", displayName: " Ops ", passwordHash: "$2b$04$x"), now: now)
            #expect(ops.email == "Ops@Example.org" && ops.displayName == "Ops" && ops.disabled == false && ops.createdAt == now)
            #expect(try await store.hasUsers())
            await #expect(throws: StoreError.self) { try await store.createUser(.init(email: "ops@example.ORG", displayName: ""), now: now) }
            await #expect(throws: StoreError.self) { try await store.createUser(.init(email: "  ", displayName: ""), now: now) }
            #expect(try await store.user(email: "OPS@example.org")?.id == ops.id)
            #expect(try await store.user(email: " ops@example.org")?.passwordHash == "$2b$04$x")
            #expect(try await store.user(email: "nobody@example.org") == nil)
            #expect(try await store.user(id: ops.id) == ops)
            let bea = try await store.createUser(.init(email: "bea@example.org", displayName: "Bea",
                                                       emailVerifiedAt: now.addingTimeInterval(-60)), now: now)
            let zed = try await store.createUser(.init(email: "Zed@example.org", displayName: ""), now: now)
            #expect(try await store.user(id: bea.id)?.emailVerifiedAt == now.addingTimeInterval(-60))
            // Ordered by email ignoring case, as SQLite's NOCASE column orders them.
            #expect(try await store.users(organisationID: nil).map(\.id) == [bea.id, ops.id, zed.id])
            // Only ASCII letters fold: Ä sorts by its bytes, before ä, as in SQLite.
            let umlautLower = try await store.createUser(.init(email: "äa@example.org", displayName: ""), now: now)
            let umlautUpper = try await store.createUser(.init(email: "Äb@example.org", displayName: ""), now: now)
            #expect(try await store.users(organisationID: nil).map(\.id) == [bea.id, ops.id, zed.id, umlautUpper.id, umlautLower.id])
            #expect(try await store.removeUser(id: umlautLower.id))
            #expect(try await store.removeUser(id: umlautUpper.id))

            let plant = try await Contract.organisation(store, "plant A")
            let utility = try await Contract.organisation(store, "Utility B")
            await #expect(throws: StoreError.self) {
                try await store.setMembership(userID: ops.id, organisationID: 999_999, role: .admin, delivery: .immediate)
            }
            let first = try await store.setMembership(userID: ops.id, organisationID: plant.id, role: .viewer, delivery: .immediate)
            let changed = try await store.setMembership(userID: ops.id, organisationID: plant.id, role: .member, delivery: .weekly)
            #expect(changed.role == .member && changed.delivery == .weekly && changed.organisation == plant)
            #expect(changed.createdAt == Date(timeIntervalSince1970: floor(first.createdAt.timeIntervalSince1970)))
            _ = try await store.setMembership(userID: ops.id, organisationID: utility.id, role: .admin, delivery: .immediate)
            _ = try await store.setMembership(userID: zed.id, organisationID: plant.id, role: .viewer, delivery: .daily)
            #expect(try await store.memberships(userID: ops.id).map(\.organisation.name) == ["plant A", "Utility B"])
            #expect(try await store.memberships(userID: ops.id).map(\.role) == [.member, .admin])
            #expect(try await store.users(organisationID: plant.id).map(\.email) == ["Ops@Example.org", "Zed@example.org"])
            #expect(try await store.users(organisationID: utility.id).map(\.id) == [ops.id])
            #expect(try await store.membership(userID: bea.id, organisationID: plant.id) == nil)
            #expect(try await store.membership(userID: zed.id, organisationID: plant.id)?.delivery == .daily)

            #expect(try await store.setDeliveryPreference(userID: ops.id, organisationID: plant.id, delivery: .daily))
            #expect(try await store.membership(userID: ops.id, organisationID: plant.id)?.delivery == .daily)
            #expect(try await store.membership(userID: ops.id, organisationID: plant.id)?.role == .member)
            #expect(try await store.setDeliveryPreference(userID: bea.id, organisationID: plant.id, delivery: .daily) == false)

            try await store.setEmailVerified(userID: ops.id, at: now.addingTimeInterval(10))
            try await store.setEmailVerified(userID: ops.id, at: now.addingTimeInterval(20))
            #expect(try await store.user(id: ops.id)?.emailVerifiedAt == now.addingTimeInterval(10))
        }
    }

    @Test("leaving an organisation ends its sessions and tokens; removing a user removes all of theirs", arguments: Backend.allCases)
    func removalCascades(backend: Backend) async throws {
        try await backend.withStore { store in
            let now = Contract.epoch
            let user = try await store.createUser(.init(email: "ops@example.org", displayName: ""), now: now)
            let plant = try await Contract.organisation(store, "Plant")
            let utility = try await Contract.organisation(store, "Utility")
            _ = try await store.setMembership(userID: user.id, organisationID: plant.id, role: .member, delivery: .immediate)
            _ = try await store.setMembership(userID: user.id, organisationID: utility.id, role: .member, delivery: .immediate)
            for (hash, org) in [("s-plant", plant), ("s-utility", utility)] {
                try await store.createSession(SessionRecord(tokenHash: hash, userID: user.id, organisationID: org.id, csrfToken: "c",
                                                            createdAt: now, expiresAt: now.addingTimeInterval(3600), lastSeenAt: now))
            }
            _ = try await store.createAPIToken(hash: "t-plant", name: "ticketing", userID: user.id, organisationID: plant.id, now: now)
            _ = try await store.createAPIToken(hash: "t-utility", name: "ticketing", userID: user.id, organisationID: utility.id, now: now)
            try await store.createOneTimeToken(OneTimeToken(hash: "o", purpose: .passwordReset, userID: user.id, createdAt: now,
                                                            expiresAt: now.addingTimeInterval(3600)))
            #expect(try await store.apiToken(hash: "t-plant", now: now)?.organisationID == plant.id)
            #expect(try await store.removeMembership(userID: user.id, organisationID: plant.id))
            #expect(try await store.removeMembership(userID: user.id, organisationID: plant.id) == false)
            #expect(try await store.session(tokenHash: "s-plant", now: now, idleTimeout: 3600) == nil)
            #expect(try await store.apiToken(hash: "t-plant", now: now) == nil)
            #expect(try await store.session(tokenHash: "s-utility", now: now, idleTimeout: 3600) != nil)
            #expect(try await store.apiToken(hash: "t-utility", now: now) != nil)

            #expect(try await store.removeUser(id: user.id))
            #expect(try await store.removeUser(id: user.id) == false)
            #expect(try await store.user(id: user.id) == nil)
            #expect(try await store.hasUsers() == false)
            #expect(try await store.session(tokenHash: "s-utility", now: now, idleTimeout: 3600) == nil)
            #expect(try await store.apiToken(hash: "t-utility", now: now) == nil)
            #expect(try await store.oneTimeToken(hash: "o", purpose: .passwordReset, now: now) == nil)
            #expect(try await store.memberships(userID: user.id).isEmpty)
        }
    }

    @Test("a session ends at its absolute expiry and after the idle timeout; activity moves last-seen", arguments: Backend.allCases)
    func sessionExpiry(backend: Backend) async throws {
        try await backend.withStore { store in
            let start = Contract.epoch
            let user = try await store.createUser(.init(email: "a@example.org", displayName: ""), now: start)
            try await store.createSession(SessionRecord(tokenHash: "s", userID: user.id, organisationID: nil, csrfToken: "c",
                                                        createdAt: start, expiresAt: start.addingTimeInterval(7 * 86_400), lastSeenAt: start))
            let idle: TimeInterval = 12 * 3600
            let seen = try await store.session(tokenHash: "s", now: start.addingTimeInterval(11 * 3600), idleTimeout: idle)
            #expect(seen?.lastSeenAt == start.addingTimeInterval(11 * 3600) && seen?.csrfToken == "c" && seen?.organisationID == nil)
            // Less than a minute later: last-seen is not written again.
            #expect(try await store.session(tokenHash: "s", now: start.addingTimeInterval(11 * 3600 + 30), idleTimeout: idle)?.lastSeenAt
                    == start.addingTimeInterval(11 * 3600))
            // Seen at 11 h, so still alive at 22 h; not after 12 h of silence.
            #expect(try await store.session(tokenHash: "s", now: start.addingTimeInterval(22 * 3600), idleTimeout: idle) != nil)
            #expect(try await store.session(tokenHash: "s", now: start.addingTimeInterval(35 * 3600), idleTimeout: idle) == nil)
            // The idle session was deleted, not just refused.
            #expect(try await store.session(tokenHash: "s", now: start.addingTimeInterval(22 * 3600), idleTimeout: idle) == nil)

            try await store.createSession(SessionRecord(tokenHash: "t", userID: user.id, organisationID: nil, csrfToken: "c",
                                                        createdAt: start, expiresAt: start.addingTimeInterval(3600), lastSeenAt: start))
            #expect(try await store.session(tokenHash: "t", now: start.addingTimeInterval(3599), idleTimeout: idle) != nil)
            #expect(try await store.session(tokenHash: "t", now: start.addingTimeInterval(3600), idleTimeout: idle) == nil)

            // A new sign-in sweeps sessions that expired.
            try await store.createSession(SessionRecord(tokenHash: "u", userID: user.id, organisationID: nil, csrfToken: "c",
                                                        createdAt: start, expiresAt: start.addingTimeInterval(60), lastSeenAt: start))
            try await store.createSession(SessionRecord(tokenHash: "v", userID: user.id, organisationID: nil, csrfToken: "c",
                                                        createdAt: start.addingTimeInterval(60), expiresAt: start.addingTimeInterval(7200),
                                                        lastSeenAt: start.addingTimeInterval(60)))
            #expect(try await store.session(tokenHash: "u", now: start.addingTimeInterval(30), idleTimeout: idle) == nil)
            try await store.deleteSession(tokenHash: "v")
            #expect(try await store.session(tokenHash: "v", now: start.addingTimeInterval(61), idleTimeout: idle) == nil)

            // A new password ends every session of the user.
            try await store.createSession(SessionRecord(tokenHash: "w", userID: user.id, organisationID: nil, csrfToken: "c",
                                                        createdAt: start, expiresAt: start.addingTimeInterval(7200), lastSeenAt: start))
            try await store.setPasswordHash(userID: user.id, hash: "$2b$04$new", now: start)
            #expect(try await store.user(id: user.id)?.passwordHash == "$2b$04$new")
            #expect(try await store.session(tokenHash: "w", now: start, idleTimeout: idle) == nil)
        }
    }

    @Test("a new password ends every session and API token and is vouched for; a sign-up's password is not",
          arguments: Backend.allCases)
    func passwordChangeRevokesEverything(backend: Backend) async throws {
        try await backend.withStore { store in
            let now = Contract.epoch
            let plant = try await Contract.organisation(store, "Plant")
            let signup = try await store.createUser(.init(email: "a@example.org", displayName: "", passwordHash: "$2b$04$own"), now: now)
            #expect(signup.passwordVouchedAt == nil && signup.mayUsePassword == false)
            #expect(try await store.user(id: signup.id)?.mayUsePassword == false)
            let added = try await store.createUser(.init(email: "b@example.org", displayName: "", passwordHash: "$2b$04$admin",
                                                         passwordVouchedAt: now), now: now)
            #expect(try await store.user(id: added.id)?.passwordVouchedAt == now)
            #expect(try await store.user(id: added.id)?.mayUsePassword == true)

            _ = try await store.setMembership(userID: signup.id, organisationID: plant.id, role: .member, delivery: .immediate)
            try await store.createSession(SessionRecord(tokenHash: "s1", userID: signup.id, organisationID: plant.id, csrfToken: "c",
                                                        createdAt: now, expiresAt: now.addingTimeInterval(7200), lastSeenAt: now))
            _ = try await store.createAPIToken(hash: "t1", name: "ticketing", userID: signup.id, organisationID: plant.id, now: now)
            #expect(try await store.apiToken(hash: "t1", now: now) != nil)
            try await store.setPasswordHash(userID: signup.id, hash: "$2b$04$reset", now: now.addingTimeInterval(5))
            let reset = try #require(try await store.user(id: signup.id))
            #expect(reset.passwordHash == "$2b$04$reset" && reset.passwordVouchedAt == now.addingTimeInterval(5) && reset.mayUsePassword)
            #expect(try await store.session(tokenHash: "s1", now: now, idleTimeout: 3600) == nil)
            #expect(try await store.apiToken(hash: "t1", now: now) == nil, "an API token survived a password reset")
            #expect(try await store.apiTokens(userID: signup.id, organisationID: plant.id).isEmpty)
        }
    }

    @Test("clearing a password ends its vouching, sessions, API tokens and unused links, and nothing of other users",
          arguments: Backend.allCases)
    func clearPassword(backend: Backend) async throws {
        try await backend.withStore { store in
            let now = Contract.epoch
            let plant = try await Contract.organisation(store, "Plant")
            let user = try await store.createUser(.init(email: "a@example.org", displayName: "", passwordHash: "$2b$04$own",
                                                        passwordVouchedAt: now), now: now)
            let other = try await store.createUser(.init(email: "b@example.org", displayName: "", passwordHash: "$2b$04$b"), now: now)
            for (hash, owner) in [("s-user", user), ("s-other", other)] {
                _ = try await store.setMembership(userID: owner.id, organisationID: plant.id, role: .member, delivery: .immediate)
                try await store.createSession(SessionRecord(tokenHash: hash, userID: owner.id, organisationID: plant.id, csrfToken: "c",
                                                            createdAt: now, expiresAt: now.addingTimeInterval(7200), lastSeenAt: now))
                _ = try await store.createAPIToken(hash: "t" + hash, name: "siem", userID: owner.id, organisationID: plant.id, now: now)
                try await store.createOneTimeToken(OneTimeToken(hash: "o" + hash, purpose: .passwordReset, userID: owner.id,
                                                                createdAt: now, expiresAt: now.addingTimeInterval(3600)))
            }
            try await store.createOneTimeToken(OneTimeToken(hash: "used", purpose: .emailVerification, userID: user.id,
                                                            createdAt: now, expiresAt: now.addingTimeInterval(3600)))
            #expect(try await store.consumeOneTimeToken(hash: "used", purpose: .emailVerification, now: now) != nil)

            try await store.clearPassword(userID: user.id)
            let cleared = try #require(try await store.user(id: user.id))
            #expect(cleared.passwordHash == nil && cleared.passwordVouchedAt == nil)
            #expect(try await store.session(tokenHash: "s-user", now: now, idleTimeout: 3600) == nil)
            #expect(try await store.apiToken(hash: "ts-user", now: now) == nil)
            #expect(try await store.oneTimeToken(hash: "os-user", purpose: .passwordReset, now: now) == nil)
            #expect(try await store.membership(userID: user.id, organisationID: plant.id) != nil, "the membership stays")
            #expect(try await store.session(tokenHash: "s-other", now: now, idleTimeout: 3600) != nil)
            #expect(try await store.apiToken(hash: "ts-other", now: now) != nil)
            #expect(try await store.oneTimeToken(hash: "os-other", purpose: .passwordReset, now: now) != nil)
            #expect(try await store.user(id: other.id)?.passwordHash == "$2b$04$b")
        }
    }

    @Test("a session moves only to an organisation its user belongs to", arguments: Backend.allCases)
    func sessionOrganisation(backend: Backend) async throws {
        try await backend.withStore { store in
            let now = Contract.epoch
            let user = try await store.createUser(.init(email: "a@example.org", displayName: ""), now: now)
            let plant = try await Contract.organisation(store, "Plant")
            let other = try await Contract.organisation(store, "Other")
            _ = try await store.setMembership(userID: user.id, organisationID: plant.id, role: .viewer, delivery: .immediate)
            try await store.createSession(SessionRecord(tokenHash: "s", userID: user.id, organisationID: nil, csrfToken: "c",
                                                        createdAt: now, expiresAt: now.addingTimeInterval(3600), lastSeenAt: now))
            #expect(try await store.setSessionOrganisation(tokenHash: "s", organisationID: other.id) == false)
            #expect(try await store.setSessionOrganisation(tokenHash: "nope", organisationID: plant.id) == false)
            #expect(try await store.setSessionOrganisation(tokenHash: "s", organisationID: plant.id))
            #expect(try await store.session(tokenHash: "s", now: now, idleTimeout: 3600)?.organisationID == plant.id)
        }
    }

    @Test("a one-time token is used once, for its purpose only, and not after it expires", arguments: Backend.allCases)
    func oneTimeTokens(backend: Backend) async throws {
        try await backend.withStore { store in
            let now = Contract.epoch
            let user = try await store.createUser(.init(email: "a@example.org", displayName: ""), now: now)
            try await store.createOneTimeToken(OneTimeToken(hash: "h", purpose: .passwordReset, userID: user.id, createdAt: now,
                                                            expiresAt: now.addingTimeInterval(3600)))
            try await store.createOneTimeToken(OneTimeToken(hash: "old", purpose: .invitation, userID: user.id, createdAt: now,
                                                            expiresAt: now.addingTimeInterval(60)))
            #expect(try await store.consumeOneTimeToken(hash: "h", purpose: .invitation, now: now) == nil)
            #expect(try await store.oneTimeToken(hash: "h", purpose: .passwordReset, now: now)
                    == OneTimeToken(hash: "h", purpose: .passwordReset, userID: user.id, createdAt: now, expiresAt: now.addingTimeInterval(3600)))
            let used = try await store.consumeOneTimeToken(hash: "h", purpose: .passwordReset, now: now.addingTimeInterval(5))
            #expect(used?.userID == user.id && used?.usedAt == now.addingTimeInterval(5))
            #expect(try await store.consumeOneTimeToken(hash: "h", purpose: .passwordReset, now: now) == nil)
            #expect(try await store.oneTimeToken(hash: "h", purpose: .passwordReset, now: now) == nil)
            #expect(try await store.oneTimeToken(hash: "old", purpose: .invitation, now: now.addingTimeInterval(59)) != nil)
            #expect(try await store.oneTimeToken(hash: "old", purpose: .invitation, now: now.addingTimeInterval(60)) == nil)
            #expect(try await store.consumeOneTimeToken(hash: "old", purpose: .invitation, now: now.addingTimeInterval(61)) == nil)
        }
    }

    @Test("API tokens: listed newest first, revoked by their owner, last use recorded", arguments: Backend.allCases)
    func apiTokens(backend: Backend) async throws {
        try await backend.withStore { store in
            let now = Contract.epoch
            let user = try await store.createUser(.init(email: "a@example.org", displayName: ""), now: now)
            let stranger = try await store.createUser(.init(email: "b@example.org", displayName: ""), now: now)
            let plant = try await Contract.organisation(store, "Plant")
            _ = try await store.setMembership(userID: user.id, organisationID: plant.id, role: .member, delivery: .immediate)
            await #expect(throws: StoreError.self) {
                try await store.createAPIToken(hash: "x", name: "  ", userID: user.id, organisationID: plant.id, now: now)
            }
            let first = try await store.createAPIToken(hash: "t1", name: " ticketing ", userID: user.id, organisationID: plant.id, now: now)
            let second = try await store.createAPIToken(hash: "t2", name: "siem", userID: user.id, organisationID: plant.id, now: now)
            #expect(first.name == "ticketing" && first.lastUsedAt == nil && first.createdAt == now)
            #expect(try await store.apiTokens(userID: user.id, organisationID: plant.id).map(\.id) == [second.id, first.id])
            #expect(try await store.apiTokens(userID: stranger.id, organisationID: plant.id).isEmpty)

            // Last use is written when it moves by a minute or more.
            #expect(try await store.apiToken(hash: "t1", now: now.addingTimeInterval(10))?.lastUsedAt == now.addingTimeInterval(10))
            #expect(try await store.apiToken(hash: "t1", now: now.addingTimeInterval(40))?.lastUsedAt == now.addingTimeInterval(10))
            #expect(try await store.apiTokens(userID: user.id, organisationID: plant.id).last?.lastUsedAt == now.addingTimeInterval(10))
            #expect(try await store.apiToken(hash: "t1", now: now.addingTimeInterval(70))?.lastUsedAt == now.addingTimeInterval(70))
            #expect(try await store.apiTokens(userID: user.id, organisationID: plant.id).last?.lastUsedAt == now.addingTimeInterval(70))
            #expect(try await store.apiToken(hash: "nope", now: now) == nil)

            #expect(try await store.revokeAPIToken(id: first.id, userID: stranger.id, organisationID: plant.id) == false)
            #expect(try await store.revokeAPIToken(id: first.id, userID: user.id, organisationID: plant.id))
            #expect(try await store.revokeAPIToken(id: first.id, userID: user.id, organisationID: plant.id) == false)
            #expect(try await store.apiToken(hash: "t1", now: now) == nil)
            #expect(try await store.apiTokens(userID: user.id, organisationID: plant.id).map(\.id) == [second.id])
        }
    }
}
