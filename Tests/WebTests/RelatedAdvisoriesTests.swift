import CSAF
import Foundation
import Hummingbird
import HummingbirdTesting
import Revisions
import Sources
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Advisories of different publishers that describe the same vulnerabilities, as the pages and the API show them: the
/// advisory's `related` list and "Also published as" section, and one row per vulnerability (`?group=vulnerability`)
/// on the list, the vendor pages and the API.
@Suite("Web: related advisories")
struct RelatedAdvisoriesTests {
    /// A store holding `documents` (by default all of `LinkFixtures.all`) and a router over it.
    func withApp(_ documents: [LinkFixtures.Document] = LinkFixtures.all, backend: Backend = .sqlite,
                 _ body: @Sendable (any TestClientProtocol, any VigilStore, URL) async throws -> Void) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, directory) = try await Fixtures.store(importing: try LinkFixtures.write(documents, to: folder.url), backend: backend)
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: try await buildRouter(store: store))
        let url = folder.url
        try await app.test(.router) { client in try await body(client, store, url) }
        await store.close()
    }

    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    static func related(_ object: [String: Any]) throws -> [String: [String: Any]] {
        let list = try #require(object["related"] as? [[String: Any]], "related is missing")
        return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0) })
    }

    @Test("The API's related list names the other publication on both sides, with reason, strength and shared CVEs; a third-party advisory sharing a CVE is not linked, and an advisory without links has an empty list",
          arguments: Backend.allCases)
    func apiRelated(backend: Backend) async throws {
        try await withApp(backend: backend) { client, _, _ in
            try await client.execute(uri: "/api/v1/advisories/EXSA-123456", method: .get) { response in
                #expect(response.status == .ok)
                let related = try Self.related(try Self.object(response.body))
                #expect(related.keys.sorted() == ["ICSA-26-100-01", "VDE-2026-0042"], "\(related.keys.sorted())")
                let cisa = try #require(related["ICSA-26-100-01"])
                #expect(cisa["publisher"] as? String == "CISA")
                #expect(cisa["reason"] as? String == "reference")
                #expect(cisa["strength"] as? String == "strong")
                #expect(cisa["reference"] as? String == "namedByOther")
                #expect(cisa["shared_cves"] as? [String] == ["CVE-2026-1000", "CVE-2026-1001"])
                #expect(cisa["initial_release_date"] as? String == "2026-04-10T00:00:00Z")
                #expect(cisa["url"] as? String == "/api/v1/advisories/ICSA-26-100-01")
                let weak = try #require(related["VDE-2026-0042"])
                #expect(weak["reason"] as? String == "overlappingCVEs")
                #expect(weak["strength"] as? String == "weak")
                #expect(weak["shared_cves"] as? [String] == ["CVE-2026-1001"])
                #expect(weak["reference"] == nil)
            }
            try await client.execute(uri: "/api/v1/advisories/ICSA-26-100-01", method: .get) { response in
                let related = try Self.related(try Self.object(response.body))
                let vendor = try #require(related["EXSA-123456"])
                #expect(vendor["publisher"] as? String == "Example ProductCERT")
                #expect(vendor["reason"] as? String == "reference")
                #expect(vendor["strength"] as? String == "strong")
                #expect(vendor["reference"] as? String == "namesOther")
                #expect(vendor["initial_release_date"] as? String == "2026-04-03T00:00:00Z")
                #expect(related["OCSA-2026-0007"] == nil, "another vendor's advisory sharing a CVE is linked")
            }
            // Other Corp's advisory shares CVE-2026-1000 through Example's component: the same CVE, not the same advisory.
            try await client.execute(uri: "/api/v1/advisories/OCSA-2026-0007", method: .get) { response in
                let object = try Self.object(response.body)
                #expect((object["related"] as? [Any])?.isEmpty == true, "\(object["related"] ?? "missing")")
            }
        }
    }

    @Test("The advisory page lists the other publication with its publisher, date, why it is linked and which came first")
    func advisoryPage() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/advisories/EXSA-123456", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("<section id=\"also-published\" aria-labelledby=\"h-also\">"))
                #expect(html.contains("<h2 id=\"h-also\">Also published as</h2>"))
                #expect(html.contains("<p>First published: Example ProductCERT (this advisory), 7 days before CISA.</p>"), "\(html)")
                #expect(html.contains("<tr><th scope=\"row\"><a href=\"/advisories/ICSA-26-100-01\">ICSA-26-100-01</a></th><td>CISA</td><td><time datetime=\"2026-04-10T00:00:00Z\">2026-04-10</time></td><td>names this advisory in its references</td><td>published 7 days after this one</td></tr>"))
                // The weak link apart, as related rather than the same advisory.
                let relatedStart = try #require(html.range(of: "<h3 id=\"h-related\">Related advisories</h3>"))
                let weakRow = try #require(html.range(of: "<a href=\"/advisories/VDE-2026-0042\">VDE-2026-0042</a>"))
                #expect(relatedStart.upperBound <= weakRow.lowerBound)
                #expect(html.contains("<td>shares CVE-2026-1001</td><td>published 14 days before this one</td>"))
                #expect(!html.contains("/advisories/OCSA-2026-0007"), "the third-party advisory is named")
                // Before the risk summary, after the header.
                let section = try #require(html.range(of: "id=\"also-published\""))
                let risk = try #require(html.range(of: "id=\"risk-summary\""))
                #expect(section.upperBound <= risk.lowerBound)
            }
            try await client.execute(uri: "/advisories/ICSA-26-100-01", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<p>First published: Example ProductCERT (EXSA-123456), 7 days before CISA.</p>"), "\(html)")
                #expect(html.contains("<a href=\"/advisories/EXSA-123456\">EXSA-123456</a></th><td>Example ProductCERT</td>"))
                #expect(html.contains("<td>named in this advisory&#39;s references</td><td>published 7 days before this one</td>")
                        || html.contains("<td>named in this advisory&#x27;s references</td><td>published 7 days before this one</td>"), "\(html)")
            }
            // Without links, no section.
            try await client.execute(uri: "/advisories/OCSA-2026-0007", method: .get) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains("Also published as"))
            }
        }
    }

    @Test("A cached advisory page shows a link as soon as the other publication is imported: the import bumps the generation")
    func cachedPageFollowsImports() async throws {
        try await withApp([LinkFixtures.vendorAdvisory]) { client, store, folder in
            let before = try await store.generation()
            for _ in 0..<2 {
                try await client.execute(uri: "/advisories/EXSA-123456", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(!String(buffer: response.body).contains("Also published as"))
                }
            }
            try await LinkFixtures.importing([LinkFixtures.republication], into: store, directory: folder)
            #expect(try await store.generation() != before)
            try await client.execute(uri: "/advisories/EXSA-123456", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Also published as"))
                #expect(html.contains("<a href=\"/advisories/ICSA-26-100-01\">ICSA-26-100-01</a>"))
            }
        }
    }

    @Test("A publisher name from a linked document is escaped on the advisory page, the grouped list and the API")
    func hostilePublisherEscaped() async throws {
        var hostile = LinkFixtures.republication
        hostile.id = "EVIL-2026-0001"
        hostile.publisher = "Evil <script>alert(1)</script> & \"Co\""
        hostile.namespace = "https://evil.example"
        hostile.date = "2026-04-12T00:00:00Z"
        try await withApp([LinkFixtures.vendorAdvisory, hostile]) { client, _, _ in
            let escaped = "Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"
            for uri in ["/advisories/EXSA-123456", "/?group=vulnerability"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains(escaped), "\(uri): \(html)")
                    #expect(!html.contains("<script>alert(1)"), "\(uri)")
                }
            }
            try await client.execute(uri: "/advisories/EXSA-123456", method: .get) { response in
                #expect(String(buffer: response.body).contains("<p>First published: Example ProductCERT (this advisory), 9 days before \(escaped).</p>"))
            }
            try await client.execute(uri: "/api/v1/advisories/EXSA-123456", method: .get) { response in
                let related = try Self.related(try Self.object(response.body))
                #expect(related["EVIL-2026-0001"]?["publisher"] as? String == "Evil <script>alert(1)</script> & \"Co\"")
            }
        }
    }

    @Test("One row per vulnerability on the list: the republication folds into the vendor's row, which names it; other advisories keep their rows; the choice is offered and kept by the pagination links")
    func groupedList() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<a class=\"id\" href=\"/advisories/ICSA-26-100-01\">"))
                #expect(html.contains("<a class=\"id\" href=\"/advisories/EXSA-123456\">"))
                #expect(!html.contains("also published as"))
                #expect(html.contains("<select id=\"group\" name=\"group\""))
                #expect(html.contains("<option value=\"advisory\" selected>One per advisory</option>"))
                #expect(html.contains("<option value=\"vulnerability\">One per vulnerability</option>"))
            }
            try await client.execute(uri: "/?group=vulnerability", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<option value=\"vulnerability\" selected>One per vulnerability</option>"))
                #expect(!html.contains("<a class=\"id\" href=\"/advisories/ICSA-26-100-01\">"), "the republication keeps its row")
                #expect(html.contains("<a class=\"id\" href=\"/advisories/EXSA-123456\">"))
                #expect(html.contains("<span class=\"meta also\">also published as <a href=\"/advisories/ICSA-26-100-01\">ICSA-26-100-01</a> by CISA</span>"), "\(html)")
                // Sharing a CVE with another vendor's advisory, or a few with a coordinator's: rows of their own.
                #expect(html.contains("<a class=\"id\" href=\"/advisories/OCSA-2026-0007\">"))
                #expect(html.contains("<a class=\"id\" href=\"/advisories/VDE-2026-0042\">"))
                #expect(html.components(separatedBy: "<span class=\"meta also\">").count == 2)
                #expect(html.contains("4 advisories · showing 1–4 · one row per vulnerability (1 republication shown in the row of the first publication)"))
                // The JSON link asks the API for the same rows.
                #expect(html.contains("href=\"/api/v1/advisories?group=vulnerability\""))
            }
            // Pagination keeps the choice.
            try await client.execute(uri: "/?group=vulnerability&per_page=1", method: .get) { response in
                #expect(String(buffer: response.body).contains("rel=\"next\" href=\"/?group=vulnerability&amp;page=2\""))
            }
            try await client.execute(uri: "/?group=vulnerability&per_page=1&page=2", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("rel=\"prev\" href=\"/?group=vulnerability\""))
                #expect(html.contains("rel=\"next\" href=\"/?group=vulnerability&amp;page=3\""))
            }
            // Folding is within the page: the newest two are CISA's republication and Other Corp's advisory, and the
            // vendor's advisory is on the next page, so the republication keeps its row here.
            try await client.execute(uri: "/?group=vulnerability&per_page=2", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<a class=\"id\" href=\"/advisories/ICSA-26-100-01\">"))
                #expect(!html.contains("also published as"))
            }
        }
    }

    @Test("One item per vulnerability in the API: also_published_as on every item, the republication folded; absent without group; other values rejected")
    func groupedAPI() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/api/v1/advisories?group=vulnerability", method: .get) { response in
                #expect(response.status == .ok)
                let object = try Self.object(response.body)
                #expect(object["total"] as? Int == 4, "total counts advisories")
                let items = try #require(object["items"] as? [[String: Any]])
                #expect(items.compactMap { $0["id"] as? String } == ["OCSA-2026-0007", "EXSA-123456", "VDE-2026-0042"])
                let vendor = try #require(items.first { $0["id"] as? String == "EXSA-123456" })
                let also = try #require(vendor["also_published_as"] as? [[String: Any]])
                #expect(also.count == 1)
                #expect(also.first?["id"] as? String == "ICSA-26-100-01")
                #expect(also.first?["publisher"] as? String == "CISA")
                #expect(also.first?["initial_release_date"] as? String == "2026-04-10T00:00:00Z")
                #expect(also.first?["url"] as? String == "/api/v1/advisories/ICSA-26-100-01")
                for item in items where item["id"] as? String != "EXSA-123456" {
                    #expect((item["also_published_as"] as? [Any])?.isEmpty == true, "\(item["id"] ?? "")")
                }
            }
            for uri in ["/api/v1/advisories", "/api/v1/advisories?group=advisory"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let items = try #require(try Self.object(response.body)["items"] as? [[String: Any]])
                    #expect(items.count == 4, "\(uri)")
                    #expect(items.allSatisfy { $0["also_published_as"] == nil }, "\(uri)")
                }
            }
            for uri in ["/api/v1/advisories?group=Vulnerability", "/api/v1/advisories?group=", "/api/v1/advisories?group=cve"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(String(buffer: response.body).contains("group must be advisory or vulnerability"), "\(uri)")
                }
            }
            // The pages stay lenient.
            try await client.execute(uri: "/?group=%20Vulnerability%20", method: .get) { response in
                #expect(String(buffer: response.body).contains("<option value=\"vulnerability\" selected>"))
            }
        }
    }

    @Test("A vendor's page shows each vulnerability once by default; ?group=advisory lists every advisory and its pagination keeps that")
    func vendorPage() async throws {
        try await withApp { client, store, _ in
            let slug = try #require(try await store.vendorSlugs(for: ["Example"])["Example"])
            try await client.execute(uri: "/vendors/\(slug)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("<option value=\"vulnerability\" selected>One per vulnerability</option>"))
                #expect(!html.contains("<a class=\"id\" href=\"/advisories/ICSA-26-100-01\">"))
                #expect(html.contains("also published as <a href=\"/advisories/ICSA-26-100-01\">ICSA-26-100-01</a> by CISA"))
                #expect(html.contains("href=\"/api/v1/advisories?vendor=\(slug)&amp;group=vulnerability\""))
            }
            try await client.execute(uri: "/vendors/\(slug)?per_page=1", method: .get) { response in
                // The default needs no parameter.
                #expect(String(buffer: response.body).contains("rel=\"next\" href=\"/vendors/\(slug)?page=2\""))
            }
            try await client.execute(uri: "/vendors/\(slug)?group=advisory", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<option value=\"advisory\" selected>One per advisory</option>"))
                #expect(html.contains("<a class=\"id\" href=\"/advisories/ICSA-26-100-01\">"))
                #expect(html.contains("<a class=\"id\" href=\"/advisories/EXSA-123456\">"))
                #expect(!html.contains("also published as"))
            }
            try await client.execute(uri: "/vendors/\(slug)?group=advisory&per_page=1", method: .get) { response in
                #expect(String(buffer: response.body).contains("rel=\"next\" href=\"/vendors/\(slug)?group=advisory&amp;page=2\""))
            }
        }
    }

    @Test("Folding: strong links only, transitively, into the earliest-published advisory's row, which stands where it stood")
    func folding() {
        func item(_ id: String, _ day: Int) -> AdvisorySummary {
            AdvisorySummary(id: id, title: id, publisher: "P-" + id, vendors: ["V"], initialReleaseDate: Date(timeIntervalSince1970: Double(day) * 86400),
                            version: "1", severity: .high, cveCount: 1, integrity: .verified)
        }
        func link(_ id: String, _ strength: AdvisoryLink.Strength) -> AdvisoryLink {
            AdvisoryLink(id: id, publisher: "P-" + id, reason: strength == .strong ? .sameCVEs : .overlappingCVEs, strength: strength,
                         sharedCVEs: ["CVE-2026-1000"], initialReleaseDate: nil)
        }
        // Newest first, as the list orders them. A–B and B–C are strong; C–D medium, D–E weak; F strongly linked to an
        // advisory not on the page.
        let items = [item("A", 30), item("D", 25), item("B", 20), item("E", 15), item("C", 22), item("F", 10)]
        let links: [String: [AdvisoryLink]] = [
            "A": [link("B", .strong)], "B": [link("A", .strong), link("C", .strong)], "C": [link("B", .strong), link("D", .medium)],
            "D": [link("C", .medium), link("E", .weak)], "E": [link("D", .weak)], "F": [link("Z", .strong)],
        ]
        let rows = VulnerabilityGroups.fold(items, links: links)
        #expect(rows.map(\.item.id) == ["D", "B", "E", "F"])
        #expect(rows.first { $0.item.id == "B" }?.alsoPublishedAs.map(\.id) == ["C", "A"])
        #expect(rows.filter { $0.item.id != "B" }.allSatisfy { $0.alsoPublishedAs.isEmpty })
    }

    @Test("Spans and CVE lists read as sentences")
    func wording() {
        #expect(RelatedAdvisoriesView.span(7 * 86400) == "7 days")
        #expect(RelatedAdvisoriesView.span(-7 * 86400 - 3600) == "7 days")
        #expect(RelatedAdvisoriesView.span(5 * 3600) == "5 hours")
        #expect(RelatedAdvisoriesView.span(3600) == "1 hour")
        #expect(RelatedAdvisoriesView.span(59 * 60) == nil)
        #expect(RelatedAdvisoriesView.list(["A"]) == "A")
        #expect(RelatedAdvisoriesView.list(["A", "B"]) == "A and B")
        #expect(RelatedAdvisoriesView.list(["A", "B", "C"]) == "A, B and C")
        #expect(RelatedAdvisoriesView.list(["A", "B", "C", "D", "E"]) == "A, B, C and 2 more")
        let overlap = AdvisoryLink(id: "X", publisher: "P", reason: .overlappingCVEs, strength: .medium,
                                   sharedCVEs: ["CVE-1", "CVE-2", "CVE-3", "CVE-4"], initialReleaseDate: nil)
        #expect(RelatedAdvisoriesView.why(overlap) == "shares 4 CVEs: CVE-1, CVE-2, CVE-3 and 1 more")
        #expect(RelatedAdvisoriesView.when(nil, comparedWith: Date()) == "release date not given")
    }
}
