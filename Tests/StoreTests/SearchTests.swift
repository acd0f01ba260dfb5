import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

@Suite("Search over CISA's advisories")
struct SearchTests {
    /// Every CISA advisory read straight from the files: the oracle the store's answers are checked against.
    static func advisories() throws -> [Advisory] {
        var result: [Advisory] = []
        for path in try SharedData.jsonFiles(under: "providers/cisa/csaf_files") where path.contains("/white/20") {
            guard case .csaf(let parsed) = try CSAFDocumentReader.read(try SharedData.bytes("providers/cisa/csaf_files/\(path)")) else { continue }
            result.append(parsed.advisory)
        }
        return result
    }

    static func ids(_ store: SQLiteStore, _ query: AdvisoryQuery) async throws -> Set<String> {
        var query = query
        query.perPage = 500
        var ids = Set<String>()
        var page = try await store.search(query)
        while true {
            ids.formUnion(page.items.map(\.id))
            guard query.page < page.pageCount else { break }
            query.page += 1
            page = try await store.search(query)
        }
        #expect(ids.count == page.total)
        return ids
    }

    @Test("full-text search and every filter return exactly the advisories the documents say they should")
    func searchAndFilters() async throws {
        let all = try Self.advisories()
        #expect(all.count == 2_383)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let summary = try await LocalImporter().run(paths: [try SharedData.url("providers/cisa").path], into: store)
        #expect(summary.new == 2_383)

        // Full text.
        let proconos = try await store.search(AdvisoryQuery(text: "ProConOS"))
        #expect(proconos.items.first?.id == "ICSA-22-172-04")
        for item in proconos.items {
            let advisory = try #require(all.first { $0.id == item.id })
            let text = ([advisory.title, advisory.riskSummary ?? ""] + advisory.products.map(\.product) + advisory.vendors).joined(separator: " ").lowercased()
            #expect(text.contains("proconos"), "\(item.id) does not mention ProConOS")
        }
        let byCVE = try await Self.ids(store, AdvisoryQuery(text: "CVE-2022-31801"))
        #expect(byCVE == Set(all.filter { $0.cves.contains("CVE-2022-31801") }.map(\.id)))
        #expect(byCVE.contains("ICSA-22-172-04"))
        #expect(try await store.search(AdvisoryQuery(text: "cve-2022-31801")).items.map(\.id).contains("ICSA-22-172-04"))
        #expect(try await store.search(AdvisoryQuery(text: "ProConOS MULTIPROG phoenix")).items.map(\.id).contains("ICSA-22-172-04"))
        #expect(try await store.search(AdvisoryQuery(text: "ProConOS xyzzyplugh")).total == 0)
        #expect(proconos.moreMatches == false)
        // An advisory's ID, as printed or in any case, finds that advisory alone; other filters still apply.
        for typed in ["ICSA-22-172-04", "icsa-22-172-04", "  ICSA-22-172-04 "] {
            let byID = try await store.search(AdvisoryQuery(text: typed))
            #expect(byID.items.map(\.id) == ["ICSA-22-172-04"] && byID.total == 1, "\(typed)")
        }
        #expect(try await store.search(AdvisoryQuery(text: "ICSA-22-172-04", year: 2019)).total == 0)
        #expect(try await store.search(AdvisoryQuery(text: "ICSA-22-172-04", vendor: "phoenix-contact")).total == 1)

        // A broad word: 1,875 of CISA's advisories say "exploitation" (in the title or risk summary). The 1,000 most recently stored are ranked and
        // listed (the cost bound of issue 20), the page says there are more, and each listed one says the word.
        let mentions = { (advisory: Advisory) -> Bool in
            ([advisory.title, advisory.riskSummary ?? ""] + advisory.products.map(\.product) + advisory.vendors).joined(separator: " ")
                .lowercased().contains("exploitation")
        }
        let broad = try await store.search(AdvisoryQuery(text: "exploitation", perPage: 100))
        #expect(broad.moreMatches)
        #expect(broad.total == AdvisoryPage.rankedMatches)
        #expect(broad.pageCount == 10)
        let ranked = try await Self.ids(store, AdvisoryQuery(text: "exploitation"))
        #expect(ranked.count == AdvisoryPage.rankedMatches)
        let newestStored = try await store.fetchAll("""
            SELECT a.id FROM advisories a JOIN advisories_fts f ON f.rowid = a.seq WHERE advisories_fts MATCH '"exploitation"*'
            ORDER BY a.seq DESC LIMIT 1000
            """).map { $0["id"] as String }
        #expect(ranked == Set(newestStored))
        #expect(ranked.allSatisfy { id in all.first { $0.id == id }.map(mentions) == true })
        // Narrowed by a filter below the bound: every match, and no "more".
        let narrowed = try await store.search(AdvisoryQuery(text: "exploitation", year: 2019, perPage: 500))
        #expect(!narrowed.moreMatches)
        #expect(try await Self.ids(store, AdvisoryQuery(text: "exploitation", year: 2019))
                == Set(all.filter { mentions($0) && ($0.initialReleaseDate ?? $0.currentReleaseDate).map(Timestamp.year) == 2019 }.map(\.id)))
        #expect(narrowed.total < AdvisoryPage.rankedMatches)
        // Still ranked: of the listed, title hits come first.
        let firstPage = try await store.search(AdvisoryQuery(text: "ProConOS", perPage: 500))
        #expect(firstPage.items.first.map { $0.title.lowercased().contains("proconos") } == true)

