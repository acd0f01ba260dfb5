import CSAF
import Foundation
import Matching

/// Links advisories of different publishers that describe the same vulnerabilities: a vendor's advisory (Siemens'
/// `SSA-…`, Festo's `FSA-…`, a CERT@VDE `VDE-…`) and a coordinator's republication of it (CISA's `ICSA-…`), which names
/// the products differently. Incremental: `add(_:)` costs about the new advisory's CVE and reference count (each
/// looked up in an index) plus the links it finds, not the size of what the linker already holds.
///
/// The rules, for two advisories A and B:
/// 1. **Same publisher: never linked.** The linker finds republications; a publisher's own advisories that share a
///    CVE (Siemens updating a component across several SSAs, CISA's advisories among themselves) are a different
///    relation and are left out. Publishers are compared by namespace host (`https://www.festo.com` and
///    `https://festo.com` are one), else by name.
/// 2. **Reference: strong.** A's references name B, or B's name A: a reference URL whose document name (last path
///    segment without extension, or a query value) is B's ID or one of B's aliases, compared as document keys
///    (lowercase, leading zeros dropped). So `https://cert-portal.siemens.com/productcert/html/ssa-123456.html`,
///    `http://…/csaf/ssa-123456.json`, `…/txt/SSA-123456.txt` and CISA's mistyped `ssa-23456.json` for
///    `SSA-023456` all name `SSA-123456` or `SSA-023456`; `https://certvde.com/en/advisories/VDE-2023-040/` names
///    Festo's `FSA-202301`, whose alias that is. Reference summaries are not read: CISA's carry copy-paste slips
///    (`SSA-496604: SSA-325546: …` above a link to SSA-325546). A reference wins over the CVE rules, whatever the
///    vendors.
/// 3. **Shared CVEs and the same vendor.** Without a reference, A and B are linked when they share at least one CVE
///    *and* their principal product vendors are the same: the first vendor in `Advisory.vendors` (the product
///    tree's first vendor, the advisory's subject; third-party components come after it), canonicalised through
///    `VendorDirectory` (`Siemens AG`, `Siemens`, `Siemens Industry Software` are one). The products' vendor, not the
///    publisher: a coordinator (CISA) publishes for many vendors. Identical CVE sets: `sameCVEs`, strong. Otherwise
///    `overlappingCVEs`: medium when the shared CVEs are at least half of all the CVEs the two list (an advisory
///    revised to add a few), else weak (mostly a component's CVEs that one vendor lists in several advisories).
/// 4. **Shared CVEs, different vendors: not linked.** A third-party component's CVEs (CODESYS in a Festo advisory,
///    also in CISA's advisories for CODESYS, WAGO or Rockwell) make the same CVE, not the same advisory: the Festo
///    devices still need Festo's fix.
///
/// Advisories are keyed by ID: adding an ID again (a new revision) replaces everything known of the old one, and
/// the links it no longer earns are reported as removed.
public struct AdvisoryLinker: Sendable {
    private let vendors: VendorDirectory
    private var index = AdvisoryLinkIndex()
    /// Links by advisory, then by the other advisory's ID; both sides of every link are kept.
    private var linksByID: [String: [String: AdvisoryLink]] = [:]

    /// An empty linker comparing vendors through `vendors` (the built-in aliases unless given a deployment's own).
    public init(vendors: VendorDirectory = VendorDirectory()) {
        self.vendors = vendors
    }

    /// How many advisories the linker holds.
    public var count: Int { index.facts.count }

    /// Entries in the indexes (for tests: replacing an advisory must leave none of its old facts behind).
    var indexEntries: Int { index.entries }

    /// Adds `advisory`, or replaces what was known of an advisory with its ID, and returns the links that appeared,
    /// changed or went away, seen from `advisory` (sorted by the other advisory's ID).
    @discardableResult
    public mutating func add(_ advisory: Advisory) -> [AdvisoryLinkChange] {
        let facts = AdvisoryLinkFacts(advisory, vendors: vendors)
        let before = linksByID[facts.id] ?? [:]
        let mirroredBefore = Dictionary(uniqueKeysWithValues: before.keys.map { ($0, linksByID[$0]?[facts.id]) })
        index.remove(facts.id)
        index.insert(facts)
        var after: [String: AdvisoryLink] = [:]
        var mirrors: [String: AdvisoryLink] = [:]
        for otherID in index.candidates(for: facts) {
            guard let other = index.facts[otherID], let link = Self.link(from: facts, to: other) else { continue }
            after[otherID] = link
            mirrors[otherID] = Self.link(from: other, to: facts)
        }
        return apply(id: facts.id, before: before, mirroredBefore: mirroredBefore, after: after, mirrors: mirrors)
    }

