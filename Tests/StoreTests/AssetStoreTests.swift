import CSAF
import Foundation
import Matching
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Inventories and exposures in a real SQLite file: incremental recomputation, merging, and isolation of organisations.
struct AssetStoreTests {
    static let advisory = "providers/cisa/csaf_files/OT/white/2021/icsa-21-259-01.json"

    @Test("exposures follow the inventory and each arriving advisory, and one organisation never sees another's")
    func exposuresAreIncrementalAndIsolated() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let plant = try #require(try await store.organisation(named: "Hamburg Works", create: true))
        let other = try #require(try await store.organisation(named: "Other Utility", create: true))
        // Inventory first, advisory later: the advisory's arrival computes the exposures.
        let inventory = [
            AssetDraft(externalID: "R-1", vendor: "Siemens", product: "RUGGEDCOM ROX MX5000", version: "V2.13.0", site: "Hamburg"),
            AssetDraft(externalID: "R-2", vendor: "Siemens", product: "RUGGEDCOM ROX MX5000", version: "V2.14.1", site: "Hamburg"),
        ]
        let first = try await store.importAssets(inventory, organisationID: plant.id, replace: false)
        #expect(first.added == 2)
        #expect(first.exposures.isEmpty)
        _ = try await LocalImporter().run(paths: [try SharedData.url(Self.advisory).path], into: store)
        let rows = try await store.exposures(organisationID: plant.id, filter: ExposureFilter(includeNotAffected: true))
        #expect(rows.map(\.exposure.status).sorted() == [.affected, .fixed])
        #expect(rows.allSatisfy { $0.exposure.advisoryID == "ICSA-21-259-01" })
        #expect(try await store.exposures(organisationID: other.id, filter: ExposureFilter(includeNotAffected: true)).isEmpty)
        #expect(try await store.assets(organisationID: other.id).isEmpty)

        // The other organisation's identical asset is its own: its exposure is not visible to the first.
        _ = try await store.importAssets([inventory[0]], organisationID: other.id, replace: false)
        #expect(try await store.exposures(organisationID: other.id, filter: ExposureFilter()).count == 1)
        #expect(try await store.exposures(organisationID: plant.id, filter: ExposureFilter()).count == 2)

        // Re-importing the same file changes nothing and keeps first_seen; an upgrade to the fix turns affected to fixed.
        let seen = try #require(rows.first { $0.exposure.status == .affected }?.firstSeen)
        let again = try await store.importAssets(inventory, organisationID: plant.id, replace: false)
        #expect(again.unchanged == 2 && again.added == 0)
        var upgraded = inventory
        upgraded[0].version = "V2.14.1"
        let third = try await store.importAssets(upgraded, organisationID: plant.id, replace: false)
        #expect(third.updated == 1)
        #expect(third.exposures == ["fixed": 2])
        let after = try await store.exposures(organisationID: plant.id, filter: ExposureFilter(includeNotAffected: true))
        #expect(after.allSatisfy { $0.exposure.status == .fixed })
        #expect(after.map(\.firstSeen).contains(seen))

        // --replace drops what the file no longer lists, with its exposures.
        let replaced = try await store.importAssets([upgraded[1]], organisationID: plant.id, replace: true)
        #expect(replaced.removed == 1)
        #expect(try await store.assets(organisationID: plant.id).count == 1)
    }

    @Test("a vendor alias added later is applied to every organisation's exposures")
    func aliasRecomputes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let org = try #require(try await store.organisation(named: "Plant", create: true))
        _ = try await LocalImporter().run(paths: [try SharedData.url(Self.advisory).path], into: store)
        _ = try await store.importAssets([AssetDraft(vendor: "Sie-Mens Mobility Division", product: "RUGGEDCOM ROX MX5000", version: "2.0")],
                                         organisationID: org.id, replace: false)
        #expect(try await store.exposures(organisationID: org.id, filter: ExposureFilter()).isEmpty)
        try await store.setVendorAlias("Sie-Mens Mobility Division", canonical: "Siemens")
        #expect(try await store.recomputeExposures() == 1)
        let rows = try await store.exposures(organisationID: org.id, filter: ExposureFilter())
        #expect(rows.first?.exposure.status == .affected)
    }
}
