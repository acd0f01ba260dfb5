import CSAF
import Foundation
import Versions

extension AdvisoryDiff {
    /// What changed from `old` to `new`, two revisions of one advisory. Pure: no clock, no I/O; the same inputs give
    /// the same diff, with every list sorted.
    public static func between(_ old: Advisory, _ new: Advisory) -> AdvisoryDiff {
        var ranges = AdvisoryDiffRanges()
        return AdvisoryDiff(
            advisory: new.id, from: old.version, to: new.version,
            tracking: tracking(old, new),
            products: products(old.products, new.products, ranges: &ranges),
            vulnerabilities: vulnerabilities(old.vulnerabilities, new.vulnerabilities),
            remediations: remediations(old.remediations, new.remediations),
            notes: notes(old.notes, new.notes),
            references: references(old.references, new.references))
    }

    // MARK: - Tracking

    static func tracking(_ old: Advisory, _ new: Advisory) -> Tracking {
        let known = Set(old.revisions.map { AdvisoryDiffText.folded($0.number) })
        return Tracking(
            status: .of(old.status, new.status),
            version: .of(old.version, new.version),
            initialReleaseDate: .of(old.initialReleaseDate, new.initialReleaseDate),
            currentReleaseDate: .of(old.currentReleaseDate, new.currentReleaseDate),
            title: AdvisoryDiffText.collapsed(old.title) == AdvisoryDiffText.collapsed(new.title) ? nil : .of(old.title, new.title),
            tlp: .of(old.tlp, new.tlp),
            aggregateSeverity: .of(old.aggregateSeverity, new.aggregateSeverity),
            highestScore: .of(old.highestScore, new.highestScore),
            riskSummary: .of(old.riskSummary, new.riskSummary),
            revisionsAdded: new.revisions.filter { !known.contains(AdvisoryDiffText.folded($0.number)) })
    }

    // MARK: - Products

    static func products(_ old: [AffectedProduct], _ new: [AffectedProduct],
                         ranges: inout AdvisoryDiffRanges) -> Products {
        func identity(_ product: AffectedProduct) -> String {
            let vendor = AdvisoryDiffText.folded(product.vendor), name = AdvisoryDiffText.folded(product.product)
            if vendor.isEmpty, name.isEmpty { return "id\u{1F}" + product.productID }
            return vendor + "\u{1F}" + name
        }
        func versionText(_ product: AffectedProduct) -> String { AdvisoryDiffText.folded(product.version ?? "") }
        func nameWithoutVersion(_ product: AffectedProduct) -> String {
            guard let version = product.version, !version.isEmpty else { return AdvisoryDiffText.collapsed(product.fullName) }
            return AdvisoryDiffText.collapsed(product.fullName.replacingOccurrences(of: version, with: " "))
        }

        var pairing = AdvisoryDiffPairing(old: old, new: new)
        // The same vendor, name and version text; the product ID only tells duplicates apart.
        func helpers(_ product: AffectedProduct) -> [String] {
            [product.cpe ?? "", product.purl ?? "", product.modelNumbers.sorted().joined(separator: "\u{1F}")]
        }
        // The same vendor, name and version text. Among products that share them (Siemens lists one per order
        // number), those that did not change at all pair first, then those with the same identification helpers,
        // then the same product ID, full name or status.
        pairing.pair { [identity($0), versionText($0), AdvisoryDiffText.folded($0.fullName), $0.status.rawValue] + helpers($0) }
        pairing.pair { [identity($0), versionText($0)] + helpers($0) }
        pairing.pair { [identity($0), versionText($0), $0.productID] }
        pairing.pair { [identity($0), versionText($0), AdvisoryDiffText.folded($0.fullName), $0.status.rawValue] }
        pairing.pair { [identity($0), versionText($0), $0.status.rawValue] }
        pairing.pair { [identity($0), versionText($0)] }
        // The same vendor and name with a range of the same meaning: a respelling.
        pairing.pair { [identity($0), ranges.meaning(of: $0.version).key] + helpers($0) }
        pairing.pair { [identity($0), ranges.meaning(of: $0.version).key] }
        // The one remaining product of a vendor and name on each side: its range changed.
        pairing.pairSingles { identity($0) }

        var changes: [ProductChange] = []
        for (before, after) in pairing.pairs {
            var change = ProductChange(product: ProductRef(after))
            change.status = .of(before.status, after.status)
            if before.version != after.version {
                let oldMeaning = ranges.meaning(of: before.version), newMeaning = ranges.meaning(of: after.version)
                let same = versionText(before) == versionText(after) || oldMeaning.key == newMeaning.key
                change.range = RangeChange(kind: same ? .respelled : .changed, old: before.version, new: after.version,
                                           oldReading: oldMeaning.reading, newReading: newMeaning.reading)
            }
            // A full name that changed only by its version text is the range change, not a rename.
            if nameWithoutVersion(before) != nameWithoutVersion(after) {
                change.fullName = .of(before.fullName, after.fullName)
            }
            change.cpe = .of(before.cpe, after.cpe)
            change.purl = .of(before.purl, after.purl)
            change.modelNumbers = .of(before.modelNumbers.sorted(), after.modelNumbers.sorted())
            if !change.isEmpty { changes.append(change) }
        }
        return Products(added: pairing.unmatchedNew.map(ProductRef.init).sorted(by: ProductRef.precedes),
                        removed: pairing.unmatchedOld.map(ProductRef.init).sorted(by: ProductRef.precedes),
                        changed: changes.sorted { ProductRef.precedes($0.product, $1.product) })
    }

