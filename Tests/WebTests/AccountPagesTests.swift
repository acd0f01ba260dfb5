import Foundation
import Hummingbird
import HummingbirdTesting
import Matching
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Sign-in, sessions, CSRF, the login rate limit and organisation isolation, over a real SQLite store.
@Suite("Accounts")
struct AccountPagesTests {
    /// A store with the CISA fixture, organisations A and B with assets and an alert each, and a member of each.
    struct TwoOrganisations {
        let store: SQLiteStore
        let directory: URL
        let plant: Organisation
        let utility: Organisation
        let plantAlert: StoredAlert
        let utilityAlert: StoredAlert

        static func make() async throws -> TwoOrganisations {
            let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
            let plant = try #require(try await store.organisation(named: "Plant A", create: true))
            let utility = try #require(try await store.organisation(named: "Utility B", create: true))
            _ = try await store.importAssets([
                AssetDraft(externalID: "ENG-1", vendor: "Phoenix Contact", product: "MULTIPROG", version: "5.51", site: "Hall A1"),
            ], organisationID: plant.id, replace: false)
            _ = try await store.importAssets([
                AssetDraft(externalID: "ENG-B", vendor: "Phoenix Contact", product: "MULTIPROG", version: "5.0", site: "Secret Site B"),
            ], organisationID: utility.id, replace: false)
            #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                      idempotencyKey: "a|1", changes: ["new advisory"],
                                                      matches: [AlertMatch(watchID: 1, watch: "vendor Phoenix Contact", reason: "names Phoenix Contact")])))
            #expect(try await store.createAlert(.init(organisationID: utility.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                      idempotencyKey: "b|1", changes: ["new advisory"],
                                                      matches: [AlertMatch(watchID: 2, watch: "watch of Utility B", reason: "secret reason B")])))
            let plantAlert = try #require(try await store.alerts(organisationID: plant.id, limit: 5).first)
            let utilityAlert = try #require(try await store.alerts(organisationID: utility.id, limit: 5).first)
            try await AccountFixtures.member("alice@plant.example", of: plant, role: .admin, store: store)
            try await AccountFixtures.member("bob@utility.example", of: utility, role: .member, store: store)
            return TwoOrganisations(store: store, directory: directory, plant: plant, utility: utility,
                                    plantAlert: plantAlert, utilityAlert: utilityAlert)
        }

        func router(_ settings: AccountSettings = AccountFixtures.settings) async throws -> Router<VigilRequestContext> {
            // --org names Utility B: once users exist it must not matter.
            try await buildRouter(store: store, organisation: "Utility B", accounts: settings)
        }
    }

    @Test("signing in sets an HttpOnly, SameSite=Lax session cookie; signing out ends the session")
    func signInAndOut() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            let signedOut = try await browser.get("/alerts")
            #expect(signedOut.status == .seeOther)
            #expect(signedOut.headers[.location] == "/login?next=%2Falerts")

            let wrong = try await browser.signIn("alice@plant.example", "not the password at all")
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("That email and password do not match an account"))
            #expect(browser.cookies[CookieName.session] == nil)

            let signedIn = try await browser.signIn("ALICE@plant.example", AccountFixtures.password, next: "/alerts")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/alerts")
            let cookie = try #require(browser.lastSetCookies.first { $0.hasPrefix("vigil_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Path=/"))
            #expect(cookie.contains("Max-Age=604800"))
            #expect(!cookie.contains("Secure"), "a plain-HTTP base URL must not get Secure cookies (the browser would drop them)")
            let token = try #require(browser.cookies[CookieName.session])
            // Only the SHA-256 of the session token is stored.
            #expect(try await fixture.store.session(tokenHash: token, now: Date(), idleTimeout: 3600) == nil)
            #expect(try await fixture.store.session(tokenHash: AccountTokens.hash(token), now: Date(), idleTimeout: 3600) != nil)

            let alerts = try await browser.get("/alerts")
            #expect(alerts.status == .ok)
            #expect(String(buffer: alerts.body).contains("href=\"/alerts/\(fixture.plantAlert.id)\""))
            let account = try await browser.get("/account")
            #expect(String(buffer: account.body).contains("alice@plant.example"))

            let out = try await browser.post("/logout", [], csrf: TestBrowser.csrf(in: account))
            #expect(out.status == .seeOther)
            #expect(browser.cookies[CookieName.session] == nil)
            #expect(try await fixture.store.session(tokenHash: AccountTokens.hash(token), now: Date(), idleTimeout: 3600) == nil)
            // The old cookie, replayed, no longer signs anyone in.
            let replay = try await client.executeRequest(uri: "/alerts", method: .get, headers: [.cookie: "vigil_session=\(token)"], body: nil)
            #expect(replay.status == .seeOther)
        }
    }

    @Test("the session cookie is Secure when the server is reached over HTTPS")
    func secureCookieOverHTTPS() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router(AccountSettings(baseURL: "https://vigil.example.org", passwordHasher: PasswordHasher(cost: 4))))
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            let response = try await browser.signIn("alice@plant.example", AccountFixtures.password)
            #expect(response.status == .seeOther)
            let cookie = try #require(browser.lastSetCookies.first { $0.hasPrefix("vigil_session=") })
            #expect(cookie.contains("Secure"))
            #expect(cookie.contains("HttpOnly"))
        }
    }

    @Test("after 5 failed sign-ins for an email, the next attempt is refused with 429 even with the right password")
    func loginRateLimit() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            for attempt in 1...5 {
                let response = try await browser.signIn("alice@plant.example", "wrong password \(attempt)")
                #expect(response.status == .unauthorized)
            }
            let blocked = try await browser.signIn("alice@plant.example", AccountFixtures.password)
            #expect(blocked.status == .tooManyRequests)
            #expect(String(buffer: blocked.body).contains("Too many failed sign-ins. Wait 15 minutes"))
            #expect(browser.cookies[CookieName.session] == nil)
            // Another account is not locked by failures against this one.
            #expect(try await browser.signIn("bob@utility.example", AccountFixtures.password).status == .seeOther)
        }
    }

    @Test("a form post without the session's CSRF token, or with a wrong one, is refused with 403")
    func csrfIsChecked() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            // Before sign-in: the login form's double-submit token is required too.
            let noToken = try await browser.post("/login", [("email", "alice@plant.example"), ("password", AccountFixtures.password)], csrf: nil)
            #expect(noToken.status == .forbidden)
            #expect(String(buffer: noToken.body).contains("reload the page and submit it again"))
            #expect(browser.cookies[CookieName.session] == nil)

            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            let account = try await browser.get("/account")
            let token = try #require(TestBrowser.csrf(in: account))
            let missing = try await browser.post("/account/delivery", [("delivery", "weekly")], csrf: nil)
            #expect(missing.status == .forbidden)
            let wrong = try await browser.post("/account/delivery", [("delivery", "weekly")], csrf: String(token.reversed()))
            #expect(wrong.status == .forbidden)
            let other = try await browser.post("/logout", [], csrf: AccountTokens.random())
            #expect(other.status == .forbidden)
            #expect(try await fixture.store.membership(userID: try #require(try await fixture.store.user(email: "alice@plant.example")).id,
                                                       organisationID: fixture.plant.id)?.delivery == .immediate)
            #expect(try await browser.get("/account").status == .ok, "a refused post must not end the session")
            let right = try await browser.post("/account/delivery", [("delivery", "weekly")], csrf: token)
            #expect(right.status == .seeOther)
        }
    }

    @Test("passwords are stored as bcrypt hashes, never as the password")
    func passwordsAreBcryptHashes() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let user = try #require(try await fixture.store.user(email: "alice@plant.example"))
        let hash = try #require(user.passwordHash)
        #expect(["$2b$", "$2a$", "$2y$"].contains(String(hash.prefix(4))))
        #expect(!hash.contains(AccountFixtures.password))
        #expect(await PasswordHasher(cost: 4).verify(AccountFixtures.password, hash: hash))
        #expect(!(await PasswordHasher(cost: 4).verify("correct horse battery!", hash: hash)))
        #expect(PasswordHasher().cost == 12, "the default cost is 12; only an explicit setting lowers it")
        #expect(PasswordHasher.problem(with: "short pass") != nil)
        #expect(PasswordHasher.problem(with: "twelve chars") == nil)
    }

    @Test("a member of A sees only A: B's alert is not found and B's assets, exposures and alerts never show")
    func tenantIsolation() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            let own = try await alice.get("/alerts/\(fixture.plantAlert.id)")
            #expect(own.status == .ok)
            let foreign = try await alice.get("/alerts/\(fixture.utilityAlert.id)")
            #expect(foreign.status == .notFound)
            #expect(!String(buffer: foreign.body).contains("secret reason B"))
            for path in ["/assets", "/exposures", "/exposures.csv", "/alerts", "/alerts.csv", "/advisories/ICSA-22-172-04"] {
                let response = try await alice.get(path)
                #expect(response.status == .ok, "\(path)")
                let body = String(buffer: response.body)
                #expect(!body.contains("Secret Site B"), "\(path) shows Utility B's asset")
                #expect(!body.contains("Utility B"), "\(path) names Utility B")
                #expect(!body.contains("secret reason B"), "\(path) shows Utility B's alert")
            }
            #expect(String(buffer: try await alice.get("/assets").body).contains("Hall A1"))
            #expect(String(buffer: try await alice.get("/exposures.csv").body).contains("Hall A1"))
            #expect(String(buffer: try await alice.get("/advisories/ICSA-22-172-04").body).contains("Your affected assets (Plant A)"))

            // Pages are cached per organisation: Bob, right after Alice, gets Utility B's rendering, not hers.
            let bob = TestBrowser(client)
            try await bob.signIn("bob@utility.example", AccountFixtures.password)
            for path in ["/assets", "/exposures", "/advisories/ICSA-22-172-04"] {
                let body = String(buffer: try await bob.get(path).body)
                #expect(!body.contains("Hall A1"), "\(path) served Plant A's cached page to Utility B")
                #expect(body.contains("Secret Site B") || path != "/assets", "\(path)")
            }
            #expect(try await bob.get("/alerts/\(fixture.plantAlert.id)").status == .notFound)

            // Watchlists: Alice neither sees nor removes Utility B's watch, even knowing its number.
            let secretWatch = try await fixture.store.addWatch(.init(kind: "keyword", value: "secret keyword B"), organisationID: fixture.utility.id)
            #expect(!String(buffer: try await alice.get("/watches").body).contains("secret keyword B"))
            let csrf = TestBrowser.csrf(in: try await alice.get("/account"))
            #expect(try await alice.post("/watches/\(secretWatch.id)/remove", [], csrf: csrf).status == .notFound)
            #expect(try await fixture.store.watches(organisationID: fixture.utility.id).map(\.id) == [secretWatch.id])
            #expect(String(buffer: try await bob.get("/watches").body).contains("secret keyword B"))
        }
    }

    @Test("signed out, organisation pages redirect to sign-in once users exist; public pages stay public")
    func signedOutAccess() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            for path in ["/alerts", "/alerts.csv", "/alerts/\(fixture.plantAlert.id)", "/exposures", "/exposures.csv", "/assets", "/account"] {
                let response = try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers[.location]?.hasPrefix("/login?next=") == true, "\(path)")
            }
            for path in ["/", "/vendors", "/sources", "/feed.atom", "/api/v1/advisories", "/login"] {
                let response = try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
                #expect(response.status == .ok, "\(path)")
            }
            let advisory = try await client.executeRequest(uri: "/advisories/ICSA-22-172-04", method: .get, headers: [:], body: nil)
            #expect(advisory.status == .ok)
            let html = String(buffer: advisory.body)
            #expect(!html.contains("Secret Site B"), "--org must not apply once users exist")
            #expect(!html.contains("Your affected assets"))
            // The sign-in page never sends people elsewhere after signing in.
            let browser = TestBrowser(client)
            let offsite = try await browser.signIn("alice@plant.example", AccountFixtures.password, next: "//evil.example/")
            #expect(offsite.headers[.location] == "/")
        }
    }

    @Test("a one-time link sets the first password once; a short password is refused")
    func invitationLinkSetsPassword() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let directory = MemberDirectory(store: fixture.store)
        let added = try await directory.addMember(email: "carol@plant.example", displayName: "Carol <C>", organisation: fixture.plant,
                                                  role: .viewer, passwordHash: nil)
        let token = try await directory.issueToken(.invitation, userID: added.user.id)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            // No password yet: signing in fails like any wrong password.
            #expect(try await browser.signIn("carol@plant.example", "anything at all here").status == .unauthorized)
            let page = try await browser.get("/password/\(token)")
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("carol@plant.example"))
            let csrf = TestBrowser.csrf(in: page)
            let short = try await browser.post("/password/\(token)", [("password", "too short"), ("confirm", "too short")], csrf: csrf)
            #expect(short.status == .badRequest)
            #expect(String(buffer: short.body).contains("at least 12 characters"))
            let done = try await browser.post("/password/\(token)", [("password", "a long enough passphrase"), ("confirm", "a long enough passphrase")], csrf: csrf)
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/login?done=password")
            #expect(try await browser.get("/password/\(token)").status == .notFound, "the link works once")
            #expect(try await browser.signIn("carol@plant.example", "a long enough passphrase").status == .seeOther)
        }
    }
}

