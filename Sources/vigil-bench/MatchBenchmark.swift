import CSAF
import Foundation
import Matching
import Versions

/// `vigil-bench match`: matching a synthetic asset inventory against the CISA corpus through `ExposureCalculator`'s
/// indexes, and one advisory against a large inventory, next to the naive way (every asset × every product, ranges
/// read each time) measured in the same run. Prints figures, ratios and targets; asserts nothing.
struct MatchBenchmark {
    static let targetFullSeconds = 2.0
    static let targetOneAdvisorySeconds = 0.1
    static let targetRatio = 50.0
    /// A one-advisory run slower than this is not repeated.
    static let slowRunSeconds = 5.0

    /// Why the benchmark could not run at all (documents that fail to read are counted, not thrown).
    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Runs the whole benchmark and writes its report line by line to `output`.
    ///
    /// - Parameters:
    ///   - cisaFolder: CISA's CSAF provider folder; every `.json` under it is read, recursively.
    ///   - assets: the inventory matched against the whole corpus.
    ///   - bigInventory: the inventory one advisory is matched against (the first `assets` of it are the other one).
    ///   - naiveSample: assets the naive whole-corpus baseline runs over; its time is extrapolated to `assets`.
    ///   - oneAdvisoryNaiveSample: assets the naive one-advisory baseline runs over, extrapolated to `bigInventory`.
    ///   - advisorySample: advisories, evenly spread over the corpus, whose one-advisory times give the median.
    ///   - runs: runs of each indexed measurement; the best (lowest) time is reported. The naive baselines run once.
    ///   - seed: the inventory generator's seed; the same seed gives the same inventories.
    static func run(cisaFolder: URL, assets: Int = 100_000, bigInventory: Int = 1_000_000, naiveSample: Int = 25,
                    oneAdvisoryNaiveSample: Int = 1_000, advisorySample: Int = 50, runs: Int = 2,
                    seed: UInt64 = 0x5EED_1CE5, only: [String] = [], output: (String) -> Void) throws {
        guard assets > 0, bigInventory > 0, naiveSample > 0, oneAdvisoryNaiveSample > 0, advisorySample > 0, runs > 0 else {
            throw Failure(message: "vigil-bench match: every count must be at least 1")
        }
        let calculator = ExposureCalculator()

        // MARK: Corpus

        let loadStart = ContinuousClock.now
        let corpus = try loadCorpus(cisaFolder)
        let loadSeconds = seconds(since: loadStart)
        let advisories = corpus.advisories
        guard !advisories.isEmpty else {
            throw Failure(message: "vigil-bench match: no CSAF advisories under \(cisaFolder.path); pass the CISA provider folder")
        }
        let productCount = advisories.reduce(0) { $0 + $1.products.count }
        output("Match benchmark: \(cisaFolder.path)")
        output("\(ProcessInfo.processInfo.activeProcessorCount) cores; timed parts best of \(runs) run\(runs == 1 ? "" : "s") (one thread unless said; "
               + "a one-advisory run over \(fixed(slowRunSeconds, 0)) s is not repeated); naive baselines run once on a sample and are extrapolated")
        output("")
        output("corpus: \(grouped(advisories.count)) advisories, \(grouped(productCount)) products, "
               + "\(grouped(Set(advisories.flatMap { $0.products.map(\.vendor) }).count)) vendor spellings; "
               + "read in \(fixed(loadSeconds, 2)) s (not part of any match time)")
        if !corpus.failures.isEmpty {
            output("  \(corpus.failures.count) file\(corpus.failures.count == 1 ? "" : "s") could not be read and \(corpus.failures.count == 1 ? "is" : "are") left out:")
            for failure in corpus.failures.prefix(5) { output("    \(failure)") }
            if corpus.failures.count > 5 { output("    …") }
        }

        // MARK: Inventories

        let generateStart = ContinuousClock.now
        var generator = InventoryGenerator(products: advisories.flatMap(\.products), directory: VendorDirectory(), seed: seed)
        let totalAssets = max(assets, bigInventory)
        var allAssets: [MatchAsset] = []
        allAssets.reserveCapacity(totalAssets)
        for id in 0..<totalAssets { allAssets.append(generator.next(id: Int64(id))) }
        let inventory = Array(allAssets.prefix(assets))
        let bigAssets = totalAssets == bigInventory ? allAssets : Array(allAssets.prefix(bigInventory))
        allAssets = []
        let generateSeconds = seconds(since: generateStart)
        let outsideIDs = generator.outsideIDs
        let outsideInInventory = outsideIDs.filter { $0 < Int64(assets) }.count
        output("inventories: \(grouped(assets)) assets (whole-corpus match) and \(grouped(bigInventory)) (one advisory), "
               + "seed \(String(seed, radix: 16)); the first is the first \(grouped(assets)) of the second; generated in \(fixed(generateSeconds, 2)) s")
        output("  \(grouped(outsideInInventory)) of the \(grouped(assets)) (\(fixed(100 * Double(outsideInInventory) / Double(assets), 1))%) are from vendors not in the corpus; "
               + "the rest are corpus products, with versions just below and just above the products' range bounds")

        if !only.isEmpty {
            try runOnly(only, advisories: advisories, bigAssets: bigAssets, calculator: calculator, runs: runs, output: output)
            return
        }

        // MARK: Whole corpus × inventory, indexed

        var advisoryIndex: ExposureCalculator.AdvisoryIndex?
        var advisoryIndexSeconds = Double.infinity
        for _ in 0..<runs {
            advisoryIndex = nil
            let start = ContinuousClock.now
            let built = calculator.index(advisories: advisories)
            advisoryIndexSeconds = min(advisoryIndexSeconds, seconds(since: start))
            advisoryIndex = built
        }
        let index = advisoryIndex!

        var fullSeconds = Double.infinity
        var tally = Tally()
        for _ in 0..<runs {
            var runTally = Tally()
            let start = ContinuousClock.now
            for asset in inventory {
                runTally.add(asset.id, calculator.exposures(of: asset, in: index))
            }
            fullSeconds = min(fullSeconds, seconds(since: start))
            tally = runTally
        }
        let outsideMatched = tally.exposedAssets.intersection(outsideIDs).count

        // The same work on every core, for the figure a server would see; the target uses the one-thread time.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var parallelSeconds = Double.infinity
        if cores > 1 {
            for _ in 0..<runs {
                let merged = LockedTally()
                let chunks = cores * 8
                let start = ContinuousClock.now
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    var local = 0
                    for position in stride(from: chunk, to: inventory.count, by: chunks) {
                        local += calculator.exposures(of: inventory[position], in: index).count
                    }
                    merged.add(local)
                }
                parallelSeconds = min(parallelSeconds, seconds(since: start))
                if merged.total != tally.exposures {
                    output("warning: the parallel run found \(merged.total) exposures, the one-thread run \(tally.exposures)")
                }
            }
        }

