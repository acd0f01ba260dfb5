import CSAF
import Foundation
import Hummingbird
import HummingbirdTesting
import Matching
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// The dashboard and "What to patch first" (issue 17), over a real SQLite store with real CISA advisories.
@Suite("Dashboard")
struct DashboardTests {
    static let folder = "providers/cisa/csaf_files/OT/white/2022"

    /// CISA's advisories of mid 2022 (file names `icsa-22-16…` and `icsa-22-17…`).
    static func files() throws -> [String] {
        try SharedData.jsonFiles(under: folder).filter { $0.hasPrefix("icsa-22-16") || $0.hasPrefix("icsa-22-17") }
            .map { try Fixtures.data("\(folder)/\($0)") }
    }

    /// The label of each row of a chart's table, with its cells by header.
    static func table(_ chart: ChartView) -> [String: [String: Double]] {
        var table: [String: [String: Double]] = [:]
        for row in chart.rows {
            table[row.label] = Dictionary(uniqueKeysWithValues: zip(chart.headers, row.cells.map { Double($0.filter { $0.isNumber || $0 == "." }) ?? -1 }))
        }
        return table
    }

    @Test("the advisories chart's numbers are the documents' months, and the severities the list's")
    func advisoryNumbers() async throws {
        let paths = try Self.files()
        #expect(paths.count > 10)
        let (store, directory) = try await Fixtures.store(importing: paths)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Counted from the files themselves: the month of each document's initial release (UTC).
        var perMonth: [String: Int] = [:]
        var ids = Set<String>()
        for path in paths {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            let tracking = (object?["document"] as? [String: Any])?["tracking"] as? [String: Any]
            let id = try #require(tracking?["id"] as? String)
            guard ids.insert(id).inserted, let text = tracking?["initial_release_date"] as? String,
                  let date = Timestamp.parse(text) else { continue }
            perMonth[String(Timestamp.format(date).prefix(7)), default: 0] += 1
        }
        // The severities as the advisory list shows them.
        var perSeverity: [String: [String: Int]] = [:]
        for item in try await store.search(AdvisoryQuery(perPage: 500)).items {
            guard let date = item.initialReleaseDate else { continue }
            perSeverity[String(Timestamp.format(date).prefix(7)), default: [:]][item.severity.rawValue.capitalized, default: 0] += 1
        }
        let now = try #require(Timestamp.parse("2023-05-15T12:00:00Z"))
        let view = try await DashboardPageView.load(store: store, organisation: nil, now: now)
        #expect(view.advisories.rows.count == 24)
        #expect(view.advisories.rows.first?.label == "2021-06" && view.advisories.rows.last?.label == "2023-05")
        #expect(!view.hasOrganisation && view.charts.isEmpty)
        let table = Self.table(view.advisories)
        for (month, count) in perMonth {
            let row = try #require(table[month], "month \(month) missing")
            let total = row["Total"] ?? row.values.reduce(0, +)
            #expect(Int(total) == count, "\(month): \(row) against \(count) documents")
            for (severity, n) in perSeverity[month] ?? [:] {
                #expect(row[severity].map(Int.init) == n, "\(month) \(severity)")
            }
        }
        let shown = table.values.reduce(0) { $0 + Int($1["Total"] ?? $1.values.reduce(0, +)) }
        #expect(shown == perMonth.values.reduce(0, +), "advisories counted outside their month")
    }

