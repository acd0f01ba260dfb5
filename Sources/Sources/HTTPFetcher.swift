import AsyncHTTPClient
import CSAF
import Foundation
import NIOCore
import NIOHTTP1
import Storage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How Vigil fetches from providers: HTTPS only (plain HTTP for loopback mirrors and tests), under the outbound policy
/// shared with webhooks (`OutboundPolicy`: private, link-local and loopback addresses, resolved or literal, only where
/// the source allows them; every redirect hop checked under the source's access), a clear User-Agent,
/// a timeout for every phase of a request, size limits, gzip, redirects followed by hand so that each hop obeys the
/// same rules, retries with exponential backoff and jitter for what may succeed soon, and per-host politeness (at most
/// a few requests in flight and a cap on requests per second).
///
/// Nothing a misbehaving server does holds a request past these limits: a name that does not resolve fails at once
/// (and is not looked up again for `negativeResolveTTL`), a refused connection is not retried, a server that accepts
/// and never answers meets the first-byte timeout, one that stalls mid-body the idle-read timeout, one that trickles
/// or streams forever the whole-request timeout or the size limit.
public struct FetchPolicy: Sendable {
    public var userAgent = "Vigil/0.3 (CSAF 2.0 advisory monitor; self-hosted)"
    /// Looking the host name up (DNS), on a thread of its own, never an event-loop thread.
    public var resolveTimeout: TimeInterval = 5
    /// A name that did not resolve is not looked up again for this long: every later request fails at once.
    public var negativeResolveTTL: TimeInterval = 60
    /// Opening the TCP connection.
    public var connectTimeout: TimeInterval = 5
    /// The TLS handshake after connecting (the HTTP client runs both under one deadline: connect + handshake).
    public var tlsHandshakeTimeout: TimeInterval = 5
    /// From the request sent to the response's status line and headers.
    public var firstByteTimeout: TimeInterval = 15
    /// Longest silence while reading a response.
    public var idleReadTimeout: TimeInterval = 15
    /// The whole request, from looking the host up to the last byte, redirects excluded (each hop has its own).
    public var timeout: TimeInterval = 120
    /// Attempts for what may succeed soon (a reset connection, 5xx, 429, 408 without a long Retry-After), the first
    /// included. Timeouts, unresolvable names and refused connections are not retried within a sync: the source's
    /// next poll tries again.
    public var attempts = 3
    /// The first retry waits about this long; each further one twice as long, with ±50 % jitter.
    public var backoff: TimeInterval = 0.5
    /// A `Retry-After` up to this long is waited for within the sync; a longer one fails the request and is honoured
    /// by the source's next poll instead.
    public var maxRetryWait: TimeInterval = 10
    public var maxRedirects = 5
    /// Requests in flight at once to one host.
    public var perHostConcurrency = 4
    /// Requests started per second to one host (nil: no cap); short bursts of up to one second's worth go at once.
    public var perHostRequestsPerSecond: Double? = 20
    /// Largest listing (provider metadata, ROLIE feed, changes.csv) and largest document, in bytes.
    public var maxListingBytes = 64 << 20
    public var maxDocumentBytes = CSAFDocumentReader.defaultMaxBytes

    public init() {}

    /// The deadline for a response's head: resolving, connecting, the handshake and the first byte.
    var headDeadline: TimeInterval { min(timeout, connectTimeout + tlsHandshakeTimeout + firstByteTimeout) }
}

