import CSAF
import Foundation

/// Storage of notification channels, the delivery outbox and the alert log. Every read and write of an
/// organisation's channels, deliveries and alerts names the organisation, so one never sees another's.
///
/// The outbox gives at-least-once delivery: a delivery is claimed with a lease, sent, then marked delivered. A node that
/// dies between sending and marking leaves the lease to expire, and the delivery is sent again with the same
/// idempotency key (the email's Message-ID, the webhook's delivery id), so a receiver can drop the duplicate.
public protocol OutboxStore: Sendable {
    /// Adds a channel; throws when the organisation already has a channel of that name.
    func addChannel(_ channel: NotificationChannel.Draft, organisationID: Int64) async throws -> NotificationChannel
    func channels(organisationID: Int64) async throws -> [NotificationChannel]
    func removeChannel(id: Int64, organisationID: Int64) async throws -> Bool
    /// Turns a channel on or off; `reason` says why it is off (`unsubscribed by the recipient`).
    func setChannelEnabled(id: Int64, organisationID: Int64, enabled: Bool, reason: String?) async throws -> Bool
    /// Changes when a channel's alerts are sent; alerts held for a digest are released when it becomes immediate.
    func setChannelSchedule(id: Int64, organisationID: Int64, schedule: NotificationChannel.Schedule) async throws -> Bool
    /// Gives a generic webhook channel a new signing secret and returns it; nil when the organisation has no such
    /// webhook channel. Deliveries from then on are signed with the new one.
    func rotateChannelSecret(id: Int64, organisationID: Int64) async throws -> String?
    /// Sends a delivery that failed for good once more, at `now`, keeping its idempotency key (so a receiver can still
    /// tell it from a new one); false when the organisation has no such failed delivery or its channel is turned off.
    func retryDelivery(id: Int64, organisationID: Int64, now: Date) async throws -> Bool
    /// The channel an unsubscribe link names, whatever its organisation: the token is the only credential.
    func channel(unsubscribeToken token: String) async throws -> NotificationChannel?

    /// Queues a test message to a channel now; returns the delivery's id.
    func enqueueTest(channelID: Int64, organisationID: Int64, now: Date) async throws -> Int64
    /// Channels holding alerts for a digest, with the oldest held alert's time and their organisation's digest clock.
    func channelsWithHeldAlerts() async throws -> [HeldChannel]
    /// Folds the channel's alerts held before `boundary` into one digest delivery, unless that digest exists; returns
    /// the number of alerts folded.
    func composeDigest(channelID: Int64, periodEnd boundary: Date, now: Date) async throws -> Int
    /// Claims up to `limit` deliveries due at `now` (pending and due, or sending with an expired lease) for `lease`
    /// seconds, counting the attempt; with `only`, just that delivery if it is due. With `kinds`, only deliveries to
    /// channels of those kinds: a process that cannot send email (no SMTP settings) leaves email deliveries untouched
    /// (not claimed, attempts and next attempt unchanged) for a process that can.
    func claimDeliveries(now: Date, lease: TimeInterval, limit: Int, only: Int64?,
                         kinds: Set<NotificationChannel.Kind>?) async throws -> [ClaimedDelivery]
    /// What a claimed delivery is about: its alerts with their advisories and the organisation's exposed assets.
    func deliveryContent(_ delivery: ClaimedDelivery, cache: AdvisoryCache) async throws -> DeliveryContent
    func markDelivered(deliveryID: Int64, at: Date, detail: String) async throws
    /// Records a failed attempt: retried at `retryAt`, or failed for good when it is nil.
    func markFailed(deliveryID: Int64, error: String, retryAt: Date?) async throws
    /// The outcomes of a batch of attempts, in one transaction.
    func recordOutcomes(_ outcomes: [DeliveryOutcome]) async throws
    /// The organisation's deliveries, newest first, optionally only those with one status.
    func deliveries(organisationID: Int64, status: DeliveryStatus?, limit: Int) async throws -> [DeliveryRecord]

