import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import Storage
#endif

/// Why a backup or restore did not happen. Nothing at the target was changed.
public struct SQLiteBackupError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure, for the command's exit status.
    public enum Kind: Sendable {
        /// A Vigil process has the store open.
        case inUse
        /// The target exists and may not be replaced.
        case exists
        /// Not a SQLite file, truncated, corrupt, not a Vigil store, or from a newer Vigil.
        case badBackup
        /// Reading or writing failed (missing file, full disk, permissions).
        case io
    }

    public let kind: Kind
    public let message: String
    public var description: String { message }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Consistent copies of a SQLite store and their restoration: `vigil backup` and `vigil restore`.
///
/// A backup uses SQLite's online backup API inside one read transaction, so it is a snapshot of committed
/// transactions while a server or an import goes on writing. Both directions write a temporary file in the target's
/// folder, sync it, check it (`integrity_check`, the migration table, migrations this build knows) and only then
/// rename it into place: the target is either the old file or the complete new one.
public enum SQLiteBackup {
    /// What a checked backup (or store) holds.
    public struct Contents: Sendable, Equatable {
        public var bytes: Int64
        public var advisories: Int
        public var documents: Int
        /// Migrations applied in the file.
        public var migrations: [String]
        /// Migrations this build has that the file has not: applied when the restored store is next opened.
        public var pending: [String]
    }

    /// The outcome of `restore`.
    public struct Restored: Sendable {
        public var contents: Contents
        /// Where the replaced store was kept (nil: there was none, or `keepReplaced` was false).
        public var keptPath: String?
    }

    // MARK: Backup

