import CSAF
import Versions

extension ExposureCalculator {
    /// Every advisory's products, compiled once and indexed, to match many assets against the whole corpus.
    public struct AdvisoryIndex: Sendable {
        let calculator: ExposureCalculator
        let products: [CompiledProduct]
        /// Product-name words as numbers, and each product's words as ascending numbers: an asset's words are looked
        /// up once, and every candidate is checked by merging two short integer lists instead of hashing strings.
        let wordIDs: [String: Int32]
        let productWords: [[Int32]]
        /// vendor key → word → products whose rarest word (within that vendor) it is.
        let byVendorWord: [String: [Int32: [Int]]]
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
        var wordIDs: [String: Int32] = [:]
        var productWords: [[Int32]] = []
        productWords.reserveCapacity(products.count)
        var wordCounts: [String: [Int32: Int]] = [:]
        for product in products {
            var words: [Int32] = []
            for word in product.tokens {
                let id = wordIDs[word] ?? {
                    let id = Int32(wordIDs.count)
                    wordIDs[word] = id
                    return id
                }()
                words.append(id)
            }
            words.sort()
            productWords.append(words)
            for vendor in product.vendorKeys {
                for word in words { wordCounts[vendor, default: [:]][word, default: 0] += 1 }
            }
        }
        var byVendorWord: [String: [Int32: [Int]]] = [:]
        var byVendorModel: [String: [String: [Int]]] = [:]
        var byCPE: [String: [Int]] = [:]
        var byPURL: [String: [Int]] = [:]
        for (position, product) in products.enumerated() {
            for vendor in product.vendorKeys {
                let counts = wordCounts[vendor] ?? [:]
                if let rarest = productWords[position].min(by: { (counts[$0] ?? 0, $0) < (counts[$1] ?? 0, $1) }) {
                    byVendorWord[vendor, default: [:]][rarest, default: []].append(position)
                }
                for model in product.modelKeys { byVendorModel[vendor, default: [:]][model, default: []].append(position) }
            }
            if let cpe = product.cpe { byCPE[cpe.identityKey, default: []].append(position) }
            if let purl = product.purl { byPURL[purl.identityKey, default: []].append(position) }
        }
        return AdvisoryIndex(calculator: self, products: products, wordIDs: wordIDs, productWords: productWords,
                             byVendorWord: byVendorWord, byVendorModel: byVendorModel, byCPE: byCPE, byPURL: byPURL)
    }

    /// The exposures of one asset to every indexed advisory that concerns it, one per advisory, worst first.
    public func exposures(of asset: MatchAsset, in index: AdvisoryIndex) -> [Exposure] {
        exposures(of: compile(asset), in: index)
    }

    func exposures(of compiled: CompiledAsset, in index: AdvisoryIndex) -> [Exposure] {
        let assetWords = compiled.tokens.compactMap { index.wordIDs[$0] }.sorted()
        var named: [Int] = []
        var others: [Int] = []
        for vendor in compiled.vendorKeys {
            if let words = index.byVendorWord[vendor] {
                for word in assetWords { if let list = words[word] { named += list } }
            }
            if let model = compiled.modelKey, let list = index.byVendorModel[vendor]?[model] { others += list }
        }
        if let cpe = compiled.cpe, let list = index.byCPE[cpe.identityKey] { others += list }
        if let purl = compiled.purl, let list = index.byPURL[purl.identityKey] { others += list }
        guard !named.isEmpty || !others.isEmpty else { return [] }
        // Candidates by name share the vendor and the product's rarest word: check the other words, then the kind.
        var matches: [(position: Int, kind: ProductMatchKind)] = []
        named.sort()
        var previous = -1
        for position in named where position != previous {
            previous = position
            if index.productWords[position].isSortedSubset(of: assetWords) {
                matches.append((position, nameMatch(compiled, index.products[position])))
            }
        }
        if !others.isEmpty {
            let byName = matches.map(\.position)
            others.sort()
            previous = -1
            for position in others where position != previous {
                previous = position
                if byName.containsSorted(position) { continue }
                if let kind = productMatch(compiled, index.products[position]) { matches.append((position, kind)) }
            }
            matches.sort { $0.position < $1.position }
        }
        // Products are indexed in advisory order, so one advisory's matches are adjacent.
        var result: [Exposure] = []
        var run: [Exposure] = []
        for (position, kind) in matches {
            let product = index.products[position]
            if let last = run.last, last.advisoryID != product.advisoryID {
                if let combined = Self.combine(run[...]) { result.append(combined) }
                run.removeAll(keepingCapacity: true)
            }
            run.append(evaluate(compiled, product, match: kind))
        }
        if let combined = Self.combine(run[...]) { result.append(combined) }
        return result.sorted { ($0.status.rank, $0.advisoryID) < ($1.status.rank, $1.advisoryID) }
    }

    /// Assets compiled once and indexed, to match one new or revised advisory against a whole inventory.
    ///
    /// Assets that look the same to matching (vendor keys, name words, model number, CPE, package URL) form a class,
    /// and the indexes list classes, not assets: an inventory of a million rows has a few tens of thousands of them,
    /// so finding an advisory's candidates walks short lists.
    public struct AssetIndex: Sendable {
        let assets: [CompiledAsset]
        /// Each asset's ID, and whether they ascend in inventory order (so results need no sort by ID).
        let assetIDs: [Int64]
        let idsAscending: Bool
        /// Per class, one of its assets (the first) and the positions of all of them, ascending.
        let classes: [CompiledAsset]
        let members: [[Int32]]
        /// Per class, its members' version numbers (`versionIDs` of `members`), read in order rather than by position.
        let memberVersions: [[Int32]]
        /// Per class, where its members start when all classes' members are laid end to end (one more at the end):
        /// an asset's number in that order, read class by class, is sequential.
        let classStarts: [Int32]
        /// vendor key → product-name word → classes having it, ascending.
        let byVendorWord: [String: [String: [Int32]]]
        let byVendorModel: [String: [String: [Int32]]]
        let byCPE: [String: [Int32]]
        let byPURL: [String: [Int32]]
        /// Each asset's version and serial number as a number into `versions` and `serials`, which hold each distinct
        /// one once: a range is decided once per distinct version, however many assets run it.
        let versionIDs: [Int32]
        let serialIDs: [Int32]
        let versions: [String?]
        /// `versions`, read as firmware versions (what `CompiledAsset.firmware` holds).
        let firmwares: [FirmwareVersion?]
        let serials: [String?]

