import Alerts
import CSAF
import Foundation
import Hummingbird
import HummingbirdTesting
import Sources
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Editing a watch and previewing what it would have matched in the last 90 days, over a real SQLite store holding
/// advisories released 10, 40, 80 and 200 days ago.
@Suite("Watch editing and preview")
struct WatchEditTests {
    static func day(_ daysAgo: Int) -> String {
        String(Timestamp.formatDay(Date().addingTimeInterval(-Double(daysAgo) * 86_400)))
    }

    /// Four advisories: Siemens 9.8 (10 days ago), Siemens 5.0 (40), Festo 7.5 (80), Siemens 9.1 (200: outside).
    static func fixture() async throws -> AccountPagesTests.TwoOrganisations {
        let base = try await AccountPagesTests.TwoOrganisations.make()
        try await AccountFixtures.member("vera@plant.example", of: base.plant, role: .viewer, store: base.store)
        let folder = base.directory.appendingPathComponent("crafted")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let crafted = [
            CraftedAdvisory(id: "TEST-2026-0010", vendor: "Siemens", products: [.init("SIMATIC S7-1500", "< V3.1")],
                            cves: ["CVE-2026-1010"], released: day(10), title: "Siemens SIMATIC S7-1500", cvss: 9.8),
            CraftedAdvisory(id: "TEST-2026-0040", vendor: "Siemens", products: [.init("SCALANCE X", "< V4.0")],
                            cves: ["CVE-2026-1040"], released: day(40), title: "Siemens SCALANCE X", cvss: 5.0),
            CraftedAdvisory(id: "TEST-2026-0080", vendor: "Festo", products: [.init("CPX-E", "< V1.5")],
                            cves: ["CVE-2026-1080"], released: day(80), title: "Festo CPX-E", cvss: 7.5),
            CraftedAdvisory(id: "TEST-2026-0200", vendor: "Siemens", products: [.init("SINEMA", "< V2.0")],
                            cves: ["CVE-2026-1200"], released: day(200), title: "Siemens SINEMA", cvss: 9.1),
        ]
        var paths: [String] = []
        for advisory in crafted {
            let path = folder.appendingPathComponent(advisory.id.lowercased() + ".json").path
            try Data(advisory.bytes).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let summary = try await LocalImporter().run(paths: paths, into: base.store)
        #expect(summary.new == 4)
        return base
    }

    @Test("the preview counts the last 90 days' advisories the watch matches, names the newest with the reason, and saves nothing")
    func preview() async throws {
        let fixture = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            let csrf = try #require(TestBrowser.csrf(in: try await alice.get("/watches/new")))
            let before = try await fixture.store.watches(organisationID: fixture.plant.id).count

            let siemens = try await alice.post("/watches", [("rule", "vendor"), ("value", "Siemens"), ("min_severity", ""), ("preview", "1")], csrf: csrf)
            #expect(siemens.status == .ok)
            let html = String(buffer: siemens.body)
            #expect(html.contains("In the last 90 days this watch would have matched 2 of 3 advisories."), "\(html)")
            #expect(html.contains("<a href=\"/advisories/TEST-2026-0010\">TEST-2026-0010</a> Siemens SIMATIC S7-1500: names the vendor Siemens"))
            #expect(html.contains("TEST-2026-0040") && !html.contains("TEST-2026-0200") && !html.contains("TEST-2026-0080"))
            #expect(html.range(of: "TEST-2026-0010")!.lowerBound < html.range(of: "TEST-2026-0040")!.lowerBound, "newest first")
            #expect(html.contains("value=\"Siemens\""), "the form keeps what was typed")

            let critical = try await alice.post("/watches", [("rule", "vendor"), ("value", "Siemens"), ("min_severity", "critical"), ("preview", "1")], csrf: csrf)
            #expect(String(buffer: critical.body).contains("would have matched 1 of 3 advisories."))
            let score = try await alice.post("/watches", [("rule", "min_cvss"), ("value", "7"), ("min_severity", ""), ("preview", "1")], csrf: csrf)
            #expect(String(buffer: score.body).contains("would have matched 2 of 3 advisories."))
            #expect(String(buffer: score.body).contains("TEST-2026-0080</a> Festo CPX-E: scores CVSS 7.5 (at least 7.0)"))
            let nothing = try await alice.post("/watches", [("rule", "keyword"), ("value", "zzz-no-such-word"), ("min_severity", ""), ("preview", "1")], csrf: csrf)
            #expect(String(buffer: nothing.body).contains("would have matched 0 of 3 advisories."))
            let bad = try await alice.post("/watches", [("rule", "min_cvss"), ("value", "eleven"), ("min_severity", ""), ("preview", "1")], csrf: csrf)
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("A CVSS score is a number from 0 to 10"))

            #expect(try await fixture.store.watches(organisationID: fixture.plant.id).count == before, "previews save nothing")
        }
    }

    @Test("a watch is edited in place; a viewer and another organisation cannot; a bad value is refused and changes nothing")
    func edit() async throws {
        let fixture = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let watch = try await fixture.store.addWatch(.init(kind: "vendor", value: "Siemens"), organisationID: fixture.plant.id)
        let theirs = try await fixture.store.addWatch(.init(kind: "vendor", value: "ABB"), organisationID: fixture.utility.id)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            #expect(String(buffer: try await alice.get("/watches").body).contains("href=\"/watches/\(watch.id)/edit\""))
            let form = try await alice.get("/watches/\(watch.id)/edit")
            #expect(form.status == .ok)
            let html = String(buffer: form.body)
            #expect(html.contains("Edit a watch of Plant A") && html.contains("action=\"/watches/\(watch.id)\"") && html.contains("value=\"Siemens\""))
            let csrf = try #require(TestBrowser.csrf(in: form))

            let bad = try await alice.post("/watches/\(watch.id)", [("rule", "min_cvss"), ("value", "11"), ("min_severity", "")], csrf: csrf)
            #expect(bad.status == .badRequest)
            #expect(try await fixture.store.watches(organisationID: fixture.plant.id).first { $0.id == watch.id }?.draft.value == "Siemens")

            let saved = try await alice.post("/watches/\(watch.id)", [("rule", "vendor"), ("value", "Festo"), ("min_severity", "high")], csrf: csrf)
            #expect(saved.headers[.location] == "/watches?done=changed")
            let changed = try #require(try await fixture.store.watches(organisationID: fixture.plant.id).first { $0.id == watch.id })
            #expect(changed.draft.kind == "vendor" && changed.draft.value == "Festo" && changed.draft.minimumSeverity == .high)

            #expect(try await alice.get("/watches/\(theirs.id)/edit").status == .notFound)
            #expect(try await alice.post("/watches/\(theirs.id)", [("rule", "vendor"), ("value", "x"), ("min_severity", "")], csrf: csrf).status == .notFound)

            let vera = TestBrowser(client)
            try await vera.signIn("vera@plant.example", AccountFixtures.password)
            #expect(try await vera.get("/watches/\(watch.id)/edit").status == .forbidden)
            let veraCSRF = TestBrowser.csrf(in: try await vera.get("/watches"))
            #expect(try await vera.post("/watches/\(watch.id)", [("rule", "vendor"), ("value", "x"), ("min_severity", "")], csrf: veraCSRF).status == .forbidden)
        }
        #expect(try await fixture.store.watches(organisationID: fixture.utility.id).first?.draft.value == "ABB")
        #expect(try await fixture.store.watches(organisationID: fixture.plant.id).first { $0.id == watch.id }?.draft.value == "Festo")
    }
}
