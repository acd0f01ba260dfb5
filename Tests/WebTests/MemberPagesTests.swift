import Alerts
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// `/settings/members` over a real SQLite store with two organisations: every action for every role, invitations by
/// a real SMTP server and without mail, the invited person choosing a password and signing in with the role given,
/// and the organisation never left without an admin.
@Suite("Member pages", .serialized)
struct MemberPagesTests {
    /// Plant A: alice admin, dave member, vera viewer. Utility B: bob member, uma admin.
    static func fixture() async throws -> AccountPagesTests.TwoOrganisations {
        let base = try await AccountPagesTests.TwoOrganisations.make()
        try await AccountFixtures.member("dave@plant.example", of: base.plant, role: .member, store: base.store)
        try await AccountFixtures.member("vera@plant.example", of: base.plant, role: .viewer, store: base.store)
        try await AccountFixtures.member("uma@utility.example", of: base.utility, role: .admin, store: base.store)
        return base
    }

    static func signedIn(_ client: some TestClientProtocol, _ email: String) async throws -> TestBrowser {
        let browser = TestBrowser(client)
        try await browser.signIn(email, AccountFixtures.password)
        return browser
    }

    static func role(_ store: SQLiteStore, _ email: String, in org: Organisation) async throws -> MemberRole? {
        guard let user = try await store.user(email: email) else { return nil }
        return try await store.membership(userID: user.id, organisationID: org.id)?.role
    }

