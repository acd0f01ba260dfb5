import ArgumentParser
import CSAF
import Foundation
import Matching
import Storage
import Store
import VigilTestSupport

/// `vigil-bench scale`: how Vigil's figures grow with the corpus (issue 20). For each size, a generated corpus
/// (`vigil-bench corpus`) is imported into a fresh store and the store is measured the way the product uses it:
/// import, size on disk, searches, pages under load from a running `vigil serve`, and exposure recomputation for a
/// large inventory. Then one column per size, the growth per tenfold step, the issue's targets and a JSON line.
struct ScaleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Measure import, store size, search, pages under load and exposure recomputation at growing corpus sizes.",
        discussion: """
            For each size (increasing), a corpus is generated into --work (or a finished one of the same size, seed \
            and templates found there is reused), imported into a fresh SQLite store by a child process \
            (`vigil-bench import-run`, as `vigil import`), measured (store size after a checkpoint; ten typical \
            searches through the store API; the home, vendor, advisory, search and API pages from \
            `vigil serve --no-sync` under concurrent clients; an inventory of --assets assets imported and its \
            exposures recomputed), and the figures are printed as a table with the growth per tenfold step and the \
            targets of issue 20 (set at 250,000 documents on SQLite). Needs a release build of both products: \
            swift build -c release --product vigil-bench; swift build -c release --product vigil. The last line is \
            a JSON summary for scripts. Asserts nothing.
            """)

    @Option(help: ArgumentHelp("Corpus sizes, comma-separated.", valueName: "n,n,…")) var sizes = "2500,25000"
    @Option(help: ArgumentHelp("""
        Import into this PostgreSQL database instead of a fresh SQLite file per size. It must be empty (no Vigil \
        tables): the benchmark neither drops nor empties it, so give one size per run.
        """, valueName: "postgres://…"))
    var db: String?
    @Option(help: ArgumentHelp("Where corpora, stores and logs go (default: a new temporary folder). A finished corpus of the same size, seed and templates found there is reused.", valueName: "dir"))
    var work: String?
    @Flag(help: "Keep what this run made in --work (corpora, stores, server logs), to reuse or inspect; otherwise it is removed at the end.")
    var keep = false
    @Option(name: .customLong("key-bits"), help: "RSA key size for signing generated corpora (2048 is quicker to make; CISA's is 4096).")
    var keyBits = 3072
    @Option(name: .customLong("source"), help: ArgumentHelp("Template folders for the corpora (default ../shared/data/providers/cisa).", valueName: "path"))
    var sources: [String] = []
    @Option(help: "The corpus seed.") var seed: UInt64 = CorpusGenerator.defaultSeed
    @Option(help: "Assets in the inventory whose exposures are recomputed.") var assets = 100_000
    @Option(help: "Concurrent clients requesting pages.") var clients = 8
    @Option(name: .customLong("load-seconds"), help: "How long the clients request pages (after 2 s of warm-up).") var loadSeconds = 10.0
    @Option(name: .customLong("search-runs"), help: "Timed runs of each search (after 3 not timed).") var searchRuns = 30
    @Option(help: ArgumentHelp("The vigil executable to serve with (default: the one beside this executable).", valueName: "path"))
    var vigil: String?

    // The targets of issue 20, at 250,000 documents on SQLite, on this 2-core machine.
    static let targetImportRate = 3_000.0
    static let targetSearchP99 = 50.0
    static let targetPageP99 = 20.0
    static let targetStoreRatio = 3.0
    static let targetServeMB = 400.0
    static let targetGrowth = 2.0

    func validate() throws {
        guard let parsed = parsedSizes(), !parsed.isEmpty else { throw ValidationError("--sizes must be positive whole numbers separated by commas, such as 2500,25000") }
        if let db, StoreLocation(db).isPostgres, parsed.count > 1 {
            throw ValidationError("with --db postgres://… give one size per run: the database must be empty before each import, and the benchmark does not empty it")
        }
        if let db, !StoreLocation(db).isPostgres {
            throw ValidationError("--db takes a postgres:// URL; without it each size gets a fresh SQLite file in --work")
        }
        guard assets >= 1, clients >= 1, loadSeconds > 0, searchRuns >= 1 else {
            throw ValidationError("--assets, --clients, --load-seconds and --search-runs must be positive")
        }
        guard keyBits >= 2048, keyBits <= 8192, keyBits % 8 == 0 else { throw ValidationError("--key-bits must be 2048, 3072 or 4096") }
    }

    func parsedSizes() -> [Int]? {
        let values = sizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return Array(Set(values.compactMap { $0 })).sorted()
    }

    func run() async throws {
        let sizes = parsedSizes() ?? []
        let vigilPath = vigil.map(BenchPaths.absolute) ?? ((BenchPaths.currentExecutable() as NSString).deletingLastPathComponent + "/vigil")
        guard FileManager.default.isExecutableFile(atPath: vigilPath) else {
            printError("vigil-bench scale: no vigil executable at \(vigilPath), for the pages under load: build it with "
                       + "`swift build -c release --product vigil`, or pass --vigil PATH")
            throw ExitCode(2)
        }
        let workFolder: String
        let madeWork: Bool
        if let work {
            workFolder = BenchPaths.absolute(work)
            madeWork = !FileManager.default.fileExists(atPath: workFolder)
            try FileManager.default.createDirectory(atPath: workFolder, withIntermediateDirectories: true)
        } else {
            workFolder = try BenchPaths.makeTemporaryFolder()
            madeWork = true
        }
        let templateFolders = CorpusGenerator.templateFolders(sources)
        let loadBefore = ScaleSystem.loadAverage()
        printNow("Scale benchmark: sizes \(sizes.map(\.grouped).joined(separator: ", ")); \(ProcessInfo.processInfo.activeProcessorCount) cores; load average \(loadBefore)")
        printNow("store: \(db.map { StoreLocation($0).description } ?? "a fresh SQLite file per size"); work folder \(workFolder)\(keep ? " (kept)" : "")")
        printNow("templates: \(templateFolders.joined(separator: ", ")); seed \(seed); RSA-\(keyBits) signatures; server \(vigilPath)")

        var created: [String] = []
        defer {
            if !keep {
                for path in created { try? FileManager.default.removeItem(atPath: path) }
                if madeWork, (try? FileManager.default.contentsOfDirectory(atPath: workFolder))?.isEmpty ?? false {
                    try? FileManager.default.removeItem(atPath: workFolder)
                }
            }
        }
        var templates: CorpusTemplates?
        var runs: [ScaleFigures] = []
        for size in sizes {
            printNow("")
            printNow("— \(size.grouped) documents —")
            do {
                let figures = try await measure(size: size, work: workFolder, templateFolders: templateFolders, vigilPath: vigilPath,
                                                templates: &templates, created: &created)
                runs.append(figures)
            } catch let failure as ScaleFailure {
                printError("vigil-bench scale: \(failure.description)")
                throw ExitCode(1)
            }
        }
        let loadAfter = ScaleSystem.loadAverage()
        printNow("")
        for line in ScaleReport(runs: runs, loadBefore: loadBefore, loadAfter: loadAfter, postgres: db != nil).lines() { printNow(line) }
    }

    // MARK: One size

    func measure(size: Int, work: String, templateFolders: [String], vigilPath: String, templates: inout CorpusTemplates?,
                 created: inout [String]) async throws -> ScaleFigures {
        var figures = ScaleFigures(documents: size)

        // Corpus.
        let corpus = "\(work)/corpus-\(size)-seed\(seed)"
        if let existing = CorpusGenerator.existing(at: corpus, count: size, seed: seed, templateFolders: templateFolders) {
            printNow("corpus: reusing \(corpus) (\(CorpusGenerator.megabytes(existing.jsonBytes)) MB of JSON)")
            figures.jsonBytes = existing.jsonBytes
        } else {
            if FileManager.default.fileExists(atPath: corpus) {
                // A corpus this benchmark started and did not finish (its manifest is written last): made again.
                guard FileManager.default.fileExists(atPath: corpus + "/provider-metadata.json")
                        || (try? FileManager.default.contentsOfDirectory(atPath: corpus))?.isEmpty == true else {
                    throw ScaleFailure("\(corpus) exists and is not a corpus this benchmark made; move it away or give another --work")
                }
                try FileManager.default.removeItem(atPath: corpus)
            }
            if templates == nil {
                templates = try await Self.onThread { try ScaleFailure.wrap { try CorpusTemplates.load(folders: templateFolders) } }
            }
            guard let templates else { throw ScaleFailure("no templates") }
            let generator = try ScaleFailure.wrap { try CorpusGenerator(templates: templates, count: size, seed: seed, keyBits: keyBits) }
            created.append(corpus)
            let result = try await Self.onThread { try ScaleFailure.wrap { try generator.write(to: corpus) } }
            printNow("corpus: made \(size.grouped) documents (\(CorpusGenerator.megabytes(result.jsonBytes)) MB of JSON, \(result.vendors.grouped) vendors) "
                  + "in \(fixed(result.seconds, 1)) s, signing \(fixed(result.signingCPUSeconds, 1)) s of it summed over threads")
            figures.jsonBytes = result.jsonBytes
            figures.generationSeconds = result.seconds
        }

        // Import, in a child process so that its peak memory is its own.
        let storeLocation: String
        if let db {
            storeLocation = db
        } else {
            storeLocation = "\(work)/scale-\(size).sqlite"
            for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: storeLocation + suffix) }
            created += ["", "-wal", "-shm", ".lock"].map { storeLocation + $0 }
        }
        let imported = try ScaleSystem.importRun(corpus: corpus, db: storeLocation)
        figures.importSeconds = imported.seconds
        figures.importCPUSeconds = imported.cpuSeconds
        figures.importPeakMB = imported.peakMB
        figures.imported = imported.documents
        figures.rejected = imported.rejected
        figures.verified = imported.integrity?["verified"] ?? 0
        printNow("import: \(imported.documents.grouped) documents in \(fixed(imported.seconds, 2)) s (\(Int(figures.importRate).grouped)/s), "
              + "CPU \(fixed(figures.importCPUMillisecondsPerDocument, 2)) ms per document, peak \(fixed(imported.peakMB, 1)) MB; "
              + "\(figures.verified.grouped) signatures verified, \(imported.rejected) rejected")
        if imported.rejected > 0 || figures.verified != size || !(imported.keyProblems ?? []).isEmpty {
            printNow("WARNING: the import did not verify and store every generated document: \(imported.rejected) rejected, "
                  + "\(figures.verified) of \(size) verified, integrity \(imported.integrity ?? [:]), key problems \(imported.keyProblems ?? []); "
                  + "the figures below are not those of the corpus")
        }

        // Store size: reopened and closed, which folds the write-ahead log into the file (SQLite).
        var store = try await StoreLocation(storeLocation).open(environment: ProcessInfo.processInfo.environment)
        if db == nil {
            await store.close()
            figures.storeBytes = Int(ScaleSystem.fileSize(storeLocation) + ScaleSystem.fileSize(storeLocation + "-wal"))
            store = try await StoreLocation(storeLocation).open(environment: ProcessInfo.processInfo.environment)
        } else {
            figures.storeBytes = Int(try await store.metricsReading(now: Date()).sizeBytes)
        }
        printNow("store: \(CorpusGenerator.megabytes(figures.storeBytes)) MB, \(fixed(figures.storeKBPerDocument, 1)) kB per document, "
              + "\(fixed(figures.storeRatio, 2))× the JSON")

        // Searches, and what the page load will ask for.
        let searches: [ScaleSearch.Result]
        let pageTargets: ScalePages.Targets
        do {
            let queries = try await ScaleSearch.queries(store: store)
            searches = try await ScaleSearch.run(queries, store: store, runs: searchRuns)
            pageTargets = try await ScalePages.targets(store: store, searchWords: queries.words)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        figures.searches = searches
        let allSearch = searches.flatMap(\.milliseconds).sorted()
        figures.searchP50 = ScaleStatistics.percentile(allSearch, 0.50)
        figures.searchP99 = ScaleStatistics.percentile(allSearch, 0.99)
        printNow("search: p50 \(fixed(figures.searchP50, 2)) ms, p99 \(fixed(figures.searchP99, 2)) ms over \(searches.count) queries × \(searchRuns)")
        for search in searches {
            printNow("  \(search.name.padding(toLength: 22, withPad: " ", startingAt: 0)) p50 \(fixed(search.p50, 2)) ms, p99 \(fixed(search.p99, 2)) ms, "
                  + "\(search.results.grouped) results  \(search.query)")
        }

        // Pages from a running server, with the store in the kernel's page cache as a server that has been running a
        // while has it: generating and importing the corpus wrote twice the store's size of other files, which at
        // 250,000 documents (14 GB) evicted the store and made every page wait for the disk (p50 90 ms against 8 to
        // 30 ms with the file cached). The file is read once, sequentially; the time it took is printed.
        if db == nil {
            let warmed = ScaleSystem.readThrough([storeLocation, storeLocation + "-wal"])
            printNow("store read once into the page cache before the pages: \(fixed(warmed.megabytes, 0)) MB in \(fixed(warmed.seconds, 1)) s")
        }
        let logPath = "\(work)/serve-\(size).log"
        created.append(logPath)
        let pages = try await ScalePages.run(vigil: vigilPath, db: storeLocation, log: logPath, targets: pageTargets,
                                             clients: clients, seconds: loadSeconds)
        figures.pages = pages.kinds
        figures.serveRequestsPerSecond = pages.requestsPerSecond
        figures.servePeakMB = pages.peakMB
        figures.serveErrors = pages.errors
        printNow("pages: \(clients) clients for \(fixed(loadSeconds, 0)) s, \(Int(pages.requestsPerSecond).grouped) requests/s, "
              + "\(pages.errors) errors; server peak \(fixed(pages.peakMB, 1)) MB")
        for kind in pages.kinds {
            printNow("  \(kind.name.padding(toLength: 10, withPad: " ", startingAt: 0)) p50 \(fixed(kind.p50, 2)) ms, p99 \(fixed(kind.p99, 2)) ms, "
                  + "\(kind.requests.grouped) requests over \(kind.distinct.grouped) URLs")
        }
        if pages.errors > 0 {
            printNow("WARNING: \(pages.errors) page requests failed or did not answer 200 (\(pages.failures.joined(separator: ", ")), …); see \(logPath)")
        }

        // Exposures of a large inventory.
        store = try await StoreLocation(storeLocation).open(environment: ProcessInfo.processInfo.environment)
        do {
            let exposures = try await ScaleExposures.run(store: store, corpus: corpus, assets: assets, seed: seed)
            figures.inventorySeconds = exposures.importSeconds
            figures.recomputeSeconds = exposures.recomputeSeconds
            figures.exposures = exposures.exposures
            printNow("exposures: \(assets.grouped) assets (products from \(exposures.sampledDocuments.grouped) documents) imported with their exposures "
                  + "in \(fixed(exposures.importSeconds, 2)) s; recomputed from scratch in \(fixed(exposures.recomputeSeconds, 2)) s; "
                  + "\(exposures.exposures.grouped) exposures")
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        return figures
    }

    /// Runs blocking work (the corpus generation, which uses every core through Dispatch) on a thread of its own, so
    /// that no thread of Swift's cooperative pool is held.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

/// Why the scale benchmark could not go on, as a sentence.
struct ScaleFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// Runs `body`, turning the generator's and templates' failures into this one.
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as CorpusGenerator.Failure {
            throw ScaleFailure(failure.description)
        } catch let failure as CorpusTemplates.Failure {
            throw ScaleFailure(failure.description)
        }
    }
}

