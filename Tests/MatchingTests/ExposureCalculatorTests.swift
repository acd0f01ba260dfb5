import CSAF
import Foundation
import Matching
import Testing
import Versions
import VigilTestSupport

/// Exposures computed from real advisories in `../shared/data/providers`.
struct ExposureCalculatorTests {
    static func advisory(_ relative: String) throws -> MatchAdvisory {
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(try SharedData.bytes(relative)) else {
            throw NotCSAF(path: relative)
        }
        return MatchAdvisory(id: parsed.advisory.id, products: parsed.advisory.products)
    }

    struct NotCSAF: Error { var path: String }

    let calculator = ExposureCalculator()

    func exposure(_ asset: AssetDraft, _ advisory: MatchAdvisory) throws -> Exposure {
        let index = calculator.index(advisories: [advisory])
        let found = calculator.exposures(of: MatchAsset(id: 1, asset: asset), in: index)
        #expect(found.count == 1, "\(found)")
        return try #require(found.first)
    }

    @Test("an asset on the fixed firmware is fixed; one below it is affected (ICSA-21-259-01, < V2.14.1)")
    func fixedFirmware() throws {
        let advisory = try Self.advisory("providers/cisa/csaf_files/OT/white/2021/icsa-21-259-01.json")
        let fixed = try exposure(AssetDraft(vendor: "Siemens AG", product: "RUGGEDCOM ROX MX5000", version: "V2.14.1"), advisory)
        #expect(fixed.status == .fixed)
        #expect(fixed.confidence == .high)
        #expect(fixed.reason.contains("\"< V2.14.1\" read as <2.14.1; version V2.14.1 is outside"), "\(fixed.reason)")
        let affected = try exposure(AssetDraft(vendor: "Siemens", product: "RUGGEDCOM ROX MX5000", version: "V2.13.0"), advisory)
        #expect(affected.status == .affected)
        #expect(affected.reason.contains("version V2.13.0 is inside"), "\(affected.reason)")
        #expect(affected.productIDs.contains("CSAFPID-0001"))
    }

    @Test("a model-number match (ICSA-17-129-02, 6ES7145-6HD00-0AB0) even when the asset's name differs")
    func modelNumberMatch() throws {
        let advisory = try Self.advisory("providers/cisa/csaf_files/OT/white/2017/icsa-17-129-02.json")
        let asset = AssetDraft(vendor: "Siemens", product: "ET 200eco PN analog output module", version: "V1.0",
                               modelNumber: "6ES7 145-6HD00-0AB0")
        let found = try exposure(asset, advisory)
        #expect(found.status == .affected)
        #expect(found.reason.contains("by model number 6ES7 145-6HD00-0AB0"), "\(found.reason)")
    }

    @Test("a CPE match from NI's data (nipal) decides by the vers:semver range")
    func cpeMatchFromNI() throws {
        let advisory = try Self.advisory("providers/ni/csaf/advisories/2021/ni_cve-2021-38304.json")
        let inside = try exposure(AssetDraft(vendor: "National Instruments", product: "NI Platform Abstraction Layer",
                                             version: "19.5.0", cpe: "cpe:2.3:a:ni:nipal:19.5.0:*:*:*:*:*:*:*"), advisory)
        #expect(inside.status == .affected)
        #expect(inside.reason.contains("by CPE"), "\(inside.reason)")
        let above = try exposure(AssetDraft(vendor: "NI", product: "NI-PAL", version: "21.0.0",
                                            cpe: "cpe:2.3:a:ni:nipal:21.0.0:*:*:*:*:*:*:*"), advisory)
        #expect(above.status == .fixed, "\(above.reason)")
    }

