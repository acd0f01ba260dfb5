import ArgumentParser
import Foundation
import Storage
import Store

/// `vigil stats`: counts per publisher, vendor, year and severity, and each publisher's lead time over the others.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Count advisories per publisher, vendor, year and severity; show which publishers publish first.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print a JSON object (its `advisories` key is the total, `leadTime` the lead time per publisher).")
    var json = false

    @Option(help: "How many vendors to list in the text output.")
    var topVendors = 15

    func run() async throws {
        try await database.open().closing { try await report($0) }
    }

    func report(_ store: any VigilStore) async throws {
        let stats = try await store.statistics()
        let leadTimes = PublisherLeadTime.compute(try await store.allLinks())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(StatsReport(statistics: stats, leadTime: leadTimes)), as: UTF8.self))
            return
        }
        var lines = ["\(stats.advisories.grouped) advisories, \(stats.documents.grouped) stored documents, \(stats.quarantined.grouped) quarantined, \(stats.conflicts.grouped) conflicts"]
        func section(_ title: String, _ counts: [StoreStatistics.Count]) {
            lines.append("")
            lines.append(title)
            let width = counts.map(\.name.count).max() ?? 0
            for count in counts {
                lines.append("  " + count.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                             + String(repeating: " ", count: max(0, 7 - count.count.grouped.count)) + count.count.grouped)
            }
        }
        section("By publisher", stats.byPublisher)
        section("By severity", stats.bySeverity)
        section("By year", stats.byYear)
        section("Top vendors", Array(stats.byVendor.prefix(topVendors)))
        lines.append("")
        lines.append("Lead time (the same advisory from two publishers: who published first, median over the pairs)")
        if leadTimes.isEmpty {
            lines.append("  no advisory is stored from two publishers with both release dates known")
        }
        let width = leadTimes.map(\.publisher.count).max() ?? 0
        let pairsWidth = leadTimes.map { "\($0.pairs.grouped) pair\($0.pairs == 1 ? "" : "s")".count }.max() ?? 0
        for lead in leadTimes {
            let pairs = "\(lead.pairs.grouped) pair\(lead.pairs == 1 ? "" : "s")"
            let others = lead.others.count <= 3 ? lead.others.joined(separator: ", ") : "\(lead.others.count) publishers"
            lines.append("  " + lead.publisher.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                         + pairs.padding(toLength: pairsWidth, withPad: " ", startingAt: 0)
                         + "  first in \(lead.first.grouped), same day in \(lead.sameDay.grouped)"
                         + "; median \(lead.medianInWords) (vs \(others))")
        }
        print(lines.joined(separator: "\n"))
    }
}

/// `vigil stats --json`: the store's statistics with `leadTime` beside their keys.
struct StatsReport: Encodable {
    let statistics: StoreStatistics
    let leadTime: [PublisherLeadTime]

    enum CodingKeys: String, CodingKey { case leadTime }

    func encode(to encoder: any Encoder) throws {
        try statistics.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(leadTime, forKey: .leadTime)
    }
}
