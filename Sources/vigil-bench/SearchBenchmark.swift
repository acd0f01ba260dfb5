import ArgumentParser
import Foundation
import Storage
import Store

/// `vigil-bench search`: search latency over a store's own data, as the web search box and the API run it.
struct SearchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Time 1,000 searches (CVE IDs, vendors, title words, prefixes, two words, with and without filters) on a store.",
        discussion: """
            The queries come from the store's own advisories, in a fixed order, so SQLite and PostgreSQL holding the \
            same corpus answer the same queries. 50 warm-up queries are not counted. Prints p50, p90, p99 and the \
            slowest, and a JSON line (--json) for scripts. Import a corpus first (vigil import --db …).
            """)

    @Option(name: .long, help: ArgumentHelp(
        "The database: a SQLite file, or postgres://USER@HOST:PORT/NAME (default: $VIGIL_DB, else ./vigil.sqlite).",
        valueName: "path|url"))
    var db: String?
    @Option(help: "Queries timed.") var queries = 1000
    @Flag(help: "Print one JSON line.") var json = false

    struct Figures: Codable {
        var backend: String
        var queries: Int
        var p50ms: Double
        var p90ms: Double
        var p99ms: Double
        var maxms: Double
        var meanResults: Double
    }

    func run() async throws {
        let path = db ?? ProcessInfo.processInfo.environment["VIGIL_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "vigil.sqlite"
        let store = try await StoreLocation(path).open(environment: ProcessInfo.processInfo.environment)
        let sample = try await store.search(AdvisoryQuery(perPage: 500)).items
        guard !sample.isEmpty else {
            printError("vigil-bench search: \(store.path) holds no advisories; import a corpus first")
            throw ExitCode(2)
        }
        let vendors = try await store.vendors()
        var cves: [String] = []
        for summary in sample.prefix(60) {
            if let advisory = try await store.advisory(id: summary.id) { cves += advisory.advisory.cves.prefix(2) }
        }
        let words = sample.flatMap { $0.title.split(separator: " ").map(String.init) }.filter { $0.count >= 4 && $0.allSatisfy(\.isLetter) }
        var mix: [AdvisoryQuery] = []
        var index = 0
        while mix.count < queries + 50 {
            let word = words[index % max(words.count, 1)]
            switch index % 8 {
            case 0: mix.append(AdvisoryQuery(text: cves.isEmpty ? word : cves[index % cves.count]))
            case 1: mix.append(AdvisoryQuery(text: vendors[index % vendors.count].name))
            case 2: mix.append(AdvisoryQuery(text: word))
            case 3: mix.append(AdvisoryQuery(text: String(word.prefix(4))))
            case 4: mix.append(AdvisoryQuery(text: word + " " + words[(index * 7 + 3) % words.count]))
            case 5: mix.append(AdvisoryQuery(text: word, vendor: vendors[index % vendors.count].slug))
            case 6: mix.append(AdvisoryQuery(severity: .critical, page: 1 + index % 3))
            default: mix.append(AdvisoryQuery(text: sample[index % sample.count].id))
            }
            index += 1
        }
        var timings: [Double] = []
        var results = 0
        for (position, query) in mix.enumerated() {
            let started = ContinuousClock.now
            let page = try await store.search(query)
            let elapsed = (ContinuousClock.now - started).seconds * 1000
            if position >= 50 {
                timings.append(elapsed)
                results += page.total
            }
        }
        timings.sort()
        func percentile(_ p: Double) -> Double { timings[min(timings.count - 1, Int(Double(timings.count) * p))] }
        let figures = Figures(backend: store.backend.rawValue, queries: timings.count, p50ms: percentile(0.5), p90ms: percentile(0.9),
                              p99ms: percentile(0.99), maxms: timings.last ?? 0, meanResults: Double(results) / Double(timings.count))
        await store.close()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
        } else {
            func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
            print("\(figures.backend) search, \(figures.queries) queries: p50 \(ms(figures.p50ms)), p90 \(ms(figures.p90ms)), "
                  + "p99 \(ms(figures.p99ms)), slowest \(ms(figures.maxms)) (target p99 under 20 ms: \(figures.p99ms < 20 ? "met" : "not met"))")
        }
    }
}
