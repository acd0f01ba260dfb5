import Foundation

/// A throwaway PostgreSQL cluster for the tests: `initdb` into a temporary folder and `pg_ctl start` on a free loopback
/// port, once per test process, stopped when the process exits. Each test gets a database of its own
/// (`makeDatabase()`), so tests run in parallel without seeing each other's rows.
///
/// With `VIGIL_TEST_POSTGRES_URL` set (`postgres://USER:PASSWORD@HOST:PORT/postgres`), that server is used instead and
/// must let the user create databases. Without either, the tests fail: PostgreSQL is part of what they check, so it is
/// never skipped silently. Debian: `apt-get install postgresql`.
public final class PostgresServer: @unchecked Sendable {
    /// A URL to the server's maintenance database (for `CREATE DATABASE`), with the password.
    public let adminURL: URLComponents
    public let port: Int
    public let host: String
    /// The folder holding the cluster, its log and socket (nil for an external server).
    public let folder: URL?
    private let psql: String
    private let lock = NSLock()
    private var counter = 0

    public static let password = "vigil-test-\(UUID().uuidString.prefix(8))"
    public static let user = "vigil"

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var sharedServer: Result<PostgresServer, any Error>?
    nonisolated(unsafe) private static var serverProcessID: pid_t = 0
    nonisolated(unsafe) private static var serverFolder = ""

    /// Clusters left by test runs that did not end normally (a crash skips `atexit`): their server is stopped and their
    /// folder removed, so repeated runs do not pile up servers and gigabytes in the temporary folder.
    private static func removeStaleClusters() {
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory())
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix("vigil-pg-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 4, let owner = pid_t(parts[2]), owner != getpid() else { continue }
            // The test process that made it is still running: not stale.
            if kill(owner, 0) == 0 || errno != ESRCH { continue }
            let folder = temporary.appendingPathComponent(name)
            if let pidFile = try? String(contentsOf: folder.appendingPathComponent("data/postmaster.pid"), encoding: .utf8),
               let line = pidFile.split(separator: "\n").first, let server = pid_t(line), server > 0 {
                kill(server, SIGQUIT)
            }
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Stops the server (immediate shutdown) and removes its folder, waiting a moment for it to let go of its files.
    private static func stopAndRemove() {
        guard serverProcessID > 0 else { return }
        kill(serverProcessID, SIGQUIT)
        let pidFile = serverFolder + "/data/postmaster.pid"
        for _ in 0..<50 where FileManager.default.fileExists(atPath: pidFile) { usleep(20_000) }
        try? FileManager.default.removeItem(atPath: serverFolder)
    }

    /// The server every test in this process shares, started on first use.
    public static func shared() throws -> PostgresServer {
        sharedLock.lock()
        defer { sharedLock.unlock() }
        if let sharedServer { return try sharedServer.get() }
        let result = Result { try start() }
        sharedServer = result
        return try result.get()
    }

    /// A new, empty database; returns its postgres:// URL (with the password, as a user would put it in VIGIL_DB).
    public func makeDatabase(prefix: String = "t") throws -> String {
        let name: String = lock.withLock {
            counter += 1
            return "vigil_\(prefix)_\(getpid())_\(counter)"
        }
        try runPSQL(["-c", "CREATE DATABASE \(name)"])
        var components = adminURL
        components.path = "/" + name
        return components.string!
    }

    /// Runs SQL through psql against a database (the maintenance one by default), returning its unaligned output.
    @discardableResult
    public func runPSQL(_ arguments: [String], database: String? = nil) throws -> String {
        var url = adminURL
        if let database { url.path = "/" + database }
        let output = try Executables.run(psql, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url.string!] + arguments,
                                         environment: ["PGCONNECT_TIMEOUT": "10"])
        return output
    }

    private init(host: String, port: Int, adminURL: URLComponents, folder: URL?, psql: String) {
        self.host = host
        self.port = port
        self.adminURL = adminURL
        self.folder = folder
        self.psql = psql
    }

    private static func start() throws -> PostgresServer {
        let environment = ProcessInfo.processInfo.environment
        let psql = try binary("psql")
        if let external = environment["VIGIL_TEST_POSTGRES_URL"], !external.isEmpty {
            guard let components = URLComponents(string: external), let host = components.host else {
                throw TestSetupError("VIGIL_TEST_POSTGRES_URL is not a postgres:// URL")
            }
            return PostgresServer(host: host, port: components.port ?? 5432, adminURL: components, folder: nil, psql: psql)
        }
        let initdb = try binary("initdb")
        let postgres = try binary("postgres")
        removeStaleClusters()
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vigil-pg-\(getpid())-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = folder.appendingPathComponent("data").path
        let passwordFile = folder.appendingPathComponent("password").path
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: passwordFile))
        // PostgreSQL refuses to run as root: as root, run the cluster as the postgres user Debian's package creates.
        // setpriv execs in place (no forked child), so the process started is the server itself.
        var prefix: [String] = []
        if getuid() == 0 {
            prefix = [try binary("setpriv"), "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
            _ = try Executables.run("/bin/chown", ["-R", "postgres", folder.path])
            _ = try Executables.run("/bin/chmod", ["755", folder.path])
        }
        let initdbCommand = prefix + [initdb, "-D", data, "-U", user, "--pwfile", passwordFile, "--auth-local=trust",
                                      "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]
        _ = try Executables.run(initdbCommand[0], Array(initdbCommand.dropFirst()), environment: ["LC_ALL": "C.UTF-8"])
        // The server runs as this process's child, not through pg_ctl: a daemon inheriting Foundation's process-watching
        // descriptor would keep pg_ctl from ever seeming to exit.
        let logURL = folder.appendingPathComponent("server.log")
        var lastLog = ""
        for _ in 0..<3 {
            let port = try LoopbackPort.free()
            let command = prefix + [postgres, "-D", data, "-p", "\(port)", "-k", folder.path, "-c", "listen_addresses=127.0.0.1",
                                    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                                    "-c", "max_connections=300", "-c", "shared_buffers=128MB"]
            FileManager.default.createFile(atPath: logURL.path, contents: nil)
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.standardInput = FileHandle.nullDevice
            let log = try FileHandle(forWritingTo: logURL)
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            var ready = false
            while process.isRunning, Date() < deadline {
                lastLog = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
                if lastLog.contains("ready to accept connections") { ready = true; break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            guard ready else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                continue
            }
            serverProcessID = process.processIdentifier
            serverFolder = folder.path
            // Immediate shutdown: the cluster is thrown away with its folder.
            atexit { PostgresServer.stopAndRemove() }
            var components = URLComponents()
            components.scheme = "postgres"
            components.user = user
            components.password = password
            components.host = "127.0.0.1"
            components.port = port
            components.path = "/postgres"
            return PostgresServer(host: "127.0.0.1", port: port, adminURL: components, folder: folder, psql: psql)
        }
        throw TestSetupError("PostgreSQL did not start: \(lastLog.suffix(2000))")
    }

    /// A PostgreSQL program: on PATH, or in Debian's /usr/lib/postgresql/VERSION/bin.
    static func binary(_ name: String) throws -> String {
        if let found = try? Executables.find(name, hint: "") { return found }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        for version in versions {
            let path = "\(root)/\(version)/bin/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestSetupError("\(name) not found: the PostgreSQL tests need a PostgreSQL server (Debian: apt-get install postgresql), "
                             + "or VIGIL_TEST_POSTGRES_URL naming one")
    }
}
