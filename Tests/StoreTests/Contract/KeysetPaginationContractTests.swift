import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Pagination by key (`AdvisoryQuery.after`, `AdvisoryPage.nextAfter`) on both stores: walking a list page by page
/// from its cursors gives exactly the list that offsets give, in the same order, however the page size falls on ties
/// of dates and on advisories with no date; and a page's cursor still starts the same next page after newer
/// advisories arrive.
@Suite struct KeysetPaginationContractTests {
    static let other = CraftedAdvisory.Publisher(name: "Example PSIRT", category: "vendor", namespace: "https://psirt.example")

    /// 24 advisories: three vendors, two publishers, runs of equal dates (ties ordered by ID), high and critical.
    static let crafted: [CraftedAdvisory] = (0..<24).map { (n: Int) -> CraftedAdvisory in
        let id = String(format: "EX-2026-%04d", 100 - n * 3)
        let publisher: CraftedAdvisory.Publisher = n % 3 == 0 ? other : .cisa
        let vendors = ["Example Automation", "Example Drives", "Example Controls"]
        let cve = String(format: "CVE-2026-%04d", 2_000 + n)
        let released = String(format: "2026-%02d-01", 1 + n / 4)
        let score: Double = n % 2 == 0 ? 9.8 : 7.5
        return CraftedAdvisory(id: id, publisher: publisher, vendor: vendors[n % 3], cves: [cve], released: released, cvss: score)
    }
    /// The advisories whose current release date the store will not have: listed after every dated one.
    static let undated: Set<String> = ["EX-2026-0097", "EX-2026-0088", "EX-2026-0031"]

    /// The whole list by offsets, in pages of 500.
    static func byOffset(_ store: any VigilStore, _ query: AdvisoryQuery) async throws -> [String] {
        try await CorpusParityTests.all(store, query).items.map(\.id)
    }

    /// The whole list by key, in pages of `size`, checking each page's cursor and size on the way.
    static func byKey(_ store: any VigilStore, _ query: AdvisoryQuery, size: Int) async throws -> [AdvisorySummary] {
        var query = query
        query.perPage = size
        var items: [AdvisorySummary] = []
        for _ in 0..<1_000 {
            let page = try await store.search(query)
            items += page.items
            guard let next = page.nextAfter else {
                #expect(page.items.count <= size)
                return items
            }
            #expect(page.items.count == size, "only a last page is short: \(query)")
            #expect(next.id == page.items.last?.id)
            #expect(ListCursor(token: next.token) == next, "the token reads back as the cursor")
            query.after = next
        }
        Issue.record("the walk did not end: \(query)")
        return items
    }

