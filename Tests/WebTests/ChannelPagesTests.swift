import Alerts
import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOPosix
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// `/settings/channels` over a real SQLite store with two organisations: every action for every role, the add form's
/// checks field by field, a webhook's secret shown once and rotated, a test message sent by a real dispatcher to a
/// real receiver on loopback, and a failed delivery retried.
@Suite("Channel pages", .serialized)
struct ChannelPagesTests {
    /// Plant A (alice admin, dave member, vera viewer) and Utility B (bob member, uma admin), with one channel each.
    struct Fixture {
        let base: AccountPagesTests.TwoOrganisations
        let plantMail: NotificationChannel
        let utilityMail: NotificationChannel

        static func make() async throws -> Fixture {
            let base = try await AccountPagesTests.TwoOrganisations.make()
            try await AccountFixtures.member("dave@plant.example", of: base.plant, role: .member, store: base.store)
            try await AccountFixtures.member("vera@plant.example", of: base.plant, role: .viewer, store: base.store)
            try await AccountFixtures.member("uma@utility.example", of: base.utility, role: .admin, store: base.store)
            let plantMail = try await base.store.addChannel(.init(name: "ops-mail", kind: .email, target: "ops@plant.example"), organisationID: base.plant.id)
            let utilityMail = try await base.store.addChannel(.init(name: "their-mail", kind: .email, target: "ops@utility.example"), organisationID: base.utility.id)
            return Fixture(base: base, plantMail: plantMail, utilityMail: utilityMail)
        }

        var store: SQLiteStore { base.store }

        func router(testWait: Duration = .seconds(10)) async throws -> Router<VigilRequestContext> {
            try await buildRouter(store: store, cacheFreshness: .zero, sourcesWithoutFeed: [], organisation: nil, accounts: AccountFixtures.settings,
                                  limits: ServerLimits(), pageCache: PageCache(byteLimit: 1 << 20), channelTestWait: testWait)
        }

        /// The organisation's channels but its members' own (`member:EMAIL`, made with each membership).
        func channels(_ org: Organisation) async throws -> [NotificationChannel] {
            try await store.channels(organisationID: org.id).filter { !$0.name.hasPrefix("member:") }
        }
    }

    static func signedIn(_ client: some TestClientProtocol, _ email: String) async throws -> TestBrowser {
        let browser = TestBrowser(client)
        try await browser.signIn(email, AccountFixtures.password)
        return browser
    }

