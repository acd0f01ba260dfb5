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
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let items = try await store.sources().map { source in
            Item(slug: source.slug, name: source.name, kind: source.kind, url: source.url, enabled: source.enabled,
                 health: source.health, pollInterval: source.effectiveInterval, configuredInterval: source.pollInterval,
                 lastAttempt: source.lastAttempt, lastSuccess: source.lastSuccess, lastError: source.lastError,
                 nextPoll: source.nextPoll, consecutiveFailures: source.consecutiveFailures, unreachableSince: source.failingSince,
                 documentsHeld: source.documentsHeld, documentsQuarantined: source.documentsQuarantined,
                 documentsFailing: source.documentsFailing, mirrors: source.mirrors.count, credentials: source.credentialsVariable != nil)
        }
        return JSONResponse.make(items)
    }
}
