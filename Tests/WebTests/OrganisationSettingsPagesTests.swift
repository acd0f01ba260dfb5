import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// `/settings/organisation` over a real SQLite store with two organisations: only admins change it, every field is
/// checked server-side with its message beside it, a rename shows everywhere, and the settings reach the channels page
/// and invitations.
@Suite("Organisation settings pages", .serialized)
struct OrganisationSettingsPagesTests {
    static func form(name: String = "Plant A", timeZone: String = "Europe/Berlin", hour: String = "6", baseURL: String = "") -> [(String, String)] {
        [("name", name), ("time_zone", timeZone), ("digest_hour", hour), ("base_url", baseURL)]
    }

    @Test("only admins see and change the settings; members, viewers and another organisation's admin change nothing of Plant A")
    func roles() async throws {
        let fixture = try await MemberPagesTests.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let signedOut = try await TestBrowser(client).get("/settings/organisation")
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/login?next=%2Fsettings%2Forganisation")
            for email in ["dave@plant.example", "vera@plant.example", "bob@utility.example"] {
                let browser = try await MemberPagesTests.signedIn(client, email)
                let page = try await browser.get("/settings/organisation")
                #expect(page.status == .forbidden, "\(email)")
                #expect(String(buffer: page.body).contains("are managed by its admins"))
                let csrf = TestBrowser.csrf(in: try await browser.get("/account"))
                #expect(try await browser.post("/settings/organisation", Self.form(name: "Taken over"), csrf: csrf).status == .forbidden, "\(email)")
            }
            // Utility B's admin changes Utility B, never Plant A.
            let uma = try await MemberPagesTests.signedIn(client, "uma@utility.example")
            let page = String(buffer: try await uma.get("/settings/organisation").body)
            #expect(page.contains("Settings of Utility B") && !page.contains("Plant A"))
            let csrf = TestBrowser.csrf(in: try await uma.get("/settings/organisation"))
            #expect(try await uma.post("/settings/organisation", Self.form(name: "Utility B", timeZone: "America/Chicago", hour: "16"),
                                       csrf: csrf).status == .seeOther)
            // Without the session's CSRF token: refused.
            let alice = try await MemberPagesTests.signedIn(client, "alice@plant.example")
            #expect(try await alice.post("/settings/organisation", Self.form(name: "Forged"), csrf: "not-the-token").status == .forbidden)
            #expect(try await alice.post("/settings/organisation", Self.form(name: "Forged"), csrf: nil).status == .forbidden)
        }
        #expect(try await fixture.store.organisationSettings(organisationID: fixture.plant.id) == OrganisationSettings(name: "Plant A"))
        let utility = try #require(try await fixture.store.organisationSettings(organisationID: fixture.utility.id))
        #expect(utility.timeZone == "America/Chicago" && utility.digestHour == 16 && utility.updatedBy == "uma@utility.example")
    }

    @Test("an admin saves the settings; each bad field gets its message beside it and nothing is saved; a taken name is a 409")
    func saveAndValidate() async throws {
        let fixture = try await MemberPagesTests.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = try await MemberPagesTests.signedIn(client, "alice@plant.example")
            let page = try await alice.get("/settings/organisation")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("<h1>Settings of Plant A</h1>"))
            #expect(html.contains("<option value=\"UTC\" selected>UTC</option>"))
            #expect(html.contains("<option value=\"7\" selected>07:00</option>"))
            #expect(html.contains("<label for=\"org-name\">Name</label>") && html.contains("<label for=\"org-base-url\">Base URL for links</label>"))
            #expect(html.contains("placeholder=\"http://127.0.0.1:8080\""), "the server's base URL is the default shown")
            let csrf = try #require(TestBrowser.csrf(in: page))

            // Every field wrong at once: four messages, each tied to its field.
            let bad = try await alice.post("/settings/organisation",
                                           Self.form(name: "  ", timeZone: "Europe/Atlantis", hour: "25", baseURL: "javascript:alert(1)"), csrf: csrf)
            #expect(bad.status == .badRequest)
            let refused = String(buffer: bad.body)
            #expect(refused.contains("Nothing is saved: see the fields marked below."))
            #expect(refused.contains("id=\"name-error\" class=\"field-error\">Give the organisation a name."))
            #expect(refused.contains("id=\"time-zone-error\" class=\"field-error\">“Europe/Atlantis” is not a time zone"))
            #expect(refused.contains("id=\"digest-hour-error\" class=\"field-error\">The digest hour is a whole hour from 0 to 23."))
            #expect(refused.contains("id=\"base-url-error\" class=\"field-error\">The base URL is where people open Vigil"))
            #expect(refused.contains("aria-describedby=\"time-zone-hint time-zone-error\" aria-invalid=\"true\""))
            #expect(refused.contains("value=\"javascript:alert(1)\""), "what was typed stays, escaped in an attribute")
            for (fields, field) in [(Self.form(hour: "seven"), "digest-hour"), (Self.form(hour: ""), "digest-hour"),
                                    (Self.form(baseURL: "https://vigil.example/?a=1"), "base-url"), (Self.form(timeZone: ""), "time-zone"),
                                    (Self.form(name: String(repeating: "x", count: 201)), "name"),
                                    (Self.form(name: "<script>alert(1)</script>"), "")] {
                let response = try await alice.post("/settings/organisation", fields, csrf: csrf)
                if field.isEmpty {
                    // Markup in a name is a name like another: saved, and shown escaped.
                    #expect(response.status == .seeOther)
                    let shown = String(buffer: try await alice.get("/settings/organisation").body)
                    #expect(shown.contains("Settings of &lt;script&gt;alert(1)&lt;/script&gt;") && !shown.contains("<script>alert(1)"))
                } else {
                    #expect(response.status == .badRequest, "\(fields)")
                    #expect(String(buffer: response.body).contains("id=\"\(field)-error\""), "\(fields)")
                }
            }
            // Another organisation's name, in other letter case.
            let taken = try await alice.post("/settings/organisation", Self.form(name: "utility b"), csrf: csrf)
            #expect(taken.status == .conflict)
            #expect(String(buffer: taken.body).contains("id=\"name-error\" class=\"field-error\">Another organisation is called “utility b”"))

            let saved = try await alice.post("/settings/organisation",
                                             Self.form(name: "Plant A (Hamburg)", timeZone: "Europe/Berlin", hour: "6", baseURL: "https://vigil.plant.example/"),
                                             csrf: csrf)
            #expect(saved.status == .seeOther && saved.headers[.location] == "/settings/organisation?done=saved")
            let after = String(buffer: try await alice.get("/settings/organisation?done=saved").body)
            #expect(after.contains("The settings are saved."))
            #expect(after.contains("<option value=\"Europe/Berlin\" selected>Europe/Berlin</option>"))
            #expect(after.contains("<option value=\"6\" selected>06:00</option>"))
            #expect(after.contains("value=\"https://vigil.plant.example\""))
            #expect(after.contains("Last saved") && after.contains("by alice@plant.example."))
            // The next digests, on Berlin's clock with the UTC time beside.
            let daily = try #require(after.components(separatedBy: "<dd id=\"next-daily\">").dropFirst().first?.components(separatedBy: "</dd>").first)
            #expect(daily.contains(" 06:00 Europe/Berlin ("), "\(daily)")
            let weekly = try #require(after.components(separatedBy: "<dd id=\"next-weekly\">").dropFirst().first?.components(separatedBy: "</dd>").first)
            #expect(weekly.hasPrefix("Monday ") && weekly.contains(" 06:00 Europe/Berlin ("), "\(weekly)")

            // The new name is the organisation's everywhere: the account page, the channels page with its digest clock.
            #expect(String(buffer: try await alice.get("/account").body).contains("Organisation <strong>Plant A (Hamburg)</strong>"))
            let channels = String(buffer: try await alice.get("/settings/channels").body)
            #expect(channels.contains("Daily digest (06:00 Europe/Berlin)") && channels.contains("Weekly digest (Mondays, 06:00 Europe/Berlin)"))
        }
        let stored = try #require(try await fixture.store.organisationSettings(organisationID: fixture.plant.id))
        #expect(stored.name == "Plant A (Hamburg)" && stored.timeZone == "Europe/Berlin" && stored.digestHour == 6)
        #expect(stored.baseURL == "https://vigil.plant.example" && stored.updatedBy == "alice@plant.example")
        #expect(try await fixture.store.organisation(named: "Plant A", create: false) == nil)
    }

    @Test("an invitation links to the organisation's base URL when it has one")
    func invitationUsesTheOrganisationsAddress() async throws {
        let fixture = try await MemberPagesTests.fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try await fixture.store.saveOrganisationSettings(OrganisationSettings(name: "Plant A", baseURL: "https://vigil.plant.example"),
                                                         organisationID: fixture.plant.id, actor: "test", at: Date())
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = try await MemberPagesTests.signedIn(client, "alice@plant.example")
            let csrf = try #require(TestBrowser.csrf(in: try await alice.get("/settings/members")))
            let invited = String(buffer: try await alice.post("/settings/members", [("email", "nina@plant.example"), ("role", "viewer")], csrf: csrf).body)
            let link = try #require(invited.components(separatedBy: "<code id=\"invitation-link\">").dropFirst().first?.components(separatedBy: "</code>").first)
            #expect(link.hasPrefix("https://vigil.plant.example/password/"), "\(link)")
        }
    }

    @Test("vigil org settings prints the settings, changes them, and names the option at fault")
    func commandLine() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        #expect(try await Executables.runVigil(["org", "create", "Plant", "--db", db]).status == 0)
        #expect(try await Executables.runVigil(["org", "create", "Depot", "--db", db]).status == 0)
        let shown = try await Executables.runVigil(["org", "settings", "Plant", "--db", db])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("Digests:  07:00 UTC (weekly ones on Mondays)") && shown.stdout.contains("Base URL: the server's --base-url"))

        let set = try await Executables.runVigil(["org", "settings", "Plant", "--db", db, "--rename", "Plant Hamburg", "--time-zone", "Europe/Berlin",
                                                  "--digest-hour", "6", "--base-url", "https://vigil.plant.example/"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("Organisation Plant Hamburg") && set.stdout.contains("Digests:  06:00 Europe/Berlin")
                && set.stdout.contains("Base URL: https://vigil.plant.example\n"), "\(set.stdout)")

        for (arguments, message) in [(["--time-zone", "CEST"], "--time-zone: “CEST” is not a time zone"),
                                     (["--digest-hour", "24"], "--digest-hour: The digest hour is a whole hour from 0 to 23."),
                                     (["--base-url", "ftp://x.example"], "--base-url: The base URL is where people open Vigil"),
                                     (["--rename", "depot"], "Another organisation is called “depot”")] {
            let refused = try await Executables.runVigil(["org", "settings", "Plant Hamburg", "--db", db] + arguments)
            #expect(refused.status != 0, "\(arguments)")
            #expect(refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
        let missing = try await Executables.runVigil(["org", "settings", "Nowhere", "--db", db])
        #expect(missing.status != 0 && missing.stderr.contains("There is no organisation Nowhere"))

        let store = try SQLiteStore(path: db)
        let plant = try #require(try await store.organisation(named: "Plant Hamburg", create: false))
        let settings = try #require(try await store.organisationSettings(organisationID: plant.id))
        #expect(settings.timeZone == "Europe/Berlin" && settings.digestHour == 6 && settings.baseURL == "https://vigil.plant.example")
        #expect(settings.updatedBy == "cli")
    }
}
