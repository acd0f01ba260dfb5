import CSAF
import Foundation
import Matching
@testable import Revisions
import Testing

/// The real providers, read once for every corpus test here (reading CISA's 2,383 documents takes a while).
enum AdvisoryLinkCorpus {
    static let cisa = Result { try RevisionsCorpus.advisories(under: "providers/cisa") }
    static let siemens = Result { try RevisionsCorpus.advisories(under: "providers/siemens-sample") }
    static let festo = Result { try RevisionsCorpus.advisories(under: "providers/festo") }
    static let beckhoff = Result { try RevisionsCorpus.advisories(under: "providers/beckhoff") }
}

@Suite("Advisory links over real providers")
struct AdvisoryLinkCorpusTests {
    @Test("every Siemens advisory CISA republished is linked to the republication by reference")
    func cisaRepublicationsOfSiemensAdvisoriesAreLinked() throws {
        let cisa = try AdvisoryLinkCorpus.cisa.get()
        let siemens = try AdvisoryLinkCorpus.siemens.get()
        #expect(cisa.count == 2_383)
        #expect(siemens.count == 118)
        let ssaIDs = Set(siemens.map { $0.id.uppercased() })
        // `ssa-NNNNNN` (six digits, as Siemens numbers them) in a URL, the way a person would find republications.
        let ssaInURL = try Regex("(?i)ssa-([0-9]{6})")

        // Independently of the linker: CISA advisories whose reference URLs carry a sample SSA's number.
        var expected = Set<AdvisoryLinkPair>()
        for advisory in cisa {
            for reference in advisory.references {
                for match in reference.url.matches(of: ssaInURL) {
                    let ssa = "SSA-" + String(match.output[1].substring ?? "")
                    if ssaIDs.contains(ssa) { expected.insert(AdvisoryLinkPair(advisory.id, ssa)) }
                }
            }
        }
        // The shared README's 75 SSAs; SSA-116924 was republished twice (ICSA-23-103-04 and ICSA-23-103-08).
        #expect(Set(expected.map(\.b)).count == 75)
        #expect(expected.count == 76)

        var linker = AdvisoryLinker()
        for advisory in siemens + cisa { linker.add(advisory) }
        for pair in expected.sorted() {
            let fromCISA = linker.links(for: pair.a).first { $0.id == pair.b }
            #expect(fromCISA?.reason == .reference && fromCISA?.strength == .strong && fromCISA?.reference == .namesOther,
                    "\(pair.a) → \(pair.b): \(String(describing: fromCISA))")
            let fromSSA = linker.links(for: pair.b).first { $0.id == pair.a }
            #expect(fromSSA?.reason == .reference && fromSSA?.reference == .namedByOther && fromSSA?.publisher == "CISA",
                    "\(pair.b) → \(pair.a): \(String(describing: fromSSA))")
        }

        // The linker finds one more: CISA's ICSA-23-166-06 links `…/csaf/ssa-42050.json` for SSA-042050 (the leading
        // zero dropped), which a six-digit search misses and the linker's document keys (leading zeros dropped) catch.
        var found = Set<AdvisoryLinkPair>()
        for ssa in siemens {
            for link in linker.links(for: ssa.id) where link.reason == .reference && link.publisher == "CISA" {
                found.insert(AdvisoryLinkPair(link.id, ssa.id))
            }
        }
        #expect(found.subtracting(expected) == [AdvisoryLinkPair("ICSA-23-166-06", "SSA-042050")])
        #expect(expected.isSubset(of: found))
        #expect(Set(found.map(\.b)).count == 76)
        // The republication came later: the link carries the other's date, so callers can say by how long.
        let ssa = linker.links(for: "SSA-116924").first { $0.id == "ICSA-23-103-04" }
        let original = siemens.first { $0.id == "SSA-116924" }?.initialReleaseDate
        #expect(ssa?.initialReleaseDate != nil && original != nil && ssa!.initialReleaseDate! >= original!)
        // Siemens' own SSAs are never linked to one another, nor CISA's among themselves.
        let siemensIDs = Set(siemens.map(\.id))
        for advisory in siemens {
            #expect(!linker.links(for: advisory.id).contains { siemensIDs.contains($0.id) })
        }
        for advisory in cisa {
            #expect(!linker.links(for: advisory.id).contains { $0.publisher == "CISA" })
        }
    }

    @Test("CVEs shared with another vendor's advisory (third-party components) make no link; republications do")
    func sharedCVEsOfOtherVendorsAreNotLinked() throws {
        let cisa = try AdvisoryLinkCorpus.cisa.get()
        let vde = try AdvisoryLinkCorpus.festo.get() + AdvisoryLinkCorpus.beckhoff.get()
        #expect(vde.count == 36)
        let directory = VendorDirectory()
        func vendorKeys(_ advisory: Advisory) -> Set<String> { Set(advisory.vendors.flatMap(directory.vendorKeys)) }
        func principal(_ advisory: Advisory) -> Set<String> { Set(advisory.vendors.prefix(1).flatMap(directory.vendorKeys)) }
        // A reference, found the plain way: the other's ID or an alias inside one of the URLs, either direction.
        func names(_ a: Advisory, _ b: Advisory) -> Bool {
            let ids = ([b.id] + b.aliases).map { $0.lowercased() }
            return a.references.contains { reference in ids.contains { reference.url.lowercased().contains($0) } }
        }

        var linker = AdvisoryLinker()
        for advisory in vde + cisa { linker.add(advisory) }

        // Every pair of a Festo or Beckhoff advisory and another publisher's advisory that share a CVE.
        let all = vde + cisa
        var otherVendors = 0
        var secondaryVendorOnly = 0
        var expectedLinks = Set<AdvisoryLinkPair>()
        for a in vde {
            for b in all where b.publisher.name != a.publisher.name && b.id != a.id {
                let shared = Set(a.cves).intersection(b.cves)
                let referenced = names(a, b) || names(b, a)
                guard !shared.isEmpty || referenced else { continue }
                let linked = linker.links(for: a.id).contains { $0.id == b.id }
                if referenced || !principal(a).isDisjoint(with: principal(b)) {
                    expectedLinks.insert(AdvisoryLinkPair(a.id, b.id))
                } else if vendorKeys(a).isDisjoint(with: vendorKeys(b)) {
                    otherVendors += 1
                    #expect(!linked, "\(a.id) and \(b.id) share \(shared.sorted()) but not a vendor")
                } else {
                    // FSA-202601 lists CODESYS products beside Festo's: CISA's CODESYS advisories share its CVEs and
                    // that secondary vendor, and are still not the same advisory.
                    secondaryVendorOnly += 1
                    #expect(!linked, "\(a.id) and \(b.id) share only a secondary vendor")
                }
            }
        }
        #expect(otherVendors == 44, "pairs sharing a CVE across different vendors: \(otherVendors)")
        #expect(secondaryVendorOnly == 15, "pairs sharing a CVE and only a secondary vendor: \(secondaryVendorOnly)")
        // What the data holds: CISA republished none of these 36 (none of its advisories names them or lists Festo's
        // or Beckhoff's products with their CVEs), so the linker must find exactly that, nothing.
        var found = Set<AdvisoryLinkPair>()
        for a in vde { for link in linker.links(for: a.id) { found.insert(AdvisoryLinkPair(a.id, link.id)) } }
        #expect(found == expectedLinks)
        #expect(found.isEmpty)
    }

    @Test("adding one at a time, with revisions re-added, ends where linking from scratch does")
    func incrementalEqualsFromScratch() throws {
        let corpus = try AdvisoryLinkCorpus.siemens.get() + AdvisoryLinkCorpus.cisa.get()
            + AdvisoryLinkCorpus.festo.get() + AdvisoryLinkCorpus.beckhoff.get()
        let scratch = AdvisoryLinker.link(corpus)
        #expect(scratch.count > 150, "advisories with links: \(scratch.count)")

        // A different order, with a fifth of the advisories first added in a stripped form (no CVEs, no references)
        // and then re-added as they are: every stale fact must be gone.
        var order = Array(corpus.indices)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in order.indices.reversed() {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            order.swapAt(i, Int(state >> 33) % (i + 1))
        }
        var linker = AdvisoryLinker()
        for (position, index) in order.enumerated() where position % 5 == 0 {
            var stripped = corpus[index]
            stripped.vulnerabilities = []
            stripped.references = []
            linker.add(stripped)
            var other = corpus[order[(position + 7) % order.count]]
            other.id = corpus[index].id
            linker.add(other)
        }
        for index in order { linker.add(corpus[index]) }
        #expect(linker.count == Set(corpus.map(\.id)).count)
        let incremental = linker.allLinks
        let differing = Set(scratch.keys).union(incremental.keys).filter { scratch[$0] != incremental[$0] }
        #expect(differing.isEmpty, "links differ for \(differing.sorted().prefix(10))")
        var fresh = AdvisoryLinker()
        for advisory in corpus { fresh.add(advisory) }
        #expect(linker.indexEntries == fresh.indexEntries)
    }
}

