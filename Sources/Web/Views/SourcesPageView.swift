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

/// The Sources page: each source with its last success, last error, documents held and quarantined, next poll.
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

    init(sources: [SourceRecord], failures: [String: [RemoteDocumentState]], withoutFeed: [SourceWithoutFeed], now: Date = Date()) {
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
                       failures: failing, hasFailures: !failing.isEmpty)
        }
        hasRows = !sources.isEmpty
        enabledCount = sources.filter(\.enabled).count.formatted()
        total = sources.count.formatted()
        self.withoutFeed = withoutFeed.map { Unfed(name: $0.name, page: $0.page, note: $0.note) }
        hasWithoutFeed = !withoutFeed.isEmpty
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
