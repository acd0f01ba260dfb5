import Alerts
import AsyncHTTPClient
import CSAF
import Foundation
import Matching
import NIOPosix
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Delivery through the outbox of a real store (SQLite, and PostgreSQL where parameterised) to real peers: aiosmtpd for mail, and a Python webhook receiver
/// that checks the HMAC signature exactly as docs/webhooks.md tells receivers to.
@Suite(.serialized) struct DeliveryTests {
    /// A store with ICSA-22-172-04 (as if published now) alerting "Plant" through the given channels, and one
    /// Phoenix Contact asset exposed to it.
    struct Fixture {
        let folder: TemporaryFolder
        let store: any VigilStore
        /// The store as `--db` names it.
        let location: String
        let plant: Organisation
        let channels: [NotificationChannel]

        init(channels drafts: [NotificationChannel.Draft]) async throws {
            let folder = try TemporaryFolder()
            let path = folder.url.appendingPathComponent("vigil.sqlite").path
            try await self.init(folder: folder, store: try SQLiteStore(path: path), location: path, channels: drafts)
        }

        init(folder: TemporaryFolder, store: any VigilStore, location: String, channels drafts: [NotificationChannel.Draft]) async throws {
            self.folder = folder
            self.store = store
            self.location = location
            plant = try #require(try await store.organisation(named: "Plant <Hamburg>", create: true))
            var made: [NotificationChannel] = []
            for draft in drafts { made.append(try await store.addChannel(draft, organisationID: plant.id)) }
            channels = made
            _ = try await store.importAssets([AssetDraft(externalID: "PLC-7", vendor: "Phoenix Contact", product: "MULTIPROG",
                                                         version: "5.50", site: "Hamburg", area: "Line <2>")],
                                             organisationID: plant.id, replace: false)
            _ = try await store.addWatch(.init(kind: "vendor", value: "Phoenix Contact"), organisationID: plant.id)
        }

        /// A fixture on a new store of `backend`, closed and removed after `body`.
        static func with<T>(channels drafts: [NotificationChannel.Draft], backend: Backend,
                            _ body: (Fixture) async throws -> T) async throws -> T {
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            return try await backend.withStore(in: folder) { store, location in
                try await body(try await Fixture(folder: folder, store: store, location: location, channels: drafts))
            }
        }

        /// Imports a fresh copy of the advisory at `version` and creates its alerts.
        @discardableResult
        func publish(version: String = "1", extraCVE: String? = nil) async throws -> AlertCreator.Summary {
            let path = try AlertCreatorTests.freshCopy(in: folder.url, version: version, extraCVE: extraCVE)
            _ = try await LocalImporter().run(paths: [path], into: store)
            return try await AlertCreator(store: store).processPending()
        }

        func dispatcher(smtpPort: Int? = nil, client: HTTPClient) -> AlertDispatcher {
            dispatcher(smtp: smtpPort.map {
                SMTPConfiguration(host: "127.0.0.1", port: $0, security: .plaintext, timeout: .seconds(10),
                                  from: MailAddress("alerts@vigil.example", name: "Vigil"))
            }, client: client)
        }

        func dispatcher(smtp: SMTPConfiguration?, client: HTTPClient) -> AlertDispatcher {
            AlertDispatcher(store: store, configuration: .init(smtp: smtp, baseURL: "https://vigil.example/"),
                            httpClient: client, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        }

        func outbox() async throws -> [DeliveryRecord] {
            try await store.deliveries(organisationID: plant.id, status: nil, limit: 100)
        }
    }