/// A failed fetch, as a sentence a person can act on, and whether trying again later may help.
public struct FetchFailure: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case insecureURL, forbiddenDestination, badURL, connection, refused, unresolvable, timeout, httpStatus, tooLarge, notJSON, tooManyRedirects
        /// The task that fetched was cancelled (a server shutting down, Ctrl-C): nothing about the server itself.
        case cancelled
    }
    public var url: String
    public var kind: Kind
    public var status: Int?
    public var text: String
    /// Seconds the server asked to wait (`Retry-After` on a 429 or 503).
    public var retryAfter: Double?
    public var description: String { text }

    public init(url: String, kind: Kind, status: Int? = nil, message: String, retryAfter: Double? = nil) {
        self.url = url
        self.kind = kind
        self.status = status
        self.text = message
        self.retryAfter = retryAfter
    }

    /// The fetch stopped because its task was cancelled.
    static func cancelled(_ url: String) -> FetchFailure {
        FetchFailure(url: url, kind: .cancelled, message: "\(url): the request was cancelled")
    }

    /// Whether the host itself is out of reach (the rest of a sync need not try it again).
    var hostUnreachable: Bool {
        switch kind {
        case .unresolvable, .refused, .timeout, .connection: true
        default: false
        }
    }

    func isRetryable(maxWait: TimeInterval) -> Bool {
        switch kind {
        case .connection: return true
        case .httpStatus:
            guard let status, status >= 500 || status == 429 || status == 408 else { return false }
            return (retryAfter ?? 0) <= maxWait
        default: return false
        }
    }
}

/// An `Authorization` header value for one host.
public struct Credentials: Sendable {
    public var host: String
    public var authorization: String
    public init(host: String, authorization: String) {
        self.host = host
        self.authorization = authorization
    }
}

/// The redirects a fetch followed (or refused to follow), hop by hop: the provider checker reports them (CSAF 2.0
/// §7.1.6 asks providers not to redirect).
public final class RedirectLog: Sendable {
    public struct Hop: Sendable, Equatable {
        public var from: String
        public var to: String
        public var status: Int
    }
    private let hops = Mutex<[Hop]>([])
    public init() {}
    func append(_ hop: Hop) { hops.withLock { $0.append(hop) } }
    public var all: [Hop] { hops.withLock { $0 } }
}

/// The outcome of a conditional GET.
public enum FetchResult: Sendable {
    case notModified
    case fetched(body: [UInt8], validators: HTTPValidators, contentType: String?)
}

/// Counts what a sync cost on the wire.
public final class FetchCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var _requests = 0, _notModified = 0, _bytes = 0
    public init() {}
    func add(requests: Int = 0, notModified: Int = 0, bytes: Int = 0) {
        lock.lock(); _requests += requests; _notModified += notModified; _bytes += bytes; lock.unlock()
    }
    public var requests: Int { lock.withLock { _requests } }
    public var notModified: Int { lock.withLock { _notModified } }
    public var bytes: Int { lock.withLock { _bytes } }
}

public final class HTTPFetcher: Sendable {
    let client: HTTPClient
    public let policy: FetchPolicy
    let limiter = HostLimiter()
    let resolver: HostResolver
    let ownsClient: Bool
    /// Response bytes held by requests in flight, and the most ever held at once: what a flood of endless bodies can
    /// cost is bounded by the limits, and this shows it.
    let buffered = BufferGauge()
    public var peakBufferedBytes: Int { buffered.peak }

