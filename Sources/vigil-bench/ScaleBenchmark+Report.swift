import Foundation

/// The scale benchmark's summary: one column per corpus size, the growth of each figure per tenfold step, the targets
/// of issue 20 judged on the largest size measured, the load average around the run, and a JSON line with everything.
struct ScaleReport {
    let runs: [ScaleFigures]
    let loadBefore: String
    let loadAfter: String
    let postgres: Bool

    /// A figure per size.
    struct Row {
        var name: String
        var digits: Int
        var values: [Double]
    }

    var rows: [Row] {
        func row(_ name: String, _ digits: Int, _ value: (ScaleFigures) -> Double) -> Row {
            Row(name: name, digits: digits, values: runs.map(value))
        }
        var rows = [
            row("JSON, MB", 1) { Double($0.jsonBytes) / 1_000_000 },
            row("import, documents/s", 0) { $0.importRate },
            row("import, seconds", 2) { $0.importSeconds },
            row("import, CPU ms/document", 3) { $0.importCPUMillisecondsPerDocument },
            row("import, peak RSS MB", 1) { $0.importPeakMB },
            row("rejected", 0) { Double($0.rejected) },
            row("store, MB", 1) { Double($0.storeBytes) / 1_000_000 },
            row("store, kB/document", 2) { $0.storeKBPerDocument },
            row("store / JSON", 2) { $0.storeRatio },
            row("search p50, ms", 2) { $0.searchP50 },
            row("search p99, ms", 2) { $0.searchP99 },
        ]
        for (index, search) in (runs.first?.searches ?? []).enumerated() {
            rows.append(row("  \(search.name) p99, ms", 2) { index < $0.searches.count ? $0.searches[index].p99 : 0 })
        }
        for (index, page) in (runs.first?.pages ?? []).enumerated() {
            rows.append(row("page \(page.name) p50, ms", 2) { index < $0.pages.count ? $0.pages[index].p50 : 0 })
            rows.append(row("page \(page.name) p99, ms", 2) { index < $0.pages.count ? $0.pages[index].p99 : 0 })
        }
        rows += [
            row("pages, requests/s", 0) { $0.serveRequestsPerSecond },
            row("serve peak RSS, MB", 1) { $0.servePeakMB },
            row("inventory import + exposures, s", 2) { $0.inventorySeconds },
            row("exposures recompute, s", 2) { $0.recomputeSeconds },
            row("exposures", 0) { Double($0.exposures) },
        ]
        return rows
    }

    /// Steps between consecutive sizes, as (from, to).
    var steps: [(Int, Int)] { zip(runs.indices, runs.indices.dropFirst()).map { ($0, $1) } }

    /// The growth of `values` from size `from` to size `to`, scaled to a tenfold step: (b / a)^(1 / log10(N_b / N_a)).
    /// Nil where a figure is zero (nothing to scale).
    func growth(_ values: [Double], _ step: (Int, Int)) -> Double? {
        let (a, b) = step
        guard values[a] > 0, values[b] > 0, runs[b].documents > runs[a].documents else { return nil }
        let decades = log10(Double(runs[b].documents) / Double(runs[a].documents))
        return pow(values[b] / values[a], 1 / decades)
    }

    struct Target {
        var text: String
        var figure: String
        var met: Bool?
        var key: String
    }