    static func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("an alert email arrives once, to the channel's address, with both parts, the unsubscribe headers and the content",
          arguments: [false, true])
    func alertEmailArrives(startTLSAndAuth: Bool) async throws {
        let fixture = try await Fixture(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")])
        defer { fixture.folder.remove() }
        let server = try AiosmtpdServer(mode: startTLSAndAuth ? .startTLS : .plain, auth: startTLSAndAuth ? .plainAndLogin : .none)
        defer { server.stop() }
        #expect(try await fixture.publish().alertsCreated == 1)
        var smtp = try SMTPConfiguration(
            url: startTLSAndAuth
                ? "smtp://\(SMTPServerTests.user):\(SMTPServerTests.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@localhost:\(server.port)?starttls=required&timeout=20"
                : "smtp://127.0.0.1:\(server.port)?starttls=never",
            mailFrom: "Vigil <alerts@vigil.example>")
        smtp.tlsTrustRootsFile = startTLSAndAuth ? server.certificatePath : nil

        let summary = try await Self.withClient { try await fixture.dispatcher(smtp: smtp, client: $0).runOnce() }
        #expect(summary.delivered == 1 && summary.failed == 0 && summary.retrying == 0)
        let received = try server.received()
        try #require(received.count == 1)
        let mail = received[0]
        #expect(mail.tls == startTLSAndAuth && mail.authenticated == startTLSAndAuth)
        #expect(mail.recipients == ["ops@example.org"])
        #expect(mail.mailFrom == "alerts@vigil.example")
        #expect(mail.subject == "[Vigil] CRITICAL ICSA-22-172-04: Phoenix Contact ProConOS and MULTIPROG (affects 1 of your assets)")
        #expect(mail.messageID.hasPrefix("<dlv_") && mail.messageID.hasSuffix(".vigil@vigil.example>"))
        let token = try #require(fixture.channels.first?.unsubscribeToken)
        #expect(mail.listUnsubscribe == "<https://vigil.example/unsubscribe/\(token)>")
        #expect(mail.contentType == "multipart/alternative")
        #expect(mail.parts.map(\.type) == ["text/plain", "text/html"])
        // Python keeps the wire format's CRLF line ends.
        let text = mail.parts[0].content.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(text.contains("CRITICAL · CVSS 9.8 · new advisory"))
        #expect(text.contains("watch vendor Phoenix Contact: names the vendor Phoenix Contact"))
        #expect(text.contains("PLC-7 (Phoenix Contact MULTIPROG 5.50) at Hamburg / Line <2>: affected"))
        #expect(text.contains("CVE-2022-31801 (9.8)"))
        #expect(text.contains("Phoenix Contact · MULTIPROG  vers:all/*"))
        #expect(text.contains("Remediations:\n- "))
        #expect(text.contains("https://vigil.example/advisories/ICSA-22-172-04"))
        #expect(text.contains("Alert log: https://vigil.example/alerts/"))
        let html = mail.parts[1].content
        // Values from the inventory and the organisation's name are escaped in the HTML part.
        #expect(html.contains("Line &lt;2&gt;") && !html.contains("Line <2>"))
        #expect(html.contains("Plant &lt;Hamburg&gt;"))
        #expect(html.contains("<a href=\"https://vigil.example/advisories/ICSA-22-172-04\">ICSA-22-172-04</a>"))

        let outbox = try await fixture.outbox()
        #expect(outbox.map(\.status) == [.delivered])
        #expect(outbox.first?.detail?.contains("accepted by \(smtp.host):\(server.port)") == true)
        // Nothing more is due: a second pass sends nothing.
        let again = try await Self.withClient { try await fixture.dispatcher(smtp: smtp, client: $0).runOnce() }
        #expect(again == AlertDispatcher.Summary())
        #expect(try server.received().count == 1)
    }

    @Test("with the mail server down the alert waits in the outbox, and is delivered once when the server is back", arguments: Backend.allCases)
    func serverDownThenBack(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let port = try LoopbackPort.free()
            try await fixture.publish()
            let start = Date()
            try await Self.withClient { client in
                let dispatcher = fixture.dispatcher(smtpPort: port, client: client)
                let down = try await dispatcher.runOnce(now: { start })
                #expect(down.retrying == 1 && down.delivered == 0)
                var outbox = try await fixture.outbox()
                #expect(outbox.first?.status == .pending)
                #expect(outbox.first?.attempts == 1)
                #expect(outbox.first?.lastError?.contains("could not connect to 127.0.0.1:\(port)") == true)
                let retryAt = try #require(outbox.first?.nextAttemptAt)
                #expect(retryAt > start.addingTimeInterval(20) && retryAt < start.addingTimeInterval(40))

                // Still down at the next attempt: backoff doubles.
                let second = try await dispatcher.runOnce(now: { retryAt })
                #expect(second.retrying == 1)
                outbox = try await fixture.outbox()
                let thirdAt = try #require(outbox.first?.nextAttemptAt)
                #expect(thirdAt.timeIntervalSince(retryAt) > 45)

                // Not due yet: nothing is tried even though the server is now up.
                let server = try AiosmtpdServer(mode: .plain, port: port)
                defer { server.stop() }
                #expect(try await dispatcher.runOnce(now: { retryAt.addingTimeInterval(1) }) == AlertDispatcher.Summary())
                #expect(try server.received().isEmpty)
                let back = try await dispatcher.runOnce(now: { thirdAt })
                #expect(back.delivered == 1)
                #expect(try server.received().count == 1)
                outbox = try await fixture.outbox()
                #expect(outbox.first?.status == .delivered)
                #expect(outbox.first?.attempts == 3)
            }
        }
    }

