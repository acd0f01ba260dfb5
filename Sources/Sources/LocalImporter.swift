import CSAF
import Crypto
import Foundation
import OpenPGP
#if canImport(Glibc)
import Glibc
import Storage
#endif

/// Imports CSAF documents from files and directory trees on disk (a provider's mirror, or a folder carried into an
/// air-gapped site).
///
/// JSON is recognised by content: CSAF documents are stored, provider metadata, aggregator lists and ROLIE feeds are
/// recognised and skipped, other JSON is rejected with its reason. Hash sidecars are checked. Files are read, hashed
/// and parsed on all cores; documents are handed to the sink in path order, in batches the store may commit together
/// (up to `batchSize` documents, or what arrived within `batchInterval`), so the result does not depend on timing.
/// One bad file never stops the import.
public struct LocalImporter: Sendable {
    public struct Options: Sendable {
        public var maxBytes: Int
        /// How many files are read and parsed ahead of the store: more than a batch, so that parsing goes on while
        /// a batch is written.
        public var window: Int
        /// Keys trusted for every file (`--key`), on top of those the provider folders list.
        public var keys: Keyring?
        /// At most this many documents are handed to the store together (it commits them at once) …
        public var batchSize: Int
        /// … and a batch is handed over, however small, when a document arrives after its first one has waited
        /// this long.
        public var batchInterval: Duration
        public init(maxBytes: Int = CSAFDocumentReader.defaultMaxBytes, window: Int = 128, keys: Keyring? = nil,
                    batchSize: Int = 64, batchInterval: Duration = .milliseconds(100)) {
            self.maxBytes = maxBytes
            self.window = window
            self.keys = keys
            self.batchSize = max(1, batchSize)
            self.batchInterval = batchInterval
        }
    }

    /// Progress after each file: files done, files in all, the file just done.
    public typealias Progress = @Sendable (_ done: Int, _ total: Int, _ path: String) -> Void

