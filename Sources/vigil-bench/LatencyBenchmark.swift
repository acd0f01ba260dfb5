import Alerts
import ArgumentParser
import CSAF
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Sources
import Storage
import Store
import Synchronization
import VigilTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `vigil-bench latency`: the time from a provider publishing an advisory to the SMTP server accepting the alert about
/// it, through polling as `vigil serve` does it, first with the healthy provider alone, then with hostile sources
/// polled beside it (issue 12: a hostile source must not delay a healthy one).
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Time publication → SMTP accepted through polling, alone and beside hostile sources.",
        discussion: """
            Each run: a fresh SQLite store; the provider folder served on 127.0.0.1 with its feeds trimmed to their \
            newest entries (--initial) and synced once; one organisation with an email channel (aiosmtpd on loopback) \
            and a keyword watch; then the source scheduler and the alert service of `vigil serve` run while the \
            provider publishes --publish advisories one at a time, each within a second of the previous one's \
            message (a miss after 3 poll intervals). The first run has no hostile source; the second adds --hostile \
            sources: servers of scripts/hostile_servers.py (refusing, stalling, trickling, 503, 429, TLS that stalls \
            or fails, …) and names that do not resolve. Needs python3 with aiosmtpd. The last line is a JSON summary.
            """)

    @Option(help: ArgumentHelp("The provider folder, holding provider-metadata.json (default: ../shared/data/providers/cisa).", valueName: "path"))
    var corpus: String?
    @Option(help: "Advisories published one at a time in each run.")
    var publish = 10
    @Option(help: "Hostile sources in the second run (the first has none; 0: one run only).")
    var hostile = 30
    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Seconds between polls of every source, as `vigil serve --poll-interval` (at least 10).", valueName: "seconds"))
    var pollInterval = 10
    @Option(help: ArgumentHelp("Entries each feed lists at the start, newest first (0: all); the others are hidden, and the published advisories are copies of them.", valueName: "count"))
    var initial = 200
    @Flag(name: .customLong("random-phase"), help: "Wait a random part of a poll interval before each publication (typical latency) instead of under a second after the previous message, just after a poll (close to the worst case).")
    var randomPhase = false
    @Option(help: ArgumentHelp("The Python interpreter for aiosmtpd and the hostile servers.", valueName: "command"))
    var python = "python3"
    @Option(name: .customLong("hostile-script"), help: ArgumentHelp("The hostile servers script.", valueName: "path"))
    var hostileScript = "scripts/hostile_servers.py"

    /// p99 at most the poll interval plus this; the median beside hostile sources within `medianSlack` of the median
    /// without them.
    static let p99Slack = 3.0
    static let medianSlack = 1.0
    /// What the watch looks for: a word added to the title of every published copy, and to nothing else.
    static let keyword = "vigil-bench-latency"
    static let hostileKinds = HostileServers.allKinds

    func validate() throws {
        guard publish >= 1 else { throw ValidationError("--publish must be at least 1") }
        guard hostile >= 0 else { throw ValidationError("--hostile must be 0 or more") }
        guard pollInterval >= 10 else { throw ValidationError("--poll-interval must be at least 10 (seconds), as for vigil serve") }
        guard initial >= 0 else { throw ValidationError("--initial must be 0 (all) or more") }
    }

    /// What one run measured.
    struct RunFigures {
        var hostile: Int
        var firstSync: SyncReport
        /// Per publication, seconds from publication to SMTP accepted; nil for a miss.
        var latencies: [Double?]
        /// Per publication, seconds from publication to the first request for the document (the poll that found it
        /// and the feed's fetch); nil when it was never fetched. The rest of the latency is fetching the document and
        /// its hash, checking, storing, the alert service's next pass (every second) and SMTP.
        var untilFetched: [Double?]
        /// Requests for the publishing feed while publishing: the healthy source's polls.
        var healthyPolls: Int
        var publishingSeconds: Double

        /// Misses count as infinitely late.
        var sorted: [Double] { latencies.map { $0 ?? .infinity }.sorted() }
        var median: Double { LatencyBenchmark.median(sorted) }
        /// Nearest rank: with fewer than 100 publications, the slowest.
        var p99: Double {
            let values = sorted
            return values[max(Int((0.99 * Double(values.count)).rounded(.up)) - 1, 0)]
        }
        var missed: Int { latencies.filter { $0 == nil }.count }
        var afterFetch: [Double] { zip(latencies, untilFetched).compactMap { total, fetched in total.flatMap { t in fetched.map { t - $0 } } } }
    }

    /// The middle value (the mean of the two middle ones for an even count); NaN for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        // Writing to a child that has already exited must fail the write, not kill the benchmark.
        signal(SIGPIPE, SIG_IGN)
        let root = BenchPaths.absolute(corpus ?? ImportBenchmark.defaultCorpus)
        guard let metadataBytes = FileManager.default.contents(atPath: root + "/provider-metadata.json"),
              let metadata = try? JSONParser.parse([UInt8](metadataBytes)) else {
            printError("vigil-bench latency: no readable provider-metadata.json in \(root); pass --corpus PATH")
            throw ExitCode(2)
        }
        let script = BenchPaths.absolute(hostileScript)
        if hostile > 0, !FileManager.default.fileExists(atPath: script) {
            printError("vigil-bench latency: the hostile servers script \(script) does not exist; run from the package folder or pass --hostile-script PATH (or --hostile 0)")
            throw ExitCode(2)
        }
        guard let pythonPath = try? benchPython(python) else {
            printError("vigil-bench latency: \(python) was not found; install Python 3 (with `pip install aiosmtpd`) or pass --python COMMAND")
            throw ExitCode(2)
        }

        print("Alert latency: publication → SMTP accepted, polling every \(pollInterval) s, \(publish) publications per run")
        print("provider folder \(root), served on 127.0.0.1; each feed lists \(initial > 0 ? "its \(initial) newest entries" : "all its entries") at the start")
        print("fetch policy: the defaults, except no cap on requests per second per server (a loopback server; at 20/s the first sync would mostly wait)")
        print(randomPhase ? "each publication waits a random part of a poll interval after the previous one's message (typical latency)"
                          : "each publication follows the previous one's message within a second, so just after a poll (close to the worst case)")
        var runs: [RunFigures] = []
        for count in hostile > 0 ? [0, hostile] : [0] {
            do {
                runs.append(try await measure(hostileCount: count, root: root, metadata: metadata, script: script, python: pythonPath))
            } catch let exit as ExitCode {
                throw exit
            } catch {
                printError("vigil-bench latency: the run with \(count) hostile sources failed: \(error)")
                throw ExitCode(1)
            }
        }
        report(runs)
    }

    func report(_ runs: [RunFigures]) {
        let limit = Double(pollInterval) + Self.p99Slack
        print("")
        print("targets")
        var rows: [[String]] = []
        var p99Met: [Bool] = []
        for run in runs {
            let met = run.p99 <= limit
            p99Met.append(met)
            rows.append(["  p99 ≤ \(Self.seconds(limit)) with \(run.hostile) hostile sources", Self.seconds(run.p99)
                            + (run.missed > 0 ? " (\(run.missed) missed)" : ""), met ? "met" : "NOT met"])
        }
        var medianMet: Bool?
        var delta: Double?
        if runs.count == 2 {
            let (alone, beside) = (runs[0], runs[1])
            delta = beside.median - alone.median
            let met = (delta ?? .infinity).isFinite && abs(delta ?? .infinity) <= Self.medianSlack
            medianMet = met
            let ratio = beside.median / alone.median
            rows.append(["  median with \(beside.hostile) within \(Self.seconds(Self.medianSlack)) of median with 0",
                         "\(String(format: "%+.2f", delta ?? .nan)) s (\(String(format: "%.2f", ratio))x)", met ? "met" : "NOT met"])
        }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                  + String(repeating: " ", count: widths[1] - row[1].count) + row[1] + "  " + row[2])
        }

        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return String(format: "%.3f", value)
        }
        let perRun = runs.map { run in
            "{\"hostile\":\(run.hostile),\"first_sync_s\":\(number(run.firstSync.seconds)),\"first_sync_documents\":\(run.firstSync.new),"
                + "\"median_s\":\(number(run.median)),\"p99_s\":\(number(run.p99)),\"max_s\":\(number(run.sorted.last)),"
                + "\"until_fetched_median_s\":\(number(Self.median(run.untilFetched.compactMap { $0 }))),"
                + "\"after_fetch_median_s\":\(number(Self.median(run.afterFetch))),\"after_fetch_max_s\":\(number(run.afterFetch.max())),"
                + "\"missed\":\(run.missed),\"healthy_polls\":\(run.healthyPolls),\"publishing_s\":\(number(run.publishingSeconds))}"
        }
        print("{\"poll_interval_s\":\(pollInterval),\"publications\":\(publish),"
              + "\"random_phase\":\(randomPhase),\"runs\":[\(perRun.joined(separator: ","))],\"median_delta_s\":\(number(delta)),"
              + "\"target_p99_s\":\(number(limit)),\"target_p99_met\":\(p99Met.allSatisfy { $0 }),"
              + "\"target_median_met\":\(medianMet.map { "\($0)" } ?? "null")}")
    }

    /// One run with `hostileCount` hostile sources: fresh store, server and mail sink; first sync; publications.
    func measure(hostileCount: Int, root: String, metadata: JSONValue, script: String, python: String) async throws -> RunFigures {
        print("")
        print("run with \(hostileCount) hostile source\(hostileCount == 1 ? "" : "s")")
        let folder = try BenchPaths.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let smtp = try SMTPPeer(folder: URL(fileURLWithPath: folder), options: .init(python: python, arrivalsOnly: true))
        defer { smtp.stop() }
        let prefixes = ProviderPrefixes.of(metadata: metadata, root: root)
        let server = ProviderMirror(root: URL(fileURLWithPath: root), prefixes: prefixes)
        let serving = try await server.start()
        defer { serving.stop() }
        let publisher = try FeedPublisher(provider: server, feedPaths: FeedPublisher.feedPaths(metadata: metadata, prefixes: prefixes),
                                          keep: initial > 0 ? initial : nil)

        let store = try SQLiteStore(path: folder + "/bench.sqlite")
        let healthy = SourceRecord(slug: "healthy", name: "CISA on loopback", url: server.base + "provider-metadata.json", pollInterval: pollInterval)
        try await store.saveSource(healthy)
        var policy = FetchPolicy()
        policy.perHostRequestsPerSecond = nil
        let fetcher = HTTPFetcher(policy: policy)
        do {
            let figures = try await measure(hostileCount: hostileCount, healthy: healthy, store: store, fetcher: fetcher, smtp: smtp,
                                            server: server, publisher: publisher, folder: folder, script: script, python: python)
            await fetcher.shutdown()
            await store.close()
            return figures
        } catch {
            await fetcher.shutdown()
            await store.close()
            throw error
        }
    }

    private func measure(hostileCount: Int, healthy: SourceRecord, store: SQLiteStore, fetcher: HTTPFetcher, smtp: SMTPPeer,
                         server: ProviderMirror, publisher: FeedPublisher, folder: String, script: String,
                         python: String) async throws -> RunFigures {
        var options = ProviderSync.Options()
        options.interval = pollInterval
        let first = try await ProviderSync(store: store, fetcher: fetcher, options: options).sync(healthy)
        print("  first sync of the healthy provider: \(String(format: "%.2f", first.seconds)) s, \(first.requests.grouped) requests, "
              + "\(first.listed.grouped) listed of \(publisher.total.grouped) in the folder, \(first.new.grouped) new, "
              + "\(first.quarantined) quarantined, \(first.failed) failed")
        if let error = first.error { throw Failure(description: "the first sync of the healthy provider failed: \(error)") }

        // Set up after the first sync: a watch alerts only for what is stored after it was made, and the originals
        // are years old anyway (backfill, which alerts nobody).
        guard let organisation = try await store.organisation(named: "Bench", create: true) else {
            throw Failure(description: "the store did not create the organisation Bench")
        }
        _ = try await store.addChannel(.init(name: "ops", kind: .email, target: "ops@bench.example"), organisationID: organisation.id)
        _ = try await store.addWatch(.init(kind: "keyword", value: Self.keyword), organisationID: organisation.id)

        var hostileServers: HostileServers?
        defer { hostileServers?.stop() }
        var hostileSlugs: [String] = []
        var usedKinds = Set<String>()
        if hostileCount > 0 {
            // A few names that do not resolve; the rest are servers of the script, its kinds taken in turn.
            let unresolvable = hostileCount / 7
            let onLoopback = hostileCount - unresolvable
            let copies = (onLoopback + Self.hostileKinds.count - 1) / Self.hostileKinds.count
            let bound = publish * (pollInterval * (randomPhase ? 4 : 3) + 1) + 300
            let servers = try HostileServers(kinds: Self.hostileKinds, copies: copies, maxSeconds: bound, python: python,
                                             script: script, logPath: folder + "/hostile.log")
            hostileServers = servers
            let chosen = Self.takeInTurn(servers.servers, count: onLoopback)
            usedKinds = Set(chosen.map(\.kind))
            for (index, hostileServer) in chosen.enumerated() {
                // Every server listens on 127.0.0.1, as the healthy provider does, each on a port of its own: the
                // fetcher's politeness limits are per host and port, so each is a server of its own, as on the Internet.
                let slug = "hostile-\(index + 1)-\(hostileServer.kind)"
                hostileSlugs.append(slug)
                try await store.saveSource(SourceRecord(slug: slug, name: "Hostile \(hostileServer.kind)",
                                                        url: hostileServer.url,
                                                        pollInterval: pollInterval))
            }
            for index in 0..<unresolvable {
                let slug = "nowhere-\(index + 1)"
                hostileSlugs.append(slug)
                try await store.saveSource(SourceRecord(slug: slug, name: "Unresolvable \(index + 1)",
                                                        url: "https://nowhere-\(index + 1).invalid/.well-known/csaf/provider-metadata.json",
                                                        pollInterval: pollInterval))
            }
            let kinds = Dictionary(grouping: chosen, by: \.kind).map { "\($0.key) ×\($0.value.count)" }.sorted()
            print("  hostile sources: \(chosen.count) servers on 127.0.0.1 (\(kinds.joined(separator: ", "))), \(unresolvable) name\(unresolvable == 1 ? "" : "s") under .invalid")
        }

        let smtpConfiguration = SMTPConfiguration(host: "127.0.0.1", port: smtp.port, security: .plaintext, timeout: .seconds(30),
                                                  from: MailAddress("bench@vigil.example"))
        var quiet = Logger(label: "vigil.bench")
        quiet.logLevel = .error
        let pollsBefore = server.requests(for: publisher.feedPath)
        let started = ContinuousClock.now
        let measured = try await DeliveryRuntime.with(store: store) { runtime in
            // Wired as `vigil serve` wires its worker: the source scheduler and the alert service in one service group.
            let dispatcher = AlertDispatcher(store: store, configuration: .init(smtp: smtpConfiguration, baseURL: "https://vigil.example"),
                                             httpClient: runtime.httpClient, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let alerts = BenchAlertService(service: AlertService(store: store, dispatcher: dispatcher, logger: quiet))
            let scheduler = SourceScheduler(store: store, fetcher: fetcher, logger: quiet, pollInterval: pollInterval)
            var configuration = ServiceGroupConfiguration(services: [.init(service: scheduler), .init(service: alerts)], logger: quiet)
            configuration.maximumGracefulShutdownDuration = .seconds(15)
            let group = ServiceGroup(configuration: configuration)
            return try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let outcome: Result<[(total: Double?, untilFetched: Double?)], any Error>
                do {
                    outcome = .success(try await publishAll(hostileCount: hostileCount, publisher: publisher, smtp: smtp, server: server,
                                                            folder: folder))
                } catch {
                    outcome = .failure(error)
                }
                if let hostileServers {
                    Self.printHostile(try? hostileServers.stats(), sources: try? await store.sources(), slugs: hostileSlugs, kinds: usedKinds)
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return try outcome.get()
            }
        }
        let seconds = (ContinuousClock.now - started).seconds
        let polls = server.requests(for: publisher.feedPath) - pollsBefore
        let figures = RunFigures(hostile: hostileCount, firstSync: first, latencies: measured.map(\.total), untilFetched: measured.map(\.untilFetched),
                                 healthyPolls: polls, publishingSeconds: seconds)
        print("  healthy provider polled \(polls) times in \(String(format: "%.0f", seconds)) s (one poll per \(String(format: "%.1f", seconds / Double(max(polls, 1)))) s)")
        print("  latency: median \(Self.seconds(figures.median)), p99 \(Self.seconds(figures.p99)), "
              + "min \(Self.seconds(figures.sorted.first ?? .nan)), \(figures.missed) missed")
        print("    of which publication → document fetched: median \(Self.seconds(Self.median(figures.untilFetched.compactMap { $0 }))); "
              + "fetched → SMTP accepted: median \(Self.seconds(Self.median(figures.afterFetch))), max \(Self.seconds(figures.afterFetch.max() ?? .nan))")
        return figures
    }

    /// Publishes fresh copies of hidden documents one at a time, each soon after the previous one's message arrived
    /// or was given up on; returns each one's latency (nil: no message within three poll intervals) and the time until
    /// its document was first requested.
    private func publishAll(hostileCount: Int, publisher: FeedPublisher, smtp: SMTPPeer, server: ProviderMirror,
                            folder: String) async throws -> [(total: Double?, untilFetched: Double?)] {
        var latencies: [(total: Double?, untilFetched: Double?)] = []
        var candidates = publisher.candidates.makeIterator()
        for index in 0..<publish {
            // The previous message went out on one of the alert service's one-second passes: publishing at once would
            // keep every publication in step with those passes and make each latency a whole number of them, so a
            // median would jump by a whole second between runs. A random pause of up to one pass breaks the step.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<((randomPhase ? pollInterval : 1) * 1000))))
            // A copy with its dates rewritten to now: the originals are years old, and an advisory first published
            // over 30 days before it is stored is backfill, which alerts nobody (AlertCreator.backfillAge). Its
            // bytes are not CISA's, so it is published with a recomputed .sha512 and no signature.
            let tag = "m\(hostileCount)p\(index + 1)"
            var copy: (bytes: [UInt8], id: String, title: String, name: String)?
            while copy == nil, let candidate = candidates.next() {
                copy = try? Self.freshDocument(publisher.provider.root.path + "/" + candidate.path, tag: tag, folder: folder)
            }
            guard let copy else { throw Failure(description: "the provider folder has no document left to publish (\(index) published)") }
            let (published, path) = try publisher.publish(copy.bytes, name: copy.name, id: copy.id, title: copy.title)
            let deadline = published + 3 * Double(pollInterval)
            var latency: Double?
            while Date().timeIntervalSince1970 < deadline {
                try await Task.sleep(for: .milliseconds(25))
                if let receipt = smtp.taggedReceipts().first(where: { $0.tags.contains(tag) }) {
                    latency = receipt.time - published
                    break
                }
            }
            let fetched = server.firstRequest(for: path).map { $0 - published }
            latencies.append((latency, fetched))
            let detail = fetched.map { f in latency.map { "  (fetched after \(Self.seconds(f)), then \(Self.seconds($0 - f)) to the mail)" } ?? "  (fetched after \(Self.seconds(f)))" } ?? ""
            print("  \(String(format: "%2d", index + 1))/\(publish)  \(copy.id)  "
                  + (latency.map { Self.seconds($0) } ?? "no message within \(3 * pollInterval) s: missed") + detail)
        }
        return latencies
    }

    /// The bytes, tracking ID, title and file name of a copy of a document as if published now.
    static func freshDocument(_ path: String, tag: String, folder: String) throws -> (bytes: [UInt8], id: String, title: String, name: String) {
        let written = try AlertBenchmarkCommand.freshCopy(path, into: folder, tag: tag, extraTitle: keyword)
        let data = try Data(contentsOf: URL(fileURLWithPath: written))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let document = object["document"] as? [String: Any],
              let tracking = document["tracking"] as? [String: Any], let id = tracking["id"] as? String else {
            throw Failure(description: "\(path) is not a CSAF document")
        }
        return ([UInt8](data), id, (document["title"] as? String) ?? id, tag + "-" + (path as NSString).lastPathComponent)
    }

    /// `count` servers, one of each kind in turn, then a second of each, and so on.
    static func takeInTurn(_ servers: [HostileServers.Server], count: Int) -> [HostileServers.Server] {
        var byKind: [[HostileServers.Server]] = []
        for server in servers {
            if let index = byKind.firstIndex(where: { $0.first?.kind == server.kind }) { byKind[index].append(server) } else { byKind.append([server]) }
        }
        var chosen: [HostileServers.Server] = []
        var round = 0
        while chosen.count < count, byKind.contains(where: { $0.count > round }) {
            for kind in byKind where kind.count > round && chosen.count < count { chosen.append(kind[round]) }
            round += 1
        }
        return chosen
    }

    /// What the hostile sources did meanwhile: failed polls from the store, connections from the servers.
    static func printHostile(_ stats: [String: HostileServers.KindStats]?, sources: [SourceRecord]?, slugs: [String], kinds: Set<String>) {
        if let sources {
            let hostile = sources.filter { slugs.contains($0.slug) }
            let failures = hostile.reduce(0) { $0 + $1.consecutiveFailures }
            let answered = hostile.filter { $0.lastSuccess != nil }.count
            let pending = hostile.filter { $0.consecutiveFailures == 0 && $0.lastSuccess == nil }.map(\.slug)
            print("  hostile sources meanwhile: \(failures) failed polls in all, \(hostile.filter { $0.consecutiveFailures > 0 }.count) of \(hostile.count) backing off"
                  + (pending.isEmpty ? "" : "; still in their first poll: \(pending.joined(separator: ", "))")
                  + (answered > 0 ? "; \(answered) synced without error (unexpected)" : ""))
        }
        if let stats {
            // `refuse` never accepts a connection, so it counts none.
            let used = stats.filter { kinds.contains($0.key) }
            let line = used.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.connections)" }.joined(separator: ", ")
            let longest = used.values.map(\.longestSeconds).max() ?? 0
            print("  connections accepted by the hostile servers: \(line); longest held \(String(format: "%.1f", longest)) s")
        } else {
            print("  the hostile servers did not report their counters")
        }
    }

    static func seconds(_ value: Double) -> String {
        value.isFinite ? String(format: "%.2f s", value) : "∞"
    }
}
