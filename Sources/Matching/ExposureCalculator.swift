import CSAF
import Versions

/// Matches assets against advisories' product trees and says, for each pair that concerns each other, the exposure
/// and why. Ranges are read once per product and versions once per asset; candidates come from indexes by vendor,
/// model number, CPE, package URL and product-name words, so the work grows with the matches, not with
/// assets × products.
public struct ExposureCalculator: Sendable {
    let directory: VendorDirectory

    public init(directory: VendorDirectory = VendorDirectory()) {
        self.directory = directory
    }

    // MARK: Compiled forms

    struct CompiledProduct: Sendable {
        var advisoryID: String
        var product: AffectedProduct
        var vendorKeys: [String]
        var tokens: Set<String>
        var modelKeys: [String]
        var cpe: CPEName?
        var purl: PackageURL?
        var range: VendorRange
    }

    struct CompiledAsset: Sendable {
        var id: Int64
        var asset: AssetDraft
        var vendorKeys: [String]
        var tokens: Set<String>
        var modelKey: String?
        var cpe: CPEName?
        var purl: PackageURL?
    }

    func compile(_ advisory: MatchAdvisory, rangeCache: inout [String: VendorRange]) -> [CompiledProduct] {
        advisory.products.map { product in
            let vendorKeys = directory.vendorKeys(product.vendor)
            let text = product.version ?? "*"
            let range: VendorRange
            if let cached = rangeCache[text] {
                range = cached
            } else {
                range = VendorRange.read(text)
                rangeCache[text] = range
            }
            return CompiledProduct(
                advisoryID: advisory.id, product: product, vendorKeys: vendorKeys,
                tokens: Set(ProductName.tokens(product.product, vendorKey: vendorKeys.first ?? "")),
                modelKeys: product.modelNumbers.map(ProductName.modelKey).filter { !$0.isEmpty },
                cpe: product.cpe.flatMap { try? CPEName(parsing: $0, mode: .lenient) },
                purl: product.purl.flatMap { try? PackageURL(parsing: $0, mode: .lenient) },
                range: range)
        }
    }

    func compile(_ asset: MatchAsset) -> CompiledAsset {
        let vendorKeys = directory.vendorKeys(asset.asset.vendor)
        let model = asset.asset.modelNumber.map(ProductName.modelKey)
        return CompiledAsset(
            id: asset.id, asset: asset.asset, vendorKeys: vendorKeys,
            tokens: Set(ProductName.tokens(asset.asset.product, vendorKey: vendorKeys.first ?? "")),
            modelKey: (model?.isEmpty ?? true) ? nil : model,
            cpe: asset.asset.cpe.flatMap { try? CPEName(parsing: $0, mode: .lenient) },
            purl: asset.asset.purl.flatMap { try? PackageURL(parsing: $0, mode: .lenient) })
    }

    // MARK: One pair

    /// How the asset is recognised as the product, or nil when it is not.
    func productMatch(_ asset: CompiledAsset, _ product: CompiledProduct) -> (ProductMatchKind, String)? {
        if let productCPE = product.cpe, let assetCPE = asset.cpe, productCPE.identifiesProduct(of: assetCPE) {
            return (.cpe, "by CPE \(product.product.cpe ?? "")")
        }
        if let productPURL = product.purl, let assetPURL = asset.purl, productPURL.matches(assetPURL) {
            return (.purl, "by package URL \(product.product.purl ?? "")")
        }
        guard !Set(asset.vendorKeys).isDisjoint(with: product.vendorKeys) else { return nil }
        if let model = asset.modelKey, product.modelKeys.contains(model) {
            return (.modelNumber, "by model number \(asset.asset.modelNumber ?? model)")
        }
        guard !product.tokens.isEmpty, product.tokens.isSubset(of: asset.tokens) else { return nil }
        if product.tokens.count == asset.tokens.count { return (.name, "by name") }
        return (.productFamily, "by product family name")
    }

