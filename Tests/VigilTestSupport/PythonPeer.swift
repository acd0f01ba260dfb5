import Foundation

/// A test peer written in Python (a webhook receiver, an SMTP server) run as its own process: the script is written
/// into `folder` and started with `arguments`; it signals readiness by creating the file at `readyPath`, and ends when
/// its standard input closes (so a test runner that dies leaves no server behind).
public final class PythonPeer: @unchecked Sendable {
    public let folder: URL
    /// The file the script must create once it listens; pass it to the script among its arguments.
    public let readyPath: String
    private let process = Process()
    private let stdin = Pipe()
    private let logPath: URL

    /// Starts `script`; `arguments` is given the ready file's path to place among the script's arguments.
    public init(name: String, script: String, folder: URL, arguments: (String) -> [String]) throws {
        let python = try Executables.find("python3", hint: "install Python 3")
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

    /// Closes the peer's standard input and waits for it to end; SIGKILL after five seconds.
    public func stop() {
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
