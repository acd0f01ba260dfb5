import Foundation

/// Misbehaving CSAF "providers" on loopback, from `scripts/hostile_servers.py`: servers that refuse, reset, accept and
/// never answer, stall after the headers or mid-body, trickle a byte a second, answer 503 or 429 with Retry-After,
/// stream an endless body or endless headers, serve a login page, stall the TLS handshake, present a self-signed
/// certificate, or redirect forever. The process ends when its standard input closes (`stop()`), so a test runner that
/// dies leaves nothing behind; it also ends by itself after `maxSeconds`.
public final class HostileServers: @unchecked Sendable {
    public struct Server: Sendable, Decodable {
        public let kind: String
        public let url: String
    }

    /// What the servers saw of one kind: connections accepted, open now, the longest any was held open.
    public struct KindStats: Sendable, Decodable {
        public let connections: Int
        public let open: Int
        public let maxOpen: Int
        public let longestSeconds: Double
        public let requests: Int
    }

    public static let allKinds = ["refuse", "reset", "blackhole", "silent", "stall-headers", "stall-body", "trickle", "unavailable",
                                  "rate-limited", "endless", "huge-header", "html", "tls-stall", "tls-bad", "redirect-loop"]

    public let servers: [Server]
    private let process = ChildProcess()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()

    /// `python` and `script` default to `Executables.find("python3")` and the checkout's `scripts/hostile_servers.py`;
    /// the script's standard error goes to `logPath` when given (else to this process's).
    public init(kinds: [String] = HostileServers.allKinds, copies: Int = 1, maxSeconds: Int = 600, python: String? = nil,
                script: String? = nil, logPath: String? = nil) throws {
        let python = try python ?? Executables.find("python3", hint: "install Python 3")
        let script = script ?? Executables.packageRoot.appendingPathComponent("scripts/hostile_servers.py").path
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--kinds", kinds.joined(separator: ","), "--copies", "\(copies)", "--max-seconds", "\(maxSeconds)"]
        process.standardInput = input
        process.standardOutput = output
        if let logPath {
            FileManager.default.createFile(atPath: logPath, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        } else {
            process.standardError = FileHandle.standardError
        }
        try process.run()
        guard let line = HostileServers.readLine(output.fileHandleForReading) else {
            process.terminate()
            let log = logPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            throw TestSetupError("\(script) printed no server list\(log.isEmpty ? "" : ": " + log)")
        }
        struct Started: Decodable { let servers: [Server] }
        servers = try JSONDecoder().decode(Started.self, from: Data(line.utf8)).servers
    }

    /// The servers' counts so far, per kind.
    public func stats() throws -> [String: KindStats] {
        lock.lock()
        defer { lock.unlock() }
        input.fileHandleForWriting.write(Data("stats\n".utf8))
        guard let line = HostileServers.readLine(output.fileHandleForReading) else { throw TestSetupError("the hostile servers stopped") }
        struct Answer: Decodable { let stats: [String: KindStats] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Answer.self, from: Data(line.utf8)).stats
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// One line from the pipe, byte by byte (the script flushes each line; nothing else is read ahead).
    static func readLine(_ handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while true {
            guard let byte = try? handle.read(upToCount: 1), let first = byte.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if first == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
    }
}

/// The resident memory of this process, in bytes (Linux: `VmRSS` in /proc/self/status).
public func residentMemoryBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return digits * 1024
    }
    return 0
}