    /// The exposure one matched product gives, with its reason.
    func evaluate(_ asset: CompiledAsset, _ product: CompiledProduct, match: (ProductMatchKind, String)) -> Exposure {
        let decision = product.range.decide(version: asset.asset.version, serialNumber: asset.asset.serialNumber)
        let listed = product.product.status
        var status: ExposureStatus
        switch (decision.answer, listed) {
        case (.undecided, _):
            status = .unknown
        case (.inside, .knownAffected):
            status = .affected
        case (.inside, .underInvestigation):
            status = .underInvestigation
        case (.inside, .fixed), (.inside, .recommended):
            status = .fixed
        case (.inside, .knownNotAffected):
            status = .notAffected
        case (.inside, .unlisted):
            status = .unknown
        case (.outside, .knownAffected), (.outside, .underInvestigation), (.outside, .unlisted):
            status = decision.aboveRange ? .fixed : .notAffected
        case (.outside, _):
            // Outside a fixed or not-affected list says nothing either way.
            status = .unknown
        }
        let assetName = "\(asset.asset.vendor) \(asset.asset.product)"
        var reason = "\"\(assetName)\" matches \"\(product.product.fullName)\" \(match.1); \(decision.reason)"
        if product.product.version == nil { reason += " (the advisory names no version)" }
        reason += "; listed as \(listed.label)"
        if status == .unknown, decision.answer == .outside { reason += ", which does not say whether other versions are affected" }
        let confidence = min(match.0.confidence, MatchConfidence(decision.confidence))
        return Exposure(assetID: asset.id, advisoryID: product.advisoryID, status: status, confidence: confidence,
                        reason: reason, productIDs: [product.product.productID])
    }

    /// Combines the exposures of one asset to one advisory's several products: the worst status wins, then the
    /// higher confidence; not-affected answers from other products don't hide an affected one.
    static func combine(_ exposures: [Exposure]) -> Exposure? {
        guard var best = exposures.min(by: { ($0.status, $1.confidence) < ($1.status, $0.confidence) }) else { return nil }
        // An unknown answer from a product that was outside a fixed list yields to a decided one.
        if best.status == .unknown, let decided = exposures.filter({ $0.status != .unknown }).min(by: { $0.status < $1.status }),
           exposures.filter({ $0.status == .unknown }).allSatisfy({ $0.reason.hasSuffix("whether other versions are affected") }) {
            best = decided
        }
        best.productIDs = exposures.filter { $0.status == best.status }.flatMap(\.productIDs)
        let others = exposures.count - best.productIDs.count
        if best.productIDs.count > 1 { best.reason += " (and \(best.productIDs.count - 1) more product entries alike)" }
        _ = others
        return best
    }

    // MARK: Naive reference

    /// The straightforward way, kept as the benchmark's baseline and the tests' oracle: every product of every
    /// advisory against one asset, ranges read each time.
    public func naiveExposures(of asset: MatchAsset, to advisories: [MatchAdvisory]) -> [Exposure] {
        let compiledAsset = compile(asset)
        var result: [Exposure] = []
        for advisory in advisories {
            var cache: [String: VendorRange] = [:]
            var found: [Exposure] = []
            for product in compile(advisory, rangeCache: &cache) {
                cache.removeAll(keepingCapacity: true)
                if let match = productMatch(compiledAsset, product) {
                    found.append(evaluate(compiledAsset, product, match: match))
                }
            }
            if let combined = Self.combine(found) { result.append(combined) }
        }
        return result
    }
}

extension CPEName {
    /// Whether this (an advisory's) name covers the asset's name in every attribute but version and update, which
    /// the version range decides.
    func identifiesProduct(of asset: CPEName) -> Bool {
        let relations = CPEName.compare(self, asset)
        return relations.indices.allSatisfy { index in
            index == 3 || index == 4 || relations[index] == .superset || relations[index] == .equal
        }
    }
}