    public init(policy: FetchPolicy = FetchPolicy()) {
        self.policy = policy
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64((policy.connectTimeout + policy.tlsHandshakeTimeout) * 1000)),
                           read: .milliseconds(Int64(min(policy.idleReadTimeout, policy.timeout) * 1000))),
            decompression: .enabled(limit: .ratio(50)))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: policy.perHostConcurrency)
        // A connection that cannot be made fails its request now; the client would otherwise try again and again
        // until the connect deadline. Vigil decides what is retried, and when.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        resolver = HostResolver(timeout: policy.resolveTimeout, negativeTTL: policy.negativeResolveTTL)
        ownsClient = true
    }

    public func shutdown() async {
        if ownsClient { try? await client.shutdown() }
    }

    /// Runs `body` with a fetcher and shuts it down afterwards, whether `body` returns or throws (the HTTP client
    /// must be shut down before it is released).
    public static func with<T: Sendable>(policy: FetchPolicy = FetchPolicy(), _ body: (HTTPFetcher) async throws -> T) async throws -> T {
        let fetcher = HTTPFetcher(policy: policy)
        do {
            let result = try await body(fetcher)
            await fetcher.shutdown()
            return result
        } catch {
            await fetcher.shutdown()
            throw error
        }
    }

    /// What allows a source to reach private destinations, for error messages.
    public static let privateNetworkOption = "the source option --allow-private-network (vigil sources add)"

    /// Whether a URL may be fetched under the access its own URL grants (see `OutboundAccess.configured`): HTTPS
    /// anywhere public, HTTP only to a loopback host written as such (local mirrors, tests).
    public static func check(_ url: String) -> FetchFailure? {
        check(url, access: .configured(url))
    }

    /// Whether a URL may be fetched under `access` (the source's, not the URL's own: a provider cannot grant itself
    /// access to this machine or the plant network by naming such a URL). IP literals are judged here; names when
    /// they have been resolved.
    public static func check(_ url: String, access: OutboundAccess) -> FetchFailure? {
        guard let refusal = OutboundPolicy.check(url, access: access, option: privateNetworkOption, what: "fetch") else { return nil }
        if refusal.kind == .insecure {
            return FetchFailure(url: url, kind: .insecureURL, message: "\(url) uses plain HTTP; CSAF requires HTTPS (plain HTTP is accepted only "
                                + "for loopback mirrors written as 127.0.0.1, ::1 or localhost)")
        }
        return failure(url, refusal)
    }

    static func failure(_ url: String, _ refusal: OutboundPolicy.Refusal) -> FetchFailure {
        let kind: FetchFailure.Kind = switch refusal.kind {
        case .badURL: .badURL
        case .insecure: .insecureURL
        case .destination: .forbiddenDestination
        }
        return FetchFailure(url: url, kind: kind, message: refusal.message)
    }

    static func isLoopback(_ host: String) -> Bool { LoopbackHost.contains(host) }

    /// GET with validators; follows redirects (each hop checked), retries what may succeed soon. `access` is where
    /// the source may connect (nil: what `url` itself grants, see `OutboundAccess.configured`).
    public func get(_ url: String, validators: HTTPValidators? = nil, maxBytes: Int, expectJSON: Bool = false,
                    counters: FetchCounters? = nil, credentials: Credentials? = nil,
                    access: OutboundAccess? = nil, redirects: RedirectLog? = nil) async throws(FetchFailure) -> FetchResult {
        let access = access ?? .configured(url)
        var attempt = 1
        while true {
            // A cancelled task (a server shutting down, Ctrl-C) sends nothing more: not the first request, no retry.
            if Task.isCancelled { throw FetchFailure.cancelled(url) }
            do throws(FetchFailure) {
                return try await getOnce(url, validators: validators, maxBytes: maxBytes, expectJSON: expectJSON, counters: counters,
                                         credentials: credentials, access: access, redirects: redirects)
            } catch {
                if Task.isCancelled { throw FetchFailure.cancelled(url) }
                guard error.isRetryable(maxWait: policy.maxRetryWait), attempt < policy.attempts else { throw error }
                let delay = max(policy.backoff * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1.5), error.retryAfter ?? 0)
                do {
                    try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                } catch {
                    throw FetchFailure.cancelled(url)
                }
                attempt += 1
            }
        }
    }

    private func getOnce(_ original: String, validators: HTTPValidators?, maxBytes: Int, expectJSON: Bool,
                         counters: FetchCounters?, credentials: Credentials?, access: OutboundAccess,
                         redirects: RedirectLog?) async throws(FetchFailure) -> FetchResult {
        var url = original
        for _ in 0...policy.maxRedirects {
            // Every hop under the source's access, never the hop's own: a redirect cannot grant itself this machine.
            if let problem = HTTPFetcher.check(url, access: access) { throw problem }
            let components = URLComponents(string: url)
            let host = components?.host ?? ""
            // Politeness is per server: host and port (two servers on one address are two servers).
            let server = host.lowercased() + ":" + String(components?.port ?? (components?.scheme?.lowercased() == "http" ? 80 : 443))
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: policy.userAgent)
            request.headers.add(name: "Accept", value: expectJSON ? "application/json" : "*/*")
            request.headers.add(name: "Accept-Encoding", value: "gzip, deflate")
            // Credentials go to the source's own host only, never to another host a feed or redirect names.
            if let credentials, credentials.host.lowercased() == host.lowercased() {
                request.headers.add(name: "Authorization", value: credentials.authorization)
            }
            if let etag = validators?.etag { request.headers.add(name: "If-None-Match", value: etag) }
            if let modified = validators?.lastModified { request.headers.add(name: "If-Modified-Since", value: modified) }

            // The name first, off the event loops and with a timeout of its own; a name that failed fails at once. What
            // it resolves to is judged too: a public name pointing at 127.0.0.1, 10.x or 169.254.169.254 is refused
            // unless the source allows it.
            switch await resolver.addresses(host) {
            case .failure(let problem):
                throw FetchFailure(url: url, kind: .unresolvable, message: "\(url): \(problem)")
            case .success(let addresses):
                if let refusal = OutboundPolicy.checkDestination(url: url, host: host, addresses: addresses, access: access,
                                                                 option: HTTPFetcher.privateNetworkOption, what: "fetch") {
                    throw HTTPFetcher.failure(url, refusal)
                }
            }
            await limiter.acquire(server, limit: policy.perHostConcurrency, perSecond: policy.perHostRequestsPerSecond)
            counters?.add(requests: 1)
            let outcome = await exchange(request, url: url, maxBytes: maxBytes)
            await limiter.release(server)

            let (response, body) = try outcome.get()
            let code = Int(response.status.code)
            if response.status == .notModified {
                counters?.add(notModified: 1)
                return .notModified
            }
            if (300..<400).contains(code) {
                guard let location = response.headers.first(name: "Location"),
                      let next = URL(string: location, relativeTo: URL(string: url))?.absoluteString else {
                    throw FetchFailure(url: url, kind: .httpStatus, status: code, message: "\(url) answered \(code) without a usable Location")
                }
                redirects?.append(.init(from: url, to: next, status: code))
                if let refusal = OutboundPolicy.checkRedirect(from: url, to: next) { throw HTTPFetcher.failure(next, refusal) }
                url = next
                continue
            }
            guard (200..<300).contains(code) else {
                let retryAfter = HTTPFetcher.retryAfter(response.headers.first(name: "Retry-After"), now: Date())
                throw FetchFailure(url: url, kind: .httpStatus, status: code,
                                   message: "\(url) answered HTTP \(code) \(response.status.reasonPhrase)\(HTTPFetcher.advice(code, retryAfter: retryAfter))",
                                   retryAfter: retryAfter)
            }
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            counters?.add(bytes: bytes.count)
            let contentType = response.headers.first(name: "Content-Type")
            if expectJSON, HTTPFetcher.looksLikeHTML(bytes, contentType: contentType) {
                throw FetchFailure(url: url, kind: .notJSON, status: code,
                                   message: "\(url) returned an HTML page instead of JSON (a login, error or maintenance page?); it will be tried again on the next sync")
            }
            return .fetched(body: bytes, validators: HTTPValidators(etag: response.headers.first(name: "ETag"),
                                                                     lastModified: response.headers.first(name: "Last-Modified")),
                            contentType: contentType)
        }
        throw FetchFailure(url: original, kind: .tooManyRedirects, message: "\(original) redirected more than \(policy.maxRedirects) times")
    }

    /// One request and its body, under the whole-request timeout: the client's own deadline covers the response's
    /// head only, so a server that trickles a byte a second or streams without end is cut off here.
    private func exchange(_ request: HTTPClientRequest, url: String, maxBytes: Int) async -> Result<(HTTPClientResponse, ByteBuffer?), FetchFailure> {
        let client = self.client
        let headDeadline = policy.headDeadline, whole = policy.timeout
        let buffered = self.buffered
        let answered = Flag()
        return await withTaskGroup(of: Result<(HTTPClientResponse, ByteBuffer?), FetchFailure>?.self) { group in
            group.addTask {
                do {
                    let response = try await client.execute(request, deadline: .now() + .milliseconds(Int64(headDeadline * 1000)))
                    answered.set()
                    if response.status == .notModified || (300..<400).contains(Int(response.status.code)) || !(200..<300).contains(Int(response.status.code)) {
                        // Nothing of the body is needed: a redirect, 304 or an error status (read up to a few KiB so
                        // the connection can be reused, never more).
                        _ = try? await buffered.collect(response.body, upTo: 16 << 10)
                        return .success((response, nil))
                    }
                    let body = try await buffered.collect(response.body, upTo: maxBytes)
                    return .success((response, body))
                } catch is NIOTooManyBytesError {
                    return .failure(FetchFailure(url: url, kind: .tooLarge, message: "\(url) is larger than the limit of \(maxBytes) bytes"))
                } catch {
                    return .failure(HTTPFetcher.describe(error, url: url))
                }
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(whole * 1e9))
                if Task.isCancelled { return nil }
                let what = answered.isSet
                    ? "did not finish within \(HTTPFetcher.seconds(whole)) (the server sends too slowly or without end)"
                    : "did not answer in time (no response within \(HTTPFetcher.seconds(whole)))"
                return .failure(FetchFailure(url: url, kind: .timeout, message: "\(url) \(what); it will be tried again on the next poll"))
            }
            var result: Result<(HTTPClientResponse, ByteBuffer?), FetchFailure>?
            while result == nil, let next = await group.next() {
                result = next
            }
            group.cancelAll()
            return result ?? .failure(.cancelled(url))
        }
    }

    static func seconds(_ value: TimeInterval) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// `Retry-After` as seconds from now: delta-seconds or an HTTP date.
    static func retryAfter(_ value: String?, now: Date) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(date.timeIntervalSince(now), 0)
    }

    static func looksLikeHTML(_ bytes: [UInt8], contentType: String?) -> Bool {
        if let contentType, contentType.lowercased().contains("text/html") { return true }
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        return first == UInt8(ascii: "<")
    }

    static func advice(_ code: Int, retryAfter: Double? = nil) -> String {
        let wait = retryAfter.map { "; the server asks to wait \(Int($0)) s" } ?? ""
        switch code {
        case 401, 403: return " (access denied: TLP:WHITE/CLEAR documents should be public; for others configure credentials)"
        case 404: return " (the server does not have it; the listing may be ahead of the files)"
        case 429: return " (rate limited\(wait); Vigil backs off and tries again)"
        case 500..<600: return " (a server error\(wait); it will be tried again)"
        default: return ""
        }
    }

    static func describe(_ error: any Error, url: String) -> FetchFailure {
        if error is CancellationError { return .cancelled(url) }
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout:
                return FetchFailure(url: url, kind: .timeout, message: "\(url) did not answer in time (nothing received within the read timeout); it will be tried again on the next poll")
            case .deadlineExceeded:
                return FetchFailure(url: url, kind: .timeout, message: "\(url) did not answer in time (no response); it will be tried again on the next poll")
            case .connectTimeout:
                return FetchFailure(url: url, kind: .timeout, message: "could not connect to \(url) in time (connection or TLS handshake); is the host reachable from here?")
            case .tlsHandshakeTimeout:
                return FetchFailure(url: url, kind: .timeout, message: "\(url): the TLS handshake did not complete in time")
            case .remoteConnectionClosed:
                return FetchFailure(url: url, kind: .connection, message: "\(url): the server closed the connection before answering")
            case .cancelled:
                return .cancelled(url)
            default:
                break
            }
        }
        let text = "\(error)"
        if text.contains("connectTimeout") || text.contains("imeout") {
            return FetchFailure(url: url, kind: .timeout, message: "\(url) did not answer in time (timeout); it will be tried again on the next poll")
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("errno: 111") {
            return FetchFailure(url: url, kind: .refused, message: "\(url): connection refused; is the server running and the address right?")
        }
        if text.contains("NXDOMAIN") || text.contains("lookup") || text.contains("resolve") {
            return FetchFailure(url: url, kind: .unresolvable, message: "\(url): the host name does not resolve; check the URL and DNS")
        }
        if text.contains("handshake") || text.contains("certificate") || text.contains("BoringSSL") || text.contains("NIOSSL") {
            return FetchFailure(url: url, kind: .connection, message: "\(url): the TLS connection failed (\(text)); check the server's certificate")
        }
        return FetchFailure(url: url, kind: .connection, message: "\(url): \(text)")
    }
}

