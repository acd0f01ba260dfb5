import CSAF
import Versions

/// One advisory against a whole inventory, with the work grown by what differs rather than by pairs.
///
/// An advisory's products that share what candidates are found and recognised by (vendor keys, name words, model
/// numbers, CPE, package URL) form a group: its candidates are found once, and each is recognised the same way for
/// every product of the group. Within a group, products with the same range text and listed status form a cell; the
/// status each cell gives depends only on the asset's version (and serial number, for ranges over serial numbers), so
/// it is worked out once per distinct version, and an asset's combined exposure once per distinct version and kind of
/// match. What `combine` does to a list of per-product exposures depends only on each status's best entry (highest
/// confidence, then first in product order), its first entry, its products and whether every unknown is silent: those
/// are kept per cell, so combining whole cells gives exactly what combining every product would.
extension ExposureCalculator {
    /// Products that share candidates and how each candidate is recognised.
    private struct GroupKey: Hashable {
        let vendorKeys: [String]
        let tokens: Set<String>
        let modelKeys: [String]
        let cpe: String?
        let purl: String?
    }

    private struct Group {
        /// The first product of the group: the one candidates are found and recognised by.
        let representative: CompiledProduct
        /// The group's distinct ranges, and for each cell its range (an index into `ranges`) and global cell number.
        var ranges: [VendorRange] = []
        var rangeNumbers: [String: Int32] = [:]
        var cells: [Int32] = []
        var cellNumbers: [CellKey: Int32] = [:]
        /// Whether a range bounds serial numbers, so that the serial number matters too.
        var usesSerial = false
    }

    private struct CellKey: Hashable {
        let range: Int32
        let listed: ProductStatusKind
    }

    private struct Cell {
        let range: Int32
        let listed: ProductStatusKind
        /// Positions in the advisory's product list, ascending.
        var products: [Int32]
        var first: Int32 { products[0] }
    }

    /// A group's verdicts for one distinct version (and serial number): one per range, and each cell's status.
    private struct VersionSlot {
        let verdicts: [RangeVerdict]
        let statuses: [ExposureStatus]
    }

    /// What `combine` needs of one group's products for one version and kind of match, per status (by rank).
    private struct Summary {
        let group: Int32
        let slot: Int32
        let kind: ProductMatchKind
        /// Per status: the cell (global number) with the highest confidence, then the first product; -1 if none.
        var best: [Int32] = Array(repeating: -1, count: 5)
        var bestConfidence: [MatchConfidence] = Array(repeating: .low, count: 5)
        /// Per status: the cell with the first product; -1 if none.
        var first: [Int32] = Array(repeating: -1, count: 5)
        var firstConfidence: [MatchConfidence] = Array(repeating: .low, count: 5)
        /// Whether every unknown answer only says the version is outside a fixed or not-affected list.
        var silentUnknowns = true
    }

    /// A combined exposure without its asset.
    private struct Resolved {
        let status: ExposureStatus
        let confidence: MatchConfidence
        let product: CompiledProduct
        let kind: ProductMatchKind
        let verdict: RangeVerdict
        let firstProductID: String
        let moreProductIDs: [String]
    }

