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
    private let process: Process
    private let stdin = Pipe()

    init() throws {
        let python = try Executables.find("python3", hint: "install Python 3 and `pip install aiosmtpd`")
        folder = try TemporaryFolder()
        let script = try folder.write(Array(Self.script.utf8), to: "server.py")
        port = try Self.freePort()
        let ready = folder.url.appendingPathComponent("ready").path
        let log = folder.url.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, String(port), folder.url.appendingPathComponent("received.jsonl").path, ready]
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = stdin
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: ready) {
            guard process.isRunning, Date() < deadline else {
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                stop()
                throw TestSetupError("aiosmtpd did not start (pip install aiosmtpd): \(output)")
            }
            Thread.sleep(forTimeInterval: 0.05)
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
        try? stdin.fileHandleForWriting.close()
        if process.isRunning {
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        folder.remove()
    }

    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSetupError("socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw TestSetupError("could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
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
