import Alerts
import ArgumentParser
import CSAF
import Foundation
import OpenPGP
import Sources
import Storage
import Store

/// `vigil import PATH...`: imports CSAF documents from files and folders into the store.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import CSAF documents from files and folders (hashes and OpenPGP signatures are checked).",
        discussion: """
            JSON files are recognised by content: CSAF documents are imported, provider metadata, aggregator lists and \
            ROLIE feeds are skipped, other JSON is rejected with its reason. Importing the same files twice changes \
            nothing. Signatures (.asc) are verified with the keys a provider folder's provider-metadata.json lists \
            (pinned by fingerprint, read from the key files in that folder) and with the keys given by --key; a \
            document whose hash or signature fails is quarantined. Exits with status 1 when any file was rejected. \
            FIFOs, sockets and devices (named or in a folder) are never opened: each is reported as skipped with its \
            reason and does not change the exit status.
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("Files or folders to import.", valueName: "path"))
    var paths: [String] = []

    @Option(help: ArgumentHelp("""
        Copy a whole installation instead: every table of this SQLite store (sqlite:PATH) into the empty PostgreSQL \
        database --db names, IDs kept (the same as vigil export --to).
        """, valueName: "sqlite:path"))
    var from: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Flag(help: "Print a machine-readable summary on standard output.")
    var json = false

    @Option(help: ArgumentHelp("Largest document accepted, in bytes.", valueName: "bytes"))
    var maxSize = CSAFDocumentReader.defaultMaxBytes

    @Option(name: .customLong("key"), help: ArgumentHelp("An OpenPGP public key file (armored or binary) trusted for every document; repeatable.", valueName: "keyfile"))
    var keyFiles: [String] = []

    func validate() throws {
        if from != nil, !paths.isEmpty { throw ValidationError("give either paths to import or --from, not both") }
        if from == nil, paths.isEmpty { throw ValidationError("give the files or folders to import (or --from sqlite:PATH)") }
    }

    func run() async throws {
        if let from {
            try await StoreCopyCommand.copy(from: StoreLocation(from), to: database.location, command: "vigil import", quiet: quiet)
            return
        }
        let store: any VigilStore
        do {
            store = try await database.open()
        } catch {
            printError("vigil import: \(error)")
            throw ExitCode(2)
        }
        try await store.closing { try await importPaths(into: $0) }
    }

    /// The import proper, into an open store (closed by the caller).
    func importPaths(into store: any VigilStore) async throws {
        let keys: Keyring?
        do {
            keys = try ProviderKeys.readKeyFiles(keyFiles)
        } catch {
            printError("vigil import: \(error)")
            throw ExitCode(2)
        }
        let importer = LocalImporter(options: .init(maxBytes: maxSize, keys: keys))
        let progress = (quiet || json) ? nil : ProgressDisplay(label: "Importing")
        let started = ContinuousClock.now
        var callback: LocalImporter.Progress?
        if let progress {
            callback = { done, total, _ in progress.update(done: done, total: total) }
        }
        let summary: ImportSummary
        do {
            summary = try await importer.run(paths: paths, into: store, progress: callback)
        } catch let error as ImportPathError {
            printError("vigil import: \(error)")
            throw ExitCode(2)
        }
        progress?.finish()
        let seconds = (ContinuousClock.now - started).seconds
        // Alerts for what this import stored, so a watch hears of an imported advisory as it would of a synced one.
        let alerts = try await AlertCreator(store: store).processPending()
        if !json, !quiet, alerts.alertsCreated > 0 {
            print("Alerts created: \(alerts.alertsCreated.grouped) (vigil alerts list --org NAME).")
        }
        if alerts.alertsCreated > 0 {
            // Sites that only import by hand get their alerts sent too; what fails waits in the outbox for a retry.
            let sent = try await DeliveryRuntime.fromEnvironment(store: store) { try await $0.dispatcher.runOnce() }
            if !json, !quiet, sent.delivered + sent.retrying + sent.failed > 0 {
                print("Alert messages delivered: \(sent.delivered); waiting to retry: \(sent.retrying); failed: \(sent.failed) (vigil alerts outbox --org NAME).")
            }
        }
        if json {
            print(try ImportReport(summary: summary, seconds: seconds, database: database.location.description).jsonString())
        } else {
            if !quiet { print(ImportReport.text(summary, seconds: seconds, database: database.location.description)) }
            for problem in summary.keyProblems { printError("warning: \(problem)") }
            for error in summary.errors { printError("rejected \(error.path): \(error.reason)") }
            for file in summary.skippedSpecial { printError("\(file.path): \(file.reason)") }
        }
        if summary.rejected > 0 { throw ExitCode(1) }
    }
}

/// The `--json` summary of an import.
struct ImportReport: Encodable {
    var new: Int
    var updated: Int
    var unchanged: Int
    var historical: Int
    var conflicts: [ImportSummary.Conflict]
    var rejected: Int
    var skipped: Int
    var ignored: Int
    var files: Int
    var seconds: Double
    var database: String
    var errors: [ImportSummary.FileError]
    /// FIFOs, sockets and devices: not read, not rejections.
    var skippedSpecial: [ImportSummary.FileError]
    /// Documents per integrity status.
    var integrity: [String: Int]
    var keys: [ImportSummary.ProviderKeySummary]
    var keyProblems: [String]

    init(summary: ImportSummary, seconds: Double, database: String) {
        new = summary.new
        updated = summary.updated
        unchanged = summary.unchanged
        historical = summary.historical
        conflicts = summary.conflicts
        rejected = summary.rejected
        skipped = summary.skipped
        ignored = summary.ignored
        files = summary.files
        self.seconds = (seconds * 1000).rounded() / 1000
        self.database = database
        errors = summary.errors
        skippedSpecial = summary.skippedSpecial
        integrity = summary.integrity
        keys = summary.keys
        keyProblems = summary.keyProblems
    }

    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func text(_ s: ImportSummary, seconds: Double, database: String) -> String {
        var lines = [
            "Imported into \(database) in \(String(format: "%.2f", seconds)) s:",
            "  new        \(s.new.grouped)",
            "  updated    \(s.updated.grouped)",
            "  unchanged  \(s.unchanged.grouped)",
        ]
        if s.historical > 0 { lines.append("  older revisions kept in history  \(s.historical.grouped)") }
        lines.append("  rejected   \(s.rejected.grouped)")
        if !s.conflicts.isEmpty {
            lines.append("  conflicts  \(s.conflicts.count.grouped) (same ID and version as a stored revision, different bytes; recorded, not applied):")
            for conflict in s.conflicts.prefix(20) { lines.append("    \(conflict.advisoryID)  \(conflict.path)") }
        }
        if s.skipped > 0 {
            let kinds = Dictionary(grouping: s.skippedFiles, by: \.kind).map { "\($0.value.count) \($0.key)" }.sorted()
            lines.append("  skipped    \(s.skipped.grouped) distribution files (\(kinds.joined(separator: ", ")))")
        }
        if !s.skippedSpecial.isEmpty {
            lines.append("  skipped    \(s.skippedSpecial.count.grouped) special files (FIFOs, sockets, devices; listed on standard error)")
        }
        if s.ignored > 0 { lines.append("  ignored    \(s.ignored.grouped) files that are not JSON (indexes, keys)") }
        if !s.integrity.isEmpty {
            let order = IntegrityStatus.allCases.map(\.rawValue)
            let parts = s.integrity.sorted { (order.firstIndex(of: $0.key) ?? 99) < (order.firstIndex(of: $1.key) ?? 99) }
                .map { "\($0.value.grouped) \($0.key)" }
            lines.append("  integrity  \(parts.joined(separator: ", "))")
        }
        for provider in s.keys {
            lines.append("  keys       \(provider.name): \(provider.fingerprints.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
