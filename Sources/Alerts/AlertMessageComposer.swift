import CSAF
import Crypto
import Foundation
import Matching
import Storage

/// Turns a delivery's alerts into what each channel sends: an email with a plain-text and an HTML part, a generic
/// webhook's JSON, or a Slack or Microsoft Teams message. Pure: the time and the links' base come in as values.
public struct AlertMessageComposer: Sendable {
    /// Where Vigil's pages are reached by the people alerted (`https://vigil.example.org`), without a trailing slash.
    public var baseURL: String
    /// The organisation's time zone, in which a digest's period is told beside UTC; nil (or UTC) tells it in UTC only.
    public var timeZone: TimeZone?
    /// At most this many assets are listed per alert (the alert's page lists them all).
    public var assetLimit = 25
    /// At most this many affected products are listed per alert.
    public var productLimit = 20

    public init(baseURL: String) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
    }

    /// This composer with the links on an organisation's own base URL (`OrganisationSettings.baseURL`); itself when
    /// the organisation has none.
    public func linking(to organisationBaseURL: String?) -> AlertMessageComposer {
        guard let organisationBaseURL, !organisationBaseURL.isEmpty else { return self }
        var composer = self
        composer.baseURL = AlertMessageComposer(baseURL: organisationBaseURL).baseURL
        return composer
    }

    /// This composer telling times on an organisation's clock (`OrganisationSettings.timeZone`, an IANA name).
    public func inZone(_ identifier: String?) -> AlertMessageComposer {
        var composer = self
        composer.timeZone = identifier.flatMap(TimeZone.init(identifier:))
        return composer
    }

    /// `2026-12-08 09:00 Asia/Tokyo (2026-12-08T00:00:00Z)` on an organisation's clock; the UTC stamp alone in UTC.
    func periodEnd(_ date: Date) -> String {
        guard let zone = timeZone, zone.identifier != "UTC", zone.identifier != "GMT" else { return Timestamp.format(date) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return "\(formatter.string(from: date)) \(zone.identifier) (\(Timestamp.format(date)))"
    }

    // MARK: Identity

    /// The delivery id a webhook receiver sees and the left part of the email's Message-ID: the same for every retry of
    /// a delivery, so a receiver can tell a repeat after a crash from a new alert.
    public static func deliveryID(_ delivery: ClaimedDelivery) -> String {
        let digest = SHA256.hash(data: Array(delivery.idempotencyKey.utf8))
        return "dlv_" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    public static func messageID(_ delivery: ClaimedDelivery, from: MailAddress) -> String {
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "vigil.invalid"
        return "\(deliveryID(delivery)).vigil@\(domain)"
    }

    // MARK: Email

    public func mail(_ delivery: ClaimedDelivery, content: DeliveryContent, from: MailAddress, date: Date) -> MailMessage {
        MailMessage(
            from: from, to: [MailAddress(delivery.channel.target)], subject: subject(delivery, content: content),
            messageID: Self.messageID(delivery, from: from), date: date, extraHeaders: mailHeaders(delivery),
            textBody: text(delivery, content: content), htmlBody: html(delivery, content: content))
    }

    /// The headers every message Vigil mails carries: one-click unsubscribe (RFC 8058), auto-generated (RFC 3834, so
    /// no auto-reply comes back), and the delivery's id.
    func mailHeaders(_ delivery: ClaimedDelivery) -> [(name: String, value: String)] {
        [
            (name: "List-Unsubscribe", value: "<\(baseURL)/unsubscribe/\(delivery.channel.unsubscribeToken)>"),
            (name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click"),
            (name: "Auto-Submitted", value: "auto-generated"),
            (name: "X-Vigil-Delivery", value: Self.deliveryID(delivery)),
        ]
    }

    /// `[Vigil] CRITICAL ICSA-22-172-04: Phoenix Contact ProConOS and MULTIPROG (affects 3 of your assets)`, on one
    /// line whatever the document's title holds (a line break in a header would be refused, or worse, injected).
    public func subject(_ delivery: ClaimedDelivery, content: DeliveryContent) -> String {
        let text = rawSubject(delivery, content: content)
        let flat = String(String.UnicodeScalarView(text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : $0 }))
        let collapsed = flat.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return collapsed.count > 200 ? String(collapsed.prefix(199)) + "…" : collapsed
    }

    func rawSubject(_ delivery: ClaimedDelivery, content: DeliveryContent) -> String {
        switch delivery.kind {
        case .test:
            return "[Vigil] Test message for \(delivery.channel.name) (\(content.organisation.name))"
        case .report:
            // Sent through reportMail (MonthlyReportDelivery), which makes the report first.
            return "[Vigil] Monthly report for \(content.organisation.name)"
        case .digest:
            let period = delivery.channel.draft.schedule == .weekly ? "Weekly" : "Daily"
            return "[Vigil] \(period) digest for \(content.organisation.name): \(Self.countPhrase(content.notices))"
        case .alert:
            guard let notice = content.notices.first else { return "[Vigil] Alert for \(content.organisation.name)" }
            let alert = notice.alert
            let prefix = alert.isNew ? "" : AdvisoryChange.isKnownExploitedNews(alert.draft.changes) ? "Known exploited: " : "Updated: "
            var text = "[Vigil] " + prefix + severityLabel(notice) + " \(alert.draft.advisoryID): \(alert.advisoryTitle)"
            let exposed = notice.exposures.filter { $0.exposure.status == .affected }.count
            if exposed > 0 { text += " (affects \(exposed) of your assets)" }
            return text
        }
    }

    public func text(_ delivery: ClaimedDelivery, content: DeliveryContent) -> String {
        var out = ""
        switch delivery.kind {
        case .test:
            out += "This is a test message from Vigil for the channel \(delivery.channel.name) (\(delivery.channel.spec)) of \(content.organisation.name).\n"
            out += "Alerts for this organisation's watches will arrive here.\n"
        case .report:
            out += "The monthly report for \(content.organisation.name): \(baseURL)/reports\n"
        case .digest:
            out += "\(content.notices.count) alert\(content.notices.count == 1 ? "" : "s") for \(content.organisation.name)"
            if let end = delivery.periodEnd { out += " up to \(periodEnd(end))" }
            out += ", most severe first.\n"
            for severity in Severity.allCases.reversed() {
                let group = content.notices.filter { severityOf($0) == severity }
                guard !group.isEmpty else { continue }
                out += "\n\(severity.label) (\(group.count))\n"
                for notice in group {
                    out += "- \(notice.alert.draft.advisoryID) v\(notice.alert.draft.advisoryVersion): \(notice.alert.advisoryTitle)"
                    out += scoreSuffix(notice)
                    if !notice.alert.isNew { out += " [updated]" }
                    out += "\n  \(notice.alert.draft.changes.joined(separator: "; "))"
                    let exposed = notice.exposures.filter { $0.exposure.status == .affected }.count
                    if exposed > 0 { out += "; \(exposed) of your assets affected" }
                    out += "\n  \(alertURL(notice))\n"
                }
            }
        case .alert:
            for notice in content.notices { out += alertText(notice) }
        }
        out += "\n--\nSent by Vigil to \(delivery.channel.spec) for \(content.organisation.name).\n"
        out += "Stop these messages: \(baseURL)/unsubscribe/\(delivery.channel.unsubscribeToken)\n"
        return out
    }

    /// The page comparing an updated advisory's revisions; nil for a known-exploited listing or another publisher's
    /// republication, which have no earlier revision of their own to compare.
    func compareURL(_ alert: StoredAlert) -> String? {
        guard !alert.isNew, !AdvisoryChange.isKnownExploitedNews(alert.draft.changes),
              !AdvisoryChange.isRepublication(alert.draft.changes) else { return nil }
        return "\(baseURL)/advisories/\(Self.pathComponent(alert.draft.advisoryID))/changes"
    }

    func alertText(_ notice: AlertNotice) -> String {
        let alert = notice.alert
        var out = "\(severityLabel(notice))\(scoreSuffix(notice)) · \(alert.isNew ? "new advisory" : "updated advisory")\n"
        out += "\(alert.draft.advisoryID): \(alert.advisoryTitle)\n"
        if let advisory = notice.advisory {
            out += "Published by \(advisory.publisher.name), version \(advisory.version)"
            if let date = advisory.currentReleaseDate ?? advisory.initialReleaseDate { out += ", \(Timestamp.formatDay(date))" }
            out += "\n"
        }
        if !alert.isNew {
            out += "\nWhat changed: \(alert.draft.changes.joined(separator: "; "))\n"
            if let compare = compareURL(alert) { out += "Every change, revision against revision: \(compare)\n" }
        }
        out += "\nWhy you get this:\n"
        for match in alert.draft.matches { out += "- watch \(match.watch): \(match.reason)\n" }
        let exposures = notice.exposures
        if !exposures.isEmpty {
            out += "\nYour assets (\(exposures.count)):\n"
            for row in exposures.prefix(assetLimit) {
                out += "- \(assetName(row)): \(row.exposure.status.label), \(row.exposure.confidence.rawValue) confidence (\(row.exposure.reason))\n"
            }
            if exposures.count > assetLimit { out += "- and \(exposures.count - assetLimit) more: \(alertURL(notice))\n" }
        }
        if let advisory = notice.advisory {
            if let summary = advisory.riskSummary, !summary.isEmpty { out += "\nRisk summary:\n\(summary)\n" }
            if !advisory.vulnerabilities.isEmpty {
                out += "\nCVEs (\(advisory.cves.count)): "
                out += advisory.vulnerabilities.compactMap { vulnerability in
                    vulnerability.cve.map { $0 + (vulnerability.score.map { " (\($0.score))" } ?? "") }
                }.joined(separator: ", ") + "\n"
            }
            let products = affectedProducts(advisory)
            if !products.isEmpty {
                out += "\nAffected products (\(products.count)):\n"
                for product in products.prefix(productLimit) { out += "- \(product.vendor) · \(product.product)  \(product.version ?? "")\n" }
                if products.count > productLimit { out += "- and \(products.count - productLimit) more\n" }
            }
            if !advisory.remediations.isEmpty {
                out += "\nRemediations:\n"
                for remediation in advisory.remediations.prefix(10) {
                    out += "- \(Remediation.Category.label(for: remediation.category)): \(remediation.details)"
                    if let url = remediation.url { out += " \(url)" }
                    out += "\n"
                }
            }
        }
        out += "\nAdvisory: \(baseURL)/advisories/\(Self.pathComponent(alert.draft.advisoryID))\n"
        if let source = notice.advisory?.sourceURL { out += "Source: \(source)\n" }
        out += "Alert log: \(alertURL(notice))\n"
        return out
    }

    public func html(_ delivery: ClaimedDelivery, content: DeliveryContent) -> String {
        var out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(Self.escape(subject(delivery, content: content)))</title></head>\n"
        out += "<body style=\"font-family:sans-serif;line-height:1.4;max-width:720px\">\n"
        switch delivery.kind {
        case .test:
            out += "<p>This is a test message from Vigil for the channel <b>\(Self.escape(delivery.channel.name))</b> ("
            out += "\(Self.escape(delivery.channel.spec))) of \(Self.escape(content.organisation.name)).</p>\n"
        case .report:
            out += "<p><a href=\"\(Self.escape("\(baseURL)/reports"))\">The monthly report</a> for \(Self.escape(content.organisation.name)).</p>\n"
        case .digest:
            out += "<h1 style=\"font-size:1.3em\">\(Self.escape(Self.countPhrase(content.notices))) for \(Self.escape(content.organisation.name))</h1>\n"
            for severity in Severity.allCases.reversed() {
                let group = content.notices.filter { severityOf($0) == severity }
                guard !group.isEmpty else { continue }
                out += "<h2 style=\"font-size:1.1em\">\(severity.label) (\(group.count))</h2>\n<ul>\n"
                for notice in group {
                    out += "<li><a href=\"\(Self.escape(alertURL(notice)))\">\(Self.escape(notice.alert.draft.advisoryID))</a> "
                    out += "\(Self.escape(notice.alert.advisoryTitle))\(Self.escape(scoreSuffix(notice)))"
                    if !notice.alert.isNew { out += " <em>updated</em>" }
                    out += "<br><small>\(Self.escape(notice.alert.draft.changes.joined(separator: "; ")))</small></li>\n"
                }
                out += "</ul>\n"
            }
        case .alert:
            for notice in content.notices { out += alertHTML(notice) }
        }
        out += "<hr><p style=\"font-size:0.85em;color:#555\">Sent by Vigil to \(Self.escape(delivery.channel.spec)) for "
        out += "\(Self.escape(content.organisation.name)). <a href=\"\(Self.escape("\(baseURL)/unsubscribe/\(delivery.channel.unsubscribeToken)"))\">Stop these messages</a>.</p>\n"
        out += "</body></html>\n"
        return out
    }

    func alertHTML(_ notice: AlertNotice) -> String {
        let alert = notice.alert
        var out = "<p><b>\(Self.escape(severityLabel(notice) + scoreSuffix(notice)))</b> · \(alert.isNew ? "new advisory" : "updated advisory")</p>\n"
        out += "<h1 style=\"font-size:1.3em\"><a href=\"\(Self.escape("\(baseURL)/advisories/\(Self.pathComponent(alert.draft.advisoryID))"))\">"
        out += "\(Self.escape(alert.draft.advisoryID))</a>: \(Self.escape(alert.advisoryTitle))</h1>\n"
        if !alert.isNew {
            out += "<p><b>What changed:</b> \(Self.escape(alert.draft.changes.joined(separator: "; ")))"
            if let compare = compareURL(alert) { out += " (<a href=\"\(Self.escape(compare))\">every change</a>)" }
            out += "</p>\n"
        }
        out += "<h2 style=\"font-size:1.1em\">Why you get this</h2>\n<ul>\n"
        for match in alert.draft.matches { out += "<li>watch \(Self.escape(match.watch)): \(Self.escape(match.reason))</li>\n" }
        out += "</ul>\n"
        if !notice.exposures.isEmpty {
            out += "<h2 style=\"font-size:1.1em\">Your assets (\(notice.exposures.count))</h2>\n<ul>\n"
            for row in notice.exposures.prefix(assetLimit) {
                out += "<li><b>\(Self.escape(assetName(row)))</b>: \(Self.escape(row.exposure.status.label)), "
                out += "\(Self.escape(row.exposure.confidence.rawValue)) confidence (\(Self.escape(row.exposure.reason)))</li>\n"
            }
            out += "</ul>\n"
        }
        if let advisory = notice.advisory {
            if let summary = advisory.riskSummary, !summary.isEmpty {
                out += "<h2 style=\"font-size:1.1em\">Risk summary</h2>\n<p>\(Self.escape(summary))</p>\n"
            }
            let products = affectedProducts(advisory)
            if !products.isEmpty {
                out += "<h2 style=\"font-size:1.1em\">Affected products (\(products.count))</h2>\n<ul>\n"
                for product in products.prefix(productLimit) {
                    out += "<li>\(Self.escape(product.vendor)) · \(Self.escape(product.product)) <code>\(Self.escape(product.version ?? ""))</code></li>\n"
                }
                out += "</ul>\n"
            }
            if !advisory.remediations.isEmpty {
                out += "<h2 style=\"font-size:1.1em\">Remediations</h2>\n<ul>\n"
                for remediation in advisory.remediations.prefix(10) {
                    out += "<li><b>\(Self.escape(Remediation.Category.label(for: remediation.category)))</b>: \(Self.escape(remediation.details))"
                    if let url = remediation.url {
                        out += " " + Self.documentLinkHTML(url, label: url)
                    }
                    out += "</li>\n"
                }
                out += "</ul>\n"
            }
        }
        out += "<p><a href=\"\(Self.escape(alertURL(notice)))\">Open the alert in Vigil</a>"
        if let source = notice.advisory?.sourceURL {
            out += " · " + Self.documentLinkHTML(source, label: "View on \(notice.advisory?.publisher.name ?? "the publisher")")
        }
        out += "</p>\n"
        return out
    }

    // MARK: Webhooks

    /// The generic webhook's body: stable field names, documented for receivers in docs/webhooks.md.
    public func webhookBody(_ delivery: ClaimedDelivery, content: DeliveryContent, date: Date) -> [UInt8] {
        JSONOutput.object([
            ("id", .string(Self.deliveryID(delivery))),
            ("type", .string(delivery.kind.rawValue)),
            ("sent_at", .string(Timestamp.format(date))),
            ("organisation", .string(content.organisation.name)),
            ("channel", .string(delivery.channel.name)),
            ("period_end", .optional(delivery.periodEnd.map(Timestamp.format))),
            ("alerts", .array(content.notices.map(alertJSON))),
        ]).bytes
    }

    func alertJSON(_ notice: AlertNotice) -> JSONOutput {
        let alert = notice.alert
        var advisory: [(String, JSONOutput)] = [
            ("id", .string(alert.draft.advisoryID)),
            ("version", .string(alert.draft.advisoryVersion)),
            ("title", .string(alert.advisoryTitle)),
            ("severity", .string(severityOf(notice).rawValue)),
            ("cvss_score", .optional(notice.advisory?.highestScore?.score ?? alert.cvssScore)),
            ("url", .string("\(baseURL)/advisories/\(Self.pathComponent(alert.draft.advisoryID))")),
        ]
        if let item = notice.advisory {
            advisory += [
                ("cvss_vector", .optional(item.highestScore?.vector)),
                ("publisher", .string(item.publisher.name)),
                ("initial_release_date", .optional(item.initialReleaseDate.map(Timestamp.format))),
                ("current_release_date", .optional(item.currentReleaseDate.map(Timestamp.format))),
                ("source_url", .optional(item.sourceURL)),
                ("risk_summary", .optional(item.riskSummary)),
                ("cves", .array(item.cves.map(JSONOutput.string))),
                ("affected_products", .array(affectedProducts(item).prefix(200).map { product in
                    .object([("vendor", .string(product.vendor)), ("product", .string(product.product)),
                             ("versions", .optional(product.version)), ("status", .string(product.status.rawValue))])
                })),
                ("remediations", .array(item.remediations.prefix(50).map { remediation in
                    .object([("category", .string(remediation.category)), ("details", .string(remediation.details)),
                             ("url", .optional(remediation.url))])
                })),
            ]
        }
        return .object([
            ("id", .int(alert.id)),
            ("url", .string(alertURL(notice))),
            ("state", .string(alert.isNew ? "new" : "updated")),
            ("status", .string(alert.status)),
            ("changes", .array(alert.draft.changes.map(JSONOutput.string))),
            ("matches", .array(alert.draft.matches.map { .object([("watch", .string($0.watch)), ("reason", .string($0.reason))]) })),
            ("advisory", .object(advisory)),
            ("assets", .array(notice.exposures.prefix(200).map { row in
                .object([("name", .string(assetName(row))), ("vendor", .string(row.asset.vendor)),
                         ("product", .string(row.asset.product)), ("version", .optional(row.asset.version)),
                         ("site", .optional(row.asset.site)), ("status", .string(row.exposure.status.rawValue)),
                         ("confidence", .string(row.exposure.confidence.rawValue)), ("reason", .string(row.exposure.reason))])
            })),
        ])
    }

    /// Slack's incoming-webhook format: a text fallback and blocks; mrkdwn is escaped (`&`, `<`, `>`).
    public func slackBody(_ delivery: ClaimedDelivery, content: DeliveryContent) -> [UInt8] {
        let title = subject(delivery, content: content)
        var blocks: [JSONOutput] = [.object([("type", .string("header")),
                                             ("text", .object([("type", .string("plain_text")), ("text", .string(String(title.prefix(150))))]))])]
        for notice in content.notices.prefix(20) {
            var text = "*<\(Self.slackEscape(alertURL(notice)))|\(Self.slackEscape(notice.alert.draft.advisoryID))>* "
            text += Self.slackEscape(notice.alert.advisoryTitle) + "\n"
            text += "*\(Self.slackEscape(severityLabel(notice) + scoreSuffix(notice)))* · " + Self.slackEscape(notice.alert.draft.changes.joined(separator: "; "))
            for match in notice.alert.draft.matches.prefix(5) { text += "\n• " + Self.slackEscape("watch \(match.watch): \(match.reason)") }
            let exposed = notice.exposures.filter { $0.exposure.status == .affected }
            if !exposed.isEmpty { text += "\n" + Self.slackEscape("Your affected assets: " + exposed.prefix(5).map(assetName).joined(separator: ", ")) + (exposed.count > 5 ? " …" : "") }
            blocks.append(.object([("type", .string("section")), ("text", .object([("type", .string("mrkdwn")), ("text", .string(String(text.prefix(2900))))]))]))
        }
        if delivery.kind == .test {
            blocks.append(.object([("type", .string("section")), ("text", .object([("type", .string("mrkdwn")),
                ("text", .string(Self.slackEscape("Alerts for \(content.organisation.name) will arrive here.")))]))]))
        }
        return JSONOutput.object([("text", .string(title)), ("blocks", .array(blocks))]).bytes
    }

    /// Microsoft Teams (Workflows "post to a channel when a webhook request is received"): an Adaptive Card.
    public func teamsBody(_ delivery: ClaimedDelivery, content: DeliveryContent) -> [UInt8] {
        var body: [JSONOutput] = [.object([("type", .string("TextBlock")), ("text", .string(subject(delivery, content: content))),
                                           ("weight", .string("Bolder")), ("size", .string("Medium")), ("wrap", .bool(true))])]
        for notice in content.notices.prefix(20) {
            var facts: [JSONOutput] = [
                .object([("title", .string("Severity")), ("value", .string(severityLabel(notice) + scoreSuffix(notice)))]),
                .object([("title", .string("Changes")), ("value", .string(notice.alert.draft.changes.joined(separator: "; ")))]),
            ]
            let exposed = notice.exposures.filter { $0.exposure.status == .affected }
            if !exposed.isEmpty { facts.append(.object([("title", .string("Your assets")), ("value", .string("\(exposed.count) affected"))])) }
            body.append(.object([("type", .string("TextBlock")), ("text", .string("[\(notice.alert.draft.advisoryID)](\(alertURL(notice))) \(notice.alert.advisoryTitle)")),
                                 ("wrap", .bool(true))]))
            body.append(.object([("type", .string("FactSet")), ("facts", .array(facts))]))
        }
        let card = JSONOutput.object([
            ("$schema", .string("http://adaptivecards.io/schemas/adaptive-card.json")),
            ("type", .string("AdaptiveCard")), ("version", .string("1.4")), ("body", .array(body)),
            ("actions", .array(content.notices.prefix(1).map { .object([("type", .string("Action.OpenUrl")),
                                                                         ("title", .string("Open in Vigil")), ("url", .string(alertURL($0)))]) })),
        ])
        return JSONOutput.object([("type", .string("message")), ("attachments", .array([
            .object([("contentType", .string("application/vnd.microsoft.card.adaptive")), ("contentUrl", .null), ("content", card)]),
        ]))]).bytes
    }

    /// The generic webhook's signature header value: `t=UNIX,v1=HEX` where HEX is HMAC-SHA256 with the channel's secret
    /// over `UNIX.` followed by the body bytes.
    public static func signature(body: [UInt8], secret: String, timestamp: Int64) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: key)
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Pieces

    func severityOf(_ notice: AlertNotice) -> Severity {
        notice.advisory?.severity ?? Severity(rawValue: notice.alert.severity) ?? .none
    }

    func severityLabel(_ notice: AlertNotice) -> String {
        let severity = severityOf(notice)
        return severity == .none ? "NO SCORE" : severity.label
    }

    func scoreSuffix(_ notice: AlertNotice) -> String {
        guard let score = notice.advisory?.highestScore?.score ?? notice.alert.cvssScore else { return "" }
        return " · CVSS \(score)"
    }

    func alertURL(_ notice: AlertNotice) -> String { "\(baseURL)/alerts/\(notice.alert.id)" }

    func assetName(_ row: ExposureRow) -> String {
        var name = "\(row.asset.vendor) \(row.asset.product)"
        if let version = row.asset.version, !version.isEmpty { name += " \(version)" }
        if let id = row.asset.externalID, !id.isEmpty { name = "\(id) (\(name))" }
        let place = [row.asset.site, row.asset.area].compactMap { $0 }.filter { !$0.isEmpty }
        if !place.isEmpty { name += " at " + place.joined(separator: " / ") }
        return name
    }

    func affectedProducts(_ advisory: Advisory) -> [AffectedProduct] {
        advisory.products.filter { $0.status == .knownAffected || $0.status == .underInvestigation }
    }

    static func countPhrase(_ notices: [AlertNotice]) -> String {
        var bySeverity: [Severity: Int] = [:]
        for notice in notices { bySeverity[notice.advisory?.severity ?? Severity(rawValue: notice.alert.severity) ?? .none, default: 0] += 1 }
        let parts = Severity.allCases.reversed().compactMap { severity in bySeverity[severity].map { "\($0) \(severity == .none ? "unscored" : severity.rawValue)" } }
        return "\(notices.count) alert\(notices.count == 1 ? "" : "s")" + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
    }

    /// A URL from a document as HTML: a link only for `http`, `https` and `mailto`; any other scheme (`javascript:`,
    /// `data:`) and anything holding whitespace or control characters is shown as text, since a document is written by
    /// its publisher or whoever altered it on the way.
    static func documentLinkHTML(_ url: String, label: String) -> String {
        let lower = url.lowercased()
        let linkable = (lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:"))
            && !url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        return linkable ? "<a href=\"\(escape(url))\">\(escape(label))</a>" : "<code>\(escape(url))</code>"
    }

    /// Advisory IDs are mostly URL-safe; anything else is percent-encoded.
    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? text
    }

    static func escape(_ text: String) -> String { MarkupEscaping.html(text) }

    static func slackEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
