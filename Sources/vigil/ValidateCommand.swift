import ArgumentParser
import CSAF
import Foundation
import Sources

/// `vigil validate PATH... [--json] [--profile mandatory|optional|informative]`: the CSAF 2.0 §6 tests, offline.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Run the CSAF 2.0 standard's tests (§6) over documents, offline.",
        discussion: """
            Every document gets each finding with its test number (6.1.1 …), group, JSON path and a sentence for its \
            author. --profile mandatory runs the mandatory tests only; optional adds the optional ones; informative \
            (the default) runs all. Exits with status 1 when any document fails a mandatory test or cannot be read \
            as a CSAF document, 2 when a path does not exist. Tests that do not run are named: 6.3.6 and 6.3.7 \
            (they need the network: --online requests every URL they concern, once each), 6.3.8 (no dictionary). \
            CWEs are checked against MITRE's list, version 4.14.
            """)

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        case mandatory, optional, informative

        var groups: Set<ConformanceGroup> {
            switch self {
            case .mandatory: [.mandatory]
            case .optional: [.mandatory, .optional]
            case .informative: Set(ConformanceGroup.allCases)
            }
        }
    }

    @Argument(help: ArgumentHelp("CSAF documents, or folders to search for them.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Print a machine-readable report on standard output.")
    var json = false

    @Option(help: "The tests to run: mandatory, optional (with mandatory) or informative (all).")
    var profile: Profile = .informative

    @Flag(help: "Run 6.3.6 and 6.3.7 too: request every URL they concern (with the informative profile).")
    var online = false

    @Flag(name: .customLong("allow-private-network"), help: "With --online, also request private and loopback addresses.")
    var allowPrivateNetwork = false

    func validate() throws {
        if online, profile != .informative { throw ValidationError("--online runs informative tests (6.3.6, 6.3.7): use it with --profile informative") }
    }

    func run() async throws {
        var report: ConformanceRun.Report
        do {
            report = try ConformanceRun.run(paths: paths, groups: profile.groups, links: online)
        } catch {
            printError("vigil validate: \(error)")
            throw ExitCode(2)
        }
        if online {
            var policy = FetchPolicy()
            policy.attempts = 1
            policy.timeout = 30
            let allow = allowPrivateNetwork
            report = try await HTTPFetcher.with(policy: policy) { [report] fetcher in
                var resolved = report
                await ConformanceRun.resolve(&resolved, fetcher: fetcher, allowPrivateNetwork: allow)
                return resolved
            }
        }
        let ran: Set<String> = online ? ["6.3.6", "6.3.7"] : []
        let notRun = CSAFConformance.notRun.filter { id in profile.groups.contains(CSAFConformance.group(of: id.id)) && !ran.contains(id.id) }
        if json {
            struct Output: Encodable {
                struct NotRun: Encodable { var test: String; var reason: String }
                var files: [ConformanceRun.FileResult]
                var notRun: [NotRun]
                var skipped: [String]
                enum CodingKeys: String, CodingKey { case files, notRun = "not_run", skipped }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
            let output = Output(files: report.files, notRun: notRun.map { .init(test: $0.id, reason: $0.reason) }, skipped: report.skipped)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            for file in report.files {
                if let error = file.error {
                    print("\(file.path): \(error)")
                    continue
                }
                let counts = ConformanceGroup.allCases.compactMap { group -> String? in
                    let n = file.findings.filter { $0.group == group }.count
                    return n == 0 ? nil : "\(n) \(group.rawValue)"
                }
                print("\(file.path): " + (counts.isEmpty ? "passes" : counts.joined(separator: ", ")))
                for finding in file.findings {
                    print("  \(finding.test) (\(finding.group.rawValue)) \(finding.path): \(finding.message)")
                }
            }
            let failing = report.files.filter(\.failsMandatory).count
            print("\(report.files.count) document\(report.files.count == 1 ? "" : "s"): \(report.files.count - failing) pass the mandatory tests, \(failing) do not."
                  + (report.skipped.isEmpty ? "" : " \(report.skipped.count) other JSON files skipped."))
            if !notRun.isEmpty { print("Not run: " + notRun.map { "\($0.id) (\($0.reason))" }.joined(separator: "; ")) }
        }
        for path in report.special { printError("vigil validate: \(path): not a regular file (a FIFO/socket/device): skipped") }
        if report.files.contains(where: \.failsMandatory) { throw ExitCode(1) }
    }
}
