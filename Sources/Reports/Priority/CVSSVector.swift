import Foundation

/// The metrics of a CVSS 3.x or 4.0 vector string, read only as far as SSVC needs them.
///
/// Accepts `CVSS:3.0/…`, `CVSS:3.1/…`, `CVSS:4.0/…` and a bare `AV:N/AC:L/…` (read as 3.x unless it carries the 4.0
/// metric `AT`). Anything else (CVSS 2.0 vectors, text without the base metrics) is unreadable: `init` returns nil.
public struct CVSSVector: Sendable, Equatable {
    /// `3.0`, `3.1` or `4.0`; `3.x` for a bare vector without a prefix.
    public var version: String
    /// Metric abbreviation → value, as written (`AV` → `N`).
    public var metrics: [String: String]

    public init?(_ text: String) {
        var parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/").map(String.init)
        var version = "3.x"
        if let first = parts.first, first.hasPrefix("CVSS:") {
            version = String(first.dropFirst(5))
            parts.removeFirst()
            guard ["3.0", "3.1", "4.0"].contains(version) else { return nil }
        }
        var metrics: [String: String] = [:]
        for part in parts {
            let pair = part.split(separator: ":", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else { return nil }
            metrics[pair[0]] = pair[1]
        }
        if version == "3.x", metrics["AT"] != nil || metrics["VC"] != nil { version = "4.0" }
        let required = version == "4.0" ? ["AV", "AC", "AT", "PR", "UI", "VC", "VI"] : ["AV", "AC", "PR", "UI", "C", "I"]
        guard required.allSatisfy({ metrics[$0] != nil }) else { return nil }
        self.version = version
        self.metrics = metrics
    }

    var isVersion4: Bool { version == "4.0" }
    /// Confidentiality impact on the vulnerable component (`C` in 3.x, `VC` in 4.0).
    var confidentiality: String { metrics[isVersion4 ? "VC" : "C"] ?? "N" }
    /// Integrity impact on the vulnerable component (`I` in 3.x, `VI` in 4.0).
    var integrity: String { metrics[isVersion4 ? "VI" : "I"] ?? "N" }

    /// What stands between an attacker and automated exploitation, in words; empty when nothing does.
    var automationBarriers: [String] {
        var barriers: [String] = []
        switch metrics["AV"] {
        case "N": break
        case "A": barriers.append("needs adjacent network access")
        case "L": barriers.append("needs local access")
        case "P": barriers.append("needs physical access")
        default: barriers.append("unknown attack vector")
        }
        if metrics["AC"] != "L" { barriers.append("high attack complexity") }
        if isVersion4, metrics["AT"] != "N" { barriers.append("has attack requirements") }
        switch metrics["PR"] {
        case "N": break
        case "L": barriers.append("needs low privileges")
        default: barriers.append("needs high privileges")
        }
        if metrics["UI"] != "N" { barriers.append("needs user interaction") }
        return barriers
    }

    /// Whether exploiting the vulnerability gives total control or disclosure of the vulnerable component.
    ///
    /// CERT/CC's SSVC mapping "CVSS v4 to Technical Impact" v1.0.0
    /// (github.com/CERTCC/SSVC, data/csv/ssvc/cvssv4_to_technical_impact_1_0_0.csv): total when confidentiality and
    /// integrity impact are both high, or when no privileges are needed and one is high and the other at least low.
    /// Applied to 3.x with `C`/`I`; for 3.x a changed scope (`S:C`) with high confidentiality or integrity impact also
    /// counts as total, since the attacker reaches beyond the component.
    var technicalImpactIsTotal: Bool {
        let c = confidentiality, i = integrity
        if c == "H" && i == "H" { return true }
        if metrics["PR"] == "N", (c == "H" && i != "N") || (i == "H" && c != "N") { return true }
        if !isVersion4, metrics["S"] == "C", c == "H" || i == "H" { return true }
        return false
    }
}
