import CSAF
import Foundation
import Matching
import Storage
import Store
import Testing
import VigilTestSupport

/// Several nodes writing one PostgreSQL database at the same moment: what SQLite never faces (it has one writer).
@Suite("PostgreSQL: nodes ingesting at once")
struct PostgresConcurrencyTests {
    /// Two stores (two nodes' pools) on one new database.
    static func twoNodes<T>(_ body: (PostgresStore, PostgresStore) async throws -> T) async throws -> T {
        let url = try PostgresServer.shared().makeDatabase(prefix: "nodes")
        let first = try await PostgresStore(url: url)
        let second = try await PostgresStore(url: url)
        do {
            let result = try await body(first, second)
            await first.close()
            await second.close()
            return result
        } catch {
            await first.close()
            await second.close()
            throw error
        }
    }

    @Test("the same new advisory from two nodes at once: one new, one unchanged, stored once, journalled once")
    func sameAdvisoryTwice() async throws {
        let document = try Incoming.document(Corpus.proconos)
        try await Self.twoNodes { a, b in
            for round in 0..<5 {
                var renamed = document
                // A different advisory each round, so that each round races on a new one.
                renamed.advisory.id = "ICSA-22-172-04-\(round)"
                let document = renamed
                let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                    group.addTask { try await a.ingest(document) }
                    group.addTask { try await b.ingest(document) }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.sorted { $0.rawValue < $1.rawValue } == [.new, .unchanged], "round \(round)")
                #expect(try await a.advisory(id: document.advisory.id)?.revisions.count == 1)
            }
            #expect(try await a.statistics().advisories == 5)
            #expect(try await b.statistics().documents == 5)
            #expect(try await Journal.entries(a).count == 5)
            // One vendor row, though both nodes saw it new at the same time.
            #expect(try await b.vendors().map(\.name) == ["Phoenix Contact"])
        }
    }

    @Test("batches of overlapping advisories from two nodes at once: every document stored once, no error")
    func overlappingBatches() async throws {
        let documents = try Corpus.cisa(year: 2019)
        #expect(documents.count > 50)
        try await Self.twoNodes { a, b in
            let organisation = try #require(try await a.organisation(named: "Plant", create: true))
            async let first = a.ingest(batch: documents)
            async let second = b.ingest(batch: documents.reversed())
            // An inventory imported by a third party meanwhile: exposures must come out whole either way.
            async let inventory = b.importAssets(AssetContractTests.inventory + [
                AssetDraft(vendor: "Siemens", product: "SIMATIC S7-300", version: "3.0"),
            ], organisationID: organisation.id, replace: false)
            let (outcomesA, outcomesB, _) = try await (first, second, inventory)
            let reversedB = Array(outcomesB.reversed())
            for (x, y) in zip(outcomesA, reversedB) {
                #expect([x, y].filter { $0 == .new }.count == 1 && [x, y].filter { $0 == .unchanged }.count == 1)
            }
            #expect(try await a.statistics().advisories == documents.count)
            #expect(try await a.statistics().documents == documents.count)
            #expect(Set(try await b.vendors().map(\.slug)).count == (try await b.vendors()).count)
            let exposures = try await a.exposures(organisationID: organisation.id, filter: ExposureFilter(includeNotAffected: true))
            #expect(try await a.recomputeExposures() == exposures.count)
            #expect(try await a.exposures(organisationID: organisation.id, filter: ExposureFilter(includeNotAffected: true))
                        .map(\.exposure) == exposures.map(\.exposure))
        }
    }
}
