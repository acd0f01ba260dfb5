import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Importing folders as an aggregator mirrors them (`provider_metadata.json`, keys named by fingerprint beside it) into
/// SQLite, with no `--key`.
@Suite("Importing mirrored provider folders into SQLite")
struct MirrorImportTests {
    @Test("Festo and Beckhoff: all 36 signatures verified by the keys their provider_metadata.json lists, none rejected")
    func festoAndBeckhoff() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let festo = try SharedData.url("providers/festo").path
        let beckhoff = try SharedData.url("providers/beckhoff").path
        let summary = try await LocalImporter().run(paths: [festo, beckhoff], into: store)
        #expect(summary.new == 36)
        #expect(summary.rejected == 0, "\(summary.errors.prefix(3))")
        #expect(summary.integrity == ["verified": 36])
        #expect(summary.keyProblems.isEmpty)
        #expect(summary.keys.sorted { $0.name > $1.name } == [
            .init(root: festo, name: "Festo SE & Co. KG", fingerprints: ["4B29CDDC3DD4B231162C2B122DF4DD0771B68E61"]),
            .init(root: beckhoff, name: "Beckhoff Automation GmbH & Co. KG", fingerprints: ["6D0B3DE822AEB74F9B7F82C2306FBCF67D77C861"]),
        ])
        // The metadata and each ROLIE feed are recognised and not imported.
        #expect(Set(summary.skippedFiles.map(\.path)) == [
            festo + "/provider_metadata.json", festo + "/csaf-feed-tlp-white/csaf-feed-tlp-white.json",
            beckhoff + "/provider_metadata.json", beckhoff + "/csaf-feed-tlp-white/csaf-feed-tlp-white.json",
        ])

        let statistics = try await store.statistics()
        #expect(statistics.quarantined == 0)
        #expect(Dictionary(uniqueKeysWithValues: statistics.byPublisher.map { ($0.name, $0.count) })
                == ["Festo SE & Co. KG": 19, "Beckhoff Automation GmbH & Co. KG": 17])
        let stored = try #require(try await store.advisory(id: "FSA-202401"))
        #expect(stored.document.integrity == .verified)
        #expect(stored.document.signer == "4B29CDDC3DD4B231162C2B122DF4DD0771B68E61")
    }

    @Test("Siemens' sample: all 118 verified with the four keys beside its provider_metadata.json")
    func siemens() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let siemens = try SharedData.url("providers/siemens-sample").path
        let summary = try await LocalImporter().run(paths: [siemens], into: store)
        #expect(summary.new == 118)
        #expect(summary.rejected == 0, "\(summary.errors.prefix(3))")
        #expect(summary.integrity == ["verified": 118])
        #expect(summary.keyProblems.isEmpty)
        #expect(summary.keys.map(\.root) == [siemens])
        #expect(Set(summary.keys.flatMap(\.fingerprints)) == [
            "580D38DA228555EB2A399A8118BABD55427ECF78", "721FA0FAF09FA34B24BFB97AC796861C75A783FA",
            "1F2C7F9B23F08C7F6307DB43966EE04C49B2BA34", "9534422C0570CCA7FF6FC5FCD3F481EA114AAFE4",
        ])
        #expect(try await store.statistics().advisories == 118)
    }
}