    @Test("an organisation's dashboard counts its alerts and exposures; signed out shows no organisation data")
    func organisationData() async throws {
        let file = try Fixtures.temporaryDirectory().appendingPathComponent("current.json")
        // An advisory of this month, so the real clock's 24 months include it.
        let today = Timestamp.format(Date())
        try Fixtures.craftedDocument(title: "Current", date: today)
            .replacingOccurrences(of: "\"initial_release_date\":\"2024-03-01T10:00:00Z\"", with: "\"initial_release_date\":\"\(today)\"")
            .write(to: file, atomically: true, encoding: .utf8)
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory, file.path])
        defer { try? FileManager.default.removeItem(at: directory); try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let plant = try #require(try await store.organisation(named: "Plant A", create: true))
        _ = try await store.importAssets([
            AssetDraft(externalID: "<script>alert(1)</script>", vendor: "Phoenix Contact GmbH & Co. KG", product: "MULTIPROG",
                       version: "5.51", site: "Hall <1>", criticality: .high),
        ], organisationID: plant.id, replace: false)
        #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                  idempotencyKey: "a|1", changes: ["new advisory"], matches: [])))
        #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "VIGIL-TEST-0001", advisoryVersion: "1",
                                                  idempotencyKey: "b|1", changes: ["new advisory"], matches: [])))
        let alert = try #require(try await store.alerts(organisationID: plant.id, status: nil, limit: 5).first)
        _ = try await store.updateAlert(id: alert.id, organisationID: plant.id, update: AlertUpdate(status: .investigating),
                                        actor: "jm", at: Date())

        let view = try await DashboardPageView.load(store: store, organisation: plant, now: Date())
        let charts = Dictionary(uniqueKeysWithValues: view.charts.map { ($0.id, Self.table($0)) })
        #expect(charts["alerts-by-status"]?["New"]?["Open alerts"] == 1)
        #expect(charts["alerts-by-status"]?["Investigating"]?["Open alerts"] == 1)
        #expect(charts["alerts-by-age"]?["< 7 days"]?["Open alerts"] == 2)
        #expect(charts["exposures-by-site"]?["Hall <1>"]?["Total"] == 1)
        #expect(charts["exposures-by-vendor"]?.keys.sorted() == ["Phoenix Contact GmbH & Co. KG"])
        #expect(charts["compliance"]?.count == 6)
        #expect(view.openAlerts == "2")
        #expect(Self.table(view.advisories)[String(today.prefix(7))]?.values.reduce(0, +) == 1)

        let app = Application(router: try await buildRouter(store: store, organisation: "Plant A"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("Dashboard of Plant A"))
                #expect(html.contains("<svg"))
                #expect(html.contains("<details"))
                #expect(html.contains("Open alerts by status"))
                #expect(html.contains("Hall &lt;1&gt;"))
                #expect(!html.contains("Hall <1>"))
                #expect(html.contains("href=\"/dashboard\""), "the nav links the dashboard")
                Self.expectSelfContained(html)
            }
            try await client.execute(uri: "/exposures", method: .get) { response in
                #expect(String(buffer: response.body).contains("href=\"/exposures/priorities\""))
            }
        }
        // No organisation: the instance-wide chart, and nothing of Plant A.
        let bare = Application(router: try await buildRouter(store: store))
        try await bare.test(.router) { client in
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("Advisories per month by severity"))
                for secret in ["Plant A", "Hall", "Phoenix Contact GmbH", "Open alerts", "Evaluation deadlines", "alert(1)"] {
                    #expect(!html.contains(secret), "\(secret) shown signed out")
                }
                Self.expectSelfContained(html)
            }
        }
    }

    /// No script and no address outside the page's own but SVG's namespace.
    static func expectSelfContained(_ html: String) {
        #expect(!html.lowercased().contains("<script"))
        let stripped = html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        #expect(!stripped.contains("http://") && !stripped.contains("https://"), "an external address in the page")
    }

    @Test("what to patch first: the KEV-listed exposure first with its reasons, asset names escaped")
    func priorities() async throws {
        let paths = [try Fixtures.cisaAdvisory, try Fixtures.data("\(Self.folder)/icsa-22-172-02.json")]
        let (store, directory) = try await Fixtures.store(importing: paths)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plant = try #require(try await store.organisation(named: "Plant A", create: true))
        _ = try await store.importAssets([
            AssetDraft(externalID: "NANO-1", vendor: "JTEKT Corporation", product: "Nano 10GX Type=TUC-1157", version: "1.0",
                       site: "Hall 2", criticality: .low),
            AssetDraft(externalID: "<img src=x onerror=alert(1)>", vendor: "Phoenix Contact GmbH & Co. KG", product: "MULTIPROG",
                       version: "5.51", site: "Hall 1", criticality: .high),
        ], organisationID: plant.id, replace: false)
        _ = try await store.replaceKnownExploited([
            KnownExploitedVulnerability(cve: "CVE-2022-31801", vendor: "Phoenix Contact", product: "ProConOS", name: "test",
                                        dateAdded: "2022-07-01", dueDate: "2022-07-22", requiredAction: "patch", ransomware: "Unknown"),
        ], catalogVersion: "test")
        let exposures = try await store.exposures(organisationID: plant.id, filter: ExposureFilter())
        #expect(Set(exposures.map(\.exposure.advisoryID)) == ["ICSA-22-172-02", "ICSA-22-172-04"], "\(exposures.map(\.exposure.advisoryID))")

        let view = try await PatchPriorityPageView.load(store: store, organisation: plant, now: Date())
        let first = try #require(view.rows.first)
        #expect(first.advisoryID == "ICSA-22-172-04")
        #expect(first.knownExploited)
        #expect(first.decision == "Act")
        #expect(first.reasons.contains("listed in CISA KEV (exploitation: active)"))
        #expect(first.reasons.contains { $0.hasPrefix("CVSS 9.8") })
        #expect(view.rows.map(\.rank) == Array(1...view.rows.count))
        #expect(view.rows.dropFirst().allSatisfy { !$0.knownExploited })

        let app = Application(router: try await buildRouter(store: store, organisation: "Plant A"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/exposures/priorities", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("What to patch first at Plant A"))
                #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
                #expect(!html.contains("<img src=x"), "an asset name reached the page unescaped")
                #expect(html.contains("listed in CISA KEV (exploitation: active)"))
                let kev = try #require(html.range(of: "ICSA-22-172-04</a>"))
                let other = try #require(html.range(of: "ICSA-22-172-02</a>"))
                #expect(kev.lowerBound < other.lowerBound, "the KEV-listed exposure is not first")
                Self.expectSelfContained(html)
            }
        }
        // Without an organisation: nothing to list, no other organisation's data.
        let bare = Application(router: try await buildRouter(store: store))
        try await bare.test(.router) { client in
            try await client.execute(uri: "/exposures/priorities", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(!html.contains("ICSA-22-172-04</a>"))
                #expect(!html.contains("onerror"))
            }
        }
    }
}
