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

    /// The full path of a program on `PATH`; throws with `hint` (how to install it) when it is missing.
    public static func find(_ name: String, hint: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestSetupError("\(name) is not installed: \(hint)")
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSetupError("\(path) exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
