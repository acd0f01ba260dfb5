import ArgumentParser
import Foundation
import Storage
import Store

/// `vigil stats`: counts per publisher, vendor, year and severity.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Count advisories per publisher, vendor, year and severity.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print a JSON object (its `advisories` key is the total).")
    var json = false

    @Option(help: "How many vendors to list in the text output.")
    var topVendors = 15

    func run() async throws {
        try await database.open().closing { try await report($0) }
    }

    func report(_ store: any VigilStore) async throws {
        let stats = try await store.statistics()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(stats), as: UTF8.self))
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
        print(lines.joined(separator: "\n"))
    }
}
