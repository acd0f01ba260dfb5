import CSAF
import Foundation
import Matching
import Reports
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Monthly compliance reports: every row of a crafted alert history and every deadline verdict, in the model and in
/// the CSV exactly; and the same report read from a real store.
@Suite("Compliance reports")
struct ComplianceReportTests {
    static func date(_ text: String) -> Date { Timestamp.parse(text)! }

    static func alert(_ id: Int64, _ advisory: String, created: String, status: AlertStatus = .new, severity: String,
                      score: Double?, owner: String? = nil, due: String? = nil) -> StoredAlert {
        StoredAlert(id: id, draft: .init(organisationID: 1, advisoryID: advisory, advisoryVersion: "1", idempotencyKey: "1|\(advisory)|1",
                                         changes: ["new advisory"], matches: []),
                    status: status.rawValue, advisoryTitle: "Title of \(advisory)", createdAt: date(created), owner: owner,
                    dueDate: due, severity: severity, cvssScore: score)
    }

    static func status(_ at: String, _ old: AlertStatus, _ new: AlertStatus, by actor: String = "ops@example.org") -> AlertEvent {
        AlertEvent(at: date(at), actor: actor, field: "status", oldValue: old.rawValue, newValue: new.rawValue)
    }

    /// November 2026: an alert evaluated and patched in time; one evaluated late and never resolved (overdue); one not
    /// evaluated at all (overdue); one evaluated in time and resolved late; one alerted at the end of the month, open
    /// and not yet due. One alert of October counts only for the comparison, one of December for nothing.
    static let records: [ComplianceReport.AlertRecord] = [
        .init(alert: alert(1, "ICSA-26-301-01", created: "2026-11-02T08:00:00Z", status: .patched, severity: "critical", score: 9.8,
                           owner: "Renée Müller", due: "2026-11-20"),
              events: [status("2026-11-03T09:00:00Z", .new, .investigating, by: "renee@example.org"),
                       AlertEvent(at: date("2026-11-03T09:05:00Z"), actor: "renee@example.org", field: "note", newValue: "PLC-7, line 2: firmware V2.14.1 staged"),
                       status("2026-11-20T16:00:00Z", .investigating, .patched, by: "renee@example.org")],
              seenAt: date("2026-11-02T07:59:30Z"), assets: ["PLC-7 (Hamburg)"]),
        .init(alert: alert(2, "ICSA-26-305-02", created: "2026-11-05T10:00:00Z", status: .investigating, severity: "high", score: 7.5),
              events: [status("2026-11-20T10:00:00Z", .new, .investigating)], seenAt: date("2026-11-05T09:58:00Z"),
              assets: ["HMI-9 (Lübeck)", "HMI-10 (Lübeck)"]),
        .init(alert: alert(3, "SSA-123456", created: "2026-11-06T12:00:00Z", severity: "medium", score: 5.3),
              events: [], seenAt: date("2026-11-06T11:00:00Z"), assets: []),
        .init(alert: alert(4, "ICSA-26-310-04", created: "2026-11-10T00:00:00Z", status: .mitigated, severity: "high", score: 8.1),
              events: [status("2026-11-12T00:00:00Z", .new, .investigating),
                       status("2026-11-13T00:00:00Z", .investigating, .new),
                       status("2026-11-14T00:00:00Z", .new, .investigating),
                       status("2026-12-25T00:00:00Z", .investigating, .mitigated)],
              seenAt: nil, assets: ["=cmd|' /C calc'!A0"]),
        .init(alert: alert(5, "ICSA-26-334-05", created: "2026-11-30T23:00:00Z", severity: "low", score: 3.1),
              events: [], seenAt: date("2026-11-30T22:59:00Z"), assets: []),
        .init(alert: alert(6, "ICSA-26-290-06", created: "2026-10-15T00:00:00Z", status: .notApplicable, severity: "high", score: 7.0),
              events: [status("2026-10-17T00:00:00Z", .new, .notApplicable)], seenAt: nil, assets: []),
        .init(alert: alert(7, "ICSA-26-340-07", created: "2026-12-01T00:00:00Z", severity: "critical", score: 9.0),
              events: [], seenAt: nil, assets: []),
    ]

    static let madeAt = date("2026-12-06T12:00:00Z")

