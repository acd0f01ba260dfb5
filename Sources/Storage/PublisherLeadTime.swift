import Foundation
import Revisions

/// How much earlier one publisher puts out the advisories another publisher republishes: the reason to follow vendors
/// directly. Worked out over `AdvisoryStore.allLinks()` by `PublisherLeadTime.compute(_:)`, shown by `vigil stats`
/// and `/sources`.
///
/// Only strong links count (`reference` or `sameCVEs`: the same advisory published twice; an overlap of CVEs is not a
/// republication), each pair of advisories once, and only pairs whose two initial release dates are known. A pair's
/// lead is the number of UTC calendar days between the two dates (`days(from:to:)`), so a coordinator republishing
/// the same day is a tie whatever the hour. JSON keys are the property names (`publisher`, `pairs`, `first`,
/// `sameDay`, `later`, `medianLeadDays`, `others`).
public struct PublisherLeadTime: Sendable, Equatable, Codable {
    /// The publisher, as its documents name it (`Siemens ProductCERT`, `CISA`).
    public var publisher: String
    /// Pairs with another publisher's advisory describing the same vulnerabilities, both dates known.
    public var pairs: Int
    /// Of those, how many this publisher published on an earlier day, the same day, a later day.
    public var first: Int
    public var sameDay: Int
    public var later: Int
    /// The median over the pairs of the days this publisher was earlier than the other: positive when it usually
    /// publishes first, negative when it usually follows (the mean of the two middle values for an even count).
    public var medianLeadDays: Double
    /// The publishers it was compared with, sorted.
    public var others: [String]

    public init(publisher: String, pairs: Int, first: Int, sameDay: Int, later: Int, medianLeadDays: Double, others: [String]) {
        self.publisher = publisher
        self.pairs = pairs
        self.first = first
        self.sameDay = sameDay
        self.later = later
        self.medianLeadDays = medianLeadDays
        self.others = others
    }

    /// The median lead in words: "7 days earlier", "2.5 days later", "same day".
    public var medianInWords: String { Self.words(daysEarlier: medianLeadDays) }

    /// Each publisher's lead time over the others, from links keyed by advisory ID with both sides of each link (as
    /// `allLinks()` gives them): most pairs first, then by name. A link carries the other advisory's publisher and
    /// date; an advisory's own come from the link back to it, so a pair missing its other side is left out.
    public static func compute(_ links: [String: [AdvisoryLink]]) -> [PublisherLeadTime] {
        var known: [String: (publisher: String, date: Date?)] = [:]
        for list in links.values {
            for link in list { known[link.id] = (link.publisher, link.initialReleaseDate) }
        }
        struct Pair: Hashable { let low: String, high: String }
        var seen = Set<Pair>()
        var leads: [String: [Int]] = [:]
        var others: [String: Set<String>] = [:]
        for (id, list) in links {
            for link in list where link.strength == .strong && (link.reason == .reference || link.reason == .sameCVEs) {
                let pair = Pair(low: min(id, link.id), high: max(id, link.id))
                guard let own = known[id], own.publisher != link.publisher,
                      let ownDate = own.date, let otherDate = link.initialReleaseDate,
                      seen.insert(pair).inserted else { continue }
                let lead = days(from: ownDate, to: otherDate)
                leads[own.publisher, default: []].append(lead)
                leads[link.publisher, default: []].append(-lead)
                others[own.publisher, default: []].insert(link.publisher)
                others[link.publisher, default: []].insert(own.publisher)
            }
        }
        return leads.map { publisher, values in
            PublisherLeadTime(publisher: publisher, pairs: values.count, first: values.count(where: { $0 > 0 }),
                              sameDay: values.count(where: { $0 == 0 }), later: values.count(where: { $0 < 0 }),
                              medianLeadDays: median(values), others: (others[publisher] ?? []).sorted())
        }
        .sorted { $0.pairs != $1.pairs ? $0.pairs > $1.pairs : $0.publisher < $1.publisher }
    }

    /// UTC calendar days from `earlier` to `later`: positive when `later` falls on a later day.
    public static func days(from earlier: Date, to later: Date) -> Int {
        func day(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }
        return day(later) - day(earlier)
    }

    /// "7 days earlier", "1 day later", "2.5 days earlier", "same day".
    public static func words(daysEarlier days: Double) -> String {
        if days == 0 { return "same day" }
        let magnitude = abs(days)
        let number = magnitude == magnitude.rounded() ? String(Int(magnitude)) : String(format: "%.1f", magnitude)
        return "\(number) day\(magnitude == 1 ? "" : "s") \(days > 0 ? "earlier" : "later")"
    }

    static func median(_ values: [Int]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
    }
}
