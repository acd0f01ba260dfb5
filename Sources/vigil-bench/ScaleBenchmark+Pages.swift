import AsyncHTTPClient
import Foundation
import NIOCore
import Storage
import Synchronization
import VigilTestSupport

/// Pages under load: the real server (`vigil serve --no-sync`, as `Benchmarks/serve-bench.sh` starts it) on a free
/// loopback port, and a few clients in a loop over the home page, vendor pages, advisory pages, search pages and the
/// API's advisory list with filters, each kind walking many URLs so that most requests render a page the page cache
/// has not seen (as visitors and scripts spread over a large store would), measured by kind.
enum ScalePages {
    /// The URLs of each kind, drawn from the store before the server starts.
    struct Targets {
        var kinds: [(name: String, paths: [String])]
    }

    struct Result {
        var kinds: [ScaleFigures.Page]
        var requestsPerSecond: Double
        var peakMB: Double
        var errors: Int
        /// A few of the failed requests: status (0: no answer) and path.
        var failures: [String]
    }

    static func targets(store: any VigilStore, searchWords: [String]) async throws -> Targets {
        // Enough distinct addresses that the server renders nearly every page rather than serving it from its page
        // cache (a run at 25,000 makes about 4,000 requests of each kind): advisories from eight places in the list
        // (newest to oldest), 500 from each; every vendor's first and second page; each search and API query also
        // as its next pages.
        let first = try await store.search(AdvisoryQuery(perPage: 500))
        var ids = first.items.map(\.id)
        let pages = first.pageCount
        for page in Set((1...7).map { $0 * pages / 7 }).sorted() where page > 1 {
            ids += try await store.search(AdvisoryQuery(page: page, perPage: 500)).items.map(\.id)
        }
        let vendors = try await store.vendors()
        let stride = max(1, vendors.count / 2_000)
        let vendorSlugs = Swift.stride(from: 0, to: vendors.count, by: stride).map { vendors[$0].slug }
        let words = searchWords.isEmpty ? ["controller"] : searchWords
        let severities = ["critical", "high", "medium", "low"]
        // RFC 3986's unreserved characters stay as they are: the router matches path segments undecoded, so a vendor
        // slug with `-` written `%2D` would not be found.
        var unreserved = CharacterSet(charactersIn: "-._~")
        unreserved.formUnion(CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
        func encoded(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
        }
        var api: [String] = []
        for (position, word) in words.enumerated() {
            switch position % 4 {
            case 0: api.append("/api/v1/advisories?q=\(encoded(word))&per_page=20")
            case 1: api.append("/api/v1/advisories?severity=\(severities[position / 4 % 4])&page=\(1 + position / 16 % 5)")
            case 2: api.append("/api/v1/advisories?vendor=\(encoded(vendorSlugs.isEmpty ? word : vendorSlugs[position % vendorSlugs.count]))")
            default: api.append("/api/v1/advisories?year=\(2016 + position % 11)&severity=\(severities[position % 4])")
            }
        }
        return Targets(kinds: [
            ("home", ["/"]),
            ("vendor", vendorSlugs.isEmpty ? ["/vendors"] : vendorSlugs.map { "/vendors/\(encoded($0))" }
                + vendorSlugs.map { "/vendors/\(encoded($0))?page=2" }),
            ("advisory", ids.map { "/advisories/\(encoded($0))" }),
            ("search", (1...4).flatMap { page in
                words.enumerated().map { position, word in
                    (position % 3 == 2 ? "/?q=\(encoded(word))&severity=\(severities[position % 4])" : "/?q=\(encoded(word))")
                        + (page > 1 ? "&page=\(page)" : "")
                }
            }),
            ("api", api + api.filter { !$0.contains("&page=") }.flatMap { path in (2...4).map { "\(path)&page=\($0)" } }),
        ])
    }

    static func run(vigil: String, db: String, log: String, targets: Targets, clients: Int, seconds: Double) async throws -> Result {
        let port = try LoopbackPort.free()
        FileManager.default.createFile(atPath: log, contents: nil)
        guard let logHandle = FileHandle(forWritingAtPath: log) else { throw ScaleFailure("cannot write the server log \(log)") }
        defer { try? logHandle.close() }
        let server = ChildProcess()
        server.executableURL = URL(fileURLWithPath: vigil)
        server.arguments = ["serve", "--db", db, "--host", "127.0.0.1", "--port", "\(port)", "--no-sync", "--log-level", "warning"]
        server.standardOutput = logHandle
        server.standardError = logHandle
        do {
            try server.run()
        } catch {
            throw ScaleFailure("could not start \(vigil) serve: \(error)")
        }
        defer {
            if server.isRunning {
                server.terminate()
                server.waitUntilExit()
            }
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(60))))
        do {
            let result = try await load(client: client, server: server, port: port, log: log, targets: targets, clients: clients, seconds: seconds)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func load(client: HTTPClient, server: ChildProcess, port: Int, log: String, targets: Targets, clients: Int,
                             seconds: Double) async throws -> Result {
        let base = "http://127.0.0.1:\(port)"
        // Up: /healthz answers (opening the store and building the router take a moment on a large store).
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            guard server.isRunning else {
                throw ScaleFailure("vigil serve ended before answering (exit status \(server.terminationStatus)); see \(log)")
            }
            if let status = try? await get(client, base + "/healthz").status, status == 200 { break }
            guard ContinuousClock.now < deadline else { throw ScaleFailure("vigil serve did not answer /healthz within 120 s; see \(log)") }
            try await Task.sleep(for: .milliseconds(100))
        }

        // Each client takes the kinds in turn and the next URL of the kind.
        let cursors = Cursors(paths: targets.kinds.map(\.paths))
        let kindCount = targets.kinds.count
        struct Sample: Sendable {
            var kind: Int
            var milliseconds: Double
            var status: Int
            var path: String
        }
        func phase(_ duration: Double) async -> [Sample] {
            let end = ContinuousClock.now + .milliseconds(Int(duration * 1000))
            return await withTaskGroup(of: [Sample].self) { group in
                for clientNumber in 0..<clients {
                    group.addTask {
                        var samples: [Sample] = []
                        var kind = clientNumber % kindCount
                        while ContinuousClock.now < end {
                            let path = cursors.next(kind)
                            let started = ContinuousClock.now
                            let status = (try? await get(client, base + path).status) ?? 0
                            samples.append(Sample(kind: kind, milliseconds: (ContinuousClock.now - started).seconds * 1000, status: status, path: path))
                            kind = (kind + 1) % kindCount
                        }
                        return samples
                    }
                }
                var all: [Sample] = []
                for await samples in group { all += samples }
                return all
            }
        }
        _ = await phase(2)
        let started = ContinuousClock.now
        let samples = await phase(seconds)
        let elapsed = (ContinuousClock.now - started).seconds
        let peakKB = ScaleSystem.statusKB(pid: server.processIdentifier, field: "VmHWM")
        guard server.isRunning else { throw ScaleFailure("vigil serve ended during the load (exit status \(server.terminationStatus)); see \(log)") }

        var kinds: [ScaleFigures.Page] = []
        for (index, kind) in targets.kinds.enumerated() {
            let times = samples.filter { $0.kind == index }.map(\.milliseconds).sorted()
            kinds.append(ScaleFigures.Page(name: kind.name, requests: times.count, distinct: min(times.count, kind.paths.count),
                                           p50: ScaleStatistics.percentile(times, 0.5), p99: ScaleStatistics.percentile(times, 0.99)))
        }
        return Result(kinds: kinds, requestsPerSecond: Double(samples.count) / max(elapsed, 0.001),
                      peakMB: Double(peakKB) * 1024 / 1_000_000, errors: samples.count { $0.status != 200 },
                      failures: samples.filter { $0.status != 200 }.prefix(3).map { "\($0.status) \($0.path)" })
    }

    /// The next URL of each kind, shared by the clients: a kind's URLs are walked once before any repeats.
    final class Cursors: Sendable {
        let paths: [[String]]
        let positions: Mutex<[Int]>

        init(paths: [[String]]) {
            self.paths = paths
            positions = Mutex([Int](repeating: 0, count: paths.count))
        }

        func next(_ kind: Int) -> String {
            guard !paths[kind].isEmpty else { return "/" }
            let position = positions.withLock { positions -> Int in
                defer { positions[kind] += 1 }
                return positions[kind]
            }
            return paths[kind][position % paths[kind].count]
        }
    }

    /// One GET, its whole body read.
    private static func get(_ client: HTTPClient, _ url: String) async throws -> (status: Int, bytes: Int) {
        let request = HTTPClientRequest(url: url)
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), body.readableBytes)
    }
}
