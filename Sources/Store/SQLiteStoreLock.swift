import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sidecar lock file `<store>.lock` that tells `vigil restore` whether any Vigil process has a SQLite store open.
///
/// Every process that opens a store holds a shared `flock` on the sidecar for as long as it uses the store; a restore
/// takes the exclusive lock without waiting and refuses when it cannot. The kernel drops a `flock` when its process
/// dies, so a killed server never leaves the store looking busy. The lock is on a separate file on purpose: opening
/// and closing another descriptor on the database file itself would release the POSIX locks SQLite holds on it.
public final class SQLiteStoreLock: Sendable {
    private let descriptor: Int32
    /// The sidecar's path.
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Gives the hold up before the process ends (a store closed: a restore may now replace the file).
    public func release() { _ = flock(descriptor, LOCK_UN) }

    /// The sidecar of the store at `storePath`.
    public static func lockPath(for storePath: String) -> String { storePath + ".lock" }

    /// A shared hold on the store, for a process that reads or writes it. Waits up to `patience` seconds while a
    /// restore holds the lock; nil when the sidecar cannot be created (a read-only folder, where no restore can
    /// replace the store either).
    public static func shared(storePath: String, patience: Double = 30) throws -> SQLiteStoreLock? {
        let path = lockPath(for: storePath)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        var waited = 0.0
        while true {
            if flock(descriptor, LOCK_SH | LOCK_NB) == 0 { return SQLiteStoreLock(descriptor: descriptor, path: path) }
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK, waited < patience else {
                close(descriptor)
                if code == EWOULDBLOCK {
                    throw StoreError.unavailable("the store \(storePath) is being restored by another Vigil process; try again once "
                                     + "`vigil restore` has finished")
                }
                return nil
            }
            usleep(100_000)
            waited += 0.1
        }
    }

    /// The exclusive hold a restore needs: thrown `SQLiteBackupError` (in use) at once when any other process, or
    /// another store in this one, holds the lock.
    static func exclusive(storePath: String) throws -> SQLiteStoreLock {
        let path = lockPath(for: storePath)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SQLiteBackupError(.io, "could not create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return SQLiteStoreLock(descriptor: descriptor, path: path) }
            let code = errno
            if code == EINTR { continue }
            close(descriptor)
            guard code == EWOULDBLOCK else {
                throw SQLiteBackupError(.io, "could not lock \(path): \(String(cString: strerror(code)))")
            }
            let holders = holderProcesses(of: path)
            let who = holders.isEmpty ? "" : " (pid \(holders.map(String.init).joined(separator: ", ")))"
            throw SQLiteBackupError(.inUse, "the store \(storePath) is in use by another Vigil process\(who); stop `vigil serve` "
                                    + "(and any import or other vigil command on it) first")
        }
    }

    /// A file read to its end with read(2). Files in /proc say they are empty (size 0), and Foundation's readers then
    /// stop after one buffer: /proc/locks on a busy machine is longer than that.
    static func readWhole(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The processes holding a `flock` on the file, where the system says (Linux's /proc/locks); empty elsewhere.
    static func holderProcesses(of path: String) -> [Int32] {
        var info = stat()
        guard stat(path, &info) == 0,
              let table = readWhole("/proc/locks") else { return [] }
        let inodeSuffix = ":\(info.st_ino)"
        var pids: [Int32] = []
        for line in table.split(separator: "\n") {
            // "1: FLOCK  ADVISORY  READ  12345 08:01:1234567 0 EOF" (blocked waiters are marked "->" and skipped).
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5].hasSuffix(inodeSuffix),
                  let pid = Int32(fields[4]), pid != getpid(), !pids.contains(pid) else { continue }
            pids.append(pid)
        }
        return pids.sorted()
    }
}
