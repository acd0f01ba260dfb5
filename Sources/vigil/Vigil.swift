import ArgumentParser
import Foundation
import Storage
import Store

/// The `vigil` command: argument parsing and wiring only.
@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Monitor OT/ICS security advisories (CSAF 2.0): import, verify, search and serve them.",
        subcommands: [ServeCommand.self, ImportCommand.self, VerifyCommand.self, ValidateCommand.self, CheckProviderCommand.self, SourcesCommand.self, QuarantineCommand.self, DiffCommand.self, RelatedCommand.self, ReportCommand.self, ReportSettingsCommand.self, AssetsCommand.self, ExposuresCommand.self, RangeCommand.self, OrgCommand.self, WatchCommand.self, ChannelCommand.self, AlertsCommand.self, UsersCommand.self, StatsCommand.self, MigrateCommand.self, ExportCommand.self, BackupCommand.self, RestoreCommand.self])
}

/// `--db PATH`, shared by every command that opens the store.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The database: a SQLite file, or postgres://USER@HOST:PORT/NAME (default: $VIGIL_DB, else ./vigil.sqlite).",
        valueName: "path|url"))
    var db: String?

    /// What was given, as typed (a file path or a URL).
    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["VIGIL_DB"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "vigil.sqlite"
    }

    var location: StoreLocation { StoreLocation(path) }

    /// Opens (creating and migrating as needed) the store this option names.
    func open() async throws -> any VigilStore { try await location.open(environment: ProcessInfo.processInfo.environment) }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension Int {
    /// `2,383`: thousands separated, as the summaries print counts.
    var grouped: String {
        let digits = String(Swift.abs(self))
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (self < 0 ? "-" : "") + String(out.reversed())
    }
}