@Suite("Advisory link rules")
struct AdvisoryLinkRuleTests {
    static let siemens = ("Siemens ProductCERT", "vendor", "https://www.siemens.com")
    static let cisa = ("CISA", "coordinator", "https://www.cisa.gov/")

    /// A crafted advisory: only the fields the linker reads are meaningful.
    static func advisory(_ id: String, publisher: (String, String, String) = cisa, vendor: String = "Siemens",
                         cves: [String] = [], references: [String] = [], aliases: [String] = [],
                         released: String = "2024-01-09") throws -> Advisory {
        let json: [String: Any] = [
            "id": id, "title": id, "category": "csaf_security_advisory", "version": "1", "status": "final",
            "publisher": ["name": publisher.0, "category": publisher.1, "namespace": publisher.2],
            "vulnerabilities": cves.map { ["cve": $0, "ids": [String]()] },
            "references": references.map { ["category": "external", "summary": "", "url": $0] },
            "vendors": [vendor], "aliases": aliases,
            "remediations": [], "products": [], "sectors": [], "countries": [], "acknowledgments": [], "revisions": [],
            "notes": [],
        ]
        var advisory = try JSONDecoder().decode(Advisory.self, from: JSONSerialization.data(withJSONObject: json))
        advisory.initialReleaseDate = try Date(released + "T00:00:00Z", strategy: .iso8601)
        return advisory
    }

