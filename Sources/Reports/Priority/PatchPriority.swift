import Foundation
import Matching

/// One open exposure of an organisation, with the facts the patch order is decided on.
public struct PatchCandidate: Sendable, Equatable {
    public var assetID: Int64
    public var assetName: String
    public var site: String?
    /// The inventory's criticality; nil when the inventory does not say (then assumed medium, and reported missing).
    public var criticality: AssetCriticality?
    public var advisoryID: String
    public var cves: [String]
    /// Whether any of the CVEs is in CISA's Known Exploited Vulnerabilities catalog.
    public var kevListed: Bool
    /// Whether a public proof of concept is known (SSVC exploitation `poc`); nil when nobody said.
    public var publicProofOfConcept: Bool?
    /// The highest CVSS base score of the advisory's vulnerabilities.
    public var cvssScore: Double?
    /// The vector of that score (CVSS 3.x or 4.0).
    public var cvssVector: String?
    public var status: ExposureStatus
    public var confidence: MatchConfidence
    /// When Vigil first saw the asset exposed.
    public var firstSeen: Date

    public init(assetID: Int64, assetName: String, site: String? = nil, criticality: AssetCriticality? = nil,
                advisoryID: String, cves: [String] = [], kevListed: Bool = false, publicProofOfConcept: Bool? = nil,
                cvssScore: Double? = nil, cvssVector: String? = nil, status: ExposureStatus = .affected,
                confidence: MatchConfidence = .high, firstSeen: Date) {
        self.assetID = assetID
        self.assetName = assetName
        self.site = site
        self.criticality = criticality
        self.advisoryID = advisoryID
        self.cves = cves
        self.kevListed = kevListed
        self.publicProofOfConcept = publicProofOfConcept
        self.cvssScore = cvssScore
        self.cvssVector = cvssVector
        self.status = status
        self.confidence = confidence
        self.firstSeen = firstSeen
    }
}

/// One place in the patch order, with why it sits there and what the decision had to assume.
public struct PatchPriorityItem: Sendable, Equatable {
    /// 1 for the exposure to patch first.
    public var rank: Int
    public var candidate: PatchCandidate
    public var ssvc: SSVC.Assessment
    /// Whole days since the exposure was first seen.
    public var daysOpen: Int
    /// Plain sentences, most important first: the SSVC decision, then each fact the order looked at.
    public var reasons: [String]
    /// Inputs the data did not provide, each with the value assumed in its place.
    public var missingInputs: [String]
}

/// What to patch first: an organisation's open exposures in the order a plant engineer can act on (issue 17).
///
/// Each exposure gets a CISA SSVC decision (see `SSVC`) from the facts at hand:
/// - Exploitation: `active` when KEV-listed, else `poc` when a public proof of concept is known, else `none`
///   (reported missing when nobody said whether a proof of concept exists).
/// - Automatable: `yes` when the CVSS vector says network attack vector, low complexity, no privileges and no user
///   interaction (and, in 4.0, no attack requirements); no vector → assumed `yes`, reported missing.
/// - Technical impact: from the vector (`CVSSVector`); no vector → assumed `total`, reported missing. Both assumptions
///   are the cautious ones, so a missing vector never moves an exposure down.
/// - Mission prevalence / public well-being from the asset's criticality: critical → essential / irreversible,
///   high → essential / material, medium → support / material, low → minimal / minimal; none → assumed medium.
///
/// Order: SSVC decision (Act, Attend, Track*, Track), then KEV-listed first, then CVSS base score (highest first,
/// unscored last), then criticality (highest first, missing as medium), then age (oldest first), then advisory ID and
/// asset ID. Exposures that are `fixed` or `notAffected` need no patch: they are left out of `items` and counted in
/// `closed`. Pure: `now` is passed in.
public struct PatchPriority: Sendable, Equatable {
    /// The open exposures, first to patch first.
    public var items: [PatchPriorityItem]
    /// The candidates left out because they are fixed or not affected, in their input order.
    public var closed: [PatchCandidate]

    public init(candidates: [PatchCandidate], now: Date) {
        var open: [PatchPriorityItem] = []
        var closed: [PatchCandidate] = []
        for candidate in candidates {
            if candidate.status == .fixed || candidate.status == .notAffected {
                closed.append(candidate)
            } else {
                open.append(Self.assess(candidate, now: now))
            }
        }
        open.sort(by: Self.precedes)
        for index in open.indices { open[index].rank = index + 1 }
        self.items = open
        self.closed = closed
    }