    /// Forgets the advisory `id` (withdrawn, or deleted from the store) and returns the links that went with it.
    @discardableResult
    public mutating func remove(_ id: String) -> [AdvisoryLinkChange] {
        guard index.facts[id] != nil else { return [] }
        let before = linksByID[id] ?? [:]
        index.remove(id)
        return apply(id: id, before: before, mirroredBefore: [:], after: [:], mirrors: [:])
    }

    /// The links of the advisory `id`: strongest first, then by reason, then the earlier-published other advisory
    /// first, then by ID. Empty for an advisory without links or not held.
    public func links(for id: String) -> [AdvisoryLink] {
        Self.sorted(linksByID[id].map { Array($0.values) } ?? [])
    }

    /// Every advisory that has links, with its links in the order `links(for:)` gives.
    public var allLinks: [String: [AdvisoryLink]] {
        linksByID.mapValues { Self.sorted(Array($0.values)) }
    }

    /// Links `advisories` from scratch (a later advisory with the same ID replaces an earlier one): the same answer
    /// as adding them one by one to an empty linker, as `allLinks` gives it.
    public static func link(_ advisories: [Advisory], vendors: VendorDirectory = VendorDirectory()) -> [String: [AdvisoryLink]] {
        link(facts: advisories.lazy.map { AdvisoryLinkFacts($0, vendors: vendors) })
    }

    /// The links of `facts` to `candidates` under the rules (candidates with its own ID are skipped), in the order
    /// `links(for:)` gives. A store passes the advisories that share a CVE or a document key with it.
    public static func links(of facts: AdvisoryLinkFacts, among candidates: some Sequence<AdvisoryLinkFacts>) -> [AdvisoryLink] {
        sorted(candidates.compactMap { link(from: facts, to: $0) })
    }

    /// Links advisories from their facts, from scratch: the same answer as `link(_:vendors:)` for the advisories
    /// they were made of.
    public static func link(facts: some Sequence<AdvisoryLinkFacts>) -> [String: [AdvisoryLink]] {
        var index = AdvisoryLinkIndex()
        for item in facts {
            index.remove(item.id)
            index.insert(item)
        }
        var result: [String: [AdvisoryLink]] = [:]
        for item in index.facts.values {
            let links = index.candidates(for: item).compactMap { index.facts[$0].flatMap { link(from: item, to: $0) } }
            if !links.isEmpty { result[item.id] = sorted(links) }
        }
        return result
    }

    // MARK: The rules

    /// The link from `a` to `b` under the rules above, or nil.
    static func link(from a: AdvisoryLinkFacts, to b: AdvisoryLinkFacts) -> AdvisoryLink? {
        guard a.id != b.id, a.publisherKey != b.publisherKey else { return nil }
        let shared = a.cves.intersection(b.cves).sorted()
        let namesOther = !a.named.isDisjoint(with: b.identity)
        let namedByOther = !b.named.isDisjoint(with: a.identity)
        func make(_ reason: AdvisoryLink.Reason, _ strength: AdvisoryLink.Strength,
                  _ reference: AdvisoryLink.ReferenceDirection? = nil) -> AdvisoryLink {
            AdvisoryLink(id: b.id, publisher: b.publisherName, reason: reason, strength: strength, sharedCVEs: shared,
                         initialReleaseDate: b.initialReleaseDate, reference: reference)
        }
        if namesOther || namedByOther {
            return make(.reference, .strong, namesOther && namedByOther ? .both : namesOther ? .namesOther : .namedByOther)
        }
        guard !shared.isEmpty, !a.vendorKeys.isDisjoint(with: b.vendorKeys) else { return nil }
        if a.cves == b.cves { return make(.sameCVEs, .strong) }
        // Shared CVEs against all the CVEs of the two: a small advisory sharing its one CVE with a vendor's
        // omnibus advisory (a component's CVE in many products) is weak, an advisory that grew by a few is medium.
        let union = a.cves.count + b.cves.count - shared.count
        return make(.overlappingCVEs, shared.count * 2 >= union ? .medium : .weak)
    }

