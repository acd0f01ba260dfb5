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
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    /// 0 for affected up to 4 for not affected.
    public var rank: Int {
        switch self {
        case .affected: 0
        case .underInvestigation: 1
        case .unknown: 2
        case .fixed: 3
        case .notAffected: 4
        }
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

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank > rhs.rank }

    var rank: Int {
        switch self {
        case .high: 0
        case .medium: 1
        case .low: 2
        }
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

extension Exposure {
    /// An unknown that only says the asset is outside a fixed or not-affected list.
    var isSilentOutsideList: Bool {
        if case let .match(match) = explanation { return status == .unknown && match.verdict.answer == .outside }
        return false
    }
}

/// One asset's exposure to one advisory, with the reason a person can check.
public struct Exposure: Sendable, Equatable, Codable {
    public var assetID: Int64
    public var advisoryID: String
    public var status: ExposureStatus
    public var confidence: MatchConfidence
    /// The advisory's product IDs that led to this status.
    public var productIDs: [String] {
        get { [firstProductID] + moreProductIDs }
        set {
            firstProductID = newValue.first ?? ""
            moreProductIDs = Array(newValue.dropFirst())
        }
    }
    // One product ID without an array: most exposures come from one product, and matching makes many.
    var firstProductID: String
    var moreProductIDs: [String]
    /// What the reason is made of; rendered into words only when read, since matching makes many more than are shown.
    public var explanation: ExposureExplanation

    /// `"Siemens S7-1500 CPU" matches "SIMATIC S7-1500 CPU 1516-3 PN/DP" by model number 6ES7516-3AN02-0AB0; range "< V2.9.2" read as <2.9.2; version V2.8.0 is inside; listed as known affected`
    public var reason: String { explanation.text }

    public init(assetID: Int64, advisoryID: String, status: ExposureStatus, confidence: MatchConfidence,
                reason: String, productIDs: [String]) {
        self.init(assetID: assetID, advisoryID: advisoryID, status: status, confidence: confidence,
                  productIDs: productIDs, explanation: .text(reason))
    }

    init(assetID: Int64, advisoryID: String, status: ExposureStatus, confidence: MatchConfidence, productIDs: [String],
         explanation: ExposureExplanation) {
        self.assetID = assetID
        self.advisoryID = advisoryID
        self.status = status
        self.confidence = confidence
        self.firstProductID = productIDs.first ?? ""
        self.moreProductIDs = Array(productIDs.dropFirst())
        self.explanation = explanation
    }

    init(assetID: Int64, advisoryID: String, status: ExposureStatus, confidence: MatchConfidence, productID: String,
         explanation: ExposureExplanation) {
        self.assetID = assetID
        self.advisoryID = advisoryID
        self.status = status
        self.confidence = confidence
        self.firstProductID = productID
        self.moreProductIDs = []
        self.explanation = explanation
    }

    init(assetID: Int64, advisoryID: String, status: ExposureStatus, confidence: MatchConfidence, firstProductID: String,
         moreProductIDs: [String], explanation: ExposureExplanation) {
        self.assetID = assetID
        self.advisoryID = advisoryID
        self.status = status
        self.confidence = confidence
        self.firstProductID = firstProductID
        self.moreProductIDs = moreProductIDs
        self.explanation = explanation
    }

    enum CodingKeys: String, CodingKey { case assetID, advisoryID, status, confidence, reason, productIDs }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(assetID: try container.decode(Int64.self, forKey: .assetID),
                  advisoryID: try container.decode(String.self, forKey: .advisoryID),
                  status: try container.decode(ExposureStatus.self, forKey: .status),
                  confidence: try container.decode(MatchConfidence.self, forKey: .confidence),
                  reason: try container.decode(String.self, forKey: .reason),
                  productIDs: try container.decode([String].self, forKey: .productIDs))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(assetID, forKey: .assetID)
        try container.encode(advisoryID, forKey: .advisoryID)
        try container.encode(status, forKey: .status)
        try container.encode(confidence, forKey: .confidence)
        try container.encode(reason, forKey: .reason)
        try container.encode(productIDs, forKey: .productIDs)
    }
}

/// The parts of an exposure's reason: stored text, or what the matcher found, rendered on demand.
public enum ExposureExplanation: Sendable, Equatable {
    case text(String)
    case match(MatchExplanation)

    public var text: String {
        switch self {
        case let .text(text): return text
        case let .match(match): return match.text
        }
    }
}

