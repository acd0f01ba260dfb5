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
        /// Each range's number among the advisory's distinct range texts.
        var rangeIDs: [Int32] = []
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

    /// The exposures of every indexed asset that one advisory concerns, one per asset, worst first.
    public func exposures(to advisory: MatchAdvisory, in index: AssetIndex) -> [Exposure] {
        exposures(to: advisory, in: index, stampingAbove: 2_048)
    }

    /// `exposures(to:in:)`, with groups of more than `stampingAbove` candidate assets finding each version's slot in an
    /// array by version number rather than by hashing (tests run both ways).
    func exposures(to advisory: MatchAdvisory, in index: AssetIndex, stampingAbove: Int) -> [Exposure] {
        var rangeCache: [String: VendorRange] = [:]
        let products = compile(advisory, rangeCache: &rangeCache)
        guard !products.isEmpty else { return [] }

        // Groups and cells, in product order.
        var groups: [Group] = []
        var groupNumbers: [GroupKey: Int] = [:]
        var cells: [Cell] = []
        var rangeIDs: [String: Int32] = [:]
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
                groups[number].rangeIDs.append(rangeIDs[text] ?? {
                    rangeIDs[text] = Int32(rangeIDs.count)
                    return Int32(rangeIDs.count - 1)
                }())
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

        // The cells' fields flat, read in the loops below without copying a struct that holds an array.
        let cellRange = cells.map { Int($0.range) }
        let cellListed = cells.map(\.listed)
        let cellFirst = cells.map(\.first)

        // Per group and distinct version (a slot): each range's verdict (an index into `verdictStore`, stored flat from
        // `slotVerdicts`) and the slot's pattern. Groups with many candidates share verdicts by range text and version
        // through `sharedVerdicts` (range number × version number), when that table is not too large.
        var slotVerdicts: [Int32] = []
        var verdictIndexes: [Int32] = []
        var sharedVerdicts: [Int32] = []
        let versionCount = index.versions.count
        let sharable = rangeIDs.count * versionCount <= 4_000_000
        var slotPatterns: [Int32] = []
        var verdictStore: [RangeVerdict] = []
        /// Each verdict's `patternCode`.
        var verdictCodes: [UInt8] = []
        // A pattern: what each of a group's ranges says of a version apart from the version itself (answer,
        // confidence, whether above the range), which is all that statuses and `combine` look at. Versions with the same
        // pattern share their statuses, summaries and combined exposures; only the reason's verdict is the version's own.
        // Per pattern: its group, each cell's status (stored flat) and its first slot's verdicts.
        var patternStatuses: [Int32] = []
        var patternVerdicts: [Int32] = []
        var statusStore: [ExposureStatus] = []
        // Per pattern and kind of match (a summary), per status rank: the cell with the highest confidence, then
        // the first product, and the cell with the first product (-1 if none), with their confidences; stored flat.
        var patternSummaries: [Int32] = []
        var summaryGroup: [Int32] = []
        var summaryPattern: [Int32] = []
        var summaryKind: [ProductMatchKind] = []
        var summaryRank: [Int] = []
        var summarySilent: [Bool] = []
        var best: [Int32] = []
        var bestConfidence: [MatchConfidence] = []
        var first: [Int32] = []
        var firstConfidence: [MatchConfidence] = []
        // Per asset, by its number in class order (so that a class's members are neighbours), its latest hit; hits of
        // one asset are linked through `hitNext`. `touchedKeys` holds each hit asset's number (high half) and position.
        var head = [Int32](repeating: -1, count: index.assets.count)
        var touchedKeys: [UInt64] = []
        var hitSummary: [Int32] = []
        /// Per hit, where its verdicts are: from this place in `verdictIndexes` (one per range of its group), or, when
        /// negative, the one verdict `-1 - value` itself.
        var hitVerdicts: [Int32] = []
        var hitNext: [Int32] = []
        // Per distinct version, the last group that gave it a slot and that slot: groups with many candidates find
        // their slots here instead of hashing (allocated only when a group has that many).
        var stampGroup: [Int32] = []
        var stampSlot: [Int32] = []

        // Candidates first, to know how many hits to make room for.
        let groupCandidates = groups.map { self.candidates(of: $0.representative, in: index) }
        let memberCounts = groupCandidates.map { candidates in
            candidates.reduce(0) { $0 + index.members[Int($1.assetClass)].count }
        }
        let hitCount = memberCounts.reduce(0, +)
        hitSummary.reserveCapacity(hitCount)
        hitVerdicts.reserveCapacity(hitCount)
        hitNext.reserveCapacity(hitCount)
        // Many hits in all: every group finds slots by array, and patterns of one range by their code.
        let large = hitCount > stampingAbove
        var singleRangePatterns = [Int32](repeating: -1, count: large ? groups.count * 32 : 0)
        for (groupNumber, group) in groups.enumerated() {
            let candidates = groupCandidates[groupNumber]
            guard !candidates.isEmpty else { continue }
            let stamped = !group.usesSerial && large
            if stamped, stampGroup.isEmpty {
                stampGroup = [Int32](repeating: -1, count: versionCount)
                stampSlot = [Int32](repeating: 0, count: versionCount)
            }
            let shared = stamped && sharable
            if shared, sharedVerdicts.isEmpty { sharedVerdicts = [Int32](repeating: -1, count: rangeIDs.count * versionCount) }
            let groupRangeIDs = group.rangeIDs
            var slotNumbers: [Int64: Int32] = [:]
            var patternNumbers: [UInt64: Int32] = [:]
            let groupCells = group.cells
            let ranges = group.ranges
            let packable = ranges.count <= 12

            /// The verdict of `range` for the version `versionID` (and the serial number of the asset at `p`), stored.
            /// (Read through buffer pointers, which lend the range and the version rather than copying them.)
            func decide(_ range: Int, _ p: Int, _ versionID: Int) -> Int32 {
                let verdict = ranges.withUnsafeBufferPointer { ranges in
                    index.firmwares.withUnsafeBufferPointer { firmwares in
                        ranges[range].verdict(version: index.versions[versionID], firmware: firmwares[versionID],
                                              serialNumber: index.serials[Int(index.serialIDs[p])])
                    }
                }
                verdictStore.append(verdict)
                verdictCodes.append(verdict.patternCode)
                return Int32(verdictStore.count - 1)
            }

            /// A new pattern whose ranges' verdicts are listed in `verdictIndexes` from `verdictBase`.
            func newPattern(_ verdictBase: Int) -> Int32 {
                let pattern = Int32(patternVerdicts.count)
                patternVerdicts.append(Int32(verdictBase))
                patternStatuses.append(Int32(statusStore.count))
                for cell in groupCells {
                    let verdict = verdictStore[Int(verdictIndexes[verdictBase + cellRange[Int(cell)]])]
                    statusStore.append(Self.status(verdict, listed: cellListed[Int(cell)]))
                }
                patternSummaries.append(contentsOf: repeatElement(-1, count: 5))
                return pattern
            }

            /// A new slot for the version (and serial number) of the asset at `p`.
            func newSlot(_ p: Int, _ versionID: Int) -> Int32 {
                let verdictBase = verdictIndexes.count
                var key: UInt64 = 0
                for offset in ranges.indices {
                    var verdictIndex: Int32
                    if shared {
                        let at = Int(groupRangeIDs[offset]) * versionCount + versionID
                        verdictIndex = sharedVerdicts[at]
                        if verdictIndex < 0 {
                            verdictIndex = decide(offset, p, versionID)
                            sharedVerdicts[at] = verdictIndex
                        }
                    } else {
                        verdictIndex = decide(offset, p, versionID)
                    }
                    verdictIndexes.append(verdictIndex)
                    key = key << 5 | UInt64(verdictCodes[Int(verdictIndex)])
                }
                let slot = Int32(slotVerdicts.count)
                slotVerdicts.append(Int32(verdictBase))
                let pattern: Int32
                let singleAt = large && ranges.count == 1 ? groupNumber * 32 + Int(key) : -1
                if singleAt >= 0, singleRangePatterns[singleAt] >= 0 {
                    pattern = singleRangePatterns[singleAt]
                } else if singleAt < 0, packable, let known = patternNumbers[key] {
                    pattern = known
                } else {
                    pattern = newPattern(verdictBase)
                    if singleAt >= 0 {
                        singleRangePatterns[singleAt] = pattern
                    } else if packable {
                        patternNumbers[key] = pattern
                    }
                }
                slotPatterns.append(pattern)
                return slot
            }

            /// The summary of a pattern and kind of match.
            func newSummary(_ pattern: Int32, _ kind: ProductMatchKind) -> Int32 {
                let summary = Int32(summaryGroup.count)
                summaryGroup.append(Int32(groupNumber))
                summaryPattern.append(pattern)
                summaryKind.append(kind)
                best.append(contentsOf: repeatElement(-1, count: 5))
                bestConfidence.append(contentsOf: repeatElement(.low, count: 5))
                first.append(contentsOf: repeatElement(-1, count: 5))
                firstConfidence.append(contentsOf: repeatElement(.low, count: 5))
                let base = Int(summary) * 5
                let verdictBase = Int(patternVerdicts[Int(pattern)])
                let statusBase = Int(patternStatuses[Int(pattern)])
                var silent = true
                var lowest = 4
                for (offset, number) in groupCells.enumerated() {
                    let status = statusStore[statusBase + offset]
                    let verdict = verdictStore[Int(verdictIndexes[verdictBase + cellRange[Int(number)]])]
                    let confidence = min(kind.confidence, MatchConfidence(verdict.confidence))
                    let slotOfRank = base + status.rank
                    lowest = min(lowest, status.rank)
                    let cellFirstProduct = cellFirst[Int(number)]
                    let bestCell = best[slotOfRank]
                    if bestCell < 0 || confidence > bestConfidence[slotOfRank]
                        || (confidence == bestConfidence[slotOfRank] && cellFirstProduct < cellFirst[Int(bestCell)]) {
                        best[slotOfRank] = number
                        bestConfidence[slotOfRank] = confidence
                    }
                    let firstCell = first[slotOfRank]
                    if firstCell < 0 || cellFirstProduct < cellFirst[Int(firstCell)] {
                        first[slotOfRank] = number
                        firstConfidence[slotOfRank] = confidence
                    }
                    if status == .unknown, verdict.answer != .outside { silent = false }
                }
                summaryRank.append(lowest)
                summarySilent.append(silent)
                return summary
            }

            // One range with verdicts shared: a hit refers to its verdict directly, and its pattern is found by the
            // verdict's code, with no slot per version.
            let direct = shared && ranges.count == 1
            let directRow = direct ? Int(groupRangeIDs[0]) * versionCount : 0
            for (assetClass, kind) in candidates {
                let kindSlot = kind.slot
                let memberVersions = index.memberVersions[Int(assetClass)]
                let classStart = Int(index.classStarts[Int(assetClass)])
                for (offset, position) in index.members[Int(assetClass)].enumerated() {
                    let p = Int(position)
                    let pattern: Int32
                    let verdictAt: Int32
                    if direct {
                        let versionID = Int(memberVersions[offset])
                        var verdictIndex = sharedVerdicts[directRow + versionID]
                        if verdictIndex < 0 {
                            verdictIndex = decide(0, p, versionID)
                            sharedVerdicts[directRow + versionID] = verdictIndex
                        }
                        let singleAt = groupNumber * 32 + Int(verdictCodes[Int(verdictIndex)])
                        if singleRangePatterns[singleAt] < 0 {
                            verdictIndexes.append(verdictIndex)
                            singleRangePatterns[singleAt] = newPattern(verdictIndexes.count - 1)
                        }
                        pattern = singleRangePatterns[singleAt]
                        verdictAt = -1 - verdictIndex
                    } else {
                        let slot: Int32
                        if stamped {
                            let versionID = Int(memberVersions[offset])
                            if stampGroup[versionID] == Int32(groupNumber) {
                                slot = stampSlot[versionID]
                            } else {
                                slot = newSlot(p, versionID)
                                stampGroup[versionID] = Int32(groupNumber)
                                stampSlot[versionID] = slot
                            }
                        } else {
                            var version = Int64(memberVersions[offset])
                            if group.usesSerial { version = version << 32 | Int64(index.serialIDs[p]) }
                            if let known = slotNumbers[version] {
                                slot = known
                            } else {
                                slot = newSlot(p, Int(memberVersions[offset]))
                                slotNumbers[version] = slot
                            }
                        }
                        pattern = slotPatterns[Int(slot)]
                        verdictAt = slotVerdicts[Int(slot)]
                    }
                    let at = Int(pattern) * 5 + kindSlot
                    var summary = patternSummaries[at]
                    if summary < 0 {
                        summary = newSummary(pattern, kind)
                        patternSummaries[at] = summary
                    }
                    let ordinal = classStart + offset
                    if head[ordinal] < 0 { touchedKeys.append(UInt64(ordinal) << 32 | UInt64(position)) }
                    hitSummary.append(summary)
                    hitVerdicts.append(verdictAt)
                    hitNext.append(head[ordinal])
                    head[ordinal] = Int32(hitSummary.count - 1)
                }
            }
        }
        guard !touchedKeys.isEmpty else { return [] }

        // Sets of cells (ascending), numbered, and each one's product IDs (numbered too, as `idFirst` and `idMore`).
        var idFirst: [String] = []
        var idMore: [[String]] = []
        var cellSets = NumberSets()
        var cellSetIDs: [Int32] = []
        /// The number of a set of cells, its product IDs worked out when it is new.
        func cellSetNumber(_ chosen: [Int32]) -> Int32 {
            let (number, isNew) = cellSets.number(of: chosen)
            if isNew {
                let positions = chosen.count == 1 ? cells[Int(chosen[0])].products
                    : chosen.flatMap { cells[Int($0)].products }.sorted()
                cellSetIDs.append(Int32(idFirst.count))
                idFirst.append(products[Int(positions[0])].product.productID)
                idMore.append(positions.dropFirst().map { products[Int($0)].product.productID })
            }
            return number
        }

        // Each group's cells, flat.
        var groupCellStart: [Int] = [0]
        var groupCellList: [Int32] = []
        for group in groups {
            groupCellList += group.cells
            groupCellStart.append(groupCellList.count)
        }

        // Combined exposures without their assets (`combine` over every product of a set of summaries' cells), field
        // by field: status, confidence, the chosen product (a position) and kind, the group and range of the chosen
        // cell (the verdict is the asset's own version's, read from its hit there) and the product IDs (a number).
        var resolvedStatus: [ExposureStatus] = []
        var resolvedConfidence: [MatchConfidence] = []
        var resolvedProduct: [Int32] = []
        var resolvedKind: [ProductMatchKind] = []
        var resolvedGroup: [Int32] = []
        var resolvedRange: [Int32] = []
        var resolvedIDs: [Int32] = []
        var chosenCells: [Int32] = []
        var mergeScratch: [Int32] = []
        // Per summary and rank, the number of the set of its cells at that rank (-1 not yet known, -2 none); sets of
        // several such sets, numbered, and each one's product IDs.
        var summaryRankSets: [Int32] = []
        var chosenSets: [Int32] = []
        var unions = NumberSets()
        var unionIDs: [Int32] = []
        /// Works out the combined exposure of `hits` (summaries of distinct groups) and returns its number.
        func resolve(_ hits: [Int32]) -> Int32 {
            var rank = 4
            for hit in hits { rank = min(rank, summaryRank[Int(hit)]) }
            // The worst status's entry with the highest confidence, then the first in product order.
            var chosen = (summary: Int32(-1), cell: Int32(-1), confidence: MatchConfidence.low)
            for hit in hits {
                let at = Int(hit) * 5 + rank
                let cell = best[at]
                guard cell >= 0 else { continue }
                if chosen.cell < 0 || bestConfidence[at] > chosen.confidence
                    || (bestConfidence[at] == chosen.confidence && cellFirst[Int(cell)] < cellFirst[Int(chosen.cell)]) {
                    chosen = (hit, cell, bestConfidence[at])
                }
            }
            // An unknown answer from a product outside a fixed list yields to a decided one: the first of the best
            // decided status, whatever its confidence.
            if rank == ExposureStatus.unknown.rank, hits.allSatisfy({ summarySilent[Int($0)] }),
               let decided = Self.firstDecided(hits, first) {
                rank = decided
                chosen = (-1, -1, .low)
                for hit in hits {
                    let at = Int(hit) * 5 + rank
                    let cell = first[at]
                    guard cell >= 0 else { continue }
                    if chosen.cell < 0 || cellFirst[Int(cell)] < cellFirst[Int(chosen.cell)] {
                        chosen = (hit, cell, firstConfidence[at])
                    }
                }
            }
            // Every cell that gave the chosen status, as the sets each summary gives at that rank (worked out once per
            // summary and rank: a group can have dozens of cells) and, when several do, their union's number.
            chosenSets.removeAll(keepingCapacity: true)
            for hit in hits {
                let at = Int(hit) * 5 + rank
                if summaryRankSets[at] == -1 {
                    let group = Int(summaryGroup[Int(hit)])
                    let statusBase = Int(patternStatuses[Int(summaryPattern[Int(hit)])]) - groupCellStart[group]
                    chosenCells.removeAll(keepingCapacity: true)
                    for cell in groupCellStart[group]..<groupCellStart[group + 1] where statusStore[statusBase + cell].rank == rank {
                        chosenCells.append(groupCellList[cell])
                    }
                    summaryRankSets[at] = chosenCells.isEmpty ? -2 : cellSetNumber(chosenCells)
                }
                if summaryRankSets[at] >= 0 { chosenSets.append(summaryRankSets[at]) }
            }
            let ids: Int32
            if chosenSets.count == 1 {
                ids = cellSetIDs[Int(chosenSets[0])]
            } else {
                Self.insertionSort(&chosenSets)
                let (union, isNew) = unions.number(of: chosenSets)
                if isNew {
                    // Each group's cells ascend; a set is merged into those before it when it starts below their end.
                    chosenCells.removeAll(keepingCapacity: true)
                    for set in chosenSets {
                        let before = chosenCells.count
                        chosenCells += cellSets.list(set)
                        if before > 0, chosenCells[before - 1] > chosenCells[before] {
                            Self.mergeRuns(&chosenCells, at: before, scratch: &mergeScratch)
                        }
                    }
                    unionIDs.append(cellSetIDs[Int(cellSetNumber(chosenCells))])
                }
                ids = unionIDs[Int(union)]
            }
            resolvedStatus.append(ExposureStatus.allCases[rank])
            resolvedConfidence.append(chosen.confidence)
            resolvedProduct.append(cellFirst[Int(chosen.cell)])
            resolvedKind.append(summaryKind[Int(chosen.summary)])
            resolvedGroup.append(summaryGroup[Int(chosen.summary)])
            resolvedRange.append(Int32(cellRange[Int(chosen.cell)]))
            resolvedIDs.append(ids)
            return Int32(resolvedStatus.count - 1)
        }

        // Each asset's combined exposure, worked out in class order: a class's members are hit by the same groups, one
        // after the other, so each group's hits are read in sequence. Assets hit by one summary share its combined
        // exposure; an asset hit by several has its own (sets of several summaries rarely repeat: ICSA-24-235-03 has
        // 57,000 distinct ones among 65,000 assets, so looking them up cost more than working them out).
        Self.sortByHighHalf(&touchedKeys, below: UInt64(index.assets.count))
        var single = [Int32](repeating: -1, count: summaryGroup.count)
        summaryRankSets = [Int32](repeating: -1, count: summaryGroup.count * 5)
        // Per touched asset in class order, its combined exposure and its own verdict in the chosen group; `outputKeys`
        // holds its position (high half) and its offset in that order.
        var resolvedOf: [Int32] = []
        var verdictOf: [Int32] = []
        var outputKeys: [UInt64] = []
        resolvedOf.reserveCapacity(touchedKeys.count)
        verdictOf.reserveCapacity(touchedKeys.count)
        outputKeys.reserveCapacity(touchedKeys.count)
        var rankCounts = [Int](repeating: 0, count: 5)
        var hits: [Int32] = []
        var hitNumbers: [Int32] = []
        for key in touchedKeys {
            let firstHit = head[Int(key >> 32)]
            let resolved: Int32
            var chosenHit = firstHit
            if hitNext[Int(firstHit)] < 0 {
                let summary = Int(hitSummary[Int(firstHit)])
                if single[summary] < 0 { single[summary] = resolve([Int32(summary)]) }
                resolved = single[summary]
            } else {
                hits.removeAll(keepingCapacity: true)
                hitNumbers.removeAll(keepingCapacity: true)
                var hit = firstHit
                while hit >= 0 {
                    hits.append(hitSummary[Int(hit)])
                    hitNumbers.append(hit)
                    hit = hitNext[Int(hit)]
                }
                resolved = resolve(hits)
                // The hit in the chosen group (an asset has one hit per group at most).
                let group = resolvedGroup[Int(resolved)]
                for (offset, summary) in hits.enumerated() where summaryGroup[Int(summary)] == group {
                    chosenHit = hitNumbers[offset]
                }
            }
            let verdictAt = hitVerdicts[Int(chosenHit)]
            verdictOf.append(verdictAt < 0 ? -1 - verdictAt : verdictIndexes[Int(verdictAt) + Int(resolvedRange[Int(resolved)])])
            outputKeys.append((key << 32) | UInt64(resolvedOf.count))
            resolvedOf.append(resolved)
            rankCounts[resolvedStatus[Int(resolved)].rank] += 1
        }

        // Worst first, then by asset ID: assets in inventory order (sorted by position, the high half of each output
        // key) within each status, sorted by ID only when the inventory does not number them in order.
        Self.sortByHighHalf(&outputKeys, below: UInt64(index.assets.count))
        var byRank: [[Int32]] = rankCounts.map { count in
            var list: [Int32] = []
            list.reserveCapacity(count)
            return list
        }
        for key in outputKeys {
            let offset = Int32(truncatingIfNeeded: key)
            byRank[resolvedStatus[Int(resolvedOf[Int(offset)])].rank].append(offset)
        }
        let positions = touchedKeys.map { Int32(truncatingIfNeeded: $0) }
        // What the reasons are rendered from when read: each exposure holds this and four numbers.
        let matches = IndexedMatches(assets: index.assets, products: products, verdicts: verdictStore,
                                     product: resolvedProduct, kind: resolvedKind, status: resolvedStatus,
                                     moreProducts: resolvedIDs.map { Int32(idMore[Int($0)].count) })
        let advisoryID = advisory.id
        var result: [Exposure] = []
        result.reserveCapacity(positions.count)
        for var offsets in byRank {
            if !index.idsAscending, !zip(offsets, offsets.dropFirst()).allSatisfy({
                index.assetIDs[Int(positions[Int($0)])] < index.assetIDs[Int(positions[Int($1)])]
            }) {
                offsets.sort { index.assetIDs[Int(positions[Int($0)])] < index.assetIDs[Int(positions[Int($1)])] }
            }
            for offset in offsets {
                let p = positions[Int(offset)]
                let resolved = Int(resolvedOf[Int(offset)])
                let ids = Int(resolvedIDs[resolved])
                result.append(Exposure(assetID: index.assetIDs[Int(p)], advisoryID: advisoryID, status: resolvedStatus[resolved],
                                       confidence: resolvedConfidence[resolved], firstProductID: idFirst[ids],
                                       moreProductIDs: idMore[ids],
                                       explanation: .match(MatchExplanation(matches, asset: p, match: Int32(resolved),
                                                                            verdict: verdictOf[Int(offset)]))))
            }
        }
        return result
    }

    /// Sorts a short list in place (a few set numbers: `sort()` costs more in calls than in comparisons there).
    static func insertionSort(_ list: inout [Int32]) {
        for end in list.indices.dropFirst() {
            let value = list[end]
            var at = end
            while at > 0, list[at - 1] > value {
                list[at] = list[at - 1]
                at -= 1
            }
            list[at] = value
        }
    }

    /// Merges the ascending runs `list[..<middle]` and `list[middle...]` into one, through `scratch`.
    static func mergeRuns(_ list: inout [Int32], at middle: Int, scratch: inout [Int32]) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: list[..<middle])
        var left = 0
        var right = middle
        var out = 0
        while left < scratch.count, right < list.count {
            if scratch[left] <= list[right] {
                list[out] = scratch[left]
                left += 1
            } else {
                list[out] = list[right]
                right += 1
            }
            out += 1
        }
        while left < scratch.count {
            list[out] = scratch[left]
            left += 1
            out += 1
        }
    }

    /// Sorts keys by their high 32 bits, each below `bound`: a radix sort by 11 bits at a time when there are many
    /// (each key's high half is distinct here, so stability does not matter for the result).
    static func sortByHighHalf(_ keys: inout [UInt64], below bound: UInt64) {
        guard keys.count > 4_096 else {
            keys.sort()
            return
        }
        var bits = 0
        while bits < 32, bound > UInt64(1) << bits { bits += 1 }
        var other = [UInt64](repeating: 0, count: keys.count)
        var shift = 32
        while shift < 32 + bits {
            var counts = [Int](repeating: 0, count: 2_049)
            for key in keys { counts[Int((key >> UInt64(shift)) & 2_047) + 1] += 1 }
            for digit in 1..<counts.count { counts[digit] += counts[digit - 1] }
            for key in keys {
                let digit = Int((key >> UInt64(shift)) & 2_047)
                other[counts[digit]] = key
                counts[digit] += 1
            }
            swap(&keys, &other)
            shift += 11
        }
    }

    /// The best decided status rank (fixed, then not affected) that one of the summaries has an entry for.
    private static func firstDecided(_ hits: [Int32], _ first: [Int32]) -> Int? {
        for decided in [ExposureStatus.fixed.rank, ExposureStatus.notAffected.rank] {
            for hit in hits where first[Int(hit) * 5 + decided] >= 0 { return decided }
        }
        return nil
    }

    /// The classes of indexed assets that `product` concerns, each once, with how they are recognised: assets of its
    /// vendor with every word of its name, and assets with one of its model numbers, its CPE or its package URL.
    private func candidates(of product: CompiledProduct, in index: AssetIndex) -> [(assetClass: Int32, kind: ProductMatchKind)] {
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
        var result: [(assetClass: Int32, kind: ProductMatchKind)] = []
        var previous: Int32 = -1
        for number in named where number != previous {
            previous = number
            result.append((number, nameMatch(index.classes[Int(number)], product)))
        }
        if others.count > 1 { others.sort() }
        previous = -1
        for number in others where number != previous && !named.containsSorted(number) {
            previous = number
            if let match = productMatch(index.classes[Int(number)], product) { result.append((number, match)) }
        }
        return result
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

extension RangeVerdict {
    /// What statuses, confidences and `combine` read of a verdict, as a number below 32: the answer, the confidence and
    /// whether the version is above the range.
    var patternCode: UInt8 {
        let answer: UInt8 = switch self.answer {
        case .inside: 0
        case .outside: 1
        case .undecided: 2
        }
        let confidence: UInt8 = switch self.confidence {
        case .exact: 0
        case .lenient: 1
        case .unreadable: 2
        }
        return answer * 6 + confidence * 2 + (aboveRange ? 1 : 0)
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