    @Test("only admins manage members; members, viewers and other organisations get 403 or 404, and change nothing")
    func roles() async throws {
        let fixture = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let dave = try #require(try await fixture.store.user(email: "dave@plant.example"))
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let signedOut = try await TestBrowser(client).get("/settings/members")
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/login?next=%2Fsettings%2Fmembers")
            for email in ["dave@plant.example", "vera@plant.example", "bob@utility.example"] {
                let browser = try await Self.signedIn(client, email)
                #expect(try await browser.get("/settings/members").status == .forbidden, "\(email)")
                let csrf = TestBrowser.csrf(in: try await browser.get("/account"))
                #expect(try await browser.post("/settings/members", [("email", "x@plant.example"), ("role", "admin")], csrf: csrf).status == .forbidden)
                #expect(try await browser.post("/settings/members/\(dave.id)/role", [("role", "admin")], csrf: csrf).status == .forbidden)
                #expect(try await browser.post("/settings/members/\(dave.id)/remove", [], csrf: csrf).status == .forbidden)
            }
            // Utility B's admin: Plant A's member is not theirs to change.
            let uma = try await Self.signedIn(client, "uma@utility.example")
            let page = String(buffer: try await uma.get("/settings/members").body)
            #expect(page.contains("Members of Utility B") && !page.contains("dave@plant.example"))
            let csrf = TestBrowser.csrf(in: try await uma.get("/settings/members"))
            #expect(try await uma.post("/settings/members/\(dave.id)/role", [("role", "admin")], csrf: csrf).status == .notFound)
            #expect(try await uma.post("/settings/members/\(dave.id)/remove", [], csrf: csrf).status == .notFound)
        }
        #expect(try await Self.role(fixture.store, "dave@plant.example", in: fixture.plant) == .member)
        #expect(try await fixture.store.user(email: "x@plant.example") == nil)
    }

    @Test("without mail the invitation link is shown once; the invited person chooses a password and signs in as the role given")
    func inviteWithoutMail() async throws {
        let fixture = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = try await Self.signedIn(client, "alice@plant.example")
            let page = try await alice.get("/settings/members")
            let html = String(buffer: page.body)
            #expect(html.contains("Members of Plant A"))
            #expect(html.contains("alice@plant.example (you)"))
            #expect(!html.contains("bob@utility.example"))
            // vera never signed in; alice just did.
            let vera = try #require(try await fixture.store.user(email: "vera@plant.example"))
            let veraRow = try #require(html.components(separatedBy: "id=\"member-\(vera.id)\"").last?.components(separatedBy: "</tr>").first)
            #expect(veraRow.contains("<td>never</td>"))
            let aliceUser = try #require(try await fixture.store.user(email: "alice@plant.example"))
            #expect(aliceUser.lastSignInAt != nil)
            #expect(html.contains("<td>\(Format.dateTime(aliceUser.lastSignInAt) ?? "")</td>"))
            let csrf = try #require(TestBrowser.csrf(in: page))

            let bad = try await alice.post("/settings/members", [("email", "not-an-address"), ("role", "owner")], csrf: csrf)
            #expect(bad.status == .badRequest)
            let refused = String(buffer: bad.body)
            #expect(refused.contains("id=\"email-error\" class=\"field-error\">Give an email address"))
            #expect(refused.contains("id=\"role-error\" class=\"field-error\">Choose admin, member or viewer."))
            let again = try await alice.post("/settings/members", [("email", "dave@plant.example"), ("role", "viewer")], csrf: csrf)
            #expect(again.status == .badRequest)
            #expect(String(buffer: again.body).contains("dave@plant.example is a member of Plant A already"))
            #expect(try await Self.role(fixture.store, "dave@plant.example", in: fixture.plant) == .member)

            let invited = try await alice.post("/settings/members", [("email", "nina@plant.example"), ("role", "viewer")], csrf: csrf)
            #expect(invited.status == .ok)
            let body = String(buffer: invited.body)
            #expect(body.contains("Mail is not configured on this server: give nina@plant.example this link yourself."))
            let link = try #require(body.components(separatedBy: "<code id=\"invitation-link\">").dropFirst().first?.components(separatedBy: "</code>").first)
            #expect(link.hasPrefix("http://127.0.0.1:8080/password/"))
            #expect(body.contains("invited: no password chosen yet"))
            #expect(try await Self.role(fixture.store, "nina@plant.example", in: fixture.plant) == .viewer)
            // The link is on this response only.
            #expect(!String(buffer: try await alice.get("/settings/members").body).contains(link))

            let nina = TestBrowser(client)
            let path = String(link.dropFirst("http://127.0.0.1:8080".count))
            let form = try await nina.get(path)
            #expect(form.status == .ok)
            let set = try await nina.post(path, [("password", "nina's long passphrase"), ("confirm", "nina's long passphrase")],
                                          csrf: TestBrowser.csrf(in: form))
            #expect(set.status == .seeOther)
            #expect(try await nina.signIn("nina@plant.example", "nina's long passphrase").status == .seeOther)
            #expect(String(buffer: try await nina.get("/account").body).contains("role <strong>viewer</strong>"))
            // A viewer: the members page is not theirs.
            #expect(try await nina.get("/settings/members").status == .forbidden)
            // Resending to someone who chose a password is refused.
            let ninaUser = try #require(try await fixture.store.user(email: "nina@plant.example"))
            #expect(try await alice.post("/settings/members/\(ninaUser.id)/resend", [], csrf: csrf).status == .badRequest)
        }
    }

    @Test("with mail the invitation and a resent one arrive by a real SMTP server, each link working once")
    func inviteByMail() async throws {
        let fixture = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let mail = try MailCatcher()
        defer { mail.stop() }
        let smtp = try SMTPConfiguration(url: "smtp://127.0.0.1:\(mail.port)?starttls=never&timeout=20", mailFrom: "Vigil <vigil@plant.example>")
        let settings = AccountSettings(baseURL: "http://vigil.test", passwordHasher: PasswordHasher(cost: 4), mailer: SMTPAccountMailer(configuration: smtp))
        let app = Application(router: try await fixture.router(settings))
        try await app.test(.router) { client in
            let alice = try await Self.signedIn(client, "alice@plant.example")
            let csrf = try #require(TestBrowser.csrf(in: try await alice.get("/settings/members")))
            let invited = try await alice.post("/settings/members", [("email", "otto@plant.example"), ("role", "member")], csrf: csrf)
            #expect(String(buffer: invited.body).contains("An invitation is mailed to otto@plant.example"))
            #expect(!String(buffer: invited.body).contains("invitation-link"), "mailed, so not shown")
            let otto = try #require(try await fixture.store.user(email: "otto@plant.example"))
            #expect(try await alice.post("/settings/members/\(otto.id)/resend", [], csrf: csrf).status == .ok)

            let received = try mail.received()
            #expect(received.count == 2)
            #expect(received.allSatisfy { $0.recipients == ["otto@plant.example"] && $0.subject == "You are invited to Plant A on Vigil" })
            let links = received.compactMap { message -> String? in
                guard let start = message.text.range(of: "http://vigil.test/password/") else { return nil }
                return String(message.text[start.lowerBound...].prefix { !$0.isWhitespace })
            }
            #expect(links.count == 2 && links[0] != links[1])
            #expect(received.first?.text.contains("alice@plant.example invited you to Plant A on Vigil (http://vigil.test), as member.") == true)
            let browser = TestBrowser(client)
            let path = String(try #require(links.last).dropFirst("http://vigil.test".count))
            let form = try await browser.get(path)
            #expect(form.status == .ok)
            #expect(try await browser.post(path, [("password", "otto's long passphrase"), ("confirm", "otto's long passphrase")],
                                           csrf: TestBrowser.csrf(in: form)).status == .seeOther)
            #expect(try await browser.get(path).status == .notFound, "the link works once")
        }
    }

    @Test("roles change and members go; the last admin can be neither demoted nor removed, by themselves or anyone")
    func changeAndRemove() async throws {
        let fixture = try await Self.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let alice = try #require(try await fixture.store.user(email: "alice@plant.example"))
        let dave = try #require(try await fixture.store.user(email: "dave@plant.example"))
        let vera = try #require(try await fixture.store.user(email: "vera@plant.example"))
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let browser = try await Self.signedIn(client, "alice@plant.example")
            let csrf = try #require(TestBrowser.csrf(in: try await browser.get("/settings/members")))

            for action in ["role", "remove"] {
                let refused = try await browser.post("/settings/members/\(alice.id)/\(action)", [("role", "member")], csrf: csrf)
                #expect(refused.status == .conflict, "\(action)")
                #expect(String(buffer: refused.body).contains("alice@plant.example is the last admin of Plant A: make someone else admin first."))
            }
            #expect(try await Self.role(fixture.store, "alice@plant.example", in: fixture.plant) == .admin)
            #expect(try await browser.post("/settings/members/\(dave.id)/role", [("role", "owner")], csrf: csrf).status == .badRequest)

            let promoted = try await browser.post("/settings/members/\(dave.id)/role", [("role", "admin")], csrf: csrf)
            #expect(promoted.headers[.location] == "/settings/members?done=role")
            #expect(try await Self.role(fixture.store, "dave@plant.example", in: fixture.plant) == .admin)
            // Now alice may step down; dave, the last admin then, may not.
            #expect(try await browser.post("/settings/members/\(alice.id)/role", [("role", "member")], csrf: csrf).status == .seeOther)
            #expect(try await Self.role(fixture.store, "alice@plant.example", in: fixture.plant) == .member)
            #expect(try await browser.get("/settings/members").status == .forbidden, "alice is no longer an admin")

            let daveBrowser = try await Self.signedIn(client, "dave@plant.example")
            let daveCSRF = try #require(TestBrowser.csrf(in: try await daveBrowser.get("/settings/members")))
            #expect(try await daveBrowser.post("/settings/members/\(dave.id)/remove", [], csrf: daveCSRF).status == .conflict)
            let removed = try await daveBrowser.post("/settings/members/\(vera.id)/remove", [], csrf: daveCSRF)
            #expect(removed.headers[.location] == "/settings/members?done=removed")
            #expect(try await Self.role(fixture.store, "vera@plant.example", in: fixture.plant) == nil)
            #expect(try await fixture.store.user(email: "vera@plant.example") != nil, "the user stays; only the membership goes")
            let channels = try await fixture.store.channels(organisationID: fixture.plant.id).map(\.name)
            #expect(!channels.contains("member:vera@plant.example") && channels.contains("member:dave@plant.example"))
            #expect(try await Self.role(fixture.store, "bob@utility.example", in: fixture.utility) == .member)
        }
    }
}
