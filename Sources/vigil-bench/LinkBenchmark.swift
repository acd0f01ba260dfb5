import ArgumentParser
import CSAF
import Foundation
import Revisions
import Sources
import Storage
import Store

/// `vigil-bench link`: linking republished advisories (Siemens' SSAs and CISA's ICSAs, Festo's and Beckhoff's
/// advisories) from scratch and one document at a time, against the target of under 5 ms per added document.
struct LinkBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Time advisory linking over CISA, a Siemens sample, Festo and Beckhoff: from scratch and per added document.",
        discussion: """
            The provider folders are read and parsed first (that time is printed, not counted). Then the whole \
            corpus is linked from scratch (best of --runs), and every document in turn is taken out of a linker \
            holding all of them and added back, timing the add alone: median, p99 and the slowest against the target \
            (p99 under 5 ms). With --store, the folders are also imported into a new SQLite store and the store's \
            answers are timed: every link (allLinks) and one advisory's links (related), the lookups an advisory page \
            and alert creation make, for every advisory. The last line is a JSON summary for scripts.
            """)

    @Option(help: ArgumentHelp("Provider folders (default: cisa, siemens-sample, festo and beckhoff under ../shared/data/providers).",
                               valueName: "path"))
    var corpus: [String] = []

    @Option(help: "Runs of the from-scratch linking; the best is reported.")
    var runs = 3

    @Flag(help: "Also print every link found (each pair once), to judge the rules on real data.")
    var list = false

    @Flag(help: "Also import the folders into a new SQLite store and time its answers (allLinks, related per advisory).")
    var store = false

    static let defaultFolders = ["cisa", "siemens-sample", "festo", "beckhoff"].map { "../shared/data/providers/" + $0 }
    static let targetMilliseconds = 5.0

    struct Figures: Codable {
        var documents: Int
        var parseSeconds: Double
        var fromScratchSeconds: Double
        var addAllSeconds: Double
        var perDocumentMedianMs: Double
        var perDocumentP99Ms: Double
        var perDocumentMaxMs: Double
        var slowestDocument: String
        var advisoriesWithLinks: Int
        var links: Int
        var linksByReason: [String: Int]
        var linksByStrength: [String: Int]
        var targetMs: Double
        var targetMet: Bool
        var store: StoreFigures?
    }

    struct StoreFigures: Codable {
        var importSeconds: Double
        var allLinksSeconds: Double
        var relatedMedianMs: Double
        var relatedP99Ms: Double
        var relatedMaxMs: Double
        var slowestAdvisory: String
        var disagreements: Int
    }

    func run() async throws {
        let folders = (corpus.isEmpty ? Self.defaultFolders : corpus).map(BenchPaths.absolute)
        for folder in folders where !BenchPaths.isDirectory(folder) {
            printError("vigil-bench link: the provider folder \(folder) does not exist; pass --corpus PATH (repeatable)")
            throw ExitCode(2)
        }
        let parseStart = ContinuousClock.now
        var advisories: [Advisory] = []
        var failures = 0
        for folder in folders {
            let (read, failed) = Self.read(folder)
            advisories += read
            failures += failed
            print("\(folder): \(read.count.grouped) advisories\(failed > 0 ? ", \(failed) not read" : "")")
        }
        let parseSeconds = (ContinuousClock.now - parseStart).seconds
        guard !advisories.isEmpty else {
            printError("vigil-bench link: no CSAF advisories under \(folders.joined(separator: ", "))")
            throw ExitCode(2)
        }
        print("parsed \(advisories.count.grouped) documents in \(fixed(parseSeconds, 2)) s (not counted)")

        var scratchSeconds = Double.infinity
        var scratch: [String: [AdvisoryLink]] = [:]
        for _ in 0..<max(runs, 1) {
            let start = ContinuousClock.now
            scratch = AdvisoryLinker.link(advisories)
            scratchSeconds = min(scratchSeconds, (ContinuousClock.now - start).seconds)
        }

        var linker = AdvisoryLinker()
        let addAllStart = ContinuousClock.now
        for advisory in advisories { linker.add(advisory) }
        let addAllSeconds = (ContinuousClock.now - addAllStart).seconds
        if linker.allLinks != scratch { print("warning: adding one by one and linking from scratch disagree") }

        // Each document against all the others: out (not timed), back in (timed).
        var timings: [(ms: Double, id: String)] = []
        timings.reserveCapacity(advisories.count)
        var seen = Set<String>()
        for advisory in advisories where seen.insert(advisory.id).inserted {
            linker.remove(advisory.id)
            let start = ContinuousClock.now
            let changes = linker.add(advisory)
            let elapsed = (ContinuousClock.now - start).seconds * 1000
            timings.append((elapsed, advisory.id))
            _ = changes.count
        }
        timings.sort { $0.ms < $1.ms }
        func percentile(_ p: Double) -> Double { timings[min(timings.count - 1, Int(Double(timings.count) * p))].ms }

        // Each link once (both sides are kept), by reason and strength.
        var byReason: [String: Int] = [:]
        var byStrength: [String: Int] = [:]
        var links = 0
        for (id, list) in scratch {
            for link in list where id < link.id {
                links += 1
                byReason[link.reason.rawValue, default: 0] += 1
                byStrength[link.strength.rawValue, default: 0] += 1
            }
        }

        if list {
            for id in scratch.keys.sorted() {
                for link in scratch[id]! where id < link.id {
                    print("link \(id) ↔ \(link.id) (\(link.publisher)): \(link.reason.rawValue), \(link.strength.rawValue), "
                          + "\(link.sharedCVEs.count) shared CVE\(link.sharedCVEs.count == 1 ? "" : "s")")
                }
            }
        }

        let storeFigures = store ? try await Self.timeStore(folders: folders, expected: scratch, runs: max(runs, 1)) : nil

        let p99 = percentile(0.99)
        var figures = Figures(
            documents: timings.count, parseSeconds: parseSeconds, fromScratchSeconds: scratchSeconds, addAllSeconds: addAllSeconds,
            perDocumentMedianMs: percentile(0.5), perDocumentP99Ms: p99, perDocumentMaxMs: timings.last?.ms ?? 0,
            slowestDocument: timings.last?.id ?? "", advisoriesWithLinks: scratch.count, links: links,
            linksByReason: byReason, linksByStrength: byStrength, targetMs: Self.targetMilliseconds,
            targetMet: p99 < Self.targetMilliseconds, store: nil)
        figures.store = storeFigures

        print("")
        print("from scratch:   \(fixed(scratchSeconds * 1000, 1)) ms for \(timings.count.grouped) documents (best of \(max(runs, 1)))")
        print("one by one:     \(fixed(addAllSeconds * 1000, 1)) ms adding all to an empty linker")
        print("per document:   median \(fixed(figures.perDocumentMedianMs, 3)) ms, p99 \(fixed(p99, 3)) ms, slowest \(fixed(figures.perDocumentMaxMs, 3)) ms (\(figures.slowestDocument)), each added to a linker holding all others")
        print("target:         p99 under \(fixed(Self.targetMilliseconds, 0)) ms per document: \(figures.targetMet ? "met" : "not met") (\(fixed(Self.targetMilliseconds / max(p99, 1e-9), 0))× headroom)")
        print("links:          \(links.grouped) between \(scratch.count.grouped) advisories; "
              + AdvisoryLink.Reason.allCases.map { "\($0.rawValue) \(byReason[$0.rawValue] ?? 0)" }.joined(separator: ", ") + "; "
              + AdvisoryLink.Strength.allCases.map { "\($0.rawValue) \(byStrength[$0.rawValue] ?? 0)" }.joined(separator: ", "))
        if let stored = storeFigures {
            print("store import:   \(fixed(stored.importSeconds, 2)) s into SQLite (not counted)")
            print("store, all:     \(fixed(stored.allLinksSeconds * 1000, 1)) ms for every link (allLinks, best of \(max(runs, 1)))")
            print("store, one:     related(advisoryID:) median \(fixed(stored.relatedMedianMs, 3)) ms, p99 \(fixed(stored.relatedP99Ms, 3)) ms, "
                  + "slowest \(fixed(stored.relatedMaxMs, 3)) ms (\(stored.slowestAdvisory)); "
                  + (stored.disagreements == 0 ? "every answer the linker's" : "\(stored.disagreements) answers differ from the linker's"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(figures), as: UTF8.self))
    }

    /// Imports `folders` into a new SQLite store and times its link answers, comparing each with `expected`.
    static func timeStore(folders: [String], expected: [String: [AdvisoryLink]], runs: Int) async throws -> StoreFigures {
        let folder = try BenchPaths.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStore(path: folder + "/bench.sqlite")
        let importStart = ContinuousClock.now
        let summary = try await LocalImporter().run(paths: folders, into: store)
        let importSeconds = (ContinuousClock.now - importStart).seconds
        var best = Double.infinity
        var all: [String: [AdvisoryLink]] = [:]
        for _ in 0..<runs {
            let start = ContinuousClock.now
            all = try await store.allLinks()
            best = min(best, (ContinuousClock.now - start).seconds)
        }
        var disagreements = all == expected ? 0 : Set(all.keys).union(expected.keys).filter { all[$0] != expected[$0] }.count
        var timings: [(ms: Double, id: String)] = []
        let ids = try await Self.storedIDs(store)
        for id in ids {
            let start = ContinuousClock.now
            let links = try await store.related(advisoryID: id)
            timings.append(((ContinuousClock.now - start).seconds * 1000, id))
            if links != (expected[id] ?? []) { disagreements += 1 }
        }
        timings.sort { $0.ms < $1.ms }
        func percentile(_ p: Double) -> Double { timings.isEmpty ? 0 : timings[min(timings.count - 1, Int(Double(timings.count) * p))].ms }
        _ = summary
        await store.close()
        return StoreFigures(importSeconds: importSeconds, allLinksSeconds: best, relatedMedianMs: percentile(0.5),
                            relatedP99Ms: percentile(0.99), relatedMaxMs: timings.last?.ms ?? 0,
                            slowestAdvisory: timings.last?.id ?? "", disagreements: disagreements)
    }

    /// Every advisory ID in the store.
    static func storedIDs(_ store: SQLiteStore) async throws -> [String] {
        var ids: [String] = []
        var page = 1
        while true {
            let found = try await store.search(AdvisoryQuery(page: page, perPage: 500))
            ids += found.items.map(\.id)
            if found.items.isEmpty || ids.count >= found.total { return ids }
            page += 1
        }
    }

    /// The CSAF advisories under `folder` (feeds, metadata and sidecars skipped), in path order, and how many
    /// `.json` files were not advisories that could be read.
    static func read(_ folder: String) -> ([Advisory], Int) {
        var paths: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasSuffix(".json"), !name.contains("provider"), !name.contains("feed"), !name.contains("aggregator") {
                paths.append(relative)
            }
        }
        var advisories: [Advisory] = []
        var failed = 0
        for relative in paths.sorted() {
            guard let data = FileManager.default.contents(atPath: folder + "/" + relative),
                  case .csaf(let parsed)? = try? CSAFDocumentReader.read([UInt8](data)) else {
                failed += 1
                continue
            }
            advisories.append(parsed.advisory)
        }
        return (advisories, failed)
    }
}

private func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
