import CSAF
import Foundation
import Revisions
import Storage
import Testing

/// `PublisherLeadTime`: which publisher puts the same advisory out first, and by how many days, over crafted links.
@Suite("Publisher lead time")
struct PublisherLeadTimeTests {
    /// One side of a link: an advisory's ID, publisher and initial release date (`YYYY-MM-DD` or a full timestamp).
    struct Side {
        let id: String
        let publisher: String
        let date: Date?
        init(_ id: String, _ publisher: String, _ date: String?) {
            self.id = id
            self.publisher = publisher
            self.date = date.flatMap { Timestamp.parse($0.count == 10 ? $0 + "T00:00:00Z" : $0) }
        }
    }

    /// Both sides of the link between `a` and `b`, as `allLinks()` gives them.
    static func link(_ a: Side, _ b: Side, _ reason: AdvisoryLink.Reason = .reference, _ strength: AdvisoryLink.Strength = .strong,
                     into links: inout [String: [AdvisoryLink]]) {
        links[a.id, default: []].append(AdvisoryLink(id: b.id, publisher: b.publisher, reason: reason, strength: strength,
                                                     sharedCVEs: ["CVE-2026-0001"], initialReleaseDate: b.date))
        links[b.id, default: []].append(AdvisoryLink(id: a.id, publisher: a.publisher, reason: reason, strength: strength,
                                                     sharedCVEs: ["CVE-2026-0001"], initialReleaseDate: a.date))
    }

    @Test("a republication seven days later: the vendor leads by 7 days, CISA follows by 7; the pair counted once")
    func onePair() {
        var links: [String: [AdvisoryLink]] = [:]
        Self.link(Side("EXSA-123456", "Example ProductCERT", "2026-04-03T08:00:00Z"), Side("ICSA-26-100-01", "CISA", "2026-04-10T06:00:00Z"),
                  into: &links)
        let leads = PublisherLeadTime.compute(links)
        #expect(leads == [
            PublisherLeadTime(publisher: "CISA", pairs: 1, first: 0, sameDay: 0, later: 1, medianLeadDays: -7, others: ["Example ProductCERT"]),
            PublisherLeadTime(publisher: "Example ProductCERT", pairs: 1, first: 1, sameDay: 0, later: 0, medianLeadDays: 7, others: ["CISA"]),
        ])
        #expect(leads[1].medianInWords == "7 days earlier")
        #expect(leads[0].medianInWords == "7 days later")
    }

    @Test("medium and weak links, pairs with a date unknown, and links without their other side are left out")
    func leftOut() {
        var links: [String: [AdvisoryLink]] = [:]
        Self.link(Side("EXSA-1", "Example ProductCERT", "2026-01-01"), Side("ICSA-1", "CISA", "2026-01-09"), .overlappingCVEs, .medium, into: &links)
        Self.link(Side("EXSA-2", "Example ProductCERT", "2026-01-01"), Side("ICSA-2", "CISA", "2026-02-01"), .overlappingCVEs, .weak, into: &links)
        Self.link(Side("EXSA-3", "Example ProductCERT", nil), Side("ICSA-3", "CISA", "2026-02-01"), into: &links)
        Self.link(Side("EXSA-4", "Example ProductCERT", "2026-03-01"), Side("ICSA-4", "CISA", nil), .sameCVEs, into: &links)
        // One side only: the advisory's own publisher is unknown.
        links["EXSA-5"] = [AdvisoryLink(id: "ICSA-5", publisher: "CISA", reason: .reference, strength: .strong, sharedCVEs: [],
                                        initialReleaseDate: Timestamp.parse("2026-03-01T00:00:00Z"))]
        #expect(PublisherLeadTime.compute(links).isEmpty)

        // The one strong pair with both dates counts, alone.
        Self.link(Side("EXSA-6", "Example ProductCERT", "2026-03-01"), Side("ICSA-6", "CISA", "2026-03-03"), .sameCVEs, into: &links)
        let leads = PublisherLeadTime.compute(links)
        #expect(leads.map(\.pairs) == [1, 1])
        #expect(leads.first { $0.publisher == "Example ProductCERT" }?.medianLeadDays == 2)
    }

    @Test("the same UTC day is a tie whatever the hour; days are calendar days, not 24-hour spans")
    func ties() {
        var links: [String: [AdvisoryLink]] = [:]
        Self.link(Side("EXSA-1", "Example ProductCERT", "2026-01-05T23:00:00Z"), Side("ICSA-1", "CISA", "2026-01-05T01:00:00Z"), into: &links)
        Self.link(Side("EXSA-2", "Example ProductCERT", "2026-01-05T23:00:00Z"), Side("ICSA-2", "CISA", "2026-01-06T01:00:00Z"), into: &links)
        Self.link(Side("EXSA-3", "Example ProductCERT", "2026-01-05"), Side("ICSA-3", "CISA", "2026-01-05"), into: &links)
        let vendor = PublisherLeadTime.compute(links).first { $0.publisher == "Example ProductCERT" }
        #expect(vendor?.pairs == 3)
        #expect(vendor?.first == 1)
        #expect(vendor?.sameDay == 2)
        #expect(vendor?.later == 0)
        #expect(vendor?.medianLeadDays == 0)
        #expect(vendor?.medianInWords == "same day")
        #expect(PublisherLeadTime.days(from: Timestamp.parse("2026-01-05T23:00:00Z")!, to: Timestamp.parse("2026-01-06T01:00:00Z")!) == 1)
        #expect(PublisherLeadTime.days(from: Timestamp.parse("2026-01-06T01:00:00Z")!, to: Timestamp.parse("2026-01-05T23:00:00Z")!) == -1)
    }

    @Test("medians: the middle value of an odd count, the mean of the two middle values of an even one, over every other publisher")
    func medians() {
        var links: [String: [AdvisoryLink]] = [:]
        // The vendor against CISA: 1, 2, 4 and 10 days earlier (median 3); against CERT@VDE: 1 day later.
        for (index, days) in [1, 2, 4, 10].enumerated() {
            Self.link(Side("EXSA-\(index)", "Example ProductCERT", "2026-01-01"),
                      Side("ICSA-\(index)", "CISA", ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: 1_767_225_600 + Double(days) * 86_400))),
                      into: &links)
        }
        let even = PublisherLeadTime.compute(links)
        #expect(even.first { $0.publisher == "Example ProductCERT" }?.medianLeadDays == 3)
        #expect(even.first { $0.publisher == "CISA" }?.medianLeadDays == -3)
        Self.link(Side("EXSA-9", "Example ProductCERT", "2026-02-02"), Side("VDE-2026-001", "CERT@VDE", "2026-02-01"), into: &links)
        let odd = PublisherLeadTime.compute(links)
        let vendor = odd.first { $0.publisher == "Example ProductCERT" }
        // -1, 1, 2, 4, 10: the middle one.
        #expect(vendor?.medianLeadDays == 2)
        #expect(vendor?.pairs == 5)
        #expect(vendor?.first == 4)
        #expect(vendor?.later == 1)
        #expect(vendor?.others == ["CERT@VDE", "CISA"])
        #expect(odd.map(\.publisher) == ["Example ProductCERT", "CISA", "CERT@VDE"], "most pairs first")
        #expect(odd.first { $0.publisher == "CERT@VDE" }?.medianInWords == "1 day earlier")
        // Two pairs 2 and 3 days apart: 2.5.
        var half: [String: [AdvisoryLink]] = [:]
        Self.link(Side("A-1", "A", "2026-01-01"), Side("B-1", "B", "2026-01-03"), into: &half)
        Self.link(Side("A-2", "A", "2026-01-01"), Side("B-2", "B", "2026-01-04"), into: &half)
        #expect(PublisherLeadTime.compute(half).first { $0.publisher == "A" }?.medianInWords == "2.5 days earlier")
        #expect(PublisherLeadTime.compute(half).first { $0.publisher == "B" }?.medianInWords == "2.5 days later")
    }

    @Test("lead time encodes with camelCase keys")
    func encoding() throws {
        let lead = PublisherLeadTime(publisher: "CISA", pairs: 2, first: 0, sameDay: 0, later: 2, medianLeadDays: -5.5, others: ["Example ProductCERT"])
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(lead)) as? [String: Any])
        #expect(Set(object.keys) == ["publisher", "pairs", "first", "sameDay", "later", "medianLeadDays", "others"])
        #expect(object["medianLeadDays"] as? Double == -5.5)
    }
}

