import Foundation
@testable import Sources
import Storage
import Testing
import VigilTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// FIFOs, sockets and devices given to `vigil import` and `vigil verify` (issue 13, finding 7): a FIFO named on the
/// command line used to hang the import forever in `open`, and special files inside folders were passed over in
/// silence. Now none is opened for reading and each is reported with its reason.
@Suite("Special files")
struct SpecialFileTests {
    static let reason = "not a regular file (a FIFO/socket/device): skipped"

    /// A folder with one genuine document, a FIFO beside it, a link to a character device, and a FIFO outside the
    /// folder to name on the command line.
    struct Layout {
        var folder: TemporaryFolder
        var document: String
        var fifoInFolder: String
        var deviceLink: String
        var namedFIFO: String
        var fifos: [String] { [fifoInFolder, namedFIFO] }
    }

    static func layout() throws -> Layout {
        let folder = try TemporaryFolder()
        let document = try folder.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json", as: "docs/icsa-22-172-04.json")
        let fifoInFolder = folder.path + "/docs/queue.json"
        let namedFIFO = folder.path + "/named.json"
        for fifo in [fifoInFolder, namedFIFO] {
            guard mkfifo(fifo, 0o600) == 0 else { throw TestSetupError("mkfifo \(fifo): \(String(cString: strerror(errno)))") }
        }
        let deviceLink = folder.path + "/docs/null.json"
        try FileManager.default.createSymbolicLink(atPath: deviceLink, withDestinationPath: "/dev/null")
        return Layout(folder: folder, document: document, fifoInFolder: fifoInFolder, deviceLink: deviceLink, namedFIFO: namedFIFO)
    }

    /// Runs `body` and reports whether it had to be rescued from a hang: `seconds` after the body starts running, a
    /// watchdog thread (not one of Swift's cooperative threads, which a blocked `open` may hold) keeps opening the
    /// FIFOs' write ends, which releases a reader blocked opening them, so the test ends in bounded time even when the
    /// bug is back. The time counts from the body's start, not from the call: with the whole suite running on two
    /// cores, a task may wait a long while for a thread, which is no hang of the code under test.
    static func bounded<T: Sendable>(seconds: Double = 120, unblocking fifos: [String],
                                     _ body: @escaping @Sendable () async throws -> T) async throws -> (value: T, hung: Bool) {
        let state = WatchdogState()
        let watchdog = Thread {
            let startBy = Date().addingTimeInterval(600)
            while !state.finished, !state.started, Date() < startBy { usleep(20_000) }
            let deadline = Date().addingTimeInterval(seconds)
            while !state.finished, Date() < deadline { usleep(20_000) }
            while !state.finished {
                state.hung = true
                for fifo in fifos {
                    let fd = open(fifo, O_WRONLY | O_NONBLOCK)
                    if fd >= 0 { close(fd) }
                }
                usleep(20_000)
            }
        }
        watchdog.start()
        defer { state.finished = true }
        let value = try await Task.detached {
            state.started = true
            return try await body()
        }.value
        state.finished = true
        return (value, state.hung)
    }

    final class WatchdogState: @unchecked Sendable {
        private let lock = NSLock()
        private var _finished = false, _hung = false, _started = false
        var started: Bool {
            get { lock.withLock { _started } }
            set { lock.withLock { _started = newValue } }
        }
        var finished: Bool {
            get { lock.withLock { _finished } }
            set { lock.withLock { _finished = newValue } }
        }
        var hung: Bool {
            get { lock.withLock { _hung } }
            set { lock.withLock { _hung = newValue } }
        }
    }

    @Test("import: a FIFO named on the command line and special files in a folder are skipped with a reason, never opened")
    func importSkipsSpecialFiles() async throws {
        let layout = try Self.layout()
        defer { layout.folder.remove() }
        let folder = layout.folder.path + "/docs", named = layout.namedFIFO
        let (summary, hung) = try await Self.bounded(unblocking: layout.fifos) {
            try await LocalImporter().run(paths: [named, folder], into: RecordingSink())
        }
        #expect(!hung, "the import blocked opening a FIFO")
        #expect(summary.new == 1)
        #expect(summary.rejected == 0)
        #expect(summary.errors.isEmpty)
        #expect(summary.skippedSpecial.map(\.path).sorted() == [layout.deviceLink, layout.fifoInFolder, layout.namedFIFO].sorted())
        #expect(summary.skippedSpecial.allSatisfy { $0.reason == Self.reason })
    }

    @Test("verify: special files are listed with their reason, not given a verdict")
    func verifySkipsSpecialFiles() async throws {
        let layout = try Self.layout()
        defer { layout.folder.remove() }
        let folder = layout.folder.path + "/docs", named = layout.namedFIFO
        let (report, hung) = try await Self.bounded(unblocking: layout.fifos) {
            try OfflineVerifier.run(paths: [named, folder], keys: nil)
        }
        #expect(!hung, "verify blocked opening a FIFO")
        #expect(report.verdicts.map(\.path) == [layout.document])
        #expect(report.special.map(\.path).sorted() == [layout.deviceLink, layout.fifoInFolder, layout.namedFIFO].sorted())
        #expect(report.special.allSatisfy { $0.reason == Self.reason })
    }

    @Test("a file swapped for a FIFO after discovery is refused when opened, without blocking")
    func readerRefusesFIFO() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let fifo = folder.path + "/late.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let (refused, hung) = try await Self.bounded(unblocking: [fifo]) {
            if case .failure(.notRegular) = FileReader.read(fifo, maxBytes: 1 << 20) { return true }
            return false
        }
        #expect(!hung, "opening a FIFO blocked")
        #expect(refused, "a FIFO was not refused as not a regular file")
        #expect(FileReader.Failure.notRegular.description == Self.reason)
    }
}
