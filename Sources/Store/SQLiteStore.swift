import CSAF
import Foundation
import GRDB
import Storage

/// The embedded store: one SQLite file in WAL mode, opened through GRDB.
///
/// Each document is stored atomically: in its own transaction, or with others in one transaction when an import
/// hands over a batch. An import killed half-way leaves every document either fully stored or absent (the batch
/// being written is absent), and a re-run completes it.
public struct SQLiteStore: AdvisoryStore, SQLStore {
    /// How much of the database file each reader maps into memory (256 MiB; SQLite maps at most the file's size):
    /// the mapped pages a process has touched count in its resident set, so the map's size bounds what the server's
    /// readers add to it, whatever the size of the corpus; pages beyond it are read as before.
    static let mmapSize: Int64 = 256 << 20

    let writer: SQLiteWriter
    let readers: SQLiteSnapshotReaders
    public let assetIndexCache = AssetIndexCache()
    public let facetCache = FacetCache()
    /// Where the database lives, for messages.
    public let path: String
    /// The shared hold on `<path>.lock` while this store is in use, which `vigil restore` respects.
    let hold: SQLiteStoreLock?

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // Transactions span awaits (`SQLiteWriter.transaction`): BEGIN and COMMIT run in separate writer accesses.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL: commits survive a killed process; only an OS crash may lose the last ones.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A larger page cache for the writer keeps the FTS and index pages of a bulk import in memory.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // Checkpoint every 32 MB of WAL rather than every 4 MB: per-document commits of a bulk import otherwise
            // spend a tenth of the writer's time copying pages back into the database file.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
        }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                throw StoreError.unavailable("the folder \(directory) for the database does not exist")
            }
            // Held before the file is opened: a restore under way finishes before this process reads the store.
            self.hold = try SQLiteStoreLock.shared(storePath: path)
            let pool = try DatabasePool(path: path, configuration: configuration)
            try SQLiteStore.migrator.migrate(pool)
            self.writer = SQLiteWriter(base: pool, path: path)
            self.readers = SQLiteSnapshotReaders(path: path)
            self.path = path
        } catch let error as DatabaseError {
            // A schema the migrations cannot apply to (SQLITE_ERROR) is damage as far as this build can tell.
            var classified = StoreError(sqlite: error, path: path) ?? .corrupt("")
            classified.message = "could not open the database \(path): \(error.message ?? "\(error.resultCode)")"
            classified.detail = nil  // the message already carries SQLite's words; the CLI prints it as before
            throw classified
        }
    }
}
