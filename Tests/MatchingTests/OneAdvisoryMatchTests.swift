import CSAF
import Foundation
@testable import Matching
import Testing
import Versions
import VigilTestSupport

/// `exposures(to:in:)` groups an advisory's products and decides each range once per distinct version; it must give
/// exactly what evaluating every (asset, product) pair and combining gives: same assets, order, status, confidence,
/// product IDs and reason.
struct OneAdvisoryMatchTests {
    let calculator = ExposureCalculator()

    /// The straightforward way: every asset against every product, each pair evaluated, an asset's exposures combined
    /// in product order, then worst first and by asset ID (ranges and assets read once, so that it runs in a test).
    static func straightforward(_ calculator: ExposureCalculator, _ advisory: MatchAdvisory,
                                _ assets: [ExposureCalculator.CompiledAsset]) -> [Exposure] {
        var cache: [String: VendorRange] = [:]
        let products = calculator.compile(advisory, rangeCache: &cache)
        var result: [Exposure] = []
        var found: [Exposure] = []
        for asset in assets {
            found.removeAll(keepingCapacity: true)
            for product in products {
                if let kind = calculator.productMatch(asset, product) { found.append(calculator.evaluate(asset, product, match: kind)) }
            }
            if let combined = ExposureCalculator.combine(found[...]) { result.append(combined) }
        }
        return result.sorted { ($0.status.rank, $0.assetID) < ($1.status.rank, $1.assetID) }
    }

