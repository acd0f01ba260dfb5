import ArgumentParser
import Foundation
import Synchronization

/// `scripts/hostile_servers.py` in a child process, for `vigil bench latency`: misbehaving "CSAF providers" on
/// 127.0.0.1 (refusing, resetting, stalling, trickling, answering 503 or 429, HTML, endless bodies, TLS that stalls or
/// fails, redirect loops). The script ends by itself when its stdin closes or after `maxSeconds`.
final class HostileServers {
    struct Server: Decodable {
        var kind: String
        var url: String
    }

    /// Connection counters of one kind, summed over its copies, as the script's `stats` line gives them.
    struct KindStats: Decodable {
        var connections: Int
        var requests: Int
        var longestSeconds: Double

        enum CodingKeys: String, CodingKey {
            case connections, requests
            case longestSeconds = "longest_seconds"
        }
    }

    let servers: [Server]
    private let process: Process
    private let input = Pipe()
    private let lines: LineReader
    private let logPath: String

    init(python: String, script: String, kinds: [String], copies: Int, maxSeconds: Int, logPath: String) throws {
        self.logPath = logPath
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--kinds", kinds.joined(separator: ","), "--copies", "\(copies)", "--max-seconds", "\(maxSeconds)"]
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        lines = LineReader(output.fileHandleForReading)
        struct Started: Decodable { var servers: [Server] }
        guard let line = lines.next(timeout: 30), let started = try? JSONDecoder().decode(Started.self, from: Data(line.utf8)) else {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if process.isRunning { process.terminate() }
            throw ValidationError("\(script) did not start its servers (exit status \(process.isRunning ? "none yet" : "\(process.terminationStatus)")): \(log)")
        }
        servers = started.servers
    }

    /// The script's counters so far, by kind; nil when it does not answer within a few seconds.
    func stats() -> [String: KindStats]? {
        guard process.isRunning else { return nil }
        try? input.fileHandleForWriting.write(contentsOf: Data("stats\n".utf8))
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, let line = lines.next(timeout: deadline.timeIntervalSinceNow) {
            struct Answer: Decodable { var stats: [String: KindStats] }
            if let answer = try? JSONDecoder().decode(Answer.self, from: Data(line.utf8)) { return answer.stats }
        }
        return nil
    }

    /// Closes the script's stdin, which ends it; it is terminated if it has not ended within five seconds.
    func stop() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
    }

    /// Whether `python` runs at all (`/usr/bin/env python3 -c pass`).
    static func pythonRuns(_ python: String) -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = [python, "-c", "pass"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do { try probe.run() } catch { return false }
        let deadline = Date().addingTimeInterval(20)
        while probe.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if probe.isRunning {
            probe.terminate()
            return false
        }
        return probe.terminationStatus == 0
    }
}

/// The lines a child process writes, read on a thread of its own (which ends at end of file) and handed out with a
/// timeout, so that a child that never writes cannot hang the benchmark. `next` waits on the calling thread: call it
/// outside the measured part of a benchmark.
final class LineReader: Sendable {
    private let state = Mutex<(lines: [String], partial: [UInt8], ended: Bool)>(([], [], false))

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                self.state.withLock { state in
                    if data.isEmpty {
                        state.ended = true
                        return
                    }
                    state.partial += data
                    while let newline = state.partial.firstIndex(of: 0x0A) {
                        state.lines.append(String(decoding: state.partial[..<newline], as: UTF8.self))
                        state.partial.removeSubrange(...newline)
                    }
                }
                if data.isEmpty { return }
            }
        }
        thread.start()
    }

    /// The next line, or nil when none comes within `timeout` seconds or the output has ended.
    func next(timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(max(timeout, 0))
        while true {
            let (line, ended) = state.withLock { state -> (String?, Bool) in
                state.lines.isEmpty ? (nil, state.ended) : (state.lines.removeFirst(), false)
            }
            if let line { return line }
            if ended || Date() >= deadline { return nil }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
