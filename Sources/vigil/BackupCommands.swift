import ArgumentParser
import Foundation
import Storage
import Store

/// The exit statuses of `vigil backup` and `vigil restore`, as their help lists them.
enum BackupExit {
    /// Failed or refused; nothing at the target changed.
    static let failed = ExitCode(1)
    /// The store is PostgreSQL: the pg_dump / pg_restore command was printed, nothing was done.
    static let postgres = ExitCode(3)
    /// `vigil restore`: a Vigil process has the store open.
    static let inUse = ExitCode(4)

    static func status(for error: SQLiteBackupError) -> ExitCode {
        error.kind == .inUse ? inUse : failed
    }
}

/// `vigil backup PATH`: a checked, consistent copy of a SQLite store while Vigil keeps running.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the SQLite store to PATH, consistently, while `vigil serve` or an import keeps writing.",
        discussion: """
            The copy is a snapshot of committed transactions (SQLite's online backup API). It is written to a \
            temporary file beside PATH, synced, checked with PRAGMA integrity_check and for Vigil's schema, and only \
            then renamed to PATH: PATH is never half-written. Keep backups on another disk, and take one before \
            upgrading Vigil.

            For a PostgreSQL store (--db postgres://…) nothing is copied: the pg_dump command to run is printed.

            Exit status:
              0  written and checked
              1  failed or refused; PATH unchanged
              3  PostgreSQL store: the pg_dump command was printed, nothing was done
            """)

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Replace PATH if it exists.") var force = false
    @Argument(help: ArgumentHelp("The backup file to write.", valueName: "path")) var path: String

    func run() async throws {
        switch database.location {
        case .postgres(let url):
            print(PostgresBackupCommands.dump(url: url, to: path))
            throw BackupExit.postgres
        case .sqlite(let store):
            let started = ContinuousClock.now
            do {
                let contents = try SQLiteBackup.backup(store: store, to: path, overwrite: force)
                let seconds = (ContinuousClock.now - started).seconds
                print("Backed up \(store) to \(path): \(BackupReport.size(contents.bytes)), \(contents.advisories.grouped) advisories, "
                      + "\(contents.documents.grouped) documents, integrity check ok, in \(String(format: "%.1f", seconds)) s.")
            } catch let error as SQLiteBackupError {
                printError("vigil backup: \(error.message)")
                throw BackupExit.status(for: error)
            }
        }
    }
}

/// `vigil restore BACKUP`: replaces a stopped SQLite store with a checked backup.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the SQLite store with a backup made by `vigil backup`; stop `vigil serve` first.",
        discussion: """
            The backup is checked first (PRAGMA integrity_check, Vigil's schema; one from a newer Vigil is refused, \
            an older one is migrated when the store is next opened). It is copied into the store's folder, synced \
            and renamed over the store in one step; the old store's -wal and -shm files are removed so SQLite cannot \
            apply them to the new file. The replaced store is kept as STORE.before-restore-<time> unless --no-keep.

            Every Vigil process holds a shared lock on STORE.lock while it has the store open; restore refuses while \
            any does.

            For a PostgreSQL store nothing is restored: the pg_restore command to run is printed.

            Exit status:
              0  restored
              1  failed or refused; the store unchanged
              3  PostgreSQL store: the pg_restore command was printed, nothing was done
              4  the store is in use by another Vigil process; the store unchanged
            """)

    @OptionGroup var database: DatabaseOptions
    @Flag(name: .customLong("no-keep"), help: "Do not keep the replaced store as STORE.before-restore-<time>.")
    var noKeep = false
    @Argument(help: ArgumentHelp("The backup file to restore.", valueName: "backup")) var backup: String

    func run() async throws {
        switch database.location {
        case .postgres(let url):
            print(PostgresBackupCommands.restore(url: url, from: backup))
            throw BackupExit.postgres
        case .sqlite(let store):
            let started = ContinuousClock.now
            do {
                let restored = try SQLiteBackup.restore(backup, into: store, keepReplaced: !noKeep)
                let seconds = (ContinuousClock.now - started).seconds
                let contents = restored.contents
                var text = "Restored \(backup) to \(store): \(BackupReport.size(contents.bytes)), \(contents.advisories.grouped) advisories, "
                    + "\(contents.documents.grouped) documents, in \(String(format: "%.1f", seconds)) s."
                if let kept = restored.keptPath { text += " The replaced store is kept as \(kept)." }
                if !contents.pending.isEmpty {
                    text += " The backup is from an older Vigil: \(contents.pending.count) migration(s) run when the store is next opened."
                }
                print(text)
            } catch let error as SQLiteBackupError {
                printError("vigil restore: \(error.message)")
                throw BackupExit.status(for: error)
            }
        }
    }
}

