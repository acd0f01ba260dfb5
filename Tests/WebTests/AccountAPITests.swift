import Alerts
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Personal API tokens on `/api/v1/alerts`, and sign-up, email confirmation and password reset through a real SMTP
/// server.
@Suite("Accounts: API tokens and mail", .serialized)
struct AccountAPITests {
    @Test("a personal API token, shown once and stored hashed, reads its organisation's alerts; none or a revoked one is 401")
    func apiTokens() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            let created = try await alice.post("/account/tokens", [("name", "ticketing <sys>")], csrf: TestBrowser.csrf(in: try await alice.get("/account")))
            #expect(created.status == .ok)
            let html = String(buffer: created.body)
            #expect(html.contains("ticketing &lt;sys&gt;"))
            let start = try #require(html.range(of: "<code class=\"token\">"))
            let token = String(html[start.upperBound...].prefix(44))
            #expect(token.dropFirst(4).allSatisfy { $0.isHexDigit && !$0.isUppercase } && token.count == 44)
            #expect(!String(buffer: try await alice.get("/account").body).contains(token), "the token is shown once")
            let user = try #require(try await fixture.store.user(email: "alice@plant.example"))
            let stored = try await fixture.store.apiTokens(userID: user.id, organisationID: fixture.plant.id)
            #expect(stored.count == 1)
            #expect(try await fixture.store.apiToken(hash: token, now: Date()) == nil, "the store keeps only the hash")

            let anonymous = try await client.executeRequest(uri: "/api/v1/alerts", method: .get, headers: [:], body: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            #expect(String(buffer: anonymous.body).contains("\"status\":401"))
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            let list = try await client.executeRequest(uri: "/api/v1/alerts", method: .get, headers: bearer, body: nil)
            #expect(list.status == .ok)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: list.body).utf8)) as? [String: Any])
            #expect(object["organisation"] as? String == "Plant A")
            let alerts = try #require(object["alerts"] as? [[String: Any]])
            #expect(alerts.map { $0["id"] as? Int64 } == [fixture.plantAlert.id])
            #expect(alerts.first?["advisory_id"] as? String == "ICSA-22-172-04")
            #expect(!String(buffer: list.body).contains("secret reason B"))
            let own = try await client.executeRequest(uri: "/api/v1/alerts/\(fixture.plantAlert.id)", method: .get, headers: bearer, body: nil)
            #expect(own.status == .ok)
            let foreign = try await client.executeRequest(uri: "/api/v1/alerts/\(fixture.utilityAlert.id)", method: .get, headers: bearer, body: nil)
            #expect(foreign.status == .notFound)
            let wrong = try await client.executeRequest(uri: "/api/v1/alerts", method: .get, headers: [.authorization: "Bearer vgl_" + String(repeating: "0", count: 40)], body: nil)
            #expect(wrong.status == .unauthorized)
            // A session cookie is not an API credential.
            let withCookie = try await alice.get("/api/v1/alerts")
            #expect(withCookie.status == .unauthorized)
            // The public API stays public.
            #expect(try await client.executeRequest(uri: "/api/v1/advisories", method: .get, headers: [:], body: nil).status == .ok)

            let page = try await alice.get("/account")
            let revoked = try await alice.post("/account/tokens/\(try #require(stored.first).id)/revoke", [], csrf: TestBrowser.csrf(in: page))
            #expect(revoked.status == .seeOther)
            #expect(try await client.executeRequest(uri: "/api/v1/alerts", method: .get, headers: bearer, body: nil).status == .unauthorized)
        }
    }

    @Test("open sign-up mails a confirmation link; sign-in waits for it; a reset link by mail sets a new password")
    func signupVerificationAndResetByMail() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let mail = try MailCatcher()
        defer { mail.stop() }
        let smtp = try SMTPConfiguration(url: "smtp://127.0.0.1:\(mail.port)?starttls=never&timeout=20", mailFrom: "Vigil <vigil@plant.example>")
        let settings = AccountSettings(baseURL: "http://vigil.test", passwordHasher: PasswordHasher(cost: 4), signup: .open,
                                       mailer: SMTPAccountMailer(configuration: smtp))
        let app = Application(router: try await fixture.router(settings))
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            let form = try await browser.get("/signup")
            #expect(form.status == .ok)
            let csrf = TestBrowser.csrf(in: form)
            let short = try await browser.post("/signup", [("email", "dora@example.org"), ("password", "short"), ("confirm", "short")], csrf: csrf)
            #expect(short.status == .badRequest)
            let done = try await browser.post("/signup", [("email", "dora@example.org"), ("name", "Dora"), ("password", "dora's long passphrase"),
                                                          ("confirm", "dora's long passphrase")], csrf: csrf)
            #expect(done.status == .ok)
            #expect(String(buffer: done.body).contains("a confirmation link is on its way"))
            let message = try #require(try mail.received().last)
            #expect(message.recipients == ["dora@example.org"])
            #expect(message.subject == "Confirm your email address for Vigil")
            let link = try #require(try mail.link(startingWith: "http://vigil.test/verify/"))

            let early = try await browser.signIn("dora@example.org", "dora's long passphrase")
            #expect(early.status == .forbidden)
            #expect(String(buffer: early.body).contains("Confirm your email address first"))
            let verified = try await browser.get(String(link.dropFirst("http://vigil.test".count)))
            #expect(verified.status == .seeOther)
            #expect(verified.headers[.location] == "/login?done=verified")
            #expect(try await fixture.store.user(email: "dora@example.org")?.emailVerifiedAt != nil)
            #expect(try await browser.signIn("dora@example.org", "dora's long passphrase").status == .seeOther)
            // A new account sees no organisation's data.
            #expect(!String(buffer: try await browser.get("/assets").body).contains("Hall A1"))

            let reset = TestBrowser(client)
            let resetForm = try await reset.get("/password-reset")
            let unknown = try await reset.post("/password-reset", [("email", "nobody@example.org")], csrf: TestBrowser.csrf(in: resetForm))
            #expect(unknown.status == .ok)
            let count = try mail.received().count
            let asked = try await reset.post("/password-reset", [("email", "alice@plant.example")], csrf: TestBrowser.csrf(in: resetForm))
            #expect(String(buffer: asked.body) == String(buffer: unknown.body), "the answer does not reveal whether an account exists")
            #expect(try mail.received().count == count + 1)
            #expect(try mail.received().last?.recipients == ["alice@plant.example"])
            let resetLink = try #require(try mail.link(startingWith: "http://vigil.test/password/"))
            let path = String(resetLink.dropFirst("http://vigil.test".count))
            let page = try await reset.get(path)
            let set = try await reset.post(path, [("password", "alice's brand new phrase"), ("confirm", "alice's brand new phrase")], csrf: TestBrowser.csrf(in: page))
            #expect(set.status == .seeOther)
            #expect(try await reset.signIn("alice@plant.example", AccountFixtures.password).status == .unauthorized)
            #expect(try await reset.signIn("alice@plant.example", "alice's brand new phrase").status == .seeOther)
        }
    }

    @Test("invite-only servers have no sign-up page")
    func inviteOnly() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let response = try await client.executeRequest(uri: "/signup", method: .get, headers: [:], body: nil)
            #expect(response.status == .notFound)
            #expect(String(buffer: response.body).contains("vigil users add"))
        }
    }
}
