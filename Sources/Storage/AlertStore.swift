import CSAF
import Foundation

/// Storage of watches, the journal of advisory changes, and alerts. Reads and writes name the organisation, so one
/// organisation never sees another's watches or alerts.
public protocol AlertStore: Sendable {
    func addWatch(_ watch: StoredWatch.Draft, organisationID: Int64) async throws -> StoredWatch
    func watches(organisationID: Int64) async throws -> [StoredWatch]
    /// Every organisation's watches, for alert planning.
    func allWatches() async throws -> [StoredWatch]
    func removeWatch(id: Int64, organisationID: Int64) async throws -> Bool
    /// Replaces a watch's rule, least severity and channels; nil when the organisation has no such watch. It alerts
    /// by its new rule for advisories stored from then on.
    func updateWatch(id: Int64, organisationID: Int64, draft: StoredWatch.Draft) async throws -> StoredWatch?
    /// Revisions stored since they were last processed, oldest first, with the revision they replaced.
    func pendingChanges(limit: Int) async throws -> [AdvisoryChangeRecord]
    /// CVEs of an advisory in CISA's KEV catalogue, and per organisation the assets it affects or may affect.
    func alertContext(advisoryID: String) async throws -> (knownExploited: Set<String>, exposedAssets: [Int64: Int])
    /// Stores an alert unless one with the same idempotency key exists; true when it was new.
    func createAlert(_ alert: StoredAlert.Draft) async throws -> Bool
    /// `createAlert` for several alerts in one transaction (one revision alerting many organisations); one flag each.
    func createAlerts(_ alerts: [StoredAlert.Draft]) async throws -> [Bool]
    func markProcessed(changeID: Int64) async throws
    /// Marks every pending change processed without reading it: when no organisation watches anything.
    func discardPendingChanges() async throws -> Int
    /// The organisation's alerts, newest first, optionally only those in one state of the alert log.
    func alerts(organisationID: Int64, status: AlertStatus?, limit: Int) async throws -> [StoredAlert]
    /// Every organisation's alerts for these advisories, by organisation and then oldest first (for alert planning:
    /// who was alerted already for an advisory that another publisher republishes).
    func alerts(advisoryIDs: [String]) async throws -> [StoredAlert]
}

extension AlertStore {
    /// Every state: the newest `limit` alerts.
    public func alerts(organisationID: Int64, limit: Int) async throws -> [StoredAlert] {
        try await alerts(organisationID: organisationID, status: nil, limit: limit)
    }
}

/// A watch as stored: the rule as a kind and a value, so the store needs no knowledge of rules.
public struct StoredWatch: Sendable, Equatable, Codable {
    /// What `addWatch` takes.
    public struct Draft: Sendable, Equatable, Codable {
        public var kind: String
        public var value: String
        public var minimumSeverity: Severity?
        /// Channel names or specs (`email:ADDRESS`, `webhook:URL`, `slack:URL`, `teams:URL`) separated by commas;
        /// empty for every enabled channel of the organisation.
        public var notify: String
        public init(kind: String, value: String, minimumSeverity: Severity? = nil, notify: String = "") {
            self.kind = kind
            self.value = value
            self.minimumSeverity = minimumSeverity
            self.notify = notify
        }
    }

    public var id: Int64
    public var organisationID: Int64
    public var draft: Draft
    public var createdAt: Date

    public init(id: Int64, organisationID: Int64, draft: Draft, createdAt: Date) {
        self.id = id
        self.organisationID = organisationID
        self.draft = draft
        self.createdAt = createdAt
    }
}

/// One entry of the change journal: an advisory revision newly stored, and the one it replaced.
public struct AdvisoryChangeRecord: Sendable {
    public var id: Int64
    public var current: Advisory
    public var previous: Advisory?
    public var recordedAt: Date
    /// CVEs of the advisory newly listed in CISA's KEV catalogue, when that is the change (the revision is the same).
    public var knownExploitedAdded: [String] = []

    public init(id: Int64, current: Advisory, previous: Advisory? = nil, recordedAt: Date, knownExploitedAdded: [String] = []) {
        self.id = id
        self.current = current
        self.previous = previous
        self.recordedAt = recordedAt
        self.knownExploitedAdded = knownExploitedAdded
    }
}

/// An alert as stored.
public struct StoredAlert: Sendable, Equatable, Codable {
    /// What `createAlert` takes.
    public struct Draft: Sendable, Equatable, Codable {
        public var organisationID: Int64
        public var advisoryID: String
        public var advisoryVersion: String
        public var idempotencyKey: String
        public var changes: [String]
        /// Watch id → why it matched.
        public var matches: [AlertMatch]
        /// The channels the alert goes to; a delivery is queued for each in the transaction that stores the alert.
        public var channelIDs: [Int64]
        public init(organisationID: Int64, advisoryID: String, advisoryVersion: String, idempotencyKey: String,
                    changes: [String], matches: [AlertMatch], channelIDs: [Int64] = []) {
            self.channelIDs = channelIDs
            self.organisationID = organisationID
            self.advisoryID = advisoryID
            self.advisoryVersion = advisoryVersion
            self.idempotencyKey = idempotencyKey
            self.changes = changes
            self.matches = matches
        }
    }

    public var id: Int64
    public var draft: Draft
    public var status: String
    public var advisoryTitle: String
    public var createdAt: Date
    public var owner: String?
    /// `YYYY-MM-DD`.
    public var dueDate: String?
    /// The advisory's severity and highest score as stored now.
    public var severity: String = "none"
    public var cvssScore: Double?
    /// False when the alert is about a revision of an advisory alerted before.
    public var isNew: Bool { draft.changes.contains("new advisory") }
    public var alertStatus: AlertStatus { AlertStatus(rawValue: status) ?? .new }

    public init(id: Int64, draft: Draft, status: String, advisoryTitle: String, createdAt: Date, owner: String? = nil, dueDate: String? = nil, severity: String = "", cvssScore: Double? = nil) {
        self.id = id
        self.draft = draft
        self.status = status
        self.advisoryTitle = advisoryTitle
        self.createdAt = createdAt
        self.owner = owner
        self.dueDate = dueDate
        self.severity = severity
        self.cvssScore = cvssScore
    }
}

/// One watch's part in an alert.
public struct AlertMatch: Sendable, Equatable, Codable {
    public var watchID: Int64
    public var watch: String
    public var reason: String
    public init(watchID: Int64, watch: String, reason: String) {
        self.watchID = watchID
        self.watch = watch
        self.reason = reason
    }
}
