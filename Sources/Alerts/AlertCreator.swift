import CSAF
import Foundation
import Matching
import Revisions
import Storage
import Telemetry

/// What alert creation reads: the journal and alerts, the outbox's channels, the advisories another publisher
/// republished, and the organisations' assets.
public typealias AlertingStore = AlertStore & OutboxStore & AdvisoryStore & AssetStore

/// Works through the journal of stored advisory revisions and creates one alert per organisation and revision that
/// matters to it. Safe to run again after a crash or on several nodes: alerts are unique by idempotency key, and a
/// journal entry is marked processed only after its alerts are stored.
public struct AlertCreator: Sendable {
    /// A new advisory first published longer ago than this before Vigil stored it is backfill (an import of history,
    /// a new source's archive) and alerts nobody; revisions of it still do.
    public static let backfillAge: TimeInterval = 30 * 24 * 3600

    let store: any AlertingStore
    let planner: AlertPlanner
    let directory: VendorDirectory
    /// Where created alerts and their latency are counted (`vigil serve --metrics-port`); nil counts nothing.
    let metrics: VigilMetrics?

    public init(store: any AlertingStore, directory: VendorDirectory = VendorDirectory(), metrics: VigilMetrics? = nil) {
        self.store = store
        self.metrics = metrics
        self.directory = directory
        planner = AlertPlanner(evaluator: WatchEvaluator(directory: directory))
    }

    /// What one pass did.
    public struct Summary: Sendable, Equatable {
        public var changesProcessed = 0
        public var alertsCreated = 0
        public var backfillSkipped = 0
        /// Another publisher's advisory of vulnerabilities an organisation was alerted to already, with nothing new for
        /// it: noted on the earlier alert instead of alerting again (one per organisation).
        public var republicationsNoted = 0
        /// Revisions whose changes touch none of an organisation's assets, where only its asset inventory matched.
        public var unchangedForAssets = 0
        /// Notes added to alerts whose exposures a VEX document closed.
        public var vexClosuresNoted = 0
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
        var pass = Pass(store: store, directory: directory)
        while true {
            let changes = try await store.pendingChanges(limit: batch)
            if changes.isEmpty { return summary }
            for change in changes {
                try await process(change, watches: byOrganisation, channels: channels, pass: &pass, summary: &summary)
                try await store.markProcessed(changeID: change.id)
                summary.changesProcessed += 1
            }
        }
    }

    /// What one pass reads once and keeps: each organisation's assets, indexed (read when first needed), and the
    /// advisories that republications are compared with.
    struct Pass {
        let store: any AlertingStore
        let directory: VendorDirectory
        var calculator: ExposureCalculator?
        var assets: [Int64: AssetImpact.Assets?] = [:]
        var advisories: [String: Advisory?] = [:]

        /// The organisation's assets, indexed; nil when it has none.
        mutating func assets(_ organisationID: Int64) async throws -> AssetImpact.Assets? {
            if let held = assets[organisationID] { return held }
            let stored = try await store.assets(organisationID: organisationID)
            var indexed: AssetImpact.Assets?
            if !stored.isEmpty {
                if calculator == nil {
                    // The deployment's vendor aliases, as the store's exposures use them.
                    let aliases = try await store.vendorAliases()
                    calculator = ExposureCalculator(directory: aliases.isEmpty ? directory : VendorDirectory(custom: aliases))
                }
                indexed = AssetImpact.Assets(stored.map { ($0.id, $0.asset) }, calculator: calculator!)
            }
            assets[organisationID] = indexed
            return indexed
        }

        mutating func advisory(_ id: String) async throws -> Advisory? {
            if let held = advisories[id] { return held }
            let advisory = try await store.advisory(id: id)?.advisory
            advisories[id] = advisory
            return advisory
        }
    }

    func process(_ change: AdvisoryChangeRecord, watches: [Int64: [StoredWatch]], channels allChannels: [Int64: [NotificationChannel]],
                 summary: inout Summary) async throws {
        var pass = Pass(store: store, directory: directory)
        try await process(change, watches: watches, channels: allChannels, pass: &pass, summary: &summary)
    }

