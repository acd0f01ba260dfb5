import CSAF
import Foundation
import Matching
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Organisations, inventories, exposures and vendor aliases, alike on SQLite and PostgreSQL.
@Suite("Asset store contract")
struct AssetContractTests {
    static let inventory = [
        AssetDraft(externalID: "R-1", vendor: "Siemens", product: "RUGGEDCOM ROX MX5000", version: "V2.13.0", site: "Hamburg"),
        AssetDraft(externalID: "R-2", vendor: "Siemens", product: "RUGGEDCOM ROX MX5000", version: "V2.14.1", site: "Hamburg"),
    ]

    @Test("organisations are found ignoring case, created once, listed by name ignoring case", arguments: Backend.allCases)
    func organisations(_ backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.organisation(named: "Hamburg Works", create: false) == nil)
            let plant = try #require(try await store.organisation(named: "  Hamburg Works ", create: true))
            #expect(plant.name == "Hamburg Works")
            #expect(try await store.organisation(named: "hamburg WORKS", create: false) == plant)
            #expect(try await store.organisation(named: "HAMBURG works", create: true) == plant)
            await #expect(throws: StoreError.self) { try await store.organisation(named: "   ", create: true) }
            for name in ["beta", "Gamma", "alpha"] { _ = try await store.organisation(named: name, create: true) }
            #expect(try await store.organisations().map(\.name) == ["alpha", "beta", "Gamma", "Hamburg Works"])
            await #expect(throws: StoreError.self) {
                try await store.importAssets(Self.inventory, organisationID: 987_654, replace: false)
            }
        }
    }

    @Test("exposures follow the inventory and each arriving advisory, and one organisation never sees another's",
          arguments: Backend.allCases)
    func exposuresAreIncrementalAndIsolated(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let plant = try #require(try await store.organisation(named: "Hamburg Works", create: true))
            let other = try #require(try await store.organisation(named: "Other Utility", create: true))
            // Inventory first, advisory later: the advisory's arrival computes the exposures.
            let first = try await store.importAssets(Self.inventory, organisationID: plant.id, replace: false)
            #expect(first.added == 2 && first.updated == 0 && first.unchanged == 0 && first.removed == 0)
            #expect(first.exposures.isEmpty)
            _ = try await LocalImporter().run(paths: [try SharedData.url(Corpus.ruggedcom).path], into: store)
            let rows = try await store.exposures(organisationID: plant.id, filter: ExposureFilter(includeNotAffected: true))
            #expect(rows.map(\.exposure.status).sorted() == [.affected, .fixed])
            #expect(rows.allSatisfy { $0.exposure.advisoryID == "ICSA-21-259-01" && !$0.exposure.productIDs.isEmpty })
            #expect(rows.first?.exposure.status == .affected)
            #expect(rows.allSatisfy { $0.advisoryTitle.contains("RUGGEDCOM") && $0.knownExploitedCount == 0 })
            #expect(try await store.exposures(organisationID: other.id, filter: ExposureFilter(includeNotAffected: true)).isEmpty)
            #expect(try await store.assets(organisationID: other.id).isEmpty)
            let assets = try await store.assets(organisationID: plant.id)
            #expect(assets.map(\.asset) == Self.inventory)
            #expect(assets.map(\.affectedCount) == [1, 0])

            // The other organisation's identical asset is its own.
            _ = try await store.importAssets([Self.inventory[0]], organisationID: other.id, replace: false)
            #expect(try await store.exposures(organisationID: other.id, filter: ExposureFilter()).count == 1)
            #expect(try await store.exposures(organisationID: plant.id, filter: ExposureFilter()).count == 2)

            // Filters: one advisory, one asset, the first rows only.
            let affected = try #require(rows.first)
            #expect(try await store.exposures(organisationID: plant.id, filter: ExposureFilter(assetID: affected.exposure.assetID))
                        .map(\.exposure) == [affected.exposure])
            #expect(try await store.exposures(organisationID: plant.id, filter: ExposureFilter(advisoryID: "ICSA-00-000-00")).isEmpty)
            #expect(try await store.exposures(organisationID: plant.id, filter: ExposureFilter(advisoryID: "ICSA-21-259-01")).count == 2)
            #expect(try await store.exposures(organisationID: plant.id, filter: ExposureFilter(limit: 1)).map(\.exposure) == [affected.exposure])

            // Re-importing the same file changes nothing and keeps first_seen; an upgrade to the fix turns affected to fixed.
            let again = try await store.importAssets(Self.inventory, organisationID: plant.id, replace: false)
            #expect(again.unchanged == 2 && again.added == 0)
            var upgraded = Self.inventory
            upgraded[0].version = "V2.14.1"
            let third = try await store.importAssets(upgraded, organisationID: plant.id, replace: false)
            #expect(third.updated == 1 && third.unchanged == 1)
            #expect(third.exposures == ["fixed": 2])
            let after = try await store.exposures(organisationID: plant.id, filter: ExposureFilter(includeNotAffected: true))
            #expect(after.allSatisfy { $0.exposure.status == .fixed })
            #expect(after.map(\.firstSeen).contains(affected.firstSeen))

            // --replace drops what the file no longer lists, with its exposures.
            let replaced = try await store.importAssets([upgraded[1]], organisationID: plant.id, replace: true)
            #expect(replaced.removed == 1 && replaced.unchanged == 1)
            #expect(try await store.assets(organisationID: plant.id).map(\.asset) == [upgraded[1]])
            #expect(try await store.exposures(organisationID: plant.id, filter: ExposureFilter(includeNotAffected: true)).count == 1)
        }
    }

    @Test("identical assets are numbered, merged on re-import and listed by site and area, unplaced first", arguments: Backend.allCases)
    func mergeAndOrder(_ backend: Backend) async throws {
        let plc = AssetDraft(vendor: "Siemens", product: "SIMATIC S7-1500", version: "V2.9", site: "Kiel", area: "Cell 1")
        let unplaced = AssetDraft(vendor: "ABB", product: "AC500", version: "3.0")
        var tagged = AssetDraft(vendor: "Phoenix Contact", product: "ProConOS", version: "1.0", site: "Kiel", area: "Cell 0",
                                owner: "ops@example.org", criticality: .high, tags: ["safety", "line 3"])
        tagged.cpe = "cpe:2.3:a:phoenixcontact:proconos:1.0:*:*:*:*:*:*:*"
        try await backend.withStore { store in
            let org = try #require(try await store.organisation(named: "Kiel", create: true))
            let first = try await store.importAssets([plc, plc, plc, unplaced, tagged], organisationID: org.id, replace: false)
            #expect(first.added == 5)
            #expect(try await store.assets(organisationID: org.id).map(\.asset) == [unplaced, tagged, plc, plc, plc])
            let again = try await store.importAssets([plc, plc, unplaced, tagged], organisationID: org.id, replace: true)
            #expect(again.unchanged == 4 && again.removed == 1 && again.added == 0)
            #expect(try await store.assets(organisationID: org.id).count == 4)
        }
    }

    @Test("a vendor alias added later is applied to every organisation's exposures", arguments: Backend.allCases)
    func aliasRecomputes(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let org = try #require(try await store.organisation(named: "Plant", create: true))
            _ = try await LocalImporter().run(paths: [try SharedData.url(Corpus.ruggedcom).path], into: store)
            _ = try await store.importAssets([AssetDraft(vendor: "Sie-Mens Mobility Division", product: "RUGGEDCOM ROX MX5000",
                                                         version: "2.0")], organisationID: org.id, replace: false)
            #expect(try await store.exposures(organisationID: org.id, filter: ExposureFilter()).isEmpty)
            try await store.setVendorAlias("Sie-Mens Mobility Division", canonical: "Siemens")
            #expect(try await store.vendorAliases() == [VendorDirectory.key("Sie-Mens Mobility Division"): "Siemens"])
            let generation = try await store.generation()
            #expect(try await store.recomputeExposures() == 1)
            #expect(try await store.generation() > generation)
            #expect(try await store.exposures(organisationID: org.id, filter: ExposureFilter()).first?.exposure.status == .affected)
            // Replacing and removing an alias.
            try await store.setVendorAlias("Sie-Mens Mobility Division", canonical: "Someone Else")
            #expect(try await store.vendorAliases().values.sorted() == ["Someone Else"])
            try await store.setVendorAlias("Sie-Mens Mobility Division", canonical: nil)
            #expect(try await store.vendorAliases().isEmpty)
            #expect(try await store.recomputeExposures() == 0)
            await #expect(throws: StoreError.self) { try await store.setVendorAlias("--", canonical: "Siemens") }
        }
    }

    @Test("an advisory made newer recomputes its exposures; known-exploited ones come first", arguments: Backend.allCases)
    func newerRevisionAndKnownExploited(_ backend: Backend) async throws {
        let original = try Incoming.document(Corpus.ruggedcom)
        // The same advisory with a later version number: a newer revision, with the same products.
        let newer = try original.altered("\"status\": \"final\",\n      \"version\": \"2\"",
                                         "\"status\": \"final\",\n      \"version\": \"3\"", origin: "newer.json")
        try await backend.withStore { store in
            let org = try #require(try await store.organisation(named: "Plant", create: true))
            _ = try await store.importAssets(Self.inventory, organisationID: org.id, replace: false)
            _ = try await store.importAssets([AssetDraft(vendor: "Phoenix Contact", product: "ProConOS", version: "1.0")],
                                             organisationID: org.id, replace: false)
            #expect(try await store.ingest(original) == .new)
            #expect(try await store.ingest(try Incoming.document(Corpus.proconos)) == .new)
            let before = try await store.exposures(organisationID: org.id, filter: ExposureFilter(includeNotAffected: true))
            #expect(Set(before.map(\.exposure.advisoryID)) == ["ICSA-21-259-01", "ICSA-22-172-04"])
            #expect(try await store.ingest(newer) == .updated)
            let after = try await store.exposures(organisationID: org.id, filter: ExposureFilter(includeNotAffected: true))
            #expect(after.map(\.exposure) == before.map(\.exposure))
            #expect(after.map(\.firstSeen) == before.map(\.firstSeen))
            #expect(try await store.advisory(id: "ICSA-21-259-01")?.revisions.map(\.version) == ["3", "2"])
            // A KEV listing of ProConOS's CVE puts its exposure first.
            _ = try await store.replaceKnownExploited([KnownExploitedVulnerability(
                cve: "CVE-2022-31801", vendor: "Phoenix Contact", product: "ProConOS", name: "x", dateAdded: "2025-01-01",
                dueDate: "2025-01-22", requiredAction: "Update.", ransomware: "Unknown")], catalogVersion: "1")
            let ranked = try await store.exposures(organisationID: org.id, filter: ExposureFilter(includeNotAffected: true))
            #expect(ranked.first?.exposure.advisoryID == "ICSA-22-172-04")
            #expect(ranked.first?.knownExploitedCount == 1)
            #expect(ranked.dropFirst().allSatisfy { $0.knownExploitedCount == 0 })
        }
    }

    @Test("the same inventory and advisories give the same exposures on both stores")
    func parity() async throws {
        let documents = try Corpus.cisa(year: 2021)
        let inventory = Self.inventory + [
            AssetDraft(vendor: "Siemens", product: "SIMATIC S7-1500", version: "V2.8", site: "Kiel"),
            AssetDraft(vendor: "Schneider Electric", product: "Modicon M580", version: "3.10", site: "Lyon"),
            AssetDraft(vendor: "Phoenix Contact", product: "ProConOS eCLR", version: "1.0"),
            AssetDraft(vendor: "Rockwell Automation", product: "FactoryTalk View SE", version: "12.0"),
            AssetDraft(vendor: "Mitsubishi Electric", product: "MELSEC iQ-R", version: "1.0"),
        ] + documents.enumerated().filter { $0.offset % 8 == 0 }.compactMap { _, document in
            // Products the advisories name, so that many of them expose something.
            document.advisory.products.first.map { AssetDraft(vendor: $0.vendor, product: $0.product, version: $0.version) }
        }
        func exposures(_ backend: Backend) async throws -> [String] {
            try await backend.withStore { store in
                let org = try #require(try await store.organisation(named: "Plant", create: true))
                // Half the advisories before the inventory, half after: both ways of computing exposures.
                _ = try await store.ingest(batch: Array(documents.prefix(documents.count / 2)))
                _ = try await store.importAssets(inventory, organisationID: org.id, replace: false)
                _ = try await store.ingest(batch: Array(documents.dropFirst(documents.count / 2)))
                let rows = try await store.exposures(organisationID: org.id, filter: ExposureFilter(includeNotAffected: true))
                let recomputed = try await store.recomputeExposures()
                #expect(recomputed == rows.count)
                #expect(try await store.exposures(organisationID: org.id, filter: ExposureFilter(includeNotAffected: true))
                            .map(\.exposure) == rows.map(\.exposure))
                return rows.map {
                    "\($0.exposure) \($0.asset) \($0.advisoryTitle) \($0.severity) \($0.cvssScore.map { "\($0)" } ?? "-") \($0.knownExploitedCount)"
                }
            }
        }
        let expected = try await exposures(.sqlite)
        #expect(expected.count > 10)
        #expect(try await exposures(.postgres) == expected)
    }
}