    @Test("a reference links in either direction, whatever form the URL takes", arguments: [
        "https://cert-portal.siemens.com/productcert/html/ssa-123456.html",
        "http://cert-portal.siemens.com/productcert/csaf/ssa-123456.json",
        "https://cert-portal.siemens.com/productcert/html/ssa-123456.html/",
        "https://CERT-PORTAL.siemens.com/productcert/txt/SSA-123456.txt",
        "https://cert-portal.siemens.com/productcert/pdf/ssa-123456.pdf#page=2",
        "https://example.org/show?advisory=SSA-123456",
    ])
    func referenceLinksEitherWay(url: String) throws {
        let ssa = try Self.advisory("SSA-123456", publisher: Self.siemens, cves: ["CVE-2024-0001"], released: "2024-01-09")
        // CISA's republication names another vendor's products and shares no CVE: the reference alone links them.
        let icsa = try Self.advisory("ICSA-24-030-01", vendor: "Siemens AG", references: [url], released: "2024-01-30")
        for order in [[ssa, icsa], [icsa, ssa]] {
            var linker = AdvisoryLinker()
            for advisory in order { linker.add(advisory) }
            #expect(linker.links(for: "ICSA-24-030-01") == [AdvisoryLink(
                id: "SSA-123456", publisher: "Siemens ProductCERT", reason: .reference, strength: .strong, sharedCVEs: [],
                initialReleaseDate: ssa.initialReleaseDate, reference: .namesOther)])
            #expect(linker.links(for: "SSA-123456") == [AdvisoryLink(
                id: "ICSA-24-030-01", publisher: "CISA", reason: .reference, strength: .strong, sharedCVEs: [],
                initialReleaseDate: icsa.initialReleaseDate, reference: .namedByOther)])
        }
        // The vendor naming the coordinator's advisory works the same way round.
        let ssaNaming = try Self.advisory("SSA-123456", publisher: Self.siemens, references: ["https://www.cisa.gov/news-events/ics-advisories/icsa-24-030-01"])
        let plain = try Self.advisory("ICSA-24-030-01")
        let links = AdvisoryLinker.link([ssaNaming, plain])
        #expect(links["SSA-123456"]?.map(\.reference) == [.namesOther])
        #expect(links["ICSA-24-030-01"]?.map(\.reference) == [.namedByOther])
    }

    @Test("a reference beats the CVE rules, and names an advisory by its aliases and without leading zeros")
    func referenceByAliasAndLooseNumber() throws {
        let festo = try Self.advisory("FSA-202301", publisher: ("Festo SE & Co. KG", "vendor", "https://festo.com"),
                                      vendor: "Festo", cves: ["CVE-2023-1"], aliases: ["VDE-2023-040"])
        let byAlias = try Self.advisory("ICSA-23-100-01", vendor: "CODESYS", cves: ["CVE-2023-1", "CVE-2023-2"],
                                        references: ["https://certvde.com/en/advisories/VDE-2023-040/"])
        let ssa = try Self.advisory("SSA-042050", publisher: Self.siemens, cves: ["CVE-2023-3"])
        let mistyped = try Self.advisory("ICSA-23-166-06", vendor: "Siemens", cves: ["CVE-2023-4"],
                                         references: ["https://cert-portal.siemens.com/productcert/csaf/ssa-42050.json"])
        let links = AdvisoryLinker.link([festo, byAlias, ssa, mistyped])
        #expect(links["FSA-202301"]?.map(\.id) == ["ICSA-23-100-01"])
        #expect(links["FSA-202301"]?.first?.reason == .reference)
        #expect(links["FSA-202301"]?.first?.sharedCVEs == ["CVE-2023-1"])
        #expect(links["SSA-042050"]?.map(\.id) == ["ICSA-23-166-06"])
    }

    @Test("the same CVE set is strong, an overlap medium or weak by its share of all their CVEs, and needs the same vendor")
    func sharedCVEs() throws {
        let ssa = try Self.advisory("SSA-100001", publisher: Self.siemens, vendor: "Siemens",
                                    cves: ["CVE-2024-1", "CVE-2024-2", "CVE-2024-3", "CVE-2024-4"])
        let same = try Self.advisory("ICSA-24-001-01", vendor: "Siemens AG", cves: ["cve-2024-4", "CVE-2024-3", "CVE-2024-2", "CVE-2024-1"])
        let half = try Self.advisory("ICSA-24-001-02", vendor: "Siemens Industry Software Inc.", cves: ["CVE-2024-1", "CVE-2024-2", "CVE-2024-3"])
        // One shared of five in all: weak, though it is half of this advisory's CVEs.
        let little = try Self.advisory("ICSA-24-001-03", vendor: "Siemens", cves: ["CVE-2024-1", "CVE-2024-7"])
        let otherVendor = try Self.advisory("ICSA-24-001-04", vendor: "CODESYS GmbH", cves: ["CVE-2024-1", "CVE-2024-2", "CVE-2024-3", "CVE-2024-4"])
        let secondary = try Self.advisory("ICSA-24-001-05", vendor: "CODESYS", cves: ["CVE-2024-1"])
        var withSecondary = try Self.advisory("FSA-202401", publisher: ("Festo SE & Co. KG", "vendor", "https://www.festo.com"),
                                              vendor: "Festo", cves: ["CVE-2024-1"])
        withSecondary.vendors = ["FESTO", "CODESYS"]
        let links = AdvisoryLinker.link([ssa, same, half, little, otherVendor, secondary, withSecondary])
        let fromSSA = links["SSA-100001"] ?? []
        #expect(fromSSA.map(\.id) == ["ICSA-24-001-01", "ICSA-24-001-02", "ICSA-24-001-03"])
        #expect(fromSSA.map(\.reason) == [.sameCVEs, .overlappingCVEs, .overlappingCVEs])
        #expect(fromSSA.map(\.strength) == [.strong, .medium, .weak])
        #expect(fromSSA.map(\.sharedCVEs) == [["CVE-2024-1", "CVE-2024-2", "CVE-2024-3", "CVE-2024-4"],
                                              ["CVE-2024-1", "CVE-2024-2", "CVE-2024-3"], ["CVE-2024-1"]])
        // Different vendors, even with the very same CVEs, and a vendor that is only the other's secondary one.
        #expect(links["ICSA-24-001-04"] == nil)
        #expect(links["FSA-202401"] == nil)
        #expect(links["ICSA-24-001-05"] == nil)
    }

    @Test("advisories of one publisher are never linked, even naming each other with the same CVEs")
    func samePublisherNotLinked() throws {
        let first = try Self.advisory("SSA-200001", publisher: Self.siemens, cves: ["CVE-2024-5"])
        let second = try Self.advisory("SSA-200002", publisher: ("Siemens ProductCERT", "vendor", "http://siemens.com/"),
                                       cves: ["CVE-2024-5"], references: ["https://cert-portal.siemens.com/productcert/html/ssa-200001.html"])
        let third = try Self.advisory("ICSA-24-002-01", cves: ["CVE-2024-5"])
        let fourth = try Self.advisory("ICSA-24-002-02", cves: ["CVE-2024-5"], references: ["https://www.cisa.gov/news-events/ics-advisories/icsa-24-002-01"])
        let links = AdvisoryLinker.link([first, second, third, fourth])
        #expect(links["SSA-200001"]?.map(\.id) == ["ICSA-24-002-01", "ICSA-24-002-02"])
        #expect(links["SSA-200002"]?.map(\.id) == ["ICSA-24-002-01", "ICSA-24-002-02"])
        #expect(links["ICSA-24-002-01"]?.map(\.id) == ["SSA-200001", "SSA-200002"])
    }

    @Test("re-adding a revised advisory drops the links it no longer earns and reports each change")
    func revisionReplacesFacts() throws {
        let ssa = try Self.advisory("SSA-300001", publisher: Self.siemens, cves: ["CVE-2024-10"])
        let other = try Self.advisory("SSA-300002", publisher: Self.siemens, cves: ["CVE-2024-11", "CVE-2024-12"])
        var linker = AdvisoryLinker()
        #expect(linker.add(ssa).isEmpty)
        #expect(linker.add(other).isEmpty)

        let first = try Self.advisory("ICSA-24-003-01", cves: ["CVE-2024-10"])
        #expect(linker.add(first).map(\.kind) == [.added])
        #expect(linker.links(for: "SSA-300001").map(\.reason) == [.sameCVEs])

        // Revision 2 drops the CVE and gains another advisory's, plus a reference to the second SSA.
        let revised = try Self.advisory("ICSA-24-003-01", cves: ["CVE-2024-11"],
                                        references: ["https://cert-portal.siemens.com/productcert/csaf/ssa-300002.json"])
        let changes = linker.add(revised)
        #expect(changes.map(\.kind) == [.removed, .added])
        #expect(changes.map(\.link.id) == ["SSA-300001", "SSA-300002"])
        #expect(linker.links(for: "SSA-300001").isEmpty)
        #expect(linker.links(for: "SSA-300002").map(\.reason) == [.reference])
        #expect(linker.allLinks.keys.sorted() == ["ICSA-24-003-01", "SSA-300002"])

        // Revision 3 keeps the reference, but the SSA's view of it changes (a new date): reported as changed.
        var dated = revised
        dated.initialReleaseDate = try Date("2024-02-01T00:00:00Z", strategy: .iso8601)
        #expect(linker.add(dated).map(\.kind) == [.changed])
        #expect(linker.links(for: "SSA-300002").first?.initialReleaseDate == dated.initialReleaseDate)
        #expect(linker.add(dated).isEmpty)

        #expect(linker.remove("ICSA-24-003-01").map(\.kind) == [.removed])
        #expect(linker.allLinks.isEmpty)
        #expect(linker.count == 2)
    }

    @Test("a link encodes with camelCase keys: id, publisher, reason, strength and its extras")
    func jsonKeys() throws {
        let link = AdvisoryLink(id: "SSA-123456", publisher: "Siemens ProductCERT", reason: .sameCVEs, strength: .strong,
                                sharedCVEs: ["CVE-2024-1"], initialReleaseDate: Date(timeIntervalSince1970: 0))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        let text = String(decoding: try encoder.encode(link), as: UTF8.self)
        #expect(text == #"{"id":"SSA-123456","initialReleaseDate":"1970-01-01T00:00:00Z","publisher":"Siemens ProductCERT","reason":"sameCVEs","sharedCVEs":["CVE-2024-1"],"strength":"strong"}"#)
        #expect(try JSONDecoder.iso8601.decode(AdvisoryLink.self, from: Data(text.utf8)) == link)
    }

    @Test("document keys: one key for an ID's spellings, none for what cannot be an advisory's ID")
    func documentKeys() {
        #expect(AdvisoryLinkFacts.documentKey("VDE-2023-040") == "vde-2023-40")
        #expect(AdvisoryLinkFacts.documentKey("FSA-202300000") == "fsa-202300000")
        #expect(AdvisoryLinkFacts.documentKey("x-000-007") == "x-0-7")
        #expect(AdvisoryLinkFacts.documentKey("x-007") == nil)
        #expect(AdvisoryLinkFacts.documentKey("abc-000-007") == "abc-0-7")
        #expect(AdvisoryLinkFacts.documentKey("SSA-ÄÖ-12") == "ssa-äö-12")
        #expect(AdvisoryLinkFacts.documentKey("SSA-042050") == "ssa-42050")
        #expect(AdvisoryLinkFacts.documentKey("ICSA-19-038-02") == "icsa-19-38-2")
        #expect(AdvisoryLinkFacts.documentKey("icsa_19_38_2") == "icsa-19-38-2")
        #expect(AdvisoryLinkFacts.documentKey("CVE-2021-31890") == nil)
        #expect(AdvisoryLinkFacts.documentKey("psirt") == nil)
        #expect(AdvisoryLinkFacts.documentKey("11780818443") == nil)
        #expect(AdvisoryLinkFacts.documentKeys(inURL: "https://certvde.com/en/advisories/vendor/festo/") == [])
        #expect(AdvisoryLinkFacts.documentKeys(inURL: "https://www.cve.org/CVERecord?id=CVE-2025-2595") == [])
        #expect(AdvisoryLinkFacts.documentKeys(inURL: "https://cert-portal.siemens.com") == [])
        #expect(AdvisoryLinkFacts.documentKeys(inURL: "https://certvde.com/de/advisories/vde-2021-008/") == ["vde-2021-8"])
    }
}

