import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// The dashboard's advisories per month, as both stores count them.
@Suite struct DashboardContractTests {
    @Test("advisories per month and severity are the documents' initial release months (UTC), from the given month on",
          arguments: Backend.allCases)
    func advisoryCountsByMonth(backend: Backend) async throws {
        let documents = try Corpus.cisa(year: 2022)
        #expect(documents.count > 100)
        let current = Dictionary(documents.map { ($0.advisory.id, $0.advisory) }, uniquingKeysWith: { first, _ in first })
        let since = try #require(Timestamp.parse("2022-06-15T12:00:00Z"))
        var expected: [String: Int] = [:]
        for advisory in current.values {
            guard let date = advisory.initialReleaseDate else { continue }
            let month = String(Timestamp.format(date).prefix(7))
            if month >= "2022-06" { expected["\(month)|\(advisory.severity.rawValue)", default: 0] += 1 }
        }
        #expect(!expected.isEmpty)
        try await backend.withStore { store in
            _ = try await store.ingest(batch: documents)
            let counts = try await store.advisoryCountsByMonth(since: since)
            let answered = Dictionary(counts.map { ("\($0.month)|\($0.severity.rawValue)", $0.count) }, uniquingKeysWith: +)
            #expect(answered == expected)
            #expect(counts.count == answered.count, "one row per month and severity")
            #expect(counts.map(\.month) == counts.map(\.month).sorted(), "oldest month first")
            #expect(try await store.advisoryCountsByMonth(since: try #require(Timestamp.parse("2030-01-01T00:00:00Z"))).isEmpty)
        }
    }
}
