import CSAF
import Foundation
import GRDB

extension SQLiteStore {
    public func setChannelSchedule(id: Int64, organisationID: Int64, schedule: NotificationChannel.Schedule) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE channels SET schedule = ? WHERE id = ? AND organisation_id = ?",
                           arguments: [schedule.rawValue, id, organisationID])
            guard db.changesCount > 0 else { return false }
            if schedule == .immediate {
                // An immediate channel has no digest to wait for: what was held goes out at the next dispatch.
                try db.execute(sql: """
                    UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE channel_id = ? AND status = 'held'
                    """, arguments: [Timestamp.format(Date()), id])
            }
            return true
        }
    }
}
