import CSAF
import Foundation
import Storage

/// The counts `GET /metrics` shows: one implementation for both databases.
extension SQLStore {
    /// The counts, read from one consistent state, and the database's size on disk.
    public func metricsReading(now: Date) async throws -> StoreMetricsReading {
        let stamp = Timestamp.format(now)
        var reading = try await snapshot { db in
            var byIntegrity: [String: Int] = [:]
            for row in try await db.fetchAll(StoreMetricsSQL.documentsByIntegrity) {
                let status: String = row[0]
                let count: Int = row[1]
                byIntegrity[status, default: 0] += count
            }
            let oldest = try await db.fetchValue(StoreMetricsSQL.oldestDue, [stamp, stamp], as: String.self)
            return StoreMetricsReading(
                documentsByIntegrity: byIntegrity,
                quarantined: try await db.fetchValue(StoreMetricsSQL.quarantined, as: Int.self) ?? 0,
                pendingDeliveries: try await db.fetchValue(StoreMetricsSQL.pendingDeliveries, as: Int.self) ?? 0,
                oldestDue: oldest.flatMap(Timestamp.parse))
        }
        reading.sizeBytes = try await sizeOnDisk()
        return reading
    }
}

/// The SQL both stores run for a reading (same tables, same text timestamps).
enum StoreMetricsSQL {
    static let documentsByIntegrity = "SELECT integrity, COUNT(*) FROM documents GROUP BY integrity"
    static let quarantined = "SELECT COUNT(*) FROM quarantine"
    static let pendingDeliveries = "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'sending')"
    /// Two arguments: now, twice. Uses the `deliveries_due` index (status, next_attempt_at).
    static let oldestDue = """
        SELECT MIN(due) FROM (
          SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?
          UNION ALL
          SELECT MIN(lease_until) AS due FROM deliveries WHERE status = 'sending' AND lease_until <= ?
        ) AS overdue
        """
}
