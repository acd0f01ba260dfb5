import Alerts
import AsyncHTTPClient
import CSAF
import Foundation
import Reports
import Storage
import Store
import Testing
import VigilTestSupport

/// The monthly compliance report through the outbox of a real store to real peers: aiosmtpd receives it with the PDF
/// attached (read back with Python's email package and `pdftotext`), the webhook receiver gets the summary signed,
/// and each is sent once however many passes and dispatchers run.
@Suite(.serialized) struct MonthlyReportDeliveryTests {
    /// Last month, as the dispatcher sees it now.
    static var lastMonth: ReportPeriod { ReportPeriod.month(before: Date()) }

    /// Publishes the advisory, then moves the alert to the 10th of last month and the settings' first save to the
    /// month before, as if both had happened then.
    static func alertLastMonth(_ fixture: DeliveryTests.Fixture, settings: ReportSettings) async throws -> Date {
        #expect(try await fixture.publish().alertsCreated == 1)
        let executor = try #require(fixture.store as? any SQLExecutor)
        let alerted = lastMonth.start.addingTimeInterval(9 * 86_400)
        try await executor.execute("UPDATE alerts SET created_at = ? WHERE organisation_id = ?", [Timestamp.format(alerted), fixture.plant.id])
        try await fixture.store.saveReportSettings(settings, organisationID: fixture.plant.id, actor: "ada@example.org",
                                                   at: lastMonth.previous.start)
        return alerted
    }

