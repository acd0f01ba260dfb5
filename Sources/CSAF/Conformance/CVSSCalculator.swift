import Foundation
import Synchronization

/// CVSS v2.0 and v3.x vectors read and scored as FIRST's specifications define them: the base, temporal and
/// environmental scores, and the v3 severities. For §6.1.8–6.1.10, which judge a document's CVSS objects against
/// their vectors.
public struct CVSSVectorScores: Sendable, Equatable {
    public enum Version: String, Sendable { case v2 = "2.0", v30 = "3.0", v31 = "3.1" }
    public var version: Version
    /// Metric abbreviation → value abbreviation, as written (`AV` → `N`).
    public var metrics: [String: String]
    public var baseScore: Double
    /// Always for v3; for v2 nil when the vector has no temporal metric (or only `ND`).
    public var temporalScore: Double?
    public var environmentalScore: Double?

    /// Parses and scores a vector; nil when it is not a valid vector of its version (unknown or repeated metrics,
    /// values out of range, a base metric missing).
    public init?(_ vector: String) {
        if vector.hasPrefix("CVSS:3.0/") || vector.hasPrefix("CVSS:3.1/") {
            version = vector.hasPrefix("CVSS:3.0/") ? .v30 : .v31
            guard let metrics = Self.metrics(vector.dropFirst(9), allowed: Self.v3Values, required: Self.v3Base) else { return nil }
            self.metrics = metrics
            (baseScore, temporalScore, environmentalScore) = Self.scoreV3(metrics, version: version)
        } else {
            version = .v2
            guard let metrics = Self.metrics(Substring(vector), allowed: Self.v2Values, required: Self.v2Base) else { return nil }
            self.metrics = metrics
            (baseScore, temporalScore, environmentalScore) = Self.scoreV2(metrics)
        }
    }

    /// `init(_:)` through a memo shared by every thread: documents repeat their vectors (CISA's 2,383 documents have
    /// 1,265 distinct ones among 7,929), and parsing each anew was 2.7 % of an import's CPU at 100,000 documents. Bounded: emptied when it
    /// reaches `memoLimit` vectors; vectors longer than 300 bytes are parsed without it.
    public static func parsed(_ vector: String) -> CVSSVectorScores? {
        guard vector.utf8.count <= 300 else { return CVSSVectorScores(vector) }
        if let known = memo.withLock({ $0[vector] }) { return known }
        let scores = CVSSVectorScores(vector)
        memo.withLock { memo in
            if memo.count >= memoLimit { memo.removeAll(keepingCapacity: true) }
            memo[vector] = .some(scores)
        }
        return scores
    }

    static let memoLimit = 4_096
    private static let memo = Mutex<[String: CVSSVectorScores?]>([:])

    /// `NONE`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL` for a v3 score.
    public static func severity(_ score: Double) -> String {
        switch score {
        case ..<0.05: "NONE"
        case ..<3.95: "LOW"
        case ..<6.95: "MEDIUM"
        case ..<8.95: "HIGH"
        default: "CRITICAL"
        }
    }

    static func metrics(_ text: Substring, allowed: [String: [String: Double]], required: [String]) -> [String: String]? {
        var metrics: [String: String] = [:]
        for part in text.split(separator: "/", omittingEmptySubsequences: false) {
            let pair = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pair.count == 2, let values = allowed[String(pair[0])], values[String(pair[1])] != nil, metrics[String(pair[0])] == nil else { return nil }
            metrics[String(pair[0])] = String(pair[1])
        }
        return required.allSatisfy { metrics[$0] != nil } ? metrics : nil
    }

    // MARK: v3

