import CSAF
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Alerts
@testable import Web

/// What a hostile document or request could make Vigil send: links with schemes that run code, feed links that point
/// at a host the client named, and pages with secrets that caches keep.
@Suite("Hostile content and caching")
struct HostileContentTests {
    /// URLs no page or email may turn into a link.
    static let hostileURLs = ["javascript:alert(1)", "JavaScript:alert(2)", "data:text/html,<script>alert(3)</script>",
                              "vbscript:msgbox(4)", " javascript:alert(5)", "java\tscript:alert(6)"]

    /// A valid document whose references, acknowledgments and remediation carry hostile and harmless URLs.
    static func documentWithLinks() -> String {
        var references = [#"{"category":"self","summary":"Self page","url":"javascript:alert(0)"}"#]
        for (index, url) in hostileURLs.enumerated() {
            references.append(#"{"category":"external","summary":"Hostile \#(index)","url":\#(Fixtures.json(url))}"#)
        }
        references.append(#"{"category":"external","summary":"Vendor page","url":"https://acme.example/good"}"#)
        references.append(#"{"category":"external","summary":"Write to PSIRT","url":"mailto:psirt@acme.example"}"#)
        var json = Fixtures.craftedDocument(title: "Widget links")
        json = json.replacingOccurrences(of: #""references":[{"category":"self","summary":"Web page","url":"https://acme.example/advisories/VIGIL-TEST-0001"}],"#,
                                         with: #""references":[\#(references.joined(separator: ","))],"acknowledgments":[{"names":["Eve"],"urls":["javascript:alert(7)","https://eve.example/"]}],"#)
        json = json.replacingOccurrences(of: #""details":"Update to V2.14.1 <now>","#, with: #""details":"Update to V2.14.1 <now>","url":"vbscript:msgbox(8)","#)
        return json
    }

    static func hrefs(_ html: String) -> [String] {
        html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    @Test("a quote or < followed by a combining mark is escaped like any other, on pages and in emails")
    func combiningMarks() async throws {
        // One Character each (`"` + U+0301, `<` + U+0338), equal to neither `"` nor `<`: an escaper that went by
        // Characters left them raw, and a browser still reads the quote as the end of an attribute value.
        let hostile = "Widget\"\u{301} autofocus onfocus=alert(1) x=\"\u{301} <\u{338}img src=x>"
        #expect(MarkupEscaping.html(hostile) == "Widget&quot;\u{301} autofocus onfocus=alert(1) x=&quot;\u{301} &lt;\u{338}img src=x&gt;")
        #expect(MarkupEscaping.html("plain text, é and 😀") == "plain text, é and 😀")
        #expect(MarkupEscaping.html("&<>\"'") == "&amp;&lt;&gt;&quot;&#39;")

        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("marks.json")
        try Fixtures.craftedDocument(title: hostile, product: hostile).write(to: file, atomically: true, encoding: .utf8)
        let (store, storeDirectory) = try await Fixtures.store(importing: [file.path])
        defer { try? FileManager.default.removeItem(at: storeDirectory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            for uri in ["/advisories/VIGIL-TEST-0001", "/", "/?q=widget", "/vendors/acme-sons-industrial"] {
                let response = try await client.executeRequest(uri: uri, method: .get, headers: [:], body: nil)
                #expect(response.status == .ok, "\(uri)")
                let html = String(buffer: response.body)
                #expect(html.contains("Widget&quot;\u{301} autofocus"), "\(uri) shows the title, escaped")
                #expect(!html.unicodeScalars.split(separator: "\u{301}").dropLast().contains { $0.last == "\"" }, "\(uri): a raw quote before U+0301")
                #expect(!html.unicodeScalars.split(separator: "\u{338}").dropLast().contains { $0.last == "<" }, "\(uri): a raw < before U+0338")
            }
        }
    }

    @Test("the advisory page links a document's URLs only for http, https and mailto; other schemes are text")
    func documentLinksOnThePage() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("links.json")
        try Self.documentWithLinks().write(to: file, atomically: true, encoding: .utf8)
        let (store, storeDirectory) = try await Fixtures.store(importing: [file.path])
        defer { try? FileManager.default.removeItem(at: storeDirectory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            let response = try await client.executeRequest(uri: "/advisories/VIGIL-TEST-0001", method: .get, headers: [:], body: nil)
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            let links = Self.hrefs(html)
            let unsafe = links.filter { link in
                let lower = link.lowercased().trimmingCharacters(in: .whitespaces)
                return !(lower.hasPrefix("/") || lower.hasPrefix("#") || lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:"))
            }
            #expect(unsafe.isEmpty, "links with other schemes: \(unsafe)")
            #expect(links.contains("https://acme.example/good"))
            #expect(links.contains("mailto:psirt@acme.example"))
            #expect(links.contains("https://eve.example/"))
            // Shown as text instead, escaped.
            #expect(html.contains("<code>javascript:alert(1)</code>"))
            #expect(html.contains("<code>data:text/html,&lt;script&gt;alert(3)&lt;/script&gt;</code>"))
            #expect(html.contains("<code>javascript:alert(7)</code>"))
            #expect(html.contains("<code>vbscript:msgbox(8)</code>"))
            #expect(html.contains("<code>javascript:alert(0)</code>"), "the document's own page, not linked, is still named")
            #expect(!html.contains("target=\"_blank\""), "no 'View on' link for a javascript: self reference")
        }
        await store.close()
    }

    @Test("alert emails link a document's URLs only for http, https and mailto; other schemes are text")
    func documentLinksInEmail() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        var advisory = try #require(try await fixture.store.advisory(id: "ICSA-22-172-04")).advisory
        advisory.sourceURL = "javascript:alert(1)"
        let template = try #require(advisory.remediations.first)
        advisory.remediations = (Self.hostileURLs + ["https://acme.example/fix", "mailto:psirt@acme.example"]).map {
            AdvisoryRemediation(category: template.category, details: "fix", url: $0, date: nil, productIDs: template.productIDs,
                                products: template.products, cves: template.cves)
        }
        advisory.remediations = Array(advisory.remediations.prefix(10))
        let html = AlertMessageComposer(baseURL: "https://vigil.example.org")
            .alertHTML(AlertNotice(alert: fixture.plantAlert, advisory: advisory, exposures: []))
        let links = Self.hrefs(html)
        #expect(links.allSatisfy { $0.hasPrefix("https://") || $0.hasPrefix("mailto:") }, "\(links)")
        #expect(links.contains("https://acme.example/fix"))
        #expect(links.contains("mailto:psirt@acme.example"))
        #expect(html.contains("<code>javascript:alert(1)</code>"))
        #expect(html.contains("<code>vbscript:msgbox(4)</code>"))
    }

    @Test("the Atom feed's links start with the configured base URL, whatever Host the client sends")
    func feedLinksFromBaseURL() async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = AccountSettings(baseURL: "https://vigil.example.org/", passwordHasher: PasswordHasher(cost: 4))
        let app = Application(router: try await buildRouter(store: store, accounts: settings))
        try await app.test(.router) { client in
            let response = try await client.executeRequest(uri: "/feed.atom", method: .get, headers: [HTTPField.Name("Host")!: "evil.example"], body: nil)
            let xml = String(buffer: response.body)
            #expect(response.status == .ok)
            let links = xml.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            #expect(!links.isEmpty)
            #expect(links.allSatisfy { $0.hasPrefix("https://vigil.example.org/") }, "\(links)")
            #expect(xml.contains("<link rel=\"alternate\" type=\"text/html\" href=\"https://vigil.example.org/advisories/ICSA-22-172-04\"/>"))
            #expect(!xml.contains("evil.example"))
        }
        await store.close()
    }

    @Test("signed-in pages, the new API token and set-password pages are no-store; public pages signed out are not")
    func noStore() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            #expect(try await browser.get("/").headers[.cacheControl] != "no-store")
            #expect(try await browser.get("/advisories/ICSA-22-172-04").headers[.cacheControl] != "no-store")
            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            for path in ["/", "/account", "/alerts", "/assets", "/exposures", "/advisories/ICSA-22-172-04", "/alerts/999999"] {
                #expect(try await browser.get(path).headers[.cacheControl] == "no-store", "\(path)")
            }
            let created = try await browser.post("/account/tokens", [("name", "siem")], csrf: TestBrowser.csrf(in: try await browser.get("/account")))
            #expect(String(buffer: created.body).contains("<code class=\"token\">"))
            #expect(created.headers[.cacheControl] == "no-store")
            let user = try #require(try await fixture.store.user(email: "bob@utility.example"))
            let token = try await MemberDirectory(store: fixture.store).issueToken(.passwordReset, userID: user.id)
            let stranger = TestBrowser(client)
            let page = try await stranger.get("/password/" + token)
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(try await stranger.get("/password/" + String(repeating: "0", count: 64)).headers[.cacheControl] == "no-store")
            // API answers to a token are private too.
            let html = String(buffer: created.body)
            let start = try #require(html.range(of: "<code class=\"token\">"))
            let api = try await client.executeRequest(uri: "/api/v1/alerts", method: .get,
                                                      headers: [.authorization: "Bearer " + String(html[start.upperBound...].prefix(44))], body: nil)
            #expect(api.status == .ok)
            #expect(api.headers[.cacheControl] == "no-store")
        }
    }

    @Test("Strict-Transport-Security is sent when the base URL is https, and not over plain HTTP")
    func strictTransportSecurity() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let hsts = HTTPField.Name("Strict-Transport-Security")!
        let secure = Application(router: try await fixture.router(AccountSettings(baseURL: "https://vigil.example.org", passwordHasher: PasswordHasher(cost: 4))))
        try await secure.test(.router) { client in
            for path in ["/", "/login", "/no-such-page"] {
                let response = try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
                #expect(response.headers[hsts] == "max-age=31536000", "\(path)")
            }
        }
        let plain = Application(router: try await fixture.router())
        try await plain.test(.router) { client in
            let response = try await client.executeRequest(uri: "/", method: .get, headers: [:], body: nil)
            #expect(response.headers[hsts] == nil)
        }
    }
}
