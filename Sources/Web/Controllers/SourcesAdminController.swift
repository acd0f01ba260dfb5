import CSAF
import Foundation
import Hummingbird
import Storage

/// `/settings/sources`, for instance administrators (the first user, or one made so with `vigil users add …
/// --instance-admin`): every source with its health; add a provider by URL or domain, or an aggregator, after seeing
/// what discovery found; enable, disable, remove; sync now and see how it went. What `vigil sources` does.
struct SourcesAdminController<Context: ViewerRequestContext>: Sendable {
    let store: any ServedStore
    let renderer: TemplateRenderer
    /// Discovery and syncing (`vigil serve` gives `Sources`' implementation); nil: the page lists and toggles only.
    let administration: (any SourceAdministration)?

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/settings/sources", use: page)
        routes.post("/settings/sources/lookup", use: lookup)
        routes.post("/settings/sources/add", use: add)
        routes.post("/settings/sources/{slug}/{action}", use: act)
        return routes
    }

    func administrator(_ request: Request, _ context: Context) throws -> Viewer {
        guard let viewer = context.viewer, viewer.csrfToken != nil else { throw SignIn.redirect(from: request) }
        guard viewer.user.instanceAdmin else {
            throw HTTPError(.forbidden, message: "The sources of this installation are managed by its instance administrators (the first user, or one made so with vigil users add … --instance-admin).")
        }
        return viewer
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let viewer = try administrator(request, context)
        let notice: String? = switch request.uri.queryParameters.get("done") {
        case "enabled": "The source is enabled: it is polled from now on."
        case "disabled": "The source is disabled: kept, not polled."
        case "removed": "The source is removed; its documents stay."
        default: nil
        }
        return try await render(viewer: viewer, notice: notice)
    }

    func render(viewer: Viewer, target: String = "", allowPrivateNetwork: Bool = false, error: String? = nil, notice: String? = nil,
                found: DiscoveredSource? = nil, outcome: SourceSyncOutcome? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let sources = try await store.sources()
        let view = SourcesAdminView(csrf: viewer.csrfToken ?? "", sources: sources, target: target, allowPrivateNetwork: allowPrivateNetwork,
                                    error: error, notice: notice, found: found, outcome: outcome, canFetch: administration != nil)
        return HTMLResponse.make(try renderer.render(view, template: "sources-admin"), status: status)
    }

    func fields(_ context: Context) -> (target: String, allowPrivateNetwork: Bool) {
        let form = context.form ?? FormFields()
        return ((form["target"] ?? "").trimmingCharacters(in: .whitespaces), form["allow_private_network"] == "on")
    }

    /// Step one of adding: what discovery finds at the URL or domain, with a button to follow it. Nothing is saved.
    @Sendable func lookup(_ request: Request, context: Context) async throws -> Response {
        let viewer = try administrator(request, context)
        let (target, allow) = fields(context)
        guard let administration else { return try await render(viewer: viewer, error: Self.noFetching, status: .serviceUnavailable) }
        guard !target.isEmpty else {
            return try await render(viewer: viewer, error: "Give a provider-metadata.json URL, a domain (example.com) or an aggregator.json URL.", status: .badRequest)
        }
        do {
            let found = try await administration.discover(target, allowPrivateNetwork: allow)
            return try await render(viewer: viewer, target: target, allowPrivateNetwork: allow, found: found)
        } catch {
            return try await render(viewer: viewer, target: target, allowPrivateNetwork: allow, error: "\(error)", status: .badRequest)
        }
    }

    /// Step two: discovery again (what the page showed is not taken on trust), then the sources saved.
    @Sendable func add(_ request: Request, context: Context) async throws -> Response {
        let viewer = try administrator(request, context)
        let (target, allow) = fields(context)
        guard let administration else { return try await render(viewer: viewer, error: Self.noFetching, status: .serviceUnavailable) }
        do {
            let found = try await administration.discover(target, allowPrivateNetwork: allow)
            let added = try await administration.add(found, allowPrivateNetwork: allow, enabled: true)
            let text = added.isEmpty ? "\(found.name) is followed already: nothing was added."
                : found.isAggregator ? "\(found.name) lists \(found.providers.count) providers; \(added.count) not followed yet were added and are polled from now on."
                : "\(found.name) is added as \(added[0].slug) and is polled from now on; sync it now to fetch its advisories at once."
            return try await render(viewer: viewer, notice: text)
        } catch {
            return try await render(viewer: viewer, target: target, allowPrivateNetwork: allow, error: "\(error)", status: .badRequest)
        }
    }

    /// `POST /settings/sources/{slug}/enable|disable|remove|sync|check`.
    @Sendable func act(_ request: Request, context: Context) async throws -> Response {
        let viewer = try administrator(request, context)
        let slug = try context.parameters.require("slug")
        guard var source = try await store.source(slug: slug) else { throw HTTPError(.notFound, message: "There is no source \(slug).") }
        switch try context.parameters.require("action") {
        case "enable", "disable":
            source.enabled = context.parameters.get("action") == "enable"
            if source.enabled { source.nextPoll = nil }
            try await store.saveSource(source)
            return Redirect.to("/settings/sources?done=\(source.enabled ? "enabled" : "disabled")")
        case "remove":
            _ = try await store.removeSource(slug: slug)
            return Redirect.to("/settings/sources?done=removed")
        case "sync":
            guard let administration else { return try await render(viewer: viewer, error: Self.noFetching, status: .serviceUnavailable) }
            let outcome = try await administration.sync(slug: slug)
                ?? SourceSyncOutcome(text: "\(source.name) is being synced by a node right now; its outcome shows here when it is done.", failed: false)
            return try await render(viewer: viewer, outcome: outcome)
        case "check":
            guard let administration else { return try await render(viewer: viewer, error: Self.noFetching, status: .serviceUnavailable) }
            guard source.kind != .kev else {
                return try await render(viewer: viewer, outcome: SourceSyncOutcome(text: "\(source.name) is a catalogue, not a CSAF provider: there is nothing to check.", failed: true))
            }
            return try await render(viewer: viewer, outcome: try await administration.check(slug: slug))
        default:
            throw HTTPError(.notFound, message: "There is no such thing to do with a source.")
        }
    }

    static var noFetching: String { "This server process does not fetch from providers (vigil serve does); use vigil sources add and vigil sources sync on the server." }
}

