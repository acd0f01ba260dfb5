import CSAF
import Foundation

/// A source Vigil follows: a CSAF provider (by its provider-metadata.json URL) or an aggregator, with what the last
/// syncs found. Shared by `Sources` (which syncs) and `Store` (which keeps it), like `DocumentSink`.
public struct SourceRecord: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case provider
        case aggregator
        /// CISA's Known Exploited Vulnerabilities catalogue (JSON): enrichment, not advisories.
        case kev
    }

    public var slug: String
    public var name: String
    public var kind: Kind
    /// The provider-metadata.json (or aggregator.json) URL.
    public var url: String
    public var enabled: Bool
    /// Seconds between polls.
    public var pollInterval: Int
    public var lastAttempt: Date?
    public var lastSuccess: Date?
    /// A sentence a person can act on, from the last sync that failed (nil after a success).
    public var lastError: String?
    public var nextPoll: Date?
    /// Documents of this source stored as advisories, and kept in quarantine (filled in by the store).
    public var documentsHeld: Int
    public var documentsQuarantined: Int
    /// Documents listed by the source that could not be fetched on the last sync (404, HTML, timeouts).
    public var documentsFailing: Int
    /// Mirrors of the provider metadata (from an aggregator), tried only when the provider itself is unreachable.
    public var mirrors: [String] = []
    /// Whether v3 signatures are accepted from this source (off unless configured: v3 is obsolete).
    public var acceptsV3Signatures = false
    /// The name of an environment variable holding the `Authorization` header value for this source (credentials
    /// never sit in the database). With it, TLP:GREEN and TLP:AMBER feeds are read too.
    public var credentialsVariable: String?
    /// Whether this source (and its mirrors and redirects) may be fetched from private-network, link-local or loopback
    /// addresses: set only by an administrator (`vigil sources add --allow-private-network`). A source whose own URL
    /// is a loopback literal (127.0.0.1, ::1, localhost) may reach loopback without it (local mirrors, tests).
    public var allowPrivateNetwork = false

    /// Where this source may connect: what its URL and `allowPrivateNetwork` grant.
    public var outboundAccess: OutboundAccess { .configured(url, allowPrivateNetwork: allowPrivateNetwork) }

    /// Syncs in a row that could not run (metadata, keys or a listing unreachable); 0 while the source answers.
    public var consecutiveFailures = 0
    /// When the current run of failures began (nil while the source answers): "unreachable since …".
    public var failingSince: Date?
    /// The interval the polling node last scheduled this source with, when it differs from `pollInterval`
    /// (`vigil serve --poll-interval`), so that every view shows the schedule really in force.
    public var scheduledInterval: Int?
    /// The latest provider check (`vigil check-provider`, or "Check" on the sources page): the source's quality.
    public var quality: SourceQuality?

    /// The interval in force: the polling node's override, else the configured one.
    public var effectiveInterval: Int { scheduledInterval ?? pollInterval }


    public init(slug: String, name: String, kind: Kind = .provider, url: String, enabled: Bool = true,
                pollInterval: Int = 300, lastAttempt: Date? = nil, lastSuccess: Date? = nil, lastError: String? = nil,
                nextPoll: Date? = nil, documentsHeld: Int = 0, documentsQuarantined: Int = 0, documentsFailing: Int = 0) {
        self.slug = slug
        self.name = name
        self.kind = kind
        self.url = url
        self.enabled = enabled
        self.pollInterval = pollInterval
        self.lastAttempt = lastAttempt
        self.lastSuccess = lastSuccess
        self.lastError = lastError
        self.nextPoll = nextPoll
        self.documentsHeld = documentsHeld
        self.documentsQuarantined = documentsQuarantined
        self.documentsFailing = documentsFailing
    }
}

extension SourceRecord {
    /// How a source is doing, as every view shows it.
    public enum Health: String, Sendable, Codable {
        case disabled
        /// Enabled, never synced yet.
        case pending
        case ok
        /// The last sync ran, but some listed documents could not be fetched.
        case degraded
        /// Syncs in a row could not run (provider metadata, keys or listings out of reach): backing off.
        case unreachable
    }

    /// "every 5 min", or the interval a server's `--poll-interval` scheduled the source with and the configured one:
    /// the words `/sources` and `vigil sources list` show.
    public var intervalDescription: String {
        guard let scheduled = scheduledInterval, scheduled != pollInterval else { return SourceRecord.describeInterval(pollInterval) }
        return "\(SourceRecord.describeInterval(scheduled)) (vigil serve --poll-interval; configured \(SourceRecord.describeInterval(pollInterval)))"
    }

    /// "every 5 min", "every 1 h", "every 45 s".
    public static func describeInterval(_ seconds: Int) -> String {
        if seconds % 86_400 == 0 { return "every \(seconds / 86_400) d" }
        if seconds % 3600 == 0 { return "every \(seconds / 3600) h" }
        if seconds % 60 == 0 { return "every \(seconds / 60) min" }
        return "every \(seconds) s"
    }

    public var health: Health {
        if !enabled { return .disabled }
        if consecutiveFailures > 0 { return .unreachable }
        if lastSuccess == nil { return .pending }
        return lastError == nil ? .ok : .degraded
    }
}

/// A source's latest check against CSAF 2.0 §7 (the provider checker's report, kept whole as JSON).
public struct SourceQuality: Sendable, Codable, Equatable {
    public var checkedAt: Date
    /// The highest role met (`csaf_trusted_provider`, …), nil when none is.
    public var role: String?
    /// One line: "meets provider (claims trusted provider); 2 of 20 applicable requirements failed: 18, 19".
    public var summary: String
    /// The whole report as JSON (`vigil check-provider --json`).
    public var report: String