    @Test("every row and verdict of a month under the standard policy, and the comparison with the month before")
    func standardPolicy() throws {
        let report = ComplianceReport(organisation: "Plant", period: try #require(ReportPeriod(month: "2026-11")), framework: .plain,
                                      records: Self.records, madeAt: Self.madeAt)
        #expect(report.rows.map(\.alertID) == [1, 2, 3, 4, 5])
        let rows = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.alertID, $0) })
        // Critical: evaluate within 7 days, resolve within 30 of the alert.
        #expect(rows[1]?.evaluatedAt == Self.date("2026-11-03T09:00:00Z") && rows[1]?.evaluatedBy == "renee@example.org")
        #expect(rows[1]?.evaluation == .met && rows[1]?.remediation == .met)
        #expect(rows[1]?.resolvedAt == Self.date("2026-11-20T16:00:00Z"))
        #expect(rows[1]?.notes == ["2026-11-03 renee@example.org: PLC-7, line 2: firmware V2.14.1 staged"])
        // High, evaluated after 15 days (7 allowed), unresolved and its 60 days not over.
        #expect(rows[2]?.evaluation == .late && rows[2]?.remediation == .open)
        // Medium, never touched: 14 days to evaluate are over; 90 to resolve are not.
        #expect(rows[3]?.evaluation == .overdue && rows[3]?.remediation == .open && rows[3]?.evaluatedAt == nil)
        // High: evaluated on the second day (the first change away from new counts), mitigated after 45 days (60 allowed).
        #expect(rows[4]?.evaluatedAt == Self.date("2026-11-12T00:00:00Z"))
        #expect(rows[4]?.evaluation == .met && rows[4]?.remediation == .met)
        #expect(rows[5]?.evaluation == .open && rows[5]?.remediation == .open)

        #expect(report.summary.alerts == 5)
        #expect(report.summary.bySeverity == [.critical: 1, .high: 2, .medium: 1, .low: 1])
        #expect(report.summary.byStatus == [.patched: 1, .investigating: 1, .new: 2, .mitigated: 1])
        #expect(report.summary.evaluationVerdicts == [.met: 2, .late: 1, .overdue: 1, .open: 1])
        #expect(report.summary.overdue == 1)
        // (1.04 + 15 + 2) / 3 days to evaluate; (18.33 + 45) / 2 to resolve.
        let evaluate: Double = try #require(report.summary.meanDaysToEvaluate)
        let expectedEvaluate: Double = (25.0 / 24.0 + 15.0 + 2.0) / 3.0
        #expect(abs(evaluate - expectedEvaluate) < 1e-9)
        let resolve: Double = try #require(report.summary.meanDaysToResolve)
        let expectedResolve: Double = (18.0 + 8.0 / 24.0 + 45.0) / 2.0
        #expect(abs(resolve - expectedResolve) < 1e-9)
        // October: one alert, closed as not applicable after 2 days.
        #expect(report.previous.alerts == 1 && report.previous.meanDaysToEvaluate == 2 && report.previous.byStatus == [.notApplicable: 1])
    }

    @Test("NERC CIP: 35 days to evaluate, and 35 more from the evaluation to patch or mitigate")
    func nercCIP() throws {
        let report = ComplianceReport(organisation: "Plant", period: try #require(ReportPeriod(month: "2026-11")), framework: .nercCIP,
                                      records: Self.records, madeAt: Self.madeAt)
        let rows = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.alertID, $0) })
        #expect(rows[2]?.evaluation == .met)
        #expect(rows[2]?.remediationDeadline == Self.date("2026-12-25T10:00:00Z") && rows[2]?.remediation == .open)
        // Not evaluated, and the 35 days are not over on 6 December: no remediation deadline to count from yet.
        #expect(rows[3]?.evaluation == .open && rows[3]?.remediationDeadline == nil && rows[3]?.remediation == .open)
        // Evaluated on 12 November; mitigated on 25 December: 43 days after, 35 allowed.
        #expect(rows[4]?.remediationDeadline == Self.date("2026-12-17T00:00:00Z") && rows[4]?.remediation == .late)
        #expect(report.framework.title == "NERC CIP-007-6 R2 patch management evidence")
        // Judged a month later, the untouched alert is overdue on both counts.
        let later = ComplianceReport(organisation: "Plant", period: try #require(ReportPeriod(month: "2026-11")), framework: .nercCIP,
                                     records: Self.records, madeAt: Self.date("2027-01-20T00:00:00Z"))
        let untouched = try #require(later.rows.first { $0.alertID == 3 })
        #expect(untouched.evaluation == .overdue && untouched.remediation == .overdue)
    }

    @Test("the CSV, exactly: every column, times in UTC, formula-safe cells, lists joined")
    func csv() throws {
        let report = ComplianceReport(organisation: "Plant", period: try #require(ReportPeriod(month: "2026-11")), framework: .plain,
                                      records: Self.records, madeAt: Self.madeAt)
        let expected = [
            "alert_id,advisory_id,advisory_version,title,severity,cvss,seen_at,alerted_at,evaluated_at,evaluated_by,evaluation_deadline,evaluation,status,owner,due_date,resolved_at,remediation_deadline,remediation,assets,notes",
            "1,ICSA-26-301-01,1,Title of ICSA-26-301-01,critical,9.8,2026-11-02T07:59:30Z,2026-11-02T08:00:00Z,2026-11-03T09:00:00Z,renee@example.org,2026-11-09T08:00:00Z,met,patched,Renée Müller,2026-11-20,2026-11-20T16:00:00Z,2026-12-02T08:00:00Z,met,PLC-7 (Hamburg),\"2026-11-03 renee@example.org: PLC-7, line 2: firmware V2.14.1 staged\"",
            "2,ICSA-26-305-02,1,Title of ICSA-26-305-02,high,7.5,2026-11-05T09:58:00Z,2026-11-05T10:00:00Z,2026-11-20T10:00:00Z,ops@example.org,2026-11-12T10:00:00Z,late,investigating,,,,2027-01-04T10:00:00Z,open,HMI-9 (Lübeck); HMI-10 (Lübeck),",
            "3,SSA-123456,1,Title of SSA-123456,medium,5.3,2026-11-06T11:00:00Z,2026-11-06T12:00:00Z,,,2026-11-20T12:00:00Z,overdue,new,,,,2027-02-04T12:00:00Z,open,,",
            "4,ICSA-26-310-04,1,Title of ICSA-26-310-04,high,8.1,,2026-11-10T00:00:00Z,2026-11-12T00:00:00Z,ops@example.org,2026-11-17T00:00:00Z,met,mitigated,,,2026-12-25T00:00:00Z,2027-01-09T00:00:00Z,met,'=cmd|' /C calc'!A0,",
            "5,ICSA-26-334-05,1,Title of ICSA-26-334-05,low,3.1,2026-11-30T22:59:00Z,2026-11-30T23:00:00Z,,,2026-12-14T23:00:00Z,open,new,,,,2027-05-29T23:00:00Z,open,,",
        ].joined(separator: "\r\n") + "\r\n"
        #expect(report.csv == expected)
    }

    @Test("the HTML page: every value escaped, the summary against the month before, no script or outside resource")
    func html() throws {
        var records = Self.records
        records[1].alert.advisoryTitle = "<script>alert(1)</script> & \"quoted\""
        let report = ComplianceReport(organisation: "Plant <A&B>", period: try #require(ReportPeriod(month: "2026-11")), framework: .nercCIP,
                                      records: records, madeAt: Self.madeAt)
        let html = report.html
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        #expect(html.contains("<title>NERC CIP-007-6 R2 patch management evidence · Plant &lt;A&amp;B&gt; · 2026-11</title>"))
        #expect(html.contains("<tr><th scope=\"row\">Alerts</th><td>5</td><td>1</td></tr>"))
        #expect(html.contains("evaluate within 35 days; patch, mitigate or close within 35 days from the evaluation"))
        #expect(html.contains("<span class=\"late\">late</span>"))
        #expect(html.contains("HMI-9 (Lübeck)<br>HMI-10 (Lübeck)"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
        let empty = ComplianceReport(organisation: "Plant", period: try #require(ReportPeriod(month: "2025-01")), framework: .plain,
                                     records: Self.records, madeAt: Self.madeAt)
        #expect(empty.rows.isEmpty && empty.html.contains("<p>No alert in 2025-01.</p>"))
    }

    @Test("the PDF: every alert and verdict in the text pdftotext extracts, the summary, page numbers; pdftoppm renders the chart")
    func pdf() throws {
        let report = ComplianceReport(organisation: "Ødegård Kraftwerke", period: try #require(ReportPeriod(month: "2026-11")),
                                      framework: .nercCIP, records: Self.records, madeAt: Self.madeAt)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("report.pdf").path
        try Data(report.pdf).write(to: URL(fileURLWithPath: path))
        let pdftotext = try Executables.find("pdftotext", hint: "apt-get install poppler-utils")
        let text = try Executables.run(pdftotext, arguments: ["-layout", path, "-"])
        #expect(text.contains("NERC CIP-007-6 R2 patch management evidence"))
        #expect(text.contains("Ødegård Kraftwerke · 2026-11 · made 2026-12-06 12:00:00 UTC"))
        for row in report.rows {
            #expect(text.contains("\(row.advisoryID) v1"), "\(row.advisoryID)")
        }
        // Cells wrap: the words in order, whitespace folded.
        let words = try Executables.run(pdftotext, arguments: [path, "-"]).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("owner Renée Müller") && words.contains("HMI-9 (Lübeck) HMI-10 (Lübeck)"))
        #expect(words.contains("due 2026-12-07 08:00:00: met"))
        #expect(words.contains("due 2026-12-17 00:00:00: late"))
        #expect(words.contains("Remediation late 1 0"))
        #expect(text.contains("Page 1 of") && text.components(separatedBy: "\u{0C}").count >= 2)
        let plain = try Executables.run(pdftotext, arguments: [path, "-"])
        #expect(plain.contains("Filled bars: 2026-11; outlined bars and figures in brackets: 2026-10."))
        // The chart: the critical bar's fill, drawn as a vector rectangle, is in the rendered page.
        let pdftoppm = try Executables.find("pdftoppm", hint: "apt-get install poppler-utils")
        _ = try Executables.run(pdftoppm, arguments: ["-r", "50", "-f", "1", "-l", "1", "-aa", "no", "-aaVector", "no", path,
                                                     folder.url.appendingPathComponent("page").path])
        let rendered = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasPrefix("page") && $0.hasSuffix(".ppm") }
        let image = try #require(rendered.first.flatMap { FileManager.default.contents(atPath: folder.url.appendingPathComponent($0).path) })
        // P6 header: "P6\nW H\n255\n", then RGB triples.
        let header = String(decoding: image.prefix(20), as: UTF8.self).split(whereSeparator: \.isWhitespace)
        #expect(header.first == "P6")
        let pixels = [UInt8](image)
        var critical = 0
        var offset = pixels.count - Int(header[1])! * Int(header[2])! * 3
        while offset + 2 < pixels.count {
            // The colour as written to two decimals (0x0B is 0.04, which renders as 0x0A).
            if abs(Int(pixels[offset]) - 0x7A) <= 2 && abs(Int(pixels[offset + 1]) - 0x0B) <= 2 && abs(Int(pixels[offset + 2]) - 0x0B) <= 2 {
                critical += 1
            }
            offset += 3
        }
        #expect(critical > 20, "the critical bar's colour fills part of the page")
    }

    @Test("months and deadline options are read strictly")
    func parsing() throws {
        #expect(ReportPeriod(month: "2026-11")?.start == Self.date("2026-11-01T00:00:00Z"))
        #expect(ReportPeriod(month: "2026-12")?.end == Self.date("2027-01-01T00:00:00Z"))
        #expect(ReportPeriod(month: "2026-01")?.previous.name == "2025-12")
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-11-01", "abcd-ef"] { #expect(ReportPeriod(month: bad) == nil, "\(bad)") }
        #expect(DeadlinePolicy.days("critical=3, high=10", over: DeadlinePolicy.standard.evaluateDays)?[.critical] == 3)
        #expect(DeadlinePolicy.days("critical=3", over: DeadlinePolicy.standard.evaluateDays)?[.medium] == 14)
        for bad in ["critical", "severe=3", "high=-1", "high=x", "high=99999"] { #expect(DeadlinePolicy.days(bad, over: [:]) == nil, "\(bad)") }
    }

    @Test("vigil report over a real store: the month's alerts with their history, the revision's import time and the affected assets")
    func fromStore() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("vigil.sqlite").path
        let store = try SQLiteStore(path: path)
        let bytes = try SharedData.bytes("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes) else { Issue.record("not CSAF"); return }
        let (integrity, _) = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json", sidecars: .init())
        _ = try await store.ingest(IncomingDocument(origin: "icsa-22-172-04.json", bytes: bytes, parsed: parsed, integrity: integrity))
        let plant = try #require(try await store.organisation(named: "Plant", create: true))
        _ = try await store.importAssets([AssetDraft(externalID: "PLC-7", vendor: "Phoenix Contact", product: "MULTIPROG", version: "5.50",
                                                     site: "Hamburg")], organisationID: plant.id, replace: false)
        let created = try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: parsed.advisory.version,
                                                        idempotencyKey: "report-test", changes: ["new advisory"], matches: []))
        #expect(created)
        let alert = try #require(try await store.alerts(organisationID: plant.id, limit: 1).first)
        let evaluated = alert.createdAt.addingTimeInterval(3_600)
        _ = try await store.updateAlert(id: alert.id, organisationID: plant.id, update: AlertUpdate(status: .investigating, owner: "Åsa"),
                                        actor: "asa@example.org", at: evaluated)
        await store.close()

        let month = String(Timestamp.format(alert.createdAt).prefix(7))
        let output = folder.url.appendingPathComponent("report.csv").path
        let run = try await Executables.runVigil(["report", "--db", path, "--org", "Plant", "--month", month, "--output", output])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("1 alert of \(month) for Plant written to \(output)"))
        let csv = try String(contentsOfFile: output, encoding: .utf8)
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 2)
        let fields = lines[1].components(separatedBy: ",")
        #expect(fields[1] == "ICSA-22-172-04" && fields[4] == "critical" && fields[5] == "9.8")
        #expect(!fields[6].isEmpty, "seen_at comes from the stored revision")
        #expect(fields[8] == Timestamp.format(evaluated) && fields[9] == "asa@example.org" && fields[11] == "met")
        #expect(fields[12] == "investigating" && fields[13] == "Åsa" && fields[17] == "open")
        #expect(fields[18] == "PLC-7 (Hamburg)")

        let bad = try await Executables.runVigil(["report", "--db", path, "--org", "Plant", "--month", "2026-13"])
        #expect(bad.status == 64 && bad.stderr.contains("--month must be a month written YYYY-MM"))
        let unknown = try await Executables.runVigil(["report", "--db", path, "--org", "Nobody", "--month", month])
        #expect(unknown.status == 1 && unknown.stderr.contains("no organisation named \"Nobody\""))
        let nerc = try await Executables.runVigil(["report", "--db", path, "--org", "Plant", "--framework", "nerc-cip", "--evaluate-days", "high=3"])
        #expect(nerc.status == 64)

        // The organisation's own deadlines, saved with vigil report-settings, are what vigil report uses by default.
        let channelAdded = try await Executables.runVigil(["channel", "add", "audit", "email:audit@example.org", "--db", path, "--org", "Plant"])
        #expect(channelAdded.status == 0, "\(channelAdded.stderr)")
        let shown = try await Executables.runVigil(["report-settings", "--db", path, "--org", "Plant"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("framework:        plain (Advisory handling report)"))
        #expect(shown.stdout.contains("monthly report:   not sent"))
        let set = try await Executables.runVigil(["report-settings", "--db", path, "--org", "Plant", "--framework", "iec-62443",
                                                  "--evaluate-days", "critical=2", "--monthly-channel", "audit"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("evaluate within:  critical=2,high=7,medium=14,low=14,none=14 days"))
        #expect(set.stdout.contains("monthly report:   to audit (email:audit@example.org)"))
        let configured = try await Executables.runVigil(["report", "--db", path, "--org", "Plant", "--month", month])
        #expect(configured.status == 0, "\(configured.stderr)")
        let row = try #require(configured.stdout.components(separatedBy: "\r\n").dropFirst().first).components(separatedBy: ",")
        #expect(row[10] == Timestamp.format(alert.createdAt.addingTimeInterval(2 * 86_400)), "critical: 2 days to evaluate")
        let html = try await Executables.runVigil(["report", "--db", path, "--org", "Plant", "--month", month, "--format", "html"])
        #expect(html.stdout.contains(ReportFramework.iec62443.title))
        // A flag still wins for one run.
        let flagged = try await Executables.runVigil(["report", "--db", path, "--org", "Plant", "--month", month, "--evaluate-days", "critical=5"])
        let flaggedRow = try #require(flagged.stdout.components(separatedBy: "\r\n").dropFirst().first).components(separatedBy: ",")
        #expect(flaggedRow[10] == Timestamp.format(alert.createdAt.addingTimeInterval(5 * 86_400)))

        let noChannel = try await Executables.runVigil(["report-settings", "--db", path, "--org", "Plant", "--monthly-channel", "nope"])
        #expect(noChannel.status == 1 && noChannel.stderr.contains("Plant has no channel named \"nope\""))
        let badDays = try await Executables.runVigil(["report-settings", "--db", path, "--org", "Plant", "--remediate-days", "soon"])
        #expect(badDays.status == 64 && badDays.stderr.contains("--remediate-days takes severity=days pairs"))
        let off = try await Executables.runVigil(["report-settings", "--db", path, "--org", "Plant", "--framework", "nerc-cip", "--no-monthly-channel"])
        #expect(off.stdout.contains("evaluate within:  critical=35,high=35,medium=35,low=35,none=35 days"))
        #expect(off.stdout.contains("monthly report:   not sent"))
        let nercSaved = try await Executables.runVigil(["report", "--db", path, "--org", "Plant", "--month", month, "--evaluate-days", "critical=5"])
        #expect(nercSaved.status == 2 && nercSaved.stderr.contains("reports are read against nerc-cip"))
    }
}