/// The sources administration page.
struct SourcesAdminView {
    struct Row {
        let slug: String
        let name: String
        let kind: String
        let url: String
        let enabled: Bool
        let lastSuccess: String
        let lastError: String?
        let backoff: String?
        let documentsHeld: Int
        let quarantined: Int
        /// "meets provider (claims trusted provider); … (checked …)": the latest check against CSAF 2.0 §7.
        let quality: String?
        /// A provider or aggregator (a catalogue has no §7 to check).
        let checkable: Bool
    }

    struct Found {
        let name: String
        let url: String
        let isAggregator: Bool
        let providers: [String]
        let providerCount: Int
    }

    let pageTitle = "Manage sources"
    let csrf: String
    let rows: [Row]
    let hasRows: Bool
    let target: String
    let allowPrivateNetwork: Bool
    let error: String?
    let notice: String?
    let found: Found?
    let outcomeText: String?
    let outcomeFailed: Bool
    let canFetch: Bool

    init(csrf: String, sources: [SourceRecord], target: String, allowPrivateNetwork: Bool, error: String?, notice: String?,
         found: DiscoveredSource?, outcome: SourceSyncOutcome?, canFetch: Bool) {
        self.csrf = csrf
        rows = sources.map { source in
            let backoff: String? = source.consecutiveFailures > 0
                ? "\(source.consecutiveFailures) failed polls in a row; next try \(Format.dateTime(source.nextPoll) ?? "soon")"
                : nil
            return Row(slug: source.slug, name: source.name, kind: source.kind.rawValue, url: source.url, enabled: source.enabled,
                       lastSuccess: Format.dateTime(source.lastSuccess) ?? "never", lastError: source.lastError, backoff: backoff,
                       documentsHeld: source.documentsHeld, quarantined: source.documentsQuarantined,
                       quality: source.quality.map { "\($0.summary) (checked \(Format.dateTime($0.checkedAt) ?? ""))" },
                       checkable: source.kind != .kev)
        }
        hasRows = !rows.isEmpty
        self.target = target
        self.allowPrivateNetwork = allowPrivateNetwork
        self.error = error
        self.notice = notice
        self.found = found.map {
            Found(name: $0.name, url: $0.url, isAggregator: $0.isAggregator, providers: $0.providers.prefix(50).map { "\($0.name): \($0.url)" },
                  providerCount: $0.providers.count)
        }
        outcomeText = outcome?.text
        outcomeFailed = outcome?.failed ?? false
        self.canFetch = canFetch
    }
}