    public init(checkedAt: Date, role: String?, summary: String, report: String) {
        self.checkedAt = checkedAt
        self.role = role
        self.summary = summary
        self.report = report
    }
}

/// HTTP validators kept per URL so that the next request can be conditional.
public struct HTTPValidators: Sendable, Equatable, Codable {
    public var etag: String?
    public var lastModified: String?
    public init(etag: String? = nil, lastModified: String? = nil) {
        self.etag = etag
        self.lastModified = lastModified
    }
    public var isEmpty: Bool { etag == nil && lastModified == nil }
}

/// A response kept for conditional requests: its validators, its body, and when it was fetched.
public struct CachedResponse: Sendable, Equatable {
    public var validators: HTTPValidators
    public var body: [UInt8]
    public var fetchedAt: Date
    public init(validators: HTTPValidators, body: [UInt8], fetchedAt: Date) {
        self.validators = validators
        self.body = body
        self.fetchedAt = fetchedAt
    }
}

/// What the store remembers of one document a source lists: the update time the listing gave when it was last
/// fetched, and how that went.
public struct RemoteDocumentState: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// Stored as an advisory (new, updated, unchanged or historical).
        case stored
        /// Fetched, but quarantined (hash, signature or content failure); re-checked on the next sync.
        case quarantined
        /// Could not be fetched (HTTP error, HTML, timeout); retried on the next sync.
        case failed
    }

    public var url: String
    public var source: String
    /// The listing's update time (ROLIE `updated`, changes.csv timestamp) as published.
    public var listedUpdate: String
    public var status: Status
    public var detail: String?
    public var advisoryID: String?

    public init(url: String, source: String, listedUpdate: String, status: Status, detail: String? = nil, advisoryID: String? = nil) {
        self.url = url
        self.source = source
        self.listedUpdate = listedUpdate
        self.status = status
        self.detail = detail
        self.advisoryID = advisoryID
    }
}

/// One entry of CISA's Known Exploited Vulnerabilities catalogue.
public struct KnownExploitedVulnerability: Sendable, Equatable, Codable {
    public var cve: String
    public var vendor: String
    public var product: String
    public var name: String
    /// `YYYY-MM-DD`, as the catalogue gives them.
    public var dateAdded: String
    public var dueDate: String
    public var requiredAction: String
    /// `Known` or `Unknown`: use in ransomware campaigns.
    public var ransomware: String

    public init(cve: String, vendor: String, product: String, name: String, dateAdded: String, dueDate: String,
                requiredAction: String, ransomware: String) {
        self.cve = cve
        self.vendor = vendor
        self.product = product
        self.name = name
        self.dateAdded = dateAdded
        self.dueDate = dueDate
        self.requiredAction = requiredAction
        self.ransomware = ransomware
    }
}

/// Where syncs keep their sources and state: the store implements this, `Sources` uses it.
public protocol SourceStateStore: DocumentSink {
    func sources() async throws -> [SourceRecord]
    func source(slug: String) async throws -> SourceRecord?
    /// Inserts or replaces the source with this slug (its configuration and sync status).
    func saveSource(_ source: SourceRecord) async throws
    /// Keeps the latest provider check of a source: false when there is no such source.
    func saveSourceQuality(slug: String, quality: SourceQuality) async throws -> Bool
    /// Removes the source and its sync state; its documents stay. False when there was no such source.
    func removeSource(slug: String) async throws -> Bool
    /// The last response kept for a URL (validators and body), so that a `304 Not Modified` can be answered from it.
    func cachedResponse(for url: String) async throws -> CachedResponse?
    func saveCachedResponse(_ response: CachedResponse, for url: String) async throws
    /// Every document state of a source, keyed by URL.
    /// Adds these sources once per installation (the built-in catalogue): later calls do nothing, so that sources a
    /// person removed or changed stay as they left them. Returns how many were added.
    func seedSourcesOnce(_ sources: [SourceRecord]) async throws -> Int
    func remoteDocuments(source: String) async throws -> [String: RemoteDocumentState]
    func saveRemoteDocument(_ state: RemoteDocumentState) async throws
    /// Documents of a source quarantined or failing on their last check, most recent first.
    func failingDocuments(source: String, limit: Int) async throws -> [RemoteDocumentState]
    /// Replaces the Known Exploited Vulnerabilities catalogue; returns how many CVEs were added and removed.
    func replaceKnownExploited(_ entries: [KnownExploitedVulnerability], catalogVersion: String) async throws -> (added: Int, removed: Int)
    /// Takes, renews or refuses the right to poll a source until `until`: true when `holder` has it now. Nodes sharing
    /// a store poll each source on one node at a time; a node that dies stops renewing, and after `until` another
    /// node may take the source over.
    func claimSourcePoll(slug: String, holder: String, until: Date, now: Date) async throws -> Bool
    /// Gives the right up early (after a sync), if `holder` still has it.
    func releaseSourcePoll(slug: String, holder: String) async throws
}

extension SourceStateStore {
    /// A store only one process uses (test doubles) needs no leases.
    public func claimSourcePoll(slug: String, holder: String, until: Date, now: Date) async throws -> Bool { true }
    public func releaseSourcePoll(slug: String, holder: String) async throws {}
}
