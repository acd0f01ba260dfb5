import Alerts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Attacks on accounts, as an attacker on the network would make them: taking over an address by signing it up
/// first, guessing passwords in parallel, keeping access through an API token after a reset, and the sign-in page as
/// an open redirect. Over a real SQLite store; the throttle tests over a real server on loopback.
@Suite("Accounts: attacks")
struct AccountHardeningTests {
    static let attackerPassword = "the attacker's own phrase"

    /// Settings with open sign-up mailing through a real SMTP server on loopback.
    static func openSignup(_ mail: MailCatcher) throws -> AccountSettings {
        let smtp = try SMTPConfiguration(url: "smtp://127.0.0.1:\(mail.port)?starttls=never&timeout=20", mailFrom: "Vigil <vigil@plant.example>")
        return AccountSettings(baseURL: "http://vigil.test", passwordHasher: PasswordHasher(cost: 4), signup: .open,
                               mailer: SMTPAccountMailer(configuration: smtp))
    }

    @Test("an unconfirmed sign-up added by an administrator loses its password: the attacker who chose it cannot sign in; the owner's link works")
    func preHijackedSignupIsReset() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let mail = try MailCatcher()
        defer { mail.stop() }
        let app = Application(router: try await fixture.router(try Self.openSignup(mail)))
        try await app.test(.router) { client in
            let attacker = TestBrowser(client)
            let form = try await attacker.get("/signup")
            let signedUp = try await attacker.post("/signup", [("email", "victim@example.org"), ("password", Self.attackerPassword),
                                                               ("confirm", Self.attackerPassword)], csrf: TestBrowser.csrf(in: form))
            #expect(signedUp.status == .ok)
            #expect(try await attacker.signIn("victim@example.org", Self.attackerPassword).status == .forbidden)

            // What `vigil users add victim@example.org --org "Plant A"` does.
            let directory = MemberDirectory(store: fixture.store)
            let added = try await directory.addMember(email: "victim@example.org", displayName: nil, organisation: fixture.plant,
                                                      role: .member, passwordHash: nil)
            #expect(added.unconfirmedSignupReset)
            #expect(added.needsPassword, "the administrator must be given a set-password link, as for a new user")
            #expect(try await fixture.store.user(email: "victim@example.org")?.passwordHash == nil)

            let refused = try await attacker.signIn("victim@example.org", Self.attackerPassword)
            #expect(refused.status == .unauthorized, "the attacker signed in with the password they chose at sign-up")
            #expect(attacker.cookies[CookieName.session] == nil)
            #expect(try await attacker.get("/alerts").status == .seeOther)

            let token = try await directory.issueToken(.invitation, userID: added.user.id)
            let owner = TestBrowser(client)
            let page = try await owner.get("/password/" + token)
            #expect(page.status == .ok)
            let set = try await owner.post("/password/" + token, [("password", "the owner's own phrase"), ("confirm", "the owner's own phrase")],
                                           csrf: TestBrowser.csrf(in: page))
            #expect(set.status == .seeOther)
            #expect(try await owner.signIn("victim@example.org", "the owner's own phrase").status == .seeOther)
            #expect(String(buffer: try await owner.get("/alerts").body).contains("href=\"/alerts/\(fixture.plantAlert.id)\""))
            #expect(try await attacker.signIn("victim@example.org", Self.attackerPassword).status == .unauthorized)
        }
    }

    @Test("a sign-up whose address was confirmed since (the owner followed a link they never asked for) still joins an organisation only through a set-password link")
    func confirmedSignupIsResetOnJoining() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let mail = try MailCatcher()
        defer { mail.stop() }
        let app = Application(router: try await fixture.router(try Self.openSignup(mail)))
        try await app.test(.router) { client in
            let attacker = TestBrowser(client)
            let form = try await attacker.get("/signup")
            _ = try await attacker.post("/signup", [("email", "victim@example.org"), ("password", Self.attackerPassword),
                                                    ("confirm", Self.attackerPassword)], csrf: TestBrowser.csrf(in: form))
            let user = try #require(try await fixture.store.user(email: "victim@example.org"))
            // The owner confirms the address (as following the mailed link does).
            try await fixture.store.setEmailVerified(userID: user.id, at: Date())
            #expect(try await attacker.signIn("victim@example.org", Self.attackerPassword).status == .seeOther,
                    "a confirmed account with no organisation signs in (it sees nothing of anyone's)")

            let directory = MemberDirectory(store: fixture.store)
            let added = try await directory.addMember(email: "victim@example.org", displayName: nil, organisation: fixture.plant,
                                                      role: .member, passwordHash: nil)
            #expect(added.unconfirmedSignupReset)
            #expect(added.needsPassword)
            let fresh = TestBrowser(client)
            #expect(try await fresh.signIn("victim@example.org", Self.attackerPassword).status == .unauthorized)
            #expect(try await attacker.get("/alerts").status == .seeOther, "the attacker's session outlived the reset")

            // Changing the member's role later keeps the password set through the link.
            let token = try await directory.issueToken(.invitation, userID: added.user.id)
            let owner = TestBrowser(client)
            let page = try await owner.get("/password/" + token)
            _ = try await owner.post("/password/" + token, [("password", "the owner's own phrase"), ("confirm", "the owner's own phrase")],
                                     csrf: TestBrowser.csrf(in: page))
            let again = try await directory.addMember(email: "victim@example.org", displayName: nil, organisation: fixture.plant,
                                                      role: .admin, passwordHash: nil)
            #expect(!again.unconfirmedSignupReset)
            #expect(try await owner.signIn("victim@example.org", "the owner's own phrase").status == .seeOther)
        }
    }

    @Test("membership alone does not let a sign-up's unconfirmed password sign in")
    func membershipDoesNotVouch() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        // A user as sign-up makes them (their own password, address not confirmed) who became a member some other way.
        let hash = try await AccountFixtures.settings.passwordHasher.hash(Self.attackerPassword)
        let user = try await fixture.store.createUser(.init(email: "victim@example.org", displayName: "", passwordHash: hash), now: Date())
        _ = try await fixture.store.setMembership(userID: user.id, organisationID: fixture.plant.id, role: .admin, delivery: .immediate)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let attacker = TestBrowser(client)
            let refused = try await attacker.signIn("victim@example.org", Self.attackerPassword)
            #expect(refused.status == .forbidden)
            #expect(String(buffer: refused.body).contains("Confirm your email address first"))
            #expect(attacker.cookies[CookieName.session] == nil)
        }
    }

    @Test("a new password set through a reset link revokes the user's API tokens and ends their other sessions")
    func resetRevokesTokens() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let thief = TestBrowser(client)
            try await thief.signIn("alice@plant.example", AccountFixtures.password)
            let created = try await thief.post("/account/tokens", [("name", "kept after the reset")], csrf: TestBrowser.csrf(in: try await thief.get("/account")))
            let html = String(buffer: created.body)
            let start = try #require(html.range(of: "<code class=\"token\">"))
            let bearer: HTTPFields = [.authorization: "Bearer " + String(html[start.upperBound...].prefix(44))]
            #expect(try await client.executeRequest(uri: "/api/v1/alerts", method: .get, headers: bearer, body: nil).status == .ok)

            // The owner, who noticed, resets the password (`vigil users reset-password`, or the reset link by mail).
            let user = try #require(try await fixture.store.user(email: "alice@plant.example"))
            let token = try await MemberDirectory(store: fixture.store).issueToken(.passwordReset, userID: user.id)
            let owner = TestBrowser(client)
            let page = try await owner.get("/password/" + token)
            let set = try await owner.post("/password/" + token, [("password", "alice's brand new phrase"), ("confirm", "alice's brand new phrase")],
                                           csrf: TestBrowser.csrf(in: page))
            #expect(set.status == .seeOther)
            let api = try await client.executeRequest(uri: "/api/v1/alerts", method: .get, headers: bearer, body: nil)
            #expect(api.status == .unauthorized, "an API token made before the reset still reads the organisation's alerts")
            #expect(try await thief.get("/alerts").status == .seeOther, "the session from before the reset still works")
            #expect(try await fixture.store.apiTokens(userID: user.id, organisationID: fixture.plant.id).isEmpty)
        }
    }

    /// `next` values that must not lead off the server, as they appear in the query string.
    static let hostileNext = [
        "//evil.example/", "/%5Cevil.example/", "/%5C/evil.example/", "%5C%5Cevil.example", "/%09/evil.example/", "/%0A/evil.example/",
        "/%0D%0ALocation:%20https://evil.example/", "%2F%2Fevil.example/", "/%2F/evil.example/", "/%2509/evil.example/",
        "/%252F/evil.example/", "https://evil.example/", "HTTPS:%2F%2Fevil.example", "javascript:alert(1)", "%20//evil.example/",
        "/%E2%80%A8/evil.example/", "/%00/evil.example/", "evil.example",
    ]

    @Test("signed in, /login?next= leads only to a path on this server", arguments: hostileNext)
    func openRedirect(next: String) async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            let response = try await browser.get("/login?next=" + next)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/", "next=\(next) redirected to \(response.headers[.location] ?? "nothing")")
            // The same value posted with the sign-in form.
            let again = TestBrowser(client)
            let form = try await again.get("/login")
            let body = "email=alice%40plant.example&password=\(TestBrowser.encode(AccountFixtures.password))&next=\(next)&csrf=\(TestBrowser.csrf(in: form) ?? "")"
            let posted = try await again.send("/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                              body: ByteBuffer(string: body))
            #expect(posted.status == .seeOther)
            #expect(posted.headers[.location] == "/", "posted next=\(next) redirected to \(posted.headers[.location] ?? "nothing")")
        }
    }

    @Test("paths on this server survive the sign-in redirect")
    func sameOriginNext() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = TestBrowser(client)
            let redirect = try await browser.get("/alerts?status=new")
            let location = try #require(redirect.headers[.location])
            #expect(location == "/login?next=%2Falerts%3Fstatus%3Dnew")
            try await browser.signIn("alice@plant.example", AccountFixtures.password)
            for (next, expected) in [("%2Falerts%3Fstatus%3Dnew", "/alerts?status=new"), ("/advisories/ICSA-22-172-04", "/advisories/ICSA-22-172-04"),
                                     ("/?q=remote%2520code", "/?q=remote%20code")] {
                #expect(try await browser.get("/login?next=" + next).headers[.location] == expected)
            }
        }
    }
}

