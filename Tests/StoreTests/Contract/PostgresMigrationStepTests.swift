import Foundation
@testable import Store
import Storage
import Testing
import VigilTestSupport

/// PostgreSQL's schema migrations, each in its own transaction with its `schema_migrations` row: a migration that
/// fails is rolled back alone, the ones before it stay applied and recorded, and the next run resumes at it.
@Suite struct PostgresMigrationStepTests {
    @Test("a failing migration leaves the earlier ones applied and recorded; the next run applies only what is left")
    func failureKeepsEarlierMigrations() async throws {
        let url = try PostgresServer.shared().makeDatabase(prefix: "steps")
        let store = try await PostgresStore(url: url, migrate: false)
        defer { Task { await store.close() } }
        let good = PostgresStore.Migration(name: "test-good", statements: ["CREATE TABLE test_good (x INT)"])
        let broken = PostgresStore.Migration(name: "test-broken", statements: [
            "CREATE TABLE test_broken (x INT)", "INSERT INTO no_such_table VALUES (1)",
        ])
        await #expect(throws: (any Error).self) { try await store.migrate(PostgresStore.migrations + [good, broken]) }

        let recorded = Set(try await store.fetchValues("SELECT name FROM schema_migrations", as: String.self))
        #expect(recorded == Set(PostgresStore.migrations.map(\.name) + ["test-good"]))
        #expect(try await store.fetchValue("SELECT to_regclass('test_good')::text", as: String.self) == "test_good")
        #expect(try await store.fetchValue("SELECT to_regclass('documents')::text", as: String.self) == "documents")
        // The failing migration left nothing behind, not even its first statement.
        #expect(try await store.fetchValue("SELECT to_regclass('test_broken')::text", as: String.self) == nil)

        let fixed = PostgresStore.Migration(name: "test-broken", statements: ["CREATE TABLE test_broken (x INT)"])
        #expect(try await store.migrate(PostgresStore.migrations + [good, fixed]) == ["test-broken"])
        #expect(try await store.migrate(PostgresStore.migrations + [good, fixed]) == [])
    }
}
