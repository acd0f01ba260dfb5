import ArgumentParser
import CSAF
import Foundation
import Revisions
import Storage
import Store

/// `vigil related ID`: other publishers' stored advisories that describe the same vulnerabilities as this one, and
/// which came first.
struct RelatedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "related",
        abstract: "List other publishers' advisories that describe the same vulnerabilities as a stored advisory.",
        discussion: """
            Advisories are linked when one references the other or both list the same CVEs (strong), or when they \
            share some CVEs and their products come from the same vendor (medium, or weak for a small overlap). \
            Each line says when the other was first published, relative to this one.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The advisory's ID (its document.tracking.id).") var id: String
    @Flag(help: "Print JSON: advisory_id and a related list (id, publisher, reason, strength, shared_cves, …).") var json = false

    func run() async throws {
        let store: any VigilStore
        do {
            store = try await database.open()
        } catch {
            printError("vigil related: \(error)")
            throw ExitCode(2)
        }
        try await store.closing { store in
            guard let stored = try await store.advisory(id: id) else {
                printError("vigil related: no advisory with the ID \(id) is stored")
                throw ExitCode(1)
            }
            let advisory = stored.advisory
            let links = try await store.related(advisoryID: advisory.id)
            let report = RelatedReport(advisory: advisory, links: links)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print(report.lines.joined(separator: "\n"))
        }
    }
}

/// What `vigil related` prints: the advisory and its links, with each other advisory's lag behind it in days.
struct RelatedReport: Encodable {
    struct Item: Encodable {
        let id: String
        let publisher: String
        let reason: AdvisoryLink.Reason
        let strength: AdvisoryLink.Strength
        let sharedCVEs: [String]
        let initialReleaseDate: Date?
        /// UTC calendar days from this advisory's initial release to the other's: negative when the other came first.
        let daysAfter: Int?
        /// For a reference link, which of the two names the other (`namesOther`: this advisory names it).
        let reference: AdvisoryLink.ReferenceDirection?

        enum CodingKeys: String, CodingKey {
            case id, publisher, reason, strength, reference
            case sharedCVEs = "shared_cves", initialReleaseDate = "initial_release_date", daysAfter = "days_after"
        }
    }

    let advisoryID: String
    let publisher: String
    let initialReleaseDate: Date?
    let related: [Item]

    enum CodingKeys: String, CodingKey {
        case publisher, related
        case advisoryID = "advisory_id", initialReleaseDate = "initial_release_date"
    }

    init(advisory: Advisory, links: [AdvisoryLink]) {
        advisoryID = advisory.id
        publisher = advisory.publisher.name
        initialReleaseDate = advisory.initialReleaseDate
        related = links.map { link in
            Item(id: link.id, publisher: link.publisher, reason: link.reason, strength: link.strength, sharedCVEs: link.sharedCVEs,
                 initialReleaseDate: link.initialReleaseDate,
                 daysAfter: advisory.initialReleaseDate.flatMap { own in
                     link.initialReleaseDate.map { PublisherLeadTime.days(from: own, to: $0) }
                 },
                 reference: link.reference)
        }
    }

    /// The human output: a heading, then one aligned line per linked advisory.
    var lines: [String] {
        let published = initialReleaseDate.map { ", first published \(Self.day($0))" } ?? ""
        guard !related.isEmpty else {
            return ["\(advisoryID) (\(publisher)\(published)): no related advisories of other publishers are stored"]
        }
        var lines = ["\(advisoryID) (\(publisher)\(published)): \(related.count) related advisor\(related.count == 1 ? "y" : "ies")"]
        let columns = related.map { item in
            [item.id, item.publisher, Self.reasonInWords(item.reason, item.reference), item.strength.rawValue,
             Self.shortened(item.sharedCVEs), Self.when(item)]
        }
        let widths = (0..<5).map { column in columns.map { $0[column].count }.max() ?? 0 }
        for row in columns {
            let padded = row.enumerated().map { index, cell in
                index < widths.count ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) : cell
            }
            lines.append("  " + padded.joined(separator: "  "))
        }
        return lines
    }

    static func reasonInWords(_ reason: AdvisoryLink.Reason, _ reference: AdvisoryLink.ReferenceDirection?) -> String {
        switch reason {
        case .reference:
            switch reference {
            case .namesOther: "referenced by this one"
            case .namedByOther: "references this one"
            case .both, nil: "references each other"
            }
        case .sameCVEs: "same CVEs"
        case .overlappingCVEs: "overlapping CVEs"
        }
    }

    /// "CVE-2024-1, CVE-2024-2, CVE-2024-3 and 4 more"; "no shared CVEs" for a reference without them.
    static func shortened(_ cves: [String], keep: Int = 3) -> String {
        if cves.isEmpty { return "no shared CVEs" }
        if cves.count <= keep + 1 { return cves.joined(separator: ", ") }
        return cves.prefix(keep).joined(separator: ", ") + " and \(cves.count - keep) more"
    }

    /// "published 2026-04-10, 7 days later"; "publication date unknown".
    static func when(_ item: Item) -> String {
        guard let date = item.initialReleaseDate else { return "publication date unknown" }
        guard let after = item.daysAfter else { return "published \(day(date))" }
        return "published \(day(date)), " + PublisherLeadTime.words(daysEarlier: Double(-after))
    }

    static func day(_ date: Date) -> String { Timestamp.formatDay(date) }
}
