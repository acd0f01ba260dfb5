import CSAF
import Foundation
import Storage

/// Report settings and the monthly report's place in the outbox: one implementation for both databases.
extension SQLStore {
    public func reportSettings(organisationID: Int64) async throws -> ReportSettings? {
        try await fetchOne("SELECT * FROM report_settings WHERE organisation_id = ?", [organisationID]).map { row in
            ReportSettings(framework: row["framework"], evaluateDays: row["evaluate_days"], remediateDays: row["remediate_days"],
                           monthlyChannelID: row["monthly_channel_id"], updatedAt: (row["updated_at"] as String?).flatMap(Timestamp.parse),
                           updatedBy: row["updated_by"])
        }
    }

    public func saveReportSettings(_ settings: ReportSettings, organisationID: Int64, actor: String, at: Date) async throws {
        try await transaction { db in
            if let channel = settings.monthlyChannelID {
                guard try await db.fetchOne("SELECT id FROM channels WHERE id = ? AND organisation_id = ?", [channel, organisationID]) != nil else {
                    throw StoreError.notFound("the organisation has no channel \(channel)")
                }
            }
            let stamp = Timestamp.format(at)
            try await db.execute("""
                INSERT INTO report_settings(organisation_id, framework, evaluate_days, remediate_days, monthly_channel_id,
                                            created_at, updated_at, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (organisation_id) DO UPDATE SET framework = excluded.framework,
                  evaluate_days = excluded.evaluate_days, remediate_days = excluded.remediate_days,
                  monthly_channel_id = excluded.monthly_channel_id, updated_at = excluded.updated_at,
                  updated_by = excluded.updated_by
                """, [organisationID, settings.framework, settings.evaluateDays, settings.remediateDays, settings.monthlyChannelID,
                      stamp, stamp, actor])
            // Pages that show reports are cached by generation.
            try await Self.bumpGeneration(db)
        }
    }

    public func enqueueMonthlyReports(period: String, periodEnd: Date, now: Date) async throws -> Int {
        let end = Timestamp.format(periodEnd), stamp = Timestamp.format(now)
        // The key names the organisation, the channel and the month: a second run, on this node or another, inserts
        // nothing. Settings saved after the month ended wait for the next month.
        let queued = try await fetchAll("""
            INSERT INTO deliveries(organisation_id, channel_id, kind, idempotency_key, status, next_attempt_at, period_end, created_at)
            SELECT s.organisation_id, c.id, 'report', 'report:' || s.organisation_id || '|' || c.id || '|' || ?, 'pending', ?, ?, ?
            FROM report_settings s JOIN channels c ON c.id = s.monthly_channel_id AND c.organisation_id = s.organisation_id
            WHERE c.enabled = ? AND s.created_at < ?
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id
            """, [period, stamp, end, stamp, true, end])
        return queued.count
    }
}
