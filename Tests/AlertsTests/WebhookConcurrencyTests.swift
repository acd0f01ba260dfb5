import Alerts
import AsyncHTTPClient
import Foundation
import NIOPosix
import Storage
import Store
import Testing
import VigilTestSupport

/// The dispatcher's webhook limit holds however the batch is made up: requests in flight at once never exceed
/// `mailConcurrency`, also while SMTP sessions of the same batch end beside them.
@Suite(.serialized) struct WebhookConcurrencyTests {
    @Test("webhook requests in flight never exceed the limit, also when emails of the same batch finish first")
    func limitHoldsBesideMail() async throws {
        let receiver = try SlowWebhookReceiver(delay: 0.4)
        defer { receiver.stop() }
        let limit = 2
        // Emails to a port nothing listens on: their sessions fail at once, long before any webhook is answered.
        let closedPort = try LoopbackPort.free()
        var drafts: [NotificationChannel.Draft] = (0..<limit).map { .init(name: "mail-\($0)", kind: .email, target: "ops\($0)@example.org") }
        drafts += (0..<8).map { .init(name: "hook-\($0)", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/hook") }
        let fixture = try await DeliveryTests.Fixture(channels: drafts)
        defer { fixture.folder.remove() }
        try await fixture.publish()
        var configuration = AlertDispatcher.Configuration(
            smtp: SMTPConfiguration(host: "127.0.0.1", port: closedPort, security: .plaintext, timeout: .seconds(10),
                                    from: MailAddress("alerts@vigil.example", name: "Vigil")),
            baseURL: "https://vigil.example/")
        configuration.mailConcurrency = limit
        let summary = try await DeliveryTests.withClient { client in
            try await AlertDispatcher(store: fixture.store, configuration: configuration, httpClient: client,
                                      eventLoopGroup: MultiThreadedEventLoopGroup.singleton).runOnce()
        }
        #expect(summary.delivered == 8)
        #expect(summary.retrying == limit)
        let seen = try receiver.counts()
        #expect(seen.requests == 8)
        #expect(seen.peak <= limit, "\(seen.peak) webhook requests were in flight at once; the limit is \(limit)")
        #expect(seen.peak == limit, "the requests should still run side by side up to the limit")
    }
}

/// A threaded webhook receiver in Python that answers each request after `delay` seconds and records how many
/// requests it has seen and the most it had in flight at once.
final class SlowWebhookReceiver: @unchecked Sendable {
    let folder: TemporaryFolder
    let port: Int
    private let peer: PythonPeer

    init(delay: Double) throws {
        let folder = try TemporaryFolder()
        let port = try LoopbackPort.free()
        self.folder = folder
        self.port = port
        do {
            peer = try PythonPeer(name: "slow-receiver", script: Self.script, folder: folder.url) { ready in
                [String(port), String(delay), folder.url.path, ready]
            }
        } catch {
            folder.remove()
            throw error
        }
    }

    func counts() throws -> (requests: Int, peak: Int) {
        let text = (try? String(contentsOf: folder.url.appendingPathComponent("counts"), encoding: .utf8)) ?? "0 0"
        let numbers = text.split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 2 else { throw TestSetupError("the receiver wrote \(text)") }
        return (numbers[0], numbers[1])
    }

    func stop() {
        peer.stop()
        folder.remove()
    }

    static let script = #"""
import os, sys, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

port, delay, folder, ready = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
state = {"requests": 0, "in_flight": 0, "peak": 0}
lock = threading.Lock()

def save():
    with open(os.path.join(folder, "counts.tmp"), "w") as f:
        f.write("%d %d" % (state["requests"], state["peak"]))
    os.replace(os.path.join(folder, "counts.tmp"), os.path.join(folder, "counts"))

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            state["requests"] += 1
            state["in_flight"] += 1
            state["peak"] = max(state["peak"], state["in_flight"])
            save()
        time.sleep(delay)
        with lock:
            state["in_flight"] -= 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
open(ready, "w").write(str(port))
sys.stdin.read()
os._exit(0)
"""#
}
