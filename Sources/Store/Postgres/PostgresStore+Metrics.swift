import CSAF
import Foundation

extension PostgresStore {
    /// The counts `GET /metrics` shows, read in one transaction, and the database's size on disk.
    public func metricsReading(now: Date) async throws -> StoreMetricsReading {
        let stamp = Timestamp.format(now)
        return try await transaction { db in
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
                oldestDue: oldest.flatMap(Timestamp.parse),
                sizeBytes: try await db.fetchValue("SELECT pg_database_size(current_database())", as: Int64.self) ?? 0)
        }
    }
}
