import CSAF
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import Store

/// What `vigil serve` needs to know; everything else is derived from it in `buildApplication`.
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databasePath: String
    public var logLevel: Logger.Level
    /// How long a rendered page may be served before the store is asked whether anything changed.
    public var cacheFreshness: Duration
    /// The organisation whose inventory and exposures the pages show; nil shows none.
    public var organisation: String?

    public init(host: String = "127.0.0.1", port: Int = 8080, databasePath: String, logLevel: Logger.Level = .info,
                cacheFreshness: Duration = .milliseconds(250), organisation: String? = nil) {
        self.organisation = organisation
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.logLevel = logLevel
        self.cacheFreshness = cacheFreshness
    }
}

/// Builds the whole web application from a configuration: the store, the templates, the controllers and the
/// middleware, wired in one place.
public func buildApplication(_ configuration: WebConfiguration, store: SQLiteStore? = nil, services: [any Service] = [],
                             sourcesWithoutFeed: [SourceWithoutFeed] = []) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "vigil") { ServerLogHandler(label: $0) }
    logger.logLevel = configuration.logLevel
    let store = try store ?? SQLiteStore(path: configuration.databasePath)
    let router = try await buildRouter(store: store, cacheFreshness: configuration.cacheFreshness, sourcesWithoutFeed: sourcesWithoutFeed,
                                       organisation: configuration.organisation)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Vigil"),
        services: services,
        logger: logger)
}

/// The router with every route and middleware, over any store (tests pass their own).
public func buildRouter(store: any AdvisoryStore, cacheFreshness: Duration = .zero,
                        sourcesWithoutFeed: [SourceWithoutFeed] = [], organisation: String? = nil) async throws -> Router<BasicRequestContext> {
    let renderer = try await TemplateRenderer.load()
    let stylesheet = ByteBuffer(string: try StaticAssets.stylesheet())
    // HEAD is answered for every GET route, as HTTP requires (monitoring probes and link checkers use it).
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorPageMiddleware(renderer: renderer))
    let generation = GenerationClock(store: store, freshness: cacheFreshness)
    router.addRoutes(PagesController(store: store, renderer: renderer, cache: PageCache(), generation: generation,
                                     stylesheet: stylesheet, sources: store as? any SourceStateStore,
                                     withoutFeed: sourcesWithoutFeed, assets: store as? any AssetStore,
                                     organisation: organisation).routes)
    router.addRoutes(APIController(store: store).routes, atPath: "/api/v1")
    router.addRoutes(FeedController(store: store).routes)
    return router
}
