import ArgumentParser
import Foundation

/// aiosmtpd on a free loopback port that records, for each whole message, when it arrived and the benchmark tags
/// (`BENCH-<tag>-` in a tracking ID) its subject and text carry: `vigil bench latency` pairs each message with its
/// publication by tag, so a message that comes late is never taken for the next publication's.
final class TaggedSMTPSink {
    let port: Int
    private let process: Process
    private let input = Pipe()
    private let receiptsPath: String

    init(python: String, folder: String) throws {
        let script = folder + "/tagged-sink.py"
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: script))
        receiptsPath = folder + "/tagged-receipts.txt"
        let ready = folder + "/tagged-sink.ready"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, receiptsPath, ready]
        process.standardInput = input
        let log = folder + "/tagged-sink.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: ready) {
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { process.terminate() }
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw ValidationError("aiosmtpd did not start (pip install aiosmtpd): \(output)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        port = Int((try? String(contentsOfFile: ready, encoding: .utf8)) ?? "") ?? 0
    }

    /// The messages so far, in order: arrival time (Unix seconds) and the tags each carries.
    func receipts() -> [(time: Double, tags: Set<String>)] {
        guard let text = try? String(contentsOfFile: receiptsPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard let time = fields.first.flatMap({ Double($0) }) else { return nil }
            let tags = fields.count > 1 ? Set(fields[1].split(separator: ",").map(String.init)) : []
            return (time, tags)
        }
    }

    /// Closes aiosmtpd's stdin, which ends it; it is terminated if it has not ended within five seconds.
    func stop() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
    }

    static let script = #"""
import email, email.policy, os, re, socket, sys, time
from aiosmtpd.controller import Controller

out, ready = sys.argv[1], sys.argv[2]
handle = open(out, "a", buffering=1)
TAG = re.compile(r"BENCH-([A-Za-z0-9]+)-")

class Sink:
    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        raw = envelope.original_content or envelope.content
        texts = [raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)]
        try:
            message = email.message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default)
            texts.append(str(message["subject"] or ""))
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    texts.append(part.get_content())
        except Exception as error:
            print(f"could not read a message: {error!r}", file=sys.stderr, flush=True)
        tags = sorted(set(TAG.findall("\n".join(texts))))
        handle.write(f"{arrived:.6f}\t{','.join(tags)}\n")
        return "250 OK"

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
open(ready, "w").write(str(port))
sys.stdin.read()
os._exit(0)
"""#
}