    @Test("a dispatcher that dies between sending and recording sends at most one duplicate, with the same Message-ID", arguments: Backend.allCases)
    func crashBetweenSendAndAcknowledgement(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let server = try AiosmtpdServer(mode: .plain)
            defer { server.stop() }
            try await fixture.publish()
            let start = Date()
            try await Self.withClient { client in
                let dispatcher = fixture.dispatcher(smtpPort: server.port, client: client)
                // The first node claims and sends, then dies before recording the outcome.
                let claimed = try await fixture.store.claimDeliveries(now: start, lease: 120, limit: 10, only: nil)
                try #require(claimed.count == 1)
                guard case .success = await dispatcher.deliver(claimed[0], now: start) else {
                    Issue.record("the first send failed")
                    return
                }
                // While the lease runs, another node takes nothing.
                #expect(try await dispatcher.runOnce(now: { start.addingTimeInterval(60) }) == AlertDispatcher.Summary())
                // After it, the delivery is sent again, once, and recorded.
                let retry = try await dispatcher.runOnce(now: { start.addingTimeInterval(121) })
                #expect(retry.delivered == 1)
                #expect(try await dispatcher.runOnce(now: { start.addingTimeInterval(600) }) == AlertDispatcher.Summary())
            }
            let received = try server.received()
            #expect(received.count == 2)
            #expect(Set(received.map(\.messageID)).count == 1)
        }
    }