    @Test("only an organisation's admins see and change its channels; members and viewers get 403, the signed-out a sign-in")
    func roles() async throws {
        let fixture = try await Fixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.base.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let signedOut = TestBrowser(client)
            let redirect = try await signedOut.get("/settings/channels")
            #expect(redirect.status == .seeOther && redirect.headers[.location] == "/login?next=%2Fsettings%2Fchannels")

            for email in ["dave@plant.example", "vera@plant.example", "bob@utility.example"] {
                let browser = try await Self.signedIn(client, email)
                let page = try await browser.get("/settings/channels")
                #expect(page.status == .forbidden, "\(email)")
                #expect(!String(buffer: page.body).contains("ops@plant.example"), "\(email)")
                let csrf = TestBrowser.csrf(in: try await browser.get("/account"))
                for action in ["disable", "remove", "test", "rotate-secret"] {
                    #expect(try await browser.post("/settings/channels/\(fixture.plantMail.id)/\(action)", [], csrf: csrf).status == .forbidden,
                            "\(email) \(action)")
                }
                #expect(try await browser.post("/settings/channels", [("name", "x"), ("kind", "email"), ("target", "x@example.org")], csrf: csrf)
                    .status == .forbidden)
            }
            #expect(try await fixture.channels(fixture.base.plant).map(\.name) == ["ops-mail"])
            #expect(try await fixture.channels(fixture.base.plant).first?.enabled == true)

            let alice = try await Self.signedIn(client, "alice@plant.example")
            let page = try await alice.get("/settings/channels")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("Channels of Plant A") && html.contains("ops@plant.example"))
            #expect(!html.contains("ops@utility.example"), "another organisation's channels are not shown")

            // Utility B's admin cannot reach Plant A's channel through its id: the organisation comes from the session.
            let uma = try await Self.signedIn(client, "uma@utility.example")
            let umaCSRF = TestBrowser.csrf(in: try await uma.get("/settings/channels"))
            for action in ["disable", "remove", "test"] {
                #expect(try await uma.post("/settings/channels/\(fixture.plantMail.id)/\(action)", [], csrf: umaCSRF).status == .notFound, "\(action)")
            }
            #expect(try await fixture.channels(fixture.base.plant).first?.enabled == true)
            // Without the form token, even the admin's own post is refused.
            #expect(try await alice.post("/settings/channels/\(fixture.plantMail.id)/remove", [], csrf: nil).status == .forbidden)
            #expect(try await fixture.channels(fixture.base.plant).map(\.name) == ["ops-mail"])
        }
    }

    @Test("adding: each wrong field gets its message beside it and nothing is saved; a webhook's secret is shown once; turn off, on, schedule, rotate, remove")
    func addAndChange() async throws {
        let fixture = try await Fixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.base.directory) }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = try await Self.signedIn(client, "alice@plant.example")
            let csrf = try #require(TestBrowser.csrf(in: try await alice.get("/settings/channels")))

            let bad = try await alice.post("/settings/channels", [("name", ""), ("kind", "email"), ("target", "not an address"), ("schedule", "hourly")], csrf: csrf)
            #expect(bad.status == .badRequest)
            let refused = String(buffer: bad.body)
            #expect(refused.contains("id=\"name-error\" class=\"field-error\">Give the channel a name"))
            #expect(refused.contains("id=\"target-error\" class=\"field-error\">not an address is not an email address"))
            #expect(refused.contains("id=\"schedule-error\" class=\"field-error\">Choose immediate, daily or weekly."))
            #expect(refused.contains("value=\"not an address\""), "what was typed is shown again")
            let plainHTTP = try await alice.post("/settings/channels", [("name", "siem"), ("kind", "webhook"), ("target", "http://siem.example.org/hook"),
                                                                        ("schedule", "immediate")], csrf: csrf)
            #expect(plainHTTP.status == .badRequest)
            #expect(String(buffer: plainHTTP.body).contains("id=\"target-error\""))
            let privateAddress = try await alice.post("/settings/channels", [("name", "siem"), ("kind", "webhook"), ("target", "https://10.1.2.3/hook"),
                                                                             ("schedule", "immediate")], csrf: csrf)
            #expect(privateAddress.status == .badRequest)
            #expect(String(buffer: privateAddress.body).contains(
                "id=\"target-error\" class=\"field-error\">https://10.1.2.3/hook is on a private network (or this machine&#39;s): tick"))
            let duplicate = try await alice.post("/settings/channels", [("name", "ops-mail"), ("kind", "email"), ("target", "x@plant.example"),
                                                                        ("schedule", "immediate")], csrf: csrf)
            #expect(duplicate.status == .badRequest)
            #expect(String(buffer: duplicate.body).contains("already has a channel named ops-mail"))
            #expect(try await fixture.channels(fixture.base.plant).map(\.name) == ["ops-mail"])

            let mail = try await alice.post("/settings/channels", [("name", "audit"), ("kind", "email"), ("target", "audit@plant.example"),
                                                                   ("schedule", "daily")], csrf: csrf)
            #expect(mail.status == .seeOther && mail.headers[.location] == "/settings/channels?done=added")
            let audit = try #require(try await fixture.channels(fixture.base.plant).first { $0.name == "audit" })
            #expect(audit.kind == .email && audit.target == "audit@plant.example" && audit.draft.schedule == .daily)

            let hook = try await alice.post("/settings/channels", [("name", "siem"), ("kind", "webhook"), ("target", "https://10.1.2.3/hook"),
                                                                   ("schedule", "immediate"), ("allow_private_network", "on")], csrf: csrf)
            #expect(hook.status == .ok)
            let siem = try #require(try await fixture.channels(fixture.base.plant).first { $0.name == "siem" })
            #expect(siem.draft.allowPrivateNetwork)
            #expect(String(buffer: hook.body).contains("<code id=\"webhook-secret\">\(siem.secret)</code>"))
            // Shown once: the page afterwards does not hold it.
            #expect(!String(buffer: try await alice.get("/settings/channels").body).contains(siem.secret))

            let rotated = try await alice.post("/settings/channels/\(siem.id)/rotate-secret", [], csrf: csrf)
            let newSecret = try #require(try await fixture.channels(fixture.base.plant).first { $0.name == "siem" }?.secret)
            #expect(newSecret != siem.secret && newSecret.count == 64)
            #expect(String(buffer: rotated.body).contains("<code id=\"webhook-secret\">\(newSecret)</code>"))
            #expect(try await alice.post("/settings/channels/\(audit.id)/rotate-secret", [], csrf: csrf).status == .badRequest)

            #expect(try await alice.post("/settings/channels/\(audit.id)/disable", [], csrf: csrf).headers[.location] == "/settings/channels?done=disabled")
            let off = try #require(try await fixture.channels(fixture.base.plant).first { $0.id == audit.id })
            #expect(!off.enabled && off.disabledReason == "turned off by alice@plant.example")
            #expect(String(buffer: try await alice.get("/settings/channels").body).contains("off: turned off by alice@plant.example"))
            #expect(try await alice.post("/settings/channels/\(audit.id)/test", [], csrf: csrf).status == .badRequest, "no test to a channel that is off")
            _ = try await alice.post("/settings/channels/\(audit.id)/enable", [], csrf: csrf)
            #expect(try await fixture.channels(fixture.base.plant).first { $0.id == audit.id }?.enabled == true)
            _ = try await alice.post("/settings/channels/\(audit.id)/schedule", [("schedule", "weekly")], csrf: csrf)
            #expect(try await fixture.channels(fixture.base.plant).first { $0.id == audit.id }?.draft.schedule == .weekly)
            #expect(try await alice.post("/settings/channels/\(audit.id)/schedule", [("schedule", "hourly")], csrf: csrf).status == .badRequest)
            #expect(try await alice.post("/settings/channels/\(audit.id)/explode", [], csrf: csrf).status == .notFound)
            _ = try await alice.post("/settings/channels/\(audit.id)/remove", [], csrf: csrf)
            #expect(try await fixture.channels(fixture.base.plant).map(\.name).sorted() == ["ops-mail", "siem"])
            #expect(try await fixture.channels(fixture.base.utility).map(\.name) == ["their-mail"], "the other organisation is untouched")
        }
    }

    @Test("a test message is sent by the alert service to a real receiver, signed, and the page says it was delivered; without one it says it waits")
    func testMessage() async throws {
        let fixture = try await Fixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.base.directory) }
        let receiver = try HookRecorder()
        defer { receiver.stop() }
        let hook = try await fixture.store.addChannel(.init(name: "soc", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/hook"),
                                                      organisationID: fixture.base.plant.id)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
        let dispatcher = AlertDispatcher(store: fixture.store, configuration: .init(smtp: nil, baseURL: "https://vigil.example"),
                                         httpClient: client, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        // The alert service, as vigil serve runs it beside the web server.
        let service = Task {
            while !Task.isCancelled {
                _ = try? await dispatcher.runOnce()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = try await Self.signedIn(client, "alice@plant.example")
            let csrf = try #require(TestBrowser.csrf(in: try await alice.get("/settings/channels")))
            let sent = try await alice.post("/settings/channels/\(hook.id)/test", [], csrf: csrf)
            #expect(sent.status == .ok)
            #expect(String(buffer: sent.body).contains("The test message to soc was delivered: HTTP 200"), "\(String(buffer: sent.body))")
        }
        service.cancel()
        _ = await service.result
        try await client.shutdown()
        let requests = try receiver.requests()
        try #require(requests.count == 1)
        #expect(requests[0].event == "test")
        #expect(requests[0].isSigned(with: hook.secret), "\(requests[0].signature)")
        #expect(!requests[0].isSigned(with: hook.secret + "x"))

        // No alert service: the page says the message waits, and why.
        let quiet = Application(router: try await fixture.router(testWait: .milliseconds(300)))
        try await quiet.test(.router) { client in
            let alice = try await Self.signedIn(client, "alice@plant.example")
            let csrf = try #require(TestBrowser.csrf(in: try await alice.get("/settings/channels")))
            let waiting = String(buffer: try await alice.post("/settings/channels/\(hook.id)/test", [], csrf: csrf).body)
            #expect(waiting.contains("The test message to soc is queued but was not sent within 0.3 seconds: is an alert service running"))
        }
    }

    @Test("a delivery that failed for good is listed under its channel with the reason, and 'retry now' queues it again")
    func retryFailed() async throws {
        let fixture = try await Fixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.base.directory) }
        let plant = fixture.base.plant
        let delivery = try await fixture.store.enqueueTest(channelID: fixture.plantMail.id, organisationID: plant.id, now: Date())
        try await fixture.store.markFailed(deliveryID: delivery, error: "mail.plant.example:25: 550 5.1.1 no such user", retryAt: nil)
        let theirs = try await fixture.store.enqueueTest(channelID: fixture.utilityMail.id, organisationID: fixture.base.utility.id, now: Date())
        try await fixture.store.markFailed(deliveryID: theirs, error: "refused", retryAt: nil)
        let app = Application(router: try await fixture.router())
        try await app.test(.router) { client in
            let alice = try await Self.signedIn(client, "alice@plant.example")
            let page = try await alice.get("/settings/channels")
            let html = String(buffer: page.body)
            #expect(html.contains("Failed deliveries to ops-mail"))
            #expect(html.contains("550 5.1.1 no such user"))
            #expect(html.contains("action=\"/settings/deliveries/\(delivery)/retry\""))
            #expect(!html.contains("refused"))
            let csrf = try #require(TestBrowser.csrf(in: page))
            #expect(try await alice.post("/settings/deliveries/\(theirs)/retry", [], csrf: csrf).status == .notFound, "another organisation's delivery")
            let retried = try await alice.post("/settings/deliveries/\(delivery)/retry", [], csrf: csrf)
            #expect(retried.headers[.location] == "/settings/channels?done=retried")
            let record = try #require(try await fixture.store.deliveries(organisationID: plant.id, status: nil, limit: 5).first { $0.id == delivery })
            #expect(record.status == .pending)
            #expect(record.idempotencyKey.hasPrefix("test:"), "the same delivery, so a receiver can tell it from a new one")
            #expect(try await alice.post("/settings/deliveries/\(delivery)/retry", [], csrf: csrf).status == .notFound, "only a failed one")
            let theirsRecord = try await fixture.store.deliveries(organisationID: fixture.base.utility.id, status: nil, limit: 5).first { $0.id == theirs }
            #expect(theirsRecord?.status == .failed)
        }
    }
}

