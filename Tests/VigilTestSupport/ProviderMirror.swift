import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A CSAF provider on loopback, serving a real provider's folder from `../shared/data` the way a web server would:
/// ETag and Last-Modified with conditional requests, the provider metadata and ROLIE feeds with their public base URLs
/// rewritten to this server. Tests change what it serves (overlay files, hide feed entries) and inject faults; the
/// benchmarks (`vigil-bench sync`, `vigil-bench latency`) serve a provider folder with it and publish into its feeds.
/// Tests run it with `run(_:)` (SyncTests, through HummingbirdTesting); the benchmarks with `start()`.
public final class ProviderMirror: Sendable {
    public enum Fault: Sendable {
        case status(Int)
        /// Answers 429 Too Many Requests with `Retry-After` set to this many seconds.
        case rateLimited(retryAfter: Int)
        case html
        /// Answers only after this many seconds (longer than the client's timeout).
        case hang(Double)
        /// Starts a response and closes the connection half-way.
        case reset
        case redirect(String)
    }

    public struct State: Sendable {
        public var overlay: [String: [UInt8]] = [:]
        public var faults: [String: Fault] = [:]
        public var hiddenEntries: Set<String> = []
        /// When set, feeds list only these documents.
        public var onlyEntries: Set<String>?
        public var extraKeys: [(fingerprint: String, path: String)] = []
        public var requests: [(path: String, status: Int)] = []
        /// When set, every request must carry this Authorization header (else 401).
        public var requiredAuthorization: String?
        /// Authorization headers received, per path.
        public var authorizations: [String: String] = [:]
        /// Per path, how many requests arrived and when the first did (Unix seconds), counted as they arrive.
        public var arrivals: [String: (count: Int, first: Double)] = [:]

        public init() {}
    }

    public let root: URL
    /// Public URL prefixes replaced by this server's base URL in metadata and feeds.
    public let prefixes: [String]
    public let state = Mutex(State())
    public let port = Mutex(0)

    /// For gocsaf's test providers (`../shared/data/providers/gocsaf-testdata`), written as Go templates: the flags
    /// their test server sets (`EnableSha256`, `EnableSha512`, `ForbidSha256`, `ForbidSha512`), served as gocsaf's
    /// `testutil.ProviderHandler` serves them. Nil for every other provider.
    public let goTemplateFlags: [String: Bool]?
    /// Whether the folder is gocsaf's directory provider (hash files answer 404 unless enabled, as in gocsaf).
    public let directoryProvider: Bool

    public init(root: URL, prefixes: [String], goTemplateFlags: [String: Bool]? = nil, directoryProvider: Bool = false) {
        self.root = root
        self.prefixes = prefixes
        self.goTemplateFlags = goTemplateFlags
        self.directoryProvider = directoryProvider
    }

    /// gocsaf's `simple-directory-provider` or `simple-rolie-provider`, with its test server's flags.
    public static func gocsaf(directory: Bool, flags: [String: Bool] = [:]) throws -> ProviderMirror {
        ProviderMirror(root: try SharedData.url("providers/gocsaf-testdata/" + (directory ? "simple-directory-provider" : "simple-rolie-provider")),
                       prefixes: [], goTemplateFlags: flags, directoryProvider: directory)
    }

    /// gocsaf's answers for hash files: 403 when forbidden, 404 when a directory provider does not enable them.
    func goTemplateStatus(_ path: String) -> Int? {
        guard let flags = goTemplateFlags else { return nil }
        for algorithm in ["256", "512"] where path.hasSuffix(".sha" + algorithm) {
            if flags["ForbidSha" + algorithm] == true { return 403 }
            if directoryProvider, flags["EnableSha" + algorithm] != true, state.withLock({ $0.overlay[path] }) == nil { return 404 }
        }
        return nil
    }

    /// Go's `{{.URL}}` and `{{if .Flag}}…{{end}}`, as much of text/template as gocsaf's test files use.
    func renderGoTemplate(_ text: String, flags: [String: Bool]) -> String {
        var out = text.replacingOccurrences(of: "{{.URL}}", with: String(base.dropLast()))
        while let open = out.range(of: "{{if ."), let close = out.range(of: "}}", range: open.upperBound..<out.endIndex),
              let end = out.range(of: "{{end}}", range: close.upperBound..<out.endIndex) {
            let flag = String(out[open.upperBound..<close.lowerBound])
            let body = flags[flag] == true ? String(out[close.upperBound..<end.lowerBound]) : ""
            out.replaceSubrange(open.lowerBound..<end.upperBound, with: body)
        }
        return out
    }

    /// CISA's folder, with its two public prefixes mapped to the root.
    public static func cisa() throws -> ProviderMirror {
        ProviderMirror(root: try SharedData.url("providers/cisa"),
                       prefixes: ["https://www.cisa.gov/sites/default/files/csaf/", "https://raw.githubusercontent.com/cisagov/CSAF/develop/"])
    }

    public var base: String { "http://127.0.0.1:\(port.withLock { $0 })/" }
    public var metadataURL: String { base + "provider-metadata.json" }

    public func set(_ path: String, _ bytes: [UInt8]) { state.withLock { $0.overlay[path] = bytes } }
    public func fault(_ path: String, _ fault: Fault?) { state.withLock { $0.faults[path] = fault } }
    public func hide(_ documentPaths: Set<String>) { state.withLock { $0.hiddenEntries = documentPaths } }
    public func only(_ documentPaths: Set<String>?) { state.withLock { $0.onlyEntries = documentPaths } }
    public func addKey(fingerprint: String, path: String) { state.withLock { $0.extraKeys.append((fingerprint, path)) } }
    public func resetLog() { state.withLock { $0.requests = [] } }
    public var log: [(path: String, status: Int)] { state.withLock { $0.requests } }

