import Foundation

/// What looking up a provider or aggregator found, before anything is saved: shown to the person adding it.
public struct DiscoveredSource: Sendable, Equatable {
    public struct Provider: Sendable, Equatable {
        public var name: String
        public var url: String
        public var mirrors: [String]
        public init(name: String, url: String, mirrors: [String] = []) {
            self.name = name
            self.url = url
            self.mirrors = mirrors
        }
    }

    public var isAggregator: Bool
    /// The provider-metadata.json or aggregator.json URL.
    public var url: String
    public var name: String
    /// An aggregator's providers; empty for a provider.
    public var providers: [Provider]

    public init(isAggregator: Bool, url: String, name: String, providers: [Provider] = []) {
        self.isAggregator = isAggregator
        self.url = url
        self.name = name
        self.providers = providers
    }
}

/// How a sync asked for from the web went, in words.
public struct SourceSyncOutcome: Sendable, Equatable {
    public var text: String
    public var failed: Bool
    public init(text: String, failed: Bool) {
        self.text = text
        self.failed = failed
    }
}

/// What the sources administration page needs done over the network (discovery, a sync now), which the web layer
/// does not do itself: `vigil serve` gives it the implementation in `Sources` (`SourceAdministrator`).
public protocol SourceAdministration: Sendable {
    /// Looks up a provider-metadata.json URL, a domain or an aggregator.json URL; throws with a sentence saying what
    /// was not found.
    func discover(_ target: String, allowPrivateNetwork: Bool) async throws -> DiscoveredSource
    /// Follows what `discover` found (an aggregator: each of its providers not followed yet); returns the sources added.
    func add(_ found: DiscoveredSource, allowPrivateNetwork: Bool, enabled: Bool) async throws -> [SourceRecord]
    /// Syncs one source now; nil when a node holds its poll lease (it is being synced right now).
    func sync(slug: String) async throws -> SourceSyncOutcome?
    /// Checks one source against CSAF 2.0 §7 (`vigil check-provider`) and keeps the result as its quality.
    func check(slug: String) async throws -> SourceSyncOutcome
}
