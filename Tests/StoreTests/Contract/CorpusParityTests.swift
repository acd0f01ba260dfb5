import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// CISA's whole repository imported into a SQLite store and a PostgreSQL store: every query the pages use answers the
/// same on both, field by field. Relevance order is the one thing that may differ (bm25 and ts_rank weigh hits
/// differently), so for text searches the sets and the best hit are compared, and the order only where it is clear.
@Suite("SQLite and PostgreSQL answer alike over CISA's advisories")
struct CorpusParityTests {
    /// Every advisory of a search, all pages, in order.
    static func all(_ store: any VigilStore, _ query: AdvisoryQuery) async throws -> (items: [AdvisorySummary], total: Int) {
        var query = query
        query.perPage = 500
        var items: [AdvisorySummary] = []
        var page = try await store.search(query)
        while true {
            items += page.items
            guard query.page < page.pageCount else { break }
            query.page += 1
            page = try await store.search(query)
        }
        return (items, page.total)
    }

    @Test("the same import, pages, filters, vendors, statistics, advisories and known-exploited answers on both stores")
    func parity() async throws {
        let cisa = try SharedData.url("providers/cisa").path
        let (_, kev) = try KnownExploitedSync.parse(try SharedData.bytes("vectors/kev/known_exploited_vulnerabilities.json"))
        try await Backend.sqlite.withStore { sqlite in
            try await Backend.postgres.withStore { postgres in
                let imported = try await LocalImporter().run(paths: [cisa], into: sqlite)
                let importedPG = try await LocalImporter().run(paths: [cisa], into: postgres)
                #expect(imported.new == 2_383)
                #expect(importedPG.new == imported.new && importedPG.rejected == imported.rejected)
                #expect(importedPG.integrity == imported.integrity)
                let again = try await LocalImporter().run(paths: [cisa], into: postgres)
                #expect(again.unchanged == 2_383 && again.new == 0 && again.updated == 0 && again.historical == 0)
                #expect(try await postgres.statistics() == (try await sqlite.statistics()))

                // Known-exploited CVEs: the same counts and the same journal on both.
                // Known-exploited CVEs: an older catalogue without the Cisco advisory's CVEs, then the current one, which
                // lists them anew: the same counts and the same journal on both.
                let cisco = Set(try #require(try await sqlite.advisory(id: "ICSA-18-107-04")).advisory.cves)
                let older = kev.filter { !cisco.contains($0.cve) }
                #expect(older.count < kev.count)
                #expect(try await sqlite.replaceKnownExploited(older, catalogVersion: "old") == (older.count, 0))
                #expect(try await postgres.replaceKnownExploited(older, catalogVersion: "old") == (older.count, 0))
                #expect(try await sqlite.replaceKnownExploited(kev, catalogVersion: "new") == (kev.count - older.count, 0))
                #expect(try await postgres.replaceKnownExploited(kev, catalogVersion: "new") == (kev.count - older.count, 0))
                func kevJournal(_ store: any VigilStore) async throws -> [String] {
                    try await Journal.entries(store).filter { $0.knownExploited != nil }.map { "\($0.advisoryID) \($0.knownExploited!)" }
                }
                let journal = try await kevJournal(sqlite)
                #expect(journal.contains { $0.hasPrefix("ICSA-18-107-04 CVE-") })
                #expect(try await kevJournal(postgres) == journal)

                #expect(try await postgres.statistics() == (try await sqlite.statistics()))
                #expect(try await postgres.filterOptions() == (try await sqlite.filterOptions()))
                let vendors = try await sqlite.vendors()
                #expect(vendors.count > 100)
                let pgVendors = try await postgres.vendors()
                #expect(pgVendors == vendors, "\(zip(pgVendors, vendors).filter { $0 != $1 }.prefix(6).map { "\($0.name)=\($0.slug)/\($0.advisoryCount) vs \($1.name)=\($1.slug)/\($1.advisoryCount)" })")
                for vendor in vendors.prefix(40) + [vendors.last!] {
                    #expect(try await postgres.vendor(slug: vendor.slug) == (try await sqlite.vendor(slug: vendor.slug)))
                }
                #expect(try await postgres.vendor(slug: "no-such-vendor") == nil)
                let names = vendors.map(\.name) + ["No Such Vendor"]
                #expect(try await postgres.vendorSlugs(for: names) == (try await sqlite.vendorSlugs(for: names)))
                #expect(try await postgres.vendorSlugs(for: []) == [:])

                // Lists without search text: the same rows in the same order, every field alike.
                let filters: [AdvisoryQuery] = [
                    AdvisoryQuery(), AdvisoryQuery(page: 3, perPage: 20), AdvisoryQuery(page: 999),
                    AdvisoryQuery(vendor: "phoenix-contact"), AdvisoryQuery(vendor: "siemens"), AdvisoryQuery(vendor: "nobody"),
                    AdvisoryQuery(sector: "Energy"), AdvisoryQuery(sector: "Multiple Sectors"),
                    AdvisoryQuery(severity: .critical), AdvisoryQuery(year: 2022),
                    AdvisoryQuery(year: 2017), AdvisoryQuery(publisher: "CISA"), AdvisoryQuery(publisher: "Siemens ProductCERT"),
                    AdvisoryQuery(knownExploited: true), AdvisoryQuery(severity: .critical, knownExploited: true),
                    AdvisoryQuery(vendor: "phoenix-contact", year: 2022),
                ] + Severity.allCases.map { AdvisoryQuery(severity: $0) }
                for query in filters {
                    let expected = try await sqlite.search(query)
                    let page = try await postgres.search(query)
                    #expect(page.total == expected.total, "\(query)")
                    #expect(page.items == expected.items, "\(query)")
                    #expect(try await Self.all(postgres, query).items == (try await Self.all(sqlite, query)).items, "\(query)")
                    // By key from the top, in pages of 97: the same list on both.
                    var keyed = query
                    keyed.page = 1
                    let everything = try await Self.all(sqlite, keyed).items
                    for store in [sqlite, postgres] as [any VigilStore] {
                        let walked = try await KeysetPaginationContractTests.byKey(store, keyed, size: 97)
                        #expect(walked == everything, "\(query) by key on \(type(of: store))")
                    }
                }
                #expect(try await postgres.search(AdvisoryQuery(knownExploited: true)).total == 54)

                // Searches: the same advisories found; each row alike whatever its rank.
                let texts = ["ProConOS", "proconos", "ProCon", "CVE-2022-31801", "cve-2022-31801", "2022-31801", "CVE-2021",
                             "Siemens", "siemens ruggedcom", "RUGGEDCOM ROX", "Schneider Electric", "phoenix contact",
                             "ProConOS MULTIPROG phoenix", "ProConOS xyzzyplugh", "buffer overflow", "SQL injection",
                             "V2.13", "Modicon M580", "S7-1200", "cross-site", "deserialization", "Mitsubishi", "Rockwell",
                             "hard-coded credentials", "e", "1", "firmware update", "Electric", "electric", "ÉLECTRIC",
                             "exploitation", "successful exploitation"]
                for text in texts {
                    let (expected, total) = try await Self.all(sqlite, AdvisoryQuery(text: text))
                    let (items, pgTotal) = try await Self.all(postgres, AdvisoryQuery(text: text))
                    #expect(pgTotal == total, "\(text)")
                    #expect(Set(items.map(\.id)) == Set(expected.map(\.id)), "\(text)")
                    let byID = Dictionary(uniqueKeysWithValues: expected.map { ($0.id, $0) })
                    #expect(items.allSatisfy { byID[$0.id] == $0 }, "\(text)")
                    // Beyond the ranked bound both keep the same most recently stored matches and say there are more.
                    let more = try await sqlite.search(AdvisoryQuery(text: text)).moreMatches
                    #expect(try await postgres.search(AdvisoryQuery(text: text)).moreMatches == more, "\(text)")
                    #expect(more == ["exploitation", "successful exploitation"].contains(text), "\(text)")
                }
                // Combined with filters, ANDed alike.
                let combined = AdvisoryQuery(text: "ProConOS", vendor: "phoenix-contact", sector: "Multiple Sectors",
                                             severity: .critical, year: 2022, publisher: "CISA")
                #expect(Set(try await Self.all(postgres, combined).items.map(\.id)) == Set(try await Self.all(sqlite, combined).items.map(\.id)))

                // Ranking: a title hit comes before advisories that only mention the word elsewhere.
                for (text, best) in [("ProConOS", "ICSA-22-172-04"), ("proconos multiprog", "ICSA-22-172-04")] {
                    #expect(try await sqlite.search(AdvisoryQuery(text: text)).items.first?.id == best)
                    #expect(try await postgres.search(AdvisoryQuery(text: text)).items.first?.id == best)
                }
                let rugged = try await postgres.search(AdvisoryQuery(text: "RUGGEDCOM")).items
                let titled = rugged.prefix { $0.title.localizedCaseInsensitiveContains("RUGGEDCOM") }
                #expect(titled.count > 5)
                #expect(rugged.dropFirst(titled.count).allSatisfy { !$0.title.localizedCaseInsensitiveContains("RUGGEDCOM") })

                // Advisory pages and bytes.
                let sample = try await sqlite.search(AdvisoryQuery(perPage: 500)).items.map(\.id)
                    + (try await Self.all(sqlite, AdvisoryQuery(knownExploited: true)).items.map(\.id))
                for id in sample.enumerated().filter({ $0.offset % 10 == 0 || $0.offset >= 500 }).map(\.element) {
                    let expected = try #require(try await sqlite.advisory(id: id))
                    let stored = try #require(try await postgres.advisory(id: id))
                    #expect(stored.advisory == expected.advisory, "\(id)")
                    #expect(stored.document.portable == expected.document.portable, "\(id)")
                    #expect(stored.revisions.map(\.portable) == expected.revisions.map(\.portable), "\(id)")
                    #expect(stored.knownExploited == expected.knownExploited, "\(id)")
                    #expect(stored.conflictCount == expected.conflictCount)
                    #expect(stored.warnings == expected.warnings)
                    let raw = try #require(try await postgres.rawDocument(advisoryID: id, documentID: nil))
                    let expectedRaw = try #require(try await sqlite.rawDocument(advisoryID: id, documentID: nil))
                    #expect(raw.bytes == expectedRaw.bytes && raw.fileName == expectedRaw.fileName)
                    #expect(raw.signature == expectedRaw.signature && raw.sha512Sidecar == expectedRaw.sha512Sidecar)
                }
                #expect(try await postgres.advisory(id: "ICSA-18-107-04")?.knownExploited.isEmpty == false)
            }
        }
    }
}
