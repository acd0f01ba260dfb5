import Foundation
import Testing
import VigilTestSupport

/// `deploy/`: the systemd unit is valid, and the `vigil serve` command lines of the unit and of the container image
/// start the real server. (No container runtime runs here, so the image itself is not built.)
@Suite("Deployment files")
struct DeploymentTests {
    static let unitURL = Executables.packageRoot.appendingPathComponent("deploy/vigil.service")
    static let containerfileURL = Executables.packageRoot.appendingPathComponent("deploy/Containerfile")
    static let installedBinary = "/usr/local/bin/vigil"
    static let systemdAnalyze = "/usr/bin/systemd-analyze"

    /// The unit's `ExecStart=` words (it has no quoting).
    static func execStart() throws -> [String] {
        let unit = try String(contentsOf: unitURL, encoding: .utf8)
        let lines = unit.split(separator: "\n").filter { $0.hasPrefix("ExecStart=") }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        return line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
    }

    /// The image's `ENTRYPOINT` and `CMD`, both in exec (JSON) form.
    static func containerCommand() throws -> [String] {
        let text = try String(contentsOf: containerfileURL, encoding: .utf8)
        func instruction(_ name: String) throws -> [String] {
            let lines = text.split(separator: "\n").filter { $0.hasPrefix(name + " ") }
            #expect(lines.count == 1, "one \(name)")
            let json = try #require(lines.first).dropFirst(name.count + 1)
            return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String])
        }
        return try instruction("ENTRYPOINT") + instruction("CMD")
    }

    /// Runs `systemd-analyze verify` on a unit file; its exit status and every line it printed.
    func verify(_ path: String) async throws -> (status: Int32, lines: [String]) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: Self.systemdAnalyze)
        process.arguments = ["verify", path]
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let output = folder.url.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try await Executables.runToExit(process)
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
    }

    @Test("systemd-analyze verify finds nothing wrong with the unit once its ExecStart names an existing vigil",
          .enabled(if: FileManager.default.isExecutableFile(atPath: systemdAnalyze)))
    func unitVerifies() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let unit = try String(contentsOf: Self.unitURL, encoding: .utf8)
        #expect(unit.contains("ExecStart=\(Self.installedBinary) serve"))
        // The unit names the installed binary; this machine has the one built for the tests.
        let copy = folder.url.appendingPathComponent("vigil.service")
        try unit.replacingOccurrences(of: "ExecStart=\(Self.installedBinary) ", with: "ExecStart=\(try Executables.vigil()) ")
            .write(to: copy, atomically: true, encoding: .utf8)
        let checked = try await verify(copy.path)
        #expect(checked.status == 0)
        #expect(checked.lines == [], "systemd-analyze verify: \(checked.lines.joined(separator: "\n"))")

        // The unit as shipped: at most the complaint that vigil is not installed on this machine.
        let shipped = try await verify(Self.unitURL.path)
        if FileManager.default.isExecutableFile(atPath: Self.installedBinary) {
            #expect(shipped.status == 0)
            #expect(shipped.lines == [])
        } else {
            for line in shipped.lines {
                #expect(line.contains("Command \(Self.installedBinary) is not executable"), "systemd-analyze verify: \(line)")
            }
        }
    }

    @Test("the unit asks for the hardening the README promises, and no secrets")
    func unitHardening() throws {
        let unit = try String(contentsOf: Self.unitURL, encoding: .utf8)
        let settings = Set(unit.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }.map(String.init))
        for expected in ["User=vigil", "StateDirectory=vigil", "WorkingDirectory=/var/lib/vigil", "EnvironmentFile=-/etc/vigil/vigil.env",
                         "Restart=on-failure", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes",
                         "PrivateDevices=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
                         "ProtectControlGroups=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces=yes",
                         "LockPersonality=yes", "MemoryDenyWriteExecute=yes", "SystemCallFilter=@system-service", "CapabilityBoundingSet=",
                         "UMask=0077"] {
            #expect(settings.contains(expected), "\(expected)")
        }
        #expect(!settings.contains { $0.hasPrefix("Environment=") }, "settings with secrets belong in the environment file")
        #expect(try Self.execStart().contains("--db"))
    }

    /// Runs the real `vigil serve` with `words` (after the program), the database and port swapped for a temporary
    /// file (or `database`) and a free port, and `--no-sync`: it must get past argument parsing and answer `/healthz`,
    /// and then each of `paths` with 200. `launcher` runs before vigil, with vigil's path and arguments after it.
    func startsWith(_ words: [String], database: String? = nil, launcher: [String] = [], paths: [String] = []) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(words.first == "serve")
        let port = try LoopbackPort.free()
        var arguments = words
        for (option, value) in [("--db", database ?? folder.url.appendingPathComponent("vigil.sqlite").path), ("--port", "\(port)")] {
            let index = try #require(arguments.firstIndex(of: option), "\(option) in \(words)")
            arguments[index + 1] = value
        }
        arguments.append("--no-sync")
        let log = folder.url.appendingPathComponent("log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = ChildProcess()
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [try Executables.vigil()] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: try Executables.vigil())
            process.arguments = arguments
        }
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var status: Int?
        for _ in 0..<150 where status == nil && process.isRunning {
            if let connection = try? RawConnection(port: port) {
                await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                status = await connection.readResponse(timeout: .seconds(5))?.status
                connection.close()
            }
            if status == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        var answers: [String: Int] = [:]
        for path in paths where status == 200 {
            let connection = try RawConnection(port: port)
            await connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answers[path] = await connection.readResponse(timeout: .seconds(10))?.status
            connection.close()
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(status == 200, "vigil \(arguments.joined(separator: " ")): \(text.suffix(2000))")
        for path in paths { #expect(answers[path] == 200, "\(path): \(text.suffix(2000))") }
    }

    /// A Python launcher that turns on the kernel's memory-deny-write-execute for itself (prctl PR_SET_MDWE, Linux
    /// 6.3 and later; kept across exec) and then runs the program after it: what `MemoryDenyWriteExecute=yes` enforces,
    /// without systemd. Nil when this kernel or machine cannot.
    func denyWriteExecute(in folder: TemporaryFolder) throws -> [String]? {
        guard let python = try? Executables.find("python3", hint: "apt-get install python3") else { return nil }
        let script = folder.url.appendingPathComponent("mdwe.py")
        try """
            import ctypes, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(65, 1, 0, 0, 0) != 0:   # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
                sys.exit(77)
            libc.mmap.restype = ctypes.c_void_p
            if sys.argv[1] == "--check":          # a writable and executable mapping must now be refused
                sys.exit(0 if libc.mmap(None, 4096, 7, 0x22, -1, 0) in (None, ctypes.c_void_p(-1).value) else 1)
            os.execv(sys.argv[1], sys.argv[1:])
            """.write(to: script, atomically: true, encoding: .utf8)
        let check = ChildProcess()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = [script.path, "--check"]
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { return nil }
        return [python, script.path]
    }

    @Test("vigil imports, serves pages and syncs with writable memory never executable (MemoryDenyWriteExecute=yes)")
    func runsWithoutWritableExecutableMemory() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        guard let launcher = try denyWriteExecute(in: folder) else {
            print("skipped: this kernel has no PR_SET_MDWE (Linux 6.3+)")
            return
        }
        let database = folder.url.appendingPathComponent("vigil.sqlite").path
        let deadSource = try await StructuredLogTests().storeWithDeadSource(database)
        let document = try folder.copy("providers/cisa/csaf_files/OT/white/2019/icsa-19-038-02.json")
        let vigil = try Executables.vigil()
        func run(_ arguments: [String]) async throws -> Int32 {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [vigil] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try await Executables.runToExit(process)
            return process.terminationStatus
        }
        // Hashing and JSON decoding on import; the HTTP client and TLS stack in a sync (of a source that cannot be
        // reached: exit status 1, not a crash).
        #expect(try await run(["import", "--db", database, document]) == 0)
        #expect(try await run(["sources", "sync", "--db", database, "--source", deadSource]) == 1)
        try await startsWith(Array(try Self.execStart().dropFirst()), database: database, launcher: launcher,
                             paths: ["/", "/advisories/ICSA-19-038-02", "/api/v1/advisories", "/sources", "/feed.atom"])
    }

    @Test("every option in the unit's ExecStart is accepted by vigil serve, which then serves")
    func unitCommandLineStarts() async throws {
        let words = try Self.execStart()
        #expect(words.first == Self.installedBinary)
        try await startsWith(Array(words.dropFirst()))
    }

    @Test("the image's ENTRYPOINT and CMD are a vigil serve command line that starts, listening on every interface")
    func containerCommandLineStarts() async throws {
        let words = try Self.containerCommand()
        #expect(words.first == Self.installedBinary)
        let serve = Array(words.dropFirst())
        #expect(serve.firstIndex(of: "--host").map { serve[$0 + 1] } == "0.0.0.0")
        #expect(serve.firstIndex(of: "--port").map { serve[$0 + 1] } == "8080")
        try await startsWith(serve)
    }

    @Test("the image is built in a Swift stage and runs as a non-root user from a slim Debian with a volume, a port and a health check")
    func containerfileShape() throws {
        let text = try String(contentsOf: Self.containerfileURL, encoding: .utf8)
        let instructions = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix(" ") && !$0.isEmpty }.map(String.init)
        let stages = instructions.filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2)
        #expect(stages.first?.hasPrefix("FROM swift:6.3") == true)
        #expect(stages.last == "FROM debian:bookworm-slim")
        #expect(text.contains("--static-swift-stdlib"))
        #expect(text.contains("*.resources"), "the templates' resource bundle is copied beside the binary")
        #expect(instructions.contains { $0.hasPrefix("USER ") && !$0.contains("root") })
        #expect(instructions.contains("VOLUME /var/lib/vigil"))
        #expect(instructions.contains("EXPOSE 8080"))
        #expect(instructions.contains { $0.hasPrefix("HEALTHCHECK ") })
        let ignore = try String(contentsOf: Executables.packageRoot.appendingPathComponent(".dockerignore"), encoding: .utf8)
        #expect(ignore.split(separator: "\n").contains(".build/"))
        #expect(!ignore.split(separator: "\n").contains { $0.hasPrefix("Tests") }, "Package.swift needs the test folders")
    }
}
