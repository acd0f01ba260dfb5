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

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Web routes")
struct RouteTests {
    func withApp(importing paths: [String], backend: Backend = .sqlite,
                 _ body: @Sendable (any TestClientProtocol, any VigilStore, URL) async throws -> Void) async throws {
        let (store, directory) = try await Fixtures.store(importing: paths, backend: backend)
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in try await body(client, store, directory) }
        await store.close()
    }

    @Test("The advisory page shows every section in the order a reader expects", arguments: Backend.allCases)
    func advisoryPageSectionsInOrder(backend: Backend) async throws {
        try await withApp(importing: [try Fixtures.cisaAdvisory], backend: backend) { client, _, _ in
            try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                let markers = [
                    "← Back to advisories", "ICSA-22-172-04", "Published <time datetime=\"2022-06-21T00:00:00Z\">2022-06-21 00:00 UTC",
                    "View on CISA ↗", "CVSS 9.8 CRITICAL", ">Risk Summary<", ">CVEs (1)<", "CWE-345", ">Remediations (7)<",
                    ">Affected Vendors<", ">Phoenix Contact</a>", ">Affected Products (3)<",
                    "<span class=\"product\">MULTIPROG</span>  <code class=\"range\">vers:all/*</code>", ">Affected Sectors<",
                    "Multiple Sectors", ">Revision history<", ">Acknowledgments<", ">References<",
                    "href=\"/advisories/ICSA-22-172-04.json\"", "href=\"/advisories/ICSA-22-172-04.json.sha512\"",
                    "href=\"/advisories/ICSA-22-172-04.json.asc\"",
                ]
                var position = html.startIndex
                for marker in markers {
                    let found = html.range(of: marker, range: position..<html.endIndex)
                    #expect(found != nil, "\(marker) missing or out of order")
                    if let found { position = found.upperBound }
                }
                #expect(html.contains("https://www.cisa.gov/news-events/ics-advisories/icsa-22-172-04"))
                #expect(html.contains("Get alerted to advisories like this"))
            }
        }
    }

    @Test("A verified advisory shows its verification badge with the signer's fingerprint; the API names the signer")
    func verificationBadge() async throws {
        // A provider folder as CISA publishes it: metadata pinning the key, the key, a signed document.
        let provider = try TemporaryFolder()
        defer { provider.remove() }
        try provider.copy("providers/cisa/provider-metadata.json", as: "cisa/provider-metadata.json")
        try provider.copy("providers/cisa/cisacsafsigning_public.asc", as: "cisa/cisacsafsigning_public.asc")
        try provider.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json", as: "cisa/2022/icsa-22-172-04.json")
        try await withApp(importing: [provider.path]) { client, _, _ in
            try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Integrity: <span class=\"integrity integrity-verified\">verified</span> <span class=\"signer\" title=\"OpenPGP key fingerprint of the signer\">signed by <code>144A ED0A 57BE 7D4A E835 D9D8 CAC5 AC4F 7416 4B17</code></span>"))
                #expect(html.contains("Signed by the key with fingerprint <code class=\"fingerprint\">144A ED0A 57BE 7D4A E835 D9D8 CAC5 AC4F 7416 4B17</code>."))
                #expect(html.contains("good RSA-4096 signature from 144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17 (CISA CSAF Signing &lt;central@cisa.gov&gt;)"))
            }
            try await client.execute(uri: "/api/v1/advisories/ICSA-22-172-04", method: .get) { response in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let integrity = try #require(object["integrity"] as? [String: Any])
                #expect(integrity["status"] as? String == "verified")
                #expect(integrity["signer"] as? String == "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17")
            }
        }
        // The same document imported on its own (no key known): hash-only, and no signer shown.
        try await withApp(importing: [try Fixtures.cisaAdvisory]) { client, _, _ in
            try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<span class=\"integrity integrity-hash-only\">hash-only</span>"))
                #expect(!html.contains("signed by"))
            }
        }
    }

    @Test("Raw CSAF is served as the exact stored bytes, with its sidecars", arguments: Backend.allCases)
    func rawDocumentAndSidecars(backend: Backend) async throws {
        let path = try Fixtures.cisaAdvisory
        try await withApp(importing: [path], backend: backend) { client, _, _ in
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            try await client.execute(uri: "/advisories/ICSA-22-172-04.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(Data(buffer: response.body) == original)
            }
            let sidecar = try String(contentsOfFile: path + ".sha512", encoding: .utf8)
            try await client.execute(uri: "/advisories/ICSA-22-172-04.json.sha512", method: .get) { response in
                #expect(String(buffer: response.body) == sidecar)
            }
            try await client.execute(uri: "/advisories/ICSA-22-172-04.json.asc", method: .get) { response in
                #expect(String(buffer: response.body).hasPrefix("-----BEGIN PGP SIGNATURE-----"))
            }
            try await client.execute(uri: "/advisories/ICSA-22-172-04.json.sha256", method: .get) { response in
                #expect(response.status == .notFound, "CISA publishes no .sha256 for this document")
            }
        }
    }

    @Test("Unknown pages get a friendly 404 page; unknown API resources a JSON error")
    func friendlyNotFound() async throws {
        try await withApp(importing: [try Fixtures.cisaAdvisory]) { client, _, _ in
            try await client.execute(uri: "/advisories/ICSA-00-000-00", method: .get) { response in
                #expect(response.status == .notFound)
                let html = String(buffer: response.body)
                #expect(html.contains("Page not found"))
                #expect(html.contains("No advisory with the ID &quot;ICSA-00-000-00&quot; is stored"))
                #expect(html.contains("Go to the latest advisories"))
            }
            try await client.execute(uri: "/no/such/page", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("There is nothing at this address."))
            }
            try await client.execute(uri: "/api/v1/advisories/ICSA-00-000-00", method: .get) { response in
                #expect(response.status == .notFound)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(object?["status"] as? Int == 404)
                let error = object?["error"] as? [String: Any]
                #expect(error?["code"] as? String == "not_found")
                #expect((error?["message"] as? String)?.contains("ICSA-00-000-00") == true)
            }
        }
    }

    @Test("Text from documents is HTML-escaped everywhere it appears")
    func escapesDocumentText() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("hostile.json")
        try Fixtures.craftedDocument(title: "Widget <script>alert('x')</script> & \"friends\"").write(to: file, atomically: true, encoding: .utf8)
        try await withApp(importing: [file.path]) { client, _, _ in
            for uri in ["/advisories/VIGIL-TEST-0001", "/", "/vendors", "/?q=widget"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let html = String(buffer: response.body)
                    #expect(response.status == .ok, "\(uri)")
                    #expect(!html.contains("<script>"), "\(uri) has an unescaped script tag")
                    #expect(!html.contains("<b>PLC</b>"), "\(uri) has unescaped markup from a product name")
                    #expect(!html.contains("<Industrial>"), "\(uri) has unescaped markup from a vendor name")
                }
            }
            try await client.execute(uri: "/advisories/VIGIL-TEST-0001", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Widget &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;")
                        || html.contains("Widget &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;friends&quot;"))
                #expect(html.contains("Risky &lt;script&gt;alert(1)&lt;/script&gt; text"))
            }
            try await client.execute(uri: "/feed.atom", method: .get) { response in
                let xml = String(buffer: response.body)
                #expect(!xml.contains("<script>"))
                #expect(xml.contains("&lt;script&gt;"))
            }
        }
    }

    @Test("The list filters by vendor, sector, severity, year, publisher and text, and pages", arguments: Backend.allCases)
    func listFilters(backend: Backend) async throws {
        let cisa = try Fixtures.data("providers/cisa/csaf_files/OT/white/2022")
        try await withApp(importing: [cisa], backend: backend) { client, store, _ in
            let all = try await store.search(AdvisoryQuery(perPage: 1))
            #expect(all.total > 300)
            try await client.execute(uri: "/", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("\(all.total.formatted()) advisories"))
                #expect(html.contains("rel=\"next\" href=\"/?page=2\""))
            }
            try await client.execute(uri: "/?q=ProConOS&severity=critical&year=2022&publisher=CISA&sector=Multiple%20Sectors", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("href=\"/advisories/ICSA-22-172-04\""))
                #expect(html.contains("<option value=\"critical\" selected>"))
                #expect(html.contains("href=\"/feed.atom?q=ProConOS&amp;sector=Multiple%20Sectors&amp;severity=critical&amp;year=2022&amp;publisher=CISA\""))
            }
            try await client.execute(uri: "/?severity=low&q=ProConOS", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(!html.contains("href=\"/advisories/ICSA-22-172-04\""))
                #expect(html.contains("No advisory matches these filters"))
            }
            try await client.execute(uri: "/vendors/phoenix-contact", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(html.contains("<h1>Phoenix Contact</h1>"))
                #expect(html.contains("href=\"/advisories/ICSA-22-172-04\""))
                #expect(!html.contains("href=\"/advisories/ICSA-22-172-01\""), "an advisory of another vendor is listed")
            }
            try await client.execute(uri: "/vendors", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("href=\"/vendors/phoenix-contact\""))
            }
            try await client.execute(uri: "/vendors/no-such-vendor", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("The JSON API lists with the same filters, returns one advisory, vendors, and rejects bad parameters", arguments: Backend.allCases)
    func jsonAPI(backend: Backend) async throws {
        try await withApp(importing: [try Fixtures.data("providers/cisa/csaf_files/OT/white/2022")], backend: backend) { client, _, _ in
            try await client.execute(uri: "/api/v1/advisories?vendor=phoenix-contact&per_page=100", method: .get) { response in
                #expect(response.status == .ok)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let items = try #require(object["items"] as? [[String: Any]])
                #expect(object["total"] as? Int == items.count)
                #expect(items.contains { $0["id"] as? String == "ICSA-22-172-04" })
                #expect(items.allSatisfy { ($0["vendors"] as? [String])?.contains("Phoenix Contact") == true })
            }
            try await client.execute(uri: "/api/v1/advisories/ICSA-22-172-04", method: .get) { response in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let advisory = try #require(object["advisory"] as? [String: Any])
                let score = try #require(advisory["highest_score"] as? [String: Any])
                #expect(score["score"] as? Double == 9.8)
                #expect(score["severity"] as? String == "critical")
                #expect((advisory["sectors"] as? [String]) == ["Multiple Sectors"])
                #expect((object["integrity"] as? [String: Any])?["status"] as? String == "hash-only")
            }
            try await client.execute(uri: "/api/v1/advisories?severity=extreme", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("severity must be one of"))
            }
            try await client.execute(uri: "/api/v1/vendors", method: .get) { response in
                let vendors = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                #expect(vendors.contains { $0["slug"] as? String == "phoenix-contact" && ($0["advisory_count"] as? Int ?? 0) >= 1 })
            }
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(object["openapi"] as? String == "3.1.0")
                let paths = try #require(object["paths"] as? [String: Any])
                #expect(Set(paths.keys) == ["/api/v1/advisories", "/api/v1/advisories/{id}", "/api/v1/advisories/{id}/changes", "/api/v1/vendors", "/api/v1/sources", "/api/v1/alerts", "/api/v1/alerts/{id}"])
            }
            // The sources, as /sources shows them: every field the OpenAPI document requires is there.
            try await client.execute(uri: "/api/v1/sources", method: .get) { response in
                #expect(response.status == .ok)
                let sources = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                for source in sources {
                    for key in ["slug", "name", "kind", "url", "enabled", "health", "poll_interval", "configured_interval", "consecutive_failures",
                                "documents_held", "documents_quarantined", "documents_failing", "mirrors", "credentials"] {
                        #expect(source[key] != nil, "\(key) missing in \(source)")
                    }
                    #expect(source["credentials_variable"] == nil, "the credentials variable's name is not published")
                }
            }
        }
    }

    @Test("The Atom feed is well-formed and honours the list filters", arguments: Backend.allCases)
    func atomFeed(backend: Backend) async throws {
        try await withApp(importing: [try Fixtures.data("providers/cisa/csaf_files/OT/white/2022")], backend: backend) { client, _, _ in
            try await client.execute(uri: "/feed.atom?vendor=phoenix-contact", method: .get) { response in
                #expect(response.headers[.contentType] == "application/atom+xml; charset=utf-8")
                let data = Data(buffer: response.body)
                let collector = AtomCollector()
                let parser = XMLParser(data: data)
                parser.delegate = collector
                #expect(parser.parse(), "the feed is not well-formed XML")
                #expect(!collector.entryTitles.isEmpty)
                #expect(collector.entryTitles.contains("[CRITICAL] ICSA-22-172-04: Phoenix Contact ProConOS and MULTIPROG"))
                #expect(collector.categories.count >= collector.entryTitles.count)
                #expect(collector.categories.allSatisfy { $0 == "Phoenix Contact" }, "an entry of another vendor is in the filtered feed")
            }
            try await client.execute(uri: "/feed.atom?year=1800", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("A cached page is rendered again when a newer revision arrives", arguments: Backend.allCases)
    func pageCacheFollowsNewRevisions(backend: Backend) async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("v1.json")
        try Fixtures.craftedDocument(title: "First title", version: "1").write(to: first, atomically: true, encoding: .utf8)
        try await withApp(importing: [first.path], backend: backend) { client, store, directory in
            try await client.execute(uri: "/advisories/VIGIL-TEST-0001", method: .get) { response in
                #expect(String(buffer: response.body).contains("First title"))
            }
            let second = directory.appendingPathComponent("v2.json")
            try Fixtures.craftedDocument(title: "Second title", version: "2", date: "2024-04-01T10:00:00Z")
                .write(to: second, atomically: true, encoding: .utf8)
            let summary = try await LocalImporter().run(paths: [second.path], into: store)
            #expect(summary.updated == 1)
            try await client.execute(uri: "/advisories/VIGIL-TEST-0001", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Second title"))
                #expect(!html.contains("First title"))
                #expect(html.contains("Stored documents"))
            }
        }
    }

    @Test("Responses forbid external resources, framing and MIME sniffing")
    func securityHeaders() async throws {
        try await withApp(importing: [try Fixtures.cisaAdvisory]) { client, _, _ in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
            try await client.execute(uri: "/static/vigil.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(".sev-critical"))
            }
        }
    }

    @Test("An empty installation says how to import a first folder")
    func firstRunPage() async throws {
        try await withApp(importing: []) { client, _, _ in
            try await client.execute(uri: "/", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("No advisories yet"))
                #expect(html.contains("vigil import"))
            }
        }
    }
}

