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

    @Test("an organisation's settings: defaults of 07:00 UTC, saved and read back, renamed unless the name is taken, each bad field named",
          arguments: Backend.allCases)
    func organisationSettings(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let depot = try #require(try await store.organisation(named: "Depot", create: true))
            #expect(try await store.organisationSettings(organisationID: plant.id) == OrganisationSettings(name: "Plant", timeZone: "UTC", digestHour: 7))
            #expect(try await store.organisationSettings(organisationID: 999_999) == nil)

            let at = try #require(Timestamp.parse("2026-12-07T10:00:00Z"))
            try await store.saveOrganisationSettings(OrganisationSettings(name: "  Plant Hamburg ", timeZone: "Europe/Berlin", digestHour: 6,
                                                                          baseURL: "https://vigil.plant.example/"),
                                                     organisationID: plant.id, actor: "ada@example.org", at: at)
            let saved = try #require(try await store.organisationSettings(organisationID: plant.id))
            #expect(saved == OrganisationSettings(name: "Plant Hamburg", timeZone: "Europe/Berlin", digestHour: 6, baseURL: "https://vigil.plant.example",
                                                  updatedAt: at, updatedBy: "ada@example.org"))
            #expect(try await store.organisation(named: "plant hamburg", create: false)?.id == plant.id, "renamed, found ignoring case")
            #expect(try await store.organisation(named: "Plant", create: false) == nil)
            #expect(try await store.organisationSettings(organisationID: depot.id)?.timeZone == "UTC", "per organisation")

            // Another organisation's name, in other letter case: a conflict, and nothing changes.
            do {
                try await store.saveOrganisationSettings(OrganisationSettings(name: "DEPOT", timeZone: "Asia/Tokyo"), organisationID: plant.id,
                                                         actor: "ada@example.org", at: at)
                Issue.record("a taken name was accepted")
            } catch let error as StoreError {
                #expect(error.kind == .conflict, "\(error)")
            }
            // Each bad field is refused by name.
            let bad: [(OrganisationSettings, String)] = [
                (OrganisationSettings(name: " "), "name"),
                (OrganisationSettings(name: "Plant\u{7}"), "name"),
                (OrganisationSettings(name: "Plant", timeZone: "CET+1"), "time_zone"),
                (OrganisationSettings(name: "Plant", timeZone: "Mars/Olympus"), "time_zone"),
                (OrganisationSettings(name: "Plant", digestHour: 24), "digest_hour"),
                (OrganisationSettings(name: "Plant", digestHour: -1), "digest_hour"),
                (OrganisationSettings(name: "Plant", baseURL: "javascript:alert(1)"), "base_url"),
                (OrganisationSettings(name: "Plant", baseURL: "ftp://vigil.example"), "base_url"),
                (OrganisationSettings(name: "Plant", baseURL: "https://user:pw@vigil.example"), "base_url"),
                (OrganisationSettings(name: "Plant", baseURL: "https://vigil.example/?next=x"), "base_url"),
                (OrganisationSettings(name: "Plant", baseURL: "https://vigil.example/#top"), "base_url"),
                (OrganisationSettings(name: "Plant", baseURL: "https:///path"), "base_url"),
                (OrganisationSettings(name: "Plant", baseURL: "https://vigil .example"), "base_url"),
            ]
            for (settings, field) in bad {
                do {
                    try await store.saveOrganisationSettings(settings, organisationID: plant.id, actor: "ada@example.org", at: at)
                    Issue.record("\(settings) was accepted")
                } catch let error as StoreError {
                    #expect(error.kind == .invalid(field: field), "\(settings): \(error)")
                }
            }
            #expect(try await store.organisationSettings(organisationID: plant.id) == saved, "refused saves changed nothing")
            await #expect(throws: StoreError.self) {
                try await store.saveOrganisationSettings(OrganisationSettings(name: "Nowhere"), organisationID: 999_999, actor: "x", at: at)
            }

            // The base URL cleared: messages use the server's again.
            try await store.saveOrganisationSettings(OrganisationSettings(name: "Plant Hamburg", timeZone: "Europe/Berlin", digestHour: 6, baseURL: ""),
                                                     organisationID: plant.id, actor: "bob@example.org", at: at)
            #expect(try await store.organisationSettings(organisationID: plant.id)?.baseURL == nil)
        }
    }

    @Test("held digests and delivery content carry the organisation's clock and base URL", arguments: Backend.allCases)
    func heldChannelsCarryTheClock(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let depot = try await Contract.organisation(store, "Depot")
            let daily = try await store.addChannel(Contract.email("daily", schedule: .daily), organisationID: plant.id)
            let weekly = try await store.addChannel(Contract.email("weekly", schedule: .weekly), organisationID: depot.id)
            _ = try await store.createAlert(Contract.draft(plant, key: "p", channels: [daily.id]))
            _ = try await store.createAlert(Contract.draft(depot, key: "d", channels: [weekly.id]))
            try await store.saveOrganisationSettings(OrganisationSettings(name: "Plant", timeZone: "America/Chicago", digestHour: 16,
                                                                          baseURL: "http://10.0.0.5:8080"),
                                                     organisationID: plant.id, actor: "ada@example.org", at: Contract.epoch)
            let held = try await store.channelsWithHeldAlerts()
            #expect(held.map(\.channel.id) == [daily.id, weekly.id])
            #expect(held.map(\.timeZone) == ["America/Chicago", "UTC"])
            #expect(held.map(\.digestHour) == [16, 7])

            let boundary = Date().addingTimeInterval(60)
            #expect(try await store.composeDigest(channelID: daily.id, periodEnd: boundary, now: boundary) == 1)
            #expect(try await store.composeDigest(channelID: weekly.id, periodEnd: boundary, now: boundary) == 1)
            let claimed = try await store.claimDeliveries(now: boundary, lease: 60, limit: 10, only: nil, kinds: nil)
            let plantDigest = try #require(claimed.first { $0.organisationID == plant.id })
            let depotDigest = try #require(claimed.first { $0.organisationID == depot.id })
            let plantContent = try await store.deliveryContent(plantDigest, cache: AdvisoryCache())
            #expect(plantContent.baseURL == "http://10.0.0.5:8080")
            #expect(plantContent.notices.count == 1)
            #expect(try await store.deliveryContent(depotDigest, cache: AdvisoryCache()).baseURL == nil, "the server's, for an organisation without one")
        }
    }
}
