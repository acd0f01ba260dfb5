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
            the organisation's policy (vigil report-settings), with --evaluate-days and --remediate-days over it \
            (default: evaluate critical and high within 7 days, the rest 14; resolve critical within 30, high 60, \
            medium 90, low 180).
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var organisation: AssetsCommand.OrganisationOption
    @Option(help: ArgumentHelp("The month, YYYY-MM (UTC; default: last month).", valueName: "month")) var month: String?
    @Option(help: ArgumentHelp("nerc-cip, iec-62443 or plain (default: the organisation's, see vigil report-settings; else plain).", valueName: "framework"))
    var framework: String?
    @Option(help: ArgumentHelp("Output format: csv, html or pdf (pdf needs --output).", valueName: "format")) var format = "csv"
    @Option(help: ArgumentHelp("Days to evaluate, per severity: critical=7,high=7 (not with nerc-cip).", valueName: "days"))
    var evaluateDays: String?
    @Option(help: ArgumentHelp("Days to patch, mitigate or close, per severity: critical=30,high=60 (not with nerc-cip).", valueName: "days"))
    var remediateDays: String?
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        if let framework, ReportFramework(rawValue: framework) == nil {
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
        let period = month.flatMap(ReportPeriod.init(month:)) ?? ReportPeriod.month(before: now)
        let store: any VigilStore
        do {
            store = try await database.open()
        } catch {
            printError("vigil report: \(error)")
            throw ExitCode(2)
        }
        try await store.closing { store in
            let org = try await organisation.existing(in: store, command: "vigil report")
            let settings = try await store.reportSettings(organisationID: org.id)
            let framework = framework.flatMap(ReportFramework.init(rawValue:)) ?? ReportFramework(settings: settings)
            if framework == .nercCIP, evaluateDays != nil || remediateDays != nil {
                printError("vigil report: \(org.name)'s reports are read against nerc-cip, whose deadlines are the standard's 35 days; give --framework plain or iec-62443 with --evaluate-days and --remediate-days")
                throw ExitCode(2)
            }
            var policy = DeadlinePolicy(framework: framework, settings: settings)
            if let evaluateDays { policy.evaluateDays = DeadlinePolicy.days(evaluateDays, over: policy.evaluateDays)! }
            if let remediateDays { policy.remediateDays = DeadlinePolicy.days(remediateDays, over: policy.remediateDays)! }
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

}

/// `vigil report-settings --org NAME`: shows, or with options changes, how the organisation's reports are made: the
/// framework, its own deadlines, and the channel that receives each month's report.
struct ReportSettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-settings",
        abstract: "Show or change an organisation's report framework, deadlines and monthly report channel.",
        discussion: """
            Without options, prints the settings. The deadlines are days per severity over the framework's defaults \
            (critical=3,high=7); nerc-cip keeps the standard's 35 days. --monthly-channel NAME sends each month's \
            report to that channel (see vigil channel list) on the first of the next month, UTC: email gets the PDF \
            attached, webhooks, Slack and Teams get the summary and links. The first report sent is that of the month \
            after the setting was first saved.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var organisation: AssetsCommand.OrganisationOption
    @Option(help: ArgumentHelp("nerc-cip, iec-62443 or plain.", valueName: "framework")) var framework: String?
    @Option(help: ArgumentHelp("Days to evaluate, per severity: critical=3,high=7 (\"\" for the defaults).", valueName: "days"))
    var evaluateDays: String?
    @Option(help: ArgumentHelp("Days to patch, mitigate or close, per severity: critical=30,high=60 (\"\" for the defaults).", valueName: "days"))
    var remediateDays: String?
    @Option(help: ArgumentHelp("The channel that receives each month's report.", valueName: "channel")) var monthlyChannel: String?
    @Flag(help: "Send no monthly report.") var noMonthlyChannel = false

    func validate() throws {
        if let framework, ReportFramework(rawValue: framework) == nil {
            throw ValidationError("--framework must be one of \(ReportFramework.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for (flag, text) in [("--evaluate-days", evaluateDays), ("--remediate-days", remediateDays)] {
            if let text, !text.isEmpty, DeadlinePolicy.days(text, over: [:]) == nil {
                throw ValidationError("\(flag) takes severity=days pairs separated by commas, such as critical=7,high=14 (severities: \(CSAF.Severity.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        if monthlyChannel != nil, noMonthlyChannel { throw ValidationError("give --monthly-channel or --no-monthly-channel, not both") }
    }

    func run() async throws {
        let store: any VigilStore
        do {
            store = try await database.open()
        } catch {
            printError("vigil report-settings: \(error)")
            throw ExitCode(2)
        }
        try await store.closing { store in
            let org = try await organisation.existing(in: store, command: "vigil report-settings")
            let channels = try await store.channels(organisationID: org.id)
            var settings = try await store.reportSettings(organisationID: org.id) ?? ReportSettings(framework: ReportFramework.plain.rawValue)
            let changing = framework != nil || evaluateDays != nil || remediateDays != nil || monthlyChannel != nil || noMonthlyChannel
            if changing {
                if let framework { settings.framework = framework }
                if let evaluateDays { settings.evaluateDays = evaluateDays.isEmpty ? nil : evaluateDays }
                if let remediateDays { settings.remediateDays = remediateDays.isEmpty ? nil : remediateDays }
                if noMonthlyChannel { settings.monthlyChannelID = nil }
                if let monthlyChannel {
                    guard let channel = channels.first(where: { $0.name == monthlyChannel }) else {
                        printError("vigil report-settings: \(org.name) has no channel named \"\(monthlyChannel)\"; see vigil channel list --org \"\(org.name)\".")
                        throw ExitCode(1)
                    }
                    settings.monthlyChannelID = channel.id
                }
                try await store.saveReportSettings(settings, organisationID: org.id, actor: "cli", at: Date())
            }
            let framework = ReportFramework(settings: settings)
            let policy = DeadlinePolicy(framework: framework, settings: settings)
            print("organisation:     \(org.name)")
            print("framework:        \(framework.rawValue) (\(framework.title))")
            print("evaluate within:  \(DeadlinePolicy.text(policy.evaluateDays)) days")
            print("resolve within:   \(DeadlinePolicy.text(policy.remediateDays)) days, from the \(policy.remediationCountsFromEvaluation ? "evaluation" : "alert")")
            let channel = settings.monthlyChannelID.flatMap { id in channels.first { $0.id == id } }
            print("monthly report:   \(channel.map { "to \($0.name) (\(ChannelCommand.redacted($0)))\($0.enabled ? "" : ", which is turned off")" } ?? "not sent")")
        }
    }
}
