import CSAF
import Revisions

/// Whether a new revision of an advisory changes what matters to the people watching it. Cosmetic revisions (typo
/// fixes, reworded notes, new acknowledgments, moved references) alert nobody.
public enum AdvisoryChange {
    /// What changed that matters, in words; empty when nothing did. A first revision (no `previous`) is new.
    public static func materialChanges(from previous: Advisory?, to current: Advisory) -> [String] {
        guard let previous else { return ["new advisory"] }
        var changes = productChanges(AdvisoryDiff.between(previous, current).products)
        let oldCVEs = Set(previous.cves)
        let newCVEs = current.cves.filter { !oldCVEs.contains($0) }
        if !newCVEs.isEmpty { changes.append("new CVE\(newCVEs.count == 1 ? "" : "s") \(newCVEs.joined(separator: ", "))") }
        if let score = current.highestScore?.score, score > (previous.highestScore?.score ?? -1) {
            changes.append("CVSS raised to \(score)" + (previous.highestScore.map { " from \($0.score)" } ?? ""))
        }
        let fixCategories = Set(Remediation.Category.allCases.map(\.rawValue))
        let oldRemediations = Set(previous.remediations.filter { fixCategories.contains($0.category) }.map { "\($0.category)|\($0.details)|\($0.url ?? "")" })
        let added = current.remediations.filter { fixCategories.contains($0.category) && !oldRemediations.contains("\($0.category)|\($0.details)|\($0.url ?? "")") }
        if added.contains(where: { $0.category == Remediation.Category.vendorFix.rawValue }) {
            changes.append("a fix is now available")
        } else if !added.isEmpty {
            changes.append("new remediation (\(Set(added.map(\.category)).sorted().joined(separator: ", ")))")
        }
        if previous.status != "final", current.status == "final" { changes.append("status changed to final") }
        return changes
    }

    /// `CVE-2024-1234 added to CISA's Known Exploited Vulnerabilities catalogue`.
    public static func knownExploitedNote(_ cves: [String]) -> String {
        "\(cves.sorted().joined(separator: ", ")) added to \(knownExploitedCatalogue)"
    }

    static let knownExploitedCatalogue = "CISA's Known Exploited Vulnerabilities catalogue"

    /// Whether a change (one of `materialChanges`' words) is about the products listed: added, another status, other
    /// versions. Those concern an organisation whose only match is its inventory when they touch its assets.
    public static func isProductChange(_ change: String) -> Bool {
        change.contains(" product added: ") || change.contains(" products added: ") || change.hasPrefix("status changed: ")
            || change.hasPrefix("affected versions changed: ")
    }

    /// Whether an alert was made for another publisher's advisory of vulnerabilities alerted before
    /// (`republished by CISA as …`).
    public static func isRepublication(_ changes: [String]) -> Bool {
        changes.first.map { $0.hasPrefix("republished by ") || $0.hasPrefix("also published by ") } ?? false
    }

    /// Whether an alert's changes say a CVE was newly listed as known exploited.
    public static func isKnownExploitedNews(_ changes: [String]) -> Bool {
        changes.contains { $0.hasSuffix(" added to " + knownExploitedCatalogue) }
    }

    /// The product changes that can change who is affected, in words: products added, a status changed, versions
    /// that now cover other releases. A range respelled without a change in meaning (`< V2.14.1` → `vers:generic/<2.14.1`),
    /// identifiers added and products dropped from the list are not news for anyone watching.
    static func productChanges(_ products: AdvisoryDiff.Products) -> [String] {
        var changes: [String] = []
        if !products.added.isEmpty {
            changes.append("\(products.added.count) product\(products.added.count == 1 ? "" : "s") added: \(named(products.added.map(\.name)))")
        }
        let statuses = products.changed.compactMap { change -> String? in
            guard let status = change.status else { return nil }
            return "\(change.product.name) \(status.old?.label ?? "unlisted") → \(status.new?.label ?? "unlisted")"
        }
        if !statuses.isEmpty { changes.append("status changed: \(named(statuses))") }
        let ranges = products.changed.compactMap { change -> String? in
            guard let range = change.range, range.kind == .changed else { return nil }
            return "\(change.product.vendor) \(change.product.product) “\(range.old ?? "any")” → “\(range.new ?? "any")”"
        }
        if !ranges.isEmpty { changes.append("affected versions changed: \(named(ranges))") }
        return changes
    }

    /// Up to three names, then how many more.
    static func named(_ names: [String]) -> String {
        let shown = names.prefix(3).joined(separator: "; ")
        return names.count > 3 ? "\(shown) and \(names.count - 3) more" : shown
    }
}
