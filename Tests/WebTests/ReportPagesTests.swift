import CSAF
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Reports
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// `/reports`: the form, and a month's compliance report of the signed-in member's organisation as CSV, HTML or PDF,
/// over a real SQLite store with two organisations.
@Suite("Report pages")
struct ReportPagesTests {
    /// The alerts are stored with created_at = now, so the report that holds them is this month's.
    static var thisMonth: String { String(Timestamp.formatDay(Date()).prefix(7)) }

    /// The lines of a CSV body (CRLF between records).
    static func lines(_ body: ByteBuffer) -> [String] {
        String(buffer: body).components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    @Test("the form offers month (last month by default), framework and format, is linked from the dashboard, and submits to the report")
    func formPage() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            let page = try await browser.get("/reports")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("Reports of Plant A"))
            #expect(html.contains("<form method=\"get\" action=\"/reports\">"))
            #expect(html.contains("type=\"month\""))
            #expect(html.contains("value=\"\(ReportsController<VigilRequestContext>.lastMonth(before: Date()))\""))
            for framework in ["plain", "nerc-cip", "iec-62443"] { #expect(html.contains("<option value=\"\(framework)\"")) }
            for format in ["html", "csv", "pdf"] { #expect(html.contains("<option value=\"\(format)\"")) }
            #expect(html.contains("deadlines overdue"))
            #expect(!html.contains("Utility B"))

            let dashboard = try await browser.get("/dashboard")
            #expect(String(buffer: dashboard.body).contains("href=\"/reports\""))

            let submitted = try await browser.get("/reports?month=\(Self.thisMonth)&framework=nerc-cip&format=pdf")
            #expect(submitted.status == .seeOther)
            #expect(submitted.headers[.location] == "/reports/\(Self.thisMonth).pdf?framework=nerc-cip")
            #expect(try await browser.get("/reports?month=\(Self.thisMonth)&framework=plain&format=doc").status == .badRequest)
            #expect(try await browser.get("/reports?month=May&framework=plain&format=csv").status == .badRequest)
        }
    }

    @Test("the CSV is an attachment named after the organisation and month, with the header line and the month's alerts")
    func csv() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            let response = try await browser.get("/reports/\(Self.thisMonth).csv")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(response.headers[.contentDisposition] == "attachment; filename=\"vigil-report-Plant-A-\(Self.thisMonth).csv\"")
            let lines = Self.lines(response.body)
            #expect(lines.first == ComplianceReport.csvHeader.joined(separator: ","))
            #expect(lines.first?.hasPrefix("alert_id,advisory_id,") == true)
            #expect(lines.dropFirst().contains { $0.hasPrefix("\(fixture.plantAlert.id),ICSA-22-172-04,1,") })
            #expect(!lines.dropFirst().contains { $0.hasPrefix("\(fixture.utilityAlert.id),") })
            #expect(!String(buffer: response.body).contains("Secret Site B"))

