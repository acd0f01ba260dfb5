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

    /// A product read once: vendor keys, name words, identifiers and its range. A class, so indexes hold references
    /// rather than copying ten fields per candidate.
    public final class CompiledProduct: Sendable {
        let advisoryID: String
        let product: AffectedProduct
        let vendorKeys: [String]
        let tokens: Set<String>
        let modelKeys: [String]
        let cpe: CPEName?
        let purl: PackageURL?
        let range: VendorRange

        init(advisoryID: String, product: AffectedProduct, vendorKeys: [String], tokens: Set<String>, modelKeys: [String],
             cpe: CPEName?, purl: PackageURL?, range: VendorRange) {
            self.advisoryID = advisoryID
            self.product = product
            self.vendorKeys = vendorKeys
            self.tokens = tokens
            self.modelKeys = modelKeys
            self.cpe = cpe
            self.purl = purl
            self.range = range
        }
    }

    /// An asset read once, its version included.
    public final class CompiledAsset: Sendable {
        let id: Int64
        let asset: AssetDraft
        let vendorKeys: [String]
        /// The name's words, each once.
        let tokens: [String]
        let modelKey: String?
        let cpe: CPEName?
        let purl: PackageURL?
        let firmware: FirmwareVersion?

        init(id: Int64, asset: AssetDraft, vendorKeys: [String], tokens: [String], modelKey: String?, cpe: CPEName?,
             purl: PackageURL?, firmware: FirmwareVersion?) {
            self.id = id
            self.asset = asset
            self.vendorKeys = vendorKeys
            self.tokens = tokens
            self.modelKey = modelKey
            self.cpe = cpe
            self.purl = purl
            self.firmware = firmware
        }
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

    /// Reads an asset; `vendorKeys`, `tokens` and `firmware`, when given, are what reading its vendor, product and
    /// version gives (an index reads each distinct spelling once).
    func compile(_ asset: MatchAsset, vendorKeys known: [String]? = nil, tokens knownTokens: [String]? = nil,
                 firmware knownFirmware: FirmwareVersion?? = nil) -> CompiledAsset {
        let vendorKeys = known ?? directory.vendorKeys(asset.asset.vendor)
        let model = asset.asset.modelNumber.map(ProductName.modelKey)
        return CompiledAsset(
            id: asset.id, asset: asset.asset, vendorKeys: vendorKeys,
            tokens: knownTokens ?? ProductName.tokens(asset.asset.product, vendorKey: vendorKeys.first ?? ""),
            modelKey: (model?.isEmpty ?? true) ? nil : model,
            cpe: asset.asset.cpe.flatMap { try? CPEName(parsing: $0, mode: .lenient) },
            purl: asset.asset.purl.flatMap { try? PackageURL(parsing: $0, mode: .lenient) },
            firmware: knownFirmware ?? asset.asset.version.flatMap(FirmwareVersion.init))
    }

    // MARK: One pair

    /// How the asset is recognised as the product, or nil when it is not.
    func productMatch(_ asset: CompiledAsset, _ product: CompiledProduct) -> ProductMatchKind? {
        if let productCPE = product.cpe, let assetCPE = asset.cpe, productCPE.identifiesProduct(of: assetCPE) { return .cpe }
        if let productPURL = product.purl, let assetPURL = asset.purl, productPURL.matches(assetPURL) { return .purl }
        guard product.vendorKeys.contains(where: asset.vendorKeys.contains) else { return nil }
        guard !product.tokens.isEmpty, product.tokens.allSatisfy(asset.tokens.contains) else {
            if let model = asset.modelKey, product.modelKeys.contains(model) { return .modelNumber }
            return nil
        }
        return nameMatch(asset, product)
    }

    /// The kind of match for an asset already known to share the vendor and every word of the product's name.
    func nameMatch(_ asset: CompiledAsset, _ product: CompiledProduct) -> ProductMatchKind {
        if let productCPE = product.cpe, let assetCPE = asset.cpe, productCPE.identifiesProduct(of: assetCPE) { return .cpe }
        if let productPURL = product.purl, let assetPURL = asset.purl, productPURL.matches(assetPURL) { return .purl }
        if let model = asset.modelKey, product.modelKeys.contains(model) { return .modelNumber }
        return product.tokens.count == asset.tokens.count ? .name : .productFamily
    }

    /// The exposure one matched product gives; its reason is rendered when read.
    func evaluate(_ asset: CompiledAsset, _ product: CompiledProduct, match: ProductMatchKind) -> Exposure {
        let verdict = product.range.verdict(version: asset.asset.version, firmware: asset.firmware,
                                            serialNumber: asset.asset.serialNumber)
        let status = Self.status(verdict, listed: product.product.status)
        let explanation = MatchExplanation(asset: asset, product: product, kind: match, verdict: verdict, status: status)
        return Exposure(assetID: asset.id, advisoryID: product.advisoryID, status: status,
                        confidence: min(match.confidence, MatchConfidence(verdict.confidence)),
                        productID: product.product.productID, explanation: .match(explanation))
    }

    /// The status a range verdict gives a product listed as `listed`.
    static func status(_ verdict: RangeVerdict, listed: ProductStatusKind) -> ExposureStatus {
        switch (verdict.answer, listed) {
        case (.undecided, _):
            return .unknown
        case (.inside, .knownAffected):
            return .affected
        case (.inside, .underInvestigation):
            return .underInvestigation
        case (.inside, .fixed), (.inside, .recommended):
            return .fixed
        case (.inside, .knownNotAffected):
            return .notAffected
        case (.inside, .unlisted):
            return .unknown
        case (.outside, .knownAffected), (.outside, .underInvestigation), (.outside, .unlisted):
            return verdict.aboveRange ? .fixed : .notAffected
        case (.outside, _):
            // Outside a fixed or not-affected list says nothing either way.
            return .unknown
        }
    }

    /// Combines the exposures of one asset to one advisory's several products: the worst status wins, then the
    /// higher confidence; not-affected answers from other products don't hide an affected one.
    static func combine(_ exposures: ArraySlice<Exposure>) -> Exposure? {
        guard var best = exposures.min(by: { ($0.status.rank, $1.confidence) < ($1.status.rank, $0.confidence) }) else { return nil }
        if exposures.count == 1 { return best }
        // An unknown answer from a product outside a fixed list yields to a decided one.
        if best.status == .unknown, let decided = exposures.filter({ $0.status != .unknown }).min(by: { $0.status.rank < $1.status.rank }),
           exposures.filter({ $0.status == .unknown }).allSatisfy({ $0.isSilentOutsideList }) {
            best = decided
        }
        best.productIDs = exposures.filter { $0.status == best.status }.flatMap(\.productIDs)
        if best.productIDs.count > 1, case var .match(match) = best.explanation {
            match.moreProducts = best.productIDs.count - 1
            best.explanation = .match(match)
        }
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
            if let combined = Self.combine(found[...]) { result.append(combined) }
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
