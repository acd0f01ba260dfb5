import CSAF
import Foundation
import Reports
import Storage

/// The monthly compliance report in the outbox: queued on the first of the month (UTC) for each organisation whose
/// report settings name a channel (`ReportSettings.monthlyChannelID`), made when the delivery is sent (so its
/// deadline verdicts are judged at that moment, as `vigil report` judges them when run), and sent like any delivery:
/// claimed with a lease, retried with the same idempotency key, recorded once.
extension AlertDispatcher {
    /// How often a process asks the store whether a month's reports are still to be queued: the first pass, then at
    /// most once per interval (a query that writes nothing, but one a 1-second pass loop need not run each second).
    static let reportCheckInterval: TimeInterval = 300

    /// Queues last month's reports that are not queued yet; at most every `reportCheckInterval` seconds.
    func enqueueDueReports(now: Date) async throws -> Int {
        guard reportCheck.isDue(now: now, interval: Self.reportCheckInterval) else { return 0 }
        let period = ReportPeriod.month(before: now)
        let queued = try await store.enqueueMonthlyReports(period: period.name, periodEnd: period.end, now: now)
        reportCheck.done(at: now)
        return queued
    }

    /// Makes the report a claimed `report` delivery names and renders it for the channel.
    func prepareReport(_ delivery: ClaimedDelivery, content: DeliveryContent, composer: AlertMessageComposer, now: Date) async -> Prepared {
        guard let source = reportSource else {
            return .failed(DeliveryFailure("this process's store cannot make reports; a vigil serve node will send it", isTransient: true))
        }
        guard let end = delivery.periodEnd, let period = ReportPeriod.month(endingAt: end) else {
            return .failed(DeliveryFailure("the report delivery names no month", isTransient: false))
        }
        let report: ComplianceReport
        do {
            let settings = try await source.reportSettings(organisationID: delivery.organisationID)
            let framework = ReportFramework(settings: settings)
            report = try await ComplianceReport.load(from: source, organisation: content.organisation, period: period, framework: framework,
                                                     policy: DeadlinePolicy(framework: framework, settings: settings), madeAt: now)
        } catch {
            return .failed(DeliveryFailure("could not make the report of \(period.name): \(error)", isTransient: true))
        }
        return rendered(delivery, now: now,
                        mail: { composer.reportMail(delivery, report: report, from: $0, date: now) },
                        slack: { composer.reportSlackBody(delivery, report: report) },
                        teams: { composer.reportTeamsBody(delivery, report: report) },
                        webhook: { composer.reportWebhookBody(delivery, report: report, date: now) })
    }
}

/// When this process last asked for reports to queue.
final class ReportCheckClock: @unchecked Sendable {
    private let lock = NSLock()
    private var last: Date?

    func isDue(now: Date, interval: TimeInterval) -> Bool {
        lock.withLock { last.map { now.timeIntervalSince($0) >= interval || now < $0 } ?? true }
    }

    func done(at now: Date) {
        lock.withLock { last = now }
    }
}

extension AlertMessageComposer {
    /// The report's pages: HTML to read, CSV for a spreadsheet, PDF to file; each made afresh when opened.
    func reportLinks(_ report: ComplianceReport) -> [(format: String, url: String)] {
        ["html", "csv", "pdf"].map { format in
            (format, "\(baseURL)/reports/\(report.period.name).\(format)?framework=\(report.framework.rawValue)")
        }
    }

    /// `[Vigil] Monthly report for Plant A, 2026-11: 12 alerts, 2 overdue`.
    func reportSubject(_ report: ComplianceReport) -> String {
        let alerts = report.summary.alerts, overdue = report.summary.overdue
        let text = "[Vigil] Monthly report for \(report.organisation), \(report.period.name): \(alerts) alert\(alerts == 1 ? "" : "s"), \(overdue) overdue"
        let flat = String(String.UnicodeScalarView(text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : $0 }))
        return flat.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// The email: the summary as text and HTML, with the PDF attached.
    public func reportMail(_ delivery: ClaimedDelivery, report: ComplianceReport, from: MailAddress, date: Date) -> MailMessage {
        let pdf = MailAttachment(filename: ComplianceReport.filename(organisation: report.organisation, period: report.period, extension: "pdf"),
                                 contentType: "application/pdf", data: report.pdf)
        return MailMessage(
            from: from, to: [MailAddress(delivery.channel.target)], subject: reportSubject(report),
            messageID: Self.messageID(delivery, from: from), date: date, extraHeaders: mailHeaders(delivery),
            textBody: reportText(delivery, report: report), htmlBody: reportHTML(delivery, report: report), attachments: [pdf])
    }