    static let v3Base = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"]
    static let impact: [String: Double] = ["H": 0.56, "L": 0.22, "N": 0]
    static let requirement: [String: Double] = ["X": 1, "H": 1.5, "M": 1, "L": 0.5]
    static let v3Values: [String: [String: Double]] = {
        let av: [String: Double] = ["N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2]
        let ac: [String: Double] = ["L": 0.77, "H": 0.44]
        let pr: [String: Double] = ["N": 0.85, "L": 0.62, "H": 0.27]
        let ui: [String: Double] = ["N": 0.85, "R": 0.62]
        let s: [String: Double] = ["U": 0, "C": 1]
        func modified(_ values: [String: Double]) -> [String: Double] { values.merging(["X": -1]) { a, _ in a } }
        return ["AV": av, "AC": ac, "PR": pr, "UI": ui, "S": s, "C": impact, "I": impact, "A": impact,
                "E": ["X": 1, "H": 1, "F": 0.97, "P": 0.94, "U": 0.91], "RL": ["X": 1, "U": 1, "W": 0.97, "T": 0.96, "O": 0.95],
                "RC": ["X": 1, "C": 1, "R": 0.96, "U": 0.92], "CR": requirement, "IR": requirement, "AR": requirement,
                "MAV": modified(av), "MAC": modified(ac), "MPR": modified(pr), "MUI": modified(ui), "MS": modified(s),
                "MC": modified(impact), "MI": modified(impact), "MA": modified(impact)]
    }()

    static func roundUp(_ value: Double, version: Version) -> Double {
        if version == .v30 { return (value * 10).rounded(.up) / 10 }
        let integer = Int((value * 100_000).rounded())
        return integer % 10_000 == 0 ? Double(integer) / 100_000 : (Double(integer / 10_000) + 1) / 10
    }

    static func scoreV3(_ m: [String: String], version: Version) -> (Double, Double?, Double?) {
        func value(_ metric: String, _ fallback: String? = nil) -> Double {
            var key = m[metric] ?? "X"
            if key == "X", let fallback { key = m[fallback] ?? "X" }
            return v3Values[fallback ?? metric]?[key] ?? 1
        }
        func privileges(_ key: String?, changed: Bool) -> Double {
            switch key {
            case "L": changed ? 0.68 : 0.62
            case "H": changed ? 0.5 : 0.27
            default: 0.85
            }
        }
        let changed = m["S"] == "C"
        let iss = 1 - (1 - value("C")) * (1 - value("I")) * (1 - value("A"))
        let impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss
        let exploitability = 8.22 * value("AV") * value("AC") * privileges(m["PR"], changed: changed) * value("UI")
        let base = impact <= 0 ? 0 : roundUp(min((changed ? 1.08 : 1) * (impact + exploitability), 10), version: version)

        let temporalFactor = value("E") * value("RL") * value("RC")
        // v3 defines the temporal and environmental scores of every vector (`X` counts as its default); in 3.1 the
        // environmental formula differs from the base one for a changed scope, so the two may differ without
        // environmental metrics (9.6 and 9.7 for AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H).
        let temporal = roundUp(base * temporalFactor, version: version)
        let modifiedChanged = (m["MS"].flatMap { $0 == "X" ? nil : $0 } ?? m["S"]) == "C"
        let miss = min(1 - (1 - value("CR") * value("MC", "C")) * (1 - value("IR") * value("MI", "I")) * (1 - value("AR") * value("MA", "A")), 0.915)
        let modifiedImpact: Double
        if modifiedChanged {
            modifiedImpact = version == .v30 ? 7.52 * (miss - 0.029) - 3.25 * pow(miss - 0.02, 15)
                                             : 7.52 * (miss - 0.029) - 3.25 * pow(miss * 0.9731 - 0.02, 13)
        } else {
            modifiedImpact = 6.42 * miss
        }
        let modifiedPrivileges = privileges(m["MPR"].flatMap { $0 == "X" ? nil : $0 } ?? m["PR"], changed: modifiedChanged)
        let modifiedExploitability = 8.22 * value("MAV", "AV") * value("MAC", "AC") * modifiedPrivileges * value("MUI", "UI")
        let environmental = modifiedImpact <= 0 ? 0
            : roundUp(roundUp(min((modifiedChanged ? 1.08 : 1) * (modifiedImpact + modifiedExploitability), 10), version: version) * temporalFactor,
                      version: version)
        return (base, temporal, environmental)
    }

    // MARK: v2

    static let v2Base = ["AV", "AC", "Au", "C", "I", "A"]
    static let v2Impact: [String: Double] = ["N": 0, "P": 0.275, "C": 0.660]
    static let v2Requirement: [String: Double] = ["L": 0.5, "M": 1, "H": 1.51, "ND": 1]
    static let v2Values: [String: [String: Double]] = [
        "AV": ["L": 0.395, "A": 0.646, "N": 1], "AC": ["H": 0.35, "M": 0.61, "L": 0.71], "Au": ["M": 0.45, "S": 0.56, "N": 0.704],
        "C": v2Impact, "I": v2Impact, "A": v2Impact,
        "E": ["U": 0.85, "POC": 0.9, "F": 0.95, "H": 1, "ND": 1], "RL": ["OF": 0.87, "TF": 0.9, "W": 0.95, "U": 1, "ND": 1],
        "RC": ["UC": 0.9, "UR": 0.95, "C": 1, "ND": 1],
        "CDP": ["N": 0, "L": 0.1, "LM": 0.3, "MH": 0.4, "H": 0.5, "ND": 0], "TD": ["N": 0, "L": 0.25, "M": 0.75, "H": 1, "ND": 1],
        "CR": v2Requirement, "IR": v2Requirement, "AR": v2Requirement,
    ]

    /// To one decimal, halves up; a nudge of 1e-9 keeps 9.0 × 0.95 (8.549999…) at 8.6, as FIRST's calculator has it.
    static func round1(_ value: Double) -> Double { (value * 10 + (value < 0 ? -1e-9 : 1e-9)).rounded(.toNearestOrAwayFromZero) / 10 }

    static func scoreV2(_ m: [String: String]) -> (Double, Double?, Double?) {
        func value(_ metric: String) -> Double { v2Values[metric]?[m[metric] ?? "ND"] ?? 1 }
        func base(impact: Double) -> Double {
            let exploitability = 20 * value("AV") * value("AC") * value("Au")
            return round1((0.6 * impact + 0.4 * exploitability - 1.5) * (impact == 0 ? 0 : 1.176))
        }
        let impact = 10.41 * (1 - (1 - value("C")) * (1 - value("I")) * (1 - value("A")))
        let baseScore = base(impact: impact)
        let temporalFactor = value("E") * value("RL") * value("RC")
        let hasTemporal = ["E", "RL", "RC"].contains { (m[$0] ?? "ND") != "ND" }
        let temporal = hasTemporal ? round1(baseScore * temporalFactor) : nil
        guard ["CDP", "TD", "CR", "IR", "AR"].contains(where: { (m[$0] ?? "ND") != "ND" }) else { return (baseScore, temporal, nil) }
        let adjustedImpact = min(10, 10.41 * (1 - (1 - value("C") * value("CR")) * (1 - value("I") * value("IR")) * (1 - value("A") * value("AR"))))
        let adjustedTemporal = round1(base(impact: adjustedImpact) * temporalFactor)
        return (baseScore, temporal, round1((adjustedTemporal + (10 - adjustedTemporal) * value("CDP")) * value("TD")))
    }
}
