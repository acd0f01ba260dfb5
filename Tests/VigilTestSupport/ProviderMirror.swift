import Crypto
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing
import VigilTestSupport

/// A CSAF provider on loopback, serving a real provider's folder from `../shared/data` the way a web server would:
/// ETag and Last-Modified with conditional requests, the provider metadata and ROLIE feeds with their public base URLs
/// rewritten to this server. Tests change what it serves (overlay files, hide feed entries) and inject faults.
final class ProviderMirror: Sendable {
    enum Fault: Sendable {
        case status(Int)
        case html
        /// Answers only after this many seconds (longer than the client's timeout).
        case hang(Double)
        /// Starts a response and closes the connection half-way.
        case reset
        case redirect(String)
    }

    struct State {
        var overlay: [String: [UInt8]] = [:]
        var faults: [String: Fault] = [:]
        var hiddenEntries: Set<String> = []
        /// When set, feeds list only these documents.
        var onlyEntries: Set<String>?
        var extraKeys: [(fingerprint: String, path: String)] = []
        var requests: [(path: String, status: Int)] = []
        /// When set, every request must carry this Authorization header (else 401).
        var requiredAuthorization: String?
        /// Authorization headers received, per path.
        var authorizations: [String: String] = [:]
    }

    let root: URL
    /// Public URL prefixes replaced by this server's base URL in metadata and feeds.
    let prefixes: [String]
    let state = Mutex(State())
    let port = Mutex(0)

    init(root: URL, prefixes: [String]) {
        self.root = root
        self.prefixes = prefixes
    }

    /// CISA's folder, with its two public prefixes mapped to the root.
    static func cisa() throws -> ProviderMirror {
        ProviderMirror(root: try SharedData.url("providers/cisa"),
                       prefixes: ["https://www.cisa.gov/sites/default/files/csaf/", "https://raw.githubusercontent.com/cisagov/CSAF/develop/"])
    }

    var base: String { "http://127.0.0.1:\(port.withLock { $0 })/" }
    var metadataURL: String { base + "provider-metadata.json" }

    func set(_ path: String, _ bytes: [UInt8]) { state.withLock { $0.overlay[path] = bytes } }
    func fault(_ path: String, _ fault: Fault?) { state.withLock { $0.faults[path] = fault } }
    func hide(_ documentPaths: Set<String>) { state.withLock { $0.hiddenEntries = documentPaths } }
    func only(_ documentPaths: Set<String>?) { state.withLock { $0.onlyEntries = documentPaths } }
    func addKey(fingerprint: String, path: String) { state.withLock { $0.extraKeys.append((fingerprint, path)) } }
    func resetLog() { state.withLock { $0.requests = [] } }
    var log: [(path: String, status: Int)] { state.withLock { $0.requests } }

    /// Runs `body` with the server listening on a free loopback port.
    func run(_ body: @Sendable (ProviderMirror) async throws -> Void) async throws {
        let router = Router()
        router.get("**") { request, _ in try await self.respond(request) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            port.withLock { $0 = client.port ?? 0 }
            try await body(self)
        }
    }

    func respond(_ request: Request) async throws -> Response {
        let path = String(request.uri.path.dropFirst())
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
        guard var bytes = content(path) else {
            return logged(Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "not found"))))
        }
        if path.hasSuffix("provider-metadata.json") || path.hasSuffix("-feed-tlp-white.json") {
            bytes = rewrite(bytes, path: path)
        }
        let etag = "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.lastModified] = "Thu, 24 Oct 2024 19:23:12 GMT"
        headers[.contentType] = path.hasSuffix(".json") ? "application/json" : "text/plain"
        if request.headers[.ifNoneMatch] == etag {
            return logged(Response(status: .notModified, headers: headers))
        }
        return logged(Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes))))
    }

    func content(_ path: String) -> [UInt8]? {
        if let overlay = state.withLock({ $0.overlay[path] }) { return overlay }
        guard !path.contains(".."), let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) else { return nil }
        return [UInt8](data)
    }

    /// Points the public URLs at this server; drops hidden feed entries; lists extra keys in the metadata.
    func rewrite(_ bytes: [UInt8], path: String) -> [UInt8] {
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

    /// Replaces a feed entry's `updated` time, in the overlay (for revised documents).
    func setUpdated(feed: String, document: String, to updated: String) throws {
        let original = try #require(content(feed))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(original)) as? [String: Any])
        var feedObject = try #require(object["feed"] as? [String: Any])
        var entries = try #require(feedObject["entry"] as? [[String: Any]])
        var found = false
        for index in entries.indices {
            let links = entries[index]["link"] as? [[String: Any]] ?? []
            if links.contains(where: { ($0["href"] as? String)?.hasSuffix("/" + document) == true && $0["rel"] as? String == "self" }) {
                entries[index]["updated"] = updated
                found = true
            }
        }
        try #require(found, "no feed entry for \(document)")
        feedObject["entry"] = entries
        object["feed"] = feedObject
        set(feed, [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])))
    }
}
