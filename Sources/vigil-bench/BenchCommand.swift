import ArgumentParser
import CSAF
import Crypto
import OpenPGP
import Foundation
import Sources
import Storage
import Store
import Synchronization
import VigilTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `vigil-bench`: benchmarks that print figures and ratios measured in one run. They assert nothing: the targets are
/// printed as met or not met, for a person or a script to judge. An executable of its own, beside `vigil` (which holds
/// only what users run): `swift run -c release vigil-bench <benchmark> …`.
@main
struct VigilBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-bench",
        abstract: "Measure performance against stated targets (prints figures; asserts nothing).",
        discussion: "The page-serving benchmark is Benchmarks/serve-bench.sh (it needs wrk and nginx).",
        subcommands: [ImportBenchmark.self, ImportBenchmarkRun.self, VerifyBenchmark.self, SyncBenchmark.self, MatchBenchmarkCommand.self, AlertBenchmarkCommand.self, SearchBenchmark.self, LatencyBenchmark.self, LinkBenchmark.self, ReportBenchmark.self, ValidateBenchmark.self, CorpusCommand.self, ScaleBenchmark.self])
}

/// `vigil-bench import`: imports a provider folder into a fresh database, as `vigil import` does, and compares it
/// with a plain Python pipeline doing the same work on the same folder.
struct ImportBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Time a full import of a provider folder, next to a plain Python pipeline doing the same work.",
        discussion: """
            Each run imports the folder into a fresh temporary SQLite database in a child process (so its peak \
            memory, VmHWM, is the import's alone), then runs Benchmarks/python_import.py on the same folder. The best \
            of the runs is reported for each. The last line is a JSON summary for scripts.
            """)

    @Option(help: ArgumentHelp("The provider folder to import (default: ../shared/data/providers/cisa from the current folder).", valueName: "path"))
    var corpus: String?

    @Option(help: ArgumentHelp("The Python interpreter for the comparison.", valueName: "command"))
    var python = "python3"

    @Option(help: ArgumentHelp("The Python pipeline (default: Benchmarks/python_import.py in the current folder, else beside the package of this executable).", valueName: "path"))
    var script: String?

    @Option(help: "How many runs of each; the best is reported.")
    var runs = 3

    @Option(name: .customLong("python-batch"), help: "Documents per transaction in the Python pipeline (default 64, as Vigil's importer; 1 commits each).")
    var pythonBatch = 64

    static let defaultCorpus = "../shared/data/providers/cisa"
    static let targetSeconds = 1.5
    static let targetRatio = 2.0
    static let targetPeakMB = 300.0

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() async throws {
        let corpusPath = BenchPaths.absolute(corpus ?? Self.defaultCorpus)
        guard BenchPaths.isDirectory(corpusPath) else {
            printError("vigil-bench import: the corpus folder \(corpusPath) does not exist. Pass --corpus PATH, or run from the package folder with the provider mirror at \(Self.defaultCorpus).")
            throw ExitCode(2)
        }
        guard let scriptPath = locateScript() else {
            printError("vigil-bench import: Benchmarks/python_import.py was not found in the current folder or beside this executable's package. Pass --script PATH.")
            throw ExitCode(2)
        }
        let executable = BenchPaths.currentExecutable()

        print("Import benchmark: \(corpusPath)")
        print("best of \(runs) run\(runs == 1 ? "" : "s") each, \(ProcessInfo.processInfo.activeProcessorCount) cores; Python pipeline \(scriptPath), \(pythonBatch) document\(pythonBatch == 1 ? "" : "s") per transaction")
        var vigilRuns: [ImportRunFigures] = []
        var pythonRuns: [ImportRunFigures] = []
        for index in 1...runs {
            let folder = try BenchPaths.makeTemporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            // Alternate which goes first, so neither always meets the colder page cache.
            let vigilFirst = index % 2 == 1
            var vigilRun: ImportRunFigures?
            var pythonRun: ImportRunFigures?
            for side in vigilFirst ? ["vigil", "python"] : ["python", "vigil"] {
                if side == "vigil" {
                    vigilRun = try runChild(executable, ["import-run", "--corpus", corpusPath, "--db", folder + "/vigil.sqlite"],
                                            what: "the Vigil import")
                } else {
                    pythonRun = try runChild(python, [scriptPath, corpusPath, "--db", folder + "/python.sqlite", "--batch", "\(pythonBatch)"],
                                             what: "the Python pipeline", searchPath: true)
                }
            }
            guard let vigilRun, let pythonRun else { continue }
            vigilRuns.append(vigilRun)
            pythonRuns.append(pythonRun)
            print("run \(index)/\(runs): vigil \(fixed(vigilRun.seconds, 3)) s (process \(fixed(vigilRun.processSeconds ?? 0, 3)) s, peak \(fixed(vigilRun.peakMB, 1)) MB)"
                  + " | python \(fixed(pythonRun.seconds, 3)) s (process \(fixed(pythonRun.processSeconds ?? 0, 3)) s, peak \(fixed(pythonRun.peakMB, 1)) MB)")
        }
        report(vigil: vigilRuns, python: pythonRuns, signatures: Self.signatureSeconds(corpus: corpusPath))
    }

    /// The CPU seconds Vigil's import spends verifying the folder's OpenPGP signatures, which the Python pipeline does
    /// not do: the packets read and the public-key operation, on one thread, each document's SHA-512 computed
    /// beforehand (the import hashes once for the sidecar and the signature, and Python hashes too). Nil without a
    /// key file (`*.asc` at the folder's top) or signed documents.
    static func signatureSeconds(corpus: String) -> Double? {
        let top = (try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? []
        let keys = top.filter { $0.hasSuffix(".asc") }.compactMap { FileManager.default.contents(atPath: corpus + "/" + $0).map { [UInt8]($0) } }
        guard !keys.isEmpty, let keyring = try? Keyring(keyFiles: keys) else { return nil }
        var signed: [(data: [UInt8], signature: [UInt8], hashed: SHA512)] = []
        let enumerator = FileManager.default.enumerator(atPath: corpus)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".json"), let data = FileManager.default.contents(atPath: corpus + "/" + relative),
                  let signature = FileManager.default.contents(atPath: corpus + "/" + relative + ".asc") else { continue }
            var hasher = SHA512()
            hasher.update(data: data)
            signed.append(([UInt8](data), [UInt8](signature), hasher))
        }
        guard !signed.isEmpty else { return nil }
        var best = Double.infinity
        for _ in 0..<3 {
            let before = BenchPaths.cpuSeconds()
            var verified = 0
            for document in signed where keyring.verify(signature: document.signature, of: document.data, hashedData: document.hashed).outcome == .verified {
                verified += 1
            }
            guard verified > 0 else { return nil }
            best = min(best, BenchPaths.cpuSeconds() - before)
        }
        return best
    }

    func report(vigil vigilRuns: [ImportRunFigures], python pythonRuns: [ImportRunFigures], signatures: Double?) {
        let vigil = vigilRuns.min { $0.seconds < $1.seconds }!
        let python = pythonRuns.min { $0.seconds < $1.seconds }!
        // The highest peak over the runs: memory is a limit, so the worst run is the one that matters.
        let peakMB = vigilRuns.map(\.peakMB).max()!
        let pythonPeakMB = pythonRuns.map(\.peakMB).max()!
        let ratio = python.seconds / vigil.seconds
        let mb = Double(vigil.bytes) / 1_000_000

        print("")
        let header = ["", "documents", "MB", "seconds", "docs/s", "MB/s", "peak MB", "CPU s"]
        let rows = [
            ["vigil", vigil.documents.grouped, fixed(mb, 1), fixed(vigil.seconds, 3),
             Int((Double(vigil.documents) / vigil.seconds).rounded()).grouped, fixed(mb / vigil.seconds, 1),
             fixed(peakMB, 1), fixed(vigil.cpuSeconds, 2)],
            ["python " + (python.pythonVersion ?? ""), python.documents.grouped, fixed(Double(python.bytes) / 1_000_000, 1),
             fixed(python.seconds, 3), Int((Double(python.documents) / python.seconds).rounded()).grouped,
             fixed(Double(python.bytes) / 1_000_000 / python.seconds, 1), fixed(pythonPeakMB, 1), fixed(python.cpuSeconds, 2)],
        ]
        for line in table([header] + rows) { print(line) }
        print("")
        print("ratio (Python seconds / Vigil seconds): \(fixed(ratio, 2))x")
        // CPU time of the best runs: Vigil's includes verifying every signature, which the Python pipeline does not do.
        print("CPU ratio (Python CPU s / Vigil CPU s): \(fixed(python.cpuSeconds / max(vigil.cpuSeconds, 0.001), 2))x (Vigil's includes OpenPGP verification, Python's none)")
        let unsignedCPU = signatures.map { max(vigil.cpuSeconds - $0, 0.001) }
        if let signatures, let unsignedCPU {
            print("signature verification: \(fixed(signatures, 2)) CPU s (packets and public-key operations, one thread, measured apart); "
                  + "Vigil without it \(fixed(unsignedCPU, 2)) CPU s, CPU ratio \(fixed(python.cpuSeconds / unsignedCPU, 2))x")
        }
        if vigil.documents != python.documents || vigil.bytes != python.bytes {
            print("warning: Vigil stored \(vigil.documents) documents (\(vigil.bytes) bytes), Python \(python.documents) (\(python.bytes) bytes): the two did not do the same work, so the ratio is not comparable")
        }
        if vigil.rejected > 0 || python.rejected > 0 {
            print("note: files rejected: Vigil \(vigil.rejected), Python \(python.rejected)")
        }

        let secondsMet = vigil.seconds < Self.targetSeconds
        let ratioMet = ratio >= Self.targetRatio
        // A zero peak means /proc was not readable: unknown, not met.
        let peakMet = peakMB > 0 && peakMB < Self.targetPeakMB
        print("")
        print("targets")
        for line in table([
            ["  import under \(fixed(Self.targetSeconds, 1)) s", "\(fixed(vigil.seconds, 3)) s", secondsMet ? "met" : "not met"],
            ["  at least \(fixed(Self.targetRatio, 0))x faster than Python", "\(fixed(ratio, 2))x", ratioMet ? "met" : "not met"],
            ["  peak memory under \(fixed(Self.targetPeakMB, 0)) MB", "\(fixed(peakMB, 1)) MB", peakMet ? "met" : "not met"],
        ], leftAligned: [0]) { print(line) }
        print("")

        let summary: [(String, String)] = [
            ("vigil_seconds", fixed(vigil.seconds, 4)),
            ("python_seconds", fixed(python.seconds, 4)),
            ("ratio", fixed(ratio, 3)),
            ("peak_mb", fixed(peakMB, 1)),
            ("python_peak_mb", fixed(pythonPeakMB, 1)),
            ("documents", "\(vigil.documents)"),
            ("python_documents", "\(python.documents)"),
            ("mb", fixed(mb, 2)),
            ("vigil_docs_per_s", fixed(Double(vigil.documents) / vigil.seconds, 1)),
            ("vigil_mb_per_s", fixed(mb / vigil.seconds, 2)),
            ("python_docs_per_s", fixed(Double(python.documents) / python.seconds, 1)),
            ("vigil_cpu_seconds", fixed(vigil.cpuSeconds, 3)),
            ("python_cpu_seconds", fixed(python.cpuSeconds, 3)),
            ("cpu_ratio", fixed(python.cpuSeconds / max(vigil.cpuSeconds, 0.001), 3)),
            ("signature_cpu_seconds", signatures.map { fixed($0, 3) } ?? "null"),
            ("cpu_ratio_without_signatures", unsignedCPU.map { fixed(python.cpuSeconds / $0, 3) } ?? "null"),
            ("python_batch", "\(pythonBatch)"),
            ("runs", "\(vigilRuns.count)"),
            ("cores", "\(ProcessInfo.processInfo.activeProcessorCount)"),
            ("target_seconds_met", "\(secondsMet)"),
            ("target_ratio_met", "\(ratioMet)"),
            ("target_peak_met", "\(peakMet)"),
        ]
        print("{" + summary.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
    }

    func locateScript() -> String? {
        if let script { return BenchPaths.absolute(script) }
        let executableFolder = (BenchPaths.currentExecutable() as NSString).deletingLastPathComponent
        // The executable sits in <package>/.build/<configuration>/ (a symlink to the triple's folder).
        let candidates = [
            BenchPaths.absolute("Benchmarks/python_import.py"),
            ((executableFolder as NSString).appendingPathComponent("../../Benchmarks/python_import.py") as NSString).standardizingPath,
            ((executableFolder as NSString).appendingPathComponent("../../../Benchmarks/python_import.py") as NSString).standardizingPath,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Runs one measured child process and reads the JSON line it prints last.
    func runChild(_ command: String, _ arguments: [String], what: String, searchPath: Bool = false) throws -> ImportRunFigures {
        let process = ChildProcess()
        if searchPath, !command.contains("/") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = arguments
        }
        let output = Pipe()
        process.standardOutput = output
        let started = ContinuousClock.now
        do {
            try process.run()
        } catch {
            printError("vigil-bench import: could not start \(what) (\(command)): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let elapsed = (ContinuousClock.now - started).seconds
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              var figures = try? JSONDecoder().decode(ImportRunFigures.self, from: Data(line.utf8)) else {
            printError("vigil-bench import: \(what) failed (exit status \(process.terminationStatus)); its output was:\n\(text)")
            throw ExitCode(1)
        }
        figures.processSeconds = elapsed
        return figures
    }

    func table(_ rows: [[String]], leftAligned: Set<Int> = [0]) -> [String] {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return leftAligned.contains(column) ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
    }
}

/// `vigil-bench import-run`: one measured import, run by `vigil-bench import` in a child process so the peak memory
/// figure belongs to the import alone. Prints one JSON line.
struct ImportBenchmarkRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-run",
        abstract: "One measured import into a fresh database (used by `vigil-bench import`).",
        shouldDisplay: false)

    @Option var corpus: String
    @Option var db: String

    func run() async throws {
        let location = StoreLocation(db)
        if case .sqlite(let path) = location, FileManager.default.fileExists(atPath: path) {
            printError("vigil-bench import-run: \(db) already exists; the benchmark needs a fresh database")
            throw ExitCode(2)
        }
        let cpuBefore = BenchPaths.cpuSeconds()
        let started = ContinuousClock.now
        // The same steps as `vigil import`: open (create and migrate) the store, then the importer with its defaults.
        let store = try await location.open(environment: ProcessInfo.processInfo.environment)
        let sink = CountingSink(store: store)
        let summary = try await LocalImporter().run(paths: [corpus], into: sink)
        let seconds = (ContinuousClock.now - started).seconds
        let figures = ImportRunFigures(
            seconds: seconds, documents: summary.accepted, bytes: sink.bytes.withLock { $0 }, rejected: summary.rejected,
            files: summary.files, peakKB: BenchPaths.peakResidentKB(), cpuSeconds: BenchPaths.cpuSeconds() - cpuBefore,
            storeSeconds: sink.storeSeconds, integrity: summary.integrity, keyProblems: summary.keyProblems)
        for error in summary.errors { printError("rejected \(error.path): \(error.reason)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(figures), as: UTF8.self))
    }
}

/// The figures one import run reports, from Vigil's child process or the Python pipeline (the same JSON keys).
struct ImportRunFigures: Codable {
    var seconds: Double
    var documents: Int
    var bytes: Int
    var rejected: Int
    var files: Int
    var peakKB: Int
    var cpuSeconds: Double
    var pythonVersion: String?
    /// Wall time of the whole child process, start-up included, measured by the parent.
    var processSeconds: Double?
    /// Of `seconds`, the time the store had a batch to write (Vigil only): the rest is reading and checking files
    /// while the store waited for them.
    var storeSeconds: Double?
    /// Documents per integrity status (`verified`, `hash-only`, …; Vigil only), and the provider keys that could not
    /// be used: `vigil-bench scale` checks that every generated document was verified.
    var integrity: [String: Int]?
    var keyProblems: [String]?

    enum CodingKeys: String, CodingKey {
        case seconds, documents, bytes, rejected, files, integrity
        case keyProblems = "key_problems"
        case peakKB = "peak_kb"
        case cpuSeconds = "cpu_seconds"
        case pythonVersion = "python_version"
        case processSeconds = "process_seconds"
        case storeSeconds = "store_seconds"
    }

    var peakMB: Double { Double(peakKB) * 1024 / 1_000_000 }
}

/// Passes documents to the store, adds up their size (for the MB/s figure) and the time the store had work (with a
/// pipeline, two batches' calls overlap; that time is counted once).
final class CountingSink: DocumentSink {
    let store: any VigilStore
    let bytes = Mutex<Int>(0)
    private let busy = Mutex<(calls: Int, since: ContinuousClock.Instant, seconds: Double)>((0, .now, 0))
    var storeSeconds: Double { busy.withLock { $0.seconds } }

    init(store: any VigilStore) { self.store = store }

    fileprivate func timed<T>(_ body: () async throws -> T) async rethrows -> T {
        busy.withLock { state in
            if state.calls == 0 { state.since = .now }
            state.calls += 1
        }
        defer {
            busy.withLock { state in
                state.calls -= 1
                if state.calls == 0 { state.seconds += (ContinuousClock.now - state.since).seconds }
            }
        }
        return try await body()
    }

    func ingest(_ document: IncomingDocument) async throws -> IngestOutcome {
        let outcome = try await timed { try await store.ingest(document) }
        bytes.withLock { $0 += document.bytes.count }
        return outcome
    }

    func ingest(batch documents: [IncomingDocument]) async throws -> [IngestOutcome] {
        let outcomes = try await timed { try await store.ingest(batch: documents) }
        bytes.withLock { total in total += documents.reduce(0) { $0 + $1.bytes.count } }
        return outcomes
    }

    func quarantine(_ document: RejectedDocument) async throws {
        try await timed { try await store.quarantine(document) }
    }

    func batchPipeline() -> (any BatchPipeline)? {
        store.batchPipeline().map { CountingPipeline(base: $0, sink: self) }
    }

    /// The store's pipeline, counted like the sink.
    struct CountingPipeline: BatchPipeline {
        let base: any BatchPipeline
        let sink: CountingSink

        func ingest(batch documents: [IncomingDocument], number: Int) async throws -> [IngestOutcome] {
            let outcomes = try await sink.timed { try await base.ingest(batch: documents, number: number) }
            sink.bytes.withLock { total in total += documents.reduce(0) { $0 + $1.bytes.count } }
            return outcomes
        }
    }
}

/// Paths, processes and the figures the kernel keeps about this one.
enum BenchPaths {
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    /// `path` from the current folder when it exists there, else from the package this executable was built in
    /// (`<package>/.build/<configuration>/vigil-bench`), so that `../shared/…` defaults work from either place. When
    /// neither exists, the path from the current folder, for the error message.
    static func packageRelative(_ path: String) -> String {
        let fromHere = absolute(path)
        guard !path.hasPrefix("/"), !FileManager.default.fileExists(atPath: fromHere) else { return fromHere }
        var folder = (currentExecutable() as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            folder = (folder as NSString).deletingLastPathComponent
            if FileManager.default.fileExists(atPath: folder + "/Package.swift") {
                let candidate = ((folder as NSString).appendingPathComponent(path) as NSString).standardizingPath
                return FileManager.default.fileExists(atPath: candidate) ? candidate : fromHere
            }
        }
        return fromHere
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? absolute(CommandLine.arguments[0])
    }

    static func makeTemporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/vigil-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The peak resident set size of this process (VmHWM), in kB; 0 where /proc is not available.
    static func peakResidentKB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }

    /// User plus system CPU time of this process so far, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

private func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

/// `vigil-bench match`: matching speed against the issue's targets, next to the naive every-asset × every-product loop.
struct MatchBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Time exposure matching: 100,000 assets against the CISA corpus, one advisory against 1,000,000 assets.",
        discussion: """
            The inventories are synthetic and seeded: corpus products with versions just below and above their range \
            bounds, plus a fifth from vendors not in the corpus. The naive baseline (ranges read again for every \
            pair) runs on a sample and is extrapolated. Needs about 1.2 GB of memory for the 1,000,000-asset index. \
            The last line is a JSON summary for scripts.
            """)

    @Option(help: ArgumentHelp("The CISA provider folder (default: ../shared/data/providers/cisa).", valueName: "path"))
    var corpus: String?
    @Option(help: "Assets matched against the whole corpus.") var assets = 100_000
    @Option(help: "Assets one advisory is matched against.") var bigInventory = 1_000_000
    @Option(help: "Assets the naive whole-corpus baseline runs on (extrapolated).") var naiveSample = 25
    @Option(help: ArgumentHelp("Time only this advisory against the big inventory (repeatable), for profiling.", valueName: "id"))
    var only: [String] = []
    @Option(help: "Runs of each timed part (the best is reported).") var runs = 2

    func run() throws {
        let folder = URL(fileURLWithPath: BenchPaths.absolute(corpus ?? "../shared/data/providers/cisa"))
        do {
            try MatchBenchmark.run(cisaFolder: folder, assets: max(assets, 1), bigInventory: max(bigInventory, 1),
                                   naiveSample: max(naiveSample, 1), runs: max(runs, 1), only: only) { print($0) }
        } catch {
            printError("vigil-bench match: \(error)")
            throw ExitCode(1)
        }
    }
}