    // MARK: - Vulnerabilities

    static func vulnerabilities(_ old: [AdvisoryVulnerability], _ new: [AdvisoryVulnerability]) -> Vulnerabilities {
        struct Entry {
            var vulnerability: AdvisoryVulnerability
            var key: String
        }
        func entries(_ list: [AdvisoryVulnerability]) -> [Entry] {
            list.enumerated().map { index, vulnerability in
                let key = nonEmpty(vulnerability.cve) ?? nonEmpty(vulnerability.ids.first) ?? nonEmpty(vulnerability.title)
                    ?? "vulnerability \(index + 1)"
                return Entry(vulnerability: vulnerability, key: AdvisoryDiffText.collapsed(key))
            }
        }
        func reference(_ entry: Entry) -> VulnerabilityRef {
            VulnerabilityRef(key: entry.key, cve: entry.vulnerability.cve, title: entry.vulnerability.title,
                             score: entry.vulnerability.score)
        }
        func cwe(_ vulnerability: AdvisoryVulnerability) -> String? {
            guard let id = nonEmpty(vulnerability.cweID) else { return nil }
            return nonEmpty(vulnerability.cweName).map { "\(id): \($0)" } ?? id
        }

        var pairing = AdvisoryDiffPairing(old: entries(old), new: entries(new))
        pairing.pair { nonEmpty($0.vulnerability.cve).map { [AdvisoryDiffText.folded($0)] } }
        pairing.pair { $0.vulnerability.ids.isEmpty ? nil : $0.vulnerability.ids.map(AdvisoryDiffText.folded).sorted() }
        pairing.pair { nonEmpty($0.vulnerability.title).map { [AdvisoryDiffText.folded($0)] } }
        pairing.pair { [$0.key] }

        var changes: [VulnerabilityChange] = []
        for (before, after) in pairing.pairs {
            let titleChanged = AdvisoryDiffText.collapsed(before.vulnerability.title ?? "")
                != AdvisoryDiffText.collapsed(after.vulnerability.title ?? "")
            let change = VulnerabilityChange(
                key: after.key, cve: after.vulnerability.cve,
                score: .of(before.vulnerability.score, after.vulnerability.score),
                title: titleChanged ? .of(before.vulnerability.title, after.vulnerability.title) : nil,
                cwe: .of(cwe(before.vulnerability), cwe(after.vulnerability)),
                summary: .of(before.vulnerability.summary, after.vulnerability.summary))
            if !change.isEmpty { changes.append(change) }
        }
        return Vulnerabilities(added: pairing.unmatchedNew.map(reference).sorted { $0.key < $1.key },
                               removed: pairing.unmatchedOld.map(reference).sorted { $0.key < $1.key },
                               changed: changes.sorted { $0.key < $1.key })
    }