    func reportText(_ delivery: ClaimedDelivery, report: ComplianceReport) -> String {
        var out = "\(report.framework.title) for \(report.organisation), \(report.period.name).\n"
        out += "Deadlines: \(report.policyText).\n\n"
        let width = report.summaryLines.map(\.label.count).max() ?? 0
        out += "".padding(toLength: width, withPad: " ", startingAt: 0) + "  this month  month before\n"
        for line in report.summaryLines {
            out += line.label.padding(toLength: width, withPad: " ", startingAt: 0)
            out += "  " + line.value.padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + line.before + "\n"
        }
        out += "\nThe full report is attached as a PDF. Made afresh when opened:\n"
        for link in reportLinks(report) { out += "- \(link.format.uppercased()): \(link.url)\n" }
        out += "\n--\nSent by Vigil to \(delivery.channel.spec) for \(report.organisation) on the first of each month.\n"
        out += "Stop these messages: \(baseURL)/unsubscribe/\(delivery.channel.unsubscribeToken)\n"
        return out
    }

    func reportHTML(_ delivery: ClaimedDelivery, report: ComplianceReport) -> String {
        let escape = Self.escape
        var out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(escape(reportSubject(report)))</title></head>\n"
        out += "<body style=\"font-family:sans-serif;line-height:1.4;max-width:720px\">\n"
        out += "<h1 style=\"font-size:1.3em\">\(escape(report.framework.title))</h1>\n"
        out += "<p>\(escape(report.organisation)) · \(escape(report.period.name)) · deadlines: \(escape(report.policyText))</p>\n"
        out += "<table style=\"border-collapse:collapse\">\n<tr><th style=\"text-align:left\"></th><th style=\"padding:0 1em\">This month</th><th>Month before</th></tr>\n"
        for line in report.summaryLines {
            out += "<tr><th scope=\"row\" style=\"text-align:left;font-weight:normal\">\(escape(line.label))</th>"
            out += "<td style=\"text-align:right;padding:0 1em\">\(escape(line.value))</td><td style=\"text-align:right\">\(escape(line.before))</td></tr>\n"
        }
        out += "</table>\n<p>The full report is attached as a PDF. Made afresh when opened: "
        out += reportLinks(report).map { "<a href=\"\(escape($0.url))\">\($0.format.uppercased())</a>" }.joined(separator: " · ") + "</p>\n"
        out += "<hr><p style=\"font-size:0.85em;color:#555\">Sent by Vigil to \(escape(delivery.channel.spec)) for \(escape(report.organisation)). "
        out += "<a href=\"\(escape("\(baseURL)/unsubscribe/\(delivery.channel.unsubscribeToken)"))\">Stop these messages</a>.</p>\n"
        out += "</body></html>\n"
        return out
    }

