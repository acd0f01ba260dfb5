import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// An organisation's report settings and the monthly report's place in the outbox, the same in both stores.
@Suite struct ReportSettingsContractTests {
    static func date(_ text: String) throws -> Date { try #require(Timestamp.parse(text)) }

    @Test("settings are saved, read back and replaced; they keep when they were first saved; another organisation's channel is refused",
          arguments: Backend.allCases)
    func settingsRoundTrip(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let other = try #require(try await store.organisation(named: "Other", create: true))
            let mail = try await store.addChannel(.init(name: "audit", kind: .email, target: "audit@example.org"), organisationID: plant.id)
            let foreign = try await store.addChannel(.init(name: "theirs", kind: .email, target: "x@example.org"), organisationID: other.id)
            #expect(try await store.reportSettings(organisationID: plant.id) == nil)

            let first = try Self.date("2026-10-20T08:00:00Z")
            try await store.saveReportSettings(ReportSettings(framework: "iec-62443", evaluateDays: "critical=3", remediateDays: nil,
                                                              monthlyChannelID: mail.id),
                                               organisationID: plant.id, actor: "ada@example.org", at: first)
            let saved = try #require(try await store.reportSettings(organisationID: plant.id))
            #expect(saved == ReportSettings(framework: "iec-62443", evaluateDays: "critical=3", remediateDays: nil, monthlyChannelID: mail.id,
                                            updatedAt: first, updatedBy: "ada@example.org"))
            #expect(try await store.reportSettings(organisationID: other.id) == nil, "settings are per organisation")

            await #expect(throws: StoreError.self) {
                try await store.saveReportSettings(ReportSettings(framework: "plain", monthlyChannelID: foreign.id),
                                                   organisationID: plant.id, actor: "ada@example.org", at: first)
            }
            #expect(try await store.reportSettings(organisationID: plant.id)?.monthlyChannelID == mail.id, "a refused save changes nothing")

            let later = try Self.date("2026-11-03T09:00:00Z")
            try await store.saveReportSettings(ReportSettings(framework: "plain", evaluateDays: nil, remediateDays: "high=45", monthlyChannelID: nil),
                                               organisationID: plant.id, actor: "bob@example.org", at: later)
            let replaced = try #require(try await store.reportSettings(organisationID: plant.id))
            #expect(replaced == ReportSettings(framework: "plain", evaluateDays: nil, remediateDays: "high=45", monthlyChannelID: nil,
                                               updatedAt: later, updatedBy: "bob@example.org"))
            // The first save's date still counts for the monthly report: saved in October, November's report is due.
            try await store.saveReportSettings(ReportSettings(framework: "plain", monthlyChannelID: mail.id),
                                               organisationID: plant.id, actor: "bob@example.org", at: later)
            #expect(try await store.enqueueMonthlyReports(period: "2026-10", periodEnd: try Self.date("2026-11-01T00:00:00Z"),
                                                          now: try Self.date("2026-11-03T09:05:00Z")) == 1)

            // Removing the channel leaves the settings without one.
            #expect(try await store.removeChannel(id: mail.id, organisationID: plant.id))
            #expect(try await store.reportSettings(organisationID: plant.id)?.monthlyChannelID == nil)
        }
    }

    @Test("the month's report is queued once per organisation and channel, only for enabled channels and settings older than the month's end",
          arguments: Backend.allCases)
    func monthlyReportsQueuedOnce(backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let depot = try #require(try await store.organisation(named: "Depot", create: true))
            let late = try #require(try await store.organisation(named: "Late", create: true))
            let off = try #require(try await store.organisation(named: "Off", create: true))
            let quiet = try #require(try await store.organisation(named: "Quiet", create: true))
            let october = try Self.date("2026-10-15T00:00:00Z")
            var channels: [Int64: NotificationChannel] = [:]
            for org in [plant, depot, late, off, quiet] {
                channels[org.id] = try await store.addChannel(.init(name: "reports", kind: org.id == depot.id ? .webhook : .email,
                                                                    target: org.id == depot.id ? "https://hooks.example.org/x" : "r@example.org"),
                                                              organisationID: org.id)
            }
            for org in [plant, depot, off] {
                try await store.saveReportSettings(ReportSettings(framework: "plain", monthlyChannelID: channels[org.id]!.id),
                                                   organisationID: org.id, actor: "cli", at: october)
            }
            // Saved after November ended: its first report is December's.
            try await store.saveReportSettings(ReportSettings(framework: "plain", monthlyChannelID: channels[late.id]!.id),
                                               organisationID: late.id, actor: "cli", at: try Self.date("2026-12-01T00:00:01Z"))
            // Settings without a channel send nothing.
            try await store.saveReportSettings(ReportSettings(framework: "nerc-cip"), organisationID: quiet.id, actor: "cli", at: october)
            #expect(try await store.setChannelEnabled(id: channels[off.id]!.id, organisationID: off.id, enabled: false, reason: "test"))

            let end = try Self.date("2026-12-01T00:00:00Z")
            let now = try Self.date("2026-12-01T00:03:00Z")
            #expect(try await store.enqueueMonthlyReports(period: "2026-11", periodEnd: end, now: now) == 2)
            #expect(try await store.enqueueMonthlyReports(period: "2026-11", periodEnd: end, now: now.addingTimeInterval(300)) == 0,
                    "a second run queues nothing")

            for org in [plant, depot] {
                let outbox = try await store.deliveries(organisationID: org.id, status: nil, limit: 10)
                #expect(outbox.count == 1)
                #expect(outbox.first?.kind == .report)
                #expect(outbox.first?.status == .pending)
                #expect(outbox.first?.idempotencyKey == "report:\(org.id)|\(channels[org.id]!.id)|2026-11")
            }
            for org in [late, off, quiet] {
                #expect(try await store.deliveries(organisationID: org.id, status: nil, limit: 10).isEmpty, "\(org.name)")
            }

            // Claimed like any delivery, with the month's end.
            let claimed = try await store.claimDeliveries(now: now, lease: 60, limit: 10, only: nil)
            #expect(Set(claimed.map(\.organisationID)) == [plant.id, depot.id])
            #expect(claimed.allSatisfy { $0.kind == .report && $0.periodEnd == end && $0.alertID == nil })
            let content = try await store.deliveryContent(try #require(claimed.first), cache: AdvisoryCache())
            #expect(content.notices.isEmpty)
            #expect([plant.name, depot.name].contains(content.organisation.name))

            // December's report is queued for the late organisation as well.
            #expect(try await store.enqueueMonthlyReports(period: "2026-12", periodEnd: try Self.date("2027-01-01T00:00:00Z"),
                                                          now: try Self.date("2027-01-01T00:01:00Z")) == 3)
        }
    }
}
