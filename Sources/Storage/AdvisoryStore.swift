import CSAF
import Foundation
import Revisions

/// Storage of advisories: every revision's verbatim bytes, the normalised facts for lists and search, conflicts
/// and quarantined files. `SQLiteStore` implements it; a PostgreSQL store follows the same contract tests.
public protocol AdvisoryStore: DocumentSink {
    /// The current revision of an advisory, parsed from its stored bytes.
    func advisory(id: String) async throws -> StoredAdvisory?
    /// Every stored revision of an advisory, newest first, without reading the documents (empty when it is not stored).
    func revisions(advisoryID: String) async throws -> [StoredRevision]
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
    /// The links (`AdvisoryLinker`'s rules) from each of `advisoryIDs` to other publishers' stored advisories that
    /// describe the same vulnerabilities, in `AdvisoryLinker.links(for:)`'s order; advisories without links (or not
    /// stored) are absent.
    func related(advisoryIDs: [String]) async throws -> [String: [AdvisoryLink]]
    /// Every link between stored advisories, both sides of each, by advisory ID.
    func allLinks() async throws -> [String: [AdvisoryLink]]
    /// How many advisories were first released in each month since `since`'s month (UTC), by severity: the
    /// dashboard's advisories per month. Advisories without an initial release date are left out.
    func advisoryCountsByMonth(since: Date) async throws -> [AdvisoryMonthCount]
}

/// How many advisories of one severity were first released in one month.
public struct AdvisoryMonthCount: Sendable, Equatable, Codable {
    /// `YYYY-MM`, from the advisory's initial release date (UTC).
    public var month: String
    public var severity: Severity
    public var count: Int

    public init(month: String, severity: Severity, count: Int) {
        self.month = month
        self.severity = severity
        self.count = count
    }
}

extension AdvisoryStore {
    /// The links of one advisory (`related(advisoryIDs:)`).
    public func related(advisoryID: String) async throws -> [AdvisoryLink] {
        try await related(advisoryIDs: [advisoryID])[advisoryID] ?? []
    }
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
    /// Pagination by key: the list from after this place (`AdvisoryPage.nextAfter` of the page before), `page` then
    /// counting from there. Its cost does not grow with how deep the page lies, as an offset's does (on SQLite at
    /// 100,000 advisories: 5 ms to skip 90,000 of them, 0.1 ms to start after the 90,000th by key). Ignored by a
    /// full-text search, which is ranked and pages by `page`.
    public var after: ListCursor?