    /// The summary as numbers, with the links: `type` is `report` (docs/webhooks.md).
    public func reportWebhookBody(_ delivery: ClaimedDelivery, report: ComplianceReport, date: Date) -> [UInt8] {
        func counts<Key>(_ values: [Key: Int], _ keys: [Key], name: (Key) -> String) -> JSONOutput {
            .object(keys.map { (name($0), .int(Int64(values[$0] ?? 0))) })
        }
        func summary(_ summary: ComplianceReport.Summary) -> JSONOutput {
            .object([
                ("alerts", .int(Int64(summary.alerts))),
                ("overdue", .int(Int64(summary.overdue))),
                ("by_severity", counts(summary.bySeverity, Severity.allCases.reversed(), name: \.rawValue)),
                ("by_status", counts(summary.byStatus, AlertStatus.allCases, name: \.rawValue)),
                ("evaluation", counts(summary.evaluationVerdicts, ComplianceReport.Verdict.allCases, name: \.rawValue)),
                ("remediation", counts(summary.remediationVerdicts, ComplianceReport.Verdict.allCases, name: \.rawValue)),
                ("mean_days_to_evaluate", .optional(summary.meanDaysToEvaluate)),
                ("mean_days_to_resolve", .optional(summary.meanDaysToResolve)),
            ])
        }
        return JSONOutput.object([
            ("id", .string(Self.deliveryID(delivery))),
            ("type", .string(delivery.kind.rawValue)),
            ("sent_at", .string(Timestamp.format(date))),
            ("organisation", .string(report.organisation)),
            ("channel", .string(delivery.channel.name)),
            ("period", .string(report.period.name)),
            ("period_start", .string(Timestamp.format(report.period.start))),
            ("period_end", .string(Timestamp.format(report.period.end))),
            ("framework", .string(report.framework.rawValue)),
            ("deadlines", .string(report.policyText)),
            ("summary", summary(report.summary)),
            ("previous", summary(report.previous)),
            ("links", .object(reportLinks(report).map { ($0.format, .string($0.url)) })),
        ]).bytes
    }

    public func reportSlackBody(_ delivery: ClaimedDelivery, report: ComplianceReport) -> [UInt8] {
        let title = reportSubject(report)
        var text = Self.slackEscape("\(report.framework.title). Deadlines: \(report.policyText).") + "\n"
        for line in report.summaryLines where ["Alerts", "Overdue", "Mean time to evaluate", "Mean time to resolve"].contains(line.label) {
            text += "• " + Self.slackEscape("\(line.label): \(line.value) (month before: \(line.before))") + "\n"
        }
        text += reportLinks(report).map { "<\(Self.slackEscape($0.url))|\($0.format.uppercased())>" }.joined(separator: " · ")
        let blocks: [JSONOutput] = [
            .object([("type", .string("header")), ("text", .object([("type", .string("plain_text")), ("text", .string(String(title.prefix(150))))]))]),
            .object([("type", .string("section")), ("text", .object([("type", .string("mrkdwn")), ("text", .string(String(text.prefix(2900))))]))]),
        ]
        return JSONOutput.object([("text", .string(title)), ("blocks", .array(blocks))]).bytes
    }

    public func reportTeamsBody(_ delivery: ClaimedDelivery, report: ComplianceReport) -> [UInt8] {
        let facts: [JSONOutput] = report.summaryLines
            .filter { ["Alerts", "Overdue", "Mean time to evaluate", "Mean time to resolve"].contains($0.label) }
            .map { .object([("title", .string($0.label)), ("value", .string("\($0.value) (month before: \($0.before))"))]) }
        let card = JSONOutput.object([
            ("$schema", .string("http://adaptivecards.io/schemas/adaptive-card.json")),
            ("type", .string("AdaptiveCard")), ("version", .string("1.4")),
            ("body", .array([
                .object([("type", .string("TextBlock")), ("text", .string(reportSubject(report))), ("weight", .string("Bolder")),
                         ("size", .string("Medium")), ("wrap", .bool(true))]),
                .object([("type", .string("TextBlock")), ("text", .string("Deadlines: \(report.policyText)")), ("wrap", .bool(true))]),
                .object([("type", .string("FactSet")), ("facts", .array(facts))]),
            ])),
            ("actions", .array(reportLinks(report).map { .object([("type", .string("Action.OpenUrl")),
                                                                  ("title", .string("Open the \($0.format.uppercased())")), ("url", .string($0.url))]) })),
        ])
        return JSONOutput.object([("type", .string("message")), ("attachments", .array([
            .object([("contentType", .string("application/vnd.microsoft.card.adaptive")), ("contentUrl", .null), ("content", card)]),
        ]))]).bytes
    }
}