extension AccountPagesTests {
    @Test("a user in two organisations switches between them, and never into one they do not belong to")
    func switchingOrganisations() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try await AccountFixtures.member("analyst@mssp.example", of: fixture.plant, role: .viewer, store: fixture.store)
        try await AccountFixtures.member("analyst@mssp.example", of: fixture.utility, role: .member, store: fixture.store)
        let third = try #require(try await fixture.store.organisation(named: "Other C", create: true))
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            try await browser.signIn("analyst@mssp.example", AccountFixtures.password)
            #expect(String(buffer: try await browser.get("/assets").body).contains("Hall A1"))
            let account = try await browser.get("/account")
            #expect(String(buffer: account.body).contains("Work in Utility B (member)"))
            let csrf = TestBrowser.csrf(in: account)
            #expect(try await browser.post("/account/organisation", [("organisation", String(third.id))], csrf: csrf).status == .notFound)
            #expect(try await browser.post("/account/organisation", [("organisation", String(fixture.utility.id))], csrf: csrf).status == .seeOther)
            let assets = String(buffer: try await browser.get("/assets").body)
            #expect(assets.contains("Secret Site B"))
            #expect(!assets.contains("Hall A1"))
            #expect(try await browser.get("/alerts/\(fixture.utilityAlert.id)").status == .ok)
            #expect(try await browser.get("/alerts/\(fixture.plantAlert.id)").status == .notFound)
        }
    }
}

extension AccountPagesTests {
    @Test("over a real connection, 5 failed sign-ins from one client address lock that address out, whatever the email")
    func addressRateLimitOnALiveServer() async throws {
        let fixture = try await TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let browser = TestBrowser(client)
            for attempt in 1...5 {
                #expect(try await browser.signIn("nobody\(attempt)@example.org", "not a password \(attempt)").status == .unauthorized)
            }
            let blocked = try await browser.signIn("alice@plant.example", AccountFixtures.password)
            #expect(blocked.status == .tooManyRequests)
            #expect(String(buffer: blocked.body).contains("Too many failed sign-ins"))
        }
    }
}

extension AccountPagesTests {
    @Test("without any user the sign-in page says how to create the first administrator")
    func firstRunLoginPage() async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: try await buildRouter(store: store, accounts: AccountFixtures.settings))
        try await app.test(.router) { client in
            let page = try await client.executeRequest(uri: "/login", method: .get, headers: [:], body: nil)
            #expect(String(buffer: page.body).contains("vigil users add EMAIL --org NAME --role admin"))
            // Without users the organisation pages stay open (the --org behaviour).
            #expect(try await client.executeRequest(uri: "/alerts", method: .get, headers: [:], body: nil).status == .ok)
        }
    }
}
