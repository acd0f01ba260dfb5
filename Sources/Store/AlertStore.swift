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
    /// Revisions stored since they were last processed, oldest first, with the revision they replaced.
    func pendingChanges(limit: Int) async throws -> [AdvisoryChangeRecord]
    /// CVEs of an advisory in CISA's KEV catalogue, and per organisation the assets it affects or may affect.
    func alertContext(advisoryID: String) async throws -> (knownExploited: Set<String>, exposedAssets: [Int64: Int])
    /// Stores an alert unless one with the same idempotency key exists; true when it was new.
    func createAlert(_ alert: StoredAlert.Draft) async throws -> Bool
    func markProcessed(changeID: Int64) async throws
    /// Marks every pending change processed without reading it: when no organisation watches anything.
    func discardPendingChanges() async throws -> Int
    func alerts(organisationID: Int64, limit: Int) async throws -> [StoredAlert]
}

/// A watch as stored: the rule as a kind and a value, so the store needs no knowledge of rules.
public struct StoredWatch: Sendable, Equatable, Codable {
    /// What `addWatch` takes.
    public struct Draft: Sendable, Equatable, Codable {
        public var kind: String
        public var value: String
        public var minimumSeverity: Severity?
        /// `email:ADDRESS` or `webhook:URL`, or empty for the organisation's defaults.
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
}

/// One entry of the change journal: an advisory revision newly stored, and the one it replaced.
public struct AdvisoryChangeRecord: Sendable {
    public var id: Int64
    public var current: Advisory
    public var previous: Advisory?
    public var recordedAt: Date
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
        public init(organisationID: Int64, advisoryID: String, advisoryVersion: String, idempotencyKey: String,
                    changes: [String], matches: [AlertMatch]) {
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