    let options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Imports every candidate file under `paths` into `sink`. Throws only when a path does not exist or the sink
    /// itself fails (a database error): per-file problems are reported in the summary.
    public func run(paths: [String], into sink: some DocumentSink, progress: Progress? = nil) async throws -> ImportSummary {
        let candidates = try FileDiscovery.candidates(in: paths)
        var summary = ImportSummary()
        summary.files = candidates.count
        let keys = ProviderKeys.discover(metadataPaths: FileDiscovery.providerMetadata(among: candidates), explicit: options.keys)
        summary.keyProblems = keys.problems
        summary.keys = keys.providers.map { ImportSummary.ProviderKeySummary(root: $0.root, name: $0.name, fingerprints: $0.keyring.certificates.map(\.fingerprintHex)) }
        let maxBytes = options.maxBytes
        // Parse on threads of the import's own, not on the cooperative pool: with two cores, parse tasks occupying
        // both pool threads kept the loop below from resuming after each write, and the single database writer sat
        // idle half the time.
        let workers = BackgroundWorkers(count: ProcessInfo.processInfo.activeProcessorCount)
        defer { workers.stop() }
        var pending: [Task<FileResult, Never>] = []
        var next = 0
        func schedule() {
            while next < candidates.count, pending.count < options.window {
                let candidate = candidates[next]
                pending.append(Task.detached {
                    await withCheckedContinuation { continuation in
                        workers.submit {
                            continuation.resume(returning: LocalImporter.process(candidate, maxBytes: maxBytes,
                                                                                 keyring: keys.keyring(for: candidate.path)))
                        }
                    }
                })
                next += 1
            }
        }
        schedule()
        var done = 0
        // Documents ready for the store, handed over together: each is stored atomically, several per commit.
        var batch: [IncomingDocument] = []
        var batchStarted = ContinuousClock.now
        // With a pipeline (PostgreSQL), the next batch is handed over while the one before is being stored: one in
        // flight besides the one being handed over.
        let pipeline = sink.batchPipeline()
        var numbered = 0
        var inFlight: (documents: [IncomingDocument], task: Task<[IngestOutcome], any Error>)?
        func record(_ documents: [IncomingDocument], _ outcomes: [IngestOutcome]) {
            for (document, outcome) in zip(documents, outcomes) {
                summary.count(outcome, path: document.origin, advisoryID: document.advisory.id)
                summary.integrity[document.integrity.status.rawValue, default: 0] += 1
                done += 1
                progress?(done, candidates.count, document.origin)
            }
        }
        /// Waits for the batch in flight and records its outcomes.
        func settle() async throws {
            guard let (documents, task) = inFlight else { return }
            inFlight = nil
            record(documents, try await task.value)
        }
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let documents = batch
            batch.removeAll(keepingCapacity: true)
            guard let pipeline else {
                record(documents, try await sink.ingest(batch: documents))
                return
            }
            let number = numbered
            numbered += 1
            let task = Task { try await pipeline.ingest(batch: documents, number: number) }
            do {
                try await settle()
            } catch {
                // The store failed: nothing more is handed over; the batch just started finishes before the error
                // is reported, so nothing is still being written when the import returns.
                _ = try? await task.value
                throw error
            }
            inFlight = (documents, task)
        }
        while !pending.isEmpty {
            let result = await pending.removeFirst().value
            schedule()
            if case .document(let document) = result {
                if batch.isEmpty { batchStarted = .now }
                batch.append(document)
                if batch.count >= options.batchSize || ContinuousClock.now - batchStarted >= options.batchInterval {
                    try await flush()
                }
                continue
            }
            // Everything else is reported in file order, after the documents before it.
            try await flush()
            try await settle()
            switch result {
            case .document:
                break
            case .rejected(let rejected):
                try await sink.quarantine(rejected)
                summary.rejected += 1
                if let status = rejected.code.integrityStatus { summary.integrity[status.rawValue, default: 0] += 1 }
                summary.errors.append(ImportSummary.FileError(path: rejected.origin, reason: rejected.reason))
            case .skipped(let path, let kind):
                summary.skipped += 1
                summary.skippedFiles.append(ImportSummary.SkippedFile(path: path, kind: kind))
            case .special(let path):
                summary.skippedSpecial.append(ImportSummary.FileError(path: path, reason: FileReader.Failure.notRegular.description))
            case .notJSON:
                summary.ignored += 1
            }
            done += 1
            progress?(done, candidates.count, result.path)
        }
        try await flush()
        try await settle()
        return summary
    }

    enum FileResult: Sendable {
        case document(IncomingDocument)
        case rejected(RejectedDocument)
        case skipped(path: String, kind: String)
        /// A FIFO, socket or device: never opened for reading (a FIFO would block the import forever).
        case special(path: String)
        case notJSON(path: String)

        var path: String {
            switch self {
            case .document(let d): d.origin
            case .rejected(let r): r.origin
            case .skipped(let path, _), .special(let path), .notJSON(let path): path
            }
        }
    }

    static func process(_ candidate: FileDiscovery.Candidate, maxBytes: Int, keyring: Keyring?) -> FileResult {
        let path = candidate.path
        if candidate.special { return .special(path: path) }
        let bytes: [UInt8]
        switch FileReader.read(path, maxBytes: maxBytes) {
        case .success(let read): bytes = read
        case .failure(.notRegular): return .special(path: path)
        case .failure(.tooLarge(let size)):
            return .rejected(RejectedDocument(origin: path, reason: "the file is \(size) bytes, over the limit of \(maxBytes) bytes (raise it with --max-size if the document is genuine)", code: .tooLarge))
        case .failure(let error):
            return .rejected(RejectedDocument(origin: path, reason: error.description, code: .unreadable))
        }
        // Recognise JSON by content: directory walks meet changes.csv, index.txt, keys and HTML too.
        if !candidate.explicit, !candidate.path.hasSuffix(".json"), !looksLikeJSON(bytes) { return .notJSON(path: path) }

        let content: JSONFileContent
        do {
            content = try CSAFDocumentReader.read(bytes, maxBytes: maxBytes, conformance: true)
        } catch {
            let sha256 = IntegrityChecker.hex(sha256Digest(bytes))
            return .rejected(RejectedDocument(origin: path, reason: error.message, code: QuarantineCode(error.code), bytes: bytes, sha256: sha256))
        }
        guard case .csaf(let parsed) = content else {
            if case .distribution(let kind) = content { return .skipped(path: path, kind: kind.rawValue) }
            return .notJSON(path: path)
        }
        let fileName = IntegrityChecker.lastPathComponent(path)
        let sidecars = IntegrityChecker.Sidecars(
            sha256: FileReader.readText(path + ".sha256"),
            sha512: FileReader.readText(path + ".sha512"),
            signature: FileReader.readSmall(path + ".asc"))
        let (integrity, failure) = IntegrityChecker.check(bytes: bytes, fileName: fileName, sidecars: sidecars, keyring: keyring)
        if let failure {
            return .rejected(RejectedDocument(origin: path, reason: failure, code: QuarantineCode(integrity.status), bytes: bytes,
                                              sha256: integrity.sha256, advisoryID: parsed.advisory.id))
        }
        return .document(IncomingDocument(origin: path, bytes: bytes, parsed: parsed, integrity: integrity))
    }

    static func looksLikeJSON(_ bytes: [UInt8]) -> Bool {
        for byte in bytes.prefix(64) {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF: continue
            case 0x7B, 0x5B: return true
            default: return false
            }
        }
        return false
    }
}

