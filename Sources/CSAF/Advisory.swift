import Foundation

/// An advisory as Vigil shows and queries it: the facts a reader needs, distilled from one CSAF document.
public struct Advisory: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public var publisher: PublisherInfo
    public var category: String
    public var initialReleaseDate: Date?
    public var currentReleaseDate: Date?
    public var version: String
    public var status: String
    public var tlp: String?
    public var aggregateSeverity: String?
    /// The highest CVSS base score in the document (v3 preferred over v2), with the vector it came from.
    public var highestScore: CVSSScore?
    public var riskSummary: String?
    public var vulnerabilities: [AdvisoryVulnerability]
    public var remediations: [AdvisoryRemediation]
    public var vendors: [String]
    public var products: [AffectedProduct]
    public var sectors: [String]
    public var countries: [String]
    public var headquarters: String?
    /// The human-readable page of the advisory at its publisher (a `self` reference that is not JSON).
    public var sourceURL: String?
    /// The document's own JSON location, when the publisher gives it.
    public var documentURL: String?
    public var acknowledgments: [AdvisoryAcknowledgment]
    public var references: [AdvisoryReference]
    public var revisions: [AdvisoryRevision]
    public var aliases: [String]
    public var notes: [AdvisoryNote]

    public var cves: [String] { vulnerabilities.compactMap(\.cve) }
    public var severity: Severity { highestScore?.severity ?? .none }
}

/// Who published the advisory.
public struct PublisherInfo: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var category: String
    public var namespace: String
}

/// CVSS qualitative severity, as CVSS v3 defines the bands.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case none, low, medium, high, critical

    /// The band a base score falls into (CVSS v3.x specification, table 14).
    public init(score: Double) {
        switch score {
        case 9.0...: self = .critical
        case 7.0..<9.0: self = .high
        case 4.0..<7.0: self = .medium
        case 0.1..<4.0: self = .low
        default: self = .none
        }
    }

    public var rank: Int { Severity.allCases.firstIndex(of: self)! }
    public var label: String { rawValue.uppercased() }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One CVSS score with its vector.
public struct CVSSScore: Codable, Sendable, Equatable {
    public var score: Double
    public var severity: Severity
    public var vector: String
    /// `2.0`, `3.0` or `3.1`.
    public var version: String
}

/// A vulnerability as the advisory page lists it.
public struct AdvisoryVulnerability: Codable, Sendable, Equatable {
    public var cve: String?
    public var title: String?
    public var cweID: String?
    public var cweName: String?
    public var score: CVSSScore?
    public var summary: String?
    public var ids: [String]
}

/// A remediation with the products it applies to, resolved to readable names.
public struct AdvisoryRemediation: Codable, Sendable, Equatable {
    public var category: String
    public var details: String
    public var url: String?
    public var date: String?
    public var productIDs: [String]
    public var products: [String]
    public var cves: [String]

    public init(category: String, details: String, url: String?, date: String?, productIDs: [String], products: [String],
                cves: [String]) {
        self.category = category
        self.details = details
        self.url = url
        self.date = date
        self.productIDs = productIDs
        self.products = products
        self.cves = cves
    }
}

/// The status of a product for the advisory, most urgent first.
public enum ProductStatusKind: String, Codable, Sendable, CaseIterable {
    case knownAffected = "known_affected"
    case underInvestigation = "under_investigation"
    case fixed
    case knownNotAffected = "known_not_affected"
    case recommended
    case unlisted

    public var label: String {
        switch self {
        case .knownAffected: "known affected"
        case .underInvestigation: "under investigation"
        case .fixed: "fixed"
        case .knownNotAffected: "known not affected"
        case .recommended: "recommended"
        case .unlisted: "no status given"
        }
    }
}

/// A product named in the product tree: vendor, product, and the version or range text exactly as published.
public struct AffectedProduct: Codable, Sendable, Equatable {
    public var productID: String
    public var vendor: String
    public var product: String
    /// The version or range as the vendor wrote it (`vers:all/*`, `< V2.14.1`), or nil when the tree names none.
    public var version: String?
    /// The full product name from the tree (`MULTIPROG: All versions`).
    public var fullName: String
    public var status: ProductStatusKind
    public var cpe: String?
    public var purl: String?
    public var modelNumbers: [String]

    public init(productID: String, vendor: String, product: String, version: String?, fullName: String,
                status: ProductStatusKind, cpe: String? = nil, purl: String? = nil, modelNumbers: [String] = []) {
        self.productID = productID
        self.vendor = vendor
        self.product = product
        self.version = version
        self.fullName = fullName
        self.status = status
        self.cpe = cpe
        self.purl = purl
        self.modelNumbers = modelNumbers
    }
}

/// An acknowledgment line.
public struct AdvisoryAcknowledgment: Codable, Sendable, Equatable {
    public var names: [String]
    public var organization: String?
    public var summary: String?
    public var urls: [String]
}

/// A reference link.
public struct AdvisoryReference: Codable, Sendable, Equatable {
    public var category: String
    public var summary: String
    public var url: String
}

/// One revision history entry.
public struct AdvisoryRevision: Codable, Sendable, Equatable {
    public var number: String
    public var date: Date?
    public var summary: String
}

/// A document note kept for the page (general notes, recommended practices, legal text).
public struct AdvisoryNote: Codable, Sendable, Equatable {
    public var category: String
    public var title: String?
    public var text: String
}
