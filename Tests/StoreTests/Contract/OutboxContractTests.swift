import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Channels, the outbox (claims, leases, outcomes, digests) and the alert log behave the same on SQLite and PostgreSQL.
@Suite struct OutboxContractTests {
    @Test("channels: unique names per organisation, listed by name, changed only by their organisation", arguments: Backend.allCases)
    func channels(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let other = try await Contract.organisation(store, "Other")
            let ops = try await store.addChannel(.init(name: "  ops ", kind: .email, target: "ops@example.org"), organisationID: plant.id)
            #expect(ops.name == "ops" && ops.enabled && ops.secret.isEmpty && ops.unsubscribeToken.count == 64)
            let hook = try await store.addChannel(.init(name: "Hook", kind: .webhook, target: "https://example.org/h", schedule: .weekly),
                                                  organisationID: plant.id)
            #expect(hook.secret.count == 64 && hook.draft.schedule == .weekly)
            await #expect(throws: StoreError.self) { try await store.addChannel(Contract.email("ops"), organisationID: plant.id) }
            await #expect(throws: StoreError.self) { try await store.addChannel(Contract.email("  "), organisationID: plant.id) }
            // Another organisation may use the same name.
            let theirs = try await store.addChannel(Contract.email("ops"), organisationID: other.id)
            let slack = try await store.addChannel(.init(name: "alpha", kind: .slack, target: "https://hooks.example/s"), organisationID: plant.id)

            // Names sort by their bytes, as SQLite's default collation does: capitals first.
            #expect(try await store.channels(organisationID: plant.id).map(\.name) == ["Hook", "alpha", "ops"])
            let listed = try #require(try await store.channels(organisationID: plant.id).first { $0.id == hook.id })
            #expect(listed.draft == hook.draft && listed.secret == hook.secret && listed.unsubscribeToken == hook.unsubscribeToken)
            #expect(listed.spec == "webhook:https://example.org/h" && listed.disabledReason == nil)

            #expect(try await store.setChannelEnabled(id: ops.id, organisationID: other.id, enabled: false, reason: "x") == false)
            #expect(try await store.setChannelSchedule(id: ops.id, organisationID: other.id, schedule: .daily) == false)
            #expect(try await store.removeChannel(id: ops.id, organisationID: other.id) == false)
            #expect(try await store.setChannelEnabled(id: ops.id, organisationID: plant.id, enabled: false, reason: "unsubscribed by the recipient"))
            var off = try #require(try await store.channel(unsubscribeToken: ops.unsubscribeToken))
            #expect(off.id == ops.id && off.enabled == false && off.disabledReason == "unsubscribed by the recipient")
            #expect(try await store.setChannelEnabled(id: ops.id, organisationID: plant.id, enabled: true, reason: "ignored"))
            off = try #require(try await store.channel(unsubscribeToken: ops.unsubscribeToken))
            #expect(off.enabled && off.disabledReason == nil)
            #expect(try await store.setChannelSchedule(id: slack.id, organisationID: plant.id, schedule: .daily))
            #expect(try await store.channels(organisationID: plant.id).first { $0.id == slack.id }?.draft.schedule == .daily)
            #expect(try await store.channel(unsubscribeToken: "") == nil)
            #expect(try await store.channel(unsubscribeToken: "nope") == nil)
            #expect(try await store.channel(unsubscribeToken: theirs.unsubscribeToken)?.organisationID == other.id)

            #expect(try await store.removeChannel(id: hook.id, organisationID: plant.id))
            #expect(try await store.removeChannel(id: hook.id, organisationID: plant.id) == false)
            #expect(try await store.channels(organisationID: plant.id).map(\.name) == ["alpha", "ops"])
            #expect(try await store.channels(organisationID: other.id).map(\.id) == [theirs.id])
        }
    }

    @Test("a member's own channel follows their delivery preference", arguments: Backend.allCases)
    func memberChannel(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let user = try await store.createUser(.init(email: "Ops@Example.org", displayName: "Ops"), now: Contract.epoch)
            _ = try await store.setMembership(userID: user.id, organisationID: plant.id, role: .member, delivery: .immediate)
            // What MemberDirectory does: one email channel per membership, named member:EMAIL, scheduled as the member chose.
            let channel = try await store.addChannel(.init(name: "member:ops@example.org", kind: .email, target: user.email),
                                                     organisationID: plant.id)
            _ = try await store.createAlert(Contract.draft(plant, key: "k", channels: [channel.id]))
            #expect(try await store.setDeliveryPreference(userID: user.id, organisationID: plant.id, delivery: .daily))
            #expect(try await store.setChannelSchedule(id: channel.id, organisationID: plant.id, schedule: .daily))
            _ = try await store.createAlert(Contract.draft(plant, key: "k2", channels: [channel.id]))
            #expect(try await Contract.outbox(store, plant).map(\.status) == [.pending, .held])
            #expect(try await store.membership(userID: user.id, organisationID: plant.id)?.delivery == .daily)
            // Back to immediate: what was held is released at once.
            #expect(try await store.setChannelSchedule(id: channel.id, organisationID: plant.id, schedule: .immediate))
            let outbox = try await Contract.outbox(store, plant)
            #expect(outbox.map(\.status) == [.pending, .pending] && outbox.allSatisfy { $0.nextAttemptAt != nil })
        }
    }

    @Test("turning a channel off fails what was waiting for it, with the reason", arguments: Backend.allCases)
    func disablingFailsWaiting(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let now = try await store.addChannel(Contract.email("now"), organisationID: plant.id)
            let daily = try await store.addChannel(Contract.email("daily", schedule: .daily), organisationID: plant.id)
            let kept = try await store.addChannel(Contract.email("kept"), organisationID: plant.id)
            _ = try await store.createAlert(Contract.draft(plant, key: "k", channels: [now.id, daily.id, kept.id]))
            let generation = try await store.generation()
            #expect(try await store.setChannelEnabled(id: now.id, organisationID: plant.id, enabled: false, reason: "unsubscribed"))
            #expect(try await store.setChannelEnabled(id: daily.id, organisationID: plant.id, enabled: false, reason: nil))
            #expect(try await store.generation() > generation)
            let byName = Dictionary(uniqueKeysWithValues: try await Contract.outbox(store, plant).map { ($0.channelName, $0) })
            #expect(byName["now"]?.status == .failed && byName["now"]?.lastError == "not sent: the channel was turned off (unsubscribed)")
            #expect(byName["daily"]?.status == .failed
                    && byName["daily"]?.lastError == "not sent: the channel was turned off (by an administrator)")
            #expect(byName["kept"]?.status == .pending)
            // A disabled channel gets nothing new.
            _ = try await store.createAlert(Contract.draft(plant, key: "k2", channels: [now.id, kept.id]))
            #expect(try await Contract.outbox(store, plant).filter { $0.alertID != nil }.count == 4)
        }
    }

    @Test("claims lease due deliveries up to the limit; a lease is reclaimed only once it expires", arguments: Backend.allCases)
    func claimsAndLeases(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let other = try await Contract.organisation(store, "Other")
            let channel = try await store.addChannel(Contract.email("ops"), organisationID: plant.id)
            let theirs = try await store.addChannel(Contract.email("theirs"), organisationID: other.id)
            await #expect(throws: StoreError.self) { try await store.enqueueTest(channelID: theirs.id, organisationID: plant.id, now: Contract.epoch) }
            let t0 = Contract.epoch
            var ids: [Int64] = []
            for _ in 0..<3 { ids.append(try await store.enqueueTest(channelID: channel.id, organisationID: plant.id, now: t0)) }
            let later = try await store.enqueueTest(channelID: channel.id, organisationID: plant.id, now: t0.addingTimeInterval(600))
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(-1), lease: 60, limit: 10, only: nil).isEmpty)

            let first = try await store.claimDeliveries(now: t0, lease: 60, limit: 2, only: nil)
            #expect(first.map(\.id) == Array(ids.prefix(2)))
            #expect(first.allSatisfy { $0.attempts == 1 && $0.kind == .test && $0.channel.id == channel.id && $0.organisationID == plant.id })
            #expect(first.first?.channel.draft == channel.draft && first.first?.channel.unsubscribeToken == channel.unsubscribeToken)
            #expect(first.allSatisfy { $0.idempotencyKey.hasPrefix("test:\(channel.id)|") && $0.createdAt == t0 && $0.periodEnd == nil })
            #expect(try await store.claimDeliveries(now: t0, lease: 60, limit: 10, only: nil).map(\.id) == [ids[2]])
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(59), lease: 60, limit: 10, only: nil).isEmpty)
            #expect(try await Contract.outbox(store, plant, status: .sending).map(\.id) == ids)

            // The leases run out at t0 + 60 without an outcome (the node died): the rows are due again, attempts counted.
            let again = try await store.claimDeliveries(now: t0.addingTimeInterval(60), lease: 60, limit: 10, only: nil)
            #expect(again.map(\.id) == ids && again.allSatisfy { $0.attempts == 2 })

            // only: that delivery, and only when it is due.
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(300), lease: 60, limit: 10, only: later).isEmpty)
            let single = try await store.claimDeliveries(now: t0.addingTimeInterval(600), lease: 60, limit: 10, only: later)
            #expect(single.map(\.id) == [later])
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(600), lease: 60, limit: 10, only: later).isEmpty)
            #expect(try await store.deliveries(organisationID: other.id, status: nil, limit: 10).isEmpty)
        }
    }

    @Test("outcomes: delivered, retried at the time given, failed for good; listed by status", arguments: Backend.allCases)
    func outcomes(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let channel = try await store.addChannel(Contract.email("ops"), organisationID: plant.id)
            let t0 = Contract.epoch
            var ids: [Int64] = []
            for _ in 0..<5 { ids.append(try await store.enqueueTest(channelID: channel.id, organisationID: plant.id, now: t0)) }
            _ = try await store.claimDeliveries(now: t0, lease: 60, limit: 10, only: nil)
            let generation = try await store.generation()
            try await store.markDelivered(deliveryID: ids[0], at: t0.addingTimeInterval(5), detail: "250 OK queued")
            try await store.markFailed(deliveryID: ids[1], error: "421 try later", retryAt: t0.addingTimeInterval(120))
            try await store.markFailed(deliveryID: ids[2], error: "550 no such user", retryAt: nil)
            try await store.recordOutcomes([
                .failed(deliveryID: ids[3], error: "timeout", retryAt: t0.addingTimeInterval(30)),
                .delivered(deliveryID: ids[4], at: t0.addingTimeInterval(7), detail: "HTTP 204"),
                .failed(deliveryID: ids[3], error: "timeout again", retryAt: t0.addingTimeInterval(90)),
            ])
            try await store.recordOutcomes([])
            #expect(try await store.generation() > generation)

            let outbox = Dictionary(uniqueKeysWithValues: try await Contract.outbox(store, plant).map { ($0.id, $0) })
            let delivered = try #require(outbox[ids[0]])
            #expect(delivered.status == .delivered && delivered.deliveredAt == t0.addingTimeInterval(5) && delivered.detail == "250 OK queued")
            #expect(delivered.lastError == nil && delivered.nextAttemptAt == nil && delivered.attempts == 1)
            let retried = try #require(outbox[ids[1]])
            #expect(retried.status == .pending && retried.nextAttemptAt == t0.addingTimeInterval(120) && retried.lastError == "421 try later")
            #expect(retried.deliveredAt == nil && retried.detail == nil)
            let failed = try #require(outbox[ids[2]])
            #expect(failed.status == .failed && failed.lastError == "550 no such user" && failed.nextAttemptAt == nil)
            // Named twice in one batch: the later outcome stands.
            #expect(outbox[ids[3]]?.status == .pending && outbox[ids[3]]?.nextAttemptAt == t0.addingTimeInterval(90)
                    && outbox[ids[3]]?.lastError == "timeout again")
            #expect(outbox[ids[4]]?.status == .delivered && outbox[ids[4]]?.detail == "HTTP 204")

            #expect(try await store.deliveries(organisationID: plant.id, status: .delivered, limit: 10).map(\.id).sorted() == [ids[0], ids[4]])
            #expect(try await store.deliveries(organisationID: plant.id, status: .failed, limit: 10).map(\.id) == [ids[2]])
            #expect(try await store.deliveries(organisationID: plant.id, status: .pending, limit: 10).map(\.id).sorted() == [ids[1], ids[3]])
            #expect(try await store.deliveries(organisationID: plant.id, status: .sending, limit: 10).isEmpty)
            #expect(try await store.deliveries(organisationID: plant.id, status: nil, limit: 2).count == 2)

            // A retry waits for its time; then it is claimed with its attempts counted.
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(89), lease: 60, limit: 10, only: nil).isEmpty)
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(90), lease: 60, limit: 10, only: nil).map(\.id) == [ids[3]])
            let retry = try await store.claimDeliveries(now: t0.addingTimeInterval(120), lease: 60, limit: 10, only: nil)
            #expect(retry.map(\.id) == [ids[1]] && retry.first?.attempts == 2)
            // A delivery that succeeds after failing keeps no error.
            try await store.markDelivered(deliveryID: ids[1], at: t0.addingTimeInterval(121), detail: "250 OK")
            let fixed = try #require(try await Contract.outbox(store, plant).first { $0.id == ids[1] })
            #expect(fixed.status == .delivered && fixed.lastError == nil && fixed.deliveredAt == t0.addingTimeInterval(121))
        }
    }

    @Test("held alerts are folded once into one digest per channel and period", arguments: Backend.allCases)
    func digests(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let daily = try await store.addChannel(Contract.email("daily", schedule: .daily), organisationID: plant.id)
            let weekly = try await store.addChannel(Contract.email("weekly", schedule: .weekly), organisationID: plant.id)
            let now = try await store.addChannel(Contract.email("now"), organisationID: plant.id)
            #expect(try await store.channelsWithHeldAlerts().isEmpty)
            let before = Date()
            #expect(try await store.createAlerts((1...3).map { Contract.draft(plant, key: "k\($0)", channels: [daily.id, now.id]) })
                    == [true, true, true])
            _ = try await store.createAlert(Contract.draft(plant, key: "w", channels: [weekly.id]))

            let held = try await store.channelsWithHeldAlerts()
            #expect(held.map(\.channel.id) == [daily.id, weekly.id])
            #expect(held.first?.channel.draft == daily.draft && held.first?.channel.unsubscribeToken == daily.unsubscribeToken)
            let oldest = try #require(held.first?.oldest)
            #expect(oldest >= before.addingTimeInterval(-1) && oldest <= Date().addingTimeInterval(1))

            // A boundary before the alerts folds nothing.
            #expect(try await store.composeDigest(channelID: daily.id, periodEnd: before.addingTimeInterval(-3600), now: before) == 0)
            let boundary = Date(timeIntervalSince1970: ceil(Date().timeIntervalSince1970) + 60)
            #expect(try await store.composeDigest(channelID: daily.id, periodEnd: boundary, now: boundary) == 3)
            #expect(try await store.composeDigest(channelID: daily.id, periodEnd: boundary, now: boundary) == 0)
            #expect(try await store.channelsWithHeldAlerts().map(\.channel.id) == [weekly.id])

            let outbox = try await Contract.outbox(store, plant)
            let digest = try #require(outbox.first { $0.kind == .digest })
            #expect(digest.channelName == "daily" && digest.status == .pending && digest.alertID == nil)
            #expect(digest.idempotencyKey == "digest:\(daily.id)|\(Timestamp.format(boundary))")
            #expect(outbox.filter { $0.channelName == "daily" && $0.kind == .alert }.map(\.status) == [.digested, .digested, .digested])
            #expect(outbox.filter { $0.channelName == "now" }.map(\.status) == [.pending, .pending, .pending])

            // An alert's deliveries include the digest that carried it.
            let alert = try #require(try await store.alerts(organisationID: plant.id, limit: 10).first { $0.draft.idempotencyKey == "k2" })
            let carried = try await store.alertDeliveries(alertID: alert.id, organisationID: plant.id)
            #expect(carried.map(\.kind) == [.alert, .alert, .digest])
            #expect(carried.last?.id == digest.id)

            let claimed = try await store.claimDeliveries(now: boundary, lease: 60, limit: 10, only: digest.id)
            #expect(claimed.map(\.kind) == [.digest] && claimed.first?.periodEnd == boundary)
            #expect(claimed.first?.idempotencyKey == digest.idempotencyKey)
            // Held again after the digest: a new period, a new digest.
            _ = try await store.createAlert(Contract.draft(plant, key: "k4", channels: [daily.id]))
            #expect(try await store.composeDigest(channelID: daily.id, periodEnd: boundary.addingTimeInterval(86_400), now: boundary) == 1)
            #expect(try await Contract.outbox(store, plant).filter { $0.kind == .digest }.count == 2)
        }
    }

    @Test("an alert's state, owner, due date and notes are recorded in its history", arguments: Backend.allCases)
    func alertLog(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let other = try await Contract.organisation(store, "Other")
            _ = try await store.createAlert(Contract.draft(plant, key: "k"))
            let alert = try #require(try await store.alerts(organisationID: plant.id, limit: 1).first)
            let t0 = Contract.epoch
            await #expect(throws: StoreError.self) {
                try await store.updateAlert(id: alert.id, organisationID: plant.id, update: .init(dueDate: "2026-13-45"), actor: "a", at: t0)
            }
            await #expect(throws: StoreError.self) {
                try await store.updateAlert(id: alert.id, organisationID: plant.id, update: .init(dueDate: "soon"), actor: "a", at: t0)
            }
            #expect(try await store.updateAlert(id: alert.id, organisationID: other.id, update: .init(status: .patched), actor: "x", at: t0) == nil)
            let generation = try await store.generation()
            let updated = try #require(try await store.updateAlert(
                id: alert.id, organisationID: plant.id,
                update: .init(status: .investigating, owner: "alice", dueDate: "2027-01-31", note: "  called the vendor \n"),
                actor: "ops@example.org", at: t0))
            #expect(try await store.generation() > generation)
            #expect(updated.alertStatus == .investigating && updated.owner == "alice" && updated.dueDate == "2027-01-31")
            // Nothing changed: nothing recorded.
            _ = try await store.updateAlert(id: alert.id, organisationID: plant.id,
                                            update: .init(status: .investigating, owner: "alice", dueDate: "2027-01-31", note: "  "),
                                            actor: "ops@example.org", at: t0.addingTimeInterval(10))
            let cleared = try #require(try await store.updateAlert(
                id: alert.id, organisationID: plant.id, update: .init(status: .mitigated, owner: "", dueDate: ""),
                actor: "bob", at: t0.addingTimeInterval(60)))
            #expect(cleared.alertStatus == .mitigated && cleared.owner == nil && cleared.dueDate == nil)

            let events = try await store.alertEvents(alertID: alert.id, organisationID: plant.id)
            #expect(events.map(\.field) == ["status", "owner", "due_date", "note", "status", "owner", "due_date"])
            #expect(events.map(\.oldValue) == ["new", nil, nil, nil, "investigating", "alice", "2027-01-31"])
            #expect(events.map(\.newValue) == ["investigating", "alice", "2027-01-31", "called the vendor", "mitigated", nil, nil])
            #expect(events.map(\.actor) == Array(repeating: "ops@example.org", count: 4) + Array(repeating: "bob", count: 3))
            #expect(events.map(\.at) == Array(repeating: t0, count: 4) + Array(repeating: t0.addingTimeInterval(60), count: 3))
            #expect(try await store.alertEvents(alertID: alert.id, organisationID: other.id).isEmpty)
            #expect(try await store.alert(id: alert.id, organisationID: plant.id) == cleared)
        }
    }

    @Test("a delivery's content is its alerts with their advisory, most severe first", arguments: Backend.allCases)
    func deliveryContent(backend: Backend) async throws {
        try await backend.withStore { store in
            _ = try await store.ingest(try Contract.document("icsa-22-172-04"))
            _ = try await store.ingest(try Contract.document("icsa-22-006-01"))
            let plant = try await Contract.organisation(store, "Plant <Hamburg>")
            let daily = try await store.addChannel(Contract.email("daily", schedule: .daily), organisationID: plant.id)
            let now = try await store.addChannel(Contract.email("now"), organisationID: plant.id)
            _ = try await store.createAlerts([Contract.draft(plant, key: "a", advisory: "ICSA-22-006-01", channels: [daily.id, now.id]),
                                              Contract.draft(plant, key: "b", advisory: "ICSA-22-172-04", channels: [daily.id])])
            let boundary = Date().addingTimeInterval(60)
            #expect(try await store.composeDigest(channelID: daily.id, periodEnd: boundary, now: boundary) == 2)
            let claimed = try await store.claimDeliveries(now: boundary, lease: 60, limit: 10, only: nil)
            #expect(claimed.map(\.kind) == [.alert, .digest])
            let cache = AdvisoryCache()
            let single = try await store.deliveryContent(claimed[0], cache: cache)
            #expect(single.organisation == plant && single.notices.map(\.alert.draft.advisoryID) == ["ICSA-22-006-01"])
            #expect(single.notices.first?.advisory?.id == "ICSA-22-006-01")
            let digest = try await store.deliveryContent(claimed[1], cache: cache)
            let ranks = digest.notices.map { $0.advisory?.severity }
            #expect(Set(digest.notices.map(\.alert.draft.advisoryID)) == ["ICSA-22-006-01", "ICSA-22-172-04"])
            #expect(ranks.allSatisfy { $0 != nil } && digest.notices.allSatisfy { $0.exposures.isEmpty })
            let severities = digest.notices.map(\.alert.severity)
            let order: [String: Int] = ["none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4]
            #expect(severities.map { order[$0] ?? -1 } == severities.map { order[$0] ?? -1 }.sorted(by: >))
        }
    }
}