        // MARK: Whole corpus, naive, on a sample

        let sampleOrder = SeededRandom(seed: seed ^ 0x9E37_79B9).shuffled(Array(0..<assets))
        let naiveAssets = sampleOrder.prefix(min(naiveSample, assets)).map { inventory[$0] }
        var naiveResults: [[Exposure]] = []
        let naiveStart = ContinuousClock.now
        for asset in naiveAssets { naiveResults.append(calculator.naiveExposures(of: asset, to: advisories)) }
        let naiveSampleSeconds = seconds(since: naiveStart)
        let naivePerAsset = naiveSampleSeconds / Double(naiveAssets.count)
        let naiveFullSeconds = naivePerAsset * Double(assets)
        var naiveDisagreements: [String] = []
        for (asset, naive) in zip(naiveAssets, naiveResults) {
            let indexed = calculator.exposures(of: asset, in: index)
            if signature(indexed) != signature(naive) {
                naiveDisagreements.append("asset \(asset.id) (\(asset.asset.vendor) / \(asset.asset.product) / \(asset.asset.version ?? "no version")): indexed \(describe(indexed)), naive \(describe(naive))")
            }
        }
        let peakAfterCorpusKB = peakResidentKB()

        // MARK: One advisory × big inventory

        var assetIndex: ExposureCalculator.AssetIndex?
        var assetIndexSeconds = Double.infinity
        for _ in 0..<runs {
            assetIndex = nil
            let start = ContinuousClock.now
            let built = calculator.index(assets: bigAssets)
            assetIndexSeconds = min(assetIndexSeconds, seconds(since: start))
            assetIndex = built
        }
        let bigIndex = assetIndex!