    var targets: [Target] {
        guard let last = runs.last else { return [] }
        let searchGrowth = steps.last.flatMap { growth(runs.map(\.searchP99), $0) }
        let pageGrowth = steps.last.flatMap { growth(runs.map(\.worstPageP99), $0) }
        let worstPage = last.pages.max { $0.p99 < $1.p99 }
        return [
            Target(text: "import at least \(Int(ScaleBenchmark.targetImportRate).grouped) documents/s", figure: "\(Int(last.importRate).grouped)/s",
                   met: last.importRate >= ScaleBenchmark.targetImportRate, key: "import_rate"),
            Target(text: "search p99 under \(Int(ScaleBenchmark.targetSearchP99)) ms", figure: String(format: "%.2f ms", last.searchP99),
                   met: last.searchP99 < ScaleBenchmark.targetSearchP99, key: "search_p99"),
            Target(text: "every page p99 under \(Int(ScaleBenchmark.targetPageP99)) ms under load",
                   figure: String(format: "%.2f ms", last.worstPageP99) + " (\(worstPage?.name ?? "none"))",
                   met: !last.pages.isEmpty && last.worstPageP99 < ScaleBenchmark.targetPageP99, key: "page_p99"),
            Target(text: "store under \(Int(ScaleBenchmark.targetStoreRatio))× the raw JSON", figure: String(format: "%.2f×", last.storeRatio),
                   met: last.storeRatio < ScaleBenchmark.targetStoreRatio, key: "store_ratio"),
            Target(text: "serve RSS under \(Int(ScaleBenchmark.targetServeMB)) MB", figure: String(format: "%.1f MB", last.servePeakMB),
                   met: last.servePeakMB > 0 && last.servePeakMB < ScaleBenchmark.targetServeMB, key: "serve_rss"),
            Target(text: "search p99 grows under \(Int(ScaleBenchmark.targetGrowth))× per tenfold",
                   figure: searchGrowth.map { String(format: "%.2f×", $0) } ?? "one size only",
                   met: searchGrowth.map { $0 < ScaleBenchmark.targetGrowth }, key: "search_growth"),
            Target(text: "worst page p99 grows under \(Int(ScaleBenchmark.targetGrowth))× per tenfold",
                   figure: pageGrowth.map { String(format: "%.2f×", $0) } ?? "one size only",
                   met: pageGrowth.map { $0 < ScaleBenchmark.targetGrowth }, key: "page_growth"),
        ]
    }

    func lines() -> [String] {
        guard !runs.isEmpty else { return ["no sizes were measured"] }
        var out: [String] = []
        let header = ["documents"] + runs.map { $0.documents.grouped } + steps.map { "×/10× \(runs[$0.0].documents.grouped)→\(runs[$0.1].documents.grouped)" }
        var table = [header]
        for row in rows {
            table.append([row.name] + row.values.map { String(format: "%.\(row.digits)f", $0) }
                         + steps.map { step in growth(row.values, step).map { String(format: "%.2f", $0) } ?? "—" })
        }
        out += Self.align(table)
        out.append("")
        out.append("growth: a figure at the larger size divided by the figure at the smaller, scaled to a tenfold step "
                   + "((b/a)^(1/log10(Nb/Na))); 1.00 is flat, 10.00 linear in the corpus")
        out.append("")
        let largest = runs[runs.count - 1].documents
        out.append("targets of issue 20 (set at 250,000 documents on SQLite; judged here at \(largest.grouped)\(postgres ? ", on PostgreSQL" : ""))")
        out += Self.align(targets.map { ["  " + $0.text, $0.figure, $0.met.map { $0 ? "met" : "not met" } ?? "not measured"] })
        out.append("")
        out.append("load average before: \(loadBefore); after: \(loadAfter)")
        out.append(json())
        return out
    }

    func json() -> String {
        struct Summary: Encodable {
            var cores: Int
            var backend: String
            var loadBefore: String
            var loadAfter: String
            var runs: [ScaleFigures]
            var growthPerTenfold: [String: [String: Double]]
            var targets: [String: Bool?]
            enum CodingKeys: String, CodingKey {
                case cores, backend, runs, targets
                case loadBefore = "loadavg_before"
                case loadAfter = "loadavg_after"
                case growthPerTenfold = "growth_per_tenfold"
            }
        }
        var growth: [String: [String: Double]] = [:]
        for step in steps {
            let key = "\(runs[step.0].documents)-\(runs[step.1].documents)"
            var figures: [String: Double] = [:]
            for row in rows { if let value = self.growth(row.values, step) { figures[row.name.trimmingCharacters(in: .whitespaces)] = value } }
            growth[key] = figures
        }
        var targetFlags: [String: Bool?] = [:]
        for target in targets { targetFlags[target.key] = target.met }
        let summary = Summary(cores: ProcessInfo.processInfo.activeProcessorCount, backend: postgres ? "postgres" : "sqlite",
                              loadBefore: loadBefore, loadAfter: loadAfter, runs: runs, growthPerTenfold: growth, targets: targetFlags)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Columns padded: the first left-aligned, the rest right-aligned.
    static func align(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
    }
}