    static func sorted(_ links: [AdvisoryLink]) -> [AdvisoryLink] {
        links.sorted { x, y in
            if x.strength != y.strength { return x.strength < y.strength }
            if x.reason != y.reason { return x.reason < y.reason }
            switch (x.initialReleaseDate, y.initialReleaseDate) {
            case let (left?, right?) where left != right: return left < right
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x.id < y.id
            }
        }
    }

    // MARK: Bookkeeping

    /// Stores `after` (and the other sides' `mirrors`) as the links of `id` in place of `before`, and says what changed.
    private mutating func apply(id: String, before: [String: AdvisoryLink], mirroredBefore: [String: AdvisoryLink?],
                                after: [String: AdvisoryLink], mirrors: [String: AdvisoryLink]) -> [AdvisoryLinkChange] {
        var changes: [AdvisoryLinkChange] = []
        for otherID in Set(before.keys).union(after.keys).sorted() {
            switch (before[otherID], after[otherID]) {
            case let (old?, nil):
                linksByID[otherID]?[id] = nil
                if linksByID[otherID]?.isEmpty == true { linksByID[otherID] = nil }
                changes.append(AdvisoryLinkChange(kind: .removed, advisoryID: id, link: old))
            case let (old, new?):
                linksByID[otherID, default: [:]][id] = mirrors[otherID]
                if old == nil {
                    changes.append(AdvisoryLinkChange(kind: .added, advisoryID: id, link: new))
                } else if old != new || mirroredBefore[otherID] ?? nil != mirrors[otherID] {
                    changes.append(AdvisoryLinkChange(kind: .changed, advisoryID: id, link: new))
                }
            case (nil, nil):
                break
            }
        }
        linksByID[id] = after.isEmpty ? nil : after
        return changes
    }
}

/// The linker's indexes: facts by ID, and IDs by CVE, by the document keys advisories are known by, and by the
/// document keys their references name. Posting sets, so replacing an advisory costs its own facts' size.
struct AdvisoryLinkIndex: Sendable {
    var facts: [String: AdvisoryLinkFacts] = [:]
    private var byCVE: [String: Set<String>] = [:]
    private var byIdentity: [String: Set<String>] = [:]
    private var byNamed: [String: Set<String>] = [:]

    /// Entries in the three posting maps, counted one per advisory per key.
    var entries: Int {
        [byCVE, byIdentity, byNamed].reduce(0) { total, postings in total + postings.values.reduce(0) { $0 + $1.count } }
    }

    mutating func insert(_ item: AdvisoryLinkFacts) {
        facts[item.id] = item
        for cve in item.cves { byCVE[cve, default: []].insert(item.id) }
        for key in item.identity { byIdentity[key, default: []].insert(item.id) }
        for key in item.named { byNamed[key, default: []].insert(item.id) }
    }

    mutating func remove(_ id: String) {
        guard let item = facts.removeValue(forKey: id) else { return }
        func drop(_ keys: Set<String>, from postings: inout [String: Set<String>]) {
            for key in keys {
                postings[key]?.remove(id)
                if postings[key]?.isEmpty == true { postings[key] = nil }
            }
        }
        drop(item.cves, from: &byCVE)
        drop(item.identity, from: &byIdentity)
        drop(item.named, from: &byNamed)
    }

    /// The advisories that could link to `item`: those sharing a CVE, those its references name, those naming it.
    func candidates(for item: AdvisoryLinkFacts) -> Set<String> {
        var found = Set<String>()
        for cve in item.cves { if let ids = byCVE[cve] { found.formUnion(ids) } }
        for key in item.named { if let ids = byIdentity[key] { found.formUnion(ids) } }
        for key in item.identity { if let ids = byNamed[key] { found.formUnion(ids) } }
        found.remove(item.id)
        return found
    }
}