        // A word's last part is a prefix from three characters: "abb" finds ABB's advisories as a prefix, "ab" only
        // the word "ab" (no advisory has it), never every word starting with it.
        #expect(try await store.search(AdvisoryQuery(text: "abb")).total > 0)
        #expect(try await store.search(AdvisoryQuery(text: "ab")).total == 0)
        #expect(try await store.search(AdvisoryQuery(text: "AB")).total == 0)

        // Vendor, by slug.
        let phoenix = Set(all.filter { $0.vendors.contains("Phoenix Contact") }.map(\.id))
        let vendor = try #require(try await store.vendor(slug: "phoenix-contact"))
        #expect(vendor.name == "Phoenix Contact")
        #expect(vendor.advisoryCount == phoenix.count)
        #expect(try await Self.ids(store, AdvisoryQuery(vendor: "phoenix-contact")) == phoenix)
        #expect(try await store.search(AdvisoryQuery(vendor: "no-such-vendor")).total == 0)
        #expect(try await store.vendor(slug: "no-such-vendor") == nil)
        let vendors = try await store.vendors()
        #expect(Set(vendors.map(\.name)) == Set(all.flatMap(\.vendors)))
        #expect(Set(vendors.map(\.slug)).count == vendors.count)

        // Sector, severity, year, publisher.
        #expect(try await Self.ids(store, AdvisoryQuery(sector: "Energy")) == Set(all.filter { $0.sectors.contains("Energy") }.map(\.id)))
        #expect(try await Self.ids(store, AdvisoryQuery(sector: "Multiple Sectors")) == Set(all.filter { $0.sectors.contains("Multiple Sectors") }.map(\.id)))
        for severity in Severity.allCases {
            let expected = all.filter { $0.severity == severity }.count
            #expect(try await store.search(AdvisoryQuery(severity: severity)).total == expected, "\(severity)")
        }
        #expect(try await Self.ids(store, AdvisoryQuery(severity: .critical)) == Set(all.filter { $0.severity == .critical }.map(\.id)))
        func year(_ a: Advisory) -> Int? { (a.initialReleaseDate ?? a.currentReleaseDate).map(Timestamp.year) }
        #expect(try await Self.ids(store, AdvisoryQuery(year: 2022)) == Set(all.filter { year($0) == 2022 }.map(\.id)))
        #expect(try await store.search(AdvisoryQuery(year: 2017)).total == all.filter { year($0) == 2017 }.count)
        #expect(try await store.search(AdvisoryQuery(publisher: "CISA")).total == 2_383)
        #expect(try await store.search(AdvisoryQuery(publisher: "Siemens ProductCERT")).total == 0)