final class AtomCollector: NSObject, XMLParserDelegate, @unchecked Sendable {
    var entryTitles: [String] = []
    var categories: [String] = []
    private var inEntry = false
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if name == "entry" { inEntry = true }
        if name == "category", let term = attributes["term"] { categories.append(term) }
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title", inEntry { entryTitles.append(text) }
        if name == "entry" { inEntry = false }
    }
}

@Suite("Page cache freshness")
struct GenerationClockTests {
    @Test("Within the freshness interval the store is not asked again; with zero it always is")
    func freshnessInterval() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("v1.json")
        try Fixtures.craftedDocument(title: "First", version: "1").write(to: first, atomically: true, encoding: .utf8)
        let (store, storeDirectory) = try await Fixtures.store(importing: [first.path])
        defer { try? FileManager.default.removeItem(at: storeDirectory) }
        let hourly = GenerationClock(store: store, freshness: .seconds(3600))
        let always = GenerationClock(store: store, freshness: .zero)
        let before = try await hourly.current()
        #expect(try await always.current() == before)

        let second = directory.appendingPathComponent("v2.json")
        try Fixtures.craftedDocument(title: "Second", version: "2", date: "2024-04-01T10:00:00Z").write(to: second, atomically: true, encoding: .utf8)
        _ = try await LocalImporter().run(paths: [second.path], into: store)
        #expect(try await hourly.current() == before, "an hour-fresh clock asked the store again")
        #expect(try await always.current() > before, "a zero-freshness clock missed the change")
    }
}

