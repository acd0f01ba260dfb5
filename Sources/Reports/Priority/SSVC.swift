/// CISA's Stakeholder-Specific Vulnerability Categorization: the decision points and the decision table.
///
/// Source: CISA, "Stakeholder-Specific Vulnerability Categorization Guide" (November 2022,
/// https://www.cisa.gov/sites/default/files/publications/cisa-ssvc-guide%20508c.pdf): Table 8 (Mission and Well-Being
/// Impact from Mission Prevalence and Public Well-Being Impact) and Figure 1 / Table 9 (the decision tree), as published
/// in machine-readable form by CERT/CC (github.com/CERTCC/SSVC, data/csv/cisa/cisa_coordinator_2_0_3.csv, "CISA Levels
/// v1.1.0"). The two agree row for row.
public enum SSVC {
    /// The present state of exploitation.
    public enum Exploitation: String, Sendable, Codable, CaseIterable { case none, poc, active }

    /// The technical impact of exploiting the vulnerability on the affected component.
    public enum TechnicalImpact: String, Sendable, Codable, CaseIterable { case partial, total }

    /// How much the organisation's mission essential functions rely on the affected system.
    public enum MissionPrevalence: String, Sendable, Codable, CaseIterable { case minimal, support, essential }

    /// A coarse-grained representation of the impact on public well-being (physical, environmental, economic).
    public enum PublicWellBeingImpact: String, Sendable, Codable, CaseIterable { case minimal, material, irreversible }

    /// Mission Prevalence and Public Well-Being Impact combined (guide, Table 8).
    public enum MissionAndWellBeing: String, Sendable, Codable, CaseIterable {
        case low, medium, high

        public init(prevalence: MissionPrevalence, wellBeing: PublicWellBeingImpact) {
            switch (prevalence, wellBeing) {
            case (.essential, _), (_, .irreversible): self = .high
            case (.minimal, .minimal): self = .low
            default: self = .medium
            }
        }
    }

    /// The four outcomes, least urgent first.
    public enum Decision: Int, Sendable, Codable, CaseIterable, Comparable {
        /// Remediate within standard update timelines.
        case track
        /// Track, with characteristics that deserve closer monitoring.
        case trackStar
        /// Supervisors attend to it; remediate sooner than standard timelines.
        case attend
        /// Leadership acts on it; remediate as soon as possible.
        case act

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

        /// `Track`, `Track*`, `Attend`, `Act`, as CISA spells them.
        public var label: String {
            switch self {
            case .track: "Track"
            case .trackStar: "Track*"
            case .attend: "Attend"
            case .act: "Act"
            }
        }
    }

    /// The decision for one combination of decision points (guide, Figure 1; CERT/CC rows 0–35).
    public static func decide(exploitation: Exploitation, automatable: Bool, technicalImpact: TechnicalImpact,
                              missionAndWellBeing: MissionAndWellBeing) -> Decision {
        let total = technicalImpact == .total
        switch (exploitation, automatable, missionAndWellBeing) {
        case (_, _, .low):
            // Rows 0, 3, 6, 9, 12, 15, 18, 21, 24, 27: Track; rows 30, 33: active and automatable is Attend.
            return exploitation == .active && automatable ? .attend : .track
        case (.none, false, .medium): return .track                                 // rows 1, 4
        case (.none, false, .high): return total ? .trackStar : .track              // rows 2, 5
        case (.none, true, .medium): return .track                                  // rows 7, 10
        case (.none, true, .high): return .attend                                   // rows 8, 11
        case (.poc, false, .medium): return total ? .trackStar : .track             // rows 13, 16
        case (.poc, false, .high): return total ? .attend : .trackStar              // rows 14, 17
        case (.poc, true, .medium): return total ? .trackStar : .track              // rows 19, 22
        case (.poc, true, .high): return .attend                                    // rows 20, 23
        case (.active, false, .medium): return total ? .attend : .track             // rows 25, 28
        case (.active, false, .high): return total ? .act : .attend                 // rows 26, 29
        case (.active, true, .medium): return total ? .act : .attend                // rows 31, 34
        case (.active, true, .high): return .act                                    // rows 32, 35
        }
    }

    /// The decision points of one exposure and the decision they lead to.
    public struct Assessment: Sendable, Equatable, Codable {
        public var exploitation: Exploitation
        public var automatable: Bool
        public var technicalImpact: TechnicalImpact
        public var missionPrevalence: MissionPrevalence
        public var publicWellBeing: PublicWellBeingImpact
        public var missionAndWellBeing: MissionAndWellBeing
        public var decision: Decision

        public init(exploitation: Exploitation, automatable: Bool, technicalImpact: TechnicalImpact,
                    missionPrevalence: MissionPrevalence, publicWellBeing: PublicWellBeingImpact) {
            self.exploitation = exploitation
            self.automatable = automatable
            self.technicalImpact = technicalImpact
            self.missionPrevalence = missionPrevalence
            self.publicWellBeing = publicWellBeing
            self.missionAndWellBeing = MissionAndWellBeing(prevalence: missionPrevalence, wellBeing: publicWellBeing)
            self.decision = SSVC.decide(exploitation: exploitation, automatable: automatable,
                                        technicalImpact: technicalImpact, missionAndWellBeing: missionAndWellBeing)
        }
    }
}