/// The figures of one corpus size.
struct ScaleFigures: Codable {
    struct Page: Codable {
        var name: String
        var requests: Int
        var distinct: Int
        var p50: Double
        var p99: Double
    }

    var documents: Int
    var jsonBytes = 0
    var generationSeconds: Double?
    var imported = 0
    var rejected = 0
    var verified = 0
    var importSeconds = 0.0
    var importCPUSeconds = 0.0
    var importPeakMB = 0.0
    var storeBytes = 0
    var searches: [ScaleSearch.Result] = []
    var searchP50 = 0.0
    var searchP99 = 0.0
    var pages: [Page] = []
    var serveRequestsPerSecond = 0.0
    var servePeakMB = 0.0
    var serveErrors = 0
    var inventorySeconds = 0.0
    var recomputeSeconds = 0.0
    var exposures = 0

    init(documents: Int) { self.documents = documents }

    var importRate: Double { Double(imported) / max(importSeconds, 0.000_001) }
    var importCPUMillisecondsPerDocument: Double { importCPUSeconds * 1000 / Double(max(imported, 1)) }
    var storeKBPerDocument: Double { Double(storeBytes) / 1000 / Double(max(imported, 1)) }
    var storeRatio: Double { Double(storeBytes) / Double(max(jsonBytes, 1)) }
    var worstPageP99: Double { pages.map(\.p99).max() ?? 0 }
}