    // MARK: - Remediations

    static func remediations(_ old: [AdvisoryRemediation], _ new: [AdvisoryRemediation]) -> Remediations {
        func same(_ lhs: RemediationRef, _ rhs: RemediationRef) -> Bool {
            var lhs = lhs, rhs = rhs
            lhs.details = AdvisoryDiffText.collapsed(lhs.details)
            rhs.details = AdvisoryDiffText.collapsed(rhs.details)
            return lhs == rhs
        }
        func appliesTo(_ remediation: RemediationRef) -> [String] {
            [remediation.category, remediation.products.joined(separator: "\u{1F}"), remediation.cves.joined(separator: "\u{1F}")]
        }

        var pairing = AdvisoryDiffPairing(old: old.map(RemediationRef.init), new: new.map(RemediationRef.init))
        pairing.pair { appliesTo($0) + [AdvisoryDiffText.collapsed($0.details), $0.url ?? "", $0.date ?? ""] }
        // Reworded, or a new link or date: the same category for the same products and CVEs.
        pairing.pair { appliesTo($0) }
        // The same advice for other products or CVEs.
        pairing.pair { [$0.category, AdvisoryDiffText.folded($0.details)] }

        var changes: [RemediationChange] = []
        for (before, after) in pairing.pairs where !same(before, after) {
            let words = WordDiff.between(before.details, after.details)
            changes.append(RemediationChange(old: before, new: after, details: words.hasChanges ? words : nil))
        }
        return Remediations(added: pairing.unmatchedNew.sorted(by: RemediationRef.precedes),
                            removed: pairing.unmatchedOld.sorted(by: RemediationRef.precedes),
                            changed: changes.sorted { RemediationRef.precedes($0.new, $1.new) })
    }

    // MARK: - Notes and references

    static func notes(_ old: [AdvisoryNote], _ new: [AdvisoryNote]) -> [NoteChange] {
        var pairing = AdvisoryDiffPairing(old: old, new: new)
        pairing.pair { [$0.category, AdvisoryDiffText.folded($0.title ?? ""), AdvisoryDiffText.collapsed($0.text)] }
        pairing.pair { [$0.category, AdvisoryDiffText.folded($0.title ?? "")] }

        var changes: [NoteChange] = []
        for (before, after) in pairing.pairs {
            if let change = TextChange.of(before.text, after.text) {
                changes.append(NoteChange(category: after.category, title: after.title, change: change))
            }
        }
        changes += pairing.unmatchedNew.map {
            NoteChange(category: $0.category, title: $0.title, change: TextChange(kind: .added, text: $0.text))
        }
        changes += pairing.unmatchedOld.map {
            NoteChange(category: $0.category, title: $0.title, change: TextChange(kind: .removed, text: $0.text))
        }
        return changes.sorted {
            ($0.category, $0.title ?? "", $0.change.kind, $0.change.text ?? "")
                < ($1.category, $1.title ?? "", $1.change.kind, $1.change.text ?? "")
        }
    }

    static func references(_ old: [AdvisoryReference], _ new: [AdvisoryReference]) -> References {
        func byURL(_ list: [AdvisoryReference]) -> [String: AdvisoryReference] {
            var result: [String: AdvisoryReference] = [:]
            for reference in list {
                let url = reference.url.trimmingCharacters(in: .whitespacesAndNewlines)
                if result[url] == nil { result[url] = reference }
            }
            return result
        }
        let before = byURL(old), after = byURL(new)
        return References(added: after.filter { before[$0.key] == nil }.sorted { $0.key < $1.key }.map(\.value),
                          removed: before.filter { after[$0.key] == nil }.sorted { $0.key < $1.key }.map(\.value))
    }

    static func nonEmpty(_ text: String?) -> String? {
        guard let text, !AdvisoryDiffText.collapsed(text).isEmpty else { return nil }
        return text
    }
}