/// What one match consisted of: the asset, the product and how it was recognised, the range's verdict.
public struct MatchExplanation: Sendable, Equatable {
    /// Where the parts are: held here, or (for the many exposures of one advisory against an asset index) numbers
    /// into tables those exposures share, so that making one retains a single object and touches no asset.
    private enum Parts: Sendable {
        case held(asset: ExposureCalculator.CompiledAsset, product: ExposureCalculator.CompiledProduct,
                  kind: ProductMatchKind, verdict: RangeVerdict, status: ExposureStatus)
        case indexed(IndexedMatches, asset: Int32, match: Int32, verdict: Int32)
    }

    private let parts: Parts
    /// Other product entries of the advisory that gave the same status.
    var moreProducts = 0

    init(asset: ExposureCalculator.CompiledAsset, product: ExposureCalculator.CompiledProduct, kind: ProductMatchKind,
         verdict: RangeVerdict, status: ExposureStatus) {
        parts = .held(asset: asset, product: product, kind: kind, verdict: verdict, status: status)
    }

    /// The match `match` of `matches`, for the asset at `asset` in its index, with the verdict `verdict`.
    init(_ matches: IndexedMatches, asset: Int32, match: Int32, verdict: Int32) {
        parts = .indexed(matches, asset: asset, match: match, verdict: verdict)
        moreProducts = Int(matches.moreProducts[Int(match)])
    }

    var asset: ExposureCalculator.CompiledAsset {
        switch parts {
        case let .held(asset, _, _, _, _): asset
        case let .indexed(matches, asset, _, _): matches.assets[Int(asset)]
        }
    }

    var product: ExposureCalculator.CompiledProduct {
        switch parts {
        case let .held(_, product, _, _, _): product
        case let .indexed(matches, _, match, _): matches.products[Int(matches.product[Int(match)])]
        }
    }

    var kind: ProductMatchKind {
        switch parts {
        case let .held(_, _, kind, _, _): kind
        case let .indexed(matches, _, match, _): matches.kind[Int(match)]
        }
    }

    var verdict: RangeVerdict {
        switch parts {
        case let .held(_, _, _, verdict, _): verdict
        case let .indexed(matches, _, _, verdict): matches.verdicts[Int(verdict)]
        }
    }

    var status: ExposureStatus {
        switch parts {
        case let .held(_, _, _, _, status): status
        case let .indexed(matches, _, match, _): matches.status[Int(match)]
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.text == rhs.text }

    var text: String {
        let asset = asset
        let product = product
        let kind = kind
        let verdict = verdict
        let source = product.product
        var text = "\"\(asset.asset.vendor) \(asset.asset.product)\" matches \"\(source.fullName)\" \(kind.phrase)"
        switch kind {
        case .cpe: text += " " + (source.cpe ?? "")
        case .purl: text += " " + (source.purl ?? "")
        case .modelNumber: text += " " + (asset.asset.modelNumber ?? "")
        case .name, .productFamily: break
        }
        text += "; " + product.range.reason(for: verdict)
        if source.version == nil { text += " (the advisory names no version)" }
        text += "; listed as \(source.status.label)"
        if status == .unknown, verdict.answer == .outside { text += ", which does not say whether other versions are affected" }
        if moreProducts > 0 { text += " (and \(moreProducts) more product entries alike)" }
        return text
    }
}

/// What the exposures of one advisory against an asset index share, to render each one's reason when it is read:
/// the index's assets, the advisory's products, the verdicts decided, and per combined match its product (a position
/// in `products`), kind, status and number of other product entries alike.
final class IndexedMatches: Sendable {
    let assets: [ExposureCalculator.CompiledAsset]
    let products: [ExposureCalculator.CompiledProduct]
    let verdicts: [RangeVerdict]
    let product: [Int32]
    let kind: [ProductMatchKind]
    let status: [ExposureStatus]
    let moreProducts: [Int32]

    init(assets: [ExposureCalculator.CompiledAsset], products: [ExposureCalculator.CompiledProduct],
         verdicts: [RangeVerdict], product: [Int32], kind: [ProductMatchKind], status: [ExposureStatus],
         moreProducts: [Int32]) {
        self.assets = assets
        self.products = products
        self.verdicts = verdicts
        self.product = product
        self.kind = kind
        self.status = status
        self.moreProducts = moreProducts
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