/// Small things about this machine and its processes.
enum ScaleSystem {
    /// Reads the files through once, 1 MiB at a time (into the page cache); missing files are passed over.
    static func readThrough(_ paths: [String]) -> (megabytes: Double, seconds: Double) {
        let started = ContinuousClock.now
        var bytes = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for path in paths {
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                bytes += count
            }
        }
        return (Double(bytes) / 1_000_000, (ContinuousClock.now - started).seconds)
    }

    /// The three load averages of /proc/loadavg, or `?` where there is none.
    static func loadAverage() -> String {
        guard let text = readFile("/proc/loadavg") else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// A field of /proc/PID/status in kB (`VmHWM`, `VmRSS`), 0 when it cannot be read.
    static func statusKB(pid: Int32, field: String) -> Int {
        guard let text = readFile("/proc/\(pid)/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }

    /// A whole file read with `read` until its end: for /proc files, where Foundation's whole-file readers stop after
    /// one buffer, and for the corpus's index.
    static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// `vigil-bench import-run` in a child process; its JSON line.
    static func importRun(corpus: String, db: String) throws -> ImportRunFigures {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: BenchPaths.currentExecutable())
        process.arguments = ["import-run", "--corpus", corpus, "--db", db]
        let output = Pipe()
        process.standardOutput = output
        // Its stderr (one line per rejected file) goes to ours.
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw ScaleFailure("could not start the import (\(BenchPaths.currentExecutable()) import-run): \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0, let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let figures = try? JSONDecoder().decode(ImportRunFigures.self, from: Data(line.utf8)) else {
            throw ScaleFailure("the import of \(corpus) into \(StoreLocation(db).description) failed (exit status \(process.terminationStatus)); its output was:\n\(text)")
        }
        return figures
    }
}

/// Percentiles by nearest rank.
enum ScaleStatistics {
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

/// Prints and flushes at once: into a pipe or a file standard output is buffered, and a long run would show nothing
/// until its end.
func printNow(_ line: String) {
    print(line)
    fflush(nil)
}

private func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

// MARK: - Searches

/// Ten typical searches, drawn from the store's own data, timed through the store API as the search box and the API
/// run them.
enum ScaleSearch {
    struct Query {
        var name: String
        var query: AdvisoryQuery
    }

    struct Queries {
        var list: [Query]
        /// Title words, for the search pages under load.
        var words: [String]
    }

    struct Result: Codable {
        var name: String
        var query: String
        var results: Int
        var p50: Double
        var p99: Double
        /// Every timing, for the overall percentiles; left out of the JSON line.
        var milliseconds: [Double] = []

        enum CodingKeys: String, CodingKey { case name, query, results, p50, p99 }
    }

    static func queries(store: any VigilStore) async throws -> Queries {
        let sample = try await store.search(AdvisoryQuery(perPage: 200)).items
        guard let first = sample.first else { throw ScaleFailure("the store holds no advisories after the import") }
        let vendors = try await store.vendors().sorted { ($0.advisoryCount, $1.name) > ($1.advisoryCount, $0.name) }
        // A vendor with many advisories but not the largest: a typical search, not the worst one.
        let vendor = vendors.isEmpty ? nil : vendors[min(9, vendors.count - 1)]
        var cve: String?
        var productWord: String?
        for summary in sample.prefix(40) where cve == nil || productWord == nil {
            guard let stored = try await store.advisory(id: summary.id) else { continue }
            cve = cve ?? stored.advisory.cves.first
            productWord = productWord ?? stored.advisory.products.lazy.flatMap { words(in: $0.product, minimum: 4) }.first
        }
        // Title words by how many sample titles hold them; the tenth most common is a typical term.
        var counts: [String: Int] = [:]
        for summary in sample { for word in Set(words(in: summary.title, minimum: 5)) { counts[word, default: 0] += 1 } }
        let ranked = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        let titleWord = ranked.isEmpty ? "controller" : ranked[min(9, ranked.count - 1)]
        let otherWord = productWord ?? (ranked.count > 20 ? ranked[20] : titleWord)
        // Two words that occur together: the title word and another word of a title that holds it.
        let companion = sample.lazy.map { words(in: $0.title, minimum: 4) }.first { $0.contains(titleWord) }?
            .first { $0 != titleWord && $0 != $0.uppercased() } ?? otherWord
        // Text with a vendor filter: a word of one of the vendor's own titles.
        var vendorWord = titleWord
        if let vendor, let title = try await store.search(AdvisoryQuery(vendor: vendor.slug, perPage: 1)).items.first?.title {
            vendorWord = words(in: title, minimum: 4).first { $0.lowercased() != vendor.name.lowercased() && !vendor.name.contains($0) } ?? vendorWord
        }
        let critical = try await store.search(AdvisoryQuery(severity: .critical))
        let list = [
            Query(name: "CVE ID", query: AdvisoryQuery(text: cve ?? first.id)),
            Query(name: "vendor name", query: AdvisoryQuery(text: vendor?.name ?? titleWord)),
            Query(name: "product word", query: AdvisoryQuery(text: otherWord)),
            Query(name: "title word", query: AdvisoryQuery(text: titleWord)),
            Query(name: "4-letter prefix", query: AdvisoryQuery(text: String(titleWord.prefix(4)))),
            Query(name: "two words", query: AdvisoryQuery(text: titleWord + " " + companion)),
            Query(name: "text + vendor", query: AdvisoryQuery(text: vendorWord, vendor: vendor?.slug)),
            Query(name: "critical, page 1", query: AdvisoryQuery(severity: .critical)),
            // Halfway through the results: grows with the corpus, as deep pagination does.
            Query(name: "critical, deep page", query: AdvisoryQuery(severity: .critical, page: max(1, critical.pageCount / 2))),
            Query(name: "advisory ID", query: AdvisoryQuery(text: sample[sample.count / 2].id)),
        ]
        return Queries(list: list, words: Array(ranked.prefix(300)))
    }

    static func run(_ queries: Queries, store: any VigilStore, runs: Int) async throws -> [Result] {
        var results: [Result] = []
        for query in queries.list {
            var total = 0
            for _ in 0..<3 { total = try await store.search(query.query).total }
            var timings: [Double] = []
            for _ in 0..<runs {
                let started = ContinuousClock.now
                _ = try await store.search(query.query)
                timings.append((ContinuousClock.now - started).seconds * 1000)
            }
            let sorted = timings.sorted()
            results.append(Result(name: query.name, query: describe(query.query), results: total,
                                  p50: ScaleStatistics.percentile(sorted, 0.5), p99: ScaleStatistics.percentile(sorted, 0.99),
                                  milliseconds: timings))
        }
        return results
    }

    static func describe(_ query: AdvisoryQuery) -> String {
        var parts: [String] = []
        if let text = query.text { parts.append("q=\"\(text)\"") }
        if let vendor = query.vendor { parts.append("vendor=\(vendor)") }
        if let severity = query.severity { parts.append("severity=\(severity.rawValue)") }
        if query.page > 1 { parts.append("page=\(query.page)") }
        return parts.joined(separator: " ")
    }

    /// Words of letters only, at least `minimum` long.
    static func words(in text: String, minimum: Int) -> [String] {
        text.split(whereSeparator: { !$0.isLetter }).map(String.init).filter { $0.count >= minimum && $0.allSatisfy(\.isASCII) }
    }
}

// MARK: - Exposures

/// An inventory imported for one organisation (its exposures computed in the same transaction), then every
/// organisation's exposures recomputed from scratch, through the store API (`vigil assets import`, `vigil recompute`).
enum ScaleExposures {
    struct Result {
        var importSeconds: Double
        var recomputeSeconds: Double
        var exposures: Int
        var sampledDocuments: Int
    }

    static func run(store: any VigilStore, corpus: String, assets: Int, seed: UInt64) async throws -> Result {
        // The inventory is drawn from the corpus's own products (as `vigil-bench match` draws it from CISA's), read from
        // up to 3,000 documents spread over the corpus.
        let index = ScaleSystem.readFile(corpus + "/white/index.txt")?.split(separator: "\n").map(String.init) ?? []
        let step = max(1, index.count / 3_000)
        var products: [AffectedProduct] = []
        var sampled = 0
        for position in stride(from: 0, to: index.count, by: step) {
            guard let data = FileManager.default.contents(atPath: corpus + "/white/" + index[position]),
                  case .csaf(let parsed)? = try? CSAFDocumentReader.read([UInt8](data)) else { continue }
            products += parsed.advisory.products
            sampled += 1
        }
        guard !products.isEmpty else { throw ScaleFailure("no products in the corpus at \(corpus) to draw an inventory from") }
        var generator = MatchBenchmark.InventoryGenerator(products: products, directory: VendorDirectory(), seed: seed ^ 0xA55E7)
        let drafts = (0..<assets).map { generator.next(id: Int64($0)).asset }
        guard let organisation = try await store.organisation(named: "Scale benchmark", create: true) else {
            throw ScaleFailure("the store did not create the benchmark's organisation")
        }
        let importStart = ContinuousClock.now
        let summary = try await store.importAssets(drafts, organisationID: organisation.id, replace: true)
        let importSeconds = (ContinuousClock.now - importStart).seconds
        let recomputeStart = ContinuousClock.now
        _ = try await store.recomputeExposures()
        let recomputeSeconds = (ContinuousClock.now - recomputeStart).seconds
        return Result(importSeconds: importSeconds, recomputeSeconds: recomputeSeconds,
                      exposures: summary.exposures.values.reduce(0, +), sampledDocuments: sampled)
    }
}