    /// Whether `a` is to be patched before `b`.
    static func precedes(_ a: PatchPriorityItem, _ b: PatchPriorityItem) -> Bool {
        if a.ssvc.decision != b.ssvc.decision { return a.ssvc.decision > b.ssvc.decision }
        if a.candidate.kevListed != b.candidate.kevListed { return a.candidate.kevListed }
        let scoreA = a.candidate.cvssScore.flatMap { $0.isFinite ? $0 : nil } ?? -1
        let scoreB = b.candidate.cvssScore.flatMap { $0.isFinite ? $0 : nil } ?? -1
        if scoreA != scoreB { return scoreA > scoreB }
        let criticalityA = a.candidate.criticality ?? .medium, criticalityB = b.candidate.criticality ?? .medium
        if criticalityA != criticalityB { return criticalityA > criticalityB }
        if a.candidate.firstSeen != b.candidate.firstSeen { return a.candidate.firstSeen < b.candidate.firstSeen }
        if a.candidate.advisoryID != b.candidate.advisoryID { return a.candidate.advisoryID < b.candidate.advisoryID }
        return a.candidate.assetID < b.candidate.assetID
    }

    static func assess(_ candidate: PatchCandidate, now: Date) -> PatchPriorityItem {
        var reasons: [String] = []
        var missing: [String] = []

        let exploitation: SSVC.Exploitation
        if candidate.kevListed {
            exploitation = .active
            reasons.append("listed in CISA KEV (exploitation: active)")
        } else if candidate.publicProofOfConcept == true {
            exploitation = .poc
            reasons.append("public proof of concept known (exploitation: poc)")
        } else {
            exploitation = .none
            reasons.append("not listed in CISA KEV (exploitation: none)")
            if candidate.publicProofOfConcept == nil {
                missing.append("no proof-of-concept information: exploitation taken as none, since not in CISA KEV")
            }
        }

        let automatable: Bool
        let technicalImpact: SSVC.TechnicalImpact
        let vector = candidate.cvssVector.flatMap(CVSSVector.init)
        if let vector {
            let barriers = vector.automationBarriers
            automatable = barriers.isEmpty
            reasons.append(automatable
                ? "network-reachable without privileges or user interaction (automatable: yes)"
                : "not reliably automatable: \(Self.list(barriers)) (automatable: no)")
            technicalImpact = vector.technicalImpactIsTotal ? .total : .partial
            reasons.append("confidentiality impact \(Self.level(vector.confidentiality)), integrity impact "
                + "\(Self.level(vector.integrity)) (technical impact: \(technicalImpact.rawValue))")
        } else {
            automatable = true
            technicalImpact = .total
            if let text = candidate.cvssVector, !text.trimmingCharacters(in: .whitespaces).isEmpty {
                missing.append("CVSS vector \"\(text)\" unreadable: automatable assumed yes and technical impact "
                    + "assumed total")
            } else {
                missing.append("no CVSS vector: automatable assumed yes and technical impact assumed total")
            }
        }

        if let score = candidate.cvssScore, score.isFinite {
            reasons.append("CVSS \(Self.scoreText(score))")
        } else {
            missing.append("no CVSS base score: ordered after scored exposures with the same decision")
        }

        let prevalence: SSVC.MissionPrevalence
        let wellBeing: SSVC.PublicWellBeingImpact
        switch candidate.criticality ?? .medium {
        case .critical: (prevalence, wellBeing) = (.essential, .irreversible)
        case .high: (prevalence, wellBeing) = (.essential, .material)
        case .medium: (prevalence, wellBeing) = (.support, .material)
        case .low: (prevalence, wellBeing) = (.minimal, .minimal)
        }
        if let criticality = candidate.criticality {
            reasons.append("asset criticality \(criticality.rawValue) (mission prevalence: \(prevalence.rawValue), "
                + "public well-being: \(wellBeing.rawValue))")
        } else {
            missing.append("no asset criticality: assumed medium (mission prevalence: support, public well-being: "
                + "material)")
        }

        let days = max(0, Int((now.timeIntervalSince(candidate.firstSeen) / 86_400).rounded(.down)))
        reasons.append(days == 0 ? "open less than a day" : days == 1 ? "open 1 day" : "open \(days) days")
        if candidate.status != .affected || candidate.confidence != .high {
            reasons.append("status \(candidate.status.label), match confidence \(candidate.confidence.rawValue)")
        }

        let ssvc = SSVC.Assessment(exploitation: exploitation, automatable: automatable,
                                   technicalImpact: technicalImpact, missionPrevalence: prevalence,
                                   publicWellBeing: wellBeing)
        reasons.insert("SSVC \(ssvc.decision.label): exploitation \(exploitation.rawValue), automatable "
            + "\(automatable ? "yes" : "no"), technical impact \(technicalImpact.rawValue), mission and well-being "
            + "\(ssvc.missionAndWellBeing.rawValue)", at: 0)
        return PatchPriorityItem(rank: 0, candidate: candidate, ssvc: ssvc, daysOpen: days, reasons: reasons,
                                 missingInputs: missing)
    }

    static func level(_ value: String) -> String {
        switch value {
        case "H": "high"
        case "L": "low"
        case "N": "none"
        default: "unknown"
        }
    }

    /// `9.8`, `10.0`: one decimal, as CVSS writes scores.
    static func scoreText(_ score: Double) -> String {
        let tenths = Int((score * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    static func list(_ words: [String]) -> String {
        switch words.count {
        case 0: ""
        case 1: words[0]
        default: words.dropLast().joined(separator: ", ") + " and " + words.last!
        }
    }
}