        // CISA's KEV catalogue: the filter finds exactly the advisories with a listed CVE, each with its count.
        let (_, kev) = try KnownExploitedSync.parse(try SharedData.bytes("vectors/kev/known_exploited_vulnerabilities.json"))
        #expect(kev.count == 1_404)
        #expect(try await Self.ids(store, AdvisoryQuery(knownExploited: true)).isEmpty)
        let replaced = try await store.replaceKnownExploited(kev, catalogVersion: "2025.08.25")
        #expect(replaced.added == 1_404)
        #expect(replaced.removed == 0)
        let listed = Set(kev.map(\.cve))
        let exploited = all.filter { !Set($0.cves).isDisjoint(with: listed) }
        #expect(exploited.count == 54)
        #expect(try await Self.ids(store, AdvisoryQuery(knownExploited: true)) == Set(exploited.map(\.id)))
        #expect(try await Self.ids(store, AdvisoryQuery(severity: .critical, knownExploited: true))
                == Set(exploited.filter { $0.severity == .critical }.map(\.id)))
        var kevQuery = AdvisoryQuery(knownExploited: true)
        kevQuery.perPage = 500
        for item in try await store.search(kevQuery).items {
            let advisory = try #require(exploited.first { $0.id == item.id })
            #expect(item.knownExploitedCount == Set(advisory.cves).intersection(listed).count, "\(item.id)")
        }
        let cisco = try #require(try await store.advisory(id: "ICSA-18-107-04"))
        #expect(cisco.knownExploited.map(\.cve) == Set(cisco.advisory.cves).intersection(listed).sorted())
        #expect(cisco.knownExploited.allSatisfy { !$0.dateAdded.isEmpty && !$0.dueDate.isEmpty })
        #expect(try await store.advisory(id: "ICSA-22-172-04")?.knownExploited.isEmpty == true)
        // A newer catalogue without some entries removes them.
        let shorter = try await store.replaceKnownExploited(Array(kev.dropFirst(4)), catalogVersion: "next")
        #expect(shorter == (added: 0, removed: 4))

        // Combined filters are ANDed.
        let combined = try await Self.ids(store, AdvisoryQuery(text: "ProConOS", vendor: "phoenix-contact", sector: "Multiple Sectors",
                                                               severity: .critical, year: 2022, publisher: "CISA"))
        #expect(combined.contains("ICSA-22-172-04"))
        #expect(combined.isSubset(of: phoenix))
        #expect(try await Self.ids(store, AdvisoryQuery(vendor: "phoenix-contact", year: 2022))
                == phoenix.intersection(all.filter { year($0) == 2022 }.map(\.id)))

        // The filter choices are those the advisories have.
        let options = try await store.filterOptions()
        #expect(options.publishers == ["CISA"])
        #expect(Set(options.sectors) == Set(all.flatMap(\.sectors)))
        #expect(options.years == Array(Set(all.compactMap(year))).sorted(by: >))

        // Paging: newest first, pages do not overlap.
        let first = try await store.search(AdvisoryQuery(page: 1, perPage: 50))
        let second = try await store.search(AdvisoryQuery(page: 2, perPage: 50))
        #expect(first.items.count == 50)
        #expect(first.pageCount == 48)
        #expect(Set(first.items.map(\.id)).isDisjoint(with: second.items.map(\.id)))
        let dates = (first.items + second.items).compactMap(\.currentReleaseDate)
        #expect(dates == dates.sorted(by: >))
    }

    /// The vendor list and the search form's choices are kept in memory per generation of the corpus: a document
    /// arriving, a revision, or another process's document on the same file shows at once, never a stale list.
    @Test("vendors, filter choices and list counts kept between documents, never stale")
    func facetsFollowTheCorpus() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        /// Each list's total, asked twice (the second from the kept count): all, two vendors, a publisher, known-exploited.
        func totals() async throws -> [Int] {
            let queries = [AdvisoryQuery(), AdvisoryQuery(vendor: "example-automation"), AdvisoryQuery(vendor: "example-controls"),
                           AdvisoryQuery(publisher: "Example PSIRT"), AdvisoryQuery(knownExploited: true)]
            var first: [Int] = [], again: [Int] = []
            for query in queries { first.append(try await store.search(query).total) }
            for query in queries { again.append(try await store.search(query).total) }
            #expect(again == first)
            return first
        }
        #expect(try await totals() == [0, 0, 0, 0, 0])
        #expect(try await store.ingest(try Incoming.document("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")) == .new)
        #expect(try await totals() == [1, 0, 0, 0, 0])
        #expect(try await store.vendors().map(\.name) == ["Phoenix Contact"])
        #expect(try await store.filterOptions().publishers == ["CISA"])
        #expect(try await store.vendors().map(\.name) == ["Phoenix Contact"], "served again from the kept list")

        let other = CraftedAdvisory.Publisher(name: "Example PSIRT", category: "vendor", namespace: "https://psirt.example")
        let crafted = CraftedAdvisory(id: "EX-2026-0001", publisher: other, vendor: "Example Automation", released: "2026-03-02")
        #expect(try await store.ingest(try Incoming.document(crafted.bytes, origin: "ex-2026-0001.json")) == .new)
        #expect(try await store.vendors().map(\.name) == ["Example Automation", "Phoenix Contact"])
        #expect(try await store.vendors().first?.advisoryCount == 1)
        #expect(try await store.filterOptions().publishers == ["CISA", "Example PSIRT"])
        #expect(try await store.filterOptions().years == [2026, 2022])
        #expect(try await totals() == [2, 1, 0, 1, 0])

        // A revision that names another vendor: the old one's count drops with it.
        var revised = crafted
        revised.vendor = "Example Controls"
        revised.version = 2
        #expect(try await store.ingest(try Incoming.document(revised.bytes, origin: "ex-2026-0001.json")) == .updated)
        #expect(try await store.vendors().map(\.name) == ["Example Controls", "Phoenix Contact"])
        #expect(try await totals() == [2, 0, 1, 1, 0])
        // A catalogue of known exploited vulnerabilities naming its CVE.
        let listed = KnownExploitedVulnerability(cve: crafted.cves[0], vendor: "Example", product: "PLC", name: "Example PLC flaw",
                                                 dateAdded: "2026-03-03", dueDate: "2026-03-24", requiredAction: "Update.", ransomware: "Unknown")
        _ = try await store.replaceKnownExploited([listed], catalogVersion: "1")
        #expect(try await totals() == [2, 0, 1, 1, 1])

        // Another process on the same file (its own store, its own memory): the first store sees its document.
        let second = try folder.store()
        let third = CraftedAdvisory(id: "EX-2026-0002", publisher: other, vendor: "Example Drives", released: "2025-05-01")
        #expect(try await second.ingest(try Incoming.document(third.bytes, origin: "ex-2026-0002.json")) == .new)
        await second.close()
        #expect(try await store.vendors().map(\.name) == ["Example Controls", "Example Drives", "Phoenix Contact"])
        #expect(try await store.filterOptions().years == [2026, 2025, 2022])
        #expect(try await totals() == [3, 0, 1, 2, 2], "the third names the listed CVE too")
        await store.close()
    }

    @Test("hostile full-text input never makes the query fail", arguments: [
        "\"", "\"\"", "*", "**", "NEAR(", "NEAR(a b, 5)", "ProConOS\"", "\"ProConOS", "a OR", "AND", "NOT ProConOS", "(", ")",
        "title:ProConOS", "^ProConOS", "-", "- -", "'; DROP TABLE advisories; --", "{title cves}: x", "x\u{0}y", "😀", "   ",
        "ProConOS*\"*(", "\\", "%_", "CVE-", "...", "_",
    ])
    func hostileInput(_ text: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        #expect(try await store.ingest(try Incoming.document("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")) == .new)
        let page = try await store.search(AdvisoryQuery(text: text))
        #expect(page.total <= 1)
        #expect(try await store.statistics().advisories == 1)
    }
}