/// Two advisory IDs.
struct AdvisoryLinkPair: Hashable, Comparable, CustomStringConvertible {
    var a: String
    var b: String
    init(_ a: String, _ b: String) { self.a = a; self.b = b }
    static func < (x: AdvisoryLinkPair, y: AdvisoryLinkPair) -> Bool { (x.a, x.b) < (y.a, y.b) }
    var description: String { "\(a)–\(b)" }
}

extension JSONDecoder {
    fileprivate static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

@Suite("Document keys: the ASCII path and the general one")
struct DocumentKeyPathsTests {
    @Test("every ID, alias, reference URL and segment of the real providers gets the same keys from both paths")
    func samePathsOverTheCorpus() throws {
        var texts: Set<String> = ["", "-", "0", "00-00", "a0b0", "SSA-0", "ssa-000-000", "A.B_C D-1", "x--y__1", "CWE-79", "cve-2024-1",
                                  "AB%CD-12", "ab~12345", "1A", "ICSA-23-166-06.", "-ICSA-1-2-", "vde-2023-040/", "a b 0 0 0"]
        let advisories = try AdvisoryLinkCorpus.siemens.get() + AdvisoryLinkCorpus.festo.get() + AdvisoryLinkCorpus.beckhoff.get()
            + AdvisoryLinkCorpus.cisa.get()
        for advisory in advisories {
            texts.insert(advisory.id)
            texts.formUnion(advisory.aliases)
            for reference in advisory.references {
                for segment in reference.url.split(whereSeparator: { "/?&=#".contains($0) }) { texts.insert(String(segment)) }
            }
        }
        #expect(texts.count > 9_000)
        var urls: Set<String> = [" https://a.example/x/SSA-123456.html ", "https://a.example", "https://a.example/", "a.example/ssa-123456",
                                 "/ssa-123456/x", "https://a.example/ssa-123456.json#x?y=ICSA-1-2-3", "https://a.example/?a=ICSA-19-038-02&&b",
                                 "https://a.example/x?=VDE-2023-040&q=abcde-1&q=ABCDE-01", "https://a.example/x/ssa-123456.",
                                 "https://a.example/x/ssa-123456.toolong", "https://a.example/x/ssa-123456.p1", "http:/a/b/SSA-1234",
                                 "https://a.example//ssa-123456//", "https://a.example/ssa-123456?", "\t\nhttps://a.example/SSA-7777\r\n"]
        for advisory in advisories { urls.formUnion(advisory.references.map(\.url)) }
        for url in urls where url.utf8.allSatisfy({ $0 < 0x80 }) {
            #expect(AdvisoryLinkFacts.asciiDocumentKeys(inURL: Array(url.utf8)) == AdvisoryLinkFacts.scalarDocumentKeys(inURL: url), "\(url)")
        }
        for text in texts where text.utf8.allSatisfy({ $0 < 0x80 }) {
            #expect(AdvisoryLinkFacts.asciiDocumentKey(text.utf8) == AdvisoryLinkFacts.scalarDocumentKey(text), "\(text)")
        }
    }
}
