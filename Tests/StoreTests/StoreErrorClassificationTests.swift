import Foundation
import GRDB
import Sources
@testable import Store
import Storage
import Testing
import VigilTestSupport

/// Driver errors come out of both stores as `StoreError`s of the right kind, from real failures wherever one can be
/// produced here: unique and not-null violations, a damaged file, a file that is not a database, a refused
/// connection, a database dropped under a running store.
@Suite("Store errors: driver failures classified by kind")
struct StoreErrorClassificationTests {
    static let insertUser = "INSERT INTO users(email, created_at) VALUES (?, ?)"
    static let insertUserWithoutDate = "INSERT INTO users(email) VALUES (?)"

    // MARK: SQLite

    @Test("SQLite: a real unique violation is a conflict, a real NOT NULL violation invalid with its column")
    func sqliteConstraints() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await store.writer.write { db in try db.execute(sql: Self.insertUser, arguments: ["ops@plant.example", "2026-01-01"]) }
        let duplicate = await #expect(throws: StoreError.self) {
            try await store.writer.write { db in try db.execute(sql: Self.insertUser, arguments: ["OPS@plant.example", "2026-01-02"]) }
        }
        #expect(duplicate?.kind == .conflict)
        #expect(duplicate?.message.contains("INSERT") == false, "the SQL stays in the detail")
        #expect(duplicate?.detail?.contains("UNIQUE constraint failed") == true, "\(duplicate?.detail ?? "")")
        let missing = await #expect(throws: StoreError.self) {
            try await store.writer.write { db in try db.execute(sql: Self.insertUserWithoutDate, arguments: ["qa@plant.example"]) }
        }
        #expect(missing?.kind == .invalid(field: "created_at"))
        #expect(missing?.detail?.contains("NOT NULL") == true)
        // A store API's own refusal keeps its words and names the field.
        let alias = await #expect(throws: StoreError.self) { try await store.setVendorAlias("--", canonical: "Siemens") }
        #expect(alias?.kind == .invalid(field: "alias"))
    }

    @Test("SQLite: a file whose pages were overwritten is corrupt, whether opening or reading finds it")
    func sqliteCorruptFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("vigil.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            _ = try await LocalImporter().run(paths: [try SharedData.url("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json").path],
                                              into: store)
            try await store.writer.base.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        // Keep page 1 (the header and the schema's root) and overwrite every other page with noise.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        #expect(size > 3 * 4096, "the fixture database is large enough to damage")
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data((4096..<Int(size)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }))
        try handle.close()
        let error = await #expect(throws: StoreError.self) {
            let store = try SQLiteStore(path: path)
            _ = try await store.search(AdvisoryQuery(text: "Phoenix"))
            _ = try await store.advisory(id: "ICSA-22-172-04")
        }
        #expect(error?.kind == .corrupt, "\(String(describing: error))")
    }

    @Test("SQLite: a file that is not a database is corrupt; a path SQLite cannot open is unavailable")
    func sqliteNotADatabaseAndCannotOpen() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("notes.sqlite").path
        try Data(String(repeating: "These are meeting notes, not a database.\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        let notADatabase = await #expect(throws: StoreError.self) { try SQLiteStore(path: path) }
        #expect(notADatabase?.kind == .corrupt, "\(String(describing: notADatabase))")
        #expect(notADatabase?.message.contains("could not open the database") == true, "the CLI's words are kept")

        let directory = folder.url.appendingPathComponent("a-folder").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cannotOpen = await #expect(throws: StoreError.self) { try SQLiteStore(path: directory) }
        #expect(cannotOpen?.kind == .unavailable, "\(String(describing: cannotOpen))")

        let missingFolder = await #expect(throws: StoreError.self) { try SQLiteStore(path: folder.url.appendingPathComponent("no/such/vigil.sqlite").path) }
        #expect(missingFolder?.kind == .unavailable)
    }

    @Test("SQLite result codes that a test cannot provoke quickly map by their code", arguments: [
        (ResultCode.SQLITE_BUSY, StoreError.Kind.unavailable), (.SQLITE_LOCKED, .unavailable), (.SQLITE_FULL, .unavailable),
        (.SQLITE_CANTOPEN, .unavailable), (.SQLITE_IOERR, .unavailable), (.SQLITE_CORRUPT, .corrupt), (.SQLITE_NOTADB, .corrupt),
        (.SQLITE_CONSTRAINT_PRIMARYKEY, .conflict), (.SQLITE_CONSTRAINT_CHECK, .invalid(field: nil)), (.SQLITE_TOOBIG, .invalid(field: nil)),
    ])
    func sqliteCodes(code: ResultCode, kind: StoreError.Kind) {
        let error = StoreError.classifying(sqlite: DatabaseError(resultCode: code, message: "m", sql: "SELECT secret FROM t"), path: "/data/vigil.sqlite")
        let classified = error as? StoreError
        #expect(classified?.kind == kind)
        #expect(classified?.message.contains("SELECT") == false)
    }

    @Test("SQLite: errors that are not the database's, and SQLITE_ERROR, pass through unchanged")
    func sqlitePassThrough() {
        #expect(StoreError.classifying(sqlite: CancellationError(), path: "p") is CancellationError)
        #expect(StoreError.classifying(sqlite: DatabaseError(resultCode: .SQLITE_ERROR, message: "no such table: x"), path: "p") is DatabaseError)
        let own = StoreError.notFound("organisation 4 does not exist")
        #expect((StoreError.classifying(sqlite: own, path: "p") as? StoreError)?.kind == .notFound)
    }

    // MARK: PostgreSQL

    @Test("PostgreSQL: a real unique violation is a conflict, NOT NULL and division by zero invalid")
    func postgresConstraints() async throws {
        let store = try await PostgresStore(url: try PostgresServer.shared().makeDatabase(prefix: "err"))
        try await store.execute(Self.insertUser, ["ops@plant.example", "2026-01-01"])
        let duplicate = await #expect(throws: StoreError.self) { try await store.execute(Self.insertUser, ["OPS@plant.example", "2026-01-02"]) }
        #expect(duplicate?.kind == .conflict)
        #expect(duplicate?.detail?.contains("23505") == true, "\(duplicate?.detail ?? "")")
        #expect(duplicate?.message.contains("INSERT") == false)
        let missing = await #expect(throws: StoreError.self) { try await store.execute(Self.insertUserWithoutDate, ["qa@plant.example"]) }
        #expect(missing?.kind == .invalid(field: "created_at"), "\(String(describing: missing))")
        let division = await #expect(throws: StoreError.self) { _ = try await store.fetchValue("SELECT 1 / 0", as: Int64.self) }
        #expect(division?.kind == .invalid(field: nil), "\(String(describing: division))")
        // Inside a transaction too (the path with the retries).
        let inTransaction = await #expect(throws: StoreError.self) {
            try await store.transaction { try await $0.execute(Self.insertUser, ["ops@plant.example", "2026-01-03"]) }
        }
        #expect(inTransaction?.kind == .conflict)
        // A statement the schema does not support is no kind: it stays the driver's error (a 500 at the web edge).
        await #expect(throws: PostgresFailure.self) { try await store.execute("SELECT * FROM no_such_table") }
        await store.close()
    }

    @Test("PostgreSQL: a refused connection is unavailable")
    func postgresConnectionRefused() async throws {
        var components = try PostgresServer.shared().adminURL
        components.host = "127.0.0.1"
        components.port = 1
        let error = await #expect(throws: StoreError.self) { try await PostgresStore(url: components.string!) }
        #expect(error?.kind == .unavailable, "\(String(describing: error))")
        #expect(error?.message.contains("could not connect") == true)
    }

    @Test("PostgreSQL: a database dropped under a running store makes its queries unavailable")
    func postgresDatabaseGone() async throws {
        let server = try PostgresServer.shared()
        let url = try server.makeDatabase(prefix: "gone")
        let store = try await PostgresStore(url: url)
        #expect(try await store.generation() == 0)
        let name = String(try #require(URLComponents(string: url)).path.dropFirst())
        try server.runPSQL(["-c", "DROP DATABASE \(name) WITH (FORCE)"])
        for _ in 0..<2 {  // the connection the store held, then a new one
            let error = await #expect(throws: StoreError.self) { _ = try await store.search(AdvisoryQuery()) }
            #expect(error?.kind == .unavailable, "\(String(describing: error))")
        }
        await store.close()
    }
}
