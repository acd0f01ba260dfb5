import ArgumentParser
import CSAF
import Foundation

/// `vigil-bench validate`: the CSAF 2.0 §6 tests over a corpus, next to the schema-only reading Vigil does at import.
struct ValidateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Time every CSAF §6 test over a corpus, next to schema-only validation, on one thread and on all cores.",
        discussion: """
            Every .json document is read into memory first. Measured, best of --runs: parsing to a JSON tree alone; \
            the schema-level reading Vigil does at import (CSAFDocumentReader); parsing plus every §6 test; the §6 \
            tests alone on parsed trees. Target: every test on every document of the CISA corpus (2,383) in under \
            2 s. The last line is a JSON summary for scripts.
            """)

    @Option(help: ArgumentHelp("A folder of CSAF documents (default: ../shared/data/providers/cisa).", valueName: "path"))
    var corpus: String?

    @Option(help: "How many runs of each measurement; the best is reported.")
    var runs = 3

    static let target: Double = 2

    func run() throws {
        let corpusPath = BenchPaths.absolute(corpus ?? "../shared/data/providers/cisa")
        guard BenchPaths.isDirectory(corpusPath) else {
            printError("vigil-bench validate: the corpus folder \(corpusPath) does not exist; pass --corpus PATH")
            throw ExitCode(2)
        }
        var documents: [[UInt8]] = []
        let enumerator = FileManager.default.enumerator(atPath: corpusPath)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".json"), !relative.hasSuffix("provider-metadata.json"),
                  let data = FileManager.default.contents(atPath: corpusPath + "/" + relative) else { continue }
            let bytes = [UInt8](data)
            if let value = try? JSONParser.parse(bytes), value["document"] != nil { documents.append(bytes) }
        }
        guard !documents.isEmpty else {
            printError("vigil-bench validate: no CSAF documents under \(corpusPath)")
            throw ExitCode(2)
        }
        let megabytes = Double(documents.reduce(0) { $0 + $1.count }) / 1_048_576
        print("Corpus: \(documents.count) CSAF documents, \(String(format: "%.1f", megabytes)) MB (\(corpusPath))")
        let trees = documents.compactMap { try? JSONParser.parse($0) }

        func best(_ body: () -> Int) -> (seconds: Double, findings: Int) {
            var fastest = Double.infinity, findings = 0
            for _ in 0..<max(runs, 1) {
                let start = ContinuousClock.now
                findings = body()
                let elapsed = ContinuousClock.now - start
                fastest = min(fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            return (fastest, findings)
        }
        func parallel(_ count: Int, _ work: @Sendable @escaping (Int) -> Int) -> Int {
            let counts = Counts(count)
            DispatchQueue.concurrentPerform(iterations: count) { counts.set($0, work($0)) }
            return counts.total
        }
        let docs = documents
        let parse = best { documents.reduce(0) { n, bytes in n + ((try? JSONParser.parse(bytes)) == nil ? 0 : 1) } }
        let schema = best {
            documents.reduce(0) { n, bytes in
                guard case .csaf(let read)? = try? CSAFDocumentReader.read(bytes) else { return n }
                return n + read.warnings.count
            }
        }
        let all = best { documents.reduce(0) { n, bytes in n + ((try? CSAFConformance.check(bytes: bytes))?.count ?? 0) } }
        let testsOnly = best { trees.reduce(0) { $0 + CSAFConformance.check($1).count } }
        let mandatoryOnly = best { trees.reduce(0) { $0 + CSAFConformance.check($1, groups: [.mandatory]).count } }
        let preparation = best { trees.reduce(0) { $0 + CSAFConformance.check($1, only: []).count } }
        let allParallel = best { parallel(docs.count) { (try? CSAFConformance.check(bytes: docs[$0]))?.count ?? 0 } }
        let schemaParallel = best {
            parallel(docs.count) { index in
                guard case .csaf(let read)? = try? CSAFDocumentReader.read(docs[index]) else { return 0 }
                return read.warnings.count
            }
        }
        // Each test alone, less the preparation every check makes: the five dearest are printed.
        var perTest: [(String, Double)] = []
        for test in CSAFConformance.tests {
            let timed = best { trees.reduce(0) { $0 + CSAFConformance.check($1, only: [test.id]).count } }
            perTest.append((test.id, max(timed.seconds - preparation.seconds, 0)))
        }
        let dearest = perTest.sorted { $0.1 > $1.1 }.prefix(5).map { String(format: "%@ %.3f s", $0.0, $0.1) }.joined(separator: ", ")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        func line(_ name: String, _ result: (seconds: Double, findings: Int)) {
            print(name.padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: " %7.3f s  %9.0f documents/s", result.seconds, Double(documents.count) / result.seconds))
        }
        line("parse to a JSON tree (one thread)", parse)
        line("schema-level reading, as at import (one thread)", schema)
        line("parse + every §6 test (one thread)", all)
        line("every §6 test on parsed trees (one thread)", testsOnly)
        line("  of which the mandatory tests alone", mandatoryOnly)
        line("  of which collecting IDs, references and branches", preparation)
        print("  the dearest tests (one thread, less the collecting): \(dearest)")
        line("schema-level reading (\(cores) cores)", schemaParallel)
        line("parse + every §6 test (\(cores) cores)", allParallel)
        let ratio = all.seconds / schema.seconds
        print(String(format: "Every §6 test costs %.2f× the schema-level reading on one thread; %.3f s on %d cores (target: under %.0f s): %@",
                     ratio, allParallel.seconds, cores, Self.target, allParallel.seconds < Self.target ? "met" : "missed"))
        print("Findings over the corpus: \(all.findings) (run with vigil validate to read them)")
        let summary: [String: Any] = ["documents": documents.count, "parse_s": parse.seconds, "schema_s": schema.seconds, "all_tests_s": all.seconds,
                                      "tests_only_s": testsOnly.seconds, "mandatory_only_s": mandatoryOnly.seconds, "preparation_s": preparation.seconds, "all_tests_parallel_s": allParallel.seconds,
                                      "schema_parallel_s": schemaParallel.seconds, "cores": cores, "findings": all.findings]
        print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    }

    /// Per-index counts written from `concurrentPerform`'s threads.
    final class Counts: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int]
        init(_ count: Int) { values = Array(repeating: 0, count: count) }
        func set(_ index: Int, _ value: Int) { lock.withLock { values[index] = value } }
        var total: Int { lock.withLock { values.reduce(0, +) } }
    }
}
