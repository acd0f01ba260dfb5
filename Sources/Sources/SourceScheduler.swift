import CSAF
import Foundation
import Logging
import ServiceLifecycle
import Storage
import Telemetry

/// Polls every enabled source when it is due, inside `vigil serve`: each source on a schedule of its own (its interval
/// with jitter, or `--poll-interval`, backed off while it keeps failing), so a slow, hanging or unreachable source never
/// holds another's poll. There is no "pass" to wait for: whenever a source is due and fewer than `concurrency` syncs
/// are running, its sync starts; when one ends, the next due source takes its place. Per-host politeness (requests in
/// flight and per second) is the fetcher's.
///
/// Several nodes may run a scheduler over one store: each source is polled under a lease (`claimSourcePoll`), renewed
/// while its sync runs, so exactly one node polls it at a time, and a node that dies mid-sync loses the source to
/// another node once its lease lapses.
///
/// Failures are logged once per change of state (a source becoming unreachable, a source answering again), not on
/// every retry.
public struct SourceScheduler: Service {
    let store: any SourceStateStore
    let fetcher: HTTPFetcher
    let logger: Logger
    /// Sources synced at once (each mostly waits on the network; politeness is per host, in the fetcher).
    let concurrency: Int
    /// `vigil serve --poll-interval`: seconds between polls of every source while this server runs, instead of each
    /// source's own interval (CISA's KEV catalogue, a daily file, is polled at most hourly). The schedule it makes is
    /// stored on each source, so `/sources` and `vigil sources list` show the interval really in force.
    let pollInterval: Int?
    /// This node's name in source leases.
    public let holder: String
    /// How long a lease lasts without renewal: how soon another node takes over the sources of a node that died.
    let lease: TimeInterval
    /// The longest the loop sleeps before reading the sources again (new, enabled or rescheduled by another process).
    let refresh: Duration
    /// Where finished syncs are counted (`vigil serve --metrics-port`); nil counts nothing.
    let metrics: VigilMetrics?
    /// Where the sources' credentials variables are looked up (`ProviderSync.Options.environment`).
    let environment: [String: String]

    public init(store: any SourceStateStore, fetcher: HTTPFetcher, logger: Logger, concurrency: Int = 32, pollInterval: Int? = nil,
                holder: String = SourceScheduler.nodeName(), lease: TimeInterval = 120, refresh: Duration = .seconds(5),
                metrics: VigilMetrics? = nil, environment: [String: String] = [:]) {
        self.metrics = metrics
        self.environment = environment
        self.store = store
        self.fetcher = fetcher
        self.logger = logger
        self.concurrency = max(concurrency, 1)
        self.pollInterval = pollInterval.map { max($0, 10) }
        self.holder = holder
        self.lease = max(lease, 3)
        self.refresh = refresh
    }

    /// `host:pid:random`, unique per process, readable in the lease table.
    public static func nodeName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The interval this scheduler polls a source with: `--poll-interval` (at least an hour for the KEV catalogue), else
    /// the source's own.
    public func interval(for source: SourceRecord) -> Int {
        guard let pollInterval else { return source.pollInterval }
        return source.kind == .kev ? max(pollInterval, 3600) : pollInterval
    }