    @Test("a vendor alias match: 'Schneider Electric' finds 'Schneider Electric Software, LLC' (ICSA-17-019-01A)")
    func vendorAliasMatch() throws {
        let advisory = try Self.advisory("providers/cisa/csaf_files/OT/white/2017/icsa-17-019-01a.json")
        let found = try exposure(AssetDraft(vendor: "SCHNEIDER ELECTRIC SE", product: "homeLYnk Controller LSS100100",
                                            version: "1.4.2"), advisory)
        #expect(found.status == .affected)
        let directory = VendorDirectory()
        #expect(directory.vendorKeys("Schneider Electric Software, LLC") == ["schneider electric"])
        #expect(directory.vendorKeys("Sensormatic Electronics, LLC, a subsidiary of Johnson Controls Inc.")
                    == ["sensormatic electronics", "johnson controls"])
        #expect(directory.vendorKeys("General Electric (GE)") == ["general electric"])
        #expect(VendorDirectory(custom: ["Acme Automation Gesellschaft": "Siemens"]).vendorKeys("ACME automation gesellschaft") == ["siemens"])
    }

    @Test("an unreadable range yields unknown with the reason, never silence (ICSA-20-343-08, 'No version')")
    func unreadableRangeIsUnknown() throws {
        let advisory = try Self.advisory("providers/cisa/csaf_files/OT/white/2020/icsa-20-343-08.json")
        let found = try exposure(AssetDraft(vendor: "Siemens",
                                            product: "SIMATIC HMI Comfort Outdoor Panels 7\" & 15\" (incl. SIPLUS variants)",
                                            version: "V15.1"), advisory)
        #expect(found.status == .unknown)
        #expect(found.confidence == .low)
        #expect(found.reason.contains("could not be read"), "\(found.reason)")
    }

    @Test("an asset without a version is unknown, not affected and not silent")
    func missingVersionIsUnknown() throws {
        let advisory = try Self.advisory("providers/cisa/csaf_files/OT/white/2021/icsa-21-259-01.json")
        let found = try exposure(AssetDraft(vendor: "Siemens", product: "RUGGEDCOM ROX MX5000"), advisory)
        #expect(found.status == .unknown)
        #expect(found.reason.contains("no version is known"))
    }

    @Test("another vendor's product of the same name does not match")
    func otherVendorDoesNotMatch() throws {
        let advisory = try Self.advisory("providers/cisa/csaf_files/OT/white/2021/icsa-21-259-01.json")
        let index = calculator.index(advisories: [advisory])
        let found = calculator.exposures(of: MatchAsset(id: 1, asset: AssetDraft(vendor: "Moxa", product: "RUGGEDCOM ROX MX5000",
                                                                                   version: "1.0")), in: index)
        #expect(found.isEmpty)
    }

    /// The indexes must find exactly what the naive every-asset × every-product loop finds, on the whole CISA corpus.
    @Test("indexed matching equals the naive loop over the CISA corpus, both directions")
    func indexedEqualsNaive() throws {
        let base = try SharedData.url("providers/cisa")
        var advisories: [MatchAdvisory] = []
        for relative in try SharedData.jsonFiles(under: "providers/cisa") {
            guard let bytes = try? [UInt8](Data(contentsOf: base.appendingPathComponent(relative))),
                  case .csaf(let parsed)? = try? CSAFDocumentReader.read(bytes) else { continue }
            advisories.append(MatchAdvisory(id: parsed.advisory.id, products: parsed.advisory.products))
        }
        #expect(advisories.count > 2_000)
        // The naive loop is slow in debug builds: compare on an evenly spread sample of the corpus.
        advisories = stride(from: 0, to: advisories.count, by: 16).map { advisories[$0] }
        // Assets drawn from the corpus's own products, with versions on both sides of the ranges.
        var assets: [MatchAsset] = []
        var generator = SplitMix64(seed: 42)
        let products = advisories.flatMap(\.products)
        for id in 0..<120 {
            let product = products[Int(generator.next() % UInt64(products.count))]
            let versions = ["1.0", "V2.9.1", "V3.0", "V4.3.8", "V10.0 SP1", "7.80"]
            assets.append(MatchAsset(id: Int64(id), asset: AssetDraft(
                vendor: product.vendor, product: product.product,
                version: versions[Int(generator.next() % UInt64(versions.count))],
                modelNumber: product.modelNumbers.first)))
        }
        let index = calculator.index(advisories: advisories)
        var total = 0
        for asset in assets {
            let indexed = calculator.exposures(of: asset, in: index).sorted { $0.advisoryID < $1.advisoryID }
            let naive = calculator.naiveExposures(of: asset, to: advisories).sorted { $0.advisoryID < $1.advisoryID }
            #expect(indexed == naive, "asset \(asset.asset.vendor) \(asset.asset.product)")
            total += indexed.count
        }
        #expect(total >= assets.count, "every asset drawn from a product matches at least its own advisory")
        // The other direction: one advisory against the inventory.
        let assetIndex = calculator.index(assets: assets)
        for advisory in advisories {
            let forward = calculator.exposures(to: advisory, in: assetIndex).sorted { $0.assetID < $1.assetID }
            let backward = assets.compactMap { asset in
                calculator.naiveExposures(of: asset, to: [advisory]).first
            }.sorted { $0.assetID < $1.assetID }
            #expect(forward == backward, "advisory \(advisory.id)")
        }
    }
}

/// A small deterministic generator so test inventories are the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
