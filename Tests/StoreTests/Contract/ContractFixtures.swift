import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// What the alert, outbox and account contract tests share: organisations, channels and alert drafts made through the
/// store's own API, so each case reads the same on both backends.
enum Contract {
    /// A fixed instant for tests that pass `now` explicitly: results never depend on the wall clock.
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func organisation(_ store: any VigilStore, _ name: String) async throws -> Organisation {
        try #require(try await store.organisation(named: name, create: true))
    }

    static func draft(_ organisation: Organisation, key: String, advisory: String = "ICSA-22-172-04", channels: [Int64] = [],
                      changes: [String] = ["new advisory"]) -> StoredAlert.Draft {
        StoredAlert.Draft(organisationID: organisation.id, advisoryID: advisory, advisoryVersion: "1", idempotencyKey: key,
                          changes: changes, matches: [AlertMatch(watchID: 1, watch: "vendor Phoenix Contact", reason: "names the vendor")],
                          channelIDs: channels)
    }

    static func email(_ name: String, schedule: NotificationChannel.Schedule = .immediate) -> NotificationChannel.Draft {
        NotificationChannel.Draft(name: name, kind: .email, target: "\(name)@example.org", schedule: schedule)
    }

    /// A real CISA advisory, read as an importer hands it to the store.
    static func document(_ name: String = "icsa-22-172-04") throws -> IncomingDocument {
        try Incoming.document("providers/cisa/csaf_files/OT/white/2022/\(name).json")
    }

    /// The organisation's deliveries, oldest first.
    static func outbox(_ store: any VigilStore, _ organisation: Organisation, status: DeliveryStatus? = nil) async throws -> [DeliveryRecord] {
        try await store.deliveries(organisationID: organisation.id, status: status, limit: 1000).sorted { $0.id < $1.id }
    }
}