        // The largest Siemens advisory (the vendor with the most advisories and the longest product lists), and the
        // largest advisory of all.
        let bySize = advisories.sorted { ($0.products.count, $1.id) > ($1.products.count, $0.id) }
        let siemens = bySize.first { $0.products.contains { VendorDirectory().vendorKeys($0.vendor).contains("siemens") } } ?? bySize[0]
        let largest = bySize[0]
        // Wall time is what the targets are about; the process's CPU time of the same run is printed next to it, since
        // on a machine busy with other work the wall time includes waiting for a core.
        func timeOne(_ advisory: MatchAdvisory) -> (seconds: Double, cpuSeconds: Double, exposures: [Exposure]) {
            var best = Double.infinity
            var bestCPU = Double.infinity
            var found: [Exposure] = []
            for _ in 0..<runs {
                let cpuStart = BenchPaths.cpuSeconds()
                let start = ContinuousClock.now
                found = calculator.exposures(to: advisory, in: bigIndex)
                let elapsed = seconds(since: start)
                if elapsed < best { (best, bestCPU) = (elapsed, BenchPaths.cpuSeconds() - cpuStart) }
                // A run that long is far from the target; repeating it only makes the benchmark slow.
                if best > slowRunSeconds { break }
            }
            return (best, bestCPU, found)
        }
        let loadBefore = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        let siemensResult = timeOne(siemens)
        let largestResult = largest.id == siemens.id ? siemensResult : timeOne(largest)

        let withProducts = advisories.filter { !$0.products.isEmpty }.sorted { $0.id < $1.id }
        let step = max(1, withProducts.count / min(advisorySample, withProducts.count))
        let spread = stride(from: step / 2, to: withProducts.count, by: step).prefix(advisorySample).map { withProducts[$0] }
        var spreadTimes: [(advisory: MatchAdvisory, seconds: Double, exposures: Int)] = []
        for advisory in spread {
            let result = timeOne(advisory)
            spreadTimes.append((advisory, result.seconds, result.exposures.count))
        }
        let loadAfter = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        let sortedTimes = spreadTimes.map(\.seconds).sorted()
        let medianSeconds = sortedTimes.count % 2 == 1 ? sortedTimes[sortedTimes.count / 2]
            : (sortedTimes[sortedTimes.count / 2 - 1] + sortedTimes[sortedTimes.count / 2]) / 2
        let slowest = spreadTimes.max { $0.seconds < $1.seconds }!
        let medianProducts = spread.map(\.products.count).sorted()[spread.count / 2]
        let medianExposures = spreadTimes.map(\.exposures).sorted()[spreadTimes.count / 2]

        // MARK: One advisory, naive, on a sample

        let bigOrder = SeededRandom(seed: seed ^ 0x7F4A_7C15).shuffled(Array(0..<bigInventory))
        let oneNaiveAssets = bigOrder.prefix(min(oneAdvisoryNaiveSample, bigInventory)).map { bigAssets[$0] }
        var oneNaiveFound: [Int64: Exposure] = [:]
        let oneNaiveStart = ContinuousClock.now
        for asset in oneNaiveAssets {
            if let exposure = calculator.naiveExposures(of: asset, to: [siemens]).first { oneNaiveFound[asset.id] = exposure }
        }
        let oneNaiveSampleSeconds = seconds(since: oneNaiveStart)
        let oneNaiveSeconds = oneNaiveSampleSeconds / Double(oneNaiveAssets.count) * Double(bigInventory)
        let sampledIDs = Set(oneNaiveAssets.map(\.id))
        let indexedInSample = Dictionary(siemensResult.exposures.filter { sampledIDs.contains($0.assetID) }.map { ($0.assetID, $0) },
                                         uniquingKeysWith: { first, _ in first })
        let oneDisagreements = sampledIDs.filter { id in
            indexedInSample[id].map { [$0] }.map(signature) != oneNaiveFound[id].map { [$0] }.map(signature)
        }.count
        let peakKB = peakResidentKB()

