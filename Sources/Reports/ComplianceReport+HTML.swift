import CSAF
import Foundation
import Storage

extension ComplianceReport {
    /// The summary's lines as label and value, this period against the one before: for the HTML, the PDF and the
    /// command line alike.
    public var summaryLines: [(label: String, value: String, before: String)] {
        func days(_ value: Double?) -> String { value.map { String(format: "%.1f days", $0) } ?? "–" }
        var lines: [(String, String, String)] = [("Alerts", String(summary.alerts), String(previous.alerts))]
        for severity in Severity.allCases.reversed() {
            lines.append(("Severity \(severity.rawValue)", String(summary.bySeverity[severity] ?? 0), String(previous.bySeverity[severity] ?? 0)))
        }
        for status in AlertStatus.allCases {
            lines.append(("Status \(status.label.lowercased())", String(summary.byStatus[status] ?? 0), String(previous.byStatus[status] ?? 0)))
        }
        for verdict in Verdict.allCases {
            lines.append(("Evaluation \(verdict.label)", String(summary.evaluationVerdicts[verdict] ?? 0), String(previous.evaluationVerdicts[verdict] ?? 0)))
        }
        for verdict in Verdict.allCases {
            lines.append(("Remediation \(verdict.label)", String(summary.remediationVerdicts[verdict] ?? 0), String(previous.remediationVerdicts[verdict] ?? 0)))
        }
        lines.append(("Overdue", String(summary.overdue), String(previous.overdue)))
        lines.append(("Mean time to evaluate", days(summary.meanDaysToEvaluate), days(previous.meanDaysToEvaluate)))
        lines.append(("Mean time to resolve", days(summary.meanDaysToResolve), days(previous.meanDaysToResolve)))
        return lines
    }

    /// The deadlines in words: `evaluate within 35 days; patch, mitigate or close within 35 days from the evaluation`.
    public var policyText: String { policy.text }

    /// A standalone HTML page (no scripts, no external resources; every value escaped) for reading or printing.
    public var html: String {
        let escape = MarkupEscaping.html
        func time(_ date: Date?) -> String { date.map { escape(Timestamp.format($0).replacingOccurrences(of: "T", with: " ")) } ?? "–" }
        var out = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(framework.title)) · \(escape(organisation)) · \(escape(period.name))</title>
            <style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}
            th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eee}
            .late,.overdue{color:#a00;font-weight:bold}.met{color:#060}@media print{body{margin:0}}</style></head><body>
            <h1>\(escape(framework.title))</h1>
            <p>\(escape(organisation)) · \(escape(period.name)) · made \(time(madeAt)) UTC · \(escape(policyText))</p>
            <h2>Summary</h2>
            <table><thead><tr><th scope="col"></th><th scope="col">\(escape(period.name))</th><th scope="col">\(escape(period.previous.name))</th></tr></thead><tbody>

            """
        for line in summaryLines {
            out += "<tr><th scope=\"row\">\(escape(line.label))</th><td>\(escape(line.value))</td><td>\(escape(line.before))</td></tr>\n"
        }
        out += "</tbody></table>\n<h2>Alerts</h2>\n"
        if rows.isEmpty {
            out += "<p>No alert in \(escape(period.name)).</p>\n"
        } else {
            out += "<table><thead><tr><th scope=\"col\">Advisory</th><th scope=\"col\">Severity</th><th scope=\"col\">Seen / alerted</th>"
            out += "<th scope=\"col\">Evaluated</th><th scope=\"col\">Status</th><th scope=\"col\">Resolved</th><th scope=\"col\">Assets</th>"
            out += "<th scope=\"col\">Notes</th></tr></thead><tbody>\n"
            for row in rows {
                out += "<tr><td>\(escape(row.advisoryID)) v\(escape(row.advisoryVersion))<br>\(escape(row.title))</td>"
                out += "<td>\(escape(row.severity.rawValue))\(row.cvssScore.map { String(format: " %.1f", $0) } ?? "")</td>"
                out += "<td>\(time(row.seenAt))<br>\(time(row.alertedAt))</td>"
                out += "<td>\(time(row.evaluatedAt))\(row.evaluatedBy.map { " by " + escape($0) } ?? "")<br>due \(time(row.evaluationDeadline)): "
                out += "<span class=\"\(row.evaluation.rawValue)\">\(escape(row.evaluation.label))</span></td>"
                out += "<td>\(escape(row.status.label))\(row.owner.map { "<br>owner " + escape($0) } ?? "")\(row.dueDate.map { "<br>due " + escape($0) } ?? "")</td>"
                out += "<td>\(time(row.resolvedAt))<br>due \(time(row.remediationDeadline)): "
                out += "<span class=\"\(row.remediation.rawValue)\">\(escape(row.remediation.label))</span></td>"
                out += "<td>\(row.assets.map(escape).joined(separator: "<br>"))</td>"
                out += "<td>\(row.notes.map(escape).joined(separator: "<br>"))</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        out += "</body></html>\n"
        return out
    }
}