            // Last month held none of them.
            let lastMonth = try await browser.get("/reports/\(ReportsController<VigilRequestContext>.lastMonth(before: Date())).csv?framework=iec-62443")
            #expect(lastMonth.status == .ok)
            #expect(Self.lines(lastMonth.body).count == 1)
        }
    }

    @Test("the PDF is an attachment starting %PDF-1.4; the HTML page is inline and names the framework")
    func pdfAndHTML() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            let pdf = try await browser.get("/reports/\(Self.thisMonth).pdf?framework=nerc-cip")
            #expect(pdf.status == .ok)
            #expect(pdf.headers[.contentType] == "application/pdf")
            #expect(pdf.headers[.contentDisposition] == "attachment; filename=\"vigil-report-Plant-A-\(Self.thisMonth).pdf\"")
            #expect(pdf.body.getBytes(at: 0, length: 8) == Array("%PDF-1.4".utf8))

            let html = try await browser.get("/reports/\(Self.thisMonth).html?framework=nerc-cip")
            #expect(html.status == .ok)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(html.headers[.contentDisposition]?.hasPrefix("inline") == true)
            let text = String(buffer: html.body)
            #expect(text.contains(ReportFramework.nercCIP.title))
            #expect(text.contains("ICSA-22-172-04"))
            #expect(text.contains("Plant A"))
            #expect(!text.contains("Utility B"))
            // Its own style sheet is allowed by its hash, and nothing else is: no script, no outside resource.
            let style = try #require(text.range(of: "<style>").flatMap { open in
                text.range(of: "</style>", range: open.upperBound..<text.endIndex).map { String(text[open.upperBound..<$0.lowerBound]) }
            })
            let hash = Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()
            #expect(html.headers[.contentSecurityPolicy] == "default-src 'none'; style-src 'sha256-\(hash)'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
            // The other pages keep the site's policy.
            let page = try await browser.get("/reports")
            #expect(page.headers[.contentSecurityPolicy]?.contains("style-src 'self';") == true)
        }
    }

    @Test("a bad month or framework is 400 through the error page; an unknown format is 404")
    func badInput() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            for uri in ["/reports/2026-13.csv", "/reports/november.pdf", "/reports/26-11.html", "/reports/\(Self.thisMonth).csv?framework=sox"] {
                let response = try await browser.get(uri)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(uri)")
            }
            #expect(String(buffer: try await browser.get("/reports/2026-13.csv").body).contains("YYYY-MM"))
            #expect(try await browser.get("/reports/\(Self.thisMonth).docx").status == .notFound)
        }
    }

    @Test("a member of another organisation gets only their own report, never Plant A's; an organisation without alerts an empty one")
    func isolation() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let quiet = try #require(try await fixture.store.organisation(named: "Quiet Co", create: true))
        try await AccountFixtures.member("carol@quiet.example", of: quiet, store: fixture.store)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let bob = TestBrowser(client)
            try await bob.signIn("bob@utility.example", AccountFixtures.password)
            let response = try await bob.get("/reports/\(Self.thisMonth).csv")
            #expect(response.headers[.contentDisposition] == "attachment; filename=\"vigil-report-Utility-B-\(Self.thisMonth).csv\"")
            let lines = Self.lines(response.body)
            #expect(lines.dropFirst().contains { $0.hasPrefix("\(fixture.utilityAlert.id),") })
            #expect(!lines.dropFirst().contains { $0.hasPrefix("\(fixture.plantAlert.id),") })
            #expect(!String(buffer: response.body).contains("Hall A1"))

            let carol = TestBrowser(client)
            try await carol.signIn("carol@quiet.example", AccountFixtures.password)
            let empty = try await carol.get("/reports/\(Self.thisMonth).csv")
            #expect(empty.status == .ok)
            #expect(Self.lines(empty.body) == [ComplianceReport.csvHeader.joined(separator: ",")])
            let page = String(buffer: try await carol.get("/reports").body)
            #expect(page.contains("Reports of Quiet Co"))
            #expect(!page.contains("Plant A"))
            let html = String(buffer: try await carol.get("/reports/\(Self.thisMonth).html").body)
            #expect(!html.contains("ICSA-22-172-04"))
        }
    }

    @Test("signed out, the form and the reports send the browser to sign in")
    func signedOut() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            let page = try await browser.get("/reports")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/login?next=%2Freports")
            for format in ["csv", "html", "pdf"] {
                let report = try await browser.get("/reports/\(Self.thisMonth).\(format)")
                #expect(report.status == .seeOther)
                #expect(report.headers[.location]?.hasPrefix("/login?next=") == true)
                #expect(!String(buffer: report.body).contains("ICSA-22-172-04"))
            }
        }
    }

    @Test("an admin saves the framework, deadlines and monthly channel; reports then follow them; bad values are refused field by field")
    func settings() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let audit = try await fixture.store.addChannel(.init(name: "audit", kind: .email, target: "audit@plant.example"), organisationID: fixture.plant.id)
        let theirs = try await fixture.store.addChannel(.init(name: "theirs", kind: .email, target: "ops@utility.example"), organisationID: fixture.utility.id)
        try await AccountFixtures.member("dave@plant.example", of: fixture.plant, role: .member, store: fixture.store)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            let page = try await alice.get("/reports")
            let html = String(buffer: page.body)
            #expect(html.contains("<form method=\"post\" action=\"/reports/settings\""))
            #expect(html.contains("Monthly report</dt><dd>not sent"))
            #expect(html.contains("<option value=\"\(audit.id)\">audit (audit@plant.example)</option>"))
            #expect(!html.contains("theirs"), "another organisation's channels are not offered")
            let csrf = try #require(TestBrowser.csrf(in: page))

            // Refused, each message beside its field, nothing saved.
            let bad = try await alice.post("/reports/settings", [("framework", "sox"), ("evaluate_days", "critical=soon"),
                                                                 ("remediate_days", "high=45"), ("monthly_channel", String(theirs.id))], csrf: csrf)
            #expect(bad.status == .badRequest)
            let refused = String(buffer: bad.body)
            #expect(refused.contains("id=\"framework-error\" class=\"field-error\">Choose a framework from the list."))
            #expect(refused.contains("id=\"evaluate-days-error\" class=\"field-error\">Write severity=days pairs"))
            #expect(!refused.contains("id=\"remediate-days-error\""))
            #expect(refused.contains("id=\"monthly-channel-error\" class=\"field-error\">Choose one of Plant A&#39;s channels, or none."))
            #expect(refused.contains("value=\"critical=soon\""), "what was typed is shown again")
            #expect(try await fixture.store.reportSettings(organisationID: fixture.plant.id) == nil)

            // Without the form token: refused before anything is read.
            #expect(try await alice.post("/reports/settings", [("framework", "plain")], csrf: nil).status == .forbidden)

            let saved = try await alice.post("/reports/settings", [("framework", "iec-62443"), ("evaluate_days", "critical=2"),
                                                                   ("remediate_days", ""), ("monthly_channel", String(audit.id))], csrf: csrf)
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/reports?done=saved")
            let settings = try #require(try await fixture.store.reportSettings(organisationID: fixture.plant.id))
            #expect(settings.framework == "iec-62443" && settings.evaluateDays == "critical=2" && settings.remediateDays == nil)
            #expect(settings.monthlyChannelID == audit.id && settings.updatedBy == "alice@plant.example")
            let after = String(buffer: try await alice.get("/reports?done=saved").body)
            #expect(after.contains("The report settings are saved."))
            #expect(after.contains("Monthly report</dt><dd>sent to audit on the first of each month (UTC)"))
            #expect(after.contains("evaluate within critical 2, high 7, medium 14, low 14, none 14 days"))
            #expect(after.contains("<option value=\"iec-62443\" selected>"))

            // A report asked for without a framework is read against the organisation's, with its deadlines.
            let report = String(buffer: try await alice.get("/reports/\(Self.thisMonth).html").body)
            #expect(report.contains(ReportFramework.iec62443.title))
            #expect(report.contains("evaluate within critical 2, high 7"))
            #expect(String(buffer: try await alice.get("/reports/\(Self.thisMonth).html?framework=plain").body).contains(ReportFramework.plain.title))

            // A member reads the settings but has no form, and cannot post one.
            let dave = TestBrowser(client)
            try await dave.signIn("dave@plant.example", AccountFixtures.password)
            let davePage = try await dave.get("/reports")
            #expect(String(buffer: davePage.body).contains("Monthly report</dt><dd>sent to audit"))
            #expect(!String(buffer: davePage.body).contains("action=\"/reports/settings\""))
            #expect(try await dave.post("/reports/settings", [("framework", "plain")], csrf: TestBrowser.csrf(in: davePage)).status == .forbidden)

            // Another organisation's member sees none of it.
            let bob = TestBrowser(client)
            try await bob.signIn("bob@utility.example", AccountFixtures.password)
            let bobPage = String(buffer: try await bob.get("/reports").body)
            #expect(!bobPage.contains("sent to audit") && bobPage.contains("Monthly report</dt><dd>not sent"))
        }
        #expect(try await fixture.store.reportSettings(organisationID: fixture.utility.id) == nil)
    }

    @Test("the file name keeps only ASCII letters, digits and hyphens of the organisation's name")
    func filename() throws {
        let period = try #require(ReportPeriod(month: "2026-11"))
        typealias Controller = ReportsController<VigilRequestContext>
        #expect(Controller.filename(organisation: "Plant A", period: period, format: .csv) == "vigil-report-Plant-A-2026-11.csv")
        #expect(Controller.filename(organisation: "Ölwerk \"Süd\"; x=1\r\n", period: period, format: .pdf) == "vigil-report-lwerk-S-d-x-1-2026-11.pdf")
        #expect(Controller.filename(organisation: "日本", period: period, format: .pdf) == "vigil-report-2026-11.pdf")
    }
}