@Suite("Publisher lead time over real providers")
struct PublisherLeadTimeCorpusTests {
    /// CISA's CSAF documents of its Siemens republications from 2023 on give Siemens' date as their own initial release
    /// date (ICSA-23-222-01, numbered for 10 August 2023, says 2023-08-08 like SSA-131450): by the documents' dates those
    /// pairs are ties. Before 2023 CISA dated them itself, mostly two days after Siemens' Patch Tuesday.
    @Test("Siemens publishes before CISA republishes: first in far more pairs, never later on the median, 2 days earlier before 2023")
    func siemensLeadsCISA() throws {
        let siemens = try AdvisoryLinkCorpus.siemens.get()
        let cisa = try AdvisoryLinkCorpus.cisa.get()
        let leads = PublisherLeadTime.compute(AdvisoryLinker.link(siemens + cisa))
        #expect(leads.map(\.publisher).sorted() == ["CISA", "Siemens ProductCERT"])
        let vendor = try #require(leads.first { $0.publisher == "Siemens ProductCERT" }, "\(leads)")
        let coordinator = try #require(leads.first { $0.publisher == "CISA" }, "\(leads)")
        // The 76 republications by reference (AdvisoryLinkCorpusTests), and those with the same CVE set.
        #expect(vendor.pairs >= 76)
        #expect(vendor.pairs == coordinator.pairs)
        #expect(vendor.first == coordinator.later && vendor.later == coordinator.first && vendor.sameDay == coordinator.sameDay)
        #expect(vendor.first > 10 * vendor.later, "\(vendor)")
        #expect(vendor.medianLeadDays >= 0, "\(vendor)")
        #expect(coordinator.medianLeadDays == -vendor.medianLeadDays)

        let before2023 = try #require(Timestamp.parse("2023-01-01T00:00:00Z"))
        let early = (siemens + cisa).filter { ($0.initialReleaseDate ?? .distantFuture) < before2023 }
        let earlyLeads = PublisherLeadTime.compute(AdvisoryLinker.link(early))
        let earlyVendor = try #require(earlyLeads.first { $0.publisher == "Siemens ProductCERT" }, "\(earlyLeads)")
        #expect(earlyVendor.pairs >= 30)
        #expect(earlyVendor.medianLeadDays == 2, "\(earlyVendor)")
        #expect(earlyVendor.medianInWords == "2 days earlier")
        #expect(earlyLeads.first { $0.publisher == "CISA" }?.medianInWords == "2 days later")
    }
}