    /// When a source is next due. Its stored schedule when that was made with the interval in force here (it holds the
    /// backoff, a server's Retry-After and the jitter); otherwise, with `--poll-interval`, one interval after its last
    /// attempt, backed off by its failures in a row.
    public func nextPoll(_ source: SourceRecord) -> Date? {
        guard pollInterval != nil else { return source.nextPoll }
        let interval = interval(for: source)
        if max(source.effectiveInterval, 10) == max(interval, 10), let scheduled = source.nextPoll { return scheduled }
        let delay = PollSchedule(interval: interval).delay(failures: source.consecutiveFailures)
        return source.lastAttempt.map { $0.addingTimeInterval(delay) } ?? .distantPast
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await self.schedule()
        }
    }

    /// The scheduling loop: starts each source's sync when it is due, never waiting for other syncs to end.
    func schedule() async {
        await withTaskGroup(of: String?.self) { group in
            var running = Set<String>()
            // The earliest wake-up already asked for: a new one is added only when it is sooner.
            var wakeAt: ContinuousClock.Instant?
            while !Task.isCancelled {
                var wait = refresh
                if let sources = await readSources() {
                    let now = Date()
                    let due = sources.filter { $0.enabled && !running.contains($0.slug) }
                        .map { ($0, nextPoll($0) ?? .distantPast) }
                    // Sources that answered last time go first: a backlog of failing ones never takes a healthy one's slot.
                    let ready = due.filter { $0.1 <= now }.sorted { ($0.0.consecutiveFailures > 0 ? 1 : 0, $0.1) < ($1.0.consecutiveFailures > 0 ? 1 : 0, $1.1) }
                    for (source, _) in ready where running.count < concurrency {
                        running.insert(source.slug)
                        group.addTask { await self.poll(source.slug, dueBy: now); return source.slug }
                    }
                    if running.count < concurrency, let soonest = due.map(\.1).filter({ $0 > now }).min() {
                        wait = min(wait, .milliseconds(Int64(max(soonest.timeIntervalSince(now), 0.05) * 1000)))
                    }
                }
                let target = ContinuousClock.now + wait
                if wakeAt.map({ target < $0 }) ?? true {
                    wakeAt = target
                    group.addTask { try? await Task.sleep(until: target, clock: .continuous); return nil }
                }
                // Wake for whichever comes first: a sync that ends (its slot is free) or the next source falling due.
                guard let event = await group.next() else { break }
                if let slug = event {
                    running.remove(slug)
                } else if let pending = wakeAt, ContinuousClock.now >= pending {
                    wakeAt = nil
                }
            }
            group.cancelAll()
        }
    }

    private func readSources() async -> [SourceRecord]? {
        do {
            return try await store.sources()
        } catch {
            logger.error("could not read the sources: \(error)")
            return nil
        }
    }

    /// One pass over the sources that are due now, `concurrency` at a time; returns what each sync reported. For
    /// tests and one-shot use: `run()` does not wait for passes.
    @discardableResult
    public func pollDue(now: Date = Date()) async -> [SyncReport] {
        let due: [SourceRecord]
        do {
            due = try await store.sources().filter { $0.enabled && (nextPoll($0) ?? .distantPast) <= now }
        } catch {
            logger.error("could not read the sources: \(error)")
            return []
        }
        return await withTaskGroup(of: SyncReport?.self) { group in
            var reports: [SyncReport] = []
            var iterator = due.makeIterator()
            for _ in 0..<concurrency {
                guard let source = iterator.next() else { break }
                group.addTask { await self.poll(source.slug, dueBy: now) }
            }
            for await report in group {
                if let report { reports.append(report) }
                if let source = iterator.next() { group.addTask { await self.poll(source.slug, dueBy: now) } }
            }
            return reports
        }
    }

    /// Syncs one source under its lease, if it is still due by `dueBy` once the lease is held; nil when another node
    /// has it or it is no longer due.
    func poll(_ slug: String, dueBy now: Date) async -> SyncReport? {
        let (store, holder, lease) = (self.store, self.holder, self.lease)
        // Every line about this source carries its slug as metadata (`source`), for log search.
        var logger = self.logger
        logger[metadataKey: "source"] = "\(slug)"
        do {
            guard try await store.claimSourcePoll(slug: slug, holder: holder, until: Date().addingTimeInterval(lease), now: Date()) else {
                return nil // another node is polling it
            }
            // Read it again under the lease: another node may have polled it since the list was read.
            guard let source = try await store.source(slug: slug), source.enabled, (nextPoll(source) ?? .distantPast) <= now else {
                try? await store.releaseSourcePoll(slug: slug, holder: holder)
                return nil
            }
            let renewal = Task { [logger] in
                while !Task.isCancelled {
                    try await Task.sleep(nanoseconds: UInt64(lease / 3 * 1e9))
                    if try await !store.claimSourcePoll(slug: source.slug, holder: holder, until: Date().addingTimeInterval(lease), now: Date()) {
                        logger.warning("source \(source.slug): lost its poll lease to another node mid-sync")
                    }
                }
            }
            let interval = pollInterval.map { _ in self.interval(for: source) }
            let outcome: Result<SyncReport, any Error>
            do {
                switch source.kind {
                case .aggregator: outcome = .success(try await AggregatorSync(store: store, fetcher: fetcher).sync(source, interval: interval))
                case .kev: outcome = .success(try await KnownExploitedSync(store: store, fetcher: fetcher).sync(source, interval: interval))
                case .provider:
                    var options = ProviderSync.Options()
                    options.interval = interval
                    options.environment = environment
                    outcome = .success(try await ProviderSync(store: store, fetcher: fetcher, options: options).sync(source))
                }
            } catch {
                outcome = .failure(error)
            }
            // The sync saved the source's next poll time, so another node finds it not due until then.
            renewal.cancel()
            try? await store.releaseSourcePoll(slug: source.slug, holder: holder)
            switch outcome {
            case .success(let report): metrics?.sourcePolled(source.slug, failed: report.error != nil)
            case .failure(let error) where !(error is CancellationError) && !Task.isCancelled: metrics?.sourcePolled(source.slug, failed: true)
            case .failure: break
            }
            let report = try outcome.get()
            let after = try? await store.source(slug: source.slug)
            log(report, before: source, after: after, logger: logger)
            return report
        } catch is CancellationError {
            // The server is shutting down: the sync ends where it was, and the next start reads the listings again.
            logger.debug("source \(slug): the sync was cancelled (shutting down)")
            return nil
        } catch {
            if Task.isCancelled {
                logger.debug("source \(slug): the sync was cancelled (shutting down): \(error)")
            } else {
                logger.error("source \(slug): the sync stopped: \(error)")
            }
            return nil
        }
    }

    /// One line per change of state: a source that becomes unreachable (warning), one that answers again (notice);
    /// further failures in a row only at debug level, and a sync that found nothing new at debug level too.
    func log(_ report: SyncReport, before: SourceRecord, after: SourceRecord?, logger: Logger? = nil) {
        let logger = logger ?? self.logger
        let next = after?.nextPoll.map { " next try \(Timestamp.format($0))" } ?? ""
        var metadata: Logger.Metadata = ["source": "\(report.source)"]
        if let error = report.error {
            metadata["error"] = "\(error)"
            if let kind = report.failure { metadata["failure"] = "\(kind)" }
            metadata["failures"] = "\(after?.consecutiveFailures ?? before.consecutiveFailures + 1)"
            if before.consecutiveFailures == 0 {
                // The error is in the metadata (`error=…` before the message in text logs), not repeated here.
                logger.warning("source \(report.source) is unreachable;\(next)", metadata: metadata)
            } else {
                logger.debug("source \(report.source) still unreachable;\(next)", metadata: metadata)
            }
            return
        }
        if before.consecutiveFailures > 0 {
            let since = before.failingSince.map { " (unreachable since \(Timestamp.format($0)), \(before.consecutiveFailures) failed polls)" } ?? ""
            logger.notice("source \(report.source) answers again\(since)", metadata: metadata)
        }
        let line = "source \(report.source): \(report.new) new, \(report.updated) updated, \(report.quarantined) quarantined, \(report.failed) failed; \(report.requests) requests (\(report.notModified) not modified)"
        if report.new + report.updated + report.quarantined + report.failed > 0 {
            logger.info("\(line)", metadata: metadata)
        } else {
            logger.debug("\(line)", metadata: metadata)
        }
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

    /// Syncs the aggregator's list and records the outcome on the source; `interval` overrides its own.
    @discardableResult
    public func sync(_ source: SourceRecord, interval: Int? = nil) async throws -> SyncReport {
        var report = SyncReport(source: source.slug)
        let counters = FetchCounters()
        let current = try await store.source(slug: source.slug) ?? source
        let schedule = PollSchedule(interval: interval ?? current.pollInterval)
        var updated = current
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
            updated = schedule.succeeded(current, at: Date(), jitter: .random(in: 0.9...1.1))
            updated.lastError = nil
        } catch let error as SourceDiscovery.Failure {
            report.error = error.message
            updated = schedule.failed(current, at: Date(), error: error.message, jitter: .random(in: 0.9...1.1))
        }
        report.requests = counters.requests
        report.bytes = counters.bytes
        try await store.saveSource(updated)
        return report
    }
}
