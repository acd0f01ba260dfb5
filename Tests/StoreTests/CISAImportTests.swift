import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

@Suite("Importing CISA's repository into SQLite")
struct CISAImportTests {
    @Test("the whole CISA folder gives 2,383 advisories; a second import reports them unchanged and changes nothing")
    func importTwice() async throws {
        let cisa = try SharedData.url("providers/cisa").path
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()

        let first = try await LocalImporter().run(paths: [cisa], into: store)
        #expect(first.files == 2_390)
        #expect(first.new == 2_383)
        #expect(first.updated == 0)
        #expect(first.unchanged == 0)
        #expect(first.historical == 0)
        #expect(first.conflicts.isEmpty)
        #expect(first.rejected == 0, "\(first.errors.prefix(5))")
        #expect(first.skipped == 3)   // provider-metadata.json and the two ROLIE feeds
        #expect(first.ignored == 4)   // index.txt and changes.csv, OT and IT
        // provider-metadata.json pins CISA's key, which sits beside it: every signature is verified.
        #expect(first.integrity == ["verified": 2_383])
        #expect(first.keys.map(\.fingerprints) == [["144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"]])
        #expect(first.keyProblems.isEmpty)

        let before = try await store.statistics()
        #expect(before.advisories == 2_383)
        #expect(before.documents == 2_383)
        #expect(before.quarantined == 0)
        #expect(before.conflicts == 0)
        #expect(before.byPublisher.map(\.name) == ["CISA"])
        #expect(before.byPublisher.map(\.count) == [2_383])
        #expect(before.byYear.map(\.count).reduce(0, +) == 2_383)
        #expect(before.bySeverity.map(\.count).reduce(0, +) == 2_383)
        #expect(try await store.search(AdvisoryQuery(perPage: 1)).total == 2_383)
        let phoenix = try #require(try await store.advisory(id: "ICSA-22-172-04"))

        let second = try await LocalImporter().run(paths: [cisa], into: store)
        #expect(second.unchanged == 2_383)
        #expect(second.new == 0)
        #expect(second.updated == 0)
        #expect(second.historical == 0)
        #expect(second.conflicts.isEmpty)
        #expect(second.rejected == 0)

        #expect(try await store.statistics() == before)
        let again = try #require(try await store.advisory(id: "ICSA-22-172-04"))
        #expect(again.revisions == phoenix.revisions)
        #expect(again.advisory == phoenix.advisory)
    }

    @Test("the stored bytes are the published bytes, sidecars and signature included")
    func verbatim() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let relative = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"
        let summary = try await LocalImporter().run(paths: [try SharedData.url(relative).path], into: store)
        #expect(summary.new == 1)

        let raw = try #require(try await store.rawDocument(advisoryID: "ICSA-22-172-04", documentID: nil))
        #expect(raw.bytes == (try SharedData.bytes(relative)))
        #expect(raw.fileName == "icsa-22-172-04.json")
        #expect(raw.sha512Sidecar == String(decoding: try SharedData.bytes(relative + ".sha512"), as: UTF8.self))
        #expect(raw.signature == (try SharedData.bytes(relative + ".asc")))
        #expect(raw.sha256Sidecar == nil)

        let stored = try #require(try await store.advisory(id: "ICSA-22-172-04"))
        // One file on its own: no provider metadata names a key, so the signature is stored but not checked.
        #expect(stored.document.integrity == .hashOnly)
        #expect(stored.document.signer == nil)
        #expect(stored.document.integrityDetail.contains("not verified (no key is known for this source)"))
        #expect(stored.document.hasSHA512Sidecar)
        #expect(stored.document.hasSignature)
        #expect(stored.document.isCurrent)
        #expect(stored.advisory.vendors == ["Phoenix Contact"])
        #expect(stored.advisory.cves == ["CVE-2022-31801"])
        #expect(try await store.rawDocument(advisoryID: "ICSA-00-000-00", documentID: nil) == nil)
        #expect(try await store.advisory(id: "ICSA-00-000-00") == nil)
    }
}