        // MARK: Report

        let fullRatio = naiveFullSeconds / fullSeconds
        let oneRatio = oneNaiveSeconds / siemensResult.seconds
        output("")
        output("whole corpus × \(grouped(assets)) assets")
        let fullRows: [[String]] = [
            ["  advisory index build (\(grouped(index.productCount)) products)", "\(fixed(advisoryIndexSeconds * 1000, 1)) ms", ""],
            ["  indexed match, one thread", "\(fixed(fullSeconds, 3)) s",
             "\(fixed(fullSeconds / Double(assets) * 1e6, 1)) µs/asset"],
        ] + (parallelSeconds.isFinite ? [["  indexed match, \(cores) cores", "\(fixed(parallelSeconds, 3)) s",
                                          "\(fixed(parallelSeconds / Double(assets) * 1e6, 1)) µs/asset"]] : [])
            + [["  naive, extrapolated from \(naiveAssets.count) assets", "\(fixed(naiveFullSeconds, 1)) s",
                "\(fixed(naivePerAsset * 1000, 2)) ms/asset (\(fixed(naiveSampleSeconds, 2)) s measured)"]]
        for line in table(fullRows) { output(line) }
        output("  speed-up, naive / indexed (one thread): \(fixed(fullRatio, 0))×")
        output("  exposures: \(grouped(tally.exposures)) over \(grouped(tally.exposedAssets.count)) assets (\(fixed(100 * Double(tally.exposedAssets.count) / Double(assets), 1))% of the inventory)")
        output("    by status:     " + ExposureStatus.allCases.map { "\($0.label) \(grouped(tally.byStatus[$0, default: 0]))" }.joined(separator: ", "))
        output("    by confidence: " + MatchConfidence.allCases.map { "\($0.rawValue) \(grouped(tally.byConfidence[$0, default: 0]))" }.joined(separator: ", "))
        output("    assets from vendors outside the corpus with an exposure: \(outsideMatched) (should be 0)")
        output("  naive and indexed agree on \(naiveAssets.count - naiveDisagreements.count) of the \(naiveAssets.count) sampled assets")
        for line in naiveDisagreements.prefix(5) { output("    differs: \(line)") }

        output("")
        output("one advisory × \(grouped(bigInventory)) assets")
        var oneRows: [[String]] = [
            ["  asset index build", "\(fixed(assetIndexSeconds, 2)) s", ""],
            ["  \(siemens.id) (\(siemens.products.count) products, largest Siemens)", "\(fixed(siemensResult.seconds * 1000, 1)) ms",
             "\(grouped(siemensResult.exposures.count)) assets exposed; CPU \(fixed(siemensResult.cpuSeconds * 1000, 1)) ms"],
        ]
        if largest.id != siemens.id {
            oneRows.append(["  \(largest.id) (\(largest.products.count) products, largest of all, \(largest.products[0].vendor))",
                            "\(fixed(largestResult.seconds * 1000, 1)) ms",
                            "\(grouped(largestResult.exposures.count)) assets exposed; CPU \(fixed(largestResult.cpuSeconds * 1000, 1)) ms"])
        }
        oneRows.append(["  median of \(spread.count) advisories spread over the corpus", "\(fixed(medianSeconds * 1000, 2)) ms",
                        "median \(medianProducts) products, \(grouped(medianExposures)) assets exposed"])
        oneRows.append(["  slowest of them: \(slowest.advisory.id) (\(slowest.advisory.products.count) products)",
                        "\(fixed(slowest.seconds * 1000, 1)) ms", "\(grouped(slowest.exposures)) assets exposed"])
        oneRows.append(["  naive \(siemens.id), extrapolated from \(grouped(oneNaiveAssets.count)) assets", "\(fixed(oneNaiveSeconds, 1)) s",
                        "\(fixed(oneNaiveSampleSeconds / Double(oneNaiveAssets.count) * 1e6, 1)) µs/asset (\(fixed(oneNaiveSampleSeconds, 2)) s measured)"])
        for line in table(oneRows) { output(line) }
        output("  load average (1 min) before and after the timed advisories: \(loadBefore), \(loadAfter) on \(cores) cores")
        output("  speed-up, naive / indexed (\(siemens.id)): \(fixed(oneRatio, 0))×")
        output("  naive and indexed agree on \(oneNaiveAssets.count - oneDisagreements) of the \(oneNaiveAssets.count) sampled assets")