    /// One alert of the organisation, or nil when it has no such alert.
    func alert(id: Int64, organisationID: Int64) async throws -> StoredAlert?
    /// Changes an alert's status, owner, due date or adds a note, recording each change in its history; nil when
    /// the organisation has no such alert.
    func updateAlert(id: Int64, organisationID: Int64, update: AlertUpdate, actor: String, at: Date) async throws -> StoredAlert?
    /// The history of an alert, oldest first; empty for another organisation's alert.
    func alertEvents(alertID: Int64, organisationID: Int64) async throws -> [AlertEvent]
    /// Deliveries of one alert (directly or through a digest).
    func alertDeliveries(alertID: Int64, organisationID: Int64) async throws -> [DeliveryRecord]

    /// The organisation's report settings; nil until some were saved (reports then use their framework's defaults).
    func reportSettings(organisationID: Int64) async throws -> ReportSettings?
    /// Saves the organisation's report settings; throws `StoreError.notFound` when the monthly channel is not one of
    /// the organisation's channels.
    func saveReportSettings(_ settings: ReportSettings, organisationID: Int64, actor: String, at: Date) async throws
    /// Queues the monthly report of the month that ended at `periodEnd` (named `period`, `2026-11`) for every
    /// organisation whose settings name an enabled monthly channel and were saved before `periodEnd`, unless it is
    /// queued already: once per organisation, channel and month, however often and on however many nodes this runs.
    /// Returns the number queued by this call.
    func enqueueMonthlyReports(period: String, periodEnd: Date, now: Date) async throws -> Int
}

extension OutboxStore {
    /// Claims due deliveries to channels of every kind.
    public func claimDeliveries(now: Date, lease: TimeInterval, limit: Int, only: Int64?) async throws -> [ClaimedDelivery] {
        try await claimDeliveries(now: now, lease: lease, limit: limit, only: only, kinds: nil)
    }
}

/// Advisories already read during one delivery pass, so a thousand messages about one advisory parse its document
/// once. Lives for one pass only: a newer revision stored later is read afresh by the next pass.
public final class AdvisoryCache: @unchecked Sendable {
    private let lock = NSLock()
    private var advisories: [String: Advisory] = [:]
    public init() {}

    public func advisory(_ id: String) -> Advisory? { lock.withLock { advisories[id] } }
    public func store(_ advisory: Advisory) { lock.withLock { advisories[advisory.id] = advisory } }
}

/// Where an organisation's alerts go: one email address, or one webhook (generic, Slack or Microsoft Teams).
public struct NotificationChannel: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case email, webhook, slack, teams
    }

    /// When alerts are sent: each at once, or gathered into a digest.
    public enum Schedule: String, Sendable, Codable, CaseIterable {
        case immediate, daily, weekly
    }

    /// What `addChannel` takes.
    public struct Draft: Sendable, Equatable, Codable {
        public var name: String
        public var kind: Kind
        /// The email address or the webhook URL.
        public var target: String
        public var schedule: Schedule
        /// Whether the webhook may go to a private-network, link-local or loopback address (a plant's SIEM on 10.x):
        /// set only by an administrator (`vigil channel add --allow-private-network`). Without it such destinations
        /// are refused, also when a public name resolves to one.
        public var allowPrivateNetwork: Bool
        public init(name: String, kind: Kind, target: String, schedule: Schedule = .immediate, allowPrivateNetwork: Bool = false) {
            self.name = name
            self.kind = kind
            self.target = target
            self.schedule = schedule
            self.allowPrivateNetwork = allowPrivateNetwork
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            kind = try container.decode(Kind.self, forKey: .kind)
            target = try container.decode(String.self, forKey: .target)
            schedule = try container.decodeIfPresent(Schedule.self, forKey: .schedule) ?? .immediate
            allowPrivateNetwork = try container.decodeIfPresent(Bool.self, forKey: .allowPrivateNetwork) ?? false
        }
    }

    public var id: Int64
    public var organisationID: Int64
    public var draft: Draft
    /// The key generic webhooks are signed with (HMAC-SHA256); empty for other kinds.
    public var secret: String
    /// The capability in the unsubscribe link of this channel's emails.
    public var unsubscribeToken: String
    public var enabled: Bool
    public var disabledReason: String?
    public var createdAt: Date

    public var name: String { draft.name }
    public var kind: Kind { draft.kind }
    public var target: String { draft.target }
    /// `email:ops@example.org`: how the channel is written on the command line.
    public var spec: String { "\(kind.rawValue):\(target)" }

    public init(id: Int64, organisationID: Int64, draft: Draft, secret: String, unsubscribeToken: String, enabled: Bool, disabledReason: String? = nil, createdAt: Date) {
        self.id = id
        self.organisationID = organisationID
        self.draft = draft
        self.secret = secret
        self.unsubscribeToken = unsubscribeToken
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.createdAt = createdAt
    }
}

