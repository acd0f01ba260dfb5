import CSAF
import Foundation
import Storage

/// A publisher without a machine-readable feed, shown on the Sources page as such.
public struct SourceWithoutFeed: Sendable {
    public var name: String
    public var page: String
    public var note: String
    public init(name: String, page: String, note: String) {
        self.name = name
        self.page = page
        self.note = note
    }
}

/// The Sources page: each source with its last success, last error, documents held and quarantined, next poll, and
/// how much earlier its publisher publishes than the others (`SourceLeadTimes`).
struct SourcesPageView {
    struct Failure {
        let url: String
        let status: String
        let reason: String
    }

    struct Row {
        let name: String
        let slug: String
        let url: String
        let stateLabel: String
        let stateClass: String
        /// "since …, N failed polls" for an unreachable source.
        let stateDetail: String?
        let isAggregator: Bool
        let lastSuccess: String
        let lastError: String?
        let held: String
        let quarantined: String
        let failing: String
        let nextPoll: String
        let interval: String
        let failures: [Failure]
        let hasFailures: Bool
        /// "Siemens ProductCERT: median 2 days earlier than CISA, first in 70 of 76 pairs", when the source is tied to
        /// a publisher with linked pairs.
        let lead: String?
        /// The latest check against CSAF 2.0 §7: its one-line summary and when it ran.
        let quality: String?
        let qualityChecked: String
        /// "18 Integrity: …" per failed requirement.
        let qualityFailures: [String]
        let hasQualityFailures: Bool
    }

    /// One publisher's line in "Lead time by publisher".
    struct LeadRow {
        let publisher: String
        let pairs: String
        let first: String
        let sameDay: String
        let later: String
        let median: String
        /// "earlier", "later" or "same": the median's direction, for its class.
        let direction: String
        let others: String
    }

    struct Unfed {
        let name: String
        let page: String
        let note: String
    }

    let pageTitle = "Sources"
    let text = ""
    let rows: [Row]
    let hasRows: Bool
    let enabledCount: String
    let total: String
    let withoutFeed: [Unfed]
    let hasWithoutFeed: Bool
    let leadRows: [LeadRow]
    let hasLeadRows: Bool
    /// The viewer administers the installation: a link to manage the sources.
    var canManage = false

    init(sources: [SourceRecord], failures: [String: [RemoteDocumentState]], withoutFeed: [SourceWithoutFeed],
         leadTimes: SourceLeadTimes = .none, now: Date = Date()) {
        func failedRequirements(_ quality: SourceQuality?) -> [String] {
            guard let json = quality?.report, let report = ProviderCheckReport.decode(json) else { return [] }
            return report.failed.map { "\($0.number) \($0.title): \($0.reason)" }
        }
        rows = sources.map { source in
            let stateLabel: String
            let stateClass: String
            var stateDetail: String?
            switch source.health {
            case .disabled: (stateLabel, stateClass) = ("disabled", "state-disabled")
            case .pending: (stateLabel, stateClass) = ("not synced yet", "state-pending")
            case .ok: (stateLabel, stateClass) = ("ok", "state-ok")
            case .degraded: (stateLabel, stateClass) = ("needs attention", "state-error")
            case .unreachable:
                (stateLabel, stateClass) = ("unreachable", "state-error")
                let polls = "\(source.consecutiveFailures) failed poll\(source.consecutiveFailures == 1 ? "" : "s")"
                stateDetail = (Format.dateTime(source.failingSince).map { "since \($0), " } ?? "") + polls
            }
            let failing = (failures[source.slug] ?? []).map {
                Failure(url: $0.url, status: $0.status.rawValue, reason: $0.detail ?? "")
            }
            return Row(name: source.name, slug: source.slug, url: source.url, stateLabel: stateLabel, stateClass: stateClass,
                       stateDetail: stateDetail, isAggregator: source.kind == .aggregator,
                       lastSuccess: Format.dateTime(source.lastSuccess) ?? "never",
                       lastError: source.lastError,
                       held: source.documentsHeld.formatted(), quarantined: source.documentsQuarantined.formatted(),
                       failing: source.documentsFailing.formatted(),
                       nextPoll: source.enabled ? (Format.dateTime(source.nextPoll).map { source.health == .unreachable ? "next try \($0) (backing off)" : $0 }
                                                   ?? "as soon as the scheduler runs") : "not polled",
                       interval: source.intervalDescription,
                       failures: failing, hasFailures: !failing.isEmpty,
                       lead: leadTimes.leadTime(source: source.slug).map(Self.sentence),
                       quality: source.quality?.summary, qualityChecked: Format.dateTime(source.quality?.checkedAt) ?? "",
                       qualityFailures: failedRequirements(source.quality), hasQualityFailures: !failedRequirements(source.quality).isEmpty)
        }
        hasRows = !sources.isEmpty
        enabledCount = sources.filter(\.enabled).count.formatted()
        total = sources.count.formatted()
        self.withoutFeed = withoutFeed.map { Unfed(name: $0.name, page: $0.page, note: $0.note) }
        hasWithoutFeed = !withoutFeed.isEmpty
        leadRows = leadTimes.publishers.map { lead in
            LeadRow(publisher: lead.publisher, pairs: lead.pairs.formatted(), first: lead.first.formatted(),
                    sameDay: lead.sameDay.formatted(), later: lead.later.formatted(), median: lead.medianInWords,
                    direction: lead.medianLeadDays > 0 ? "earlier" : lead.medianLeadDays < 0 ? "later" : "same",
                    others: lead.others.joined(separator: ", "))
        }
        hasLeadRows = !leadRows.isEmpty
    }

    /// "Siemens ProductCERT: median 2 days earlier than CISA, first in 70 of 76 pairs".
    static func sentence(_ lead: PublisherLeadTime) -> String {
        let others = lead.others.count <= 2 ? lead.others.joined(separator: " and ") : "\(lead.others.count) other publishers"
        let median = lead.medianLeadDays == 0 ? "median same day as \(others)" : "median \(lead.medianInWords) than \(others)"
        return "\(lead.publisher): \(median), first in \(lead.first.formatted()) of \(lead.pairs.formatted()) pair\(lead.pairs == 1 ? "" : "s")"
    }
}

/// The Quarantine page: documents kept aside, with the check that failed and why.
struct QuarantinePageView {
    struct Row {
        let code: String
        let advisoryID: String?
        let origin: String
        let reason: String
        /// What to do about it, by its code.
        let advice: String
        let seen: String
    }
    let pageTitle = "Quarantine"
    let text = ""
    let rows: [Row]
    let hasRows: Bool
    let count: String

    init(entries: [QuarantinedDocument]) {
        rows = entries.map { Row(code: $0.code.rawValue, advisoryID: $0.advisoryID, origin: $0.origin, reason: $0.reason,
                                 advice: $0.code.advice, seen: Format.dateTime($0.detectedAt) ?? "") }
        hasRows = !entries.isEmpty
        count = entries.count.formatted()
    }
}
