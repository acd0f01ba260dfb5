import Alerts
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// A process without SMTP settings beside one that has them (issue 13, finding 7): `vigil import` run by hand used to
/// claim the outbox's email deliveries, fail them ("email is not configured") and push them into retry backoff, while
/// `vigil serve` with the settings was running. Now such a process leaves them untouched for the one that can send.
@Suite(.serialized) struct MaillessDeliveryTests {
    /// The fields a claim or a failed attempt would change.
    struct State: Equatable, CustomStringConvertible {
        var status: DeliveryStatus
        var attempts: Int
        var nextAttemptAt: Date?
        var lastError: String?
        init(_ record: DeliveryRecord) {
            status = record.status
            attempts = record.attempts
            nextAttemptAt = record.nextAttemptAt
            lastError = record.lastError
        }
        var description: String { "\(status.rawValue), \(attempts) attempts, next \(nextAttemptAt.map { "\($0)" } ?? "-"), \(lastError ?? "")" }
    }

    @Test("vigil import without SMTP settings leaves pending email deliveries as they were", arguments: Backend.allCases)
    func importLeavesEmailAlone(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            // An email queued earlier, due now, waiting for the server that has the mail settings.
            let queued = try await fixture.store.enqueueTest(channelID: fixture.channels[0].id, organisationID: fixture.plant.id, now: Date())
            let before = try #require(try await fixture.outbox().first { $0.id == queued })
            #expect(before.status == .pending && before.attempts == 0)

            let path = try AlertCreatorTests.freshCopy(in: fixture.folder.url)
            let imported = try await Executables.runVigil(["import", path, "--db", fixture.location],
                                                          environment: ["VIGIL_SMTP_URL": "", "VIGIL_MAIL_FROM": ""])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("Alerts created: 1"), "\(imported.stdout)")

            let outbox = try await fixture.outbox()
            let after = try #require(outbox.first { $0.id == queued })
            #expect(State(after) == State(before))
            // The alert the import created is queued for the server too, never tried here.
            let alertDelivery = try #require(outbox.first { $0.alertID != nil })
            #expect(alertDelivery.status == .pending)
            #expect(alertDelivery.attempts == 0)
            #expect(alertDelivery.lastError == nil)
        }
    }

    @Test("a dispatcher without SMTP settings claims webhook deliveries but not email ones; with settings it claims both",
          arguments: Backend.allCases)
    func dispatcherClaimsWhatItCanSend(backend: Backend) async throws {
        let channels: [NotificationChannel.Draft] = [.init(name: "ops", kind: .email, target: "ops@example.org"),
                                                     .init(name: "soc", kind: .webhook, target: "http://127.0.0.1:9/hook")]
        try await DeliveryTests.Fixture.with(channels: channels, backend: backend) { fixture in
            let now = Date()
            let email = try await fixture.store.enqueueTest(channelID: fixture.channels[0].id, organisationID: fixture.plant.id, now: now)
            let webhook = try await fixture.store.enqueueTest(channelID: fixture.channels[1].id, organisationID: fixture.plant.id, now: now)
            let before = try #require(try await fixture.outbox().first { $0.id == email })
            try await DeliveryTests.withClient { client in
                _ = try await fixture.dispatcher(smtp: nil, client: client).runOnce(now: { now.addingTimeInterval(1) })
            }
            let outbox = try await fixture.outbox()
            #expect(State(try #require(outbox.first { $0.id == email })) == State(before))
            #expect(try #require(outbox.first { $0.id == webhook }).attempts == 1)

            // The store's claim itself: restricted to webhooks it skips the email; unrestricted it takes it.
            let later = now.addingTimeInterval(2)
            #expect(try await fixture.store.claimDeliveries(now: later, lease: 60, limit: 10, only: nil, kinds: [.webhook, .slack, .teams])
                .allSatisfy { $0.id != email })
            #expect(try await fixture.store.claimDeliveries(now: later, lease: 60, limit: 10, only: nil, kinds: []).isEmpty)
            #expect(try await fixture.store.claimDeliveries(now: later, lease: 60, limit: 10, only: nil).map(\.id).contains(email))
        }
    }
}