    @Test("walking by key lists exactly what offsets list, across equal dates and undated advisories", arguments: Backend.allCases)
    func sameListAsOffsets(_ backend: Backend) async throws {
        try await backend.withStore { store in
            for advisory in Self.crafted {
                #expect(try await store.ingest(try Incoming.document(advisory.bytes, origin: "\(advisory.id.lowercased()).json")) == .new)
            }
            // A date the store could not read is kept as NULL: made so here, in each table that keeps it.
            let executor = try #require(store as? any SQLExecutor)
            let marks = Self.undated.map { _ in "?" }.joined(separator: ", ")
            let undated = SQLArguments(Self.undated.sorted())
            try await executor.execute("UPDATE advisories SET current_release_date = NULL WHERE id IN (\(marks))", undated)
            try await executor.execute("UPDATE advisory_vendors SET current_release_date = NULL WHERE advisory_id IN (\(marks))", undated)

            let everything = try await Self.byOffset(store, AdvisoryQuery())
            #expect(everything.count == 24)
            #expect(Array(everything.suffix(3)) == Self.undated.sorted(by: >),
                    "undated advisories come last, among themselves by ID descending: \(everything)")
            // Dated ones newest first, ties by ID descending: the crafted dates repeat in fours (June's fourth, 0031,
            // is undated).
            #expect(Array(everything.prefix(5)) == ["EX-2026-0040", "EX-2026-0037", "EX-2026-0034", "EX-2026-0052", "EX-2026-0049"])

            let queries = [AdvisoryQuery(), AdvisoryQuery(vendor: "example-automation"), AdvisoryQuery(vendor: "example-drives"),
                           AdvisoryQuery(severity: .critical), AdvisoryQuery(publisher: "Example PSIRT"), AdvisoryQuery(year: 2026),
                           AdvisoryQuery(vendor: "example-controls", severity: .high), AdvisoryQuery(vendor: "nobody"),
                           AdvisoryQuery(text: "EX-2026-0040")]
            for query in queries {
                let expected = try await Self.byOffset(store, query)
                #expect(query.vendor == "nobody" || !expected.isEmpty, "\(query)")
                for size in [1, 2, 3, 4, 5, 7, 23, 24, 25] {
                    let walked = try await Self.byKey(store, query, size: size).map(\.id)
                    #expect(walked == expected, "\(query), pages of \(size)")
                }
            }
            // A ranked search pages by `page` alone.
            let search = try await store.search(AdvisoryQuery(text: "Example", perPage: 2))
            #expect(search.items.count == 2 && search.total > 2 && search.nextAfter == nil)

            // A cursor names a place, not an advisory: newer advisories arriving, or the cursor's own advisory gone,
            // leave the next page as it was.
            var query = AdvisoryQuery(perPage: 5)
            let first = try await store.search(query)
            query.after = try #require(first.nextAfter)
            let second = try await store.search(query)
            let newer = CraftedAdvisory(id: "EX-2026-9999", vendor: "Example Automation", released: "2026-12-01")
            #expect(try await store.ingest(try Incoming.document(newer.bytes, origin: "ex-2026-9999.json")) == .new)
            #expect(try await store.search(query).items == second.items)
            #expect(try await store.search(AdvisoryQuery(perPage: 5)).items.first?.id == "EX-2026-9999")
            #expect(first.nextAfter?.id == "EX-2026-0049")
            query.after = ListCursor(currentReleaseDate: first.nextAfter?.currentReleaseDate, id: "EX-2026-0048")
            #expect(try await store.search(query).items.map(\.id) == Array(everything.dropFirst(5).prefix(5)))
            // `page` counts from the cursor.
            let paged = try await store.search(AdvisoryQuery(page: 2, perPage: 4, after: first.nextAfter))
            #expect(paged.items.map(\.id) == Array(everything[9..<13]))
            // From an undated cursor the rest of the undated ones; after the last, nothing.
            query.after = ListCursor(currentReleaseDate: nil, id: "EX-2026-0097")
            #expect(try await store.search(query).items.map(\.id) == ["EX-2026-0088", "EX-2026-0031"])
            query.after = ListCursor(currentReleaseDate: nil, id: "EX-2026-0031")
            let end = try await store.search(query)
            #expect(end.items.isEmpty && end.nextAfter == nil && end.total == 25)
        }
    }

    @Test("a cursor's token reads back only as itself", arguments: [
        ListCursor(currentReleaseDate: "2026-03-01T10:00:00Z", id: "ICSA-22-172-04"),
        ListCursor(currentReleaseDate: nil, id: "EX-1"),
        ListCursor(currentReleaseDate: "2026-03-01T10:00:00Z", id: "ÜML/+?=&~ü \u{1F600}"),
        ListCursor(currentReleaseDate: nil, id: "~"),
    ])
    func tokens(_ cursor: ListCursor) throws {
        #expect(ListCursor(token: cursor.token) == cursor)
    }

    @Test("anything but DATE~ID or ~ID, at most 1,000 characters, is not a cursor")
    func notTokens() {
        #expect(ListCursor(token: "2026-03-01T10:00:00Z~x~y") == ListCursor(currentReleaseDate: "2026-03-01T10:00:00Z", id: "x~y"))
        #expect(ListCursor(token: "2026-03-01~x") == ListCursor(currentReleaseDate: "2026-03-01", id: "x"), "any text is a place")
        #expect(ListCursor(token: "~" + String(repeating: "é", count: 999)) != nil)
        for bad in ["", "~", "x", "2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z~", "~" + String(repeating: "é", count: 1_000)] {
            #expect(ListCursor(token: bad) == nil, "\(bad)")
        }
    }
}