    /// The exposures of every indexed asset that one advisory concerns, one per asset, worst first.
    public func exposures(to advisory: MatchAdvisory, in index: AssetIndex) -> [Exposure] {
        var rangeCache: [String: VendorRange] = [:]
        let products = compile(advisory, rangeCache: &rangeCache)
        guard !products.isEmpty else { return [] }

        // Groups and cells, in product order.
        var groups: [Group] = []
        var groupNumbers: [GroupKey: Int] = [:]
        var cells: [Cell] = []
        for (position, product) in products.enumerated() {
            let key = GroupKey(vendorKeys: product.vendorKeys, tokens: product.tokens, modelKeys: product.modelKeys,
                               cpe: product.product.cpe, purl: product.product.purl)
            let number = groupNumbers[key] ?? {
                groups.append(Group(representative: product))
                groupNumbers[key] = groups.count - 1
                return groups.count - 1
            }()
            let text = product.product.version ?? "*"
            let range = groups[number].rangeNumbers[text] ?? {
                let range = Int32(groups[number].ranges.count)
                groups[number].ranges.append(product.range)
                groups[number].rangeNumbers[text] = range
                if case .serialNumber = product.range.subject { groups[number].usesSerial = true }
                return range
            }()
            let cellKey = CellKey(range: range, listed: product.product.status)
            if let cell = groups[number].cellNumbers[cellKey] {
                cells[Int(cell)].products.append(Int32(position))
            } else {
                let cell = Int32(cells.count)
                cells.append(Cell(range: range, listed: product.product.status, products: [Int32(position)]))
                groups[number].cellNumbers[cellKey] = cell
                groups[number].cells.append(cell)
            }
        }

        var slots: [VersionSlot] = []
        var summaries: [Summary] = []
        // Per asset position, its latest hit; hits of one asset are linked through `hitNext`.
        var head = [Int32](repeating: -1, count: index.assets.count)
        var hitSummary: [Int32] = []
        var hitNext: [Int32] = []
        var touched: [Int32] = []

        for (groupNumber, group) in groups.enumerated() {
            var slotNumbers: [Int64: Int32] = [:]
            var summaryNumbers: [Int64: Int32] = [:]
            forEachCandidate(of: group.representative, in: index) { assetClass, kind in
                for position in index.members[Int(assetClass)] {
                    let p = Int(position)
                    var version = Int64(index.versionIDs[p])
                    if group.usesSerial { version = version << 32 | Int64(index.serialIDs[p]) }
                    let summaryKey = version &* 8 &+ Int64(kind.slot)
                    let summary: Int32
                    if let known = summaryNumbers[summaryKey] {
                        summary = known
                    } else {
                        let slot: Int32
                        if let known = slotNumbers[version] {
                            slot = known
                        } else {
                            let versionString = index.versions[Int(index.versionIDs[p])]
                            let firmware = index.firmwares[Int(index.versionIDs[p])]
                            let serial = index.serials[Int(index.serialIDs[p])]
                            let verdicts = group.ranges.map {
                                $0.verdict(version: versionString, firmware: firmware, serialNumber: serial)
                            }
                            let statuses = group.cells.map { cell in
                                Self.status(verdicts[Int(cells[Int(cell)].range)], listed: cells[Int(cell)].listed)
                            }
                            slot = Int32(slots.count)
                            slots.append(VersionSlot(verdicts: verdicts, statuses: statuses))
                            slotNumbers[version] = slot
                        }
                        var made = Summary(group: Int32(groupNumber), slot: slot, kind: kind)
                        let verdicts = slots[Int(slot)].verdicts
                        for (offset, number) in group.cells.enumerated() {
                            let cell = cells[Int(number)]
                            let status = slots[Int(slot)].statuses[offset]
                            let verdict = verdicts[Int(cell.range)]
                            let confidence = min(kind.confidence, MatchConfidence(verdict.confidence))
                            let rank = status.rank
                            let best = made.best[rank]
                            if best < 0 || confidence > made.bestConfidence[rank]
                                || (confidence == made.bestConfidence[rank] && cell.first < cells[Int(best)].first) {
                                made.best[rank] = number
                                made.bestConfidence[rank] = confidence
                            }
                            let first = made.first[rank]
                            if first < 0 || cell.first < cells[Int(first)].first {
                                made.first[rank] = number
                                made.firstConfidence[rank] = confidence
                            }
                            if status == .unknown, verdict.answer != .outside { made.silentUnknowns = false }
                        }
                        summary = Int32(summaries.count)
                        summaries.append(made)
                        summaryNumbers[summaryKey] = summary
                    }
                    if head[p] < 0 { touched.append(position) }
                    hitSummary.append(summary)
                    hitNext.append(head[p])
                    head[p] = Int32(hitSummary.count - 1)
                }
            }
        }
        guard !touched.isEmpty else { return [] }

        /// `combine` over every product of the given summaries' cells, worked out from the cells.
        func resolve(_ hits: [Int32]) -> Resolved {
            var rank = 4
            for hit in hits {
                if let present = summaries[Int(hit)].best.firstIndex(where: { $0 >= 0 }) { rank = min(rank, present) }
            }
            // The worst status's entry with the highest confidence, then the first in product order.
            var chosen = (summary: Int32(-1), cell: Int32(-1), confidence: MatchConfidence.low)
            for hit in hits {
                let summary = summaries[Int(hit)]
                let cell = summary.best[rank]
                guard cell >= 0 else { continue }
                if chosen.cell < 0 || summary.bestConfidence[rank] > chosen.confidence
                    || (summary.bestConfidence[rank] == chosen.confidence && cells[Int(cell)].first < cells[Int(chosen.cell)].first) {
                    chosen = (hit, cell, summary.bestConfidence[rank])
                }
            }
            // An unknown answer from a product outside a fixed list yields to a decided one: the first of the best
            // decided status, whatever its confidence.
            if rank == ExposureStatus.unknown.rank, hits.allSatisfy({ summaries[Int($0)].silentUnknowns }),
               let decided = [ExposureStatus.fixed.rank, ExposureStatus.notAffected.rank].first(where: { decided in
                   hits.contains { summaries[Int($0)].first[decided] >= 0 }
               }) {
                rank = decided
                chosen = (-1, -1, .low)
                for hit in hits {
                    let summary = summaries[Int(hit)]
                    let cell = summary.first[rank]
                    guard cell >= 0 else { continue }
                    if chosen.cell < 0 || cells[Int(cell)].first < cells[Int(chosen.cell)].first {
                        chosen = (hit, cell, summary.firstConfidence[rank])
                    }
                }
            }
            // Every product that gave the chosen status, in product order.
            var positions: [Int32] = []
            var sources = 0
            for hit in hits {
                let summary = summaries[Int(hit)]
                let group = groups[Int(summary.group)]
                let statuses = slots[Int(summary.slot)].statuses
                for (offset, number) in group.cells.enumerated() where statuses[offset].rank == rank {
                    positions += cells[Int(number)].products
                    sources += 1
                }
            }
            if sources > 1 { positions.sort() }
            let summary = summaries[Int(chosen.summary)]
            let cell = cells[Int(chosen.cell)]
            return Resolved(status: ExposureStatus.allCases[rank],
                            confidence: chosen.confidence, product: products[Int(cell.first)], kind: summary.kind,
                            verdict: slots[Int(summary.slot)].verdicts[Int(cell.range)],
                            firstProductID: products[Int(positions[0])].product.productID,
                            moreProductIDs: positions.dropFirst().map { products[Int($0)].product.productID })
        }

        // One exposure per asset, in inventory order: combined once per distinct set of summaries.
        touched.sort()
        var single = [Resolved?](repeating: nil, count: summaries.count)
        var several: [[Int32]: Resolved] = [:]
        var byRank: [[Exposure]] = Array(repeating: [], count: 5)
        var hits: [Int32] = []
        for position in touched {
            let first = head[Int(position)]
            let resolved: Resolved
            if hitNext[Int(first)] < 0 {
                let summary = Int(hitSummary[Int(first)])
                if let known = single[summary] {
                    resolved = known
                } else {
                    resolved = resolve([Int32(summary)])
                    single[summary] = resolved
                }
            } else {
                hits.removeAll(keepingCapacity: true)
                var hit = first
                while hit >= 0 {
                    hits.append(hitSummary[Int(hit)])
                    hit = hitNext[Int(hit)]
                }
                hits.sort()
                if let known = several[hits] {
                    resolved = known
                } else {
                    resolved = resolve(hits)
                    several[hits] = resolved
                }
            }
            let asset = index.assets[Int(position)]
            let more = resolved.moreProductIDs.count
            let explanation = MatchExplanation(asset: asset, product: resolved.product, kind: resolved.kind,
                                               verdict: resolved.verdict, status: resolved.status, moreProducts: more)
            byRank[resolved.status.rank].append(Exposure(
                assetID: asset.id, advisoryID: advisory.id, status: resolved.status, confidence: resolved.confidence,
                firstProductID: resolved.firstProductID, moreProductIDs: resolved.moreProductIDs,
                explanation: .match(explanation)))
        }
        // Worst first, then by asset ID; inventories usually number assets in order, so there is rarely anything to sort.
        var result: [Exposure] = []
        result.reserveCapacity(touched.count)
        for var bucket in byRank {
            if !zip(bucket, bucket.dropFirst()).allSatisfy({ $0.assetID < $1.assetID }) {
                bucket.sort { $0.assetID < $1.assetID }
            }
            result += bucket
        }
        return result
    }

