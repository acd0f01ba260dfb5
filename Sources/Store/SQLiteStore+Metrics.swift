import CSAF
import Foundation
import GRDB

extension SQLiteStore {
    /// The counts `GET /metrics` shows, read in one snapshot, and the size of the file with its WAL.
    public func metricsReading(now: Date) async throws -> StoreMetricsReading {
        let stamp = Timestamp.format(now)
        var reading = try await writer.read { db in
            var byIntegrity: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: StoreMetricsSQL.documentsByIntegrity) {
                byIntegrity[row[0] ?? "", default: 0] += row[1] ?? 0
            }
            let oldest: String? = try String.fetchOne(db, sql: StoreMetricsSQL.oldestDue, arguments: [stamp, stamp])
            return StoreMetricsReading(documentsByIntegrity: byIntegrity,
                                       quarantined: try Int.fetchOne(db, sql: StoreMetricsSQL.quarantined) ?? 0,
                                       pendingDeliveries: try Int.fetchOne(db, sql: StoreMetricsSQL.pendingDeliveries) ?? 0,
                                       oldestDue: oldest.flatMap(Timestamp.parse))
        }
        reading.sizeBytes = [path, path + "-wal"].reduce(Int64(0)) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
        return reading
    }
}