@Suite("HEAD requests")
struct HeadRequestTests {
    @Test("HEAD answers like GET, without a body")
    func headLikeGet() async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            let get = try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get)
            try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentLength] == String(get.body.readableBytes))
            }
            try await client.execute(uri: "/advisories/NOPE-1", method: .head) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}

@Suite("Advisory page details")
struct AdvisoryPageDetailTests {
    @Test("A CVE without its own score, title or summary shows none, not the advisory's")
    func unscoredCVEDoesNotBorrowAdvisoryValues() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("two-cves.json")
        let text = Fixtures.craftedDocument(title: "Advisory title only here")
            .replacingOccurrences(of: #""vulnerabilities":[{"cve":"CVE-2024-0001","#,
                                  with: #""vulnerabilities":[{"cve":"CVE-2024-0002","product_status":{"known_affected":["P1"]}},{"cve":"CVE-2024-0001","#)
        #expect(text.contains("CVE-2024-0002"))
        try text.write(to: file, atomically: true, encoding: .utf8)
        let (store, storeDirectory) = try await Fixtures.store(importing: [file.path])
        defer { try? FileManager.default.removeItem(at: storeDirectory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            try await client.execute(uri: "/advisories/VIGIL-TEST-0001", method: .get) { response in
                let html = String(buffer: response.body)
                let start = try #require(html.range(of: "id=\"CVE-2024-0002\""))
                let end = try #require(html.range(of: "id=\"CVE-2024-0001\""))
                let block = String(html[start.upperBound..<end.lowerBound])
                #expect(block.contains("NOT SCORED"))
                #expect(!block.contains("9.1"), "the unscored CVE shows the advisory's score")
                #expect(!block.contains("Advisory title only here"), "the CVE shows the advisory's title")
                #expect(!block.contains("CVSS:3.1/"), "the unscored CVE shows the advisory's vector")
                #expect(html.contains("CVSS 9.1 CRITICAL"))
            }
        }
    }
}
