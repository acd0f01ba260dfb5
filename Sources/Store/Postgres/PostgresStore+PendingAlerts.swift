import CSAF
import Foundation
import Matching

// Scaffolding: each method is replaced by its PostgreSQL implementation; this file goes when all are.
extension PostgresStore {
    public func addWatch(_ watch: StoredWatch.Draft, organisationID: Int64) async throws -> StoredWatch { throw StoreError("PostgreSQL: not yet") }
    public func watches(organisationID: Int64) async throws -> [StoredWatch] { throw StoreError("PostgreSQL: not yet") }
    public func allWatches() async throws -> [StoredWatch] { throw StoreError("PostgreSQL: not yet") }
    public func removeWatch(id: Int64, organisationID: Int64) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func pendingChanges(limit: Int) async throws -> [AdvisoryChangeRecord] { throw StoreError("PostgreSQL: not yet") }
    public func alertContext(advisoryID: String) async throws -> (knownExploited: Set<String>, exposedAssets: [Int64: Int]) { throw StoreError("PostgreSQL: not yet") }
    public func createAlert(_ alert: StoredAlert.Draft) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func createAlerts(_ alerts: [StoredAlert.Draft]) async throws -> [Bool] { throw StoreError("PostgreSQL: not yet") }
    public func markProcessed(changeID: Int64) async throws { throw StoreError("PostgreSQL: not yet") }
    public func discardPendingChanges() async throws -> Int { throw StoreError("PostgreSQL: not yet") }
    public func alerts(organisationID: Int64, status: AlertStatus?, limit: Int) async throws -> [StoredAlert] { throw StoreError("PostgreSQL: not yet") }
    public func addChannel(_ channel: NotificationChannel.Draft, organisationID: Int64) async throws -> NotificationChannel { throw StoreError("PostgreSQL: not yet") }
    public func channels(organisationID: Int64) async throws -> [NotificationChannel] { throw StoreError("PostgreSQL: not yet") }
    public func removeChannel(id: Int64, organisationID: Int64) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func setChannelEnabled(id: Int64, organisationID: Int64, enabled: Bool, reason: String?) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func setChannelSchedule(id: Int64, organisationID: Int64, schedule: NotificationChannel.Schedule) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func channel(unsubscribeToken token: String) async throws -> NotificationChannel? { throw StoreError("PostgreSQL: not yet") }
    public func enqueueTest(channelID: Int64, organisationID: Int64, now: Date) async throws -> Int64 { throw StoreError("PostgreSQL: not yet") }
    public func channelsWithHeldAlerts() async throws -> [(channel: NotificationChannel, oldest: Date)] { throw StoreError("PostgreSQL: not yet") }
    public func composeDigest(channelID: Int64, periodEnd boundary: Date, now: Date) async throws -> Int { throw StoreError("PostgreSQL: not yet") }
    public func claimDeliveries(now: Date, lease: TimeInterval, limit: Int, only: Int64?) async throws -> [ClaimedDelivery] { throw StoreError("PostgreSQL: not yet") }
    public func deliveryContent(_ delivery: ClaimedDelivery, cache: AdvisoryCache) async throws -> DeliveryContent { throw StoreError("PostgreSQL: not yet") }
    public func markDelivered(deliveryID: Int64, at: Date, detail: String) async throws { throw StoreError("PostgreSQL: not yet") }
    public func markFailed(deliveryID: Int64, error: String, retryAt: Date?) async throws { throw StoreError("PostgreSQL: not yet") }
    public func recordOutcomes(_ outcomes: [DeliveryOutcome]) async throws { throw StoreError("PostgreSQL: not yet") }
    public func deliveries(organisationID: Int64, status: DeliveryStatus?, limit: Int) async throws -> [DeliveryRecord] { throw StoreError("PostgreSQL: not yet") }
    public func alert(id: Int64, organisationID: Int64) async throws -> StoredAlert? { throw StoreError("PostgreSQL: not yet") }
    public func updateAlert(id: Int64, organisationID: Int64, update: AlertUpdate, actor: String, at: Date) async throws -> StoredAlert? { throw StoreError("PostgreSQL: not yet") }
    public func alertEvents(alertID: Int64, organisationID: Int64) async throws -> [AlertEvent] { throw StoreError("PostgreSQL: not yet") }
    public func alertDeliveries(alertID: Int64, organisationID: Int64) async throws -> [DeliveryRecord] { throw StoreError("PostgreSQL: not yet") }
}
