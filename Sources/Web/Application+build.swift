import CSAF
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import Storage
import Telemetry

/// What `vigil serve` needs to know; everything else is derived from it in `buildApplication`.
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    /// Text lines (default) or one JSON object per line.
    public var logFormat: LogFormat = .text
    /// How long a rendered page may be served before the store is asked whether anything changed.
    public var cacheFreshness: Duration
    /// The organisation whose inventory and exposures the pages show while no user account exists; nil shows none.
    /// Once accounts exist, each signed-in user sees their own organisation.
    public var organisation: String?
    /// Sign-in, sessions, sign-up and account emails.
    public var accounts: AccountSettings
    /// Timeouts, the connection limit, request body sizes and the page cache's memory.
    public var limits: ServerLimits

    public init(host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
                cacheFreshness: Duration = .milliseconds(250), organisation: String? = nil, accounts: AccountSettings = AccountSettings(),
                limits: ServerLimits = ServerLimits()) {
        self.limits = limits
        self.organisation = organisation
        self.accounts = accounts
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.cacheFreshness = cacheFreshness
    }
}

/// Builds the whole web application from a configuration and the store the caller opened: the templates, the
/// controllers and the middleware, wired in one place. With `metrics`, every request is timed by route template (`--metrics-port`).
public func buildApplication(_ configuration: WebConfiguration, store: any VigilStore, services: [any Service] = [],
                             sourcesWithoutFeed: [SourceWithoutFeed] = [], metrics: VigilMetrics? = nil,
                             sourceAdministration: (any SourceAdministration)? = nil) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "vigil") { [format = configuration.logFormat] in ServerLogHandler(label: $0, format: format) }
    logger.logLevel = configuration.logLevel
    let router = try await buildRouter(store: store, cacheFreshness: configuration.cacheFreshness, sourcesWithoutFeed: sourcesWithoutFeed,
                                       organisation: configuration.organisation, accounts: configuration.accounts,
                                       limits: configuration.limits, sourceAdministration: sourceAdministration)
    let (connections, note) = configuration.limits.connectionsWithinFileLimit()
    if let note { logger.notice("\(note)") }
    let registry = ConnectionRegistry(maximum: connections, logger: logger)
    return Application(
        responder: RequestTimingResponder(router.buildResponder(), metrics: metrics),
        server: .guardedHTTP1(limits: configuration.limits, registry: registry),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Vigil",
                             availableConnectionsDelegate: ConnectionLimitDelegate(registry: registry)),
        services: services,
        logger: logger)
}

/// Everything the pages and the API read and write: one store, every capability, no optional routes. `VigilStore`
/// (SQLite or PostgreSQL) is one; tests may pass their own (a store that fails on demand).
public typealias ServedStore = AdvisoryStore & AccountStore & AlertStore & AssetStore & OutboxStore & SourceStateStore

/// The router with every route and middleware.
public func buildRouter(store: any ServedStore, cacheFreshness: Duration = .zero,
                        sourcesWithoutFeed: [SourceWithoutFeed] = [], organisation: String? = nil,
                        accounts settings: AccountSettings = AccountSettings(),
                        limits: ServerLimits = ServerLimits(),
                        sourceAdministration: (any SourceAdministration)? = nil) async throws -> Router<VigilRequestContext> {
    try await buildRouter(store: store, cacheFreshness: cacheFreshness, sourcesWithoutFeed: sourcesWithoutFeed, organisation: organisation,
                          accounts: settings, limits: limits, pageCache: PageCache(byteLimit: limits.pageCacheBytes),
                          sourceAdministration: sourceAdministration)
}

/// The router over a given page cache (tests look into it).
/// `channelTestWait`: how long "send a test message" waits for an alert service to send it.
func buildRouter(store: any ServedStore, cacheFreshness: Duration, sourcesWithoutFeed: [SourceWithoutFeed], organisation: String?,
                 accounts settings: AccountSettings, limits: ServerLimits, pageCache: PageCache,
                 channelTestWait: Duration = .seconds(10),
                 sourceAdministration: (any SourceAdministration)? = nil) async throws -> Router<VigilRequestContext> {
    let renderer = try await TemplateRenderer.load()
    let stylesheet = ByteBuffer(string: try StaticAssets.stylesheet())
    // HEAD is answered for every GET route, as HTTP requires (monitoring probes and link checkers use it).
    let router = Router(context: VigilRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Outermost, so it sees the status the client gets and the time everything took.
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: SecurityHeadersMiddleware(strictTransportSecurity: settings.secureCookies))
    router.add(middleware: ErrorPageMiddleware(renderer: renderer))
    // Before anything reads a body: oversized ones are refused unread.
    router.add(middleware: BodyLimitMiddleware(limits: limits))
    // Who is asking comes first; then no form post gets through without its token.
    router.add(middleware: SessionMiddleware(accounts: store, settings: settings))
    router.add(middleware: NoStoreMiddleware())
    // An API method that is not served is 405, not a form without its token.
    router.add(middleware: APIMethodMiddleware())
    router.add(middleware: CSRFMiddleware())
    let scope = OrganisationScope(assets: store, accounts: store, configured: organisation, freshness: cacheFreshness)
    let generation = GenerationClock(store: store, freshness: cacheFreshness)
    router.addRoutes(PagesController(store: store, renderer: renderer, cache: pageCache, generation: generation,
                                     stylesheet: stylesheet, withoutFeed: sourcesWithoutFeed, scope: scope).routes)
    router.addRoutes(DashboardController(store: store, renderer: renderer, cache: pageCache, generation: generation, scope: scope).routes)
    router.addRoutes(AlertsController(store: store, renderer: renderer, scope: scope).routes)
    router.addRoutes(ReportsController(store: store, renderer: renderer, cache: pageCache, generation: generation, scope: scope).routes)
    router.addRoutes(WatchesController(store: store, renderer: renderer, scope: scope).routes)
    router.addRoutes(ChannelsController(store: store, renderer: renderer, scope: scope, testWait: channelTestWait).routes)
    router.addRoutes(MembersController(store: store, renderer: renderer, scope: scope, settings: settings).routes)
    router.addRoutes(OrganisationSettingsController(store: store, renderer: renderer, scope: scope, serverBaseURL: settings.baseURL).routes)
    router.addRoutes(SourcesAdminController(store: store, renderer: renderer, administration: sourceAdministration).routes)
    router.addRoutes(SessionController(accounts: store, renderer: renderer, settings: settings, throttle: LoginThrottle()).routes)
    router.addRoutes(AccountController(store: store, renderer: renderer, settings: settings).routes)
    router.addRoutes(SignupController(store: store, renderer: renderer, settings: settings, mailThrottle: LoginThrottle()).routes)
    router.addRoutes(AlertAPIController(store: store).routes, atPath: "/api/v1")
    router.addRoutes(APIController(store: store).routes, atPath: "/api/v1")
    router.addRoutes(SourcesAPIController(store: store).routes, atPath: "/api/v1")
    router.addRoutes(FeedController(store: store, baseURL: settings.baseURL).routes)
    return router
}
