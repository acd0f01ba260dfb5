import CSAF
import Foundation
import Matching

extension ComplianceReport {
    /// The CSV columns, in order.
    public static let csvHeader = [
        "alert_id", "advisory_id", "advisory_version", "title", "severity", "cvss", "seen_at", "alerted_at",
        "evaluated_at", "evaluated_by", "evaluation_deadline", "evaluation", "status", "owner", "due_date", "resolved_at",
        "remediation_deadline", "remediation", "assets", "notes",
    ]

    /// One line per alert of the period (RFC 4180, CRLF, formula-safe): times in UTC as RFC 3339, verdicts as
    /// `met`, `late`, `overdue` or `open`, assets and notes each joined by `; ` and newlines.
    public var csv: String {
        func time(_ date: Date?) -> String { date.map(Timestamp.format) ?? "" }
        let lines = rows.map { row -> [String] in
            [String(row.alertID), row.advisoryID, row.advisoryVersion, row.title, row.severity.rawValue,
             row.cvssScore.map { String(format: "%.1f", $0) } ?? "", time(row.seenAt), time(row.alertedAt),
             time(row.evaluatedAt), row.evaluatedBy ?? "", time(row.evaluationDeadline), row.evaluation.rawValue,
             row.status.rawValue, row.owner ?? "", row.dueDate ?? "", time(row.resolvedAt), time(row.remediationDeadline),
             row.remediation.rawValue, row.assets.joined(separator: "; "), row.notes.joined(separator: "\n")]
        }
        return CSVWriter.table(header: Self.csvHeader, rows: lines)
    }
}