/// What an import did, file by file where it matters.
public struct ImportSummary: Sendable, Codable, Equatable {
    public struct FileError: Sendable, Codable, Equatable {
        public var path: String
        public var reason: String
    }
    public struct SkippedFile: Sendable, Codable, Equatable {
        public var path: String
        public var kind: String
    }
    public struct Conflict: Sendable, Codable, Equatable {
        public var path: String
        public var advisoryID: String
    }

    public var files = 0
    public var new = 0
    public var updated = 0
    public var unchanged = 0
    public var historical = 0
    public var conflicts: [Conflict] = []
    public var rejected = 0
    /// Distribution files (provider metadata, aggregator, ROLIE) recognised and not imported.
    public var skipped = 0
    /// Files that are not JSON at all (indexes, sidecars of other files, keys).
    public var ignored = 0
    public var errors: [FileError] = []
    public var skippedFiles: [SkippedFile] = []
    /// Files that are not regular files (FIFOs, sockets, devices), named on the command line or found in a folder:
    /// never read, each listed with its reason. They are not rejections: they do not make the exit status 1.
    public var skippedSpecial: [FileError] = []
    /// Documents per integrity status (`verified`, `hash-only`, …), quarantined ones included.
    public var integrity: [String: Int] = [:]
    /// The provider folders whose keys were found, and the keys.
    public var keys: [ProviderKeySummary] = []
    /// Keys listed by provider metadata that could not be used, and why.
    public var keyProblems: [String] = []

    public struct ProviderKeySummary: Sendable, Codable, Equatable {
        public var root: String
        public var name: String
        public var fingerprints: [String]

        public init(root: String, name: String, fingerprints: [String]) {
            self.root = root
            self.name = name
            self.fingerprints = fingerprints
        }
    }

    public init() {}

    mutating func count(_ outcome: IngestOutcome, path: String, advisoryID: String) {
        switch outcome {
        case .new: new += 1
        case .updated: updated += 1
        case .unchanged: unchanged += 1
        case .historical: historical += 1
        case .conflict: conflicts.append(Conflict(path: path, advisoryID: advisoryID))
        }
    }

    /// Documents stored or confirmed: everything except rejections.
    public var accepted: Int { new + updated + unchanged + historical + conflicts.count }
}

