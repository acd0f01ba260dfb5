import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// The alert log pages, the CSV export and unsubscribe links, over a real SQLite store with two organisations.
@Suite("Alert pages")
struct AlertPagesTests {
    @Test("the alert log shows the configured organisation's alerts, escaped; another organisation's alert is not found")
    func alertLogIsEscapedAndIsolated() async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let plant = try #require(try await store.organisation(named: "Plant A", create: true))
        let other = try #require(try await store.organisation(named: "Utility B", create: true))
        let ops = try await store.addChannel(.init(name: "ops <mail>", kind: .email, target: "ops@example.org"), organisationID: plant.id)
        _ = try await store.addChannel(.init(name: "secret-b", kind: .email, target: "b@example.org"), organisationID: other.id)
        #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                  idempotencyKey: "a|1", changes: ["new advisory"],
                                                  matches: [AlertMatch(watchID: 1, watch: "keyword \"<b>PLC</b>\"", reason: "mentions <b>PLC</b>")],
                                                  channelIDs: [ops.id])))
        #expect(try await store.createAlert(.init(organisationID: other.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                  idempotencyKey: "b|1", changes: ["new advisory"],
                                                  matches: [AlertMatch(watchID: 2, watch: "vendor Secret B", reason: "names Secret B")])))
        let plantAlert = try #require(try await store.alerts(organisationID: plant.id, limit: 5).first)
        let otherAlert = try #require(try await store.alerts(organisationID: other.id, limit: 5).first)
        _ = try await store.updateAlert(id: plantAlert.id, organisationID: plant.id,
                                        update: AlertUpdate(status: .investigating, owner: "Jörg <OT>", dueDate: "2026-12-15", note: "PLC <7> checked"),
                                        actor: "jm", at: Date())

        let app = Application(router: try await buildRouter(store: store, organisation: "Plant A"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/alerts", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("href=\"/alerts/\(plantAlert.id)\""))
                #expect(html.contains("Investigating"))
                #expect(html.contains("Jörg &lt;OT&gt;"))
                #expect(html.contains("keyword &quot;&lt;b&gt;PLC&lt;/b&gt;&quot;") || html.contains("keyword \"&lt;b&gt;PLC&lt;/b&gt;\""))
                #expect(!html.contains("<b>PLC</b>"))
                #expect(!html.contains("Secret B"), "another organisation's alert is listed")
            }
            try await client.execute(uri: "/alerts?status=patched", method: .get) { response in
                #expect(!String(buffer: response.body).contains("href=\"/alerts/\(plantAlert.id)\""))
            }
            try await client.execute(uri: "/alerts?status=bogus", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/alerts/\(plantAlert.id)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("status: new → investigating"))
                #expect(html.contains("note: PLC &lt;7&gt; checked"))
                #expect(html.contains("ops &lt;mail&gt;"))
                #expect(html.contains("pending"))
            }
            try await client.execute(uri: "/alerts/\(otherAlert.id)", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(!String(buffer: response.body).contains("Secret B"))
            }
            try await client.execute(uri: "/alerts.csv", method: .get) { response in
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                let lines = String(buffer: response.body).split(separator: "\r\n")
                #expect(lines.first?.hasPrefix("id,raised,status,owner,due_date,advisory") == true)
                #expect(lines.count == 2)
                #expect(lines.last?.contains("investigating,Jörg <OT>,2026-12-15,ICSA-22-172-04") == true)
            }
        }
    }

    @Test("an unsubscribe link asks first, a POST turns the channel off and drops what waited for it, a bad token is not found")
    func unsubscribe() async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let plant = try #require(try await store.organisation(named: "Plant A", create: true))
        let ops = try await store.addChannel(.init(name: "ops", kind: .email, target: "ops@example.org"), organisationID: plant.id)
        #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                  idempotencyKey: "a|1", changes: ["new advisory"], matches: [], channelIDs: [ops.id])))
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            try await client.execute(uri: "/unsubscribe/\(ops.unsubscribeToken)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("Stop Vigil's alerts to ops@example.org"))
                #expect(html.contains("<form method=\"post\">"))
            }
            #expect(try await store.channels(organisationID: plant.id).first?.enabled == true)
            try await client.execute(uri: "/unsubscribe/\(ops.unsubscribeToken)", method: .post) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Vigil sends nothing more to ops@example.org"))
            }
            try await client.execute(uri: "/unsubscribe/not-a-token", method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
        let channel = try #require(try await store.channels(organisationID: plant.id).first)
        #expect(!channel.enabled)
        #expect(channel.disabledReason?.hasPrefix("unsubscribed by the recipient") == true)
        let outbox = try await store.deliveries(organisationID: plant.id, status: nil, limit: 10)
        #expect(outbox.map(\.status) == [.failed])
    }
}