    func process(_ change: AdvisoryChangeRecord, watches: [Int64: [StoredWatch]], channels allChannels: [Int64: [NotificationChannel]],
                 pass: inout Pass, summary: inout Summary) async throws {
        guard !watches.isEmpty else { return }
        // Before the backfill rule: an old VEX document imported today still closes exposures today.
        if change.current.category == "csaf_vex" {
            try await noteVEXClosures(change, organisations: watches.keys.sorted(), summary: &summary)
        }
        if change.previous == nil, let published = change.current.initialReleaseDate ?? change.current.currentReleaseDate,
           change.recordedAt.timeIntervalSince(published) > Self.backfillAge {
            summary.backfillSkipped += 1
            return
        }
        let (kev, exposed) = try await store.alertContext(advisoryID: change.current.id)
        // A new advisory that is another publisher's of vulnerabilities already stored (a strong link: one names the
        // other, or the same CVEs of the same vendor): organisations alerted to that one hear of this one only when it
        // brings something new for them.
        var republished: [AdvisoryLink] = []
        var earlierAlerts: [Int64: [StoredAlert]] = [:]
        // A VEX document is no republication of the advisories of its CVEs: what it closes is noted above.
        if change.previous == nil, change.knownExploitedAdded.isEmpty, change.current.category != "csaf_vex" {
            republished = try await store.related(advisoryID: change.current.id).filter { $0.strength == .strong }
            if !republished.isEmpty {
                earlierAlerts = Dictionary(grouping: try await store.alerts(advisoryIDs: republished.map(\.id)), by: \.draft.organisationID)
            }
        }
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
            var changes = plan.changes
            if let earlier = earlierAlerts[organisationID]?.first,
               let link = republished.first(where: { $0.id == earlier.draft.advisoryID }),
               let original = try await pass.advisory(link.id) {
                let note = Self.republicationNote(change.current, original: original, link: link)
                let news = Self.republicationNews(change.current, original: original,
                                                  assets: try await pass.assets(organisationID))
                if news.isEmpty {
                    // Noted once on the earliest alert, however often this change is processed.
                    let events = try await store.alertEvents(alertID: earlier.id, organisationID: organisationID)
                    if !events.contains(where: { $0.field == "note" && $0.newValue == note }) {
                        _ = try await store.updateAlert(id: earlier.id, organisationID: organisationID, update: AlertUpdate(note: note),
                                                        actor: "Vigil", at: change.recordedAt)
                    }
                    summary.republicationsNoted += 1
                    continue
                }
                changes = [note] + news
            } else if change.previous != nil, change.knownExploitedAdded.isEmpty, let assets = try await pass.assets(organisationID) {
                let impact = AssetImpact.between(change.previous, change.current, assets: assets)
                // Only the inventory matched and the revision's news is products none of the assets is among: nothing
                // for this organisation. Other news (a higher score, a fix, a new CVE) still alerts.
                let onlyAssets = plan.matches.allSatisfy { match in active.first { $0.id == match.watchID }?.rule == .assets }
                if onlyAssets, impact.isUnchanged, changes.allSatisfy(AdvisoryChange.isProductChange) {
                    summary.unchangedForAssets += 1
                    continue
                }
                changes.append(impact.summary)
            }
            let labels = Dictionary(uniqueKeysWithValues: active.map { ($0.id, $0.rule.label) })
            let notify = Dictionary(uniqueKeysWithValues: stored.map { ($0.id, $0.draft.notify) })
            let channelIDs = plan.matches.flatMap { Self.channels(for: notify[$0.watchID] ?? "", among: channels).map(\.id) }
            drafts.append(StoredAlert.Draft(
                organisationID: organisationID, advisoryID: plan.advisoryID, advisoryVersion: plan.advisoryVersion,
                idempotencyKey: plan.idempotencyKey, changes: changes,
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

    /// A VEX document that closed exposures (its `known_not_affected` products, see `VEXOverlay`): the alert log of
    /// each advisory whose exposure it closed says so, once, with the assets and the VEX document's justification.
    func noteVEXClosures(_ change: AdvisoryChangeRecord, organisations: [Int64], summary: inout Summary) async throws {
        let marker = "\(change.current.id) (VEX by "
        for organisationID in organisations {
            let closed = try await store.exposures(organisationID: organisationID, filter: ExposureFilter(includeNotAffected: true, limit: 100_000))
                .filter { $0.exposure.status == .notAffected && $0.exposure.reason.contains("closed by VEX: ") && $0.exposure.reason.contains(marker) }
            guard !closed.isEmpty else { continue }
            let alerts = try await store.alerts(advisoryIDs: Array(Set(closed.map(\.exposure.advisoryID))))
                .filter { $0.draft.organisationID == organisationID }
            for (advisoryID, rows) in Dictionary(grouping: closed, by: \.exposure.advisoryID).sorted(by: { $0.key < $1.key }) {
                // The latest alert of that advisory for this organisation carries the note.
                guard let alert = alerts.filter({ $0.draft.advisoryID == advisoryID }).max(by: { $0.id < $1.id }) else { continue }
                let names = rows.map { AssetImpact.Assets.name($0.asset) }
                let reason = rows[0].exposure.reason
                let said = reason.range(of: "closed by VEX: ").map { String(reason[$0.upperBound...]) } ?? reason
                let note = "exposure closed by VEX for \(names.count) asset\(names.count == 1 ? "" : "s") (\(AdvisoryChange.named(names))): \(said)"
                let events = try await store.alertEvents(alertID: alert.id, organisationID: organisationID)
                if !events.contains(where: { $0.field == "note" && $0.newValue == note }) {
                    _ = try await store.updateAlert(id: alert.id, organisationID: organisationID, update: AlertUpdate(note: note),
                                                    actor: "Vigil", at: change.recordedAt)
                    summary.vexClosuresNoted += 1
                }
            }
        }
    }

    /// `republished by CISA as ICSA-24-046-15 (7 days later)`, or `also published by Siemens ProductCERT as SSA-116924
    /// (7 days earlier)` when the one arriving second was published first.
    static func republicationNote(_ current: Advisory, original: Advisory, link: AdvisoryLink) -> String {
        var days: Int?
        if let published = current.initialReleaseDate, let first = original.initialReleaseDate ?? link.initialReleaseDate {
            days = Int((published.timeIntervalSince(first) / 86_400).rounded())
        }
        let later = (days ?? 0) >= 0
        var note = "\(later ? "republished" : "also published") by \(current.publisher.name) as \(current.id)"
        if let days {
            let count = abs(days)
            note += count == 0 ? " (the same day)" : " (\(count) day\(count == 1 ? "" : "s") \(later ? "later" : "earlier"))"
        }
        return note
    }

    /// What a republication brings that the advisory an organisation was alerted to did not, for that organisation:
    /// assets it affects that the original did not, a fix where the original had none, a higher severity.
    static func republicationNews(_ current: Advisory, original: Advisory, assets: AssetImpact.Assets?) -> [String] {
        var news: [String] = []
        if let assets {
            let impact = AssetImpact.between(original, current, assets: assets)
            if !impact.newlyAffected.isEmpty {
                news.append("affects \(impact.newlyAffected.count) of your assets the original did not " +
                            "(\(AdvisoryChange.named(impact.newlyAffected)))")
            }
        }
        let fix = Remediation.Category.vendorFix.rawValue
        if !original.remediations.contains(where: { $0.category == fix }), current.remediations.contains(where: { $0.category == fix }) {
            news.append("a fix is now available")
        }
        if current.severity > original.severity {
            news.append("severity raised to \(current.severity.rawValue) from \(original.severity.rawValue)"
                        + (current.highestScore.map { " (CVSS \($0.score))" } ?? ""))
        }
        return news
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
