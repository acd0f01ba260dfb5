import AsyncHTTPClient
import CSAF
import Foundation
import NIOCore
import NIOHTTP1

/// How Vigil fetches from providers: HTTPS only (plain HTTP for loopback mirrors and tests), a clear User-Agent,
/// timeouts, size limits, gzip, redirects followed by hand so that each hop obeys the same rules, retries with
/// exponential backoff and jitter for what may succeed later, and a per-host concurrency limit.
public struct FetchPolicy: Sendable {
    public var userAgent = "Vigil/0.3 (CSAF 2.0 advisory monitor; self-hosted)"
    /// Per request, from connecting to the last byte.
    public var timeout: TimeInterval = 30
    public var connectTimeout: TimeInterval = 10
    /// Attempts for a retryable failure (connection error, timeout, 5xx, 429), the first included.
    public var attempts = 3
    /// The first retry waits about this long; each further one twice as long, with ±50 % jitter.
    public var backoff: TimeInterval = 0.5
    public var maxRedirects = 5
    public var perHostConcurrency = 6
    /// Largest listing (provider metadata, ROLIE feed, changes.csv) and largest document, in bytes.
    public var maxListingBytes = 64 << 20
    public var maxDocumentBytes = CSAFDocumentReader.defaultMaxBytes

    public init() {}
}

/// A failed fetch, as a sentence a person can act on, and whether trying again later may help.
public struct FetchFailure: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case insecureURL, badURL, connection, timeout, httpStatus, tooLarge, notJSON, tooManyRedirects
    }
    public var url: String
    public var kind: Kind
    public var status: Int?
    public var text: String
    public var description: String { text }

    public init(url: String, kind: Kind, status: Int? = nil, message: String) {
        self.url = url
        self.kind = kind
        self.status = status
        self.text = message
    }

    var isRetryable: Bool {
        switch kind {
        case .connection, .timeout: true
        case .httpStatus: status.map { $0 >= 500 || $0 == 429 || $0 == 408 } ?? false
        default: false
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
    let policy: FetchPolicy
    let limiter = HostLimiter()
    let ownsClient: Bool

    public init(policy: FetchPolicy = FetchPolicy()) {
        self.policy = policy
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(policy.connectTimeout * 1000)), read: .milliseconds(Int64(policy.timeout * 1000))),
            decompression: .enabled(limit: .ratio(50)))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: policy.perHostConcurrency)
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
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

    /// Whether a URL may be fetched: HTTPS anywhere, HTTP only on loopback (local mirrors, tests).
    public static func check(_ url: String) -> FetchFailure? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            return FetchFailure(url: url, kind: .badURL, message: "\(url) is not a valid URL")
        }
        switch scheme {
        case "https": return nil
        case "http" where isLoopback(host): return nil
        case "http":
            return FetchFailure(url: url, kind: .insecureURL, message: "\(url) uses plain HTTP; CSAF requires HTTPS (plain HTTP is accepted only for loopback mirrors)")
        default:
            return FetchFailure(url: url, kind: .badURL, message: "\(url): only https:// URLs can be fetched")
        }
    }

    static func isLoopback(_ host: String) -> Bool { LoopbackHost.contains(host) }

    /// GET with validators; follows redirects (each hop checked), retries what may succeed later.
    public func get(_ url: String, validators: HTTPValidators? = nil, maxBytes: Int, expectJSON: Bool = false,
                    counters: FetchCounters? = nil, credentials: Credentials? = nil) async throws(FetchFailure) -> FetchResult {
        var attempt = 1
        while true {
            do throws(FetchFailure) {
                return try await getOnce(url, validators: validators, maxBytes: maxBytes, expectJSON: expectJSON, counters: counters,
                                         credentials: credentials)
            } catch {
                guard error.isRetryable, attempt < policy.attempts else { throw error }
                let delay = policy.backoff * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1.5)
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                attempt += 1
            }
        }
    }

    private func getOnce(_ original: String, validators: HTTPValidators?, maxBytes: Int, expectJSON: Bool,
                         counters: FetchCounters?, credentials: Credentials?) async throws(FetchFailure) -> FetchResult {
        var url = original
        for _ in 0...policy.maxRedirects {
            if let problem = HTTPFetcher.check(url) { throw problem }
            let host = URLComponents(string: url)?.host ?? ""
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

            await limiter.acquire(host, limit: policy.perHostConcurrency)
            let outcome: Result<(HTTPClientResponse, ByteBuffer?), FetchFailure>
            do {
                counters?.add(requests: 1)
                let response = try await client.execute(request, timeout: .milliseconds(Int64(policy.timeout * 1000)))
                if response.status == .notModified || (300..<400).contains(Int(response.status.code)) {
                    outcome = .success((response, nil))
                } else {
                    let body = try await response.body.collect(upTo: maxBytes)
                    outcome = .success((response, body))
                }
            } catch is NIOTooManyBytesError {
                outcome = .failure(FetchFailure(url: url, kind: .tooLarge, message: "\(url) is larger than the limit of \(maxBytes) bytes"))
            } catch {
                outcome = .failure(HTTPFetcher.describe(error, url: url))
            }
            await limiter.release(host)

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
                url = next
                continue
            }
            guard (200..<300).contains(code) else {
                throw FetchFailure(url: url, kind: .httpStatus, status: code,
                                   message: "\(url) answered HTTP \(code) \(response.status.reasonPhrase)\(HTTPFetcher.advice(code))")
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

    static func looksLikeHTML(_ bytes: [UInt8], contentType: String?) -> Bool {
        if let contentType, contentType.lowercased().contains("text/html") { return true }
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        return first == UInt8(ascii: "<")
    }

    static func advice(_ code: Int) -> String {
        switch code {
        case 401, 403: " (access denied: TLP:WHITE/CLEAR documents should be public; for others configure credentials)"
        case 404: " (the server does not have it; the listing may be ahead of the files)"
        case 429: " (rate limited; Vigil backs off and tries again)"
        case 500..<600: " (a server error; it will be tried again)"
        default: ""
        }
    }

    static func describe(_ error: any Error, url: String) -> FetchFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .deadlineExceeded:
                return FetchFailure(url: url, kind: .timeout, message: "\(url) did not answer in time (timeout); it will be tried again")
            case .connectTimeout:
                return FetchFailure(url: url, kind: .timeout, message: "could not connect to \(url) in time; is the host reachable from here?")
            case .remoteConnectionClosed:
                return FetchFailure(url: url, kind: .connection, message: "\(url): the server closed the connection before answering")
            default:
                return FetchFailure(url: url, kind: .connection, message: "\(url): \(error)")
            }
        }
        let text = "\(error)"
        if text.contains("connectTimeout") || text.contains("timeout") {
            return FetchFailure(url: url, kind: .timeout, message: "\(url) did not answer in time (timeout); it will be tried again")
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") {
            return FetchFailure(url: url, kind: .connection, message: "\(url): connection refused; is the server running and the address right?")
        }
        if text.contains("NXDOMAIN") || text.contains("lookup") || text.contains("resolve") {
            return FetchFailure(url: url, kind: .connection, message: "\(url): the host name does not resolve; check the URL and DNS")
        }
        return FetchFailure(url: url, kind: .connection, message: "\(url): \(text)")
    }
}

/// At most `limit` requests in flight per host; the others wait their turn in order.
actor HostLimiter {
    private var active: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func acquire(_ host: String, limit: Int) async {
        if active[host, default: 0] < limit {
            active[host, default: 0] += 1
            return
        }
        await withCheckedContinuation { waiting[host, default: []].append($0) }
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