        output("")
        output("peak memory (VmHWM): \(fixed(mb(peakAfterCorpusKB), 1)) MB after the whole-corpus part, \(fixed(mb(peakKB), 1)) MB in all (\(grouped(bigInventory)) assets indexed)")

        let fullMet = fullSeconds < targetFullSeconds
        let oneMet = siemensResult.seconds < targetOneAdvisorySeconds
        let largestMet = largestResult.seconds < targetOneAdvisorySeconds
        let medianMet = medianSeconds < targetOneAdvisorySeconds
        let fullRatioMet = fullRatio >= targetRatio
        let oneRatioMet = oneRatio >= targetRatio
        output("")
        output("targets")
        var targetRows: [[String]] = [
            ["  whole corpus × \(grouped(assets)) assets under \(fixed(targetFullSeconds, 0)) s (one thread)", "\(fixed(fullSeconds, 3)) s", met(fullMet)],
            ["  one advisory × \(grouped(bigInventory)) assets under \(fixed(targetOneAdvisorySeconds * 1000, 0)) ms: \(siemens.id)",
             "\(fixed(siemensResult.seconds * 1000, 1)) ms", met(oneMet)],
        ]
        if largest.id != siemens.id {
            targetRows.append(["    and \(largest.id), the largest", "\(fixed(largestResult.seconds * 1000, 1)) ms", met(largestMet)])
        }
        targetRows += [
            ["    and the median of \(spread.count)", "\(fixed(medianSeconds * 1000, 2)) ms", met(medianMet)],
            ["  at least \(fixed(targetRatio, 0))× faster than naive: whole corpus", "\(fixed(fullRatio, 0))×", met(fullRatioMet)],
            ["    and one advisory (\(siemens.id))", "\(fixed(oneRatio, 0))×", met(oneRatioMet)],
        ]
        for line in table(targetRows, leftAligned: [0, 2]) { output(line) }
        output("")

        let summary: [(String, String)] = [
            ("advisories", "\(advisories.count)"),
            ("products", "\(productCount)"),
            ("assets", "\(assets)"),
            ("big_inventory", "\(bigInventory)"),
            ("load_seconds", fixed(loadSeconds, 3)),
            ("advisory_index_seconds", fixed(advisoryIndexSeconds, 4)),
            ("full_match_seconds", fixed(fullSeconds, 4)),
            ("full_match_parallel_seconds", parallelSeconds.isFinite ? fixed(parallelSeconds, 4) : "null"),
            ("exposures", "\(tally.exposures)"),
            ("exposed_assets", "\(tally.exposedAssets.count)"),
            ("outside_assets_matched", "\(outsideMatched)"),
            ("naive_full_seconds_extrapolated", fixed(naiveFullSeconds, 2)),
            ("naive_sample", "\(naiveAssets.count)"),
            ("naive_disagreements", "\(naiveDisagreements.count)"),
            ("full_ratio", fixed(fullRatio, 1)),
            ("asset_index_seconds", fixed(assetIndexSeconds, 3)),
            ("one_advisory", "\"\(siemens.id)\""),
            ("one_advisory_seconds", fixed(siemensResult.seconds, 5)),
            ("one_advisory_cpu_seconds", fixed(siemensResult.cpuSeconds, 5)),
            ("largest_advisory", "\"\(largest.id)\""),
            ("largest_advisory_seconds", fixed(largestResult.seconds, 5)),
            ("largest_advisory_cpu_seconds", fixed(largestResult.cpuSeconds, 5)),
            ("slowest_sampled_advisory", "\"\(slowest.advisory.id)\""),
            ("slowest_sampled_advisory_seconds", fixed(slowest.seconds, 5)),
            ("median_advisory_seconds", fixed(medianSeconds, 5)),
            ("naive_one_seconds_extrapolated", fixed(oneNaiveSeconds, 2)),
            ("naive_one_sample", "\(oneNaiveAssets.count)"),
            ("one_ratio", fixed(oneRatio, 1)),
            ("peak_mb", fixed(mb(peakKB), 1)),
            ("runs", "\(runs)"),
            ("target_full_met", "\(fullMet)"),
            ("target_one_met", "\(oneMet)"),
            ("target_median_met", "\(medianMet)"),
            ("target_full_ratio_met", "\(fullRatioMet)"),
            ("target_one_ratio_met", "\(oneRatioMet)"),
        ]
        output("{" + summary.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
    }