extension AccountHardeningTests {
    /// Posts the sign-in form over its own connection to the live server, with extra headers.
    static func signIn(port: Int, csrf: String, email: String, password: String, headers extra: HTTPFields = [:]) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "\(CookieName.csrf)=\(csrf)"]
        headers.append(contentsOf: extra)
        let body = "email=\(TestBrowser.encode(email))&password=\(TestBrowser.encode(password))&csrf=\(csrf)"
        let fields = headers
        return try await TestClient.withClient(host: "localhost", port: port) { client in
            try await client.post("/login", headers: fields, body: ByteBuffer(string: body)).status
        }
    }

    /// The double-submit form token the sign-in page hands out.
    static func loginToken(_ client: any TestClientProtocol) async throws -> String {
        try #require(TestBrowser.csrf(in: try await client.executeRequest(uri: "/login", method: .get, headers: [:], body: nil)))
    }

    @Test("40 parallel wrong passwords for one account over separate connections: 5 reach bcrypt, 35 are refused with 429")
    func parallelGuessesAreThrottledBeforeBcrypt() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let checks = PasswordCheckCounter()
        // A cost high enough that the guesses overlap, as they do against the production cost of 12.
        let settings = AccountSettings(passwordHasher: PasswordHasher(cost: 10, checks: checks))
        let app = Application(router: try await fixture.router(settings), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let csrf = try await Self.loginToken(client)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for attempt in 0..<40 {
                    group.addTask {
                        try await Self.signIn(port: port, csrf: csrf, email: "alice@plant.example", password: "wrong guess number \(attempt)")
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 5, "\(statuses.map(\.code))")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 35, "\(statuses.map(\.code))")
            #expect(checks.value == 5, "\(checks.value) passwords were checked with bcrypt")
            // The right password is refused too until the window passes, and costs no bcrypt either.
            #expect(try await Self.signIn(port: port, csrf: csrf, email: "alice@plant.example", password: AccountFixtures.password) == .tooManyRequests)
            #expect(checks.value == 5)
        }
    }

    @Test("with --trusted-proxy-header, attempts count per forwarded client (the last entry); without it the header is ignored")
    func trustedProxyHeader() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let forwarded = HTTPField.Name("X-Forwarded-For")!
        let behindProxy = AccountSettings(passwordHasher: PasswordHasher(cost: 4), trustedProxyHeader: "X-Forwarded-For")
        let proxied = Application(router: try await fixture.router(behindProxy), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await proxied.test(.live) { client in
            let port = try #require(client.port)
            let csrf = try await Self.loginToken(client)
            for attempt in 1...5 {
                // The client claims another address first; the proxy appends the one it saw.
                let status = try await Self.signIn(port: port, csrf: csrf, email: "nobody\(attempt)@example.org", password: "guess \(attempt)",
                                                   headers: [forwarded: "198.51.100.\(attempt), 203.0.113.7"])
                #expect(status == .unauthorized)
            }
            #expect(try await Self.signIn(port: port, csrf: csrf, email: "nobody6@example.org", password: "guess 6",
                                          headers: [forwarded: "198.51.100.99, 203.0.113.7"]) == .tooManyRequests)
            // Another client behind the same proxy (the same connection address) is not locked out.
            #expect(try await Self.signIn(port: port, csrf: csrf, email: "nobody7@example.org", password: "guess 7",
                                          headers: [forwarded: "203.0.113.7, 203.0.113.8"]) == .unauthorized)
            #expect(try await Self.signIn(port: port, csrf: csrf, email: "alice@plant.example", password: AccountFixtures.password,
                                          headers: [forwarded: "203.0.113.9"]) == .seeOther)
        }
        let direct = Application(router: try await fixture.router(AccountFixtures.settings), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await direct.test(.live) { client in
            let port = try #require(client.port)
            let csrf = try await Self.loginToken(client)
            for attempt in 1...5 {
                #expect(try await Self.signIn(port: port, csrf: csrf, email: "nobody\(attempt)@example.org", password: "guess \(attempt)",
                                              headers: [forwarded: "203.0.113.\(attempt)"]) == .unauthorized)
            }
            // A new address in the header each time does not escape the limit of the connection's address.
            #expect(try await Self.signIn(port: port, csrf: csrf, email: "nobody6@example.org", password: "guess 6",
                                          headers: [forwarded: "203.0.113.6"]) == .tooManyRequests)
        }
    }
}
