import Foundation
import Testing
import VigilTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The tests' own child processes (`ChildProcess`, used instead of Foundation's `Process`, whose `run()` can crash the
/// test runner on Linux): exit statuses, signals, pipes and their end of file, environment, working directory, and
/// a child that inherits none of the runner's descriptors.
@Suite struct ChildProcessTests {
    private func shell(_ script: String) -> ChildProcess {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        return process
    }

    @Test func exitStatusAndSignal() throws {
        let exits = shell("exit 7")
        try exits.run()
        exits.waitUntilExit()
        #expect(exits.terminationReason == .exit)
        #expect(exits.terminationStatus == 7)
        #expect(!exits.isRunning)

        let killed = shell("kill -KILL $$")
        try killed.run()
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal)
        #expect(killed.terminationStatus == SIGKILL)

        let terminated = shell("sleep 30")
        try terminated.run()
        #expect(terminated.isRunning)
        terminated.terminate()
        terminated.waitUntilExit()
        #expect(terminated.terminationReason == .uncaughtSignal)
        #expect(terminated.terminationStatus == SIGTERM)
    }

    /// A stream not given is `/dev/null`, opened by the child; `FileHandle.nullDevice` is the same.
    @Test func unsetStreamsAreDevNull() throws {
        for stdin: FileHandle? in [nil, FileHandle.nullDevice] {
            let process = shell("readlink /proc/self/fd/0; readlink /proc/self/fd/2 >&1; cat")
            process.standardInput = stdin
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(text == "/dev/null\n/dev/null\n", "cat read nothing from /dev/null")
            #expect(process.terminationStatus == 0)
        }
    }

    @Test func missingExecutableIsAnError() {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/nonexistent/vigil-no-such-program")
        #expect(throws: (any Error).self) { try process.run() }
        #expect(!process.isRunning)
    }

    /// Both pipe ends the child uses are closed here once it runs: reading its output ends when it exits, and closing
    /// our end of its input ends `cat`.
    @Test func pipesReachEndOfFile() throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/cat")
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("über\nzwei\n".utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(String(decoding: data, as: UTF8.self) == "über\nzwei\n")
        #expect(process.terminationStatus == 0)
    }

    @Test func environmentAndWorkingDirectory() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let process = shell(#"printf '%s|%s|%s' "$VIGIL_CHILD_TEST" "$(pwd -P)" "${HOME-unset}"; echo oops >&2"#)
        process.environment = ["VIGIL_CHILD_TEST": "a value with spaces"]
        process.currentDirectoryURL = folder.url
        let output = Pipe()
        process.standardOutput = output
        let errors = folder.url.appendingPathComponent("errors")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let resolved = folder.url.resolvingSymlinksInPath().path
        #expect(text == "a value with spaces|\(resolved)|unset")
        #expect(try String(contentsOf: errors, encoding: .utf8) == "oops\n")
    }

    /// The runner holds many descriptors (stores, sockets, other tests' pipes); the child must see only 0, 1 and 2, or
    /// a pipe another test reads never reaches its end of file while this child lives.
    @Test func childInheritsNoOtherDescriptors() throws {
        var opened: [Int32] = []
        defer { opened.forEach { close($0) } }
        for _ in 0..<300 {
            let descriptor = open("/dev/null", O_RDONLY)   // without O_CLOEXEC on purpose
            try #require(descriptor >= 0)
            opened.append(descriptor)
        }
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/ls")
        process.arguments = ["/proc/self/fd"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let listing = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let descriptors = Set(listing.split(separator: "\n").compactMap { Int($0) })
        // 0–2 are the standard streams and 3 is `ls`'s own handle on the folder it lists.
        #expect(descriptors == [0, 1, 2, 3], "the child inherited \(descriptors.sorted())")
    }

    /// Many children at once, from many threads, with a large descriptor table: each exit is collected once, by the
    /// right child, and the termination handler runs exactly once for each.
    @Test func manyConcurrentChildren() async throws {
        var opened: [Int32] = []
        defer { opened.forEach { close($0) } }
        for _ in 0..<1_200 {
            let descriptor = open("/dev/null", O_RDONLY)
            try #require(descriptor >= 0)
            opened.append(descriptor)
        }
        let statuses = try await withThrowingTaskGroup(of: (Int, Int32).self) { group in
            for index in 0..<120 {
                group.addTask {
                    let process = shell("exit \(index % 50)")
                    try await Executables.runToExit(process)
                    return (index, process.terminationStatus)
                }
            }
            var statuses: [Int: Int32] = [:]
            for try await (index, status) in group { statuses[index] = status }
            return statuses
        }
        #expect(statuses.count == 120)
        for (index, status) in statuses { #expect(status == Int32(index % 50), "child \(index)") }
    }
}
