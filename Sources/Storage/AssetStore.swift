import CSAF
import Foundation
import Matching

/// Storage of organisations' asset inventories and the exposures derived from them. Every read and write names the
/// organisation, so one organisation's assets and exposures are never returned for another.
public protocol AssetStore: Sendable {
    /// The organisation of that name (case-insensitive); created when `create` is set and it does not exist.
    func organisation(named name: String, create: Bool) async throws -> Organisation?
    func organisations() async throws -> [Organisation]
    /// Adds or updates assets (matched by the inventory's asset id, else by vendor, product, model, serial, site and
    /// area); with `replace`, assets not in `drafts` are removed. All or nothing, and the organisation's exposures are
    /// recomputed in the same transaction.
    func importAssets(_ drafts: [AssetDraft], organisationID: Int64, replace: Bool) async throws -> AssetImportSummary
    func assets(organisationID: Int64) async throws -> [StoredAsset]
    /// Exposures of the organisation's assets, worst and newest first, optionally for one advisory or one asset, and
    /// without `not affected` ones unless asked.
    func exposures(organisationID: Int64, filter: ExposureFilter) async throws -> [ExposureRow]
    /// Recomputes every organisation's exposures from scratch (after an alias change or an upgrade of the matcher).
    func recomputeExposures() async throws -> Int
    /// Editable vendor aliases: a spelling → the canonical vendor name.
    func vendorAliases() async throws -> [String: String]
    func setVendorAlias(_ alias: String, canonical: String?) async throws
}

/// An organisation: the unit that owns assets, watchlists and alerts.
public struct Organisation: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String

    public init(id: Int64, name: String) {
        self.id = id
        self.name = name
    }
}

/// An asset as stored.
public struct StoredAsset: Sendable, Equatable, Codable {
    public var id: Int64
    public var asset: AssetDraft
    /// Exposures by status, for the asset list.
    public var affectedCount: Int
    public var unknownCount: Int

    public init(id: Int64, asset: AssetDraft, affectedCount: Int, unknownCount: Int) {
        self.id = id
        self.asset = asset
        self.affectedCount = affectedCount
        self.unknownCount = unknownCount
    }
}

/// What an inventory import changed.
public struct AssetImportSummary: Sendable, Equatable, Codable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var removed = 0
    /// Exposures of the organisation after the import, by status.
    public var exposures: [String: Int] = [:]
    public init() {}
}

/// Which exposures to list.
public struct ExposureFilter: Sendable, Equatable {
    public var advisoryID: String?
    public var assetID: Int64?
    public var includeNotAffected = false
    public var limit = 5_000
    public init(advisoryID: String? = nil, assetID: Int64? = nil, includeNotAffected: Bool = false, limit: Int = 5_000) {
        self.advisoryID = advisoryID
        self.assetID = assetID
        self.includeNotAffected = includeNotAffected
        self.limit = limit
    }
}

/// One exposure with what the pages and exports show about its asset and advisory.
public struct ExposureRow: Sendable, Equatable, Codable {
    public var exposure: Exposure
    public var asset: AssetDraft
    public var advisoryTitle: String
    public var severity: String
    public var cvssScore: Double?
    /// How many of the advisory's CVEs are in CISA's Known Exploited Vulnerabilities catalogue.
    public var knownExploitedCount: Int
    public var firstSeen: Date

    public init(exposure: Exposure, asset: AssetDraft, advisoryTitle: String, severity: String, cvssScore: Double? = nil, knownExploitedCount: Int, firstSeen: Date) {
        self.exposure = exposure
        self.asset = asset
        self.advisoryTitle = advisoryTitle
        self.severity = severity
        self.cvssScore = cvssScore
        self.knownExploitedCount = knownExploitedCount
        self.firstSeen = firstSeen
    }
}
