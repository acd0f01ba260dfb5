import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// What the settings pages ask of a store, the same in both: a webhook's secret rotated, a failed delivery sent again,
/// when each member last signed in.
@Suite struct SettingsContractTests {
    @Test("each new session records the user's last sign-in; signing out keeps it", arguments: Backend.allCases)
    func lastSignIn(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let user = try await store.createUser(.init(email: "ada@example.org", displayName: "Ada"), now: Date())
            let other = try await store.createUser(.init(email: "bob@example.org", displayName: "Bob"), now: Date())
            #expect(try await store.user(id: user.id)?.lastSignInAt == nil)
            let first = try #require(Timestamp.parse("2026-11-02T08:00:00Z"))
            let second = try #require(Timestamp.parse("2026-12-01T09:30:00Z"))
            for (hash, at) in [("s1", first), ("s2", second)] {
                try await store.createSession(SessionRecord(tokenHash: hash, userID: user.id, organisationID: plant.id, csrfToken: "c",
                                                            createdAt: at, expiresAt: at.addingTimeInterval(3600), lastSeenAt: at))
            }
            try await store.deleteSession(tokenHash: "s2")
            #expect(try await store.user(id: user.id)?.lastSignInAt == second)
            #expect(try await store.user(email: "ADA@example.org")?.lastSignInAt == second)
            #expect(try await store.user(id: other.id)?.lastSignInAt == nil, "only the one who signed in")
        }
    }

    @Test("a watch is replaced in place, only within its organisation", arguments: Backend.allCases)
    func updateWatch(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let other = try #require(try await store.organisation(named: "Other", create: true))
            let watch = try await store.addWatch(.init(kind: "vendor", value: "Siemens"), organisationID: plant.id)
            let changed = try #require(try await store.updateWatch(id: watch.id, organisationID: plant.id,
                                                                   draft: .init(kind: "min_cvss", value: "9.0", minimumSeverity: .critical, notify: "ops")))
            #expect(changed.id == watch.id && changed.draft == .init(kind: "min_cvss", value: "9.0", minimumSeverity: .critical, notify: "ops"))
            #expect(try await store.watches(organisationID: plant.id) == [changed])
            #expect(try await store.updateWatch(id: watch.id, organisationID: other.id, draft: .init(kind: "kev", value: "")) == nil)
            #expect(try await store.watches(organisationID: plant.id).first?.draft.kind == "min_cvss")
        }
    }

    @Test("a webhook's secret is replaced, only for the organisation's own webhook channels", arguments: Backend.allCases)
    func rotateSecret(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let other = try #require(try await store.organisation(named: "Other", create: true))
            let hook = try await store.addChannel(.init(name: "soc", kind: .webhook, target: "https://soc.example.org/hook"), organisationID: plant.id)
            let mail = try await store.addChannel(.init(name: "ops", kind: .email, target: "ops@example.org"), organisationID: plant.id)
            let secret = try #require(try await store.rotateChannelSecret(id: hook.id, organisationID: plant.id))
            #expect(secret != hook.secret && secret.count == 64)
            #expect(try await store.channels(organisationID: plant.id).first { $0.id == hook.id }?.secret == secret)
            #expect(try await store.rotateChannelSecret(id: hook.id, organisationID: other.id) == nil, "another organisation's channel")
            #expect(try await store.rotateChannelSecret(id: mail.id, organisationID: plant.id) == nil, "an email channel has no secret")
            #expect(try await store.channels(organisationID: plant.id).first { $0.id == hook.id }?.secret == secret)
        }
    }

    @Test("a failed delivery is pending again with its key; not another organisation's, not a pending one, not to a channel that is off",
          arguments: Backend.allCases)
    func retryDelivery(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let other = try #require(try await store.organisation(named: "Other", create: true))
            let mail = try await store.addChannel(.init(name: "ops", kind: .email, target: "ops@example.org"), organisationID: plant.id)
            let now = Date()
            let failed = try await store.enqueueTest(channelID: mail.id, organisationID: plant.id, now: now)
            try await store.markFailed(deliveryID: failed, error: "550 no such user", retryAt: nil)
            let pending = try await store.enqueueTest(channelID: mail.id, organisationID: plant.id, now: now)

            #expect(try await store.retryDelivery(id: failed, organisationID: other.id, now: now) == false)
            #expect(try await store.retryDelivery(id: pending, organisationID: plant.id, now: now) == false)
            let later = now.addingTimeInterval(60)
            #expect(try await store.retryDelivery(id: failed, organisationID: plant.id, now: later))
            let record = try #require(try await store.deliveries(organisationID: plant.id, status: nil, limit: 10).first { $0.id == failed })
            #expect(record.status == .pending && record.lastError == "550 no such user")
            // Due at once: the next claim takes it, with the same key.
            let claimed = try await store.claimDeliveries(now: later, lease: 60, limit: 10, only: failed)
            #expect(claimed.map(\.id) == [failed])
            #expect(claimed.first?.idempotencyKey == record.idempotencyKey)

            try await store.markFailed(deliveryID: failed, error: "550 no such user", retryAt: nil)
            #expect(try await store.setChannelEnabled(id: mail.id, organisationID: plant.id, enabled: false, reason: "test"))
            #expect(try await store.retryDelivery(id: failed, organisationID: plant.id, now: later) == false, "the channel is off")
        }
    }
}
