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

/// `/settings/sources` over a real SQLite store and a real provider on loopback (CISA's folder from ../shared, three
/// of its documents listed): only instance administrators; discovery shown before anything is saved; adding, a sync
/// now that stores the provider's advisories, enabling, disabling and removing.
@Suite("Sources administration", .serialized)
struct SourcesAdminTests {
    static let listed: Set<String> = ["csaf_files/OT/white/2024/icsa-24-004-01.json", "csaf_files/OT/white/2023/icsa-23-208-03.json",
                                      "csaf_files/OT/white/2024/icsa-24-284-16.json"]

    /// The fixture's router with the real administration of `Sources`, over a policy that lets loopback through fast.
    static func router(_ fixture: AccountPagesTests.TwoOrganisations) async throws -> Router<VigilRequestContext> {
        var policy = FetchPolicy()
        policy.perHostRequestsPerSecond = nil
        return try await buildRouter(store: fixture.store, cacheFreshness: .zero, sourcesWithoutFeed: [], organisation: nil,
                                     accounts: AccountFixtures.settings, limits: ServerLimits(), pageCache: PageCache(byteLimit: 1 << 20),
                                     sourceAdministration: SourceAdministrator(store: fixture.store, policy: policy))
    }

    @Test("the first user administers the installation; another user, even an organisation's admin, gets 403, and nothing changes")
    func onlyInstanceAdministrators() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try await AccountFixtures.member("uma@utility.example", of: fixture.utility, role: .admin, store: fixture.store)
        try await fixture.store.saveSource(SourceRecord(slug: "example", name: "Example", url: "https://example.com/.well-known/csaf/provider-metadata.json"))
        #expect(try await fixture.store.user(email: "alice@plant.example")?.instanceAdmin == true, "the first user created")
        #expect(try await fixture.store.user(email: "uma@utility.example")?.instanceAdmin == false)
        let app = Application(router: try await Self.router(fixture))
        try await app.test(.router) { client in
            let signedOut = try await TestBrowser(client).get("/settings/sources")
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/login?next=%2Fsettings%2Fsources")
            for email in ["uma@utility.example", "bob@utility.example"] {
                let browser = TestBrowser(client)
                try await browser.signIn(email, AccountFixtures.password)
                #expect(try await browser.get("/settings/sources").status == .forbidden, "\(email)")
                #expect(!String(buffer: try await browser.get("/sources").body).contains("Manage sources"), "\(email)")
                let csrf = TestBrowser.csrf(in: try await browser.get("/account"))
                for action in ["disable", "remove", "sync", "check"] {
                    #expect(try await browser.post("/settings/sources/example/\(action)", [], csrf: csrf).status == .forbidden, "\(email) \(action)")
                }
                #expect(try await browser.post("/settings/sources/lookup", [("target", "example.com")], csrf: csrf).status == .forbidden)
            }
            #expect(try await fixture.store.source(slug: "example")?.enabled == true)

            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            #expect(String(buffer: try await alice.get("/sources").body).contains("<a href=\"/settings/sources\">Manage sources</a>"))
            #expect(String(buffer: try await alice.get("/account").body).contains("You administer this installation"))
            let page = try await alice.get("/settings/sources")
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("Example <small>(example, provider)</small>"))
        }
        // Made an instance administrator from the command line's store call.
        let uma = try #require(try await fixture.store.user(email: "uma@utility.example"))
        #expect(try await fixture.store.setInstanceAdmin(userID: uma.id, true))
        #expect(try await fixture.store.user(id: uma.id)?.instanceAdmin == true)
    }

    @Test("a loopback provider is looked up (nothing saved), followed, synced now with the outcome, and its advisories are on the home page")
    func addSyncToggleRemove() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let mirror = try ProviderMirror.cisa()
        mirror.only(Self.listed)
        let app = Application(router: try await Self.router(fixture))
        try await mirror.serve { mirror in
            try await app.test(.router) { client in
                let alice = TestBrowser(client)
                try await alice.signIn("alice@plant.example", AccountFixtures.password)
                let csrf = try #require(TestBrowser.csrf(in: try await alice.get("/settings/sources")))

                let nowhere = try await alice.post("/settings/sources/lookup", [("target", "http://127.0.0.1:9/provider-metadata.json")], csrf: csrf)
                #expect(nowhere.status == .badRequest)
                #expect(String(buffer: nowhere.body).contains("id=\"add-error\""))

                let found = try await alice.post("/settings/sources/lookup", [("target", mirror.metadataURL)], csrf: csrf)
                #expect(found.status == .ok)
                let html = String(buffer: found.body)
                #expect(html.contains("Found: CISA"), "\(html)")
                #expect(html.contains("A CSAF provider at <code>\(mirror.metadataURL)</code>"))
                #expect(try await fixture.store.sources().isEmpty, "looking up saves nothing")

                let added = try await alice.post("/settings/sources/add", [("target", mirror.metadataURL)], csrf: csrf)
                #expect(String(buffer: added.body).contains("CISA is added as cisa and is polled from now on"))
                let source = try #require(try await fixture.store.source(slug: "cisa"))
                #expect(source.url == mirror.metadataURL && source.enabled)
                let again = try await alice.post("/settings/sources/add", [("target", mirror.metadataURL)], csrf: csrf)
                #expect(String(buffer: again.body).contains("CISA is followed already: nothing was added."))

                let synced = try await alice.post("/settings/sources/cisa/sync", [], csrf: csrf)
                let outcome = String(buffer: synced.body)
                #expect(outcome.contains("id=\"sync-outcome\">CISA: 3 listed in"), "\(outcome)")
                #expect(outcome.contains("3 new"))
                #expect(try await fixture.store.advisory(id: "ICSA-24-004-01") != nil)
                #expect(String(buffer: try await alice.get("/").body).contains("ICSA-24-004-01"))
                #expect(try await fixture.store.source(slug: "cisa")?.documentsHeld == 3)

                // Checked against CSAF 2.0 §7: the mirror serves neither the well-known URL nor a security.txt.
                let checked = String(buffer: try await alice.post("/settings/sources/cisa/check", [], csrf: csrf).body)
                #expect(checked.contains("id=\"sync-outcome\">CISA: meets publisher (claims trusted provider); 2 of 11 applicable requirements failed: 8, 9."), "\(checked)")
                #expect(checked.contains("<small>CSAF §7: meets publisher (claims trusted provider); 2 of 11 applicable requirements failed: 8, 9 (checked "))
                let quality = try #require(try await fixture.store.source(slug: "cisa")?.quality)
                #expect(quality.role == "csaf_publisher")
                let sourcesPage = String(buffer: try await alice.get("/sources").body)
                #expect(sourcesPage.contains("CSAF §7 quality: meets publisher (claims trusted provider); 2 of 11 applicable requirements failed: 8, 9 (checked "))
                #expect(sourcesPage.contains("<li>9 Well-known URL for provider-metadata.json: \(mirror.base).well-known/csaf/provider-metadata.json answered HTTP 404 Not Found"), "\(sourcesPage)")
                #expect(sourcesPage.contains("<code>vigil check-provider \(mirror.metadataURL)</code> gives every problem."))
                let api = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try await alice.get("/api/v1/sources").body)) as? [[String: Any]])
                let listed = try #require(api.first { $0["slug"] as? String == "cisa" }?["quality"] as? [String: Any])
                #expect(listed["role"] as? String == "csaf_publisher")
                let report = try #require(listed["report"] as? [String: Any])
                #expect((report["requirements"] as? [[String: Any]])?.count == 23)
                #expect((report["requirements"] as? [[String: Any]])?[8]["verdict"] as? String == "failed")

                #expect(try await alice.post("/settings/sources/cisa/disable", [], csrf: csrf).headers[.location] == "/settings/sources?done=disabled")
                #expect(try await fixture.store.source(slug: "cisa")?.enabled == false)
                _ = try await alice.post("/settings/sources/cisa/enable", [], csrf: csrf)
                #expect(try await fixture.store.source(slug: "cisa")?.enabled == true)
                #expect(try await alice.post("/settings/sources/nope/sync", [], csrf: csrf).status == .notFound)
                #expect(try await alice.post("/settings/sources/cisa/remove", [], csrf: csrf).headers[.location] == "/settings/sources?done=removed")
                #expect(try await fixture.store.source(slug: "cisa") == nil)
                #expect(try await fixture.store.advisory(id: "ICSA-24-004-01") != nil, "its documents stay")
            }
        }
    }
}

extension ProviderMirror {
    /// Runs `body` with the mirror listening on a free loopback port (HummingbirdTesting's live server).
    func serve(_ body: @Sendable (ProviderMirror) async throws -> Void) async throws {
        let router = Router()
        router.get("**") { request, _ in try await self.respond(request) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            port.withLock { $0 = client.port ?? 0 }
            try await body(self)
        }
    }
}