/// Finds the files an import considers.
enum FileDiscovery {
    struct Candidate: Sendable {
        var path: String
        /// Named on the command line rather than found by walking a directory.
        var explicit: Bool
        /// Not a regular file (a FIFO, socket or device) when discovered: reported, never opened.
        var special = false
    }

    static let sidecarSuffixes = [".sha256", ".sha512", ".asc", ".sig"]

    /// The candidates that may be provider metadata listing keys, whatever they are called (`provider-metadata.json`,
    /// a mirror's `provider_metadata.json`, anything else): `ProviderKeys.discover` parses these and keeps what is
    /// CSAF provider metadata by content.
    static func providerMetadata(among candidates: [Candidate]) -> [String] {
        candidates.filter { !$0.special }.map(\.path).filter(mayBeProviderMetadata)
    }

    /// A cheap look at a file's bytes, so that an import does not parse every document twice: a JSON object of at most
    /// 1 MiB (what `ProviderKeys` reads) that mentions `"public_openpgp_keys"`. A CSAF document is settled by its first
    /// bytes: it starts with its `"document"` member (as every provider writes it); only other JSON objects are read
    /// whole and searched.
    static func mayBeProviderMetadata(_ path: String) -> Bool {
        // Non-blocking: opening a FIFO for reading waits for a writer otherwise.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        let size = Int(info.st_size)
        guard size <= 1 << 20 else { return false }
        func read(_ count: Int, at offset: Int) -> [UInt8] {
            guard count > 0 else { return [] }
            var bytes = [UInt8](repeating: 0, count: count)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(offset)) }
            return n > 0 ? Array(bytes.prefix(n)) : []
        }
        let head = read(min(size, 512), at: 0)
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        var position = 0
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        while position < head.count, isSpace(head[position]) { position += 1 }
        guard position < head.count, head[position] == UInt8(ascii: "{") else { return false }
        position += 1
        while position < head.count, isSpace(head[position]) { position += 1 }
        if head[position...].starts(with: #""document""#.utf8) { return false }
        return contains(head.count >= size ? head : head + read(size - head.count, at: head.count), metadataMarker)
    }

    static let metadataMarker = Array(#""public_openpgp_keys""#.utf8)

    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, bytes.count >= needle.count else { return false }
        return bytes.withUnsafeBufferPointer { haystack in
            var index = 0
            let last = haystack.count - needle.count
            while index <= last {
                if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return true }
                index += 1
            }
            return false
        }
    }

    static func candidates(in paths: [String]) throws -> [Candidate] {
        var result: [Candidate] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImportPathError(path: path)
            }
            if !isDirectory.boolValue {
                var info = stat()
                let special = stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG
                result.append(Candidate(path: path, explicit: true, special: special))
                continue
            }
            var found: [String] = []
            var special: Set<String> = []
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            guard walk(base, into: &found, special: &special) else { throw ImportPathError(path: path) }
            result.append(contentsOf: found.sorted().map { Candidate(path: $0, explicit: false, special: special.contains($0)) })
        }
        return result
    }
}

extension FileDiscovery {
    /// Adds the files under `directory` to `found`, skipping hidden names (and what is under them) and sidecars; a
    /// symbolic link counts as what it points to, and a linked folder is not entered. FIFOs, sockets and devices are
    /// added too and also named in `special`, so that the import reports them rather than passing over them in
    /// silence (they are never opened). Returns false when the folder cannot be read. With readdir rather than
    /// FileManager's enumerator, which took a tenth of a second for CISA's 2,390 files before any parsing could start.
    static func walk(_ directory: String, into found: inout [String], special: inout Set<String>) -> Bool {
        guard let stream = opendir(directory) else { return false }
        defer { closedir(stream) }
        var folders: [String] = []
        while let entry = readdir(stream) {
            // Read in place up to the NUL: copying the whole d_name array reads past a short record at the end of
            // readdir's buffer, which crashed when that buffer ended a mapped page.
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: pointer.pointee)) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            let full = directory + "/" + name
            var isFile = false
            var isSpecial = false
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): isFile = true
            case Int32(DT_DIR):
                folders.append(full)
                continue
            case Int32(DT_FIFO), Int32(DT_SOCK), Int32(DT_CHR), Int32(DT_BLK): isSpecial = true
            default:
                // A link or a file system that does not say: ask stat, which follows links. A dangling link and a
                // linked folder are passed over.
                var info = stat()
                if stat(full, &info) == 0 {
                    let type = info.st_mode & S_IFMT
                    isFile = type == S_IFREG
                    isSpecial = type != S_IFREG && type != S_IFDIR
                }
            }
            if isSpecial {
                found.append(full)
                special.insert(full)
            } else if isFile, !sidecarSuffixes.contains(where: { name.hasSuffix($0) }) {
                found.append(full)
            }
        }
        for folder in folders { _ = walk(folder, into: &found, special: &special) }
        return true
    }
}

