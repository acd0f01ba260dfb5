import CSAF
import Foundation
import Matching
import Storage

/// CSV and JSON renderings of the alert log, shared by the command line and the web export.
public enum AlertLogExport {
    public static func csv(_ alerts: [StoredAlert]) -> String {
        CSVWriter.table(header: ["id", "raised", "status", "owner", "due_date", "advisory", "version", "title", "severity", "cvss",
                                 "changes", "watches"],
                        rows: alerts.map { alert in
            [String(alert.id), Timestamp.format(alert.createdAt), alert.status, alert.owner ?? "", alert.dueDate ?? "",
             alert.draft.advisoryID, alert.draft.advisoryVersion, alert.advisoryTitle, alert.severity,
             alert.cvssScore.map { String($0) } ?? "", alert.draft.changes.joined(separator: "; "),
             alert.draft.matches.map { "\($0.watch): \($0.reason)" }.joined(separator: "; ")]
        })
    }

    public static func json(_ alerts: [StoredAlert]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(alerts)
    }
}
