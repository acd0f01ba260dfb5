import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// A bulk import into PostgreSQL hands the store the next batch while the one before is being stored
/// (`PostgresStore.batchPipeline()`); the order of what is stored and what a failure leaves must be as one at a time.
@Suite("PostgreSQL: the import pipeline")
struct PipelineTests {
    /// Writes ProConOS's advisory renamed, one file per (ID, vendor), in path order.
    static func folder(_ documents: [(id: String, vendor: String)]) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        for (index, document) in documents.enumerated() {
            let incoming = try AdvisoryContractTests.renamed(document.id, vendor: document.vendor)
            _ = try folder.write(incoming.bytes, to: String(format: "%02d.json", index))
        }
        return folder
    }

    /// A trigger that makes storing TEST-C fail: on its advisory row (written with the batch's documents, before the
    /// batch before has committed) or on its journal entry (written after).
    static func injectFailure(on table: String, into store: any VigilStore) async throws {
        let postgres = try #require(store as? PostgresStore)
        try await postgres.execute("""
            CREATE FUNCTION vigil_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.\(table == "advisories" ? "id" : "advisory_id") = 'TEST-C' THEN RAISE EXCEPTION 'injected failure for TEST-C'; END IF;
              RETURN NEW;
            END $$
            """)
        try await postgres.execute("CREATE TRIGGER vigil_test_fail BEFORE INSERT ON \(table) FOR EACH ROW EXECUTE FUNCTION vigil_test_fail()")
    }

    @Test("a batch that fails: the batches before it stay stored, it and every later one are not, nothing is left locked",
          arguments: ["advisories", "advisory_changes"])
    func failingBatch(_ table: String) async throws {
        let names = ["TEST-A", "TEST-B", "TEST-C", "TEST-D", "TEST-E", "TEST-F", "TEST-G", "TEST-H"]
        let folder = try Self.folder(names.map { ($0, "Acme \($0)") })
        defer { folder.remove() }
        try await Backend.postgres.withStore { store in
            try await Self.injectFailure(on: table, into: store)
            let importer = LocalImporter(options: .init(batchSize: 2))
            do {
                _ = try await importer.run(paths: [folder.url.path], into: store)
                Issue.record("the import should have failed on TEST-C")
            } catch {
                #expect("\(error)".contains("injected failure for TEST-C"), "\(error)")
            }
            let stored = Set(try await store.search(AdvisoryQuery()).items.map(\.id))
            #expect(stored == ["TEST-A", "TEST-B"])
            #expect(try await store.statistics().documents == 2)

            // Nothing was left locked or half-written: the rest imports at once, in order.
            try FileManager.default.removeItem(at: folder.url.appendingPathComponent("02.json"))
            let summary = try await importer.run(paths: [folder.url.path], into: store)
            #expect(summary.accepted == 7)
            #expect(Set(try await store.search(AdvisoryQuery()).items.map(\.id)) == Set(names).subtracting(["TEST-C"]))
            #expect(try await store.vendors().map(\.slug).sorted()
                    == ["acme-test-a", "acme-test-b", "acme-test-d", "acme-test-e", "acme-test-f", "acme-test-g", "acme-test-h"])
        }
    }

    @Test("batches through the pipeline store the same as one at a time: IDs, slugs, outcomes and history")
    func sameAsOneAtATime() async throws {
        // Vendors that collide in slug across batches.
        let documents: [(id: String, vendor: String)] = [
            ("TEST-1", "Acme"), ("TEST-2", "ACME!"), ("TEST-3", "Beta"), ("TEST-4", "acme"), ("TEST-5", "Beta GmbH"),
            ("TEST-6", "Gamma"), ("TEST-7", "beta"), ("TEST-8", "Acme."),
        ]
        let folder = try Self.folder(documents)
        defer { folder.remove() }
        var results: [[String]] = []
        for batchSize in [1, 2, 3, 64] {
            try await Backend.postgres.withStore { store in
                let summary = try await LocalImporter(options: .init(batchSize: batchSize)).run(paths: [folder.url.path], into: store)
                #expect(summary.accepted == documents.count)
                var lines: [String] = []
                for vendor in try await store.vendors().sorted(by: { $0.slug < $1.slug }) {
                    lines.append("\(vendor.slug)=\(vendor.name)")
                }
                for document in documents {
                    let stored = try await store.advisory(id: document.id)
                    lines.append("\(document.id)#\(stored?.document.documentID ?? -1)")
                }
                results.append(lines)
            }
        }
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0 == results[0] }, "\(results)")
        #expect(results[0].contains("acme-2=ACME!"))
        #expect(results[0].contains("acme-3=acme"))
        #expect(results[0].contains("TEST-8#8"))
    }
}