    @Test("on the first of the month the report is mailed once, its summary in the text and the PDF attached", arguments: Backend.allCases)
    func reportMailed(backend: Backend) async throws {
        let server = try AiosmtpdServer(mode: .plain)
        defer { server.stop() }
        try await DeliveryTests.Fixture.with(channels: [.init(name: "audit", kind: .email, target: "audit@example.org"),
                                                        .init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let audit = try #require(fixture.channels.first { $0.name == "audit" })
            // Critical: 3 days to evaluate and 10 to resolve, so both deadlines passed before this month began.
            _ = try await Self.alertLastMonth(fixture, settings: ReportSettings(framework: "iec-62443", evaluateDays: "critical=3",
                                                                                remediateDays: "critical=10", monthlyChannelID: audit.id))
            let period = Self.lastMonth
            try await DeliveryTests.withClient { client in
                let first = try await fixture.dispatcher(smtpPort: server.port, client: client).runOnce()
                #expect(first.reportsQueued == 1)
                // The alert itself went to both channels when it was published; the report only to "audit".
                #expect(first.delivered == 3)
                // Another pass, and another dispatcher (a second node, or a restart), queue and send nothing more.
                let again = try await fixture.dispatcher(smtpPort: server.port, client: client).runOnce()
                #expect(again.reportsQueued == 0 && again.delivered == 0)
            }
            let reports = try server.received().filter { $0.subject.hasPrefix("[Vigil] Monthly report") }
            try #require(reports.count == 1)
            let mail = reports[0]
            #expect(mail.recipients == ["audit@example.org"])
            #expect(mail.subject == "[Vigil] Monthly report for Plant <Hamburg>, \(period.name): 1 alert, 2 overdue")
            #expect(mail.contentType == "multipart/mixed")
            #expect(mail.parts.map(\.type) == ["text/plain", "text/html"])
            let text = mail.parts[0].content.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(text.contains("IEC 62443-2-3 patch management evidence for Plant <Hamburg>, \(period.name)."))
            #expect(text.contains("evaluate within critical 3, high 7, medium 14, low 14, none 14 days"))
            #expect(text.contains("patch, mitigate or close within critical 10, high 60, medium 90, low 180, none 180 days from the alert"))
            // The summary table: this month, then the month before.
            let overdueLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("Evaluation overdue ") })
            #expect(overdueLine.dropFirst("Evaluation overdue".count).split(separator: " ") == ["1", "0"], "\(overdueLine)")
            #expect(text.contains("https://vigil.example/reports/\(period.name).pdf?framework=iec-62443"))
            #expect(mail.parts[1].content.contains("Plant &lt;Hamburg&gt;"))

            let attachment = try #require(mail.attachments?.first)
            #expect(mail.attachments?.count == 1)
            #expect(attachment.filename == "vigil-report-Plant-Hamburg-\(period.name).pdf")
            #expect(attachment.type == "application/pdf")
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let path = folder.url.appendingPathComponent("report.pdf").path
            try Data(attachment.bytes).write(to: URL(fileURLWithPath: path))
            let pdftotext = try Executables.find("pdftotext", hint: "apt-get install poppler-utils")
            let pdf = try Executables.run(pdftotext, arguments: [path, "-"]).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(pdf.contains("IEC 62443-2-3 patch management evidence"))
            #expect(pdf.contains("Plant <Hamburg> · \(period.name)"))
            #expect(pdf.contains("ICSA-22-172-04 v1"))

            let outbox = try await fixture.outbox().filter { $0.kind == .report }
            #expect(outbox.count == 1)
            #expect(outbox.first?.status == .delivered)
            #expect(outbox.first?.idempotencyKey == "report:\(fixture.plant.id)|\(audit.id)|\(period.name)")
        }
    }

    @Test("a webhook gets the report's summary as signed JSON with links; Slack and Teams get theirs")
    func reportToWebhooks() async throws {
        let receiver = try WebhookReceiver(failFirst: 0)
        defer { receiver.stop() }
        try await DeliveryTests.Fixture.with(channels: [.init(name: "soc", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/hook")],
                                             backend: .sqlite) { fixture in
            let soc = try #require(fixture.channels.first)
            receiver.secret = soc.secret
            _ = try await Self.alertLastMonth(fixture, settings: ReportSettings(framework: "nerc-cip", monthlyChannelID: soc.id))
            let period = Self.lastMonth
            try await DeliveryTests.withClient { client in
                let pass = try await fixture.dispatcher(client: client).runOnce()
                #expect(pass.reportsQueued == 1 && pass.failed == 0)
            }
            let request = try #require(try receiver.requests().first { $0.event == "report" })
            #expect(request.signatureValid == true)
            let body = try #require(request.body)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["type"] as? String == "report")
            #expect(json["organisation"] as? String == "Plant <Hamburg>")
            #expect(json["period"] as? String == period.name)
            #expect(json["framework"] as? String == "nerc-cip")
            let summary = try #require(json["summary"] as? [String: Any])
            #expect(summary["alerts"] as? Int == 1)
            #expect((summary["by_severity"] as? [String: Int])?["critical"] == 1)
            // NERC CIP: 35 days to evaluate, from the 10th of last month: overdue once today is past the 14th of this month.
            let evaluation = try #require(summary["evaluation"] as? [String: Int])
            #expect(evaluation.values.reduce(0, +) == 1)
            let links = try #require(json["links"] as? [String: String])
            #expect(links["csv"] == "https://vigil.example/reports/\(period.name).csv?framework=nerc-cip")
        }

        // Slack and Teams, through the composer: the same figures in their formats.
        let report = ComplianceReport(organisation: "Plant <A>", period: Self.lastMonth, framework: .plain, records: [], madeAt: Date())
        let channel = NotificationChannel(id: 1, organisationID: 1, draft: .init(name: "s", kind: .slack, target: "https://hooks.slack.example/x"),
                                          secret: "", unsubscribeToken: "t", enabled: true, disabledReason: nil, createdAt: Date())
        let delivery = ClaimedDelivery(id: 9, organisationID: 1, kind: .report, channel: channel, idempotencyKey: "report:1|1|x", attempts: 1,
                                       createdAt: Date(), periodEnd: Self.lastMonth.end)
        let composer = AlertMessageComposer(baseURL: "https://vigil.example")
        let slack = try #require(try JSONSerialization.jsonObject(with: Data(composer.reportSlackBody(delivery, report: report))) as? [String: Any])
        #expect(slack["text"] as? String == "[Vigil] Monthly report for Plant <A>, \(Self.lastMonth.name): 0 alerts, 0 overdue")
        let section = ((slack["blocks"] as? [[String: Any]])?.last?["text"] as? [String: Any])?["text"] as? String ?? ""
        #expect(section.contains("Plant") == false, "the organisation is in the header, not repeated")
        #expect(section.contains("<https://vigil.example/reports/\(Self.lastMonth.name).pdf?framework=plain|PDF>"))
        let teams = try #require(try JSONSerialization.jsonObject(with: Data(composer.reportTeamsBody(delivery, report: report))) as? [String: Any])
        let card = (((teams["attachments"] as? [[String: Any]])?.first)?["content"] as? [String: Any]) ?? [:]
        #expect((card["actions"] as? [Any])?.count == 3)
    }

    @Test("a process whose store cannot make reports leaves the delivery to be retried, with the reason")
    func reportWithoutSource() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let org = try #require(try await store.organisation(named: "Plant", create: true))
        let channel = try await store.addChannel(.init(name: "soc", kind: .webhook, target: "https://hooks.example.org/x"), organisationID: org.id)
        try await store.saveReportSettings(ReportSettings(framework: "plain", monthlyChannelID: channel.id), organisationID: org.id,
                                           actor: "cli", at: Self.lastMonth.previous.start)
        try await DeliveryTests.withClient { client in
            let dispatcher = AlertDispatcher(outbox: OutboxOnly(base: store), configuration: .init(smtp: nil, baseURL: "https://vigil.example"),
                                             httpClient: client, eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            let pass = try await dispatcher.runOnce()
            #expect(pass.reportsQueued == 1 && pass.retrying == 1 && pass.delivered == 0)
        }
        let record = try #require(try await store.deliveries(organisationID: org.id, status: nil, limit: 5).first)
        #expect(record.status == .pending)
        #expect(record.lastError?.contains("cannot make reports") == true)
    }
}

/// A store seen only as an outbox: what a dispatcher without the rest of a store has.
private struct OutboxOnly: OutboxStore {
    let base: SQLiteStore
    func addChannel(_ channel: NotificationChannel.Draft, organisationID: Int64) async throws -> NotificationChannel { try await base.addChannel(channel, organisationID: organisationID) }
    func channels(organisationID: Int64) async throws -> [NotificationChannel] { try await base.channels(organisationID: organisationID) }
    func removeChannel(id: Int64, organisationID: Int64) async throws -> Bool { try await base.removeChannel(id: id, organisationID: organisationID) }
    func setChannelEnabled(id: Int64, organisationID: Int64, enabled: Bool, reason: String?) async throws -> Bool {
        try await base.setChannelEnabled(id: id, organisationID: organisationID, enabled: enabled, reason: reason)
    }
    func setChannelSchedule(id: Int64, organisationID: Int64, schedule: NotificationChannel.Schedule) async throws -> Bool {
        try await base.setChannelSchedule(id: id, organisationID: organisationID, schedule: schedule)
    }
    func channel(unsubscribeToken token: String) async throws -> NotificationChannel? { try await base.channel(unsubscribeToken: token) }
    func enqueueTest(channelID: Int64, organisationID: Int64, now: Date) async throws -> Int64 { try await base.enqueueTest(channelID: channelID, organisationID: organisationID, now: now) }
    func channelsWithHeldAlerts() async throws -> [HeldChannel] { try await base.channelsWithHeldAlerts() }
    func composeDigest(channelID: Int64, periodEnd boundary: Date, now: Date) async throws -> Int { try await base.composeDigest(channelID: channelID, periodEnd: boundary, now: now) }
    func claimDeliveries(now: Date, lease: TimeInterval, limit: Int, only: Int64?, kinds: Set<NotificationChannel.Kind>?) async throws -> [ClaimedDelivery] {
        try await base.claimDeliveries(now: now, lease: lease, limit: limit, only: only, kinds: kinds)
    }
    func deliveryContent(_ delivery: ClaimedDelivery, cache: AdvisoryCache) async throws -> DeliveryContent { try await base.deliveryContent(delivery, cache: cache) }
    func markDelivered(deliveryID: Int64, at: Date, detail: String) async throws { try await base.markDelivered(deliveryID: deliveryID, at: at, detail: detail) }
    func markFailed(deliveryID: Int64, error: String, retryAt: Date?) async throws { try await base.markFailed(deliveryID: deliveryID, error: error, retryAt: retryAt) }
    func recordOutcomes(_ outcomes: [DeliveryOutcome]) async throws { try await base.recordOutcomes(outcomes) }
    func deliveries(organisationID: Int64, status: DeliveryStatus?, limit: Int) async throws -> [DeliveryRecord] { try await base.deliveries(organisationID: organisationID, status: status, limit: limit) }
    func alert(id: Int64, organisationID: Int64) async throws -> StoredAlert? { try await base.alert(id: id, organisationID: organisationID) }
    func updateAlert(id: Int64, organisationID: Int64, update: AlertUpdate, actor: String, at: Date) async throws -> StoredAlert? {
        try await base.updateAlert(id: id, organisationID: organisationID, update: update, actor: actor, at: at)
    }
    func alertEvents(alertID: Int64, organisationID: Int64) async throws -> [AlertEvent] { try await base.alertEvents(alertID: alertID, organisationID: organisationID) }
    func alertDeliveries(alertID: Int64, organisationID: Int64) async throws -> [DeliveryRecord] { try await base.alertDeliveries(alertID: alertID, organisationID: organisationID) }
    func reportSettings(organisationID: Int64) async throws -> ReportSettings? { try await base.reportSettings(organisationID: organisationID) }
    func rotateChannelSecret(id: Int64, organisationID: Int64) async throws -> String? { try await base.rotateChannelSecret(id: id, organisationID: organisationID) }
    func retryDelivery(id: Int64, organisationID: Int64, now: Date) async throws -> Bool { try await base.retryDelivery(id: id, organisationID: organisationID, now: now) }
    func saveReportSettings(_ settings: ReportSettings, organisationID: Int64, actor: String, at: Date) async throws {
        try await base.saveReportSettings(settings, organisationID: organisationID, actor: actor, at: at)
    }
    func enqueueMonthlyReports(period: String, periodEnd: Date, now: Date) async throws -> Int {
        try await base.enqueueMonthlyReports(period: period, periodEnd: periodEnd, now: now)
    }
}