    public func respond(_ request: Request) async throws -> Response {
        let path = String(request.uri.path.dropFirst())
        let arrived = Date().timeIntervalSince1970
        state.withLock { $0.arrivals[path, default: (0, arrived)].count += 1 }
        let fault = state.withLock { $0.faults[path] }
        func logged(_ response: Response) -> Response {
            state.withLock { $0.requests.append((path, Int(response.status.code))) }
            return response
        }
        let authorization = request.headers[.authorization]
        let required = state.withLock { state in
            if let authorization { state.authorizations[path] = authorization }
            return state.requiredAuthorization
        }
        if let required, authorization != required {
            return logged(Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "sign in"))))
        }
        switch fault {
        case .status(let code)?:
            return logged(Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "error \(code)"))))
        case .rateLimited(let seconds)?:
            var headers = HTTPFields()
            headers[.retryAfter] = "\(seconds)"
            return logged(Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "slow down"))))
        case .html?:
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return logged(Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "<!doctype html><title>Sign in</title>"))))
        case .hang(let seconds)?:
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        case .redirect(let location)?:
            var headers = HTTPFields()
            headers[.location] = location
            return logged(Response(status: .found, headers: headers))
        case .reset?:
            state.withLock { $0.requests.append((path, 0)) }
            return Response(status: .ok, body: ResponseBody(contentLength: 100_000) { writer in
                try await writer.write(ByteBuffer(string: "{\"document\": {"))
                throw CancellationError()
            })
        case nil:
            break
        }
        if let status = goTemplateStatus(path) {
            return logged(Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: "status \(status)"))))
        }
        guard let bytes = served(path) else {
            return logged(Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "not found"))))
        }
        let etag = "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.lastModified] = "Thu, 24 Oct 2024 19:23:12 GMT"
        headers[.contentType] = path.hasSuffix(".json") ? "application/json" : path.isEmpty || path.hasSuffix("/") || path.hasSuffix(".html") ? "text/html" : "text/plain"
        if request.headers[.ifNoneMatch] == etag {
            return logged(Response(status: .notModified, headers: headers))
        }
        return logged(Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes))))
    }

    /// What a GET of `path` answers (without faults): the overlay or the folder's file, with the metadata and the ROLIE
    /// feeds rewritten to this server.
    public func served(_ path: String) -> [UInt8]? {
        if let flags = goTemplateFlags {
            let file = path.isEmpty || path.hasSuffix("/") ? path + "index.html" : path
            guard let bytes = content(file) else { return nil }
            return Array(renderGoTemplate(String(decoding: bytes, as: UTF8.self), flags: flags).utf8)
        }
        guard let bytes = content(path) else { return nil }
        let rewritten = path.hasSuffix("provider-metadata.json") || path.hasSuffix("-feed-tlp-white.json") || path.hasSuffix("-feed-tlp-clear.json")
        return rewritten ? rewrite(bytes, path: path) : bytes
    }

    /// Requests for `path` so far (counted as they arrive, faults included).
    public func requests(for path: String) -> Int { state.withLock { $0.arrivals[path]?.count ?? 0 } }

    /// When `path` was first requested (Unix seconds), if it was.
    public func firstRequest(for path: String) -> Double? { state.withLock { $0.arrivals[path]?.first } }

    /// Serves on a free loopback port until `stop()` is called on what this returns (for the benchmarks; tests use
    /// `run(_:)`). `base` is this server's from then on.
    public func start() async throws -> Serving {
        let router = Router()
        router.get("**") { request, _ in try await self.respond(request) }
        var logger = Logger(label: "vigil.provider-mirror")
        // Cancelling the server at the end logs a harmless "already closed"; only real failures are worth showing.
        logger.logLevel = .critical
        let bound = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in bound.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let task = Task { try await app.runService() }
        for _ in 0..<1000 {
            if let listening = bound.withLock({ $0 }) {
                port.withLock { $0 = listening }
                return Serving(task: task)
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        task.cancel()
        throw TestSetupError("the provider mirror did not start listening")
    }

    /// A running `start()`.
    public struct Serving: Sendable {
        let task: Task<Void, any Error>
        public func stop() { task.cancel() }
    }

    public func content(_ path: String) -> [UInt8]? {
        if let overlay = state.withLock({ $0.overlay[path] }) { return overlay }
        guard !path.contains(".."), let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) else { return nil }
        return [UInt8](data)
    }

    /// Points the public URLs at this server; drops hidden feed entries; lists extra keys in the metadata.
    public func rewrite(_ bytes: [UInt8], path: String) -> [UInt8] {
        var text = String(decoding: bytes, as: UTF8.self)
        for prefix in prefixes { text = text.replacingOccurrences(of: prefix, with: base) }
        guard var object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return Array(text.utf8) }
        let (hidden, only, keys) = state.withLock { ($0.hiddenEntries, $0.onlyEntries, $0.extraKeys) }
        if var feed = object["feed"] as? [String: Any], let entries = feed["entry"] as? [[String: Any]], !hidden.isEmpty || only != nil {
            feed["entry"] = entries.filter { entry in
                let links = entry["link"] as? [[String: Any]] ?? []
                let url = links.first { $0["rel"] as? String == "self" }?["href"] as? String ?? ""
                let path = String(url.dropFirst(base.count))
                return !hidden.contains(path) && (only?.contains(path) ?? true)
            }
            object["feed"] = feed
        }
        if !keys.isEmpty, var listed = object["public_openpgp_keys"] as? [[String: Any]] {
            for key in keys { listed.append(["fingerprint": key.fingerprint, "url": base + key.path]) }
            object["public_openpgp_keys"] = listed
        }
        return [UInt8]((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(text.utf8))
    }
}