    /// Checks the grouped path against the straightforward one, exposure by exposure (status, confidence, product IDs,
    /// reason, order), and against the naive loop (ranges read again for every pair) on a sample.
    func expectSame(_ advisory: MatchAdvisory, _ assets: [MatchAsset], sourceLocation: SourceLocation = #_sourceLocation) {
        let index = calculator.index(assets: assets)
        let fast = calculator.exposures(to: advisory, in: index)
        let expected = Self.straightforward(calculator, advisory, assets.map { calculator.compile($0) })
        #expect(fast.count == expected.count, "\(advisory.id): \(fast.count) vs \(expected.count)", sourceLocation: sourceLocation)
        var differences = 0
        for (a, b) in zip(fast, expected) where a != b || a.productIDs != b.productIDs || a.reason != b.reason {
            differences += 1
            if differences <= 3 {
                Issue.record("\(advisory.id) asset \(a.assetID)/\(b.assetID): \(a.status) \(a.confidence) \(a.productIDs) \(a.reason)\n  vs \(b.status) \(b.confidence) \(b.productIDs) \(b.reason)",
                             sourceLocation: sourceLocation)
            }
        }
        #expect(differences == 0, "\(advisory.id): \(differences) exposures differ", sourceLocation: sourceLocation)
        // Versions found by array (every group) and by hashing (no group) give the same.
        for stampingAbove in [0, Int.max] {
            let other = calculator.exposures(to: advisory, in: index, stampingAbove: stampingAbove)
            #expect(other == fast && other.map(\.productIDs) == fast.map(\.productIDs) && other.map(\.reason) == fast.map(\.reason),
                    "\(advisory.id): stamping above \(stampingAbove) differs", sourceLocation: sourceLocation)
        }
        let sample = assets.prefix(300)
        let naive = sample.compactMap { calculator.naiveExposures(of: $0, to: [advisory]).first }
        let sampled = Set(sample.map(\.id))
        let fastSampled = fast.filter { sampled.contains($0.assetID) }
        #expect(Dictionary(grouping: fastSampled, by: \.assetID).mapValues { $0.map(\.reason) }
                    == Dictionary(grouping: naive, by: \.assetID).mapValues { $0.map(\.reason) },
                "\(advisory.id): naive differs", sourceLocation: sourceLocation)
    }

    static func product(_ id: Int, vendor: String = "Acme", product: String, version: String?,
                        status: ProductStatusKind, models: [String] = [], cpe: String? = nil) -> AffectedProduct {
        AffectedProduct(productID: "P-\(id)", vendor: vendor, product: product, version: version,
                        fullName: "\(product) \(version ?? "")", status: status, cpe: cpe, modelNumbers: models)
    }

    @Test("many products of one name with different ranges and statuses, plus overlapping names, match as pair by pair")
    func crafted() {
        let ranges = ["< V2.14.1", "<=V3.1", "All versions < R1.23.0", "vers:all/>=V7.80<V9.40", ">=1.220|<=1.281",
                      "<1.2 FP2 HF10 (Build Nr. 1.2.14002.506)", "9.0.x", "2.2.0 | 2.2.1", "All versions", "*",
                      "No version", "D24M", "<= 4.2.21 | <= 5.0.27", "<=the_first_5_digits_of_serial_number_22081",
                      "V2.14.1", ">=V2.0", "vers:semver/>=1.0.0|<2.0.0"]
        let statuses: [ProductStatusKind] = [.knownAffected, .fixed, .knownNotAffected, .underInvestigation, .recommended, .unlisted]
        var generator = SplitMix64(seed: 7)
        func pick<T>(_ items: [T]) -> T { items[Int(generator.next() % UInt64(items.count))] }
        var products: [AffectedProduct] = []
        // 600 products all named "P3", ranges and statuses repeated in every combination and order.
        for id in 0..<600 {
            products.append(Self.product(id, product: "P3", version: id % 37 == 0 ? nil : pick(ranges), status: pick(statuses)))
        }
        // Names that overlap ("P3 Firmware" is a P3 asset's product family too), model numbers, a CPE, another vendor.
        for id in 600..<700 {
            let name = pick(["P3 Firmware", "P3 Camera Mx6", "Mx6", "P3 Camera"])
            products.append(Self.product(id, vendor: pick(["Acme", "ACME Inc.", "Mobotix"]), product: name,
                                         version: pick(ranges), status: pick(statuses),
                                         models: id % 3 == 0 ? [pick(["6ES7 516-3AN02", "MX-D24M", "X1"])] : []))
        }
        products.append(Self.product(700, product: "Gateway", version: "< 3.0", status: .knownAffected,
                                     cpe: "cpe:2.3:h:acme:gateway:*:*:*:*:*:*:*:*"))
        let advisory = MatchAdvisory(id: "TEST-1", products: products)

        let versions: [String?] = [nil, "", "V2.13.0", "V2.14.1", "2.14.2", "V3.1", "3.2", "R1.22", "R1.23.0", "7.80",
                                   "V9.39", "9.40", "1.250", "1.2 FP2 HF9", "9.0.3", "2.2.1", "4.2.20", "5.0.28",
                                   "6.0", "1.5.0", "2023-07-21", "abc", "V10.0 SP1"]
        var assets: [MatchAsset] = []
        for id in 0..<3_000 {
            // Not in order of ID, and some IDs missing, so the final sort has work to do.
            let assetID = Int64((id * 7_919) % 4_001)
            let name = pick(["P3", "P3 Firmware", "p3 camera", "P3 Camera Mx6 extra", "Mx6", "Gateway", "P4", "Other"])
            assets.append(MatchAsset(id: assetID, asset: AssetDraft(
                vendor: pick(["Acme", "ACME", "Acme GmbH", "Mobotix", "Nobody"]), product: name,
                version: pick(versions), modelNumber: id % 5 == 0 ? pick(["6ES7516-3AN02", "MX D24M", "X1", "Y2"]) : nil,
                serialNumber: id % 4 == 0 ? pick(["2208012345", "2208112345", "99", "abc"]) : nil,
                cpe: id % 11 == 0 ? "cpe:2.3:h:acme:gateway:2.0:*:*:*:*:*:*:*" : nil)))
        }
        expectSame(advisory, assets)
        // Worth checking: the inventory hits the many-products group and the overlaps.
        let found = calculator.exposures(to: advisory, in: calculator.index(assets: assets))
        #expect(found.count > 1_000)
        #expect(found.contains { $0.productIDs.count > 50 })
        #expect(Set(found.map(\.status)).count == ExposureStatus.allCases.count)
    }

    @Test("versions that a range answers alike share their combined exposure, but each reason names the asset's own version")
    func sharedPatterns() {
        // Two groups (by name and by product family) with the same ranges, one with a range of its own; thousands of
        // distinct versions, most answered alike.
        let products = [
            Self.product(0, product: "Relay", version: "< V2.14.1", status: .knownAffected),
            Self.product(1, product: "Relay", version: ">= V2.14.1", status: .fixed),
            Self.product(2, product: "Relay Pro", version: "< V2.14.1", status: .knownAffected),
            Self.product(3, product: "Relay Pro", version: "V2.14.1", status: .knownNotAffected),
            Self.product(4, product: "Relay Pro", version: "<= V3.0 | 4.x", status: .underInvestigation),
        ]
        let advisory = MatchAdvisory(id: "TEST-2", products: products)
        var assets: [MatchAsset] = []
        for id in 0..<5_000 {
            let version = id % 97 == 0 ? nil : id % 89 == 0 ? "garbage \(id)" : "V\(id % 5).\(id / 5 % 40).\(id % 13)"
            assets.append(MatchAsset(id: Int64(id), asset: AssetDraft(
                vendor: "Acme", product: ["Relay", "Relay Pro", "Relay Pro X"][id % 3], version: version)))
        }
        expectSame(advisory, assets)
        let found = calculator.exposures(to: advisory, in: calculator.index(assets: assets))
        #expect(found.count == 5_000)
        for exposure in found.prefix(500) {
            if let version = assets[Int(exposure.assetID)].asset.version, !version.hasPrefix("garbage") {
                #expect(exposure.reason.contains(version.dropFirst()), "\(exposure.reason)")
            }
        }
    }

    @Test("the radix sort of touched assets orders keys by their high half, as a plain sort does")
    func radixSort() {
        var generator = SplitMix64(seed: 9)
        for count in [0, 1, 100, 4_097, 20_000] {
            for bound in [UInt64(count + 1), 1_000_000, 3_000_000_000] where bound > UInt64(count) {
                var highs = Set<UInt64>()
                while highs.count < count { highs.insert(generator.next() % bound) }
                var keys = highs.map { $0 << 32 | (generator.next() & 0xFFFF_FFFF) }
                let expected = keys.sorted()
                ExposureCalculator.sortByHighHalf(&keys, below: bound)
                #expect(keys == expected, "\(count) keys below \(bound)")
            }
        }
    }

    @Test("merging two ascending runs gives the sorted list")
    func mergeRuns() {
        var generator = SplitMix64(seed: 21)
        var scratch: [Int32] = []
        for _ in 0..<500 {
            let left = (0..<Int(generator.next() % 30)).map { _ in Int32(generator.next() % 100) }.sorted()
            let right = (0..<Int(1 + generator.next() % 30)).map { _ in Int32(generator.next() % 100) }.sorted()
            var list = left + right
            ExposureCalculator.mergeRuns(&list, at: left.count, scratch: &scratch)
            #expect(list == (left + right).sorted())
        }
    }

    @Test("number sets number each distinct list once, in the order first seen, as a dictionary of arrays does")
    func numberSets() {
        var generator = SplitMix64(seed: 13)
        var sets = NumberSets()
        var expected: [[Int32]: Int32] = [:]
        for _ in 0..<20_000 {
            // Short lists of small numbers, so that many repeat, and some empty.
            let list = (0..<Int(generator.next() % 4)).map { _ in Int32(generator.next() % 40) }
            let (number, isNew) = sets.number(of: list)
            if let known = expected[list] {
                #expect(number == known && !isNew, "\(list)")
            } else {
                #expect(number == Int32(expected.count) && isNew, "\(list)")
                expected[list] = number
            }
        }
        #expect(sets.count == expected.count)
    }

    @Test("exposures of one advisory keep their reasons after the index is gone, and their product IDs can be set")
    func exposuresOutliveIndex() throws {
        let advisory = try ExposureCalculatorTests.advisory("providers/cisa/csaf_files/OT/white/2024/icsa-24-235-03.json")
        let assets = Self.assets(for: advisory, count: 2_000, seed: 17)
        var found = calculator.exposures(to: advisory, in: calculator.index(assets: assets))
        let expected = Self.straightforward(calculator, advisory, assets.map { calculator.compile($0) })
        #expect(!found.isEmpty && found.map(\.reason) == expected.map(\.reason))
        found[0].productIDs = ["X-1", "X-2"]
        #expect(found[0].productIDs == ["X-1", "X-2"] && found[0].reason == expected[0].reason)
    }

    @Test("the galloping intersection of ascending lists equals the set intersection")
    func intersection() {
        var generator = SplitMix64(seed: 3)
        for round in 0..<300 {
            let lists: [[Int32]] = (0..<(1 + round % 4)).map { list in
                let count = Int(generator.next() % UInt64(list == 0 ? 40 : 3_000))
                let bound = UInt64(1 + round * 17 % 5_000)
                return Array(Set((0..<count).map { _ in Int32(generator.next() % bound) })).sorted()
            }
            let expected = lists.dropFirst().reduce(Set(lists[0])) { $0.intersection($1) }.sorted()
            #expect(ExposureCalculator.intersection(lists) == expected)
        }
        #expect(ExposureCalculator.intersection([]) == [])
        #expect(ExposureCalculator.intersection([[1, 2, 3], []]) == [])
    }

    /// Assets drawn from an advisory's products: the vendor and name as published or with more words, versions just
    /// around the range's bounds, and random ones.
    static func assets(for advisory: MatchAdvisory, count: Int, seed: UInt64) -> [MatchAsset] {
        var generator = SplitMix64(seed: seed)
        func below(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }
        var assets: [MatchAsset] = []
        for id in 0..<count {
            let product = advisory.products[below(advisory.products.count)]
            var versions: [String] = ["V\(below(6)).\(below(20)).\(below(10))"]
            if let normalized = VendorRange.read(product.version ?? "*").normalized, let slash = normalized.firstIndex(of: "/") {
                for bound in normalized[normalized.index(after: slash)...].split(separator: "|") {
                    let version = String(bound.drop { "<>=!".contains($0) })
                    guard !version.isEmpty, version != "*" else { continue }
                    versions.append(version)
                    var numbers = version.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
                    if !numbers.isEmpty {
                        numbers[numbers.count - 1] += 1
                        versions.append(numbers.map(String.init).joined(separator: "."))
                    }
                }
            }
            let name = [product.product, product.product + " firmware", product.vendor + " " + product.product][below(3)]
            assets.append(MatchAsset(id: Int64(id), asset: AssetDraft(
                vendor: product.vendor, product: name, version: below(25) == 0 ? nil : versions[below(versions.count)],
                modelNumber: product.modelNumbers.isEmpty || below(2) == 0 ? nil : product.modelNumbers[below(product.modelNumbers.count)])))
        }
        return assets
    }

    @Test("the largest advisories (ICSA-24-235-03: 1,391 products named P3 or Mx6; ICSA-24-193-05: Siemens) match as pair by pair")
    func largestAdvisories() throws {
        for path in ["providers/cisa/csaf_files/OT/white/2024/icsa-24-235-03.json",
                     "providers/cisa/csaf_files/OT/white/2024/icsa-24-193-05.json"] {
            let advisory = try ExposureCalculatorTests.advisory(path)
            #expect(advisory.products.count > 400)
            expectSame(advisory, Self.assets(for: advisory, count: 2_500, seed: 11))
        }
    }

    @Test("a spread of CISA advisories match as pair by pair, against an inventory drawn from all of them")
    func corpusSample() throws {
        let base = try SharedData.url("providers/cisa")
        var advisories: [MatchAdvisory] = []
        for relative in try SharedData.jsonFiles(under: "providers/cisa") {
            guard let bytes = try? [UInt8](Data(contentsOf: base.appendingPathComponent(relative))),
                  case .csaf(let parsed)? = try? CSAFDocumentReader.read(bytes) else { continue }
            advisories.append(MatchAdvisory(id: parsed.advisory.id, products: parsed.advisory.products))
        }
        #expect(advisories.count > 2_000)
        advisories = stride(from: 0, to: advisories.count, by: 7).map { advisories[$0] }.filter { !$0.products.isEmpty }
        let combined = MatchAdvisory(id: "all", products: advisories.flatMap(\.products))
        let assets = Self.assets(for: combined, count: 3_000, seed: 5)
        let index = calculator.index(assets: assets)
        let compiled = assets.map { calculator.compile($0) }
        var total = 0
        for advisory in advisories {
            let fast = calculator.exposures(to: advisory, in: index)
            let expected = Self.straightforward(calculator, advisory, compiled)
            #expect(fast == expected && fast.map(\.productIDs) == expected.map(\.productIDs), "advisory \(advisory.id)")
            let stamped = calculator.exposures(to: advisory, in: index, stampingAbove: 0)
            #expect(stamped == expected && stamped.map(\.productIDs) == expected.map(\.productIDs), "advisory \(advisory.id), stamped")
            total += fast.count
        }
        #expect(total >= 2_000)
    }
}
