import CSAF
import Foundation
import Logging
import ServiceLifecycle

/// Polls every enabled source when it is due (each source's interval, with jitter), inside `vigil serve`. A source
/// that fails records its error and is polled again at its next time; the others go on.
///
/// Several nodes may run a scheduler over one store: each source is polled under a lease (`claimSourcePoll`), renewed
/// while its sync runs, so exactly one node polls it at a time, and a node that dies mid-sync loses the source to
/// another node once its lease lapses.
public struct SourceScheduler: Service {
    let store: any SourceStateStore
    let fetcher: HTTPFetcher
    let logger: Logger
    /// Sources synced at once.
    let concurrency: Int
    /// `vigil serve --poll-interval`: seconds between polls of every source while this server runs, instead of each
    /// source's own interval (CISA's KEV catalogue, a daily file, is polled at most hourly). Nothing is stored.
    let pollInterval: Int?
    /// This node's name in source leases.
    public let holder: String
    /// How long a lease lasts without renewal: how soon another node takes over the sources of a node that died.
    let lease: TimeInterval

    public init(store: any SourceStateStore, fetcher: HTTPFetcher, logger: Logger, concurrency: Int = 2, pollInterval: Int? = nil,
                holder: String = SourceScheduler.nodeName(), lease: TimeInterval = 120) {
        self.store = store
        self.fetcher = fetcher
        self.logger = logger
        self.concurrency = concurrency
        self.pollInterval = pollInterval.map { max($0, 10) }
        self.holder = holder
        self.lease = max(lease, 3)
    }

    /// `host:pid:random`, unique per process, readable in the lease table.
    public static func nodeName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// When a source is next due: its stored schedule, or one `pollInterval` after its last attempt.
    public func nextPoll(_ source: SourceRecord) -> Date? {
        guard let pollInterval else { return source.nextPoll }
        let seconds = source.kind == .kev ? max(pollInterval, 3600) : pollInterval
        return source.lastAttempt.map { $0.addingTimeInterval(Double(seconds)) } ?? .distantPast
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pollDue()
                let wait = await secondsUntilNextPoll()
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            }
        }
    }

    /// One pass over the sources that are due; returns what each sync reported.
    @discardableResult
    public func pollDue(now: Date = Date()) async -> [SyncReport] {
        let due: [SourceRecord]
        do {
            due = try await store.sources().filter { $0.enabled && (nextPoll($0) ?? .distantPast) <= now }
        } catch {
            logger.error("could not read the sources: \(error)")
            return []
        }
        let sync = ProviderSync(store: store, fetcher: fetcher)
        let aggregators = AggregatorSync(store: store, fetcher: fetcher)
        let kev = KnownExploitedSync(store: store, fetcher: fetcher)
        let logger = self.logger
        let (store, holder, lease) = (self.store, self.holder, self.lease)
        let scheduler = self
        return await withTaskGroup(of: SyncReport?.self) { group in
            var reports: [SyncReport] = []
            var iterator = due.makeIterator()
            func startNext() -> Bool {
                guard let candidate = iterator.next() else { return false }
                group.addTask {
                    do {
                        guard try await store.claimSourcePoll(slug: candidate.slug, holder: holder,
                                                              until: Date().addingTimeInterval(lease), now: Date()) else {
                            return nil // another node is polling it
                        }
                        // Read it again under the lease: another node may have polled it since the list was read.
                        guard let source = try await store.source(slug: candidate.slug), source.enabled,
                              (scheduler.nextPoll(source) ?? .distantPast) <= now else {
                            try? await store.releaseSourcePoll(slug: candidate.slug, holder: holder)
                            return nil
                        }
                        let renewal = Task {
                            while !Task.isCancelled {
                                try await Task.sleep(nanoseconds: UInt64(lease / 3 * 1e9))
                                if try await !store.claimSourcePoll(slug: source.slug, holder: holder,
                                                                    until: Date().addingTimeInterval(lease), now: Date()) {
                                    logger.warning("source \(source.slug): lost its poll lease to another node mid-sync")
                                }
                            }
                        }
                        let outcome: Result<SyncReport, any Error>
                        do {
                            switch source.kind {
                            case .aggregator: outcome = .success(try await aggregators.sync(source))
                            case .kev: outcome = .success(try await kev.sync(source))
                            case .provider: outcome = .success(try await sync.sync(source))
                            }
                        } catch {
                            outcome = .failure(error)
                        }
                        // The sync saved the source's next poll time, so another node finds it not due until then.
                        renewal.cancel()
                        try? await store.releaseSourcePoll(slug: source.slug, holder: holder)
                        let report = try outcome.get()
                        if let error = report.error {
                            logger.warning("source \(source.slug): \(error)")
                        } else {
                            logger.info("source \(source.slug): \(report.new) new, \(report.updated) updated, \(report.quarantined) quarantined, \(report.failed) failed; \(report.requests) requests (\(report.notModified) not modified)")
                        }
                        return report
                    } catch {
                        logger.error("source \(candidate.slug): the sync stopped: \(error)")
                        return nil
                    }
                }
                return true
            }
            for _ in 0..<max(concurrency, 1) where !startNext() { break }
            for await report in group {
                if let report { reports.append(report) }
                _ = startNext()
            }
            return reports
        }
    }

    func secondsUntilNextPoll() async -> Double {
        guard let sources = try? await store.sources() else { return 30 }
        let next = sources.filter(\.enabled).compactMap(nextPoll).min() ?? Date().addingTimeInterval(30)
        return min(max(next.timeIntervalSinceNow, 1), 30)
    }
}

/// Syncing an aggregator source adds the providers it lists that are not followed yet (disabled sources stay
/// disabled; removed ones come back only if the aggregator is synced again).
public struct AggregatorSync: Sendable {
    let store: any SourceStateStore
    let fetcher: HTTPFetcher

    public init(store: any SourceStateStore, fetcher: HTTPFetcher) {
        self.store = store
        self.fetcher = fetcher
    }

    @discardableResult
    public func sync(_ source: SourceRecord) async throws -> SyncReport {
        var report = SyncReport(source: source.slug)
        let counters = FetchCounters()
        var updated = try await store.source(slug: source.slug) ?? source
        updated.scheduleNextPoll(after: Date())
        do {
            let providers = try await SourceDiscovery.aggregatorProviders(source.url, fetcher: fetcher, counters: counters)
            let existing = try await store.sources()
            var taken = Set(existing.map(\.slug))
            let known = Set(existing.map(\.url))
            for provider in providers where !known.contains(provider.url) {
                let slug = SourceDiscovery.slug(for: provider.name, taken: taken)
                taken.insert(slug)
                var record = SourceRecord(slug: slug, name: provider.name, url: provider.url, pollInterval: source.pollInterval)
                record.mirrors = provider.mirrors
                try await store.saveSource(record)
                report.new += 1
            }
            report.listed = providers.count
            updated.lastSuccess = updated.lastAttempt
            updated.lastError = nil
        } catch let error as SourceDiscovery.Failure {
            report.error = error.message
            updated.lastError = error.message
        }
        report.requests = counters.requests
        report.bytes = counters.bytes
        try await store.saveSource(updated)
        return report
    }
}
