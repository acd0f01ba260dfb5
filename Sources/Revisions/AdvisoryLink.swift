import Foundation

/// Another publisher's advisory that describes the same vulnerabilities as this one: a vendor's own advisory
/// (Siemens' `SSA-…`, Festo's `FSA-…`) and a coordinator's republication of it (CISA's `ICSA-…`), seen from either side.
///
/// Links are symmetric: when A links to B, B links to A with the same reason, strength and shared CVEs (and the
/// reference direction turned round). `AdvisoryLinker` documents the rules. JSON keys are the property names
/// (`id`, `publisher`, `reason`, `strength`, `sharedCVEs`, `initialReleaseDate`, `reference`).
public struct AdvisoryLink: Sendable, Equatable, Hashable, Codable {
    /// The other advisory's ID (`ICSA-24-046-15`, `SSA-116924`).
    public var id: String
    /// The other advisory's publisher, as its document names it (`CISA`, `Siemens ProductCERT`).
    public var publisher: String
    /// Why the two are linked; the strongest reason that holds.
    public var reason: Reason
    /// How sure the link is.
    public var strength: Strength
    /// The CVEs both advisories list, sorted. Empty only for a reference link between advisories without common CVEs.
    public var sharedCVEs: [String]
    /// The other advisory's initial release date, so a caller can say which came first and by how long.
    public var initialReleaseDate: Date?
    /// For a `reference` link, which of the two names the other; nil for the other reasons.
    public var reference: ReferenceDirection?

    /// A link to the advisory `id`.
    public init(id: String, publisher: String, reason: Reason, strength: Strength, sharedCVEs: [String],
                initialReleaseDate: Date?, reference: ReferenceDirection? = nil) {
        self.id = id
        self.publisher = publisher
        self.reason = reason
        self.strength = strength
        self.sharedCVEs = sharedCVEs
        self.initialReleaseDate = initialReleaseDate
        self.reference = reference
    }

    /// Why two advisories are linked, strongest first.
    public enum Reason: String, Sendable, Codable, CaseIterable, Comparable {
        /// One advisory's references name the other: a URL whose document name is the other's ID or one of its
        /// aliases (`https://cert-portal.siemens.com/productcert/csaf/ssa-116924.json` names `SSA-116924`).
        case reference
        /// Both list the same, non-empty set of CVEs and their products come from the same vendor.
        case sameCVEs
        /// They share some CVEs, not all, and their products come from the same vendor.
        case overlappingCVEs

        var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Reason, rhs: Reason) -> Bool { lhs.rank < rhs.rank }
    }

    /// How sure a link is: `strong` for a reference or the same CVE set; `medium` when the shared CVEs make up at
    /// least half of all the CVEs the two list (one revised to add a few); `weak` for a smaller overlap (a component's
    /// CVEs that a vendor lists in several advisories, more often related than a republication).
    public enum Strength: String, Sendable, Codable, CaseIterable, Comparable {
        case strong, medium, weak

        var rank: Int { Self.allCases.firstIndex(of: self)! }
        /// Stronger first: `strong < medium`.
        public static func < (lhs: Strength, rhs: Strength) -> Bool { lhs.rank < rhs.rank }
    }

    /// Which side of a reference link names the other, seen from the advisory whose link this is.
    public enum ReferenceDirection: String, Sendable, Codable {
        /// This advisory's references name the other (CISA's republication naming the SSA it republishes).
        case namesOther
        /// The other advisory's references name this one.
        case namedByOther
        /// Each names the other.
        case both

        /// The same reference seen from the other side.
        public var reversed: ReferenceDirection {
            switch self {
            case .namesOther: .namedByOther
            case .namedByOther: .namesOther
            case .both: .both
            }
        }
    }
}

/// A link that appeared, changed or went away when `AdvisoryLinker` was given or lost an advisory. Seen from that
/// advisory (`advisoryID`); the other side's link (`links(for: link.id)`) changed the same way.
public struct AdvisoryLinkChange: Sendable, Equatable, Hashable {
    /// What happened to the link.
    public enum Kind: String, Sendable, Codable {
        case added, changed, removed
    }

    /// Whether the link appeared, changed or went away.
    public var kind: Kind
    /// The advisory just added or removed.
    public var advisoryID: String
    /// The link as it is now (`added`, `changed`) or as it was (`removed`).
    public var link: AdvisoryLink

    /// A change to `link`, seen from `advisoryID`.
    public init(kind: Kind, advisoryID: String, link: AdvisoryLink) {
        self.kind = kind
        self.advisoryID = advisoryID
        self.link = link
    }
}
