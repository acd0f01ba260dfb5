#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much of the server one client can hold: how long it may take to send a request, how many connections may be
/// open, how large a request body may be, and how much memory rendered pages may take.
///
/// The defaults are what a reverse proxy in front of Vigil would use (nginx's `client_header_timeout`,
/// `keepalive_timeout`, `client_body_timeout`, `client_max_body_size`), so Vigil can also face clients directly.
public struct ServerLimits: Sendable {
    /// A request head (request line and headers) must arrive in full within this long: counted from the connection's
    /// start for its first request, and from the first byte of each later one.
    public var headerTimeout: Duration
    /// A connection with no request in progress is closed after this long without a new one (HTTP keep-alive).
    public var idleTimeout: Duration
    /// A request body must arrive in full within this long after its head.
    public var bodyTimeout: Duration
    /// After answering a request whose body is still arriving (413, or an early error), the server stops sending and
    /// discards what comes for this long before closing, so the client reads the answer instead of a reset.
    public var lingerTimeout: Duration
    /// Connections open at once. At the limit a new connection takes the place of the connection that has waited
    /// longest without a request in progress; when every connection is busy, new ones wait in the listen queue.
    public var maxConnections: Int
    /// The largest request body of a form post (sign-in, watches, alerts, account), in bytes.
    public var maxFormBody: Int
    /// The largest request body of the routes in `uploadPaths` (file uploads), in bytes.
    public var maxUploadBody: Int
    /// Path prefixes of the routes that take uploads and so get `maxUploadBody`. No route takes one yet: inventories
    /// are imported with `vigil assets import`.
    public var uploadPaths: [String]
    /// Memory for rendered pages kept by the page cache, in bytes; the least recently used pages go first.
    public var pageCacheBytes: Int

    public init(headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), bodyTimeout: Duration = .seconds(30),
                lingerTimeout: Duration = .seconds(2), maxConnections: Int = 512, maxFormBody: Int = 64 * 1024,
                maxUploadBody: Int = 16 * 1024 * 1024, uploadPaths: [String] = [], pageCacheBytes: Int = 64 * 1024 * 1024) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.lingerTimeout = lingerTimeout
        self.maxConnections = maxConnections
        self.maxFormBody = maxFormBody
        self.maxUploadBody = maxUploadBody
        self.uploadPaths = uploadPaths
        self.pageCacheBytes = pageCacheBytes
    }

    /// The largest body a request to `path` may carry.
    func bodyLimit(path: String) -> Int {
        uploadPaths.contains(where: { path.hasPrefix($0) }) ? maxUploadBody : maxFormBody
    }

    /// File descriptors kept for everything but client connections: the database and its journal, provider and
    /// webhook fetches, SMTP, templates.
    static let reservedFileDescriptors = 64

    /// `maxConnections`, lowered when the process may not open that many files. The soft `RLIMIT_NOFILE` is raised
    /// towards the hard one first; a note says what was lowered. Without this, `ulimit -n 256` and 300 idle clients
    /// made `accept` fail and `/healthz` time out before the connection limit was ever reached.
    func connectionsWithinFileLimit() -> (connections: Int, note: String?) {
        let needed = maxConnections + Self.reservedFileDescriptors
        var limit = rlimit()
        guard getrlimit(Self.fileResource, &limit) == 0 else { return (maxConnections, nil) }
        if limit.rlim_cur != Self.unlimited, limit.rlim_cur < rlim_t(needed) {
            var raised = limit
            raised.rlim_cur = limit.rlim_max == Self.unlimited ? rlim_t(needed) : min(limit.rlim_max, rlim_t(needed))
            if setrlimit(Self.fileResource, &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur != Self.unlimited, limit.rlim_cur < rlim_t(needed) else { return (maxConnections, nil) }
        let fitting = max(8, Int(limit.rlim_cur) - Self.reservedFileDescriptors)
        return (fitting, "the process may open \(limit.rlim_cur) files (ulimit -n), so at most \(fitting) connections are served at once instead of \(maxConnections); raise the limit to serve more")
    }

    #if canImport(Glibc)
    /// `RLIM_INFINITY`, which Swift does not import on Linux (it is `-1` cast to unsigned).
    private static var unlimited: rlim_t { rlim_t.max }
    private static var fileResource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #else
    private static var unlimited: rlim_t { RLIM_INFINITY }
    private static var fileResource: Int32 { RLIMIT_NOFILE }
    #endif
}
