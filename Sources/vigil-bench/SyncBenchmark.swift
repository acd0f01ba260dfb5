import ArgumentParser
import CSAF
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Sources
import Store
import Synchronization

/// `vigil bench sync`: a full first sync of a provider folder served over loopback (fetch, verify, import), then an
/// idle poll with nothing new; prints wall time, requests and bytes against the targets.
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Time a first sync of a provider served on loopback, then an idle poll.",
        discussion: """
            Serves the provider folder (default ../shared/data/providers/cisa) from an HTTP server in this process on \
            127.0.0.1, with ETags and the public URLs in its provider metadata and ROLIE feeds rewritten to the server, \
            then syncs it into a fresh SQLite database as `vigil sources sync` does, and polls it again. Targets: first \
            sync under 10 s; the idle poll makes one request per feed and parses no document.
            """)

    @Option(help: ArgumentHelp("The provider folder, holding provider-metadata.json.", valueName: "path"))
    var corpus: String?

    static let targetSeconds = 10.0

    func run() async throws {
        let root = BenchPaths.absolute(corpus ?? "../shared/data/providers/cisa")
        guard let metadata = FileManager.default.contents(atPath: root + "/provider-metadata.json"),
              let value = try? JSONParser.parse([UInt8](metadata)) else {
            printError("vigil bench sync: no readable provider-metadata.json in \(root); pass --corpus PATH")
            throw ExitCode(2)
        }
        let server = LoopbackProvider(root: root, prefixes: LoopbackProvider.prefixes(metadata: value, root: root))
        let portBox = Mutex<Int?>(nil)
        let router = Router()
        router.get("**") { request, _ in server.respond(request) }
        var logger = Logger(label: "bench")
        // Cancelling the server at the end logs a harmless "already closed"; only real failures are worth showing.
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portBox.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let serverTask = Task { try await app.runService() }
        var port: Int?
        for _ in 0..<500 {
            port = portBox.withLock { $0 }
            if port != nil { break }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        guard let port else {
            serverTask.cancel()
            printError("vigil bench sync: the loopback server did not start")
            throw ExitCode(2)
        }
        server.base.withLock { $0 = "http://127.0.0.1:\(port)/" }

        let folder = try BenchPaths.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStore(path: folder + "/bench.sqlite")
        let source = SourceRecord(slug: "bench", name: "Benchmark provider", url: "http://127.0.0.1:\(port)/provider-metadata.json")
        try await store.saveSource(source)
        let (first, idle) = try await HTTPFetcher.with { fetcher in
            let sync = ProviderSync(store: store, fetcher: fetcher)
            let first = try await sync.sync(source)
            let idle = try await sync.sync(try await store.source(slug: "bench") ?? source)
            return (first, idle)
        }
        serverTask.cancel()

        print("Provider folder: \(root), served at http://127.0.0.1:\(port)/")
        print("")
        print("first sync:  \(String(format: "%7.2f", first.seconds)) s  \(first.requests.grouped) requests  \(String(format: "%.1f", Double(first.bytes) / 1e6)) MB  \(first.listed.grouped) listed, \(first.new.grouped) new, \(first.quarantined) quarantined, \(first.failed) failed\(first.error.map { "  ERROR: \($0)" } ?? "")")
        print("idle poll:   \(String(format: "%7.3f", idle.seconds)) s  \(idle.requests) requests (\(idle.notModified) not modified) for \(idle.feeds) feeds  \(idle.bytes) bytes  \(idle.parsed) documents parsed")
        print("")
        print("targets")
        print("  first sync under \(Int(Self.targetSeconds)) s                 \(String(format: "%.2f", first.seconds)) s  \(first.seconds < Self.targetSeconds ? "met" : "NOT met")")
        let idleMet = idle.requests == idle.feeds && idle.parsed == 0
        print("  idle poll: one request per feed, none parsed  \(idle.requests)/\(idle.feeds), \(idle.parsed)  \(idleMet ? "met" : "NOT met")")
        struct Summary: Encodable {
            var firstSeconds: Double, firstRequests: Int, firstBytes: Int, documents: Int
            var idleSeconds: Double, idleRequests: Int, idleParsed: Int, feeds: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(Summary(firstSeconds: (first.seconds * 1000).rounded() / 1000, firstRequests: first.requests,
                                                          firstBytes: first.bytes, documents: first.new, idleSeconds: (idle.seconds * 1000).rounded() / 1000,
                                                          idleRequests: idle.requests, idleParsed: idle.parsed, feeds: idle.feeds)), as: UTF8.self))
        if first.error != nil || first.failed > 0 { throw ExitCode(1) }
    }
}

/// Serves a provider folder as its web server would, for the benchmark: ETags, conditional requests, and the public
/// URL prefixes in the metadata and feeds rewritten to this server.
final class LoopbackProvider: Sendable {
    let root: String
    let prefixes: [String]
    let base = Mutex("")
    /// Rewritten listings, computed once.
    let rewritten = Mutex<[String: [UInt8]]>([:])

    init(root: String, prefixes: [String]) {
        self.root = root
        self.prefixes = prefixes
    }

    /// The public prefixes: the metadata's folder, and for each feed the part of its URL before the path the feed
    /// file has in the folder.
    static func prefixes(metadata: JSONValue, root: String) -> [String] {
        var result: [String] = []
        if let canonical = metadata["canonical_url"]?.stringValue, let slash = canonical.lastIndex(of: "/") {
            result.append(String(canonical[...slash]))
        }
        if case .array(let distributions)? = metadata["distributions"] {
            for distribution in distributions {
                guard case .array(let feeds)? = distribution["rolie"]?["feeds"] else { continue }
                for feed in feeds {
                    guard let url = feed["url"]?.stringValue, let components = URLComponents(string: url) else { continue }
                    let parts = components.path.split(separator: "/").map(String.init)
                    for start in parts.indices {
                        let relative = parts[start...].joined(separator: "/")
                        if FileManager.default.fileExists(atPath: root + "/" + relative) {
                            result.append(String(url.dropLast(relative.count)))
                            break
                        }
                    }
                }
            }
        }
        return result
    }

    func respond(_ request: Request) -> Response {
        let path = String(request.uri.path.dropFirst())
        guard !path.contains(".."), let bytes = body(path) else {
            return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "not found")))
        }
        let etag = "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.contentType] = path.hasSuffix(".json") ? "application/json" : "text/plain"
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func body(_ path: String) -> [UInt8]? {
        if let done = rewritten.withLock({ $0[path] }) { return done }
        guard let data = FileManager.default.contents(atPath: root + "/" + path) else { return nil }
        guard path.hasSuffix("provider-metadata.json") || path.hasSuffix("feed-tlp-white.json") || path.hasSuffix("feed-tlp-clear.json") else {
            return [UInt8](data)
        }
        var text = String(decoding: data, as: UTF8.self)
        let base = self.base.withLock { $0 }
        for prefix in prefixes { text = text.replacingOccurrences(of: prefix, with: base) }
        let bytes = Array(text.utf8)
        rewritten.withLock { $0[path] = bytes }
        return bytes
    }
}
