import CSAF
import Versions

/// What an advisory means for one asset.
public enum ExposureStatus: String, Sendable, Codable, CaseIterable, Comparable {
    /// The asset runs a version the advisory lists as affected.
    case affected
    /// The vendor is still investigating the product the asset runs.
    case underInvestigation = "under_investigation"
    /// The asset matches a listed product but Vigil cannot decide (unreadable range, unknown version).
    case unknown
    /// The asset already runs a fixed version.
    case fixed
    /// The asset runs a version outside the affected range, or one the vendor lists as not affected.
    case notAffected = "not_affected"

    /// Worst first: the order exposures are listed and combined in.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public var label: String {
        switch self {
        case .affected: "affected"
        case .underInvestigation: "under investigation"
        case .unknown: "unknown"
        case .fixed: "fixed"
        case .notAffected: "not affected"
        }
    }
}

/// How sure a match is: the weaker of how the product was recognised and how the version range was read.
public enum MatchConfidence: String, Sendable, Codable, CaseIterable, Comparable {
    case high, medium, low

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! > allCases.firstIndex(of: rhs)!
    }

    init(_ range: VendorRange.Confidence) {
        switch range {
        case .exact: self = .high
        case .lenient: self = .medium
        case .unreadable: self = .low
        }
    }
}

/// How an asset was recognised as a product of an advisory.
public enum ProductMatchKind: String, Sendable, Codable {
    case cpe, purl, modelNumber = "model_number", name, productFamily = "product_family"

    var confidence: MatchConfidence {
        switch self {
        case .cpe, .purl, .modelNumber, .name: .high
        case .productFamily: .medium
        }
    }

    var phrase: String {
        switch self {
        case .cpe: "by CPE"
        case .purl: "by package URL"
        case .modelNumber: "by model number"
        case .name: "by name"
        case .productFamily: "by product family name"
        }
    }
}

/// One asset's exposure to one advisory, with the reason a person can check.
public struct Exposure: Sendable, Equatable, Codable {
    public var assetID: Int64
    public var advisoryID: String
    public var status: ExposureStatus
    public var confidence: MatchConfidence
    /// `"S7-1500 CPU" matches "SIMATIC S7-1500 CPU 1516-3 PN/DP" by model number 6ES7516-3AN02-0AB0; range "< V2.9.2" read as <2.9.2; version V2.8.0 is inside`
    public var reason: String
    /// The advisory's product IDs that led to this status.
    public var productIDs: [String]

    public init(assetID: Int64, advisoryID: String, status: ExposureStatus, confidence: MatchConfidence,
                reason: String, productIDs: [String]) {
        self.assetID = assetID
        self.advisoryID = advisoryID
        self.status = status
        self.confidence = confidence
        self.reason = reason
        self.productIDs = productIDs
    }
}

/// An asset with the identifier it is stored under.
public struct MatchAsset: Sendable {
    public var id: Int64
    public var asset: AssetDraft

    public init(id: Int64, asset: AssetDraft) {
        self.id = id
        self.asset = asset
    }
}

/// An advisory's products as matching needs them.
public struct MatchAdvisory: Sendable {
    public var id: String
    public var products: [AffectedProduct]

    public init(id: String, products: [AffectedProduct]) {
        self.id = id
        self.products = products
    }
}