    /// Copies the store at `storePath` to `path`, checked, while other processes may go on writing to the store.
    /// Refuses to replace an existing `path` unless `overwrite`.
    public static func backup(store storePath: String, to path: String, overwrite: Bool) throws -> Contents {
        guard isRegularFile(storePath) else {
            throw SQLiteBackupError(.io, "there is no SQLite store at \(storePath)")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            if isFolder.boolValue { throw SQLiteBackupError(.exists, "\(path) is a folder; give the backup file's path") }
            if !overwrite { throw SQLiteBackupError(.exists, "\(path) already exists; use --force to replace it") }
        }
        if try sameFile(storePath, path) { throw SQLiteBackupError(.exists, "\(path) is the store itself") }
        // Only the magic: a live WAL store's header may promise pages a checkpoint is still writing.
        try checkHeader(storePath, what: "the store", checkSize: false)
        let hold = try SQLiteStoreLock.shared(storePath: storePath)
        defer { withExtendedLifetime(hold) {} }

        let temporary = try createTemporary(beside: path, purpose: "backup")
        var done = false
        defer { if !done { removeWithSidecars(temporary) } }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            let source = try DatabaseQueue(path: storePath, configuration: configuration)
            let target = try DatabaseQueue(path: temporary)
            // One step (-1) inside one read transaction: a snapshot, however the writer goes on.
            try source.backup(to: target)
            try source.close()
            try target.close()
            // The copy's header still says WAL; a backup is a single self-contained file.
            let convert = try DatabaseQueue(path: temporary)
            try convert.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try convert.close()
        } catch let error as DatabaseError {
            throw SQLiteBackupError(.io, "could not copy \(storePath) to \(folder(of: path)): \(describe(error))")
        }
        try syncFile(temporary)
        var contents: Contents
        do {
            // A store a newer Vigil has migrated is still copied; restoring it is what needs that newer Vigil.
            contents = try verify(temporary, quick: false, acceptNewer: true)
        } catch let error as SQLiteBackupError {
            throw SQLiteBackupError(error.kind, error.message.replacingOccurrences(of: temporary, with: "the copy of \(storePath)"))
        }
        guard rename(temporary, path) == 0 else {
            throw SQLiteBackupError(.io, "could not move the backup into place at \(path): \(String(cString: strerror(errno)))")
        }
        done = true
        syncFolder(folder(of: path))
        contents.bytes = fileSize(path)
        return contents
    }

    // MARK: Verify

    /// Checks that `path` is a whole, sound Vigil store this build can open: the SQLite header, the size the header
    /// promises, `integrity_check` (or `quick_check`), the migration table, and no migration from a newer Vigil
    /// (unless `acceptNewer`).
    public static func verify(_ path: String, quick: Bool = false, acceptNewer: Bool = false) throws -> Contents {
        guard isRegularFile(path) else { throw SQLiteBackupError(.io, "\(path) does not exist or is not a file") }
        try checkHeader(path, what: path, checkSize: !FileManager.default.fileExists(atPath: path + "-wal"))
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let check = try String.fetchAll(db, sql: quick ? "PRAGMA quick_check" : "PRAGMA integrity_check")
                guard check == ["ok"] else {
                    throw SQLiteBackupError(.badBackup, "\(path) is damaged: SQLite's integrity check found "
                                            + check.prefix(3).joined(separator: "; ") + (check.count > 3 ? " (and \(check.count - 3) more)" : ""))
                }
                guard try db.tableExists("grdb_migrations") else {
                    throw SQLiteBackupError(.badBackup, "\(path) is a SQLite database but not a Vigil store (it has no migration table)")
                }
                let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                let known = SQLiteStore.migrator.migrations
                let unknown = applied.filter { !known.contains($0) }
                guard unknown.isEmpty || acceptNewer else {
                    throw SQLiteBackupError(.badBackup, "\(path) was written by a newer Vigil: it has migrations this version "
                                            + "does not know (\(unknown.joined(separator: ", "))); restore it with that version or newer")
                }
                guard try db.tableExists("advisories"), try db.tableExists("documents") else {
                    throw SQLiteBackupError(.badBackup, "\(path) is not a Vigil store (it has no advisories or documents table)")
                }
                return Contents(bytes: fileSize(path),
                                advisories: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisories") ?? 0,
                                documents: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? 0,
                                migrations: applied,
                                pending: known.filter { !applied.contains($0) })
            }
        } catch let error as SQLiteBackupError {
            throw error
        } catch let error as DatabaseError {
            throw SQLiteBackupError(.badBackup, "\(path) cannot be read as a SQLite store: \(describe(error))")
        }
    }

    // MARK: Restore

    /// Replaces the store at `storePath` with the checked backup at `backupPath`, atomically, while no Vigil process
    /// has the store open (`SQLiteBackupError.Kind.inUse` otherwise). The replaced store is kept beside it as
    /// `STORE.before-restore-<time>` when `keepReplaced`.
    public static func restore(_ backupPath: String, into storePath: String, keepReplaced: Bool, now: Date = Date()) throws -> Restored {
        guard isRegularFile(backupPath) else { throw SQLiteBackupError(.io, "\(backupPath) does not exist or is not a file") }
        if try sameFile(storePath, backupPath) { throw SQLiteBackupError(.badBackup, "\(backupPath) is the store itself") }
        let storeFolder = folder(of: storePath)
        guard FileManager.default.fileExists(atPath: storeFolder) else {
            throw SQLiteBackupError(.io, "the folder \(storeFolder) for the store does not exist")
        }
        let lock = try SQLiteStoreLock.exclusive(storePath: storePath)
        defer { withExtendedLifetime(lock) {} }
        let expected = try verify(backupPath, quick: false)

        let temporary = try createTemporary(beside: storePath, purpose: "restore")
        var done = false
        defer { if !done { removeWithSidecars(temporary) } }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let source = try DatabaseQueue(path: backupPath, configuration: configuration)
            let target = try DatabaseQueue(path: temporary)
            try source.backup(to: target)
            try source.close()
            try target.close()
        } catch let error as DatabaseError {
            throw SQLiteBackupError(.io, "could not copy the backup into \(storeFolder): \(describe(error))")
        }
        try syncFile(temporary)
        var copied = try verify(temporary, quick: true)
        guard copied.advisories == expected.advisories, copied.documents == expected.documents else {
            throw SQLiteBackupError(.io, "the copy of \(backupPath) in \(storeFolder) does not hold what the backup holds")
        }

        var kept: String?
        if isRegularFile(storePath) {
            // The restored file gets the replaced one's owner and mode, so the server's account can still write it.
            var old = stat()
            if stat(storePath, &old) == 0 {
                _ = chmod(temporary, old.st_mode & 0o7777)
                _ = chown(temporary, old.st_uid, old.st_gid)
            }
            // Fold the old store's WAL into its file, so the copy kept below is whole by itself. (No Vigil process has
            // it open: the exclusive lock says so. A damaged old store is kept with its WAL as it is.)
            if let oldStore = try? DatabaseQueue(path: storePath) {
                _ = try? oldStore.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                try? oldStore.close()
            }
            if keepReplaced {
                let keptPath = uniquePath(storePath + ".before-restore-" + stamp(now))
                for suffix in ["", "-wal", "-journal"] where isRegularFile(storePath + suffix) {
                    guard link(storePath + suffix, keptPath + suffix) == 0 else {
                        throw SQLiteBackupError(.io, "could not keep the replaced store as \(keptPath + suffix): \(String(cString: strerror(errno)))")
                    }
                }
                kept = keptPath
            }
        }
        // The old store's WAL, shared-memory index and rollback journal must not meet the new file: SQLite would
        // apply the old WAL's pages to it.
        for suffix in ["-wal", "-shm", "-journal"] {
            if unlink(storePath + suffix) != 0, errno != ENOENT {
                throw SQLiteBackupError(.io, "could not remove \(storePath + suffix): \(String(cString: strerror(errno)))")
            }
        }
        guard rename(temporary, storePath) == 0 else {
            throw SQLiteBackupError(.io, "could not move the restored store into place at \(storePath): \(String(cString: strerror(errno)))")
        }
        done = true
        syncFolder(storeFolder)
        copied.bytes = fileSize(storePath)
        return Restored(contents: copied, keptPath: kept)
    }

    // MARK: Files

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    static func sameFile(_ a: String, _ b: String) throws -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// The SQLite header, and a file at least as long as the header says: a truncated copy is refused before SQLite
    /// reads it. (Read through a descriptor this process closes before any SQLite connection opens the file.)
    static func checkHeader(_ path: String, what: String, checkSize: Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SQLiteBackupError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        try? handle.close()
        guard header.count == 100, Array(header[0..<16]) == Array("SQLite format 3\0".utf8) else {
            throw SQLiteBackupError(.badBackup, "\(what == path ? path : "\(what) \(path)") is not a SQLite database (it does not start with the SQLite header)")
        }
        let rawPageSize = Int(header[16]) << 8 | Int(header[17])
        let pageSize = rawPageSize == 1 ? 65536 : rawPageSize
        let pages = Int64(header[28]) << 24 | Int64(header[29]) << 16 | Int64(header[30]) << 8 | Int64(header[31])
        let changeCounter = header[24..<28], validFor = header[92..<96]
        // The page count is only meaningful when "version-valid-for" matches the change counter (SQLite ≥ 3.7.0).
        if checkSize, changeCounter.elementsEqual(validFor), pages > 0, pageSize >= 512 {
            let expected = pages * Int64(pageSize), actual = fileSize(path)
            if actual < expected {
                throw SQLiteBackupError(.badBackup, "\(path) is truncated: its header says \(expected) bytes, the file has \(actual)")
            }
        }
    }

    /// An empty file, readable by its owner only (a store holds password hashes and sessions), in `path`'s folder.
    static func createTemporary(beside path: String, purpose: String) throws -> String {
        let folder = folder(of: path)
        let name = (path as NSString).lastPathComponent
        let temporary = "\(folder)/.\(name).\(purpose)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SQLiteBackupError(.io, "cannot create a file in \(folder): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        return temporary
    }

    static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SQLiteBackupError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw SQLiteBackupError(.io, "could not write \(path) to disk: \(String(cString: strerror(errno)))")
        }
    }

    /// Makes a rename in `folder` durable. Best effort: some file systems refuse fsync on a folder.
    static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    static func removeWithSidecars(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    }

    static func uniquePath(_ base: String) -> String {
        var candidate = base, n = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(base)-\(n)"
            n += 1
        }
        return candidate
    }

    /// `20261207T012345Z`: sorts by time, no characters a shell or a file system minds.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// A sentence for a SQLite failure: the full disk and permissions said plainly.
    static func describe(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_FULL: "the disk is full"
        case .SQLITE_CANTOPEN: "the file cannot be opened (\(error.message ?? "permission denied?"))"
        case .SQLITE_READONLY: "the folder or file is read-only"
        case .SQLITE_IOERR: "an I/O error (\(error.message ?? "disk full or failing?"))"
        case .SQLITE_NOTADB: "it is not a SQLite database"
        case .SQLITE_CORRUPT: "the database is damaged (\(error.message ?? "malformed"))"
        default: error.message ?? "\(error.resultCode)"
        }
    }
}
