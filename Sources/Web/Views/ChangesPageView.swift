import CSAF
import Foundation
import Revisions
import Storage

/// The page `/advisories/{id}/changes`: what changed between two stored revisions, section by section, with a form to
/// pick another pair. Field names are the page's own in every nested value: Mustache looks a missing (nil) name up in
/// the enclosing context.
struct ChangesPageView {
    struct Choice {
        let reference: String
        let label: String
        let selected: Bool
    }
    struct Word {
        let word: String
        let deleted: Bool
        let inserted: Bool
    }
    struct Item {
        let itemLabel: String
        let itemDetail: String?
        let words: [Word]
        /// Stored, not computed: Mustache reads stored properties only.
        let hasWords: Bool

        init(itemLabel: String, itemDetail: String?, words: [Word]) {
            self.itemLabel = itemLabel
            self.itemDetail = itemDetail
            self.words = words
            hasWords = !words.isEmpty
        }
    }
    struct Section {
        let heading: String
        let anchor: String
        let items: [Item]
    }

    let pageTitle: String
    let advisoryID: String
    let advisoryHref: String
    let from: String
    let to: String
    let fromChoices: [Choice]
    let toChoices: [Choice]
    let summary: [String]
    let unchanged: Bool
    let sections: [Section]
    let jsonHref: String

    /// The page comparing `from` with `to`.
    static func href(id: String, from: StoredRevision, to: StoredRevision, among revisions: [StoredRevision]) -> String {
        "/advisories/\(Format.pathSegment(id))/changes?from=\(Format.queryValue(RevisionComparison.reference(from, among: revisions)))"
            + "&to=\(Format.queryValue(RevisionComparison.reference(to, among: revisions)))"
    }

    init(_ comparison: RevisionComparison) {
        let revisions = comparison.revisions
        let encoded = Format.pathSegment(comparison.advisoryID)
        advisoryID = comparison.advisoryID
        advisoryHref = "/advisories/\(encoded)"
        from = RevisionComparison.reference(comparison.from, among: revisions)
        to = RevisionComparison.reference(comparison.to, among: revisions)
        pageTitle = "Changes \(from) → \(to) · \(comparison.advisoryID) · \(comparison.title)"
        func choices(_ chosen: StoredRevision) -> [Choice] {
            revisions.map { revision in
                let reference = RevisionComparison.reference(revision, among: revisions)
                let date = Format.dateTime(revision.currentReleaseDate).map { " (\($0))" } ?? ""
                return Choice(reference: reference, label: "version \(reference)\(date)\(revision.isCurrent ? ", current" : "")",
                              selected: revision.documentID == chosen.documentID)
            }
        }
        fromChoices = choices(comparison.from)
        toChoices = choices(comparison.to)
        let diff = comparison.diff
        summary = diff.summary
        unchanged = diff.isEmpty
        jsonHref = "/api/v1/advisories/\(encoded)/changes?from=\(Format.queryValue(from))&to=\(Format.queryValue(to))"
        sections = [
            Self.section("Tracking", "tracking", Self.tracking(diff.tracking)),
            Self.section("Products", "products", Self.products(diff.products)),
            Self.section("Vulnerabilities", "vulnerabilities", Self.vulnerabilities(diff.vulnerabilities)),
            Self.section("Remediations", "remediations", Self.remediations(diff.remediations)),
            Self.section("Notes", "notes", diff.notes.map { note in
                let name = note.title.map { "\(note.category): \($0)" } ?? note.category
                return Self.text(name, note.change)
            }),
            Self.section("References", "references",
                         diff.references.added.map { Item(itemLabel: "added", itemDetail: $0.url, words: []) }
                         + diff.references.removed.map { Item(itemLabel: "removed", itemDetail: $0.url, words: []) }),
        ].compactMap { $0 }
    }

    static func section(_ heading: String, _ anchor: String, _ items: [Item]) -> Section? {
        items.isEmpty ? nil : Section(heading: heading, anchor: anchor, items: items)
    }

    static func change<T>(_ label: String, _ change: AdvisoryDiff.Change<T>?, _ show: (T) -> String) -> Item? {
        guard let change else { return nil }
        return Item(itemLabel: label, itemDetail: "\(change.old.map(show) ?? "none") → \(change.new.map(show) ?? "none")", words: [])
    }

    static func words(_ diff: WordDiff?) -> [Word] {
        (diff?.runs ?? []).map { Word(word: $0.text, deleted: $0.kind == .deleted, inserted: $0.kind == .inserted) }
    }

