import CSAF
import Foundation

/// Storage of advisories: every revision's verbatim bytes, the normalised facts for lists and search, conflicts
/// and quarantined files. `SQLiteStore` implements it; a PostgreSQL store follows the same contract tests.
public protocol AdvisoryStore: DocumentSink {
    /// The current revision of an advisory, parsed from its stored bytes.
    func advisory(id: String) async throws -> StoredAdvisory?
    /// The exact bytes of a stored revision (the current one when `documentID` is nil) with its sidecars.
    func rawDocument(advisoryID: String, documentID: Int64?) async throws -> RawDocument?
    /// Advisories matching a query, newest first (or by relevance when there is search text).
    func search(_ query: AdvisoryQuery) async throws -> AdvisoryPage
    /// Every vendor with the number of advisories naming it.
    func vendors() async throws -> [VendorSummary]
    func vendor(slug: String) async throws -> VendorSummary?
    /// The page slug of each named vendor (names not stored are left out).
    func vendorSlugs(for names: [String]) async throws -> [String: String]
    /// The values the list filters offer (publishers, sectors, years).
    func filterOptions() async throws -> FilterOptions
    func statistics() async throws -> StoreStatistics
    /// Files that were rejected or failed integrity checks, newest first.
    func quarantined(limit: Int) async throws -> [QuarantinedDocument]
    /// Revisions that clashed with a stored one (same ID and version, different bytes).
    func conflicts(advisoryID: String?) async throws -> [RevisionConflict]
    /// A number that changes whenever stored data changes: caches of rendered pages compare it.
    func generation() async throws -> Int64
}

/// Filters for the advisory list; every field is optional and they combine with AND.
public struct AdvisoryQuery: Sendable, Equatable, Codable {
    public var text: String?
    public var vendor: String?
    public var sector: String?
    public var severity: Severity?
    public var year: Int?
    public var publisher: String?
    /// Only advisories with a CVE in CISA's Known Exploited Vulnerabilities catalogue.
    public var knownExploited: Bool
    public var page: Int
    public var perPage: Int

    public init(text: String? = nil, vendor: String? = nil, sector: String? = nil, severity: Severity? = nil,
                year: Int? = nil, publisher: String? = nil, knownExploited: Bool = false, page: Int = 1, perPage: Int = 50) {
        self.knownExploited = knownExploited
        self.text = text
        self.vendor = vendor
        self.sector = sector
        self.severity = severity
        self.year = year
        self.publisher = publisher
        self.page = max(1, page)
        self.perPage = min(max(1, perPage), 500)
    }
}

/// One row of the advisory list.
public struct AdvisorySummary: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    public var publisher: String
    public var vendors: [String]
    public var initialReleaseDate: Date?
    public var currentReleaseDate: Date?
    public var version: String
    public var score: Double?
    public var severity: Severity
    public var vector: String?
    public var cveCount: Int
    public var integrity: IntegrityStatus
    /// How many of its CVEs are in CISA's Known Exploited Vulnerabilities catalogue.
    public var knownExploitedCount: Int = 0
}

/// A page of the advisory list.
public struct AdvisoryPage: Sendable, Equatable {
    public var items: [AdvisorySummary]
    public var total: Int
    public var query: AdvisoryQuery
    public var pageCount: Int { max(1, (total + query.perPage - 1) / query.perPage) }
}

/// An advisory with what the store knows about its document.
public struct StoredAdvisory: Sendable {
    public var advisory: Advisory
    public var document: StoredRevision
    public var warnings: [ValidationIssue]
    /// Every stored revision, newest first.
    public var revisions: [StoredRevision]
    public var conflictCount: Int
    /// Its CVEs that are in CISA's Known Exploited Vulnerabilities catalogue.
    public var knownExploited: [KnownExploitedVulnerability] = []
}

/// One stored revision of an advisory's document.
public struct StoredRevision: Sendable, Equatable, Codable {
    public var documentID: Int64
    public var version: String
    public var currentReleaseDate: Date?
    public var sha256: String
    public var sha512: String
    public var size: Int
    public var origin: String
    public var importedAt: Date
    public var integrity: IntegrityStatus
    public var integrityDetail: String
    public var hasSHA256Sidecar: Bool
    public var hasSHA512Sidecar: Bool
    public var hasSignature: Bool
    /// The primary key fingerprint of the verified signer, when the signature verified.
    public var signer: String?
    public var isCurrent: Bool
}

/// Verbatim bytes of a stored document and its sidecars.
public struct RawDocument: Sendable {
    public var bytes: [UInt8]
    public var fileName: String
    public var sha256Sidecar: String?
    public var sha512Sidecar: String?
    public var signature: [UInt8]?
}

/// A vendor with its advisory count.
public struct VendorSummary: Sendable, Equatable, Codable {
    public var name: String
    public var slug: String
    public var advisoryCount: Int
    public var latest: Date?
}

/// Values offered by the list filters.
public struct FilterOptions: Sendable, Equatable {
    public var publishers: [String]
    public var sectors: [String]
    public var years: [Int]
}

/// Counts per publisher, vendor, year and severity.
public struct StoreStatistics: Sendable, Equatable, Codable {
    public struct Count: Sendable, Equatable, Codable {
        public var name: String
        public var count: Int
    }
    public var advisories: Int
    public var documents: Int
    public var quarantined: Int
    public var conflicts: Int
    public var byPublisher: [Count]
    public var byVendor: [Count]
    public var byYear: [Count]
    public var bySeverity: [Count]
}

/// A file kept aside with the reason it was not accepted.
public struct QuarantinedDocument: Sendable, Equatable, Codable {
    public var id: Int64
    public var origin: String
    public var reason: String
    public var code: String
    public var advisoryID: String?
    public var sha256: String?
    public var size: Int?
    public var detectedAt: Date
}

/// A revision that has the ID and version of a stored one but different bytes.
public struct RevisionConflict: Sendable, Equatable, Codable {
    public var advisoryID: String
    public var version: String
    public var storedSHA256: String
    public var incomingSHA256: String
    public var origin: String
    public var detectedAt: Date
}

/// URL-safe identifiers for vendor pages: `Phoenix Contact` → `phoenix-contact`.
public enum Slug {
    public static func make(_ name: String) -> String {
        var result = ""
        var lastWasDash = true
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar)) {
                result.unicodeScalars.append(scalar)
                lastWasDash = false
            } else if !lastWasDash {
                result.append("-")
                lastWasDash = true
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result.isEmpty ? "vendor" : result
    }
}