    @Test("a webhook is signed with HMAC-SHA256 over the timestamp and body, a 500 is retried, and Slack and Teams get their formats", arguments: Backend.allCases)
    func webhooksSignedRetriedAndFormatted(backend: Backend) async throws {
        let receiver = try WebhookReceiver(failFirst: 1)
        defer { receiver.stop() }
        try await Fixture.with(channels: [
            .init(name: "soc", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/hook"),
            .init(name: "slack", kind: .slack, target: "http://127.0.0.1:\(receiver.port)/slack"),
            .init(name: "teams", kind: .teams, target: "http://127.0.0.1:\(receiver.port)/teams"),
        ], backend: backend) { fixture in
            let secret = try #require(fixture.channels.first?.secret)
            #expect(secret.count == 64)
            receiver.secret = secret
            try await fixture.publish()
            let start = Date()
            try await Self.withClient { client in
                let dispatcher = fixture.dispatcher(client: client)
                let first = try await dispatcher.runOnce(now: { start })
                // The receiver answers the first request (whichever it is) with 500; the other two are delivered.
                #expect(first.delivered == 2 && first.retrying == 1)
                let failed = try #require(try await fixture.outbox().first { $0.status == .pending })
                #expect(failed.lastError?.contains("answered HTTP 500") == true)
                let second = try await dispatcher.runOnce(now: { start.addingTimeInterval(3600) })
                #expect(second.delivered == 1)
            }
            let requests = try receiver.requests()
            #expect(requests.count == 4)
            let generic = requests.filter { $0.path == "/hook" }
            #expect(!generic.isEmpty)
            for request in generic {
                #expect(request.signatureValid == true)
                #expect(request.deliveryID?.hasPrefix("dlv_") == true)
                #expect(request.advisoryID == "ICSA-22-172-04")
                #expect(request.assetNames == ["PLC-7 (Phoenix Contact MULTIPROG 5.50) at Hamburg / Line <2>"])
            }
            #expect(Set(generic.map(\.deliveryID)).count == 1)
            let slack = try #require(requests.first { $0.path == "/slack" })
            #expect(slack.slackBlocks ?? 0 >= 2)
            #expect(slack.text?.hasPrefix("[Vigil] CRITICAL ICSA-22-172-04") == true)
            let teams = try #require(requests.first { $0.path == "/teams" })
            #expect(teams.teamsContentType == "application/vnd.microsoft.card.adaptive")
            #expect(try await fixture.outbox().allSatisfy { $0.status == .delivered })
        }
    }

    @Test("a receiver that refuses with 404 fails the delivery for good, with the reason kept in the outbox", arguments: Backend.allCases)
    func permanentRefusal(backend: Backend) async throws {
        let receiver = try WebhookReceiver(failFirst: 0, status: 404)
        defer { receiver.stop() }
        try await Fixture.with(channels: [.init(name: "soc", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/gone")], backend: backend) { fixture in
            receiver.secret = try #require(fixture.channels.first?.secret)
            try await fixture.publish()
            let summary = try await Self.withClient { try await fixture.dispatcher(client: $0).runOnce() }
            #expect(summary.failed == 1)
            let record = try #require(try await fixture.outbox().first)
            #expect(record.status == .failed)
            #expect(record.lastError?.contains("refused the webhook with HTTP 404") == true)
            #expect(try await fixture.store.deliveries(organisationID: fixture.plant.id, status: .failed, limit: 10).count == 1)
        }
    }

    @Test("a daily digest holds alerts until 07:00 UTC, then sends them in one message grouped by severity", arguments: Backend.allCases)
    func dailyDigest(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "daily", kind: .email, target: "lead@example.org", schedule: .daily),
                                                   .init(name: "now", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let server = try AiosmtpdServer(mode: .plain)
            defer { server.stop() }
            try await fixture.publish(version: "1")
            try await fixture.publish(version: "2", extraCVE: "CVE-2099-0001")
            let alerts = try await fixture.store.alerts(organisationID: fixture.plant.id, limit: 10)
            #expect(alerts.count == 2)
            let policy = DeliveryPolicy()
            let now = Date()
            let boundary = try #require(policy.digestBoundary(.daily, now: now.addingTimeInterval(24 * 3600)))
            try await Self.withClient { client in
                let dispatcher = fixture.dispatcher(smtpPort: server.port, client: client)
                let before = try await dispatcher.runOnce(now: { now })
                #expect(before.delivered == 2 && before.digestsComposed == 0)
                #expect(try server.received().allSatisfy { $0.recipients == ["ops@example.org"] })
                let after = try await dispatcher.runOnce(now: { boundary.addingTimeInterval(5) })
                #expect(after.digestsComposed == 1 && after.delivered == 1)
                // Composing again for the same period makes no second digest.
                #expect(try await dispatcher.runOnce(now: { boundary.addingTimeInterval(60) }) == AlertDispatcher.Summary())
            }
            let digests = try server.received().filter { $0.recipients == ["lead@example.org"] }
            try #require(digests.count == 1)
            #expect(digests[0].subject == "[Vigil] Daily digest for Plant <Hamburg>: 2 alerts (2 critical)")
            let text = digests[0].parts[0].content.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(text.contains("CRITICAL (2)"))
            #expect(text.contains("ICSA-22-172-04 v1"))
            #expect(text.contains("ICSA-22-172-04 v2") && text.contains("[updated]"))
            let records = try await fixture.outbox()
            #expect(records.filter { $0.kind == .digest }.map(\.status) == [.delivered])
            #expect(records.filter { $0.status == .digested }.count == 2)
            let firstAlert = try #require(alerts.last)
            let viaDigest = try await fixture.store.alertDeliveries(alertID: firstAlert.id, organisationID: fixture.plant.id)
            #expect(viaDigest.contains { $0.kind == .digest && $0.status == .delivered })
        }
    }

    @Test("a digest follows its organisation's time zone and hour, not 07:00 UTC, and links to the organisation's base URL", arguments: Backend.allCases)
    func digestOnTheOrganisationsClock(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "daily", kind: .email, target: "lead@example.org", schedule: .daily)],
                                             backend: backend) { fixture in
            let server = try AiosmtpdServer(mode: .plain)
            defer { server.stop() }
            try await fixture.store.saveOrganisationSettings(OrganisationSettings(name: "Plant <Hamburg>", timeZone: "Asia/Tokyo", digestHour: 9,
                                                                                  baseURL: "https://vigil.plant.example/"),
                                                             organisationID: fixture.plant.id, actor: "ada@example.org", at: Date())
            let now = Date()
            try await fixture.publish(version: "1")
            let policy = DeliveryPolicy()
            let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
            // The next 09:00 in Tokyo (00:00 UTC), and the next 07:00 UTC that an organisation without settings would get.
            let boundary = try #require(policy.digestBoundary(.daily, now: now.addingTimeInterval(24 * 3600), timeZone: tokyo, hour: 9))
            let utcBoundary = try #require(policy.digestBoundary(.daily, now: now.addingTimeInterval(24 * 3600)))
            #expect(boundary > now && Calendar(identifier: .gregorian).dateComponents(in: tokyo, from: boundary).hour == 9)
            try await Self.withClient { client in
                let dispatcher = fixture.dispatcher(smtpPort: server.port, client: client)
                if utcBoundary < boundary {
                    #expect(try await dispatcher.runOnce(now: { utcBoundary.addingTimeInterval(5) }).digestsComposed == 0, "07:00 UTC is not this organisation's hour")
                }
                #expect(try await dispatcher.runOnce(now: { boundary.addingTimeInterval(-5) }).digestsComposed == 0)
                let after = try await dispatcher.runOnce(now: { boundary.addingTimeInterval(5) })
                #expect(after.digestsComposed == 1 && after.delivered == 1)
            }
            let digests = try server.received()
            try #require(digests.count == 1)
            let text = digests[0].parts[0].content.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(text.contains("https://vigil.plant.example/alerts/") && text.contains("https://vigil.plant.example/unsubscribe/"), "\(text)")
            // The period on the organisation's clock, with UTC beside it.
            #expect(text.contains(" 09:00 Asia/Tokyo (\(Timestamp.format(boundary))), most severe first."), "\(text)")
            #expect(!text.contains("https://vigil.example/"), "not the server's base URL")
            #expect(digests[0].parts.count > 1 && digests[0].parts[1].content.contains("https://vigil.plant.example/"), "the HTML part too")
            let record = try #require(try await fixture.outbox().first { $0.kind == .digest })
            #expect(record.status == .delivered)
        }
    }

    @Test("end to end: a new advisory emails each channel once, a cosmetic revision none, a material revision one update", arguments: Backend.allCases)
    func endToEndRevisions(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "a", kind: .email, target: "a@example.org"),
                                                   .init(name: "b", kind: .email, target: "b@example.org")], backend: backend) { fixture in
            let server = try AiosmtpdServer(mode: .plain)
            defer { server.stop() }
            try await Self.withClient { client in
                let dispatcher = fixture.dispatcher(smtpPort: server.port, client: client)
                try await fixture.publish(version: "1")
                #expect(try await dispatcher.runOnce().delivered == 2)
                try await fixture.publish(version: "2")
                #expect(try await dispatcher.runOnce() == AlertDispatcher.Summary())
                try await fixture.publish(version: "3", extraCVE: "CVE-2099-0001")
                #expect(try await dispatcher.runOnce().delivered == 2)
            }
            let received = try server.received()
            #expect(received.count == 4)
            #expect(received.filter { $0.recipients == ["a@example.org"] }.count == 2)
            #expect(received.filter { $0.recipients == ["b@example.org"] }.count == 2)
            let updates = received.filter { $0.subject.hasPrefix("[Vigil] Updated: CRITICAL ICSA-22-172-04") }
            #expect(updates.count == 2)
            #expect(updates.allSatisfy { $0.parts[0].content.contains("What changed: new CVE CVE-2099-0001") })
            #expect(Set(received.map(\.messageID)).count == 4)
        }
    }

    @Test("a watch's notify names its channels; a disabled channel gets nothing and what waited for it is not sent", arguments: Backend.allCases)
    func channelSelectionAndDisabling(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org"),
                                                   .init(name: "ot", kind: .email, target: "ot@example.org")], backend: backend) { fixture in
            // A second watch that names only "ot", and the fixture's watch that names none (every channel).
            _ = try await fixture.store.addWatch(.init(kind: "min_cvss", value: "9.0", notify: "ot"), organisationID: fixture.plant.id)
            let channels = try await fixture.store.channels(organisationID: fixture.plant.id)
            #expect(AlertCreator.channels(for: "ot", among: channels).map(\.name) == ["ot"])
            #expect(AlertCreator.channels(for: "email:OT@example.org", among: channels).map(\.name) == ["ot"])
            #expect(AlertCreator.channels(for: "", among: channels).map(\.name) == ["ops", "ot"])
            try await fixture.publish()
            var outbox = try await fixture.outbox()
            #expect(outbox.count == 2)
            let ops = try #require(channels.first { $0.name == "ops" })
            #expect(try await fixture.store.setChannelEnabled(id: ops.id, organisationID: fixture.plant.id, enabled: false, reason: "unsubscribed"))
            outbox = try await fixture.outbox()
            #expect(outbox.first { $0.channelName == "ops" }?.status == .failed)
            #expect(outbox.first { $0.channelName == "ops" }?.lastError?.contains("unsubscribed") == true)
            #expect(outbox.first { $0.channelName == "ot" }?.status == .pending)
        }
    }
}