/// A flag set once, read from another task.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Counts the response bytes held by requests in flight (and the peak), while collecting bodies up to a limit.
final class BufferGauge: Sendable {
    private let current = Atomic<Int>(0)
    private let highest = Atomic<Int>(0)

    var peak: Int { highest.load(ordering: .relaxed) }

    /// The body, up to `limit` bytes (else `NIOTooManyBytesError`), counted while it is held here.
    func collect(_ body: HTTPClientResponse.Body, upTo limit: Int) async throws -> ByteBuffer {
        var buffer = ByteBuffer()
        var counted = 0
        defer { current.subtract(counted, ordering: .relaxed) }
        for try await chunk in body {
            guard buffer.readableBytes + chunk.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            buffer.writeImmutableBuffer(chunk)
            counted += chunk.readableBytes
            let now = current.add(chunk.readableBytes, ordering: .relaxed).newValue
            highest.max(now, ordering: .relaxed)
        }
        return buffer
    }
}

/// Per-host politeness: at most `limit` requests in flight per host (the others wait their turn in order), and
/// requests started no faster than `perSecond` (a burst of one second's worth goes at once; after that they are
/// spaced evenly).
actor HostLimiter {
    private var active: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Per host: the earliest time the next request may start under the rate cap (a theoretical arrival time).
    private var nextStart: [String: ContinuousClock.Instant] = [:]

    func acquire(_ host: String, limit: Int, perSecond: Double? = nil) async {
        if active[host, default: 0] < limit {
            active[host, default: 0] += 1
        } else {
            await withCheckedContinuation { waiting[host, default: []].append($0) }
        }
        guard let perSecond, perSecond > 0 else { return }
        let now = ContinuousClock.now
        let spacing = Duration.seconds(1 / perSecond)
        let burst = Duration.seconds(1)
        // Slots may lie up to one second in the past: that is the burst allowance.
        let slot = max(nextStart[host] ?? now - burst, now - burst)
        nextStart[host] = slot + spacing
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }

    func release(_ host: String) {
        if var queue = waiting[host], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[host] = queue
            next.resume()
        } else {
            active[host, default: 1] -= 1
        }
    }
}

