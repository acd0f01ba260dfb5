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
    /// The organisation's name and own settings (its digests' time zone and hour, its messages' base URL); nil when
    /// there is no such organisation.
    func organisationSettings(organisationID: Int64) async throws -> OrganisationSettings?
    /// Renames the organisation and saves its settings, after `OrganisationSettings.validated()`: `.invalid` naming
    /// the field at fault, `.conflict` when another organisation has the name (ignoring case), `.notFound` when the
    /// organisation does not exist.
    func saveOrganisationSettings(_ settings: OrganisationSettings, organisationID: Int64, actor: String, at: Date) async throws
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

/// An organisation's name and the settings its messages follow (`/settings/organisation`, `vigil org settings`).
public struct OrganisationSettings: Sendable, Equatable {
    public var name: String
    /// An IANA time zone (`Europe/Berlin`): digests are composed at `digestHour` there, weekly ones on its Mondays,
    /// through daylight saving time.
    public var timeZone: String
    /// 0–23, local time in `timeZone`.
    public var digestHour: Int
    /// Where the organisation's people reach Vigil (`https://vigil.plant.example`), for the links in its messages and
    /// invitations; nil uses the server's `--base-url`.
    public var baseURL: String?
    /// When and by whom they were last saved (read back from the store; ignored when saving); nil until first saved.
    public var updatedAt: Date?
    public var updatedBy: String?

    public static let defaultTimeZone = "UTC"
    public static let defaultDigestHour = 7

    public init(name: String, timeZone: String = Self.defaultTimeZone, digestHour: Int = Self.defaultDigestHour, baseURL: String? = nil,
                updatedAt: Date? = nil, updatedBy: String? = nil) {
        self.name = name
        self.timeZone = timeZone
        self.digestHour = digestHour
        self.baseURL = baseURL
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// The settings as stored: the name and time zone trimmed, the base URL without trailing slashes (empty: none).
    /// Throws `.invalid` for the first problem `problems` finds, naming its field.
    public func validated() throws(StoreError) -> OrganisationSettings {
        let (settings, problems) = checked()
        if let first = problems.first { throw .invalid(first.message, field: first.field) }
        return settings
    }

    /// The settings as they would be stored, and every problem in them in form order: the field (`name`,
    /// `time_zone`, `digest_hour`, `base_url`) and a sentence for the person who typed it.
    public func checked() -> (settings: OrganisationSettings, problems: [(field: String, message: String)]) {
        var settings = self
        var problems: [(field: String, message: String)] = []
        settings.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if settings.name.isEmpty {
            problems.append(("name", "Give the organisation a name."))
        } else if settings.name.count > 200 || settings.name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problems.append(("name", "A name has at most 200 characters and no control characters."))
        }
        settings.timeZone = timeZone.trimmingCharacters(in: .whitespaces)
        if !Self.isTimeZone(settings.timeZone) {
            problems.append(("time_zone", "“\(settings.timeZone)” is not a time zone: use a name such as Europe/Berlin, America/Chicago or UTC."))
        }
        if !(0...23).contains(digestHour) { problems.append(("digest_hour", "The digest hour is a whole hour from 0 to 23.")) }
        let url = (baseURL ?? "").trimmingCharacters(in: .whitespaces)
        settings.baseURL = url.isEmpty ? nil : Self.normalisedBaseURL(url)
        if !url.isEmpty, settings.baseURL == nil {
            problems.append(("base_url", "The base URL is where people open Vigil, such as https://vigil.plant.example or http://10.0.0.5:8080, with no query or #fragment."))
        }
        return (settings, problems)
    }

    /// A time zone Foundation knows by this name (`UTC`, `Europe/Berlin`), not an offset or abbreviation alone.
    public static func isTimeZone(_ name: String) -> Bool {
        !name.isEmpty && (name == "UTC" || TimeZone.knownTimeZoneIdentifiers.contains(name))
    }

    /// `https://host[:port][/path]` without trailing slashes, or nil: http is allowed (a plant network without TLS
    /// inside); credentials, queries and fragments are not, as links are made by appending paths to it.
    static func normalisedBaseURL(_ text: String) -> String? {
        guard text.utf8.count <= 500, !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }),
              let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
              components.query == nil, components.fragment == nil else { return nil }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
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