    /// `--only`: the named advisories against the big inventory, each timed `runs` times, and nothing else (for
    /// profiling one advisory without the rest of the benchmark).
    static func runOnly(_ ids: [String], advisories: [MatchAdvisory], bigAssets: [MatchAsset],
                        calculator: ExposureCalculator, runs: Int, output: (String) -> Void) throws {
        let start = ContinuousClock.now
        let bigIndex = calculator.index(assets: bigAssets)
        output("asset index build: \(fixed(seconds(since: start), 2)) s")
        for id in ids {
            guard let advisory = advisories.first(where: { $0.id == id }) else {
                throw Failure(message: "vigil-bench match: no advisory \(id) in the corpus")
            }
            var times: [(wall: Double, cpu: Double)] = []
            var count = 0
            for _ in 0..<runs {
                let cpuStart = BenchPaths.cpuSeconds()
                let runStart = ContinuousClock.now
                count = calculator.exposures(to: advisory, in: bigIndex).count
                times.append((seconds(since: runStart), BenchPaths.cpuSeconds() - cpuStart))
            }
            let best = times.min { $0.wall < $1.wall }!
            let bestCPU = times.map(\.cpu).min()!
            output("\(id) (\(advisory.products.count) products): best \(fixed(best.wall * 1000, 1)) ms (CPU \(fixed(best.cpu * 1000, 1)) ms), "
                   + "least CPU \(fixed(bestCPU * 1000, 1)) ms, of \(runs) runs; \(grouped(count)) assets exposed")
        }
    }

    // MARK: Corpus

    /// The advisories read from the corpus folder, and the files that could not be read, with the reason.
    struct Corpus {
        var advisories: [MatchAdvisory]
        var failures: [String]
    }

    /// Every CSAF advisory under `folder`, in path order; files that are not CSAF advisories (provider metadata,
    /// feeds) are skipped, and files that fail to read are listed with the reason.
    static func loadCorpus(_ folder: URL) throws -> Corpus {
        let root = folder.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(message: "vigil-bench match: the corpus folder \(root) does not exist; pass the CISA provider folder")
        }
        var paths: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasSuffix(".json") { paths.append(relative) }
        }
        paths.sort()
        var corpus = Corpus(advisories: [], failures: [])
        for relative in paths {
            guard let data = FileManager.default.contents(atPath: root + "/" + relative) else {
                corpus.failures.append("\(relative): could not be read")
                continue
            }
            do {
                guard case .csaf(let parsed) = try CSAFDocumentReader.read([UInt8](data)) else { continue }
                corpus.advisories.append(MatchAdvisory(id: parsed.advisory.id, products: parsed.advisory.products))
            } catch {
                corpus.failures.append("\(relative): \(error.message)")
            }
        }
        return corpus
    }

    // MARK: Counting

    /// Exposures counted by status and confidence, and the assets that have any.
    struct Tally {
        var exposures = 0
        var exposedAssets = Set<Int64>()
        var byStatus: [ExposureStatus: Int] = [:]
        var byConfidence: [MatchConfidence: Int] = [:]

        mutating func add(_ assetID: Int64, _ found: [Exposure]) {
            guard !found.isEmpty else { return }
            exposures += found.count
            exposedAssets.insert(assetID)
            for exposure in found {
                byStatus[exposure.status, default: 0] += 1
                byConfidence[exposure.confidence, default: 0] += 1
            }
        }
    }

    /// An exposure count the parallel run's chunks add to. Unchecked: every access holds the lock.
    final class LockedTally: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0

        func add(_ value: Int) {
            lock.lock()
            count += value
            lock.unlock()
        }

        var total: Int {
            lock.lock()
            defer { lock.unlock() }
            return count
        }
    }

    /// What two results must share to count as the same answer: advisory, asset, status and confidence per exposure.
    static func signature(_ exposures: [Exposure]) -> [String] {
        exposures.map { "\($0.assetID) \($0.advisoryID) \($0.status.rawValue) \($0.confidence.rawValue)" }.sorted()
    }

    static func describe(_ exposures: [Exposure]) -> String {
        exposures.isEmpty ? "none" : exposures.map { "\($0.advisoryID) \($0.status.label)" }.joined(separator: ", ")
    }

    // MARK: Figures

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let (whole, attoseconds) = (ContinuousClock.now - start).components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The peak resident set size of this process (VmHWM), in kB; 0 where /proc is not available.
    static func peakResidentKB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }

    static func mb(_ kilobytes: Int) -> Double { Double(kilobytes) * 1024 / 1_000_000 }

    static func met(_ flag: Bool) -> String { flag ? "met" : "not met" }

    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (position, character) in digits.reversed().enumerated() {
            if position > 0, position % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + String(out.reversed())
    }

    static func table(_ rows: [[String]], leftAligned: Set<Int> = [0, 2]) -> [String] {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return leftAligned.contains(column) ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}