extension AdvisoryDiff.ProductRef {
    static func precedes(_ lhs: Self, _ rhs: Self) -> Bool {
        (lhs.name, lhs.vendor, lhs.product, lhs.version ?? "", lhs.status.rawValue)
            < (rhs.name, rhs.vendor, rhs.product, rhs.version ?? "", rhs.status.rawValue)
    }
}

extension AdvisoryDiff.RemediationRef {
    static func precedes(_ lhs: Self, _ rhs: Self) -> Bool {
        let left = [lhs.category, lhs.products.joined(separator: "\u{1F}"), lhs.cves.joined(separator: "\u{1F}"), lhs.details,
                    lhs.url ?? "", lhs.date ?? ""]
        let right = [rhs.category, rhs.products.joined(separator: "\u{1F}"), rhs.cves.joined(separator: "\u{1F}"), rhs.details,
                     rhs.url ?? "", rhs.date ?? ""]
        return left.lexicographicallyPrecedes(right)
    }
}

/// Pairs the items of two revisions in passes, each by a key; an item whose key is nil sits a pass out. Within one
/// key, items pair in their document order.
struct AdvisoryDiffPairing<Item> {
    private(set) var pairs: [(old: Item, new: Item)] = []
    private(set) var unmatchedOld: [Item]
    private(set) var unmatchedNew: [Item]

    init(old: [Item], new: [Item]) {
        unmatchedOld = old
        unmatchedNew = new
    }

    mutating func pair<Key: Hashable>(by key: (Item) -> Key?) {
        var waiting: [Key: [Int]] = [:]
        for (index, item) in unmatchedOld.enumerated() {
            if let key = key(item) { waiting[key, default: []].append(index) }
        }
        var taken = Set<Int>()
        var remaining: [Item] = []
        for item in unmatchedNew {
            guard let key = key(item), var candidates = waiting[key], !candidates.isEmpty else {
                remaining.append(item)
                continue
            }
            let index = candidates.removeFirst()
            waiting[key] = candidates
            taken.insert(index)
            pairs.append((unmatchedOld[index], item))
        }
        unmatchedOld = unmatchedOld.enumerated().filter { !taken.contains($0.offset) }.map(\.element)
        unmatchedNew = remaining
    }

    /// Pairs the items whose key is held by exactly one unmatched item on each side.
    mutating func pairSingles<Key: Hashable>(by key: (Item) -> Key?) {
        var oldCounts: [Key: Int] = [:], newCounts: [Key: Int] = [:]
        for item in unmatchedOld { if let key = key(item) { oldCounts[key, default: 0] += 1 } }
        for item in unmatchedNew { if let key = key(item) { newCounts[key, default: 0] += 1 } }
        pair { item -> Key? in
            guard let key = key(item), oldCounts[key] == 1, newCounts[key] == 1 else { return nil }
            return key
        }
    }
}

/// Reads version texts the way matching does (`VendorRange.read`, a missing version read as `*`) and says what each
/// means, reading each distinct text once.
struct AdvisoryDiffRanges {
    struct Meaning {
        /// Equal for two texts that cover the same versions; for an unreadable text, its case-folded text.
        var key: String
        /// How Vigil reads the text, for people.
        var reading: String
    }

    private var cache: [String: Meaning] = [:]

    mutating func meaning(of text: String?) -> Meaning {
        let text = text ?? "*"
        if let known = cache[text] { return known }
        let range = VendorRange.read(text)
        let meaning: Meaning
        if range.confidence == .unreadable {
            meaning = Meaning(key: "text\u{1F}" + AdvisoryDiffText.folded(text), reading: range.reading)
        } else {
            let subject: String
            switch range.subject {
            case .version: subject = "version"
            case let .serialNumber(digits): subject = "serial \(digits.map(String.init) ?? "")"
            }
            meaning = Meaning(key: "range\u{1F}\(subject)\u{1F}" + (range.normalized ?? range.reading), reading: range.reading)
        }
        cache[text] = meaning
        return meaning
    }
}