/// Where a delivery is in the outbox.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    /// Due at its next attempt time.
    case pending
    /// Claimed by a dispatcher; back to due when the lease expires without an outcome.
    case sending
    case delivered
    /// Failed for good (a permanent refusal, or retries exhausted); shown in the UI with the reason.
    case failed
    /// Waiting for the channel's next digest.
    case held
    /// Sent as part of a digest (the digest's own delivery says how that went).
    case digested
}

/// What a delivery carries.
public enum DeliveryKind: String, Sendable, Codable {
    /// `report`: the organisation's monthly compliance report (its `periodEnd` ends the month reported).
    case alert, digest, test, report
}

/// How an organisation's compliance reports are made and sent (`/reports`, `vigil report-settings`).
public struct ReportSettings: Sendable, Equatable {
    /// `nerc-cip`, `iec-62443` or `plain`: what reports are read against unless asked otherwise.
    public var framework: String
    /// Days to evaluate per severity over the framework's defaults, `critical=3,high=7`; nil keeps the defaults.
    /// NERC CIP's 35 days are the standard's and not changed by these.
    public var evaluateDays: String?
    /// Days to patch, mitigate or close per severity, likewise.
    public var remediateDays: String?
    /// The channel that receives the month's report on the first of the next month (UTC); nil sends none.
    public var monthlyChannelID: Int64?
    /// When and by whom they were last saved (read back from the store; ignored when saving).
    public var updatedAt: Date?
    public var updatedBy: String?

    public init(framework: String, evaluateDays: String? = nil, remediateDays: String? = nil, monthlyChannelID: Int64? = nil,
                updatedAt: Date? = nil, updatedBy: String? = nil) {
        self.framework = framework
        self.evaluateDays = evaluateDays
        self.remediateDays = remediateDays
        self.monthlyChannelID = monthlyChannelID
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// A delivery claimed for sending.
public struct ClaimedDelivery: Sendable, Equatable {
    public var id: Int64
    public var organisationID: Int64
    public var kind: DeliveryKind
    public var channel: NotificationChannel
    /// Stable across retries: the email's Message-ID and the webhook's delivery id derive from it.
    public var idempotencyKey: String
    /// Attempts so far, this one included.
    public var attempts: Int
    public var createdAt: Date
    /// For a digest, the period it covers.
    public var periodEnd: Date?
    /// The alert it sends; nil for a digest (several alerts) and a test message.
    public var alertID: Int64? = nil

    public init(id: Int64, organisationID: Int64, kind: DeliveryKind, channel: NotificationChannel, idempotencyKey: String, attempts: Int, createdAt: Date, periodEnd: Date? = nil, alertID: Int64? = nil) {
        self.id = id
        self.organisationID = organisationID
        self.kind = kind
        self.channel = channel
        self.idempotencyKey = idempotencyKey
        self.attempts = attempts
        self.createdAt = createdAt
        self.periodEnd = periodEnd
        self.alertID = alertID
    }
}

/// One alert in a delivery, with everything a message about it says.
public struct AlertNotice: Sendable {
    public var alert: StoredAlert
    /// The advisory as stored now (nil only if it is gone).
    public var advisory: Advisory?
    /// The organisation's assets the advisory affects or may affect.
    public var exposures: [ExposureRow]
    public init(alert: StoredAlert, advisory: Advisory?, exposures: [ExposureRow]) {
        self.alert = alert
        self.advisory = advisory
        self.exposures = exposures
    }
}

/// The content of a claimed delivery.
public struct DeliveryContent: Sendable {
    public var organisation: Organisation
    public var notices: [AlertNotice]
    /// The organisation's own base URL for links (`OrganisationSettings.baseURL`); nil uses the server's.
    public var baseURL: String?
    /// The organisation's time zone (IANA name), in which a digest's period is told; nil for UTC.
    public var timeZone: String?
    public init(organisation: Organisation, notices: [AlertNotice], baseURL: String? = nil, timeZone: String? = nil) {
        self.organisation = organisation
        self.notices = notices
        self.baseURL = baseURL
        self.timeZone = timeZone
    }
}

/// A channel with alerts held for its digest (`channelsWithHeldAlerts`).
public struct HeldChannel: Sendable, Equatable {
    public var channel: NotificationChannel
    /// When the oldest held alert was queued.
    public var oldest: Date
    /// The organisation's digest clock: the hour (0–23) in its time zone (IANA name).
    public var timeZone: String
    public var digestHour: Int

    public init(channel: NotificationChannel, oldest: Date, timeZone: String = OrganisationSettings.defaultTimeZone,
                digestHour: Int = OrganisationSettings.defaultDigestHour) {
        self.channel = channel
        self.oldest = oldest
        self.timeZone = timeZone
        self.digestHour = digestHour
    }
}

/// How one delivery attempt ended, for `recordOutcomes`.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered(deliveryID: Int64, at: Date, detail: String)
    /// `retryAt` nil: failed for good.
    case failed(deliveryID: Int64, error: String, retryAt: Date?)

    public var deliveryID: Int64 {
        switch self {
        case .delivered(let id, _, _), .failed(let id, _, _): id
        }
    }
}

/// A delivery as listed in the outbox and on an alert.
public struct DeliveryRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var kind: DeliveryKind
    public var channelName: String
    public var channelSpec: String
    public var alertID: Int64?
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var detail: String?
    public var createdAt: Date
    public var deliveredAt: Date?
    public var idempotencyKey: String