    static func text(_ label: String, _ change: AdvisoryDiff.TextChange) -> Item {
        switch change.kind {
        case .added: Item(itemLabel: "\(label): added", itemDetail: change.text, words: [])
        case .removed: Item(itemLabel: "\(label): removed", itemDetail: change.text, words: [])
        case .changed: Item(itemLabel: "\(label): changed", itemDetail: change.words == nil ? change.text : nil, words: words(change.words))
        }
    }

    static func tracking(_ t: AdvisoryDiff.Tracking) -> [Item] {
        var items: [Item?] = [
            change("Status", t.status) { $0 }, change("Version", t.version) { $0 },
            change("First published", t.initialReleaseDate) { Timestamp.format($0) },
            change("Last revised", t.currentReleaseDate) { Timestamp.format($0) },
            change("Title", t.title) { $0 }, change("TLP", t.tlp) { $0 },
            change("Aggregate severity", t.aggregateSeverity) { $0 },
            change("Highest CVSS", t.highestScore) { "\($0.score) (\($0.vector))" },
        ]
        if let summary = t.riskSummary { items.append(text("Risk summary", summary)) }
        items += t.revisionsAdded.map { Item(itemLabel: "Revision \($0.number) added", itemDetail: $0.summary, words: []) }
        return items.compactMap { $0 }
    }

    static func products(_ p: AdvisoryDiff.Products) -> [Item] {
        // Vendor, product and version as the advisory page lists them; the document's full name beside them when it
        // says more (two revisions may give different products the same full name).
        func describe(_ product: AdvisoryDiff.ProductRef) -> String {
            let listed = [product.vendor, product.product, product.version ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
            let name = product.name.lowercased() == listed.lowercased() ? "" : " “\(product.name)”"
            return "\(listed)\(name) (\(product.status.label))"
        }
        var items = p.added.map { Item(itemLabel: "added", itemDetail: describe($0), words: []) }
        items += p.removed.map { Item(itemLabel: "removed", itemDetail: describe($0), words: []) }
        for changed in p.changed {
            var parts: [String] = []
            if let status = changed.status {
                parts.append("status \(status.old?.label ?? "none") → \(status.new?.label ?? "none")")
            }
            if let range = changed.range {
                let texts = "“\(range.old ?? "any version")” → “\(range.new ?? "any version")”"
                parts.append(range.kind == .respelled ? "range respelled, same versions: \(texts)" : "range changed: \(texts)")
            }
            if changed.identifiersChanged { parts.append("identifiers (CPE, package URL, model numbers) changed") }
            if let name = changed.fullName { parts.append("full name “\(name.old ?? "")” → “\(name.new ?? "")”") }
            items.append(Item(itemLabel: describe(changed.product), itemDetail: parts.joined(separator: "; "), words: []))
        }
        return items
    }

    static func vulnerabilities(_ v: AdvisoryDiff.Vulnerabilities) -> [Item] {
        func name(_ cve: String?, _ key: String) -> String { cve ?? key }
        var items = v.added.map { Item(itemLabel: "added", itemDetail: name($0.cve, $0.key) + ($0.score.map { ", CVSS \($0.score)" } ?? ""), words: []) }
        items += v.removed.map { Item(itemLabel: "removed", itemDetail: name($0.cve, $0.key), words: []) }
        for changed in v.changed {
            let label = name(changed.cve, changed.key)
            items += [
                change("\(label): CVSS", changed.score) { "\($0.score) \($0.severity.label) (\($0.vector))" },
                change("\(label): title", changed.title) { $0 }, change("\(label): CWE", changed.cwe) { $0 },
            ].compactMap { $0 }
            if let summary = changed.summary { items.append(text("\(label): description", summary)) }
        }
        return items
    }

    static func remediations(_ r: AdvisoryDiff.Remediations) -> [Item] {
        func describe(_ remediation: AdvisoryDiff.RemediationRef) -> String {
            let products = remediation.products.isEmpty ? "" : " for \(remediation.products.joined(separator: ", "))"
            return "\(remediation.category)\(products): \(remediation.details)"
        }
        var items = r.added.map { Item(itemLabel: "added", itemDetail: describe($0), words: []) }
        items += r.removed.map { Item(itemLabel: "removed", itemDetail: describe($0), words: []) }
        items += r.changed.map { changed in
            let products = changed.new.products.isEmpty ? "" : " for \(changed.new.products.joined(separator: ", "))"
            return Item(itemLabel: "\(changed.new.category)\(products): changed", itemDetail: changed.details == nil ? describe(changed.new) : nil,
                        words: words(changed.details))
        }
        return items
    }
}
