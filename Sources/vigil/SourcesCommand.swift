import ArgumentParser
import CSAF
import Foundation
import Logging
import Sources
import Storage
import Store

/// `vigil sources …`: the CSAF providers and aggregators Vigil follows.
struct SourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources",
        abstract: "List, add, remove, enable, disable and sync the CSAF sources Vigil follows.",
        discussion: """
            A new installation follows the built-in catalogue of OT sources (CISA, Siemens, CERT@VDE's providers, \
            Schneider Electric, …); `vigil serve` polls every enabled source, by default every 5 minutes.
            """,
        subcommands: [List.self, Add.self, Remove.self, Enable.self, Disable.self, Sync.self])

    /// Opens the store and adds the built-in catalogue on first use; the caller closes it (`closing`).
    static func openStore(_ database: DatabaseOptions) async throws -> any VigilStore {
        do {
            let store = try await database.open()
            do {
                _ = try await store.seedSourcesOnce(SourceCatalogue.seedRecords())
            } catch {
                await store.close()
                throw error
            }
            return store
        } catch {
            printError("vigil sources: \(error)")
            throw ExitCode(2)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the sources with their last sync.")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await SourcesCommand.openStore(database).closing { store in
                let sources = try await store.sources()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    encoder.dateEncodingStrategy = .iso8601
                    print(String(decoding: try encoder.encode(sources), as: UTF8.self))
                    return
                }
                for source in sources {
                    let state = source.enabled ? "enabled " : "disabled"
                    var line = "\(source.slug.padding(toLength: 22, withPad: " ", startingAt: 0)) \(state)  \(source.name)  \(source.url)"
                    if source.kind == .aggregator { line += "  (aggregator)" }
                    if source.kind == .kev { line += "  (Known Exploited Vulnerabilities catalogue)" }
                    print(line)
                    var status: [String] = []
                    if source.health == .unreachable {
                        status.append("unreachable" + (source.failingSince.map { " since \(Timestamp.format($0))" } ?? "")
                                      + " (\(source.consecutiveFailures) failed poll\(source.consecutiveFailures == 1 ? "" : "s"))")
                    }
                    if let success = source.lastSuccess { status.append("last success \(Timestamp.format(success))") } else { status.append("never synced") }
                    status.append("\(source.documentsHeld.grouped) held, \(source.documentsQuarantined.grouped) quarantined, \(source.documentsFailing.grouped) failing")
                    if source.enabled, let next = source.nextPoll {
                        status.append((source.health == .unreachable ? "next try " : "next poll ") + Timestamp.format(next))
                    }
                    status.append(source.intervalDescription)
                    print("    " + status.joined(separator: "; "))
                    var policy: [String] = []
                    if !source.mirrors.isEmpty { policy.append("\(source.mirrors.count) mirror\(source.mirrors.count == 1 ? "" : "s")") }
                    if source.acceptsV3Signatures { policy.append("v3 signatures accepted") }
                    if let variable = source.credentialsVariable { policy.append("credentials from $\(variable)") }
                    if source.allowPrivateNetwork { policy.append("private-network addresses allowed") }
                    if !policy.isEmpty { print("    " + policy.joined(separator: "; ")) }
                    if let error = source.lastError { print("    last error: \(error)") }
                    if let quality = source.quality { print("    CSAF §7: \(quality.summary) (checked \(Timestamp.format(quality.checkedAt)))") }
                }
                let withoutFeed = SourceCatalogue.withoutFeed
                if !withoutFeed.isEmpty {
                    print("\nNo machine-readable feed (advisories on web pages only):")
                    for entry in withoutFeed { print("    \(entry.name): \(entry.page)") }
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a provider by its provider-metadata.json URL or its domain, or every provider of an aggregator.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: ArgumentHelp("A provider-metadata.json URL, a domain (e.g. example.com), or an aggregator.json URL.", valueName: "url-or-domain"))
        var target: String
        @Option(help: "A short name for the source (default: from the publisher's name).") var slug: String?
        @Option(help: ArgumentHelp("How often to poll, e.g. 30s, 5m, 1h.", valueName: "duration")) var interval = "5m"
        @Flag(help: "Add it disabled.") var disabled = false
        @Flag(help: "Accept obsolete v3 OpenPGP signatures from this source (off by default).") var acceptV3Signatures = false
        @Option(help: ArgumentHelp("The environment variable that holds this source's Authorization header value (e.g. \"Basic …\"); TLP:GREEN/AMBER feeds are then read too. The secret itself is never stored.", valueName: "name"))
        var credentialsEnv: String?
        @Flag(help: ArgumentHelp("Allow fetching from private-network, link-local or loopback addresses (a mirror on the plant network, say).",
                                 discussion: "Without it such addresses are refused, also when a public name or a redirect leads to one; a URL written with 127.0.0.1, ::1 or localhost may reach this machine without it."))
        var allowPrivateNetwork = false

        func validate() throws {
            guard PollInterval.seconds(interval) != nil else { throw ValidationError("--interval must look like 30s, 5m or 1h (at least 10s)") }
        }

        func run() async throws {
            try await SourcesCommand.openStore(database).closing { store in
                let found: SourceDiscovery.Found
                do {
                    let target = self.target
                    let allow = allowPrivateNetwork
                    found = try await HTTPFetcher.with { fetcher in try await SourceDiscovery.find(target, fetcher: fetcher, allowPrivateNetwork: allow) }
                } catch {
                    printError("vigil sources add: \(error)")
                    throw ExitCode(1)
                }
                let seconds = PollInterval.seconds(interval) ?? 300
                let existing = try await store.sources()
                var taken = Set(existing.map(\.slug))
                switch found {
                case .provider(let url, let name):
                    if let same = existing.first(where: { $0.url == url }) {
                        print("Already following \(same.name) as \(same.slug).")
                        return
                    }
                    let chosen = slug ?? SourceDiscovery.slug(for: name, taken: taken)
                    var record = SourceRecord(slug: chosen, name: name, url: url, enabled: !disabled, pollInterval: seconds)
                    record.acceptsV3Signatures = acceptV3Signatures
                    record.credentialsVariable = credentialsEnv
                    record.allowPrivateNetwork = allowPrivateNetwork
                    try await store.saveSource(record)
                    print("Added \(name) as \(chosen): \(url)")
                case .aggregator(let url, let name, let providers):
                    var added = 0
                    let known = Set(existing.map(\.url))
                    for provider in providers where !known.contains(provider.url) {
                        let chosen = SourceDiscovery.slug(for: provider.name, taken: taken)
                        taken.insert(chosen)
                        var record = SourceRecord(slug: chosen, name: provider.name, url: provider.url, enabled: !disabled, pollInterval: seconds)
                        record.mirrors = provider.mirrors
                        record.acceptsV3Signatures = acceptV3Signatures
                        record.allowPrivateNetwork = allowPrivateNetwork
                        try await store.saveSource(record)
                        added += 1
                    }
                    print("\(name) lists \(providers.count) providers; added \(added) not followed yet (\(url)).")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop following a source (its documents stay).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The source's slug.") var slug: String
        func run() async throws {
            try await SourcesCommand.openStore(database).closing { store in
                guard try await store.removeSource(slug: slug) else {
                    printError("vigil sources remove: no source \"\(slug)\"; `vigil sources list` shows them")
                    throw ExitCode(1)
                }
                print("Removed \(slug); its documents stay in the store.")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a source (polled from now on).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The source's slug.") var slug: String
        func run() async throws { try await SourcesCommand.setEnabled(true, slug: slug, database: database) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a source (kept, not polled).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The source's slug.") var slug: String
        func run() async throws { try await SourcesCommand.setEnabled(false, slug: slug, database: database) }
    }

    static func setEnabled(_ enabled: Bool, slug: String, database: DatabaseOptions) async throws {
        try await openStore(database).closing { store in
            guard var source = try await store.source(slug: slug) else {
                printError("vigil sources: no source \"\(slug)\"; `vigil sources list` shows them")
                throw ExitCode(1)
            }
            source.enabled = enabled
            if enabled { source.nextPoll = nil }
            try await store.saveSource(source)
            print("\(source.name) (\(slug)) is \(enabled ? "enabled" : "disabled").")
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sync now: every enabled source, or one.")
        @OptionGroup var database: DatabaseOptions
        @Option(name: .customLong("source"), help: "Only this source (enabled or not).") var only: String?
        @Flag(help: "Print a JSON report per source.") var json = false
        @Flag(help: "Print nothing but errors.") var quiet = false
        @OptionGroup(title: "Fetching from providers") var fetch: FetchOptions
        @OptionGroup var logging: LogFormatOption

        func run() async throws {
            logging.bootstrap(level: .info)
            // With --log-format json, what this command says about each source is a log line carrying its slug.
            let logged = logging.format == .json
            try await SourcesCommand.openStore(database).closing { store in
                var sources = try await store.sources()
                if let only {
                    sources = sources.filter { $0.slug == only }
                    guard !sources.isEmpty else {
                        printError("vigil sources sync: no source \"\(only)\"; `vigil sources list` shows them")
                        throw ExitCode(2)
                    }
                } else {
                    sources = sources.filter(\.enabled)
                }
                let (json, quiet) = (self.json, self.quiet)
                let reports = try await HTTPFetcher.with(policy: fetch.policy) { fetcher in
                    var reports: [SyncReport] = []
                    let holder = "vigil sources sync " + SourceScheduler.nodeName()
                    for source in sources {
                        let progress = (quiet || json || logged) ? nil : ProgressDisplay(label: source.slug)
                        // Not while a server node polls the same source: the two would fetch and store it side by side. The
                        // lease is given up however the sync ends (a store error, Ctrl-C), not only when it succeeds.
                        let synced = try await SourcePollLease.run(slug: source.slug, holder: holder, store: store) { () async throws -> SyncReport in
                            if source.kind == .aggregator {
                                return try await AggregatorSync(store: store, fetcher: fetcher).sync(source)
                            } else if source.kind == .kev {
                                return try await KnownExploitedSync(store: store, fetcher: fetcher).sync(source)
                            } else {
                                var options = ProviderSync.Options()
                                options.environment = ProcessInfo.processInfo.environment
                                return try await ProviderSync(store: store, fetcher: fetcher, options: options).sync(source) { done, total in
                                    progress?.update(done: done, total: total)
                                }
                            }
                        }
                        guard let report = synced else {
                            let text = "\(source.slug): skipped: a vigil serve node is polling it right now; try again in a few minutes"
                            if logged { SourcesCommand.logger(source).notice("\(text)") } else { printError(text) }
                            continue
                        }
                        progress?.finish()
                        reports.append(report)
                        if logged {
                            SourcesCommand.log(report, source: source, quiet: quiet)
                            continue
                        }
                        if !json, !quiet { print(SourcesCommand.text(report, name: source.name, kind: source.kind)) }
                        if let error = report.error { printError("\(source.slug): \(error)") }
                        for problem in report.problems.prefix(20) where !quiet { printError("  \(problem.url): \(problem.reason)") }
                    }
                    return reports
                }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    print(String(decoding: try encoder.encode(reports), as: UTF8.self))
                }
                if reports.contains(where: { $0.error != nil || $0.quarantined > 0 || $0.failed > 0 }) { throw ExitCode(1) }
            }
        }
    }

    /// A logger whose every line carries the source's slug.
    static func logger(_ source: SourceRecord) -> Logger {
        var logger = Logger(label: "vigil.sources")
        logger[metadataKey: "source"] = "\(source.slug)"
        return logger
    }

    /// `vigil sources sync --log-format json`: the sync's outcome as log lines about the source (its problems too).
    static func log(_ report: SyncReport, source: SourceRecord, quiet: Bool) {
        let logger = logger(source)
        let counts: Logger.Metadata = ["new": "\(report.new)", "updated": "\(report.updated)", "quarantined": "\(report.quarantined)",
                                       "failed": "\(report.failed)", "requests": "\(report.requests)", "not_modified": "\(report.notModified)"]
        if let error = report.error {
            logger.error("\(text(report, name: source.name, kind: source.kind))", metadata: counts.merging(["error": "\(error)"]) { _, new in new })
        } else if !quiet {
            logger.info("\(text(report, name: source.name, kind: source.kind))", metadata: counts)
        }
        for problem in report.problems.prefix(20) where !quiet {
            logger.warning("\(problem.reason)", metadata: ["url": "\(problem.url)"])
        }
    }

    static func text(_ r: SyncReport, name: String, kind: SourceRecord.Kind = .provider) -> String {
        r.summary(name: name, kind: kind)
    }
}

/// `30s`, `5m`, `1h`, `1d`, or plain seconds.
enum PollInterval {
    static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last else { return nil }
        let multiplier: Int
        var number = String(trimmed.dropLast())
        switch unit {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        case "0"..."9": multiplier = 1; number = trimmed
        default: return nil
        }
        guard let value = Int(number), value > 0 else { return nil }
        let seconds = value * multiplier
        return seconds >= 10 ? seconds : nil
    }
}
