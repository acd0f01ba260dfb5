import Foundation
import Revisions
import Storage

/// What the Sources page shows of lead time (`PublisherLeadTime`): every publisher's median lead over the others, and
/// the publisher each provider source stands for.
///
/// A source is tied to a publisher through what it stored: the advisory IDs its documents were stored as
/// (`remoteDocuments(source:)`) and those advisories' publisher, as the links name it. A provider publishes its own
/// advisories, so the publisher of most of them is its publisher; an aggregator or the KEV catalogue is tied to none.
struct SourceLeadTimes: Sendable {
    /// Every publisher with linked pairs, most pairs first.
    var publishers: [PublisherLeadTime] = []
    /// Source slug → the publisher its stored advisories come from.
    var publisherBySource: [String: String] = [:]

    /// Nothing known: no links, or not worked out.
    static let none = SourceLeadTimes()

    /// The lead times over every stored link, and the publisher of each provider source in `sources`.
    static func load(store: any AdvisoryStore & SourceStateStore, sources: [SourceRecord]) async throws -> SourceLeadTimes {
        let links = try await store.allLinks()
        guard !links.isEmpty else { return .none }
        let publishers = PublisherLeadTime.compute(links)
        let byAdvisory = publisherByAdvisory(links)
        var bySource: [String: String] = [:]
        for source in sources where source.kind == .provider && source.documentsHeld > 0 {
            let ids = try await store.remoteDocuments(source: source.slug).values.compactMap { $0.status == .stored ? $0.advisoryID : nil }
            bySource[source.slug] = mainPublisher(of: ids, publisherByAdvisory: byAdvisory)
        }
        return SourceLeadTimes(publishers: publishers, publisherBySource: bySource)
    }

    /// Each linked advisory's publisher, as the links to it name it.
    static func publisherByAdvisory(_ links: [String: [AdvisoryLink]]) -> [String: String] {
        var result: [String: String] = [:]
        for list in links.values {
            for link in list { result[link.id] = link.publisher }
        }
        return result
    }

    /// The publisher of more than half of `advisoryIDs` whose publisher is known; nil without one (an aggregator's
    /// mix, or nothing linked).
    static func mainPublisher(of advisoryIDs: some Sequence<String>, publisherByAdvisory: [String: String]) -> String? {
        var counts: [String: Int] = [:]
        var known = 0
        for id in Set(advisoryIDs) {
            guard let publisher = publisherByAdvisory[id] else { continue }
            counts[publisher, default: 0] += 1
            known += 1
        }
        guard let (publisher, count) = counts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }),
              count * 2 > known else { return nil }
        return publisher
    }

    /// The lead time of the publisher `slug` stands for, if it has any.
    func leadTime(source slug: String) -> PublisherLeadTime? {
        guard let publisher = publisherBySource[slug] else { return nil }
        return publishers.first { $0.publisher == publisher }
    }
}
