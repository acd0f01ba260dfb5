import Foundation
import GRDB
import Storage
import Store
import Testing
import VigilTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `vigil backup` and `vigil restore` on real SQLite files, run as the real executable where the behaviour crosses
/// processes: a backup taken while an import writes, a restored store served, a restore refused while a server runs,
/// and damaged or foreign backups refused with the store left as it was.
@Suite("Backup and restore", .serialized)
struct BackupRestoreTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// What a store file holds and whether its rows hang together (every document with its advisory rows).
    struct Consistency: Equatable {
        var integrity: [String]
        var advisories: Int
        var documents: Int
        var withoutDocument: Int
        var orphanDocuments: Int
        var searchable: Int
        var missingVulnerabilities: Int
        var foreignKeyProblems: Int

        static func of(_ path: String) throws -> Consistency {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                Consistency(
                    integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                    advisories: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisories") ?? -1,
                    documents: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? -1,
                    withoutDocument: try Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM advisories a LEFT JOIN documents d ON d.id = a.document_id
                        WHERE d.id IS NULL OR d.advisory_id <> a.id
                        """) ?? -1,
                    orphanDocuments: try Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM advisories a WHERE a.id = d.advisory_id)
                        """) ?? -1,
                    searchable: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisories_fts") ?? -1,
                    missingVulnerabilities: try Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM advisories a
                        WHERE a.cve_count <> (SELECT COUNT(*) FROM vulnerabilities v WHERE v.advisory_seq = a.seq)
                        """) ?? -1,
                    foreignKeyProblems: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count)
            }
        }

        /// `(advisory ID, document SHA-256)` of every stored document.
        static func documents(_ path: String) throws -> Set<String> {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT advisory_id || ' ' || sha256 FROM documents") })
        }
    }

    /// Counts advisories in a store another process is writing, through one read-only connection.
    final class Watcher {
        let path: String
        var queue: DatabaseQueue?
        init(path: String) { self.path = path }

        func advisories() -> Int? {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            do {
                if queue == nil {
                    var configuration = Configuration()
                    configuration.readonly = true
                    configuration.busyMode = .timeout(2)
                    queue = try DatabaseQueue(path: path, configuration: configuration)
                }
                return try queue!.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM advisories") }
            } catch {
                return nil
            }
        }
    }

    /// A `vigil serve --no-sync` child process on a free loopback port.
    struct Server {
        let process: ChildProcess
        let baseURL: String

        static func start(database: String) async throws -> Server {
            let port = try LoopbackPort.free()
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: try Executables.vigil())
            process.arguments = ["serve", "--no-sync", "--db", database, "--host", "127.0.0.1", "--port", "\(port)", "--log-level", "warning"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let server = Server(process: process, baseURL: "http://127.0.0.1:\(port)")
            for _ in 0..<600 {
                if let (_, status) = try? await server.get("/healthz"), status == 200 { return server }
                guard process.isRunning else { throw TestSetupError("vigil serve exited with status \(process.terminationStatus)") }
                try await Task.sleep(for: .milliseconds(100))
            }
            server.kill(SIGKILL)
            throw TestSetupError("vigil serve did not answer on \(server.baseURL)")
        }

        func get(_ path: String) async throws -> (Data, Int) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: baseURL + path)!)
            return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
        }

        func kill(_ signal: Int32) {
            guard process.isRunning else { return }
            Glibc.kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    /// A small store made by `vigil import` in its own process (so this process holds no lock on it).
    static func importedStore(_ folder: TemporaryFolder, name: String, files: [String]) async throws -> String {
        let database = folder.url.appendingPathComponent(name).path
        let cisa = try SharedData.url("providers/cisa/csaf_files/OT/white").path
        let result = try await Executables.runVigil(["import", "--db", database, "--quiet"] + files.map { "\(cisa)/\($0)" })
        guard result.status == 0 else { throw Failure(description: "vigil import failed: \(result.stderr)") }
        return database
    }

    static func bytes(_ path: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for suffix in ["", "-wal", "-shm"] {
            if let data = FileManager.default.contents(atPath: path + suffix) { files[suffix] = data }
        }
        return files
    }

    static func grouped(_ n: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: n)) ?? "\(n)"
    }

    static func rootPage(of table: String, in path: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try Int.fetchOne($0, sql: "SELECT rootpage FROM sqlite_master WHERE name = ?", arguments: [table]) ?? 2 }
    }

    static func execute(_ sql: String, in path: String) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { try $0.execute(sql: sql) }
    }

    static func leftovers(in folder: TemporaryFolder) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") || $0.contains(".tmp-") }
    }

    @Test("backups taken while an import writes pass integrity_check and hold a consistent prefix; restored, a server shows them")
    func backupUnderWriteLoadAndServeRestored() async throws {
        try await HeavyLoad.exclusive { try await backupUnderWriteLoadAndServeRestoredAlone() }
    }

    /// The test itself, run while no other heavy test loads the machine (`HeavyLoad`).
    func backupUnderWriteLoadAndServeRestoredAlone() async throws {
        let vigil = URL(fileURLWithPath: try Executables.vigil())
        let cisa = try SharedData.url("providers/cisa").path
        let folder = try TemporaryFolder()
        defer { folder.remove() }

        // Backups one after another while the import runs, from its first committed batch on. The import is fast,
        // so an attempt whose backups all missed it (none between the first batch and the end) is run again.
        var database = ""
        var midImport: [(path: String, contents: Consistency, stdout: String)] = []
        var attempts = 0
        while midImport.isEmpty, attempts < 4 {
            attempts += 1
            database = folder.url.appendingPathComponent("live-\(attempts).sqlite").path
            let process = ChildProcess()
            process.executableURL = vigil
            process.arguments = ["import", "--db", database, "--quiet", cisa]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
            let watcher = Watcher(path: database)
            while process.isRunning, (watcher.advisories() ?? 0) == 0 { usleep(5_000) }
            watcher.queue = nil
            var taken: [(path: String, stdout: String)] = []
            while process.isRunning {
                let path = folder.url.appendingPathComponent("during-\(attempts)-\(taken.count).backup").path
                let backup = try await Executables.runVigil(["backup", "--db", database, path])
                #expect(backup.status == 0, "\(backup.stderr)")
                #expect(backup.stdout.contains("integrity check ok"), "\(backup.stdout)")
                taken.append((path, backup.stdout))
            }
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let finished = try Consistency.documents(database)
            #expect(finished.count == 2_383)
            for backup in taken {
                let contents = try Consistency.of(backup.path)
                // Whole transactions only: every document with its advisory, search and vulnerability rows.
                #expect(contents.integrity == ["ok"])
                #expect(contents.documents == contents.advisories)
                #expect(contents.withoutDocument == 0)
                #expect(contents.orphanDocuments == 0)
                #expect(contents.searchable == contents.advisories)
                #expect(contents.missingVulnerabilities == 0)
                #expect(contents.foreignKeyProblems == 0)
                #expect(backup.stdout.contains("\(Self.grouped(contents.advisories)) advisories"), "\(backup.stdout)")
                #expect(!FileManager.default.fileExists(atPath: backup.path + "-wal"), "a backup is one self-contained file")
                // A prefix of what the import stored: every document in the backup is in the finished store.
                #expect(try Consistency.documents(backup.path).isSubset(of: finished))
                if contents.advisories > 0, contents.advisories < 2_383 { midImport.append((backup.path, contents, backup.stdout)) }
            }
            print("Backup under write load, attempt \(attempts): \(taken.count) backups during the import; mid-import ones hold "
                  + midImport.map { "\($0.contents.advisories)" }.joined(separator: ", ") + " of 2,383 advisories")
        }
        #expect(!midImport.isEmpty, "no backup landed between the import's first batch and its end in \(attempts) attempts")
        #expect(try Self.leftovers(in: folder).isEmpty)

        // A backup of the whole CISA store, and its figures.
        let full = folder.url.appendingPathComponent("full.backup").path
        let wholeBackup = try await Executables.runVigil(["backup", "--db", database, full])
        #expect(wholeBackup.status == 0, "\(wholeBackup.stderr)")
        print("Whole CISA store: \(wholeBackup.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")

        // A mid-import backup restores too.
        if let partial = midImport.first {
            let partialStore = folder.url.appendingPathComponent("partial.sqlite").path
            let restored = try await Executables.runVigil(["restore", "--db", partialStore, partial.path])
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try Consistency.of(partialStore).advisories == partial.contents.advisories)
        }

        // Restored to a new path and served.
        let restoredPath = folder.url.appendingPathComponent("restored.sqlite").path
        let restore = try await Executables.runVigil(["restore", "--db", restoredPath, full])
        #expect(restore.status == 0, "\(restore.stderr)")
        print("Restore: \(restore.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(try Consistency.of(restoredPath).advisories == 2_383)
        let server = try await Server.start(database: restoredPath)
        defer { server.kill(SIGTERM) }
        let (body, status) = try await server.get("/api/v1/advisories?per_page=5")
        #expect(status == 200)
        struct Page: Decodable {
            struct Item: Decodable { var id: String }
            var total: Int
            var items: [Item]
        }
        let page = try JSONDecoder().decode(Page.self, from: body)
        #expect(page.total == 2_383)
        #expect(page.items.count == 5)
        let (detail, detailStatus) = try await server.get("/api/v1/advisories/ICSA-22-172-04")
        #expect(detailStatus == 200)
        #expect(String(decoding: detail, as: UTF8.self).contains("CVE-2022-31801"))
    }

    @Test("restore refuses a store a running server uses and leaves it byte-identical; once the server is killed it succeeds")
    func restoreRefusedWhileServing() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let source = try await Self.importedStore(folder, name: "source.sqlite", files: [
            "2022/icsa-22-172-04.json", "2019/icsa-19-038-02.json", "2019/icsa-19-192-04.json"])
        let backupPath = folder.url.appendingPathComponent("source.backup").path
        let made = try await Executables.runVigil(["backup", "--db", source, backupPath])
        #expect(made.status == 0, "\(made.stderr)")

        let store = try await Self.importedStore(folder, name: "served.sqlite", files: ["2019/icsma-19-190-01.json"])
        let server = try await Server.start(database: store)
        defer { server.kill(SIGKILL) }
        let before = Self.bytes(store)
        let refused = try await Executables.runVigil(["restore", "--db", store, backupPath])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("in use by another Vigil process (pid \(server.process.processIdentifier))"), "\(refused.stderr)")
        #expect(refused.stderr.contains("stop `vigil serve`"))
        #expect(Self.bytes(store) == before, "the refused restore changed the store")
        #expect(try Self.leftovers(in: folder).isEmpty)
        let (_, status) = try await server.get("/api/v1/advisories")
        #expect(status == 200, "the server still answers")

        // Killed, not stopped: the kernel drops its lock, and its WAL and shared memory stay behind for restore to handle.
        server.kill(SIGKILL)
        let restored = try await Executables.runVigil(["restore", "--db", store, backupPath])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store + "-wal"))
        let after = try Consistency.of(store)
        #expect(after.integrity == ["ok"])
        #expect(after.advisories == 3)
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("served.sqlite.before-restore-") && !$0.hasSuffix("-wal") }
        #expect(kept.count == 1, "\(kept)")
        if let kept = kept.first {
            #expect(try Consistency.of(folder.url.appendingPathComponent(kept).path).advisories == 1, "the replaced store is kept whole")
        }
        // The restored store opens for a server again.
        let again = try await Server.start(database: store)
        defer { again.kill(SIGTERM) }
        let (body, _) = try await again.get("/api/v1/advisories")
        #expect(String(decoding: body, as: UTF8.self).contains("\"total\":3"))
    }

    @Test("restore refuses a store this process has open")
    func restoreRefusedInProcess() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let source = try await Self.importedStore(folder, name: "a.sqlite", files: ["2019/icsa-19-038-02.json"])
        let backupPath = folder.url.appendingPathComponent("a.backup").path
        _ = try SQLiteBackup.backup(store: source, to: backupPath, overwrite: false)
        let target = folder.url.appendingPathComponent("b.sqlite").path
        do {
            let open = try SQLiteStore(path: target)
            #expect(throws: SQLiteBackupError.self) { try SQLiteBackup.restore(backupPath, into: target, keepReplaced: true) }
            _ = open.path
        }
        let restored = try SQLiteBackup.restore(backupPath, into: target, keepReplaced: false)
        #expect(restored.contents.advisories == 1)
        #expect(restored.keptPath == nil)
    }

    @Test("files that are not a sound Vigil backup are refused and the store is left untouched")
    func hostileBackupsRefused() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await Self.importedStore(folder, name: "store.sqlite", files: ["2019/icsa-19-038-02.json"])
        let other = try await Self.importedStore(folder, name: "other.sqlite", files: [
            "2022/icsa-22-172-04.json", "2019/icsa-19-192-04.json"])
        let good = folder.url.appendingPathComponent("good.backup").path
        let made = try await Executables.runVigil(["backup", "--db", other, good])
        #expect(made.status == 0, "\(made.stderr)")
        let valid = try Data(contentsOf: URL(fileURLWithPath: good))
        let pageSize = Int(valid[16]) << 8 | Int(valid[17])

        var cases: [(name: String, bytes: Data, message: String)] = []
        cases.append(("text", Data("this is not a database\n".utf8), "is not a SQLite database"))
        cases.append(("empty", Data(), "is not a SQLite database"))
        cases.append(("truncated", valid.prefix(valid.count / 2), "is truncated"))
        // The advisories table's root page overwritten: a damaged b-tree that SQLite's checks must catch.
        let root = try Self.rootPage(of: "advisories", in: good)
        var corrupted = valid
        let start = (root - 1) * pageSize
        corrupted.replaceSubrange(start..<(start + pageSize), with: Data(repeating: 0x5A, count: pageSize))
        cases.append(("corrupted", corrupted, "damaged"))
        // A whole-page garbage in the middle of the file as well, past the header.
        var scrambled = valid
        for page in stride(from: 2, to: valid.count / pageSize, by: 3) {
            let offset = (page - 1) * pageSize + 8
            scrambled.replaceSubrange(offset..<(offset + 16), with: Data(repeating: 0xFF, count: 16))
        }
        cases.append(("scrambled", scrambled, ""))

        // Sound SQLite, but not a Vigil store, and a Vigil store from the future.
        let plain = folder.url.appendingPathComponent("plain.sqlite").path
        try Self.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1)", in: plain)
        cases.append(("plain", try Data(contentsOf: URL(fileURLWithPath: plain)), "not a Vigil store"))
        let future = folder.url.appendingPathComponent("future.work").path
        try valid.write(to: URL(fileURLWithPath: future))
        try Self.execute("INSERT INTO grdb_migrations(identifier) VALUES ('v99-from-the-future')", in: future)
        cases.append(("future", try Data(contentsOf: URL(fileURLWithPath: future)), "written by a newer Vigil"))

        let before = Self.bytes(store)
        for item in cases {
            let path = folder.url.appendingPathComponent("\(item.name).backup").path
            try item.bytes.write(to: URL(fileURLWithPath: path))
            let result = try await Executables.runVigil(["restore", "--db", store, path])
            #expect(result.status == 1, "\(item.name): \(result.status) \(result.stdout) \(result.stderr)")
            #expect(result.stderr.hasPrefix("vigil restore: "), "\(item.name): \(result.stderr)")
            if !item.message.isEmpty { #expect(result.stderr.contains(item.message), "\(item.name): \(result.stderr)") }
            #expect(Self.bytes(store) == before, "\(item.name): the store changed")
            #expect(try Self.leftovers(in: folder).isEmpty, "\(item.name)")
        }
        // A backup from an older Vigil (a migration not yet applied) is accepted: the store migrates when next opened.
        let older = folder.url.appendingPathComponent("older.backup").path
        try valid.write(to: URL(fileURLWithPath: older))
        try Self.execute("DELETE FROM grdb_migrations WHERE rowid = (SELECT MAX(rowid) FROM grdb_migrations)", in: older)
        let olderTarget = folder.url.appendingPathComponent("older.sqlite").path
        let fromOlder = try await Executables.runVigil(["restore", "--db", olderTarget, older])
        #expect(fromOlder.status == 0, "\(fromOlder.stderr)")
        #expect(fromOlder.stdout.contains("from an older Vigil: 1 migration(s) run when the store is next opened"), "\(fromOlder.stdout)")

        let missing = try await Executables.runVigil(["restore", "--db", store, folder.url.appendingPathComponent("nothing").path])
        #expect(missing.status == 1 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        #expect(try Consistency.of(store).advisories == 1)

        // Backups never overwrite without --force, and never leave a partial file.
        let existing = folder.url.appendingPathComponent("existing.backup").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))
        let refused = try await Executables.runVigil(["backup", "--db", store, existing])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("already exists; use --force"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("keep me".utf8))
        let forced = try await Executables.runVigil(["backup", "--force", "--db", store, existing])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Consistency.of(existing).advisories == 1)
        let nowhere = try await Executables.runVigil(["backup", "--db", store, folder.url.appendingPathComponent("no/such/folder/x.backup").path])
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr.contains("cannot create a file in"), "\(nowhere.stderr)")
        let noStore = try await Executables.runVigil(["backup", "--db", folder.url.appendingPathComponent("absent.sqlite").path,
                                                      folder.url.appendingPathComponent("absent.backup").path])
        #expect(noStore.status == 1 && noStore.stderr.contains("there is no SQLite store"), "\(noStore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("absent.sqlite").path), "backup created a store")
        #expect(try Self.leftovers(in: folder).isEmpty)
    }

    @Test("for a PostgreSQL store backup and restore print the pg_dump and pg_restore commands, without the password, and exit 3")
    func postgresPrintsCommands() async throws {
        let url = "postgres://vigil:s3cret@db.example.org:5433/vigil?sslmode=require&pool=4"
        let backup = try await Executables.runVigil(["backup", "--db", url, "/backups/vigil.dump"])
        #expect(backup.status == 3)
        #expect(backup.stdout.contains("pg_dump --format=custom --file='/backups/vigil.dump' "
                                       + "--dbname='postgresql://vigil@db.example.org:5433/vigil?sslmode=require'"), "\(backup.stdout)")
        #expect(backup.stdout.contains("pg_restore --clean --if-exists"))
        #expect(!backup.stdout.contains("s3cret") && !backup.stderr.contains("s3cret"))
        #expect(backup.stdout.contains("PGPASSWORD"))

        let restore = try await Executables.runVigil(["restore", "--db", url, "/backups/vigil.dump"])
        #expect(restore.status == 3)
        #expect(restore.stdout.contains("pg_restore --clean --if-exists --no-owner --single-transaction "
                                        + "--dbname='postgresql://vigil@db.example.org:5433/vigil?sslmode=require' '/backups/vigil.dump'"), "\(restore.stdout)")
        #expect(!restore.stdout.contains("s3cret"))

        let help = try await Executables.runVigil(["backup", "--help"])
        #expect(help.stdout.contains("3  PostgreSQL store: the pg_dump command was printed"), "\(help.stdout)")
        let restoreHelp = try await Executables.runVigil(["restore", "--help"])
        #expect(restoreHelp.stdout.contains("4  the store is in use by another Vigil process"), "\(restoreHelp.stdout)")
    }
}

/// A full disk, made real with a small tmpfs where this test may mount one (root in a container that allows it);
/// elsewhere the test says so and proves nothing.
@Suite("Backup and restore on a full disk", .serialized)
struct BackupFullDiskTests {
    @Test("a backup or restore that fills the disk fails with a sentence, leaves no file behind and the store untouched")
    func fullDisk() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let tiny = folder.url.appendingPathComponent("tiny").path
        try FileManager.default.createDirectory(atPath: tiny, withIntermediateDirectories: true)
        guard getuid() == 0, (try? Executables.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", tiny])) != nil else {
            print("Full disk: skipped, no tmpfs could be mounted here")
            return
        }
        defer { _ = try? Executables.run("/bin/umount", [tiny]) }
        // A store bigger than the small disk: 120 CISA documents.
        let big = folder.url.appendingPathComponent("big.sqlite").path
        let year = try SharedData.url("providers/cisa/csaf_files/OT/white/2023").path
        let files = try FileManager.default.contentsOfDirectory(atPath: year).filter { $0.hasSuffix(".json") }.sorted().prefix(120)
        let imported = try await Executables.runVigil(["import", "--db", big, "--quiet"] + files.map { "\(year)/\($0)" })
        #expect(imported.status == 0, "\(imported.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: big)[.size] as? Int) ?? 0
        try #require(size > 2_100_000, "the store (\(size) bytes) must be bigger than the 2 MB disk")

        let backup = try await Executables.runVigil(["backup", "--db", big, tiny + "/big.backup"])
        #expect(backup.status == 1)
        #expect(backup.stderr.contains("the disk is full") || backup.stderr.contains("No space left"), "\(backup.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tiny).isEmpty, "a partial file was left")

        // A small store on the full disk is left as it was when the backup to restore does not fit beside it.
        let small = try await Executables.runVigil(["import", "--db", tiny + "/small.sqlite", "--quiet", "\(year)/\(files[files.startIndex])"])
        #expect(small.status == 0, "\(small.stderr)")
        let bigBackup = folder.url.appendingPathComponent("big.backup").path
        let madeBig = try await Executables.runVigil(["backup", "--db", big, bigBackup])
        #expect(madeBig.status == 0, "\(madeBig.stderr)")
        let before = BackupRestoreTests.bytes(tiny + "/small.sqlite")
        let restore = try await Executables.runVigil(["restore", "--db", tiny + "/small.sqlite", bigBackup])
        #expect(restore.status == 1)
        #expect(restore.stderr.contains("the disk is full") || restore.stderr.contains("No space left"), "\(restore.stderr)")
        #expect(BackupRestoreTests.bytes(tiny + "/small.sqlite") == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tiny).sorted() == ["small.sqlite", "small.sqlite.lock"])
    }
}
