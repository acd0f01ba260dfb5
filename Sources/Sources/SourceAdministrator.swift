import CSAF
import Foundation
import Storage

/// The network side of the sources administration page (`SourceAdministration`): discovery as `vigil sources add`
/// does it, adding what was found, and a sync now as `vigil sources sync --source` does it, under the source's poll
/// lease so a scheduler polling the same source is never doubled. Each operation has an HTTP client of its own.
public struct SourceAdministrator: SourceAdministration {
    let store: any SourceStateStore
    let policy: FetchPolicy
    let environment: [String: String]
    /// Polled every this many seconds when added from the page.
    public var pollInterval = 300
    /// Documents a check from the page fetches, newest first (`vigil check-provider --all` checks every one).
    public var checkDocuments = 50

    public init(store: any SourceStateStore, policy: FetchPolicy = .init(), environment: [String: String] = [:]) {
        self.store = store
        self.policy = policy
        self.environment = environment
    }

    public func discover(_ target: String, allowPrivateNetwork: Bool) async throws -> DiscoveredSource {
        let found = try await HTTPFetcher.with(policy: policy) { fetcher in
            try await SourceDiscovery.find(target, fetcher: fetcher, allowPrivateNetwork: allowPrivateNetwork)
        }
        switch found {
        case .provider(let url, let name):
            return DiscoveredSource(isAggregator: false, url: url, name: name)
        case .aggregator(let url, let name, let providers):
            return DiscoveredSource(isAggregator: true, url: url, name: name,
                                    providers: providers.map { .init(name: $0.name, url: $0.url, mirrors: $0.mirrors) })
        }
    }

    public func add(_ found: DiscoveredSource, allowPrivateNetwork: Bool, enabled: Bool) async throws -> [SourceRecord] {
        let existing = try await store.sources()
        var taken = Set(existing.map(\.slug))
        let known = Set(existing.map(\.url))
        let wanted = found.isAggregator ? found.providers : [.init(name: found.name, url: found.url)]
        var added: [SourceRecord] = []
        for provider in wanted where !known.contains(provider.url) {
            let slug = SourceDiscovery.slug(for: provider.name, taken: taken)
            taken.insert(slug)
            var record = SourceRecord(slug: slug, name: provider.name, url: provider.url, enabled: enabled, pollInterval: pollInterval)
            record.mirrors = provider.mirrors
            record.allowPrivateNetwork = allowPrivateNetwork
            try await store.saveSource(record)
            added.append(record)
        }
        return added
    }

    public func sync(slug: String) async throws -> SourceSyncOutcome? {
        guard let source = try await store.source(slug: slug) else { return SourceSyncOutcome(text: "There is no source \(slug).", failed: true) }
        let (store, environment) = (self.store, self.environment)
        let report = try await HTTPFetcher.with(policy: policy) { fetcher in
            try await SourcePollLease.run(slug: slug, holder: "web " + SourceScheduler.nodeName(), store: store) { () async throws -> SyncReport in
                switch source.kind {
                case .aggregator: return try await AggregatorSync(store: store, fetcher: fetcher).sync(source)
                case .kev: return try await KnownExploitedSync(store: store, fetcher: fetcher).sync(source)
                case .provider:
                    var options = ProviderSync.Options()
                    options.environment = environment
                    return try await ProviderSync(store: store, fetcher: fetcher, options: options).sync(source)
                }
            }
        }
        return report.map { SourceSyncOutcome(text: $0.summary(name: source.name, kind: source.kind), failed: $0.error != nil) }
    }
}

extension SourceAdministrator {
    public func check(slug: String) async throws -> SourceSyncOutcome {
        guard let source = try await store.source(slug: slug) else { return SourceSyncOutcome(text: "There is no source \(slug).", failed: true) }
        var options = ProviderChecker.Options()
        options.allowPrivateNetwork = source.allowPrivateNetwork
        options.maxDocuments = checkDocuments
        let report = try await HTTPFetcher.with(policy: policy) { fetcher in
            await ProviderChecker(fetcher: fetcher, options: options).check(source.url)
        }
        _ = try await store.saveSourceQuality(slug: slug, quality: try report.sourceQuality())
        return SourceSyncOutcome(text: "\(source.name): \(report.summary).", failed: !report.failed.isEmpty)
    }
}

extension SyncReport {
    /// One paragraph on what a sync did, or why it could not run: what `vigil sources sync` prints per source.
    public func summary(name: String, kind: SourceRecord.Kind = .provider) -> String {
        func grouped(_ value: Int) -> String {
            let digits = String(value.magnitude)
            var out = ""
            for (index, digit) in digits.reversed().enumerated() {
                if index > 0, index % 3 == 0 { out.append(",") }
                out.append(digit)
            }
            return (value < 0 ? "-" : "") + String(out.reversed())
        }
        if let error { return "\(name): not synced: \(error)" }
        if kind == .kev {
            return feedsUnchanged == 1 ? "\(name): unchanged (304 Not Modified)"
                : "\(name): \(grouped(listed)) CVEs listed, \(grouped(new)) added, \(grouped(updated)) removed"
        }
        return """
            \(name): \(grouped(listed)) listed in \(feeds) feed\(feeds == 1 ? "" : "s") (\(feedsUnchanged) unchanged), \(grouped(fetched)) fetched: \
            \(grouped(new)) new, \(grouped(updated)) updated, \(grouped(unchanged)) unchanged, \(grouped(quarantined)) quarantined, \
            \(grouped(failed)) failed; \(grouped(requests)) requests (\(notModified) not modified), \
            \(String(format: "%.1f", Double(bytes) / 1_048_576)) MB in \(String(format: "%.2f", seconds)) s
            """
    }
}
