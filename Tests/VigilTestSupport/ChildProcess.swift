import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests, with the part of `Foundation.Process`'s interface the tests use, started with
/// `posix_spawn` directly.
///
/// Why not `Process`: on Linux, swift-corelibs-foundation's `Process.run()` (Swift 6.3.1) walks `/proc/self/fd` and
/// copies 256 bytes of every `dirent`'s name, reading past glibc's buffer; when that buffer ends at an unmapped page the
/// whole test runner dies with SIGSEGV (swiftlang/swift-corelibs-foundation#5472, fixed after 6.3). A test runner with
/// a thousand descriptors open, spawning a few hundred children, met it in CI. Here the child's descriptors above 2 are
/// closed with `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), so nothing walks the table.
///
/// Same conventions as `Process`: a `nil` standard stream is `/dev/null` (which the child opens itself); `FileHandle.standardOutput` (and its
/// siblings) are inherited; a `Pipe`'s child-side end is closed in this process once the child runs. The child gets a
/// process group of its own. The exit is collected by a thread of its own, so no cooperative thread blocks.
public final class ChildProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable { case exit, uncaughtSignal }

    public var executableURL: URL?
    public var arguments: [String]?
    /// `nil`: this process's environment.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// `nil` (`/dev/null`), a `FileHandle` or a `Pipe`.
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?
    /// Called once, on the thread that collected the exit, after `terminationStatus` is known.
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)?

    private let condition = NSCondition()
    private var pid: pid_t = 0
    private var finished = false
    private var status: Int32 = 0
    private var reason: TerminationReason = .exit

    public init() {}

    public var processIdentifier: Int32 {
        condition.lock()
        defer { condition.unlock() }
        return pid
    }

    public var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return pid > 0 && !finished
    }

    /// The exit status, or the number of the signal that ended the child. Only after it ended.
    public var terminationStatus: Int32 {
        condition.lock()
        defer { condition.unlock() }
        precondition(finished, "the child process has not ended")
        return status
    }

    public var terminationReason: TerminationReason {
        condition.lock()
        defer { condition.unlock() }
        precondition(finished, "the child process has not ended")
        return reason
    }

    public func waitUntilExit() {
        condition.lock()
        defer { condition.unlock() }
        precondition(pid > 0, "the child process was not started")
        while !finished { condition.wait() }
    }

    public func terminate() { signal(SIGTERM) }
    public func interrupt() { signal(SIGINT) }

    private func signal(_ number: Int32) {
        condition.lock()
        defer { condition.unlock() }
        precondition(pid > 0, "the child process was not started")
        if !finished { kill(pid, number) }
    }

    public func run() throws {
        guard let executable = executableURL?.path else { throw TestSetupError("ChildProcess: no executableURL") }
        condition.lock()
        let started = pid > 0
        condition.unlock()
        guard !started else { throw TestSetupError("ChildProcess: \(executable) was already started") }

        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }

        var closeAfterSpawn: [FileHandle] = []
        /// Descriptors of this process the child's streams are copied from, checked open just before the spawn.
        var sources: [(stream: String, descriptor: Int32)] = []
        func redirect(_ stream: Any?, to target: Int32, childReads: Bool) throws {
            let source: Int32
            switch stream {
            case let pipe as Pipe:
                let childEnd = childReads ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                source = childEnd.fileDescriptor
                closeAfterSpawn.append(childEnd)
            case let handle as FileHandle where handle === FileHandle.standardInput && target == STDIN_FILENO,
                 let handle as FileHandle where handle === FileHandle.standardOutput && target == STDOUT_FILENO,
                 let handle as FileHandle where handle === FileHandle.standardError && target == STDERR_FILENO:
                return
            case let handle as FileHandle where handle !== FileHandle.nullDevice && handle.fileDescriptor >= 0:
                source = handle.fileDescriptor
            case nil, is FileHandle:
                // Opened by the child itself: no descriptor of this process is involved.
                try check(posix_spawn_file_actions_addopen(&actions, target, "/dev/null", childReads ? O_RDONLY : O_WRONLY, 0),
                          "posix_spawn_file_actions_addopen")
                return
            default:
                throw TestSetupError("ChildProcess: a standard stream must be nil, a FileHandle or a Pipe")
            }
            sources.append((["standard input", "standard output", "standard error"][Int(target)], source))
            try check(posix_spawn_file_actions_adddup2(&actions, source, target), "posix_spawn_file_actions_adddup2")
        }
        try redirect(standardInput, to: STDIN_FILENO, childReads: true)
        try redirect(standardOutput, to: STDOUT_FILENO, childReads: false)
        try redirect(standardError, to: STDERR_FILENO, childReads: false)
        try check(Spawn.closeFrom(&actions, 3), "posix_spawn_file_actions_addclosefrom_np")
        if let directory = currentDirectoryURL?.path {
            try check(Spawn.changeDirectory(&actions, directory), "posix_spawn_file_actions_addchdir_np")
        }

        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        try check(posix_spawnattr_setpgroup(&attributes, 0), "posix_spawnattr_setpgroup")
        try check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP)), "posix_spawnattr_setflags")

        let argv = [executable] + (arguments ?? [])
        let environment = self.environment ?? ProcessInfo.processInfo.environment
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var child = pid_t()
        let result = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawn(&child, executable, &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard result == 0 else {
            // A descriptor given for a stream was closed before the child could copy it: say which.
            let closed = sources.filter { fcntl($0.descriptor, F_GETFD) == -1 }.map { "\($0.stream) (descriptor \($0.descriptor)) is closed" }
            throw TestSetupError("ChildProcess: cannot start \(executable): \(String(cString: strerror(result)))"
                                 + (closed.isEmpty ? "" : "; " + closed.joined(separator: ", ")))
        }
        for handle in closeAfterSpawn { try? handle.close() }

        condition.lock()
        pid = child
        condition.unlock()
        let spawned = child
        let reaper = Thread { [self] in collectExit(of: spawned) }
        reaper.name = "child \(spawned)"
        reaper.start()
    }

    private func collectExit(of child: pid_t) {
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(child, &raw, 0) } while result == -1 && errno == EINTR
        condition.lock()
        if result == child, raw & 0x7f != 0 {
            status = raw & 0x7f
            reason = .uncaughtSignal
        } else {
            status = result == child ? (raw >> 8) & 0xff : 255
            reason = .exit
        }
        finished = true
        let handler = terminationHandler
        condition.broadcast()
        condition.unlock()
        handler?(self)
    }

    private func check(_ result: Int32, _ call: String) throws {
        guard result == 0 else { throw TestSetupError("ChildProcess: \(call) failed: \(String(cString: strerror(result)))") }
    }
}

/// glibc's `_np` spawn actions, which the Glibc module does not import: looked up once by name.
private enum Spawn {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> CInt

    static let closeFromFunction: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }
    static let changeDirectoryFunction: ChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: ChangeDirectory.self) }

    static func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: CInt) -> CInt {
        closeFromFunction?(actions, lowest) ?? ENOSYS
    }

    static func changeDirectory(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> CInt {
        guard let function = changeDirectoryFunction else { return ENOSYS }
        return path.withCString { function(actions, $0) }
    }
}

/// `strings` as a NULL-terminated array of C strings for the duration of `body`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
