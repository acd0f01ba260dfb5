import CSAF
import Foundation
import Hummingbird
import Storage

/// `GET /api/v1/sources`: the sources Vigil follows and how each is doing, as `/sources` shows them: healthy, backing
/// off ("unreachable since …, next try …, last error …"), or disabled, with the interval in force.
struct SourcesAPIController<Context: RequestContext>: Sendable {
    let store: any SourceStateStore

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/sources", use: list)
        return routes
    }

    struct Item: Encodable {
        let slug: String
        let name: String
        let kind: SourceRecord.Kind
        let url: String
        let enabled: Bool
        let health: SourceRecord.Health
        /// Seconds between polls in force, and the configured one (they differ under `vigil serve --poll-interval`).
        let pollInterval: Int
        let configuredInterval: Int
        let lastAttempt: Date?
        let lastSuccess: Date?
        let lastError: String?
        let nextPoll: Date?
        /// Syncs in a row that could not run, and since when.
        let consecutiveFailures: Int
        let unreachableSince: Date?
        let documentsHeld: Int
        let documentsQuarantined: Int
        let documentsFailing: Int
        let mirrors: Int
        /// Whether the source sends credentials (the variable's name is not shown).
        let credentials: Bool
        /// The latest check against CSAF 2.0 §7 (`vigil check-provider --source`, or "Check" on /settings/sources).
        let quality: Quality?
    }

    struct Quality: Encodable {
        let checkedAt: Date
        /// The highest role met, absent when none is.
        let role: String?
        let summary: String
        let report: ProviderCheckReport?
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let items = try await store.sources().map { source in
            Item(slug: source.slug, name: source.name, kind: source.kind, url: source.url, enabled: source.enabled,
                 health: source.health, pollInterval: source.effectiveInterval, configuredInterval: source.pollInterval,
                 lastAttempt: source.lastAttempt, lastSuccess: source.lastSuccess, lastError: source.lastError,
                 nextPoll: source.nextPoll, consecutiveFailures: source.consecutiveFailures, unreachableSince: source.failingSince,
                 documentsHeld: source.documentsHeld, documentsQuarantined: source.documentsQuarantined,
                 documentsFailing: source.documentsFailing, mirrors: source.mirrors.count, credentials: source.credentialsVariable != nil,
                 quality: source.quality.map { Quality(checkedAt: $0.checkedAt, role: $0.role, summary: $0.summary, report: ProviderCheckReport.decode($0.report)) })
        }
        return JSONResponse.make(items)
    }
}
