import Alerts
import ArgumentParser
import CSAF
import Foundation
import NIOPosix
import Sources
import Storage
import Store
import VigilTestSupport

/// `vigil-bench alerts`: alert latency and delivery throughput against a local SMTP server (`SMTPPeer`, aiosmtpd),
/// with many organisations and watches in a fresh SQLite store.
struct AlertBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Time alerts from a newly stored advisory to the SMTP server accepting each message, and delivery throughput.",
        discussion: """
            Creates ORGS organisations with WATCHES watches in all and one email channel each, starts aiosmtpd on a free \
            loopback port, then stores fresh copies of CISA advisories one at a time (dates rewritten to now, so they are \
            news, not history) and runs alert creation and delivery as vigil serve does. Latency is from the moment the \
            advisory is handed to the store to the moment the SMTP server has the whole message; throughput is measured \
            on one advisory that alerts every organisation. Needs `pip install aiosmtpd`.
            """)

    @Option(help: ArgumentHelp("The provider folder (default: ../shared/data/providers/cisa).", valueName: "path"))
    var corpus: String?
    @Option var organisations = 1_000
    @Option var watches = 10_000
    @Option(help: "How many advisories to publish one after another for the latency figures.") var advisories = 40
    @Option var python = "python3"

    static let targetP99 = 5.0
    static let targetThroughput = 200.0

    func run() async throws {
        let corpusPath = BenchPaths.absolute(corpus ?? ImportBenchmark.defaultCorpus)
        let files = try Self.advisoryFiles(corpusPath)
        guard files.count >= advisories + 1 else {
            printError("vigil-bench alerts: \(corpusPath) holds \(files.count) CSAF files; need at least \(advisories + 1).")
            throw ExitCode(2)
        }
        let folder = try BenchPaths.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let smtp = try SMTPPeer(folder: URL(fileURLWithPath: folder), options: .init(python: try benchPython(python), arrivalsOnly: true))
        defer { smtp.stop() }
        let store = try SQLiteStore(path: folder + "/bench.sqlite")

        // Organisations, channels and watches: vendors drawn from the corpus so that advisories alert many of them.
        let vendors = try Self.topVendors(files: files, count: 40)
        let setupStart = ContinuousClock.now
        let perOrganisation = max(watches / max(organisations, 1), 1)
        for index in 0..<organisations {
            guard let org = try await store.organisation(named: "Org \(index)", create: true) else {
                throw ValidationError("the store did not create the organisation Org \(index)")
            }
            _ = try await store.addChannel(.init(name: "ops", kind: .email, target: "ops-\(index)@bench.example"), organisationID: org.id)
            for w in 0..<perOrganisation {
                let draft: StoredWatch.Draft = switch (index + w) % 5 {
                case 0, 1, 2: .init(kind: "vendor", value: vendors[(index * 7 + w * 13) % vendors.count])
                case 3: .init(kind: "min_cvss", value: String(9.0 + Double((index + w) % 10) / 10))
                default: .init(kind: "keyword", value: ["PLC", "HMI", "SCADA", "firmware", "gateway"][(index + w) % 5])
                }
                _ = try await store.addWatch(draft, organisationID: org.id)
            }
        }
        // The broadcast advisory for the throughput figure is watched by everyone.
        let everyone = "vigil-bench-broadcast"
        for org in try await store.organisations() { _ = try await store.addWatch(.init(kind: "keyword", value: everyone), organisationID: org.id) }
        print("setup: \(organisations.grouped) organisations, \((perOrganisation * organisations + organisations).grouped) watches, "
              + "\(organisations.grouped) email channels, aiosmtpd on 127.0.0.1:\(smtp.port) (\(String(format: "%.1f", (ContinuousClock.now - setupStart).seconds)) s)")

        let smtpConfiguration = SMTPConfiguration(host: "127.0.0.1", port: smtp.port, security: .plaintext, timeout: .seconds(30),
                                                  from: MailAddress("bench@vigil.example"))
        let creator = AlertCreator(store: store)
        try await DeliveryRuntime.with(store: store) { runtime in
            let dispatcher = AlertDispatcher(store: store, configuration: .init(smtp: smtpConfiguration, baseURL: "https://vigil.example"),
                                             httpClient: runtime.httpClient, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            // Latency: one advisory at a time, each carried from the store to every message it causes.
            var latencies: [Double] = []
            var alertsTotal = 0
            let step = max(files.count / advisories, 1)
            for k in 0..<advisories {
                let path = try Self.freshCopy(files[k * step], into: folder, tag: "l\(k)", extraTitle: nil)
                let before = try smtp.receipts().count
                let t0 = Date().timeIntervalSince1970
                _ = try await LocalImporter().run(paths: [path], into: store)
                alertsTotal += try await creator.processPending().alertsCreated
                _ = try await dispatcher.runOnce()
                latencies += try smtp.receipts().dropFirst(before).map { $0 - t0 }
            }
            latencies.sort()
            func percentile(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(Int(Double(latencies.count - 1) * p), latencies.count - 1)] }
            let p50 = percentile(0.5), p99 = percentile(0.99)
            print("latency: \(advisories) advisories stored one at a time → \(alertsTotal.grouped) alerts, \(latencies.count.grouped) messages accepted")
            print(String(format: "  store → SMTP accepted: median %.3f s, p99 %.3f s, max %.3f s (target p99 < %.0f s: %@)",
                         p50, p99, latencies.last ?? .nan, Self.targetP99, p99 < Self.targetP99 ? "met" : "not met"))
            print("  in vigil serve, alert creation and delivery run every second, which adds up to 1 s to these figures")

            // Throughput: one advisory that alerts every organisation.
            let broadcast = try Self.freshCopy(files[files.count - 1], into: folder, tag: "broadcast", extraTitle: everyone)
            _ = try await LocalImporter().run(paths: [broadcast], into: store)
            let createStart = ContinuousClock.now
            let created = try await creator.processPending().alertsCreated
            let createSeconds = (ContinuousClock.now - createStart).seconds
            let before = try smtp.receipts().count
            let sendStart = ContinuousClock.now
            let summary = try await dispatcher.runOnce()
            let sendSeconds = (ContinuousClock.now - sendStart).seconds
            let accepted = try smtp.receipts().count - before
            let rate = Double(accepted) / sendSeconds
            print("throughput: one advisory alerting \(created.grouped) organisations; alerts created in \(String(format: "%.2f", createSeconds)) s")
            print(String(format: "  %d messages accepted by the SMTP server in %.2f s: %.0f messages/s (target ≥ %.0f/s: %@); %d to retry, %d failed",
                         accepted, sendSeconds, rate, Self.targetThroughput, rate >= Self.targetThroughput ? "met" : "not met",
                         summary.retrying, summary.failed))
            let json = String(format: #"{"organisations":%d,"watches":%d,"messages":%d,"latency_p50_s":%.4f,"latency_p99_s":%.4f,"throughput_per_s":%.1f,"target_p99_met":%@,"target_throughput_met":%@}"#,
                              organisations, perOrganisation * organisations + organisations, latencies.count, p50, p99, rate,
                              p99 < Self.targetP99 ? "true" : "false", rate >= Self.targetThroughput ? "true" : "false")
            print(json)
        }
    }

    /// The CSAF files of a provider folder, sorted.
    static func advisoryFiles(_ folder: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        for case let relative as String in enumerator where relative.hasSuffix(".json") && relative.contains("csaf_files")
            && !(relative.split(separator: "/").last ?? "").contains("feed") {
            files.append(folder + "/" + relative)
        }
        return files.sorted()
    }

    /// The most frequent vendors of a sample of the corpus.
    static func topVendors(files: [String], count: Int) throws -> [String] {
        var tally: [String: Int] = [:]
        for path in stride(from: 0, to: files.count, by: 5).map({ files[$0] }) {
            guard case .csaf(let parsed) = try CSAFDocumentReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) else { continue }
            for vendor in parsed.advisory.vendors { tally[vendor, default: 0] += 1 }
        }
        return tally.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(count).map(\.key)
    }

    /// A copy of a document as if published now, under a new tracking ID, optionally with a word added to its title.
    static func freshCopy(_ path: String, into folder: String, tag: String, extraTitle: String?) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var document = object["document"] as? [String: Any], var tracking = document["tracking"] as? [String: Any] else {
            throw ValidationError("\(path) is not a CSAF document")
        }
        let now = Timestamp.format(Date())
        tracking["initial_release_date"] = now
        tracking["current_release_date"] = now
        tracking["id"] = "BENCH-\(tag)-" + ((tracking["id"] as? String) ?? "X")
        var history = (tracking["revision_history"] as? [[String: Any]]) ?? []
        if history.isEmpty { history = [["number": tracking["version"] ?? "1", "date": now, "summary": "Initial"]] }
        for index in history.indices { history[index]["date"] = now }
        tracking["revision_history"] = history
        document["tracking"] = tracking
        if let extraTitle { document["title"] = "\((document["title"] as? String) ?? "") \(extraTitle)" }
        object["document"] = document
        let out = folder + "/\(tag).json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: out))
        return out
    }
}
