import ArgumentParser
import CSAF
import Foundation
import Sources
import Storage
import Store
import Synchronization
import VigilTestSupport

/// `vigil-bench sync`: a full first sync of a provider folder served over loopback (fetch, verify, import), then an
/// idle poll with nothing new; prints wall time, requests and bytes against the targets.
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Time a first sync of a provider served on loopback, then an idle poll.",
        discussion: """
            Serves the provider folder (default ../shared/data/providers/cisa) from an HTTP server in this process on \
            127.0.0.1 (the tests' provider mirror), with ETags and the public URLs in its provider metadata and ROLIE \
            feeds rewritten to the server, then syncs it into a fresh SQLite database as `vigil sources sync` does, and polls it again. Targets: first \
            sync under 10 s; the idle poll makes one request per feed and parses no document.
            """)

    @Option(help: ArgumentHelp("The provider folder, holding provider-metadata.json.", valueName: "path"))
    var corpus: String?

    static let targetSeconds = 10.0

    func run() async throws {
        let root = BenchPaths.absolute(corpus ?? "../shared/data/providers/cisa")
        guard let metadata = FileManager.default.contents(atPath: root + "/provider-metadata.json"),
              let value = try? JSONParser.parse([UInt8](metadata)) else {
            printError("vigil-bench sync: no readable provider-metadata.json in \(root); pass --corpus PATH")
            throw ExitCode(2)
        }
        let mirror = ProviderMirror(root: URL(fileURLWithPath: root), prefixes: ProviderPrefixes.of(metadata: value, root: root))
        let serving: ProviderMirror.Serving
        do {
            serving = try await mirror.start()
        } catch {
            printError("vigil-bench sync: the loopback server did not start: \(error)")
            throw ExitCode(2)
        }
        defer { serving.stop() }
        let port = mirror.port.withLock { $0 }

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

/// The public URL prefixes of a provider folder's metadata, which the provider mirror rewrites to itself: the
/// metadata's folder, and for each feed the part of its URL before the path the feed file has in the folder.
enum ProviderPrefixes {
    static func of(metadata: JSONValue, root: String) -> [String] {
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
}
