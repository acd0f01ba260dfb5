import ArgumentParser
import CSAF
import Foundation
import Storage
import Store

/// `vigil quarantine`: the documents kept aside (hash or signature failures, unreadable or invalid files) with why.
struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "List quarantined documents with the reason each was kept aside.",
        discussion: "Quarantined documents are never shown as advisories. Those from a source are checked again on its next sync.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "How many to list, newest first.") var limit = 100
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let store: any VigilStore
        do {
            store = try await database.open()
        } catch {
            printError("vigil quarantine: \(error)")
            throw ExitCode(2)
        }
        try await store.closing { try await list($0) }
    }

    func list(_ store: any VigilStore) async throws {
        let entries = try await store.quarantined(limit: max(limit, 1))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        if entries.isEmpty {
            print("Nothing is quarantined.")
            return
        }
        for entry in entries {
            print("\(entry.code.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(entry.advisoryID ?? "-")  \(entry.origin)")
            print("    \(entry.reason)  (\(Timestamp.format(entry.detectedAt)))")
            print("    \(entry.code.advice)")
        }
    }
}
