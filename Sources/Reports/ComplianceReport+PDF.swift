import CSAF
import Foundation
import Storage

extension ComplianceReport {
    /// Severity colours of the site's badges (`vigil.css`), for the chart.
    static let severityColours: [Severity: UInt32] = [
        .critical: 0x7A0B0B, .high: 0xC2410C, .medium: 0xA16207, .low: 0x1D6F42, .none: 0x4B5563,
    ]

    /// The report as a PDF (A4 landscape): the heading and policy, a vector bar chart of alerts by severity against the
    /// period before, the summary table, and one row per alert with its deadlines; "Page n of m" on every page.
    public var pdf: [UInt8] {
        func time(_ date: Date?) -> String { date.map { Timestamp.format($0).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "") } ?? "–" }
        var flow = PDFFlowDocument(pageSize: .a4Landscape)
        flow.heading(framework.title)
        flow.paragraph("\(organisation) · \(period.name) · made \(time(madeAt)) UTC")
        flow.paragraph("Deadlines: \(policyText).")
        flow.heading("Alerts by severity", level: 2)
        let severities = Severity.allCases.reversed().map { $0 }
        let current = severities.map { summary.bySeverity[$0] ?? 0 }
        let before = severities.map { previous.bySeverity[$0] ?? 0 }
        let periodName = period.name
        let previousName = period.previous.name
        flow.drawing(height: 150) { page, box in
            let top = max(1, (current + before).max() ?? 1)
            let labelWidth = 90.0
            let barArea = box.width - labelWidth - 40
            let rowHeight = box.height / Double(severities.count)
            for (index, severity) in severities.enumerated() {
                let y = box.y + Double(index) * rowHeight
                page.text(severity.rawValue, at: PDFPoint(x: box.x, y: y + rowHeight * 0.55), size: 9)
                let colour = PDFColor(hex: Self.severityColours[severity] ?? 0x4B5563)
                let nowWidth = barArea * Double(current[index]) / Double(top)
                let thenWidth = barArea * Double(before[index]) / Double(top)
                page.fill(PDFRect(x: box.x + labelWidth, y: y + 2, width: max(nowWidth, 0.5), height: rowHeight * 0.45), color: colour)
                page.stroke(PDFRect(x: box.x + labelWidth, y: y + 2 + rowHeight * 0.45, width: max(thenWidth, 0.5), height: rowHeight * 0.35),
                            color: colour, width: 0.8)
                page.text("\(current[index]) (\(before[index]))", at: PDFPoint(x: box.x + labelWidth + max(nowWidth, thenWidth) + 4,
                                                                               y: y + rowHeight * 0.55), size: 8)
            }
        }
        flow.paragraph("Filled bars: \(periodName); outlined bars and figures in brackets: \(previousName).", size: 8)
        flow.heading("Summary", level: 2)
        flow.table(PDFTable(columns: [.init("", fraction: 0.5), .init(periodName, fraction: 0.25, alignment: .right),
                                      .init(previousName, fraction: 0.25, alignment: .right)],
                            rows: summaryLines.map { [$0.label, $0.value, $0.before] }))
        flow.heading("Alerts", level: 2)
        if rows.isEmpty {
            flow.paragraph("No alert in \(period.name).")
        } else {
            flow.table(PDFTable(
                columns: [.init("Advisory", fraction: 0.17), .init("Severity", fraction: 0.07), .init("Seen / alerted (UTC)", fraction: 0.12),
                          .init("Evaluated", fraction: 0.15), .init("Status", fraction: 0.1), .init("Resolved", fraction: 0.13),
                          .init("Assets", fraction: 0.13), .init("Notes", fraction: 0.13)],
                rows: rows.map { row in
                    ["\(row.advisoryID) v\(row.advisoryVersion)\n\(row.title)",
                     row.severity.rawValue + (row.cvssScore.map { String(format: " %.1f", $0) } ?? ""),
                     "\(time(row.seenAt))\n\(time(row.alertedAt))",
                     "\(time(row.evaluatedAt))\(row.evaluatedBy.map { " by " + $0 } ?? "")\ndue \(time(row.evaluationDeadline)): \(row.evaluation.label)",
                     row.status.label + (row.owner.map { "\nowner " + $0 } ?? "") + (row.dueDate.map { "\ndue " + $0 } ?? ""),
                     "\(time(row.resolvedAt))\ndue \(time(row.remediationDeadline)): \(row.remediation.label)",
                     row.assets.joined(separator: "\n"),
                     row.notes.joined(separator: "\n")]
                }))
        }
        return flow.document(info: PDFDocumentInfo(title: "\(framework.title): \(organisation), \(period.name)", author: "Vigil",
                                                   subject: policyText, creationDate: madeAt)).bytes()
    }
}
