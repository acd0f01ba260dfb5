import CSAF
import Foundation
import Storage

/// What the dashboard counts of the advisories (issue 17).
extension SQLStore {
    public func advisoryCountsByMonth(since: Date) async throws -> [AdvisoryMonthCount] {
        // Dates are stored as RFC 3339 text in UTC, so the first seven characters are the month on both databases,
        // and a date is in that month or later exactly when it sorts at or after "YYYY-MM" byte by byte: the range
        // reads the months shown from the index on the date (v24, PostgreSQL v13), not every advisory.
        let first = String(Timestamp.format(since).prefix(7))
        return try await fetchAll("""
            SELECT substr(initial_release_date, 1, 7) AS month, severity, COUNT(*) AS n FROM advisories
            WHERE \(dialect.binary("initial_release_date")) >= ?
            GROUP BY substr(initial_release_date, 1, 7), severity
            ORDER BY 1, 2
            """, [first]).map { row in
            AdvisoryMonthCount(month: row["month"], severity: Severity(rawValue: row["severity"]) ?? .none, count: row["n"])
        }
    }
}
