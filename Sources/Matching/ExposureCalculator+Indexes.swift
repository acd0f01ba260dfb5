import CSAF
import Versions

extension ExposureCalculator {
    /// Every advisory's products, compiled once and indexed, to match many assets against the whole corpus.
    public struct AdvisoryIndex: Sendable {
        let calculator: ExposureCalculator
        let products: [CompiledProduct]
        /// vendor key → product-name word → products whose rarest word (within that vendor) it is.
        let byVendorWord: [String: [String: [Int]]]
        /// vendor key → model key → products.
        let byVendorModel: [String: [String: [Int]]]
        /// `vendor:product` of the CPE → products; `type/namespace/name` of the package URL → products.
        let byCPE: [String: [Int]]
        let byPURL: [String: [Int]]

        public var productCount: Int { products.count }
    }

    /// Compiles and indexes `advisories` for `exposures(of:in:)`.
    public func index(advisories: [MatchAdvisory]) -> AdvisoryIndex {
        var cache: [String: VendorRange] = [:]
        var products: [CompiledProduct] = []
        for advisory in advisories { products += compile(advisory, rangeCache: &cache) }
        var wordCounts: [String: [String: Int]] = [:]
        for product in products {
            for vendor in product.vendorKeys {
                for word in product.tokens { wordCounts[vendor, default: [:]][word, default: 0] += 1 }
            }
        }
        var byVendorWord: [String: [String: [Int]]] = [:]
        var byVendorModel: [String: [String: [Int]]] = [:]
        var byCPE: [String: [Int]] = [:]
        var byPURL: [String: [Int]] = [:]
        for (position, product) in products.enumerated() {
            for vendor in product.vendorKeys {
                let counts = wordCounts[vendor] ?? [:]
                if let rarest = product.tokens.min(by: { (counts[$0] ?? 0, $0) < (counts[$1] ?? 0, $1) }) {
                    byVendorWord[vendor, default: [:]][rarest, default: []].append(position)
                }
                for model in product.modelKeys { byVendorModel[vendor, default: [:]][model, default: []].append(position) }
            }
            if let cpe = product.cpe { byCPE[cpe.identityKey, default: []].append(position) }
            if let purl = product.purl { byPURL[purl.identityKey, default: []].append(position) }
        }
        return AdvisoryIndex(calculator: self, products: products, byVendorWord: byVendorWord,
                             byVendorModel: byVendorModel, byCPE: byCPE, byPURL: byPURL)
    }

    /// The exposures of one asset to every indexed advisory that concerns it, one per advisory, worst first.
    public func exposures(of asset: MatchAsset, in index: AdvisoryIndex) -> [Exposure] {
        let compiled = compile(asset)
        var candidates = Set<Int>()
        for vendor in compiled.vendorKeys {
            if let words = index.byVendorWord[vendor] {
                for word in compiled.tokens { if let list = words[word] { candidates.formUnion(list) } }
            }
            if let model = compiled.modelKey, let list = index.byVendorModel[vendor]?[model] { candidates.formUnion(list) }
        }
        if let cpe = compiled.cpe, let list = index.byCPE[cpe.identityKey] { candidates.formUnion(list) }
        if let purl = compiled.purl, let list = index.byPURL[purl.identityKey] { candidates.formUnion(list) }
        var byAdvisory: [String: [Exposure]] = [:]
        for position in candidates.sorted() {
            let product = index.products[position]
            if let match = productMatch(compiled, product) {
                byAdvisory[product.advisoryID, default: []].append(evaluate(compiled, product, match: match))
            }
        }
        return byAdvisory.values.compactMap(Self.combine).sorted { ($0.status, $0.advisoryID) < ($1.status, $1.advisoryID) }
    }

    /// Assets compiled once and indexed, to match one new or revised advisory against a whole inventory.
    public struct AssetIndex: Sendable {
        let assets: [CompiledAsset]
        /// vendor key → product-name word → assets having it.
        let byVendorWord: [String: [String: [Int32]]]
        let byVendorModel: [String: [String: [Int32]]]
        let byCPE: [String: [Int32]]
        let byPURL: [String: [Int32]]

        public var assetCount: Int { assets.count }
    }

    /// Compiles and indexes `assets` for `exposures(to:in:)`.
    public func index(assets: [MatchAsset]) -> AssetIndex {
        var compiled: [CompiledAsset] = []
        compiled.reserveCapacity(assets.count)
        var byVendorWord: [String: [String: [Int32]]] = [:]
        var byVendorModel: [String: [String: [Int32]]] = [:]
        var byCPE: [String: [Int32]] = [:]
        var byPURL: [String: [Int32]] = [:]
        for asset in assets {
            let item = compile(asset)
            let position = Int32(compiled.count)
            for vendor in item.vendorKeys {
                for word in item.tokens { byVendorWord[vendor, default: [:]][word, default: []].append(position) }
                if let model = item.modelKey { byVendorModel[vendor, default: [:]][model, default: []].append(position) }
            }
            if let cpe = item.cpe { byCPE[cpe.identityKey, default: []].append(position) }
            if let purl = item.purl { byPURL[purl.identityKey, default: []].append(position) }
            compiled.append(item)
        }
        return AssetIndex(assets: compiled, byVendorWord: byVendorWord, byVendorModel: byVendorModel,
                          byCPE: byCPE, byPURL: byPURL)
    }

    /// The exposures of every indexed asset that one advisory concerns, one per asset, worst first.
    public func exposures(to advisory: MatchAdvisory, in index: AssetIndex) -> [Exposure] {
        var cache: [String: VendorRange] = [:]
        let products = compile(advisory, rangeCache: &cache)
        var byAsset: [Int32: [Exposure]] = [:]
        for product in products {
            var candidates = Set<Int32>()
            for vendor in product.vendorKeys {
                if let words = index.byVendorWord[vendor], !product.tokens.isEmpty {
                    // Assets whose name has every word of the product's: intersect, smallest posting list first.
                    let lists = product.tokens.map { words[$0] ?? [] }.sorted { $0.count < $1.count }
                    if let smallest = lists.first, !smallest.isEmpty {
                        var set = Set(smallest)
                        for list in lists.dropFirst() where !set.isEmpty { set.formIntersection(list) }
                        candidates.formUnion(set)
                    }
                }
                for model in product.modelKeys { if let list = index.byVendorModel[vendor]?[model] { candidates.formUnion(list) } }
            }
            if let cpe = product.cpe, let list = index.byCPE[cpe.identityKey] { candidates.formUnion(list) }
            if let purl = product.purl, let list = index.byPURL[purl.identityKey] { candidates.formUnion(list) }
            for position in candidates {
                let asset = index.assets[Int(position)]
                if let match = productMatch(asset, product) {
                    byAsset[position, default: []].append(evaluate(asset, product, match: match))
                }
            }
        }
        return byAsset.values.compactMap(Self.combine).sorted { ($0.status, $0.assetID) < ($1.status, $1.assetID) }
    }
}

extension CPEName {
    /// `vendor:product` in lowercase: the bucket an asset's CPE is looked up in.
    var identityKey: String { "\(vendor):\(product)" }
}

extension PackageURL {
    /// `type/namespace/name` in canonical form: the bucket an asset's package URL is looked up in.
    var identityKey: String {
        String(versionless.description.prefix { $0 != "?" && $0 != "#" })
    }
}
