import Foundation
import VigilTestSupport

/// A real SMTP server for the account emails: Python's aiosmtpd on a free loopback port (the pattern of
/// `AlertsTests/SMTPServerTests.swift`, plain SMTP only), recording each message's recipients, subject and text.
final class MailCatcher: @unchecked Sendable {
    struct Received: Decodable {
        var recipients: [String]
        var subject: String
        var text: String
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
            peer = try PythonPeer(name: "server", script: Self.script, folder: folder.url) { ready in
                [String(port), folder.url.appendingPathComponent("received.jsonl").path, ready]
            }
        } catch {
            folder.remove()
            throw error
        }
    }

    func received() throws -> [Received] {
        guard let text = try? String(contentsOf: folder.url.appendingPathComponent("received.jsonl"), encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Received.self, from: Data($0.utf8)) }
    }

    /// The first link in the last message that starts with `prefix`.
    func link(startingWith prefix: String) throws -> String? {
        guard let text = try received().last?.text, let start = text.range(of: prefix) else { return nil }
        return String(text[start.lowerBound...].prefix { !$0.isWhitespace })
    }

    func stop() {
        peer.stop()
        folder.remove()
    }

    static let script = #"""
import json, os, sys, email, email.policy
from aiosmtpd.controller import Controller

port, out, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]

class Handler:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {"recipients": envelope.rcpt_tos, "subject": str(message["Subject"]), "text": body.get_content() if body else ""}
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 OK queued"

controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
open(ready, "w").write(str(port))
sys.stdin.read()
os._exit(0)
"""#
}