extension DeliveryTests {
    @Test("one organisation can neither read nor change another's alerts, channels, deliveries or history", arguments: Backend.allCases)
    func tenantIsolation(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let other = try #require(try await fixture.store.organisation(named: "Other", create: true))
            try await fixture.publish()
            let alert = try #require(try await fixture.store.alerts(organisationID: fixture.plant.id, limit: 1).first)
            let channel = try #require(fixture.channels.first)
            #expect(try await fixture.store.alert(id: alert.id, organisationID: other.id) == nil)
            #expect(try await fixture.store.updateAlert(id: alert.id, organisationID: other.id, update: AlertUpdate(status: .patched),
                                                        actor: "intruder", at: Date()) == nil)
            #expect(try await fixture.store.alert(id: alert.id, organisationID: fixture.plant.id)?.alertStatus == .new)
            _ = try await fixture.store.updateAlert(id: alert.id, organisationID: fixture.plant.id, update: AlertUpdate(note: "seen"),
                                                    actor: "ops", at: Date())
            #expect(try await fixture.store.alertEvents(alertID: alert.id, organisationID: other.id).isEmpty)
            #expect(try await fixture.store.alertEvents(alertID: alert.id, organisationID: fixture.plant.id).count == 1)
            #expect(try await fixture.store.alertDeliveries(alertID: alert.id, organisationID: other.id).isEmpty)
            #expect(try await fixture.store.deliveries(organisationID: other.id, status: nil, limit: 10).isEmpty)
            #expect(try await fixture.store.channels(organisationID: other.id).isEmpty)
            #expect(try await fixture.store.removeChannel(id: channel.id, organisationID: other.id) == false)
            #expect(try await fixture.store.setChannelEnabled(id: channel.id, organisationID: other.id, enabled: false, reason: nil) == false)
            await #expect(throws: StoreError.self) {
                _ = try await fixture.store.enqueueTest(channelID: channel.id, organisationID: other.id, now: Date())
            }
            #expect(try await fixture.store.channels(organisationID: fixture.plant.id).first?.enabled == true)
        }
    }

    @Test("a hostile title cannot add headers or recipients, and is escaped in the HTML part", arguments: Backend.allCases)
    func hostileTitle(backend: Backend) async throws {
        try await Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let server = try AiosmtpdServer(mode: .plain)
            defer { server.stop() }
            let original = try AlertCreatorTests.freshCopy(in: fixture.folder.url)
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: original))) as? [String: Any])
            var document = try #require(object["document"] as? [String: Any])
            document["title"] = "PLC\r\nBcc: victim@example.org\r\n\r\n<script>alert(1)</script>"
            object["document"] = document
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: original))
            _ = try await LocalImporter().run(paths: [original], into: fixture.store)
            #expect(try await AlertCreator(store: fixture.store).processPending().alertsCreated == 1)
            let summary = try await Self.withClient { try await fixture.dispatcher(smtpPort: server.port, client: $0).runOnce() }
            #expect(summary.delivered == 1)
            let mail = try #require(try server.received().first)
            #expect(mail.recipients == ["ops@example.org"])
            #expect(mail.subject == "[Vigil] CRITICAL ICSA-22-172-04: PLC Bcc: victim@example.org <script>alert(1)</script> (affects 1 of your assets)")
            #expect(mail.parts.count == 2)
            let html = try #require(mail.parts.last?.content)
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!html.contains("<script>"))
        }
    }

    @Test("a test message goes to the one channel asked for, and says so", arguments: Backend.allCases)
    func testMessage(backend: Backend) async throws {
        try await Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let server = try AiosmtpdServer(mode: .plain)
            defer { server.stop() }
            try await fixture.publish()
            let channel = try #require(fixture.channels.first)
            let id = try await fixture.store.enqueueTest(channelID: channel.id, organisationID: fixture.plant.id, now: Date())
            let summary = try await Self.withClient { try await fixture.dispatcher(smtpPort: server.port, client: $0).runOnce(only: id) }
            #expect(summary.delivered == 1)
            let received = try server.received()
            #expect(received.map(\.subject) == ["[Vigil] Test message for ops (Plant <Hamburg>)"])
            // The alert's own delivery is still waiting: only the test was sent.
            #expect(try await fixture.outbox().filter { $0.status == .pending }.map(\.kind) == [.alert])
        }
    }
}