/// A webhook receiver in Python on loopback that records each request's `Vigil-Event`, `Vigil-Signature` and body.
final class HookRecorder: @unchecked Sendable {
    struct Request: Decodable {
        var event: String
        var signature: String
        var body: String

        /// The receiver's side of docs/webhooks.md: `Vigil-Signature` is `t=…,v1=…`, v1 being HMAC-SHA256 over "t."
        /// and the body, with the channel's secret.
        func isSigned(with secret: String) -> Bool {
            let fields = Dictionary(signature.split(separator: ",").map { part in
                let pair = part.split(separator: "=", maxSplits: 1)
                return (String(pair[0]), String(pair.count > 1 ? pair[1] : ""))
            }, uniquingKeysWith: { first, _ in first })
            guard let t = fields["t"], let v1 = fields["v1"] else { return false }
            let mac = HMAC<SHA256>.authenticationCode(for: Array("\(t).".utf8) + Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
            return v1 == mac.map { String(format: "%02x", $0) }.joined()
        }
    }

    let folder: TemporaryFolder
    let port: Int
    private let peer: PythonPeer

    init() throws {
        let folder = try TemporaryFolder()
        let port = try LoopbackPort.free()
        self.folder = folder
        self.port = port
        do {
            peer = try PythonPeer(name: "hooks", script: Self.script, folder: folder.url) { ready in [String(port), folder.url.path, ready] }
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
import json, os, sys, threading
from http.server import HTTPServer, BaseHTTPRequestHandler
port, folder, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {"event": self.headers.get("Vigil-Event", ""), "signature": self.headers.get("Vigil-Signature", ""),
                  "body": body.decode("utf-8", "replace")}
        with lock:
            with open(os.path.join(folder, "requests.jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
open(ready, "w").close()
sys.stdin.read()
server.shutdown()
"""#
}
