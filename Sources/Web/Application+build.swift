import Hummingbird
import Logging
import NIOCore
import Store

/// What `vigil serve` needs to know; everything else is derived from it in `buildApplication`.
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databasePath: String
    public var logLevel: Logger.Level

    public init(host: String = "127.0.0.1", port: Int = 8080, databasePath: String, logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.logLevel = logLevel
    }
}

/// Builds the whole web application from a configuration: the store, the templates, the controllers and the
/// middleware, wired in one place.
public func buildApplication(_ configuration: WebConfiguration) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "vigil")
    logger.logLevel = configuration.logLevel
    let store = try SQLiteStore(path: configuration.databasePath)
    let router = try await buildRouter(store: store)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Vigil"),
        logger: logger)
}

/// The router with every route and middleware, over any store (tests pass their own).
public func buildRouter(store: any AdvisoryStore) async throws -> Router<BasicRequestContext> {
    let renderer = try await TemplateRenderer.load()
    let stylesheet = ByteBuffer(string: try StaticAssets.stylesheet())
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorPageMiddleware(renderer: renderer))
    router.addRoutes(PagesController(store: store, renderer: renderer, cache: PageCache(), stylesheet: stylesheet).routes)
    router.addRoutes(APIController(store: store).routes, atPath: "/api/v1")
    router.addRoutes(FeedController(store: store).routes)
    return router
}
