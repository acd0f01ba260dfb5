import CSAF
import Foundation
import Matching
import Storage
import Telemetry

/// Works through the journal of stored advisory revisions and creates one alert per organisation and revision that
/// matters to it. Safe to run again after a crash or on several nodes: alerts are unique by idempotency key, and a
/// journal entry is marked processed only after its alerts are stored.
public struct AlertCreator: Sendable {
    /// A new advisory first published longer ago than this before Vigil stored it is backfill (an import of history,
    /// a new source's archive) and alerts nobody; revisions of it still do.
    public static let backfillAge: TimeInterval = 30 * 24 * 3600

    let store: any AlertStore & OutboxStore
    let planner: AlertPlanner
    /// Where created alerts and their latency are counted (`vigil serve --metrics-port`); nil counts nothing.
    let metrics: VigilMetrics?

    public init(store: any AlertStore & OutboxStore, directory: VendorDirectory = VendorDirectory(), metrics: VigilMetrics? = nil) {
        self.store = store
        self.metrics = metrics
        planner = AlertPlanner(evaluator: WatchEvaluator(directory: directory))
    }

    /// What one pass did.
    public struct Summary: Sendable, Equatable {
        public var changesProcessed = 0
        public var alertsCreated = 0
        public var backfillSkipped = 0
        public init() {}
    }

    /// Processes every pending change.
    public func processPending(batch: Int = 200) async throws -> Summary {
        var summary = Summary()
        // Idle passes (vigil serve runs one every second) cost one indexed query: watches and channels are read only
        // when something is pending.
        guard try await !store.pendingChanges(limit: 1).isEmpty else { return summary }
        let byOrganisation = Dictionary(grouping: try await store.allWatches(), by: \.organisationID)
        if byOrganisation.isEmpty {
            // Nobody watches anything: nothing to read or plan.
            summary.changesProcessed = try await store.discardPendingChanges()
            return summary
        }
        var channels: [Int64: [NotificationChannel]] = [:]
        for organisationID in byOrganisation.keys { channels[organisationID] = try await store.channels(organisationID: organisationID) }
        while true {
            let changes = try await store.pendingChanges(limit: batch)
            if changes.isEmpty { return summary }
            for change in changes {
                try await process(change, watches: byOrganisation, channels: channels, summary: &summary)
                try await store.markProcessed(changeID: change.id)
                summary.changesProcessed += 1
            }
        }
    }

    func process(_ change: AdvisoryChangeRecord, watches: [Int64: [StoredWatch]], channels allChannels: [Int64: [NotificationChannel]],
                 summary: inout Summary) async throws {
        guard !watches.isEmpty else { return }
        if change.previous == nil, let published = change.current.initialReleaseDate ?? change.current.currentReleaseDate,
           change.recordedAt.timeIntervalSince(published) > Self.backfillAge {
            summary.backfillSkipped += 1
            return
        }
        let (kev, exposed) = try await store.alertContext(advisoryID: change.current.id)
        var drafts: [StoredAlert.Draft] = []
        for (organisationID, stored) in watches.sorted(by: { $0.key < $1.key }) {
            let channels = allChannels[organisationID] ?? []
            // A watch alerts for what is stored after it was made, never retroactively.
            let active = stored.filter { $0.createdAt <= change.recordedAt }.compactMap(Self.watch)
            guard !active.isEmpty else { continue }
            let context = AdvisoryContext(knownExploitedCVEs: kev, exposedAssets: exposed[organisationID] ?? 0)
            guard let plan = planner.plan(organisationID: organisationID, previous: change.previous, current: change.current,
                                          watches: active, context: context,
                                          knownExploitedAdded: change.knownExploitedAdded) else { continue }
            let labels = Dictionary(uniqueKeysWithValues: active.map { ($0.id, $0.rule.label) })
            let notify = Dictionary(uniqueKeysWithValues: stored.map { ($0.id, $0.draft.notify) })
            let channelIDs = plan.matches.flatMap { Self.channels(for: notify[$0.watchID] ?? "", among: channels).map(\.id) }
            drafts.append(StoredAlert.Draft(
                organisationID: organisationID, advisoryID: plan.advisoryID, advisoryVersion: plan.advisoryVersion,
                idempotencyKey: plan.idempotencyKey, changes: plan.changes,
                matches: plan.matches.map { AlertMatch(watchID: $0.watchID, watch: labels[$0.watchID] ?? "", reason: $0.reason) },
                channelIDs: Array(Set(channelIDs)).sorted()))
        }
        // One transaction for every organisation this revision alerts.
        guard !drafts.isEmpty else { return }
        let created = try await store.createAlerts(drafts).filter { $0 }.count
        summary.alertsCreated += created
        if let metrics, created > 0 {
            let reason: VigilMetrics.AlertReason = !change.knownExploitedAdded.isEmpty ? .knownExploited
                : change.previous == nil ? .newAdvisory : .revision
            // A KEV listing of an old advisory is news now, but its publication is no measure of Vigil's delay.
            let published = change.current.currentReleaseDate ?? change.recordedAt
            let latency = reason == .knownExploited ? nil : Date().timeIntervalSince(published)
            for _ in 0..<created { metrics.alertCreated(reason, latency: latency) }
        }
    }

    /// The enabled channels a watch notifies: those its `notify` names (by channel name or by spec such as
    /// `email:ops@example.org`), or every enabled channel of the organisation when it names none.
    public static func channels(for notify: String, among channels: [NotificationChannel]) -> [NotificationChannel] {
        let enabled = channels.filter(\.enabled)
        let names = notify.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { return enabled }
        return enabled.filter { channel in
            names.contains { $0 == channel.name || $0.lowercased() == channel.spec.lowercased() }
        }
    }

    /// The rule of a stored watch; nil for a kind this version does not know (kept, never guessed at).
    public static func watch(_ stored: StoredWatch) -> Watch? {
        let value = stored.draft.value
        let rule: Watch.Rule
        switch stored.draft.kind {
        case "vendor": rule = .vendor(value)
        case "product": rule = .product(value)
        case "sector": rule = .sector(value)
        case "publisher": rule = .publisher(value)
        case "min_cvss":
            guard let score = Double(value) else { return nil }
            rule = .minimumCVSS(score)
        case "kev": rule = .knownExploited
        case "keyword": rule = .keyword(value)
        case "assets": rule = .assets
        default: return nil
        }
        return Watch(id: stored.id, rule: rule, minimumSeverity: stored.draft.minimumSeverity)
    }
}