    public init(id: Int64, kind: DeliveryKind, channelName: String, channelSpec: String, alertID: Int64? = nil, status: DeliveryStatus, attempts: Int, nextAttemptAt: Date? = nil, lastError: String? = nil, detail: String? = nil, createdAt: Date, deliveredAt: Date? = nil, idempotencyKey: String) {
        self.id = id
        self.kind = kind
        self.channelName = channelName
        self.channelSpec = channelSpec
        self.alertID = alertID
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.detail = detail
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.idempotencyKey = idempotencyKey
    }
}

/// The alert log's states: an alert is worked from new to one of the three outcomes.
public enum AlertStatus: String, Sendable, Codable, CaseIterable {
    case new, investigating, patched, mitigated
    case notApplicable = "not_applicable"

    public var label: String {
        switch self {
        case .new: "New"
        case .investigating: "Investigating"
        case .patched: "Patched"
        case .mitigated: "Mitigated"
        case .notApplicable: "Not applicable"
        }
    }

    /// Reads `investigating`, `Not applicable`, `not-applicable`.
    public init?(parsing text: String) {
        let key = text.lowercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
        self.init(rawValue: key)
    }
}

/// A change to an alert in the log; nil fields stay as they are, an empty owner or due date clears it.
public struct AlertUpdate: Sendable, Equatable {
    public var status: AlertStatus?
    public var owner: String?
    /// `YYYY-MM-DD`, or empty to clear.
    public var dueDate: String?
    public var note: String?
    public init(status: AlertStatus? = nil, owner: String? = nil, dueDate: String? = nil, note: String? = nil) {
        self.status = status
        self.owner = owner
        self.dueDate = dueDate
        self.note = note
    }
    public var isEmpty: Bool { status == nil && owner == nil && dueDate == nil && note == nil }
}

/// One entry of an alert's history.
public struct AlertEvent: Sendable, Equatable, Codable {
    public var at: Date
    public var actor: String
    /// `status`, `owner`, `due_date`, `note` or `delivery`.
    public var field: String
    public var oldValue: String?
    public var newValue: String?

    public init(at: Date, actor: String, field: String, oldValue: String? = nil, newValue: String? = nil) {
        self.at = at
        self.actor = actor
        self.field = field
        self.oldValue = oldValue
        self.newValue = newValue
    }
}