// MARK: - Synthetic inventory

extension MatchBenchmark {
    /// SplitMix64: a small seeded generator, so the inventories are the same on every run and machine.
    struct SeededRandom {
        private var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// A number in `0..<bound`.
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

        /// True with probability `percent`/100.
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

        /// Fisher–Yates with this generator.
        func shuffled<T>(_ items: [T]) -> [T] {
            var copy = self
            var items = items
            for position in stride(from: items.count - 1, to: 0, by: -1) {
                items.swapAt(position, copy.below(position + 1))
            }
            return items
        }
    }

    /// Assets drawn from the corpus's products (vendor spelled in several ways, a model number when the product lists
    /// some, a version just below or just above one of the range's bounds) and, one in five, from made-up vendors
    /// that no advisory names.
    struct InventoryGenerator {
        let products: [AffectedProduct]
        var random: SeededRandom
        /// Range text → the bound versions of its reading (`vers:generic/>=7.80|<9.40` → `7.80`, `9.40`).
        private var bounds: [String: [String]] = [:]
        private let outsideVendors: [String]
        /// The assets from made-up vendors: none of them may match anything.
        private(set) var outsideIDs = Set<Int64>()

        init(products: [AffectedProduct], directory: VendorDirectory, seed: UInt64) {
            self.products = products
            random = SeededRandom(seed: seed)
            let corpusKeys = Set(products.flatMap { directory.vendorKeys($0.vendor) })
            var names: [String] = []
            var nameRandom = SeededRandom(seed: seed ^ 0xA5A5_A5A5)
            let first = ["Nor", "Kel", "Vand", "Tras", "Quil", "Brem", "Oxa", "Zen", "Lum", "Dar", "Ferr", "Hal", "Istr", "Jov"]
            let second = ["vale", "tron", "aris", "ex", "ode", "ion", "umbra", "ford", "etic", "anta", "ivo", "ust"]
            let third = ["Controls", "Automation", "Industrial", "Systems", "Energy", "Instruments", "Robotics", "Grid"]
            while names.count < 60 {
                let name = nameRandom.pick(first) + nameRandom.pick(second) + " " + nameRandom.pick(third)
                if !names.contains(name), directory.vendorKeys(name).allSatisfy({ !corpusKeys.contains($0) }) { names.append(name) }
            }
            outsideVendors = names
        }

        mutating func next(id: Int64) -> MatchAsset {
            if random.chance(20) {
                outsideIDs.insert(id)
                return MatchAsset(id: id, asset: outsideAsset())
            }
            let product = random.pick(products)
            var asset = AssetDraft(vendor: spell(vendor: product.vendor), product: spell(product: product.product, vendor: product.vendor))
            if !product.modelNumbers.isEmpty, random.chance(60) {
                var model = random.pick(product.modelNumbers)
                // Inventories write order numbers with and without separators.
                if random.chance(30) { model = model.replacingOccurrences(of: "-", with: " ") }
                asset.modelNumber = model
            }
            asset.version = version(around: product.version ?? "*")
            asset.site = "Plant \(random.below(40) + 1)"
            return MatchAsset(id: id, asset: asset)
        }

