import CSAF
import Foundation
import Revisions
import Storage
import Store
import Testing
import VigilTestSupport

/// Links between advisories of different publishers, as both stores answer them from the rows the ingest keeps: the
/// same links the pure `AdvisoryLinker` finds in the documents, kept true as revisions arrive, and written for
/// advisories stored before the keys were kept.
@Suite struct LinkContractTests {
    static func document(_ crafted: CraftedAdvisory) throws -> IncomingDocument {
        try Incoming.document(crafted.bytes, origin: "crafted/\(crafted.id.lowercased())-v\(crafted.version).json")
    }

    static let vendorAdvisory = CraftedAdvisory(id: "EXSA-123456", publisher: .example, cves: ["CVE-2026-1001", "CVE-2026-1002"],
                                                released: "2026-03-02")
    static let republication = CraftedAdvisory(id: "ICSA-26-068-01", vendor: "Example Corp.", cves: ["CVE-2026-1001", "CVE-2026-1002"],
                                               references: ["https://example.com/advisories/exsa-123456.json"], released: "2026-03-09")

    @Test("the real providers: the store's links are the linker's, for every advisory and one at a time", arguments: Backend.allCases)
    func corpus(backend: Backend) async throws {
        var documents: [IncomingDocument] = []
        for folder in ["providers/siemens-sample", "providers/festo", "providers/beckhoff"] {
            documents += try SharedData.jsonFiles(under: folder).compactMap { try? Incoming.document("\(folder)/\($0)") }
        }
        for year in 2022...2024 { documents += try Corpus.cisa(year: year) }
        #expect(documents.count > 1_000)
        // One document per ID in these folders: each is the advisory's current revision.
        let current = Dictionary(documents.map { ($0.advisory.id, $0.advisory) }, uniquingKeysWith: { first, _ in first })
        #expect(current.count == documents.count)
        let expected = AdvisoryLinker.link(Array(current.values))
        #expect(expected["SSA-116924"].map { Set($0.map(\.id)) } == ["ICSA-23-103-04", "ICSA-23-103-08"])

        try await backend.withStore { store in
            _ = try await store.ingest(batch: documents)
            let all = try await store.allLinks()
            #expect(all.count == expected.count)
            for (id, links) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(all[id] == links, "\(id)")
            }
            // One at a time, and in a batch with advisories that have none.
            let sample = Array(expected.keys.sorted().prefix(60)) + ["NO-SUCH-ADVISORY"]
            let batch = try await store.related(advisoryIDs: sample)
            for id in sample { #expect(batch[id] == expected[id], "\(id)") }
            #expect(try await store.related(advisoryID: "SSA-116924") == expected["SSA-116924"])
            let unlinked = try #require(current.keys.sorted().first { expected[$0] == nil })
            #expect(try await store.related(advisoryID: unlinked) == [])
        }
    }

    @Test("a revision that drops its reference drops the link; one that adds it back links again", arguments: Backend.allCases)
    func revisionsKeepLinksTrue(backend: Backend) async throws {
        try await backend.withStore { store in
            // CISA's advisory first, naming a vendor advisory not stored yet: linked once the vendor's arrives.
            _ = try await store.ingest(Self.document(Self.republication))
            #expect(try await store.related(advisoryID: Self.republication.id) == [])
            _ = try await store.ingest(Self.document(Self.vendorAdvisory))
            let fromCISA = try await store.related(advisoryID: Self.republication.id)
            #expect(fromCISA.map(\.id) == ["EXSA-123456"])
            #expect(fromCISA.first?.reason == .reference && fromCISA.first?.strength == .strong)
            #expect(fromCISA.first?.reference == .namesOther && fromCISA.first?.publisher == "Example ProductCERT")
            #expect(fromCISA.first?.sharedCVEs == ["CVE-2026-1001", "CVE-2026-1002"])
            let fromVendor = try await store.related(advisoryID: "EXSA-123456")
            #expect(fromVendor.map(\.id) == ["ICSA-26-068-01"] && fromVendor.first?.reference == .namedByOther)
            #expect(fromVendor.first?.initialReleaseDate == Timestamp.parse("2026-03-09T10:00:00Z"))

            // Version 2 names nothing and lists other CVEs, under another vendor: no rule holds any more.
            var unrelated = Self.republication
            unrelated.version = 2
            unrelated.references = []
            unrelated.cves = ["CVE-2026-2001"]
            _ = try await store.ingest(Self.document(unrelated))
            #expect(try await store.related(advisoryID: "EXSA-123456") == [])
            #expect(try await store.allLinks().isEmpty)

            // Version 3: the same CVEs as the vendor's and the same vendor (spelled as CISA spells it), no reference.
            var sameCVEs = unrelated
            sameCVEs.version = 3
            sameCVEs.cves = Self.vendorAdvisory.cves
            sameCVEs.vendor = "Example"
            _ = try await store.ingest(Self.document(sameCVEs))
            let again = try await store.related(advisoryID: "EXSA-123456")
            #expect(again.map(\.reason) == [.sameCVEs] && again.first?.reference == nil)

            // Another vendor's advisory sharing one CVE through a component: not linked to either.
            let component = CraftedAdvisory(id: "OTHER-2026-0007", publisher: .init(name: "Other CERT", category: "vendor",
                                                                                  namespace: "https://other.example"),
                                            vendor: "Other Automation", cves: ["CVE-2026-1001"])
            _ = try await store.ingest(Self.document(component))
            #expect(try await store.related(advisoryID: "OTHER-2026-0007") == [])
            #expect(try await store.related(advisoryID: "EXSA-123456").map(\.id) == ["ICSA-26-068-01"])
        }
    }

    @Test("a store from before the keys were kept gets them from its documents on first use", arguments: Backend.allCases)
    func keysWrittenForOlderStores(backend: Backend) async throws {
        try await backend.withStore { store in
            _ = try await store.ingest(batch: [try Self.document(Self.vendorAdvisory), try Self.document(Self.republication)])
            let links = try await store.allLinks()
            #expect(links.count == 2)
            // What the migration leaves in a store that held advisories: no keys, and the mark.
            try await Raw.execute(store, "DELETE FROM advisory_link_keys")
            try await Raw.execute(store, "UPDATE meta SET value = 1 WHERE key = 'link_keys_pending'")
            #expect(try await Raw.count(store, "SELECT COUNT(*) FROM advisory_link_keys") == 0)
            #expect(try await store.allLinks() == links)
            #expect(try await Raw.count(store, "SELECT COUNT(*) FROM advisory_link_keys") == 3)
            #expect(try await Raw.count(store, "SELECT value FROM meta WHERE key = 'link_keys_pending'") == 0)
            #expect(try await store.related(advisoryID: "EXSA-123456") == links["EXSA-123456"])
        }
    }
}

/// Statements beneath the protocol, for putting a store into a state only an older build leaves.
enum Raw {
    static func execute(_ store: any VigilStore, _ sql: String) async throws {
        if let postgres = store as? PostgresStore {
            try await postgres.execute(sql)
        } else if let sqlite = store as? SQLiteStore {
            try await sqlite.execute(sql)
        }
    }

    static func count(_ store: any VigilStore, _ sql: String) async throws -> Int64 {
        if let postgres = store as? PostgresStore { return try await postgres.fetchValue(sql, as: Int64.self) ?? -1 }
        if let sqlite = store as? SQLiteStore { return try await sqlite.fetchValue(sql, as: Int64.self) ?? -1 }
        return -1
    }
}
