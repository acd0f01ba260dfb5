import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// What `GET /metrics` reads from the store at each scrape is the same on SQLite and PostgreSQL.
@Suite struct MetricsReadingContractTests {
    @Test("metrics reading: documents by integrity, quarantine, outbox depth, the oldest due delivery, size", arguments: Backend.allCases)
    func reading(backend: Backend) async throws {
        try await backend.withStore { store in
            let empty = try await store.metricsReading(now: Contract.epoch)
            #expect(empty.documentsByIntegrity.isEmpty && empty.quarantined == 0 && empty.pendingDeliveries == 0 && empty.oldestDue == nil)
            #expect(empty.sizeBytes > 0)

            let document = try Contract.document()
            _ = try await store.ingest(document)
            try await store.quarantine(RejectedDocument(origin: "/in/a.json", reason: "SHA-512 mismatch", code: .hashMismatch,
                                                        sha256: String(repeating: "ab", count: 32)))
            let plant = try await Contract.organisation(store, "Plant")
            let channel = try await store.addChannel(Contract.email("ops"), organisationID: plant.id)
            _ = try await store.enqueueTest(channelID: channel.id, organisationID: plant.id, now: Contract.epoch)

            let due = try await store.metricsReading(now: Contract.epoch.addingTimeInterval(90))
            #expect(due.documentsByIntegrity == [document.integrity.status.rawValue: 1])
            #expect(due.quarantined == 1)
            #expect(due.pendingDeliveries == 1)
            #expect(due.oldestDue == Contract.epoch)
            // Queued, but not due yet at an earlier instant: in the outbox, not overdue.
            let early = try await store.metricsReading(now: Contract.epoch.addingTimeInterval(-60))
            #expect(early.pendingDeliveries == 1 && early.oldestDue == nil)

            // Claimed (sending) is still in the outbox; delivered is not.
            let claimed = try await store.claimDeliveries(now: Contract.epoch, lease: 60, limit: 10, only: nil)
            #expect(claimed.count == 1)
            #expect(try await store.metricsReading(now: Contract.epoch.addingTimeInterval(1)) .pendingDeliveries == 1)
            // A claim whose lease lapsed is due again from the end of its lease.
            #expect(try await store.metricsReading(now: Contract.epoch.addingTimeInterval(120)).oldestDue == Contract.epoch.addingTimeInterval(60))
            try await store.recordOutcomes(claimed.map { .delivered(deliveryID: $0.id, at: Contract.epoch.addingTimeInterval(2), detail: "250 OK") })
            let done = try await store.metricsReading(now: Contract.epoch.addingTimeInterval(3))
            #expect(done.pendingDeliveries == 0 && done.oldestDue == nil)
        }
    }
}
