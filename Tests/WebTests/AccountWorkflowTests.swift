import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Working alerts and watches in the browser by role, and each member's delivery preference.
@Suite("Accounts: alerts, watches and delivery in the browser")
struct AccountWorkflowTests {
    @Test("members record alert changes with their email; viewers get 403; a post without the form token is refused")
    func alertEditingByRole() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try await AccountFixtures.member("vera@plant.example", of: fixture.plant, role: .viewer, store: fixture.store)
        try await AccountFixtures.member("max@plant.example", of: fixture.plant, role: .member, store: fixture.store)
        let app = Application(router: try await fixture.router())
        let path = "/alerts/\(fixture.plantAlert.id)"
        try await app.test(.router) { client in
            let viewer = TestBrowser(client)
            try await viewer.signIn("vera@plant.example", AccountFixtures.password)
            let readOnly = try await viewer.get(path)
            #expect(readOnly.status == .ok)
            #expect(!String(buffer: readOnly.body).contains("Work this alert"), "viewers get no edit form")
            let refused = try await viewer.post(path, [("status", "patched")], csrf: TestBrowser.csrf(in: try await viewer.get("/account")))
            #expect(refused.status == .forbidden)
            #expect(String(buffer: refused.body).contains("viewer"))

            let member = TestBrowser(client)
            try await member.signIn("max@plant.example", AccountFixtures.password)
            let page = try await member.get(path)
            #expect(String(buffer: page.body).contains("Work this alert"))
            let csrf = TestBrowser.csrf(in: page)
            #expect(try await member.post(path, [("status", "patched"), ("note", "no token")], csrf: nil).status == .forbidden)
            let bad = try await member.post(path, [("status", "investigating"), ("due", "next week")], csrf: csrf)
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("YYYY-MM-DD"))
            let saved = try await member.post(path, [("status", "investigating"), ("owner", "Max <OT>"), ("due", "2026-12-24"),
                                                     ("note", "firmware <V2> ordered")], csrf: csrf)
            #expect(saved.status == .seeOther)
            let after = String(buffer: try await member.get(path).body)
            #expect(after.contains("max@plant.example · status: new → investigating"))
            #expect(after.contains("note: firmware &lt;V2&gt; ordered"))
            // Another organisation's alert cannot be changed by guessing its number.
            let foreign = try await member.post("/alerts/\(fixture.utilityAlert.id)", [("status", "patched")], csrf: csrf)
            #expect(foreign.status == .notFound)
        }
        let alert = try #require(try await fixture.store.alert(id: fixture.plantAlert.id, organisationID: fixture.plant.id))
        #expect(alert.alertStatus == .investigating)
        #expect(alert.owner == "Max <OT>")
        #expect(alert.dueDate == "2026-12-24")
        let events = try await fixture.store.alertEvents(alertID: alert.id, organisationID: fixture.plant.id)
        #expect(Set(events.map(\.actor)) == ["max@plant.example"])
        #expect(events.map(\.field) == ["status", "owner", "due_date", "note"])
        #expect(try await fixture.store.alert(id: fixture.utilityAlert.id, organisationID: fixture.utility.id)?.alertStatus == .new)
    }

    @Test("a watch added with the form is stored for the organisation; viewers and posts without the token are refused")
    func watchesInTheBrowser() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try await AccountFixtures.member("vera@plant.example", of: fixture.plant, role: .viewer, store: fixture.store)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            // The advisory page's call to action and the vendor page's Watch button open the form prefilled.
            let advisory = String(buffer: try await alice.get("/advisories/ICSA-22-172-04").body)
            #expect(advisory.contains("href=\"/watches/new?vendor=Phoenix%20Contact\""))
            let vendorPage = String(buffer: try await alice.get("/vendors/phoenix-contact").body)
            #expect(vendorPage.contains("href=\"/watches/new?vendor=Phoenix%20Contact\""))
            let form = try await alice.get("/watches/new?vendor=Phoenix%20Contact")
            #expect(form.status == .ok)
            let html = String(buffer: form.body)
            #expect(html.contains("value=\"Phoenix Contact\""))
            #expect(html.contains("<option value=\"vendor\" selected>"))
            #expect(html.contains("member:alice@plant.example"), "members' channels are offered as recipients")
            let csrf = TestBrowser.csrf(in: form)

            #expect(try await alice.post("/watches", [("rule", "vendor"), ("value", "Phoenix Contact")], csrf: nil).status == .forbidden)
            let badScore = try await alice.post("/watches", [("rule", "min_cvss"), ("value", "eleven")], csrf: csrf)
            #expect(badScore.status == .badRequest)
            #expect(String(buffer: badScore.body).contains("from 0 to 10"))
            let added = try await alice.post("/watches", [("rule", "vendor"), ("value", "Phoenix Contact"), ("min_severity", "high"),
                                                          ("notify", "member:alice@plant.example")], csrf: csrf)
            #expect(added.status == .seeOther)
            #expect(try await alice.post("/watches", [("rule", "kev"), ("value", "ignored")], csrf: csrf).status == .seeOther)

            let list = String(buffer: try await alice.get("/watches").body)
            #expect(list.contains("vendor Phoenix Contact, high or worse"))
            #expect(list.contains("known exploited (CISA KEV)"))

            let vera = TestBrowser(client)
            try await vera.signIn("vera@plant.example", AccountFixtures.password)
            #expect(try await vera.get("/watches").status == .ok)
            #expect(try await vera.get("/watches/new").status == .forbidden)
            let veraToken = TestBrowser.csrf(in: try await vera.get("/account"))
            #expect(try await vera.post("/watches", [("rule", "kev")], csrf: veraToken).status == .forbidden)

            let stored = try await fixture.store.watches(organisationID: fixture.plant.id)
            #expect(stored.count == 2)
            let vendorWatch = try #require(stored.first { $0.draft.kind == "vendor" })
            #expect(vendorWatch.draft.value == "Phoenix Contact")
            #expect(vendorWatch.draft.minimumSeverity == .high)
            #expect(vendorWatch.draft.notify == "member:alice@plant.example")
            #expect(stored.first { $0.draft.kind == "kev" }?.draft.value == "")
            #expect(try await fixture.store.watches(organisationID: fixture.utility.id).isEmpty)

            #expect(try await vera.post("/watches/\(vendorWatch.id)/remove", [], csrf: veraToken).status == .forbidden)
            let removed = try await alice.post("/watches/\(vendorWatch.id)/remove", [], csrf: csrf)
            #expect(removed.status == .seeOther)
            #expect(try await fixture.store.watches(organisationID: fixture.plant.id).count == 1)
        }
    }

    @Test("each member has an email channel of their own, scheduled by the delivery preference they choose")
    func deliveryPreference() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let channel = { try await fixture.store.channels(organisationID: fixture.plant.id).first { $0.name == "member:alice@plant.example" } }
        let initial = try #require(try await channel())
        #expect(initial.kind == .email)
        #expect(initial.target == "alice@plant.example")
        #expect(initial.draft.schedule == .immediate)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = TestBrowser(client)
            try await alice.signIn("alice@plant.example", AccountFixtures.password)
            let page = try await alice.get("/account")
            #expect(String(buffer: page.body).contains("value=\"immediate\" checked"))
            let saved = try await alice.post("/account/delivery", [("delivery", "daily")], csrf: TestBrowser.csrf(in: page))
            #expect(saved.status == .seeOther)
            #expect(String(buffer: try await alice.get("/account").body).contains("value=\"daily\" checked"))
        }
        #expect(try await channel()?.draft.schedule == .daily)
        let user = try #require(try await fixture.store.user(email: "alice@plant.example"))
        #expect(try await fixture.store.membership(userID: user.id, organisationID: fixture.plant.id)?.delivery == .daily)
        // Leaving the organisation removes the member's channel with the membership.
        #expect(try await MemberDirectory(store: fixture.store).removeMember(user: user, organisationID: fixture.plant.id))
        #expect(try await channel() == nil)
    }
}
