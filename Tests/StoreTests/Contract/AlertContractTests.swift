import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Watches, the change journal and alert creation behave the same on SQLite and PostgreSQL.
@Suite struct AlertContractTests {
    @Test("watches are added, listed by organisation and removed only by their own organisation", arguments: Backend.allCases)
    func watches(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let other = try await Contract.organisation(store, "Other")
            let vendor = try await store.addWatch(.init(kind: "vendor", value: "Siemens", minimumSeverity: .high, notify: "ops"),
                                                  organisationID: plant.id)
            let cve = try await store.addWatch(.init(kind: "cve", value: "CVE-2022-1234"), organisationID: plant.id)
            let theirs = try await store.addWatch(.init(kind: "vendor", value: "ABB"), organisationID: other.id)
            #expect(vendor.draft.minimumSeverity == .high && vendor.draft.notify == "ops" && vendor.organisationID == plant.id)
            #expect(try await store.watches(organisationID: plant.id).map(\.draft) == [vendor.draft, cve.draft])
            #expect(try await store.allWatches().map(\.id) == [vendor.id, cve.id, theirs.id])
            #expect(try await store.removeWatch(id: theirs.id, organisationID: plant.id) == false)
            #expect(try await store.watches(organisationID: other.id).map(\.id) == [theirs.id])
            #expect(try await store.removeWatch(id: vendor.id, organisationID: plant.id))
            #expect(try await store.removeWatch(id: vendor.id, organisationID: plant.id) == false)
            #expect(try await store.watches(organisationID: plant.id).map(\.id) == [cve.id])
        }
    }

    @Test("an alert is stored once per key, with one delivery per enabled channel of its organisation", arguments: Backend.allCases)
    func idempotentAlertsQueueDeliveries(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let other = try await Contract.organisation(store, "Other")
            let now = try await store.addChannel(Contract.email("now"), organisationID: plant.id)
            let daily = try await store.addChannel(Contract.email("daily", schedule: .daily), organisationID: plant.id)
            let off = try await store.addChannel(Contract.email("off"), organisationID: plant.id)
            #expect(try await store.setChannelEnabled(id: off.id, organisationID: plant.id, enabled: false, reason: "testing"))
            let foreign = try await store.addChannel(Contract.email("foreign"), organisationID: other.id)
            let generation = try await store.generation()

            let first = Contract.draft(plant, key: "a1", channels: [daily.id, now.id, off.id, foreign.id, now.id])
            let quiet = Contract.draft(plant, key: "a2")
            #expect(try await store.createAlerts([first, quiet, first]) == [true, true, false])
            #expect(try await store.generation() > generation)
            #expect(try await store.createAlert(first) == false)
            #expect(try await store.createAlerts([quiet, Contract.draft(other, key: "b1", channels: [foreign.id])]) == [false, true])
            #expect(try await store.createAlerts([]) == [])

            let alerts = try await store.alerts(organisationID: plant.id, limit: 10)
            #expect(Set(alerts.map(\.draft.idempotencyKey)) == ["a1", "a2"])
            let stored = try #require(alerts.first { $0.draft.idempotencyKey == "a1" })
            #expect(stored.draft.changes == ["new advisory"] && stored.draft.matches == first.matches)
            #expect(stored.status == "new" && stored.owner == nil && stored.dueDate == nil)
            // No advisory of that ID is stored: the title falls back to the ID and the severity to none.
            #expect(stored.advisoryTitle == "ICSA-22-172-04" && stored.severity == "none" && stored.cvssScore == nil)
            #expect(stored.draft.channelIDs == [])

            let outbox = try await Contract.outbox(store, plant)
            let byName = Dictionary(uniqueKeysWithValues: outbox.map { ($0.channelName, $0) })
            #expect(byName["now"]?.status == .pending && byName["now"]?.nextAttemptAt != nil)
            #expect(byName["daily"]?.status == .held && byName["daily"]?.nextAttemptAt == nil)
            #expect(byName["now"]?.idempotencyKey == "alert:a1|channel:\(now.id)")
            #expect(byName["daily"]?.idempotencyKey == "alert:a1|channel:\(daily.id)")
            #expect(outbox.allSatisfy { $0.alertID == stored.id && $0.kind == .alert && $0.attempts == 0 })
            // Deliveries are queued in channel order.
            #expect(outbox.map(\.channelName) == (now.id < daily.id ? ["now", "daily"] : ["daily", "now"]))
            #expect(try await Contract.outbox(store, other).map(\.channelName) == ["foreign"])
            #expect(try await store.alertDeliveries(alertID: stored.id, organisationID: plant.id).map(\.id) == outbox.map(\.id))
            #expect(try await store.alertDeliveries(alertID: stored.id, organisationID: other.id).isEmpty)
        }
    }

    @Test("alerts are listed newest first, filtered by state, and only to their organisation", arguments: Backend.allCases)
    func listingAndFilter(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try await Contract.organisation(store, "Plant")
            let other = try await Contract.organisation(store, "Other")
            _ = try await store.createAlerts((1...5).map { Contract.draft(plant, key: "k\($0)", advisory: "ICSA-00-000-0\($0)") })
            _ = try await store.createAlert(Contract.draft(other, key: "theirs"))
            let all = try await store.alerts(organisationID: plant.id, limit: 10)
            #expect(all.map(\.draft.idempotencyKey) == ["k5", "k4", "k3", "k2", "k1"])
            #expect(try await store.alerts(organisationID: plant.id, limit: 2).map(\.draft.idempotencyKey) == ["k5", "k4"])
            let k2 = try #require(all.first { $0.draft.idempotencyKey == "k2" })
            _ = try await store.updateAlert(id: k2.id, organisationID: plant.id, update: .init(status: .investigating), actor: "ops",
                                            at: Contract.epoch)
            #expect(try await store.alerts(organisationID: plant.id, status: .investigating, limit: 10).map(\.id) == [k2.id])
            #expect(try await store.alerts(organisationID: plant.id, status: .new, limit: 10).count == 4)
            #expect(try await store.alerts(organisationID: plant.id, status: .patched, limit: 10).isEmpty)
            #expect(try await store.alerts(organisationID: other.id, limit: 10).map(\.draft.idempotencyKey) == ["theirs"])
            #expect(try await store.alert(id: k2.id, organisationID: other.id) == nil)
            #expect(try await store.alert(id: k2.id, organisationID: plant.id)?.alertStatus == .investigating)
        }
    }

    @Test("stored revisions are journalled until processed; discarding marks the rest processed", arguments: Backend.allCases)
    func changeJournal(backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.pendingChanges(limit: 10).isEmpty)
            #expect(try await store.ingest(try Contract.document("icsa-22-172-04")) == .new)
            #expect(try await store.ingest(try Contract.document("icsa-22-006-01")) == .new)
            let pending = try await store.pendingChanges(limit: 10)
            #expect(pending.map(\.current.id) == ["ICSA-22-172-04", "ICSA-22-006-01"])
            #expect(pending.allSatisfy { $0.previous == nil && $0.knownExploitedAdded.isEmpty })
            #expect(try await store.pendingChanges(limit: 1).map(\.id) == [pending[0].id])
            try await store.markProcessed(changeID: pending[0].id)
            // Marking twice (two nodes processed the same change) is harmless.
            try await store.markProcessed(changeID: pending[0].id)
            #expect(try await store.pendingChanges(limit: 10).map(\.id) == [pending[1].id])
            // The same bytes again are no new revision: nothing is journalled.
            _ = try await store.ingest(try Contract.document("icsa-22-172-04"))
            #expect(try await store.pendingChanges(limit: 10).map(\.id) == [pending[1].id])
            #expect(try await store.discardPendingChanges() == 1)
            #expect(try await store.discardPendingChanges() == 0)
            #expect(try await store.pendingChanges(limit: 10).isEmpty)

            let context = try await store.alertContext(advisoryID: "ICSA-22-172-04")
            #expect(context.knownExploited.isEmpty && context.exposedAssets.isEmpty)
            let alerts = try await store.alerts(organisationID: try await Contract.organisation(store, "Plant").id, limit: 10)
            #expect(alerts.isEmpty)
        }
    }

    @Test("an alert shows its stored advisory's title and severity", arguments: Backend.allCases)
    func alertShowsAdvisory(backend: Backend) async throws {
        try await backend.withStore { store in
            _ = try await store.ingest(try Contract.document("icsa-22-172-04"))
            let advisory = try #require(try await store.advisory(id: "ICSA-22-172-04"))
            let plant = try await Contract.organisation(store, "Plant")
            _ = try await store.createAlert(Contract.draft(plant, key: "k"))
            let alert = try #require(try await store.alerts(organisationID: plant.id, limit: 1).first)
            #expect(alert.advisoryTitle == advisory.advisory.title)
            #expect(alert.severity == advisory.advisory.severity.rawValue)
            #expect(alert.cvssScore == advisory.advisory.highestScore?.score)
        }
    }
}