/// Looks host names up before a request, on threads of its own (never an event-loop thread) and with a timeout, and
/// remembers names that did not resolve for a while so that a source whose host is gone fails at once instead of
/// waiting on DNS for every request.
final class HostResolver: Sendable {
    let timeout: TimeInterval
    let negativeTTL: TimeInterval
    private let failures = Mutex<[String: (message: String, until: ContinuousClock.Instant)]>([:])

    init(timeout: TimeInterval, negativeTTL: TimeInterval) {
        self.timeout = timeout
        self.negativeTTL = negativeTTL
    }

    /// Nil when `host` resolves (or is an address literal); otherwise why not.
    func check(_ host: String) async -> String? {
        if case .failure(let problem) = await addresses(host) { return problem.message }
        return nil
    }

    /// The addresses `host` resolves to (an address literal is its own), or why it does not resolve.
    func addresses(_ host: String) async -> Result<[String], ResolveProblem> {
        let name = OutboundPolicy.bare(host)
        if name.isEmpty { return .failure(ResolveProblem(message: "the URL has no host name")) }
        if OutboundPolicy.scope(ofAddress: name) != nil { return .success([name]) }
        let now = ContinuousClock.now
        if let known = failures.withLock({ cache -> String? in
            guard let entry = cache[name] else { return nil }
            if entry.until > now { return entry.message }
            cache[name] = nil
            return nil
        }) { return .failure(ResolveProblem(message: known)) }
        switch await OutboundPolicy.resolve(name, timeout: timeout) {
        case .success(let addresses):
            return .success(addresses)
        case .failure(let refusal):
            failures.withLock { $0[name] = (refusal.message, ContinuousClock.now + .seconds(negativeTTL)) }
            return .failure(ResolveProblem(message: refusal.message))
        }
    }

    struct ResolveProblem: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Whether `host` failed to resolve within the last `negativeTTL` (requests to it fail without a lookup).
    func remembersFailure(of host: String) -> Bool {
        failures.withLock { $0[host.lowercased()].map { $0.until > ContinuousClock.now } ?? false }
    }
}