/// A path given to an import that does not exist.
public struct ImportPathError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var description: String { "\(path): no such file or directory" }
}

/// Reads whole files with a size limit, without Foundation's Data round trip.
enum FileReader {
    enum Failure: Error, CustomStringConvertible {
        case tooLarge(Int)
        /// A FIFO, socket or device.
        case notRegular
        case system(String, Int32)
        var description: String {
            switch self {
            case .tooLarge(let size): "the file is \(size) bytes, over the limit"
            case .notRegular: "not a regular file (a FIFO/socket/device): skipped"
            case .system(let what, let code): "could not \(what) the file: \(String(cString: strerror(code)))"
            }
        }
    }

    /// Opens without blocking (a FIFO would otherwise wait for a writer forever) and reads only regular files: what
    /// `fstat` says of the open descriptor decides, so a file swapped for a FIFO after discovery is refused too.
    static func read(_ path: String, maxBytes: Int) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            // A FIFO can also not open (ENXIO for write-only ends); a socket never opens (ENXIO).
            if errno == ENXIO { return .failure(.notRegular) }
            return .failure(.system("open", errno))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.system("stat", errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegular) }
        let size = Int(info.st_size)
        guard size <= maxBytes else { return .failure(.tooLarge(size)) }
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + offset, size - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.system("read", errno))
            }
            if n == 0 { break }
            offset += n
        }
        if offset < size { bytes.removeLast(size - offset) }
        return .success(bytes)
    }

    static func readSmall(_ path: String) -> [UInt8]? {
        guard case .success(let bytes) = read(path, maxBytes: 1 << 20) else { return nil }
        return bytes
    }

    static func readText(_ path: String) -> String? {
        readSmall(path).map { String(decoding: $0, as: UTF8.self) }
    }
}

func sha256Digest(_ bytes: [UInt8]) -> [UInt8] {
    Array(SHA256.hash(data: bytes))
}

/// Threads that read and check an import's files, at a lower scheduling priority than the rest of the process.
/// Parsing runs ahead of the store by a window of files; what keeps the import going is the store's writer (and, with
/// PostgreSQL on the same machine, its server), which waits for a core after every write when parse threads of equal
/// priority hold both. (Measured on two cores: PostgreSQL spent ~2 ms per round trip waiting to be scheduled.)
final class BackgroundWorkers: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    /// `niceness` is added to each thread's nice value (Linux: per thread); elsewhere the threads run as they are.
    init(count: Int, niceness: Int32 = 10) {
        for index in 0..<max(1, count) {
            let thread = Thread { [self] in
                #if os(Linux)
                let which = __priority_which_t(PRIO_PROCESS.rawValue)
                _ = setpriority(which, 0, getpriority(which, 0) + niceness)
                #endif
                while let job = next() { job() }
            }
            thread.name = "vigil-import-\(index)"
            thread.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !stopping { condition.wait() }
        return jobs.isEmpty ? nil : jobs.removeFirst()
    }

    /// The threads finish the jobs already submitted, then end.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