    /// Calls `body` once for each class of indexed assets that `product` concerns, with how they are recognised: assets
    /// of its vendor with every word of its name, and assets with one of its model numbers, its CPE or its package URL.
    private func forEachCandidate(of product: CompiledProduct, in index: AssetIndex,
                                  _ body: (Int32, ProductMatchKind) -> Void) {
        var named: [Int32] = []
        var others: [Int32] = []
        for vendor in product.vendorKeys {
            if let words = index.byVendorWord[vendor], !product.tokens.isEmpty {
                // Classes of this vendor whose name has every word of the product's.
                named += Self.intersection(product.tokens.map { words[$0] ?? [] })
            }
            for model in product.modelKeys { if let list = index.byVendorModel[vendor]?[model] { others += list } }
        }
        if let cpe = product.cpe, let list = index.byCPE[cpe.identityKey] { others += list }
        if let purl = product.purl, let list = index.byPURL[purl.identityKey] { others += list }
        if product.vendorKeys.count > 1 { named.sort() }
        var previous: Int32 = -1
        for number in named where number != previous {
            previous = number
            body(number, nameMatch(index.classes[Int(number)], product))
        }
        if others.count > 1 { others.sort() }
        previous = -1
        for number in others where number != previous && !named.containsSorted(number) {
            previous = number
            if let match = productMatch(index.classes[Int(number)], product) { body(number, match) }
        }
    }

