import Foundation

/// A test peer written in Python (a webhook receiver, an SMTP server) run as its own process: the script is written
/// into `folder` and started with `arguments`; it signals readiness by creating the file at `readyPath`, and ends when
/// its standard input closes (so a test runner that dies leaves no server behind).
public final class PythonPeer: @unchecked Sendable {
    public let folder: URL
    /// The file the script must create once it listens; pass it to the script among its arguments.
    public let readyPath: String
    private let process = ChildProcess()
    private let stdin = Pipe()
    private let logPath: URL

    /// Starts `script`; `arguments` is given the ready file's path to place among the script's arguments. `python` is
    /// the interpreter's path (default: `Executables.find("python3")`, which prefers the checkout's `.venv`).
    public init(name: String, script: String, folder: URL, python: String? = nil, arguments: (String) -> [String]) throws {
        let python = try python ?? Executables.find("python3", hint: "install Python 3")
        self.folder = folder
        readyPath = folder.appendingPathComponent("\(name).ready").path
        logPath = folder.appendingPathComponent("\(name).log")
        let scriptPath = folder.appendingPathComponent("\(name).py")
        try Data(script.utf8).write(to: scriptPath)
        FileManager.default.createFile(atPath: logPath.path, contents: nil)
        let log = try FileHandle(forWritingTo: logPath)
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [scriptPath.path] + arguments(readyPath)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = stdin
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: readyPath) {
            guard process.isRunning, Date() < deadline else {
                let output = (try? String(contentsOf: logPath, encoding: .utf8)) ?? ""
                stop()
                throw TestSetupError("the test peer \(name) did not start: \(output)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Closes the peer's standard input and waits for it to end; SIGKILL after five seconds. (Processes started from
    /// the test runner may inherit a blocked SIGTERM, so closing stdin is the normal way out.)
    public func stop() {
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Loopback ports for test servers.
public enum LoopbackPort {
    /// A port nothing listens on right now: bind to port 0 and read what the kernel chose.
    public static func free() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSetupError("socket() failed") }
        defer { close(socket) }
        return try bindLoopback(socket)
    }

    /// A port that refuses every connection for as long as the returned value lives: bound and never listening, so
    /// no other server of a parallel test can take it (a port merely free now may be someone's later).
    public static func refusing() throws -> RefusingPort {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSetupError("socket() failed") }
        do {
            return RefusingPort(socket: socket, port: try bindLoopback(socket))
        } catch {
            close(socket)
            throw error
        }
    }

    private static func bindLoopback(_ socket: Int32) throws -> Int {
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
}

/// A loopback port bound without listening (`LoopbackPort.refusing`); released when this goes away.
public final class RefusingPort: Sendable {
    private let socket: Int32
    public let port: Int

    init(socket: Int32, port: Int) {
        self.socket = socket
        self.port = port
    }

    deinit { close(socket) }
}