/// A webhook receiver in Python on a free loopback port: it checks `Vigil-Signature` as docs/webhooks.md describes
/// (HMAC-SHA256 with the channel's secret over "<t>." + body, constant-time compare, at most 5 minutes old), answers
/// the first `failFirst` requests with 500 and the others with `status`, and records what it saw.
final class WebhookReceiver: @unchecked Sendable {
    struct Request: Decodable {
        var path: String
        var deliveryID: String?
        var signatureValid: Bool?
        var advisoryID: String?
        var assetNames: [String]?
        var slackBlocks: Int?
        var text: String?
        var teamsContentType: String?
        /// The `Vigil-Event` header and the body as sent.
        var event: String?
        var body: String?
    }

    let folder: TemporaryFolder
    let port: Int
    private let peer: PythonPeer
    /// The secret the receiver checks with; written to a file the script reads on each request.
    var secret: String = "" {
        didSet { try? Data(secret.utf8).write(to: folder.url.appendingPathComponent("secret")) }
    }

    init(failFirst: Int, status: Int = 200) throws {
        let folder = try TemporaryFolder()
        let port = try LoopbackPort.free()
        self.folder = folder
        self.port = port
        do {
            peer = try PythonPeer(name: "receiver", script: Self.script, folder: folder.url) { ready in
                [String(port), String(failFirst), String(status), folder.url.path, ready]
            }
        } catch {
            folder.remove()
            throw error
        }
    }

