import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Opening a PostgreSQL store: the schema is created once, and every way of failing to connect says why.
@Suite struct PostgresConnectionTests {
    @Test func migratesOnceAndReportsStatus() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let store = try await PostgresStore(url: url)
        #expect(try await store.generation() == 0)
        let status = try await store.migrationStatus()
        #expect(!status.isEmpty && status.allSatisfy(\.applied))
        // A second node opening the same database applies nothing.
        let second = try await PostgresStore(url: url)
        #expect(try await second.migrate() == [])
        await second.close()
        await store.close()
    }

    @Test func aStoreDroppedWithoutClosingClosesItsConnections() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        do {
            let store = try await PostgresStore(url: url)
            #expect(try await store.generation() == 0)
        }
        // postgres-nio asserts when a connection is freed open; the pool closes its idle ones when it goes.
        try await Task.sleep(nanoseconds: 200_000_000)
        let again = try await PostgresStore(url: url)
        #expect(try await again.generation() == 0)
        await again.close()
    }

    @Test func wrongPasswordIsReportedWithoutTheURLPassword() async throws {
        let server = try PostgresServer.shared()
        var components = server.adminURL
        components.password = "not-the-password"
        let error = await #expect(throws: StoreError.self) { try await PostgresStore(url: components.string!) }
        let message = error?.message ?? ""
        #expect(message.contains("could not sign in"), "\(message)")
        #expect(!message.contains("not-the-password"))
    }

    @Test func missingDatabaseSaysToCreateIt() async throws {
        var components = try PostgresServer.shared().adminURL
        components.path = "/no_such_database"
        let error = await #expect(throws: StoreError.self) { try await PostgresStore(url: components.string!) }
        #expect(error?.message.contains("no_such_database") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("createdb") == true)
    }

    @Test func unreachableServerFailsAtOnce() async throws {
        let port = try LoopbackPort.free()
        let error = await #expect(throws: StoreError.self) {
            try await PostgresStore(url: "postgres://vigil@127.0.0.1:\(port)/vigil?sslmode=disable")
        }
        #expect(error?.message.contains("127.0.0.1:\(port)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("Is PostgreSQL running") == true)
    }

    @Test func badURLsAreRejectedWithTheReason() throws {
        #expect(throws: StoreError.self) { try PostgresConfiguration(url: "postgres://u@h:99999/db") }
        #expect(throws: StoreError.self) { try PostgresConfiguration(url: "postgres://u@h/db?sslmode=sometimes") }
        #expect(throws: StoreError.self) { try PostgresConfiguration(url: "postgres://u@h/db?colour=blue") }
        let configuration = try PostgresConfiguration(url: "postgres://alice:s3cret@db.example:6543/plants?sslmode=require&pool=4",
                                                      environment: [:])
        #expect(configuration.host == "db.example" && configuration.port == 6543 && configuration.database == "plants")
        #expect(configuration.password == "s3cret" && configuration.poolSize == 4 && configuration.tls == .require)
        #expect(!configuration.description.contains("s3cret") && !configuration.redactedURL.contains("s3cret"))
        #expect(StoreLocation("postgres://alice:s3cret@db.example/plants").description == "postgres://alice@db.example:5432/plants")
        #expect(StoreLocation("sqlite:/tmp/a.sqlite") == .sqlite(path: "/tmp/a.sqlite"))
        #expect(StoreLocation("vigil.sqlite") == .sqlite(path: "vigil.sqlite"))
    }

    @Test func passwordFromAFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("pw").path
        try Data("from-file\n".utf8).write(to: URL(fileURLWithPath: file))
        let configuration = try PostgresConfiguration(url: "postgres://alice@db/plants",
                                                      environment: ["VIGIL_DB_PASSWORD_FILE": file, "PGPASSWORD": "from-env"])
        #expect(configuration.password == "from-file")
        #expect(try PostgresConfiguration(url: "postgres://alice@db/plants", environment: ["PGPASSWORD": "from-env"]).password == "from-env")
    }
}
