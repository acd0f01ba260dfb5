import ArgumentParser
import CSAF
import Foundation
import Reports
import Storage
import Store

/// `vigil report --org NAME --month YYYY-MM`: a month of the organisation's alert log as evidence for an auditor.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a month's compliance report of an organisation's alerts (CSV, HTML or PDF).",
        discussion: """
            Every alert of the month: when Vigil stored the advisory and alerted, who evaluated it and when (the first \
            change of status in the alert log), its status, owner, due date and notes, the assets it affects, and \
            whether each deadline was met (met, late, overdue, or open and not yet due), judged now. nerc-cip: 35 days \
            to evaluate and 35 from the evaluation to patch or mitigate (CIP-007-6 R2.2, R2.3). iec-62443 and plain: \
            the organisation's policy, --evaluate-days and --remediate-days (default: evaluate critical and high \
            within 7 days, the rest 14; resolve critical within 30, high 60, medium 90, low 180).
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var organisation: AssetsCommand.OrganisationOption
    @Option(help: ArgumentHelp("The month, YYYY-MM (UTC; default: last month).", valueName: "month")) var month: String?
    @Option(help: ArgumentHelp("nerc-cip, iec-62443 or plain.", valueName: "framework")) var framework = "plain"
    @Option(help: ArgumentHelp("Output format: csv, html or pdf (pdf needs --output).", valueName: "format")) var format = "csv"
    @Option(help: ArgumentHelp("Days to evaluate, per severity: critical=7,high=7 (not with nerc-cip).", valueName: "days"))
    var evaluateDays: String?
    @Option(help: ArgumentHelp("Days to patch, mitigate or close, per severity: critical=30,high=60 (not with nerc-cip).", valueName: "days"))
    var remediateDays: String?
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard ReportFramework(rawValue: framework) != nil else {
            throw ValidationError("--framework must be one of \(ReportFramework.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["csv", "html", "pdf"].contains(format) else { throw ValidationError("--format must be csv, html or pdf") }
        if format == "pdf", output == nil { throw ValidationError("--format pdf writes a file: give --output FILE") }
        if let month, ReportPeriod(month: month) == nil { throw ValidationError("--month must be a month written YYYY-MM, such as 2026-11") }
        if framework == ReportFramework.nercCIP.rawValue, evaluateDays != nil || remediateDays != nil {
            throw ValidationError("nerc-cip's deadlines are the standard's 35 days; --evaluate-days and --remediate-days are for the other frameworks")
        }
        for (flag, text) in [("--evaluate-days", evaluateDays), ("--remediate-days", remediateDays)] {
            if let text, DeadlinePolicy.days(text, over: [:]) == nil {
                throw ValidationError("\(flag) takes severity=days pairs separated by commas, such as critical=7,high=14 (severities: \(CSAF.Severity.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
    }

    func run() async throws {
        let now = Date()
        let period = month.flatMap(ReportPeriod.init(month:)) ?? ReportPeriod(month: Self.lastMonth(before: now))!
        let framework = ReportFramework(rawValue: framework)!
        var policy = framework.defaultPolicy
        if let evaluateDays { policy.evaluateDays = DeadlinePolicy.days(evaluateDays, over: policy.evaluateDays)! }
        if let remediateDays { policy.remediateDays = DeadlinePolicy.days(remediateDays, over: policy.remediateDays)! }
        let store: any VigilStore
        do {
            store = try await database.open()
        } catch {
            printError("vigil report: \(error)")
            throw ExitCode(2)
        }
        try await store.closing { store in
            let org = try await organisation.existing(in: store, command: "vigil report")
            let report = try await ComplianceReport.load(from: store, organisation: org, period: period, framework: framework,
                                                         policy: policy, madeAt: now)
            let bytes: [UInt8] = switch format {
            case "html": Array(report.html.utf8)
            case "pdf": report.pdf
            default: Array(report.csv.utf8)
            }
            if let output {
                do {
                    try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    printError("vigil report: could not write \(output): \(error.localizedDescription)")
                    throw ExitCode(1)
                }
                printError("vigil report: \(report.rows.count) alert\(report.rows.count == 1 ? "" : "s") of \(period.name) for \(org.name) written to \(output)")
            } else {
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
    }

    /// `YYYY-MM` of the month before `date`'s (UTC).
    static func lastMonth(before date: Date) -> String {
        let day = Timestamp.formatDay(date)
        let year = Int(day.prefix(4))!
        let month = Int(day.dropFirst(5).prefix(2))!
        return month == 1 ? String(format: "%04d-12", year - 1) : String(format: "%04d-%02d", year, month - 1)
    }
}
