import CSAF

/// Whether a new revision of an advisory changes what matters to the people watching it. Cosmetic revisions (typo
/// fixes, reworded notes, new acknowledgments, moved references) alert nobody.
public enum AdvisoryChange {
    /// What changed that matters, in words; empty when nothing did. A first revision (no `previous`) is new.
    public static func materialChanges(from previous: Advisory?, to current: Advisory) -> [String] {
        guard let previous else { return ["new advisory"] }
        var changes: [String] = []
        let oldProducts = Set(previous.products.map(ProductKey.init))
        let newProducts = current.products.map(ProductKey.init).filter { !oldProducts.contains($0) }
        if !newProducts.isEmpty {
            changes.append("\(newProducts.count) product entr\(newProducts.count == 1 ? "y" : "ies") added or changed")
        }
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

    /// Whether an alert's changes say a CVE was newly listed as known exploited.
    public static func isKnownExploitedNews(_ changes: [String]) -> Bool {
        changes.contains { $0.hasSuffix(" added to " + knownExploitedCatalogue) }
    }

    /// A product entry as it matters for exposure: who, what, which versions, which status.
    struct ProductKey: Hashable {
        var vendor: String
        var product: String
        var version: String?
        var status: ProductStatusKind

        init(_ product: AffectedProduct) {
            vendor = product.vendor
            self.product = product.product
            version = product.version
            status = product.status
        }
    }
}