enum BackupReport {
    /// `12.3 MB`.
    static func size(_ bytes: Int64) -> String {
        bytes >= 1_000_000 ? String(format: "%.1f MB", Double(bytes) / 1_000_000) : "\(Int(bytes).grouped) bytes"
    }
}

/// The pg_dump and pg_restore commands for a PostgreSQL store: its URL without the password (which pg_dump reads from
/// PGPASSWORD or ~/.pgpass) and without Vigil's own options.
enum PostgresBackupCommands {
    static func dump(url: String, to path: String) -> String {
        """
        vigil backup does not copy a PostgreSQL store itself. Run pg_dump (custom format), here against \(StoreLocation(url).description):

          \(passwordPrefix(url))pg_dump --format=custom --file=\(quote(path)) --dbname=\(quote(libpqURL(url)))

        and restore it later with:

          \(passwordPrefix(url))pg_restore --clean --if-exists --no-owner --single-transaction --dbname=\(quote(libpqURL(url))) \(quote(path))

        \(passwordNote(url))
        """
    }

    static func restore(url: String, from path: String) -> String {
        """
        vigil restore does not restore a PostgreSQL store itself. Stop every Vigil node on \(StoreLocation(url).description), then run:

          \(passwordPrefix(url))pg_restore --clean --if-exists --no-owner --single-transaction --dbname=\(quote(libpqURL(url))) \(quote(path))

        (the backup made with: pg_dump --format=custom --file=\(quote(path)) --dbname=\(quote(libpqURL(url))))

        \(passwordNote(url))
        """
    }

    /// The URL as libpq reads it: user, host (or socket folder), port, database, sslmode and sslrootcert; no
    /// password and no `pool`, which libpq would reject.
    static func libpqURL(_ url: String) -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["VIGIL_DB_PASSWORD_FILE"] = nil
        guard let configuration = try? PostgresConfiguration(url: url, environment: environment) else {
            return StoreLocation(url).description
        }
        var components = URLComponents()
        components.scheme = "postgresql"
        components.user = configuration.user
        components.path = "/" + configuration.database
        var query: [URLQueryItem] = []
        if let socket = configuration.socketFolder {
            components.host = ""
            query.append(URLQueryItem(name: "host", value: socket))
        } else {
            components.host = configuration.host
        }
        components.port = configuration.port
        let given = Dictionary((URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { _, b in b }
        if let mode = given["sslmode"] { query.append(URLQueryItem(name: "sslmode", value: mode)) }
        if let root = given["sslrootcert"] { query.append(URLQueryItem(name: "sslrootcert", value: root)) }
        components.queryItems = query.isEmpty ? nil : query
        return components.string ?? StoreLocation(url).description
    }

    /// `PGPASSWORD="$(cat FILE)" ` when the password is in a file Vigil reads; nothing otherwise.
    static func passwordPrefix(_ url: String) -> String {
        let hasPasswordInURL = URLComponents(string: url)?.password != nil
        if !hasPasswordInURL, let file = ProcessInfo.processInfo.environment["VIGIL_DB_PASSWORD_FILE"], !file.isEmpty {
            return "PGPASSWORD=\"$(cat \(quote(file)))\" "
        }
        return ""
    }

    static func passwordNote(_ url: String) -> String {
        URLComponents(string: url)?.password != nil
            ? "The password in --db is not shown: set PGPASSWORD (or use ~/.pgpass) before running these."
            : "The password is read from PGPASSWORD or ~/.pgpass, as for psql."
    }

    /// Single-quoted for a POSIX shell.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