    /// The numbers in every one of `lists` (each ascending), ascending: the shortest list filtered by each longer one
    /// in turn, searching forward from the last place found.
    static func intersection(_ lists: [[Int32]]) -> [Int32] {
        let lists = lists.sorted { $0.count < $1.count }
        guard var result = lists.first else { return [] }
        for list in lists.dropFirst() {
            if result.isEmpty { break }
            var kept = 0
            list.withUnsafeBufferPointer { other in
                let count = other.count
                var low = 0
                for value in result {
                    if low < count, other[low] < value {
                        // Gallop: double the step until past `value`, then search between.
                        var below = low
                        var step = 1
                        var probe = low + 1
                        while probe < count, other[probe] < value {
                            below = probe
                            step &*= 2
                            probe = below + step
                        }
                        var high = min(probe, count)
                        low = below + 1
                        while low < high {
                            let middle = (low + high) / 2
                            if other[middle] < value { low = middle + 1 } else { high = middle }
                        }
                    }
                    if low == count { break }
                    if other[low] == value {
                        result[kept] = value
                        kept += 1
                        low += 1
                    }
                }
            }
            result.removeSubrange(kept...)
        }
        return result
    }
}

extension ProductMatchKind {
    /// A small number per kind, for cache keys.
    var slot: Int {
        switch self {
        case .cpe: 0
        case .purl: 1
        case .modelNumber: 2
        case .name: 3
        case .productFamily: 4
        }
    }
}
