import CSAF
import Foundation
import Storage

/// What a watch would have matched among recent advisories, so a noisy watch can be tuned before it is saved: the
/// advisories released (or revised) in the last `days`, newest first, judged exactly as alert creation judges them
/// (`WatchEvaluator`, with the KEV catalogue and the organisation's exposures as they are now).
public struct WatchPreview: Sendable, Equatable {
    public struct Example: Sendable, Equatable {
        public var advisoryID: String
        public var title: String
        public var reason: String
    }

    /// Advisories the watch matched.
    public var matched: Int
    /// Advisories of the period looked at.
    public var examined: Int
    /// True when the period held more advisories than `limit`: the counts cover the newest `limit`.
    public var truncated: Bool
    /// The newest matches, at most `exampleLimit`.
    public var examples: [Example]
    public var days: Int

    /// Looks at the advisories released since `days` before `now`, at most `limit` of them, newest first.
    public static func run(_ watch: Watch, organisationID: Int64, store: any AlertingStore, days: Int = 90, now: Date = Date(),
                           limit: Int = 2_000, exampleLimit: Int = 5, evaluator: WatchEvaluator = WatchEvaluator()) async throws -> WatchPreview {
        let since = now.addingTimeInterval(-Double(days) * 86_400)
        var preview = WatchPreview(matched: 0, examined: 0, truncated: false, examples: [], days: days)
        var page = 1
        pages: while true {
            let result = try await store.search(AdvisoryQuery(page: page, perPage: 500))
            for summary in result.items {
                guard let released = summary.currentReleaseDate ?? summary.initialReleaseDate, released >= since else { break pages }
                guard preview.examined < limit else {
                    preview.truncated = true
                    break pages
                }
                preview.examined += 1
                guard let advisory = try await store.advisory(id: summary.id)?.advisory else { continue }
                let context = try await store.alertContext(advisoryID: summary.id)
                let matches = evaluator.matches([watch], advisory: advisory,
                                                context: AdvisoryContext(knownExploitedCVEs: context.knownExploited,
                                                                         exposedAssets: context.exposedAssets[organisationID] ?? 0))
                guard let match = matches.first else { continue }
                preview.matched += 1
                if preview.examples.count < exampleLimit {
                    preview.examples.append(Example(advisoryID: advisory.id, title: advisory.title, reason: match.reason))
                }
            }
            if result.items.count < 500 { break }
            page += 1
        }
        return preview
    }
}
