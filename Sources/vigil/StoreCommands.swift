import ArgumentParser
import Foundation
import Storage
import Store

/// `vigil migrate`: brings the database's schema up to this build's, or shows where it stands.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database migrations this version needs (SQLite or PostgreSQL), or list them with --status.",
        discussion: """
            Every command migrates on opening, so this is for deployments that upgrade the schema in one step before \
            starting several nodes. Migrations on PostgreSQL run under an advisory lock: nodes started together \
            migrate once.
            """)

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "List the migrations and whether each is applied; change nothing.") var status = false

    func run() async throws {
        let location = database.location
        do {
            if status {
                if case .sqlite(let path) = location, let pending = try SQLiteStore.pendingMigrations(at: path) {
                    // Read without opening for writing: --status must not migrate.
                    print(pending.isEmpty ? "\(path): up to date" : "\(path): pending: \(pending.joined(separator: ", "))")
                    return
                }
                try await location.open(migrate: false, environment: ProcessInfo.processInfo.environment).closing { store in
                    for migration in try await store.migrationStatus() {
                        print("\(migration.applied ? "applied" : "pending")\t\(migration.name)")
                    }
                }
                return
            }
            var pendingBefore: [String] = []
            if case .sqlite(let path) = location { pendingBefore = try SQLiteStore.pendingMigrations(at: path) ?? ["(new file)"] }
            try await location.open(migrate: false, environment: ProcessInfo.processInfo.environment).closing { store in
                let applied = try await store.migrate()
                let names = store.backend == .sqlite ? pendingBefore : applied
                print(names.isEmpty ? "\(store.path): up to date" : "\(store.path): applied \(names.joined(separator: ", "))")
            }
        } catch {
            printError("vigil migrate: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `vigil export --to postgres://…`: the same copy as `vigil import --from`, seen from the source.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy this installation (a SQLite store) into an empty PostgreSQL database, every ID kept.",
        discussion: """
            Documents, revisions, conflicts, quarantine, sources and their sync state, the KEV catalogue, \
            organisations, assets, exposures, watches, alerts with their history and deliveries, channels, users, \
            memberships, sessions and API tokens. One transaction: a copy that fails leaves the target empty. \
            Stop `vigil serve` on the SQLite file first. Afterwards start Vigil with --db set to the PostgreSQL URL.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("The empty PostgreSQL database to fill.", valueName: "postgres://…")) var to: String
    @Flag(help: "Print only errors.") var quiet = false

    func run() async throws {
        try await StoreCopyCommand.copy(from: database.location, to: StoreLocation(to), command: "vigil export", quiet: quiet)
    }
}

enum StoreCopyCommand {
    static func copy(from source: StoreLocation, to target: StoreLocation, command: String, quiet: Bool) async throws {
        guard case .sqlite(let path) = source else {
            printError("\(command): the store to copy from must be a SQLite file (sqlite:PATH), not \(source.description)")
            throw ExitCode(2)
        }
        guard case .postgres(let url) = target else {
            printError("\(command): the store to copy into must be PostgreSQL (postgres://…), not \(target.description)")
            throw ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            printError("\(command): \(path) does not exist")
            throw ExitCode(2)
        }
        let started = ContinuousClock.now
        do {
            let sqlite = try SQLiteStore(path: path)
            let postgres = try await PostgresStore(url: url, environment: ProcessInfo.processInfo.environment)
            let copier = StoreCopier(source: sqlite, target: postgres) { table, rows in
                if !quiet, rows > 0 { printError("  \(table): \(rows.grouped) rows") }
            }
            // Both closed whether the copy succeeds or fails.
            let counts = try await sqlite.closing { _ in try await postgres.closing { _ in try await copier.run() } }
            let missing = counts.filter { $0.source != $0.target }
            guard missing.isEmpty else {
                for count in missing { printError("\(command): \(count.table): \(count.source) rows in SQLite, \(count.target) in PostgreSQL") }
                throw ExitCode(1)
            }
            if !quiet {
                let total = counts.reduce(0) { $0 + $1.target }
                print("Copied \(total.grouped) rows in \(counts.filter { $0.target > 0 }.count) tables from \(path) to "
                      + "\(postgres.path) in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s; every count matches.")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("\(command): \(error)")
            throw ExitCode(2)
        }
    }
}
