import CSAF
import Foundation
import Hummingbird
import Storage

/// The dashboard (`/dashboard`: charts, each with its numbers) and "What to patch first" (`/exposures/priorities`).
struct DashboardController<Context: ViewerRequestContext>: Sendable {
    let store: any ServedStore
    let renderer: TemplateRenderer
    let cache: PageCache
    let generation: GenerationClock
    let scope: OrganisationScope

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/dashboard", use: dashboard)
        routes.get("/exposures/priorities", use: priorities)
        return routes
    }

    /// Signed out (or without an organisation): the instance-wide advisories chart only, never organisation data.
    @Sendable func dashboard(_ request: Request, context: Context) async throws -> Response {
        let organisation = try await scope.organisation(request, viewer: context.viewer, signInRequired: false)
        // Keyed by the day as well: alert ages and the months shown move with time, not only with the store.
        let day = Timestamp.formatDay(Date())
        return try await cached("/dashboard?day=" + day, organisation: organisation) {
            let view = try await DashboardPageView.load(store: store, organisation: organisation, now: Date())
            return try renderer.render(view, template: "dashboard")
        }
    }

    @Sendable func priorities(_ request: Request, context: Context) async throws -> Response {
        let organisation = try await scope.organisation(request, viewer: context.viewer, signInRequired: true)
        let day = Timestamp.formatDay(Date())
        return try await cached("/exposures/priorities?day=" + day, organisation: organisation) {
            guard let organisation else {
                return try renderer.render(PatchPriorityPageView(organisation: nil, priority: .init(candidates: [], now: Date()), titles: [:]),
                                           template: "priorities")
            }
            return try renderer.render(try await PatchPriorityPageView.load(store: store, organisation: organisation, now: Date()),
                                       template: "priorities")
        }
    }

    /// As `PagesController.cached`: one rendering per page (and organisation) until the store changes.
    func cached(_ page: String, organisation: Organisation?, render: @escaping @Sendable () async throws -> String) async throws -> Response {
        let key = (organisation.map { "\($0.id)|" } ?? "") + page
        let generation = try await self.generation.current()
        if let body = cache.get(key, generation: generation) { return HTMLResponse.make(body) }
        return HTMLResponse.make(try await cache.body(key, generation: generation) { ByteBuffer(string: try await render()) })
    }
}
