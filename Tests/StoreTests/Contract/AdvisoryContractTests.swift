import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// The advisory store's contract, run on SQLite and on PostgreSQL: the same documents give the same outcomes, pages,
/// bytes and journal on both.
@Suite("Advisory store contract")
struct AdvisoryContractTests {
    static let isduba = RevisionTests.id

    @Test("revisions in order: new, updated, updated; every revision kept, journalled, and fetchable byte for byte",
          arguments: Backend.allCases)
    func revisionsInOrder(_ backend: Backend) async throws {
        let documents = try RevisionTests.folders.map(RevisionTests.revision)
        try await backend.withStore { store in
            var outcomes: [IngestOutcome] = []
            for document in documents { outcomes.append(try await store.ingest(document)) }
            #expect(outcomes == [.new, .updated, .updated])

            let stored = try #require(try await store.advisory(id: Self.isduba))
            #expect(stored.advisory.version == "3")
            #expect(stored.advisory.status == "final")
            #expect(stored.document.sha256 == documents[2].integrity.sha256)
            #expect(stored.revisions.map(\.sha256) == [documents[2], documents[1], documents[0]].map(\.integrity.sha256))
            #expect(stored.revisions.map(\.isCurrent) == [true, false, false])
            #expect(stored.revisions.map(\.version) == ["3", "3", "2"])
            #expect(stored.revisions.map(\.size) == [documents[2], documents[1], documents[0]].map(\.bytes.count))
            #expect(stored.conflictCount == 0)
            #expect(stored.knownExploited.isEmpty)
            for revision in stored.revisions {
                let raw = try #require(try await store.rawDocument(advisoryID: Self.isduba, documentID: revision.documentID))
                #expect(raw.bytes == documents.first { $0.integrity.sha256 == revision.sha256 }?.bytes)
            }
            // A revision of another advisory is not served under this one's ID.
            #expect(try await store.rawDocument(advisoryID: "ICSA-00-000-00", documentID: stored.revisions[0].documentID) == nil)

            // Each newer revision is journalled with the one it replaced, for alert creation.
            let ids = stored.revisions.reversed().map(\.documentID)
            #expect(try await Journal.entries(store) == [
                .init(advisoryID: Self.isduba, documentID: ids[0], previousDocumentID: nil),
                .init(advisoryID: Self.isduba, documentID: ids[1], previousDocumentID: ids[0]),
                .init(advisoryID: Self.isduba, documentID: ids[2], previousDocumentID: ids[1]),
            ])
            let statistics = try await store.statistics()
            #expect(statistics.advisories == 1)
            #expect(statistics.documents == 3)
            let page = try await store.search(AdvisoryQuery(text: "avendor"))
            #expect(page.items.map(\.id) == [Self.isduba])
            #expect(page.items.first?.version == "3")
        }
    }

    @Test("revisions in reverse order: new, historical, historical; the newest stays current and only it is journalled",
          arguments: Backend.allCases)
    func revisionsReversed(_ backend: Backend) async throws {
        let documents = try RevisionTests.folders.reversed().map(RevisionTests.revision)
        try await backend.withStore { store in
            var outcomes: [IngestOutcome] = []
            var generations = [try await store.generation()]
            for document in documents {
                outcomes.append(try await store.ingest(document))
                generations.append(try await store.generation())
            }
            #expect(outcomes == [.new, .historical, .historical])
            // A historical revision is stored data too: pages listing revisions must be rendered again.
            #expect(generations == generations.sorted() && Set(generations).count == 4)
            let stored = try #require(try await store.advisory(id: Self.isduba))
            #expect(stored.advisory.status == "final")
            #expect(stored.revisions.map(\.sha256) == documents.map(\.integrity.sha256))
            #expect(stored.revisions.map(\.isCurrent) == [true, false, false])
            for (revision, document) in zip(stored.revisions, documents) {
                #expect(try await store.rawDocument(advisoryID: Self.isduba, documentID: revision.documentID)?.bytes == document.bytes)
            }
            #expect(try await Journal.entries(store).map(\.documentID) == [stored.document.documentID])
        }
    }

    @Test("the same bytes again are unchanged: nothing stored, nothing journalled, the generation stays",
          arguments: Backend.allCases)
    func unchanged(_ backend: Backend) async throws {
        let document = try Incoming.document(Corpus.proconos)
        try await backend.withStore { store in
            let empty = try await store.generation()
            #expect(try await store.ingest(document) == .new)
            let generation = try await store.generation()
            #expect(generation > empty)
            let before = try await store.statistics()
            #expect(try await store.ingest(document) == .unchanged)
            #expect(try await store.ingest(batch: [document, document]) == [.unchanged, .unchanged])
            #expect(try await store.statistics() == before)
            #expect(try await store.generation() == generation)
            #expect(try await Journal.entries(store).count == 1)
        }
    }

    @Test("same ID and version with other bytes is a conflict: recorded once, never applied", arguments: Backend.allCases)
    func conflict(_ backend: Backend) async throws {
        let original = try Incoming.document(Corpus.proconos)
        let altered = try original.altered(#""title": "Phoenix Contact ProConOS"#, #""title": "Phoenix Contact ProConOZ"#,
                                           origin: "/elsewhere/icsa-22-172-04.json")
        #expect(altered.tracking == original.tracking)
        try await backend.withStore { store in
            #expect(try await store.ingest(original) == .new)
            let generation = try await store.generation()
            #expect(try await store.ingest(altered) == .conflict)
            #expect(try await store.generation() > generation)

            let conflicts = try await store.conflicts(advisoryID: "ICSA-22-172-04")
            #expect(conflicts.count == 1)
            let conflict = try #require(conflicts.first)
            #expect(conflict.advisoryID == "ICSA-22-172-04")
            #expect(conflict.version == "1")
            #expect(conflict.storedSHA256 == original.integrity.sha256)
            #expect(conflict.incomingSHA256 == altered.integrity.sha256)
            #expect(conflict.origin == "/elsewhere/icsa-22-172-04.json")
            #expect(abs(conflict.detectedAt.timeIntervalSinceNow) < 3_600)
            #expect(try await store.conflicts(advisoryID: nil) == conflicts)
            #expect(try await store.conflicts(advisoryID: "ICSA-22-172-01").isEmpty)

            let stored = try #require(try await store.advisory(id: "ICSA-22-172-04"))
            #expect(stored.advisory.title == "Phoenix Contact ProConOS and MULTIPROG")
            #expect(stored.revisions.count == 1)
            #expect(stored.conflictCount == 1)
            #expect(try await store.rawDocument(advisoryID: "ICSA-22-172-04", documentID: nil)?.bytes == original.bytes)
            #expect(try await store.search(AdvisoryQuery(text: "ProConOZ")).total == 0)

            #expect(try await store.ingest(altered) == .conflict)
            let statistics = try await store.statistics()
            #expect(statistics.conflicts == 1)
            #expect(statistics.documents == 1)
            #expect(try await Journal.entries(store).count == 1)
        }
    }

    @Test("the same bytes with a stronger check raise the stored integrity; a weaker one never lowers it",
          arguments: Backend.allCases)
    func integrityUpgrade(_ backend: Backend) async throws {
        var weak = try Incoming.document(Corpus.proconos)
        weak.integrity.status = .hashOnly
        weak.integrity.detail = "SHA-512 matched"
        weak.integrity.sha512Sidecar = "sidecar"
        var strong = weak
        strong.integrity.status = .verified
        strong.integrity.detail = "good RSA-4096 signature"
        strong.integrity.signer = "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"
        strong.integrity.signature = Array("-----BEGIN PGP SIGNATURE-----".utf8)
        strong.integrity.sha512Sidecar = nil
        try await backend.withStore { store in
            #expect(try await store.ingest(weak) == .new)
            #expect(try await store.advisory(id: "ICSA-22-172-04")?.document.integrity == .hashOnly)
            let generation = try await store.generation()

            #expect(try await store.ingest(strong) == .unchanged)
            let verified = try #require(try await store.advisory(id: "ICSA-22-172-04"))
            #expect(verified.document.integrity == .verified)
            #expect(verified.document.signer == "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17")
            #expect(verified.document.integrityDetail == "good RSA-4096 signature")
            #expect(verified.document.hasSignature && verified.document.hasSHA512Sidecar)
            #expect(verified.revisions.count == 1)
            let raw = try #require(try await store.rawDocument(advisoryID: "ICSA-22-172-04", documentID: nil))
            #expect(raw.signature == strong.integrity.signature)
            // The sidecar the stronger check did not bring is kept.
            #expect(raw.sha512Sidecar == "sidecar")
            let upgraded = try await store.generation()
            #expect(upgraded > generation)

            #expect(try await store.ingest(weak) == .unchanged)
            #expect(try await store.advisory(id: "ICSA-22-172-04")?.document.integrity == .verified)
            #expect(try await store.generation() == upgraded)
        }
    }

    @Test("an imported file is served back verbatim with its sidecars; unknown IDs give nil", arguments: Backend.allCases)
    func verbatim(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let summary = try await LocalImporter().run(paths: [try SharedData.url(Corpus.proconos).path], into: store)
            #expect(summary.new == 1)
            let raw = try #require(try await store.rawDocument(advisoryID: "ICSA-22-172-04", documentID: nil))
            #expect(raw.bytes == (try SharedData.bytes(Corpus.proconos)))
            #expect(raw.fileName == "icsa-22-172-04.json")
            #expect(raw.sha512Sidecar == String(decoding: try SharedData.bytes(Corpus.proconos + ".sha512"), as: UTF8.self))
            #expect(raw.signature == (try SharedData.bytes(Corpus.proconos + ".asc")))
            #expect(raw.sha256Sidecar == nil)
            let stored = try #require(try await store.advisory(id: "ICSA-22-172-04"))
            #expect(stored.document.integrity == .hashOnly)
            #expect(stored.document.hasSHA512Sidecar && stored.document.hasSignature && !stored.document.hasSHA256Sidecar)
            #expect(stored.advisory.vendors == ["Phoenix Contact"])
            #expect(stored.advisory.cves == ["CVE-2022-31801"])
            #expect(try await store.rawDocument(advisoryID: "ICSA-00-000-00", documentID: nil) == nil)
            #expect(try await store.advisory(id: "ICSA-00-000-00") == nil)
        }
    }

    @Test("a document whose JSON has a \\u0000 escape is stored and shown all the same", arguments: Backend.allCases)
    func nulEscape(_ backend: Backend) async throws {
        let original = try Incoming.document(Corpus.proconos)
        // jsonb cannot hold U+0000: PostgreSQL keeps the bytes without the jsonb copy.
        let document = try original.altered(#""title": "Phoenix Contact ProConOS"#, #""title": "Phoenix Contact Pro\u0000ConOS"#,
                                            origin: "nul.json")
        let title = "Phoenix Contact Pro" + String(UnicodeScalar(0)) + "ConOS and MULTIPROG"
        try await backend.withStore { store in
            let outcome = try await store.ingest(document)
            #expect(outcome == .new)
            let raw = try await store.rawDocument(advisoryID: "ICSA-22-172-04", documentID: nil)
            #expect(raw?.bytes == document.bytes)
            let stored = try await store.advisory(id: "ICSA-22-172-04")
            #expect(stored?.advisory.title == title)
            #expect(try await store.search(AdvisoryQuery()).items.count == 1)
        }
    }

    @Test("a batch gives each document the outcome it would have alone", arguments: Backend.allCases)
    func batch(_ backend: Backend) async throws {
        let proconos = try Incoming.document(Corpus.proconos)
        let ruggedcom = try Incoming.document(Corpus.ruggedcom)
        let revisions = try RevisionTests.folders.map(RevisionTests.revision)
        try await backend.withStore { store in
            let generation = try await store.generation()
            let outcomes = try await store.ingest(batch: [proconos, proconos, revisions[2], revisions[0], ruggedcom, revisions[1]])
            #expect(outcomes == [.new, .unchanged, .new, .historical, .new, .historical])
            #expect(try await store.generation() > generation)
            #expect(try await store.statistics().documents == 5)
            #expect(Set(try await Journal.entries(store).map(\.advisoryID)) == ["ICSA-22-172-04", Self.isduba, "ICSA-21-259-01"])
            #expect(try await store.ingest(batch: []) == [])
        }
    }

    /// ProConOS's advisory under another ID, with every vendor branch renamed.
    static func renamed(_ id: String, vendor: String) throws -> IncomingDocument {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(try SharedData.bytes(Corpus.proconos))) as? [String: Any])
        func rename(_ value: Any) -> Any {
            if var object = value as? [String: Any] {
                if object["category"] as? String == "vendor" { object["name"] = vendor }
                for (key, child) in object { object[key] = rename(child) }
                return object
            }
            if let array = value as? [Any] { return array.map(rename) }
            return value
        }
        json = try #require(rename(json) as? [String: Any])
        var document = try #require(json["document"] as? [String: Any])
        var tracking = try #require(document["tracking"] as? [String: Any])
        tracking["id"] = id
        document["tracking"] = tracking
        json["document"] = document
        let bytes = Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
        return try Incoming.document(bytes, origin: "/in/\(id).json")
    }

    @Test("new vendors whose names make the same slug get -2, -3 … in the order they arrive, in a batch as one at a time",
          arguments: Backend.allCases)
    func vendorSlugs(_ backend: Backend) async throws {
        try await backend.withStore { store in
            // Stored first: one vendor already holds `acme-automation-2`, another merely starts with the base.
            #expect(try await store.ingest(try Self.renamed("TEST-1", vendor: "Acme Automation 2")) == .new)
            #expect(try await store.ingest(try Self.renamed("TEST-2", vendor: "Acme Automation GmbH")) == .new)
            let outcomes = try await store.ingest(batch: [
                try Self.renamed("TEST-3", vendor: "Acme Automation"),
                try Self.renamed("TEST-4", vendor: "ACME automation!"),
                try Self.renamed("TEST-5", vendor: "Acme Automation GmbH"),
                try Self.renamed("TEST-6", vendor: "Acme-Automation"),
            ])
            #expect(outcomes == [.new, .new, .new, .new])
            let slugs = Dictionary(uniqueKeysWithValues: try await store.vendors().map { ($0.name, $0.slug) })
            #expect(slugs == ["Acme Automation 2": "acme-automation-2", "Acme Automation GmbH": "acme-automation-gmbh",
                              "Acme Automation": "acme-automation", "ACME automation!": "acme-automation-3",
                              "Acme-Automation": "acme-automation-4"])
            #expect(try await store.vendor(slug: "acme-automation-gmbh")?.advisoryCount == 2)
        }
    }

    @Test("quarantine keeps one entry per origin and hash, newest first, with its reason", arguments: Backend.allCases)
    func quarantine(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let generation = try await store.generation()
            try await store.quarantine(RejectedDocument(origin: "/in/a.json", reason: "SHA-512 mismatch", code: .hashMismatch,
                                                        bytes: [1, 2, 3], sha256: "aa", advisoryID: "ICSA-1"))
            #expect(try await store.generation() > generation)
            try await store.quarantine(RejectedDocument(origin: "/in/b.json", reason: "not a CSAF document", code: .notCSAF))
            // The same file again: its entry is updated, not doubled.
            try await store.quarantine(RejectedDocument(origin: "/in/a.json", reason: "bad signature", code: .badSignature,
                                                        bytes: [1, 2, 3], sha256: "aa", advisoryID: "ICSA-1"))
            let entries = try await store.quarantined(limit: 10)
            #expect(entries.count == 2)
            let a = try #require(entries.first { $0.origin == "/in/a.json" })
            #expect(a.reason == "bad signature" && a.code == .badSignature)
            #expect(a.sha256 == "aa" && a.size == 3 && a.advisoryID == "ICSA-1")
            let b = try #require(entries.first { $0.origin == "/in/b.json" })
            #expect(b.sha256 == nil && b.size == nil && b.advisoryID == nil)
            #expect(try await store.quarantined(limit: 1).count == 1)
            #expect(try await store.statistics().quarantined == 2)
            #expect(try await store.statistics().advisories == 0)
        }
    }

    @Test("the quarantine keeps every code as it was written, and one this version does not know reads back as stored",
          arguments: Backend.allCases)
    func quarantineCodes(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let codes = QuarantineCode.known + [.other("from-a-newer-vigil")]
            for (index, code) in codes.enumerated() {
                try await store.quarantine(RejectedDocument(origin: "/in/\(index).json", reason: "rejected as \(code)", code: code,
                                                            sha256: String(index)))
            }
            let read = Dictionary(uniqueKeysWithValues: try await store.quarantined(limit: 100).map { ($0.origin, $0) })
            #expect(read.count == codes.count)
            for (index, code) in codes.enumerated() {
                let entry = try #require(read["/in/\(index).json"])
                #expect(entry.code == code)
                #expect(entry.code.rawValue == code.rawValue)
                #expect(entry.reason == "rejected as \(code.rawValue)")
            }
            #expect(read["/in/\(codes.count - 1).json"]?.code == .other("from-a-newer-vigil"))
        }
    }

    @Test("hostile full-text input never makes the query fail", arguments: Backend.allCases)
    func hostileInput(_ backend: Backend) async throws {
        let inputs = [
            "\"", "\"\"", "*", "**", "NEAR(", "NEAR(a b, 5)", "ProConOS\"", "\"ProConOS", "a OR", "AND", "NOT ProConOS", "(", ")",
            "title:ProConOS", "^ProConOS", "-", "- -", "'; DROP TABLE advisories; --", "{title cves}: x", "x\u{0}y", "😀", "   ",
            "ProConOS*\"*(", "\\", "%_", "CVE-", "...", "_", "'", "''", "ProConOS'", "a & b | !c", "a <-> b", "a:*", ":*", "!",
            "$1", "?", "é", "Pro\u{301}", String(repeating: "x", count: 5_000), "ProConOS " + String(repeating: "y", count: 3_000),
        ]
        try await backend.withStore { store in
            #expect(try await store.ingest(try Incoming.document(Corpus.proconos)) == .new)
            for text in inputs {
                let page = try await store.search(AdvisoryQuery(text: text))
                #expect(page.total <= 1, "\(text.prefix(40))")
                #expect(page.items.count == page.total)
            }
            // Quotes and operators around a word are dropped, the word still found.
            for text in ["ProConOS\"", "\"ProConOS", "ProConOS'", "^ProConOS", "ProConOS*\"*(", "(ProConOS)"] {
                #expect(try await store.search(AdvisoryQuery(text: text)).total == 1, "\(text)")
            }
            #expect(try await store.statistics().advisories == 1)
        }
    }
}