        private mutating func spell(vendor: String) -> String {
            switch random.below(20) {
            case 0..<11: return vendor
            case 11..<14: return vendor + random.pick([" AG", " Inc.", " GmbH", ", Inc.", " Corporation", " Ltd."])
            case 14..<17: return vendor.uppercased()
            default: return vendor.lowercased()
            }
        }

        private mutating func spell(product: String, vendor: String) -> String {
            switch random.below(10) {
            case 0..<7: return product
            case 7: return vendor + " " + product
            case 8: return product.uppercased()
            default: return product + " firmware"
            }
        }

        private mutating func version(around rangeText: String) -> String? {
            if bounds[rangeText] == nil { bounds[rangeText] = Self.boundVersions(of: rangeText) }
            let candidates = bounds[rangeText]!
            let roll = random.below(100)
            if roll < 4 { return nil }
            guard !candidates.isEmpty, roll >= 8 else { return randomVersion() }
            let bound = random.pick(candidates)
            let below = roll < 54
            guard let nudged = Self.nudge(bound, down: below) ?? Self.nudge(bound, down: !below) else { return randomVersion() }
            return random.chance(40) && nudged.first?.isNumber == true && !nudged.contains("-") ? "V" + nudged : nudged
        }

        private mutating func randomVersion() -> String {
            "V\(random.below(6)).\(random.below(20)).\(random.below(10))"
        }

        private mutating func outsideAsset() -> AssetDraft {
            let letters = Array("ABCDEFGHJKLMNPRSTUVWXZ")
            let family = ["Flux", "Orbis", "Kestrel", "Meridian", "Tundra", "Halcyon", "Ridge", "Vector", "Sable", "Nimbus"]
            let kind = ["Gateway", "Controller", "Drive", "Panel", "Historian", "Switch", "Relay", "Sensor Hub", "Router"]
            let product = "\(random.pick(family)) \(random.pick(kind)) \(letters[random.below(letters.count)])\(letters[random.below(letters.count)])-\(random.below(900) + 100)"
            return AssetDraft(vendor: random.pick(outsideVendors), product: product, version: randomVersion(),
                              modelNumber: random.chance(30) ? "X\(random.below(90_000) + 10_000)-\(random.below(90) + 10)" : nil,
                              site: "Plant \(random.below(40) + 1)")
        }

        /// The versions a range's reading is bounded by, from its normalised vers form; none for `all versions` and
        /// for readings with no vers form (branches, unreadable text).
        static func boundVersions(of text: String) -> [String] {
            guard let normalized = VendorRange.read(text).normalized, normalized != "vers:all/*",
                  let slash = normalized.firstIndex(of: "/") else { return [] }
            return normalized[normalized.index(after: slash)...].split(separator: "|").map { constraint in
                String(constraint.drop { "<>=!".contains($0) })
            }.filter { !$0.isEmpty && $0 != "*" }
        }

        /// The version just below or just above `version`: `2.14.1` → `2.14.0` / `2.14.2`, `4.0` → `3.99` / `4.1`,
        /// `2023-07-21` → `2023-07-20` / `2023-07-22`; nil when there is no such version to write.
        static func nudge(_ version: String, down: Bool) -> String? {
            let parts = version.split(separator: "-")
            if parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isNumber) }), parts[0].count == 4,
               let day = Int(parts[2]) {
                let shifted = min(28, max(1, day + (down ? -1 : 1)))
                guard shifted != day else { return nil }
                return "\(parts[0])-\(parts[1])-\(shifted < 10 ? "0" : "")\(shifted)"
            }
            let numeric = version.prefix { $0.isNumber || $0 == "." }
            var numbers = numeric.split(separator: ".").compactMap { Int($0) }
            guard !numbers.isEmpty else { return nil }
            if !down {
                numbers[numbers.count - 1] += 1
            } else {
                guard let last = numbers.lastIndex(where: { $0 > 0 }) else { return nil }
                numbers[last] -= 1
                for position in numbers.index(after: last)..<numbers.count { numbers[position] = 99 }
            }
            return numbers.map(String.init).joined(separator: ".")
        }
    }
}
