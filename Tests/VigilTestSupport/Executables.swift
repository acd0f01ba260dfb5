import Foundation

/// A test could not set up what it needs (a program missing, a process that failed).
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Finding and running programs for tests: Debian's tools and the `vigil` executable built beside the tests.
public enum Executables {
    /// The package root (`Tests/VigilTestSupport/Executables.swift` → `../..`).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL

    /// The full path of a program on `PATH`; throws with `hint` (how to install it) when it is missing. Python comes
    /// from the checkout's virtual environment first (`.venv`, where `scripts/test` installs the PyPI peers), so a
    /// plain `swift test` after `scripts/test --install-only` finds them too.
    public static func find(_ name: String, hint: String) throws -> String {
        var directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        if name == "python3" { directories.insert(packageRoot.appendingPathComponent(".venv/bin").path, at: 0) }
        for directory in directories {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestSetupError("\(name) is not installed: \(hint) (scripts/test installs every test peer)")
    }

    /// The `vigil` executable that `swift test` builds beside the test bundle.
    public static func vigil() throws -> String {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vigil").path
        for candidate in [besideTests, packageRoot.appendingPathComponent(".build/debug/vigil").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw TestSetupError("the vigil executable is not built: run `swift build` (or `swift test`, which builds it) first")
    }

    /// Runs a program to completion and returns its standard output; throws when it exits with a failure.
    public static func run(_ path: String, arguments: [String]) throws -> String {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        // Standard error to a file (nothing to drain while it runs), read back for the message when it fails.
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let errors = folder.url.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw TestSetupError("\(path) exited with status \(process.terminationStatus)" + (stderr.isEmpty ? "" : ": \(stderr.suffix(3000))"))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a program to completion with extra environment variables; returns its standard output, and throws with its
    /// standard error when it fails. (Output goes to files: a chatty program cannot block on a full pipe.)
    @discardableResult
    public static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let out = folder.url.appendingPathComponent("out"), err = folder.url.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            throw TestSetupError("\((path as NSString).lastPathComponent) \(arguments.prefix(3).joined(separator: " ")) exited with status "
                                 + "\(process.terminationStatus): \(stderr.suffix(2000))")
        }
        return stdout
    }

    /// What a finished process wrote and how it ended.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts `process` and waits for it to exit without holding one of Swift's cooperative threads. (A blocking
    /// `waitUntilExit` there starves a server the same test runs in-process: on a 2-core machine two blocked tests
    /// leave it no thread, and the child's requests to it time out.)
    public static func runToExit(_ process: ChildProcess) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }

    /// `run(_:arguments:)` without holding a cooperative thread while the program runs (a browser session driving a
    /// server this test process serves, say): standard output is returned, standard error is in the error it throws.
    public static func runAsync(_ path: String, arguments: [String]) async throws -> String {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = try await collecting(process)
        guard output.status == 0 else {
            throw TestSetupError("\(path) exited with status \(output.status)" + (output.stderr.isEmpty ? "" : ": \(output.stderr.suffix(3000))"))
        }
        return output.stdout
    }

    /// Runs the `vigil` executable to completion.
    public static func runVigil(_ arguments: [String], environment: [String: String] = [:]) async throws -> Output {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: try vigil())
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        return try await collecting(process)
    }

    /// Runs `process` to completion (`runToExit`) and reads what it wrote. Output goes to files, not pipes, so nothing
    /// needs draining while the process runs.
    static func collecting(_ process: ChildProcess) async throws -> Output {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let out = folder.url.appendingPathComponent("out"), err = folder.url.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try await runToExit(process)
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
