import CSAF
import Foundation
import Logging
import ServiceLifecycle

/// Polls every enabled source when it is due (each source's interval, with jitter), inside `vigil serve`. A source
/// that fails records its error and is polled again at its next time; the others go on.
public struct SourceScheduler: Service {
    let store: any SourceStateStore
    let fetcher: HTTPFetcher
    let logger: Logger
    /// Sources synced at once.
    let concurrency: Int
    /// `vigil serve --poll-interval`: seconds between polls of every source while this server runs, instead of each
    /// source's own interval (CISA's KEV catalogue, a daily file, is polled at most hourly). Nothing is stored.
    let pollInterval: Int?

    public init(store: any SourceStateStore, fetcher: HTTPFetcher, logger: Logger, concurrency: Int = 2, pollInterval: Int? = nil) {
        self.store = store
        self.fetcher = fetcher
        self.logger = logger
        self.concurrency = concurrency
        self.pollInterval = pollInterval.map { max($0, 10) }
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
        return await withTaskGroup(of: SyncReport?.self) { group in
            var reports: [SyncReport] = []
            var iterator = due.makeIterator()
            func startNext() -> Bool {
                guard let source = iterator.next() else { return false }
                group.addTask {
                    do {
                        let report: SyncReport
                        switch source.kind {
                        case .aggregator: report = try await aggregators.sync(source)
                        case .kev: report = try await kev.sync(source)
                        case .provider: report = try await sync.sync(source)
                        }
                        if let error = report.error {
                            logger.warning("source \(source.slug): \(error)")
                        } else {
                            logger.info("source \(source.slug): \(report.new) new, \(report.updated) updated, \(report.quarantined) quarantined, \(report.failed) failed; \(report.requests) requests (\(report.notModified) not modified)")
                        }
                        return report
                    } catch {
                        logger.error("source \(source.slug): the sync stopped: \(error)")
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
