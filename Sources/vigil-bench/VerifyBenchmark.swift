import ArgumentParser
import Foundation
import OpenPGP
import VigilTestSupport

/// `vigil-bench verify`: signature verification throughput over a signed provider folder, next to `gpgv` run once per
/// file, the way a shell script checking a mirror would call it.
struct VerifyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Time OpenPGP signature verification over a provider folder, next to one gpgv process per file.",
        discussion: """
            Every .json with an .asc beside it is read into memory first; then Vigil verifies all of them on one \
            thread and on all cores, and gpgv verifies a sample of them, one process per file. Prints documents per \
            second and the ratio against the target (20× gpgv). The last line is a JSON summary for scripts.
            """)

    @Option(help: ArgumentHelp("The signed provider folder (default: ../shared/data/providers/cisa).", valueName: "path"))
    var corpus: String?

    @Option(help: ArgumentHelp("The provider's public key (default: cisacsafsigning_public.asc in the corpus).", valueName: "keyfile"))
    var key: String?

    @Option(help: "How many files gpgv verifies (one process each); its rate is measured on this sample.")
    var gpgvSample = 300

    @Option(help: "How many runs of Vigil's verification; the best is reported.")
    var runs = 3

    static let targetRatio = 20.0

    func run() throws {
        let corpusPath = BenchPaths.absolute(corpus ?? "../shared/data/providers/cisa")
        guard BenchPaths.isDirectory(corpusPath) else {
            printError("vigil-bench verify: the corpus folder \(corpusPath) does not exist; pass --corpus PATH")
            throw ExitCode(2)
        }
        let keyPath = key ?? corpusPath + "/cisacsafsigning_public.asc"
        guard let keyBytes = FileManager.default.contents(atPath: keyPath) else {
            printError("vigil-bench verify: no key file at \(keyPath); pass --key KEYFILE")
            throw ExitCode(2)
        }
        let keyring = try Keyring(keyFiles: [[UInt8](keyBytes)])

        var pairs: [(path: String, data: [UInt8], signature: [UInt8])] = []
        let enumerator = FileManager.default.enumerator(atPath: corpusPath)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".json") else { continue }
            let path = corpusPath + "/" + relative
            guard let signature = FileManager.default.contents(atPath: path + ".asc"),
                  let data = FileManager.default.contents(atPath: path) else { continue }
            pairs.append((path, [UInt8](data), [UInt8](signature)))
        }
        pairs.sort { $0.path < $1.path }
        let documents = pairs
        guard !pairs.isEmpty else {
            printError("vigil-bench verify: no signed documents (.json with .asc) under \(corpusPath)")
            throw ExitCode(2)
        }
        let megabytes = Double(pairs.reduce(0) { $0 + $1.data.count }) / 1_048_576
        print("Corpus: \(pairs.count) signed documents, \(String(format: "%.1f", megabytes)) MB, key \(keyring.certificates.map(\.fingerprintHex).joined(separator: ", "))")

        // One thread.
        var serialBest = Double.infinity
        var failures = 0
        for _ in 0..<max(runs, 1) {
            let start = ContinuousClock.now
            failures = 0
            for pair in pairs where keyring.verify(signature: pair.signature, of: pair.data).outcome != .verified {
                failures += 1
            }
            serialBest = min(serialBest, (ContinuousClock.now - start).seconds)
        }
        // All cores.
        var parallelBest = Double.infinity
        for _ in 0..<max(runs, 1) {
            let start = ContinuousClock.now
            DispatchQueue.concurrentPerform(iterations: documents.count) { index in
                _ = keyring.verify(signature: documents[index].signature, of: documents[index].data)
            }
            parallelBest = min(parallelBest, (ContinuousClock.now - start).seconds)
        }

        // gpgv, one process per file, on an evenly spread sample.
        let gpgvPath = ["/usr/bin/gpgv", "/bin/gpgv", "/usr/local/bin/gpgv"].first { FileManager.default.isExecutableFile(atPath: $0) }
        var gpgvRate: Double?
        var gpgvFailures = 0
        var sampleCount = 0
        if let gpgvPath {
            let folder = try BenchPaths.makeTemporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            // gpgv wants a binary keyring file.
            let binaryKey = try Packet.readArmoredOrBinary([UInt8](keyBytes)).reduce(into: [UInt8]()) { out, packet in
                out += packet.encoded
            }
            let keyring = folder + "/key.gpg"
            FileManager.default.createFile(atPath: keyring, contents: Data(binaryKey))
            let step = max(1, pairs.count / max(gpgvSample, 1))
            let sample = stride(from: 0, to: pairs.count, by: step).prefix(gpgvSample).map { pairs[$0].path }
            sampleCount = sample.count
            let start = ContinuousClock.now
            for path in sample {
                let process = ChildProcess()
                process.executableURL = URL(fileURLWithPath: gpgvPath)
                process.arguments = ["--keyring", keyring, path + ".asc", path]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                if process.terminationStatus != 0 { gpgvFailures += 1 }
            }
            gpgvRate = Double(sample.count) / (ContinuousClock.now - start).seconds
        }

        let serialRate = Double(pairs.count) / serialBest
        let parallelRate = Double(pairs.count) / parallelBest
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("")
        print("Vigil, one thread:     \(String(format: "%8.0f", serialRate)) documents/s  (\(String(format: "%.3f", serialBest)) s for all, best of \(runs); \(failures) failed)")
        print("Vigil, \(cores) cores:        \(String(format: "%8.0f", parallelRate)) documents/s  (\(String(format: "%.3f", parallelBest)) s for all)")
        var ratio: Double?
        if let gpgvRate {
            ratio = serialRate / gpgvRate
            print("gpgv, one per file:    \(String(format: "%8.0f", gpgvRate)) documents/s  (\(sampleCount) files; \(gpgvFailures) failed)")
            print("")
            print("Ratio (Vigil one thread / gpgv): \(String(format: "%.1f", ratio!))×  target ≥ \(Int(Self.targetRatio))×: \(ratio! >= Self.targetRatio ? "met" : "NOT met")")
            print("Ratio (Vigil \(cores) cores / gpgv):  \(String(format: "%.1f", parallelRate / gpgvRate))×")
        } else {
            print("gpgv is not installed (Debian's gpgv package); no comparison")
        }
        struct Summary: Encodable {
            var documents: Int
            var vigilSerialPerSecond: Double
            var vigilParallelPerSecond: Double
            var gpgvPerSecond: Double?
            var ratio: Double?
            var failures: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(Summary(documents: pairs.count, vigilSerialPerSecond: serialRate.rounded(),
                                                          vigilParallelPerSecond: parallelRate.rounded(),
                                                          gpgvPerSecond: gpgvRate.map { $0.rounded() },
                                                          ratio: ratio.map { ($0 * 10).rounded() / 10 }, failures: failures)), as: UTF8.self))
        if failures > 0 { throw ExitCode(1) }
    }
}