    public init(text: String? = nil, vendor: String? = nil, sector: String? = nil, severity: Severity? = nil,
                year: Int? = nil, publisher: String? = nil, knownExploited: Bool = false, page: Int = 1, perPage: Int = 50,
                after: ListCursor? = nil) {
        self.after = after
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

/// A place in the advisory list's order (newest current release first, then the ID, descending): the last advisory of
/// a page, as stored. Handed out as `token`, `DATE~ID` (the date as the store keeps it, `2024-05-01T10:00:00Z`, empty
/// when the advisory has none), and read back with `init(token:)`. Any such pair is a place in the order, whether or
/// not an advisory holds it (dates compare as text): the next page starts after it all the same.
public struct ListCursor: Sendable, Equatable, Codable {
    /// The advisory's current release date as the store keeps it; nil when it has none (listed last).
    public var currentReleaseDate: String?
    public var id: String

    public init(currentReleaseDate: String?, id: String) {
        self.currentReleaseDate = currentReleaseDate
        self.id = id
    }

    /// The longest token read, in characters.
    public static let maxLength = 1_000

    public var token: String { "\(currentReleaseDate ?? "")~\(id)" }

    /// `DATE~ID` or `~ID`, split at the first tilde: any date (store dates have no tilde), any ID that is not empty;
    /// at most `maxLength` characters. Nil for anything else.
    public init?(token: String) {
        guard token.unicodeScalars.count <= Self.maxLength, let tilde = token.firstIndex(of: "~") else { return nil }
        let date = String(token[..<tilde])
        let id = String(token[token.index(after: tilde)...])
        guard !id.isEmpty else { return nil }
        self.init(currentReleaseDate: date.isEmpty ? nil : date, id: id)
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
    /// The document's category (`csaf_security_advisory`, `csaf_informational_advisory`, …); nil when not read.
    public var category: String? = nil

    /// An informational advisory describes no vulnerability: shown as such, never as "0 CVEs, severity none".
    public var isInformational: Bool { category == "csaf_informational_advisory" }

    public init(id: String, title: String, publisher: String, vendors: [String], initialReleaseDate: Date? = nil, currentReleaseDate: Date? = nil, version: String, score: Double? = nil, severity: Severity, vector: String? = nil, cveCount: Int, integrity: IntegrityStatus, knownExploitedCount: Int = 0, category: String? = nil) {
        self.category = category
        self.id = id
        self.title = title
        self.publisher = publisher
        self.vendors = vendors
        self.initialReleaseDate = initialReleaseDate
        self.currentReleaseDate = currentReleaseDate
        self.version = version
        self.score = score
        self.severity = severity
        self.vector = vector
        self.cveCount = cveCount
        self.integrity = integrity
        self.knownExploitedCount = knownExploitedCount
    }
}

/// A page of the advisory list.
public struct AdvisoryPage: Sendable, Equatable {
    public var items: [AdvisorySummary]
    /// How many advisories the query finds; for a full-text search with more matches than `rankedMatches`, that limit
    /// (and `moreMatches` is set).
    public var total: Int
    public var query: AdvisoryQuery
    /// A full-text search matched more advisories than are ranked: `total` is `rankedMatches`, the most recently
    /// stored matches, and the rest are not listed. The pages say so and suggest narrowing the search.
    public var moreMatches: Bool
    /// Where the next page starts (`AdvisoryQuery.after`); nil on the last page and for a full-text search.
    public var nextAfter: ListCursor?
    public var pageCount: Int { max(1, (total + query.perPage - 1) / query.perPage) }

    /// A full-text search ranks at most this many matches, the most recently stored, so its cost is bounded however
    /// broad the words and however large the corpus (every match costs a relevance score and a place in the sort:
    /// 243 ms for a prefix matching every advisory of 250,000, against 25 ms for the newest 1,000).
    public static let rankedMatches = 1_000

    public init(items: [AdvisorySummary], total: Int, query: AdvisoryQuery, moreMatches: Bool = false, nextAfter: ListCursor? = nil) {
        self.nextAfter = nextAfter
        self.items = items
        self.total = total
        self.query = query
        self.moreMatches = moreMatches
    }
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
    /// The current document's CSAF §6 findings (all groups), made from its stored bytes when read.
    public var conformance: [ConformanceFinding] = []

    public init(advisory: Advisory, document: StoredRevision, warnings: [ValidationIssue], revisions: [StoredRevision], conflictCount: Int, knownExploited: [KnownExploitedVulnerability] = []) {
        self.advisory = advisory
        self.document = document
        self.warnings = warnings
        self.revisions = revisions
        self.conflictCount = conflictCount
        self.knownExploited = knownExploited
    }
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
    /// Its CSAF §6 findings by group, counted when it was stored; nil for a document stored before the tests existed.
    public var conformance: ConformanceSummary? = nil

    public init(documentID: Int64, version: String, currentReleaseDate: Date? = nil, sha256: String, sha512: String, size: Int, origin: String, importedAt: Date, integrity: IntegrityStatus, integrityDetail: String, hasSHA256Sidecar: Bool, hasSHA512Sidecar: Bool, hasSignature: Bool, signer: String? = nil, isCurrent: Bool, conformance: ConformanceSummary? = nil) {
        self.conformance = conformance
        self.documentID = documentID
        self.version = version
        self.currentReleaseDate = currentReleaseDate
        self.sha256 = sha256
        self.sha512 = sha512
        self.size = size
        self.origin = origin
        self.importedAt = importedAt
        self.integrity = integrity
        self.integrityDetail = integrityDetail
        self.hasSHA256Sidecar = hasSHA256Sidecar
        self.hasSHA512Sidecar = hasSHA512Sidecar
        self.hasSignature = hasSignature
        self.signer = signer
        self.isCurrent = isCurrent
    }
}

/// Verbatim bytes of a stored document and its sidecars.
public struct RawDocument: Sendable {
    public var bytes: [UInt8]
    public var fileName: String
    public var sha256Sidecar: String?
    public var sha512Sidecar: String?
    public var signature: [UInt8]?

    public init(bytes: [UInt8], fileName: String, sha256Sidecar: String? = nil, sha512Sidecar: String? = nil, signature: [UInt8]? = nil) {
        self.bytes = bytes
        self.fileName = fileName
        self.sha256Sidecar = sha256Sidecar
        self.sha512Sidecar = sha512Sidecar
        self.signature = signature
    }
}

/// A vendor with its advisory count.
public struct VendorSummary: Sendable, Equatable, Codable {
    public var name: String
    public var slug: String
    public var advisoryCount: Int
    public var latest: Date?

    public init(name: String, slug: String, advisoryCount: Int, latest: Date? = nil) {
        self.name = name
        self.slug = slug
        self.advisoryCount = advisoryCount
        self.latest = latest
    }
}

/// Values offered by the list filters.
public struct FilterOptions: Sendable, Equatable {
    public var publishers: [String]
    public var sectors: [String]
    public var years: [Int]

    public init(publishers: [String], sectors: [String], years: [Int]) {
        self.publishers = publishers
        self.sectors = sectors
        self.years = years
    }
}

/// Counts per publisher, vendor, year and severity.
public struct StoreStatistics: Sendable, Equatable, Codable {
    public struct Count: Sendable, Equatable, Codable {
        public var name: String
        public var count: Int

        public init(name: String, count: Int) {
            self.name = name
            self.count = count
        }
    }
    public var advisories: Int
    public var documents: Int
    public var quarantined: Int
    public var conflicts: Int
    public var byPublisher: [Count]
    public var byVendor: [Count]
    public var byYear: [Count]
    public var bySeverity: [Count]

    public init(advisories: Int, documents: Int, quarantined: Int, conflicts: Int, byPublisher: [Count], byVendor: [Count], byYear: [Count], bySeverity: [Count]) {
        self.advisories = advisories
        self.documents = documents
        self.quarantined = quarantined
        self.conflicts = conflicts
        self.byPublisher = byPublisher
        self.byVendor = byVendor
        self.byYear = byYear
        self.bySeverity = bySeverity
    }
}

/// A file kept aside with the reason it was not accepted.
public struct QuarantinedDocument: Sendable, Equatable, Codable {
    public var id: Int64
    public var origin: String
    public var reason: String
    /// Why it was kept aside; stored and encoded as its raw value.
    public var code: QuarantineCode
    public var advisoryID: String?
    public var sha256: String?
    public var size: Int?
    public var detectedAt: Date

    public init(id: Int64, origin: String, reason: String, code: QuarantineCode, advisoryID: String? = nil, sha256: String? = nil, size: Int? = nil, detectedAt: Date) {
        self.id = id
        self.origin = origin
        self.reason = reason
        self.code = code
        self.advisoryID = advisoryID
        self.sha256 = sha256
        self.size = size
        self.detectedAt = detectedAt
    }
}

/// A revision that has the ID and version of a stored one but different bytes.
public struct RevisionConflict: Sendable, Equatable, Codable {
    public var advisoryID: String
    public var version: String
    public var storedSHA256: String
    public var incomingSHA256: String
    public var origin: String
    public var detectedAt: Date

    public init(advisoryID: String, version: String, storedSHA256: String, incomingSHA256: String, origin: String, detectedAt: Date) {
        self.advisoryID = advisoryID
        self.version = version
        self.storedSHA256 = storedSHA256
        self.incomingSHA256 = incomingSHA256
        self.origin = origin
        self.detectedAt = detectedAt
    }
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