    func requests() throws -> [Request] {
        guard let text = try? String(contentsOf: folder.url.appendingPathComponent("requests.jsonl"), encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    func stop() {
        peer.stop()
        folder.remove()
    }

    static let script = #"""
import hashlib, hmac, json, os, sys, threading, time
from http.server import HTTPServer, BaseHTTPRequestHandler

port, fail_first, status, folder, ready = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
# Receivers should refuse signatures older than 5 minutes; the tests run the dispatcher's clock up to an hour ahead.
max_age = 2 * 3600
count = {"n": 0}
lock = threading.Lock()

def verify(secret, header, body):
    # The receiver's side of docs/webhooks.md.
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > max_age:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count["n"] += 1
            n = count["n"]
        record = {"path": self.path, "event": self.headers.get("Vigil-Event"), "body": body.decode("utf-8", "replace")}
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        if self.path == "/hook" or self.path == "/gone":
            secret = open(os.path.join(folder, "secret")).read()
            record["deliveryID"] = self.headers.get("Vigil-Delivery")
            record["signatureValid"] = verify(secret, self.headers.get("Vigil-Signature", ""), body)
            alerts = data.get("alerts", [])
            if alerts:
                record["advisoryID"] = alerts[0]["advisory"]["id"]
                record["assetNames"] = [asset["name"] for asset in alerts[0]["assets"]]
        elif self.path == "/slack":
            record["slackBlocks"] = len(data.get("blocks", []))
            record["text"] = data.get("text")
        elif self.path == "/teams":
            record["teamsContentType"] = data["attachments"][0]["contentType"]
        with lock:
            with open(os.path.join(folder, "requests.jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
        code = 500 if n <= fail_first else status
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        answer = b"ok" if code < 300 else b"receiver says no"
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
open(ready, "w").write(str(port))
sys.stdin.read()
os._exit(0)
"""#
}