        public var assetCount: Int { assets.count }
    }

    /// What matching sees of an asset, apart from its version and serial number.
    private struct AssetClassKey: Hashable {
        let vendorKeys: [String]
        let tokens: [String]
        let modelKey: String?
        let cpe: String?
        let purl: String?
    }

    /// Compiles and indexes `assets` for `exposures(to:in:)`.
    public func index(assets: [MatchAsset]) -> AssetIndex {
        var compiled: [CompiledAsset] = []
        compiled.reserveCapacity(assets.count)
        var classes: [CompiledAsset] = []
        var members: [[Int32]] = []
        var classNumbers: [AssetClassKey: Int32] = [:]
        var byVendorWord: [String: [String: [Int32]]] = [:]
        var byVendorModel: [String: [String: [Int32]]] = [:]
        var byCPE: [String: [Int32]] = [:]
        var byPURL: [String: [Int32]] = [:]
        // An inventory names few vendors and products in many rows: read each spelling once.
        var vendorKeysBySpelling: [String: [String]] = [:]
        var tokensBySpelling: [String: [String: [String]]] = [:]
        var versionIDs: [Int32] = []
        var serialIDs: [Int32] = []
        versionIDs.reserveCapacity(assets.count)
        serialIDs.reserveCapacity(assets.count)
        var versionNumbers: [String?: Int32] = [:]
        var serialNumbers: [String?: Int32] = [:]
        var versions: [String?] = []
        var firmwares: [FirmwareVersion?] = []
        var serials: [String?] = []
        for asset in assets {
            let keys = vendorKeysBySpelling[asset.asset.vendor] ?? {
                let keys = directory.vendorKeys(asset.asset.vendor)
                vendorKeysBySpelling[asset.asset.vendor] = keys
                return keys
            }()
            let vendorKey = keys.first ?? ""
            let tokens = tokensBySpelling[vendorKey]?[asset.asset.product] ?? {
                let tokens = ProductName.tokens(asset.asset.product, vendorKey: vendorKey)
                tokensBySpelling[vendorKey, default: [:]][asset.asset.product] = tokens
                return tokens
            }()
            let version = asset.asset.version
            let versionNumber: Int32
            let firmware: FirmwareVersion?
            if let number = versionNumbers[version] {
                versionNumber = number
                firmware = firmwares[Int(number)]
            } else {
                versionNumber = Int32(versions.count)
                firmware = version.flatMap(FirmwareVersion.init)
                versionNumbers[version] = versionNumber
                versions.append(version)
                firmwares.append(firmware)
            }
            versionIDs.append(versionNumber)
            let serial = asset.asset.serialNumber
            if let number = serialNumbers[serial] {
                serialIDs.append(number)
            } else {
                let number = Int32(serials.count)
                serialNumbers[serial] = number
                serials.append(serial)
                serialIDs.append(number)
            }

            let item = compile(asset, vendorKeys: keys, tokens: tokens, firmware: firmware)
            let position = Int32(compiled.count)
            compiled.append(item)
            let key = AssetClassKey(vendorKeys: keys, tokens: tokens.sorted(), modelKey: item.modelKey,
                                    cpe: asset.asset.cpe, purl: asset.asset.purl)
            if let number = classNumbers[key] {
                members[Int(number)].append(position)
                continue
            }
            let number = Int32(classes.count)
            classNumbers[key] = number
            classes.append(item)
            members.append([position])
            for vendor in item.vendorKeys {
                for word in item.tokens { byVendorWord[vendor, default: [:]][word, default: []].append(number) }
                if let model = item.modelKey { byVendorModel[vendor, default: [:]][model, default: []].append(number) }
            }
            if let cpe = item.cpe { byCPE[cpe.identityKey, default: []].append(number) }
            if let purl = item.purl { byPURL[purl.identityKey, default: []].append(number) }
        }
        let assetIDs = compiled.map(\.id)
        return AssetIndex(assets: compiled, assetIDs: assetIDs,
                          idsAscending: zip(assetIDs, assetIDs.dropFirst()).allSatisfy { $0 < $1 }, classes: classes, members: members,
                          memberVersions: members.map { $0.map { versionIDs[Int($0)] } },
                          classStarts: members.reduce(into: [Int32(0)]) { $0.append($0.last! + Int32($1.count)) }, byVendorWord: byVendorWord,
                          byVendorModel: byVendorModel, byCPE: byCPE, byPURL: byPURL, versionIDs: versionIDs,
                          serialIDs: serialIDs, versions: versions, firmwares: firmwares, serials: serials)
    }
}

extension Array where Element == Int32 {
    /// Whether every element of this ascending array is in `other`, also ascending.
    func isSortedSubset(of other: [Int32]) -> Bool {
        var j = 0
        for value in self {
            while j < other.count, other[j] < value { j += 1 }
            if j == other.count || other[j] != value { return false }
            j += 1
        }
        return true
    }
}

extension Array where Element: Comparable {
    /// Binary search in an ascending array.
    func containsSorted(_ value: Element) -> Bool {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < count && self[low] == value
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
