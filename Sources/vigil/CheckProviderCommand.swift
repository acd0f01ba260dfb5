import ArgumentParser
import Foundation
import Sources
import Storage

/// `vigil check-provider URL|DOMAIN [--json]`: a provider or aggregator against CSAF 2.0 §7.
struct CheckProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-provider",
        abstract: "Check a CSAF provider or aggregator against the distribution requirements of CSAF 2.0 (§7).",
        discussion: """
            Give the provider-metadata.json (or aggregator.json) URL, or the provider's domain: then the well-known \
            URL, security.txt and the csaf.data.security DNS name are tried in that order. Each of the 23 requirements \
            of §7.1 is passed, failed or not applicable, with the reason and the URLs at fault; the roles of §7.2 the \
            provider meets follow. Everything is read as an anonymous reader would. The listings are read whole; the \
            newest 100 documents are fetched with their hash and signature files (--max-documents, --all). Exits with \
            status 1 when a requirement fails, 0 otherwise. With --source, the result is kept as that source's \
            quality, shown on /sources.
            """)

    @Argument(help: ArgumentHelp("The provider-metadata.json or aggregator.json URL, or the provider's domain.", valueName: "url|domain"))
    var input: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(name: .customLong("max-documents"), help: "Documents fetched and checked, newest first (default 100).")
    var maxDocuments = 100

    @Flag(help: "Check every listed document.")
    var all = false

    @Flag(name: .customLong("allow-private-network"), help: "Allow private and loopback addresses the input does not name itself.")
    var allowPrivateNetwork = false

    @Option(help: ArgumentHelp("Keep the result as this source's quality (see vigil sources list).", valueName: "slug"))
    var source: String?

    @OptionGroup var database: DatabaseOptions
    @OptionGroup(title: "Fetching from providers") var fetch: FetchOptions

    func validate() throws {
        if maxDocuments < 0 { throw ValidationError("--max-documents must be 0 or more") }
        if input.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("give a provider-metadata.json URL or a domain") }
    }

    func run() async throws {
        var options = ProviderChecker.Options()
        options.maxDocuments = all ? nil : maxDocuments
        options.allowPrivateNetwork = allowPrivateNetwork
        let report = try await HTTPFetcher.with(policy: fetch.policy) { fetcher in
            await ProviderChecker(fetcher: fetcher, options: options).check(input)
        }
        if let source {
            let saved = try await database.open().closing { store in
                try await store.saveSourceQuality(slug: source, quality: try report.sourceQuality())
            }
            if !saved {
                printError("vigil check-provider: no source \"\(source)\"; `vigil sources list` shows them (the check ran; nothing was kept)")
                throw ExitCode(2)
            }
        }
        if json {
            print(try report.json(pretty: true))
        } else {
            print(CheckProviderCommand.text(report))
        }
        if !report.failed.isEmpty { throw ExitCode(1) }
    }

    static func text(_ report: ProviderCheckReport) -> String {
        var lines: [String] = []
        let what = report.kind == "aggregator" ? "Aggregator" : "Provider"
        lines.append("\(what): \(report.name ?? report.input)" + (report.url.map { " (\($0))" } ?? ""))
        lines.append(report.summary.prefix(1).uppercased() + report.summary.dropFirst() + ".")
        if report.documentsListed > 0 || report.documentsChecked > 0 {
            let sample = report.documentsChecked < report.documentsListed ? " (the newest; --all checks every one)" : ""
            lines.append("Documents: \(report.documentsListed.grouped) listed, \(report.documentsChecked.grouped) checked\(sample).")
        }
        lines.append("")
        for requirement in report.requirements {
            let verdict = requirement.verdict == .notApplicable ? "n/a" : requirement.verdict.rawValue
            let title = requirement.title.padding(toLength: 42, withPad: " ", startingAt: 0)
            // A failure's problems follow on lines of their own.
            let detail = requirement.verdict == .failed ? "" : requirement.reason
            lines.append(String(format: "%3d ", requirement.number) + title + " "
                         + (detail.isEmpty ? verdict : verdict.padding(toLength: 7, withPad: " ", startingAt: 0) + detail))
            for problem in requirement.problems { lines.append("      - " + problem) }
            if requirement.problemCount > requirement.problems.count {
                lines.append("      … and \(requirement.problemCount - requirement.problems.count) more (--json lists the first \(ProviderCheckReport.maxProblems))")
            }
            for advice in requirement.advice { lines.append("      advice: " + advice) }
        }
        lines.append("")
        for role in report.roles {
            lines.append("\(ProviderCheckReport.roleName(role.role).capitalized): \(role.met ? "met" : "not met") (\(role.reason))")
        }
        return lines.joined(separator: "\n")
    }
}
