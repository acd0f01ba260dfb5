import CSAF
import Foundation
import Storage

/// A month (or any span) of an organisation's alert log as evidence for an auditor: every advisory that alerted the
/// organisation in the period, when Vigil saw it and alerted, who evaluated it and when, what became of it, the assets
/// it concerns, and whether each deadline of the framework was met. Pure: the caller reads the store (`ReportInput`)
/// and passes the time the report is made.
public struct ComplianceReport: Sendable, Equatable {
    public var organisation: String
    public var period: ReportPeriod
    public var framework: ReportFramework
    public var policy: DeadlinePolicy
    /// When the report was made: open items are judged against it.
    public var madeAt: Date
    public var rows: [Row]
    public var summary: Summary
    /// The same figures for the period before, for comparison.
    public var previous: Summary

    /// One alert of the period.
    public struct Row: Sendable, Equatable {
        public var alertID: Int64
        public var advisoryID: String
        public var advisoryVersion: String
        public var title: String
        public var severity: Severity
        public var cvssScore: Double?
        /// When Vigil stored the revision that alerted (nil when it is no longer stored).
        public var seenAt: Date?
        public var alertedAt: Date
        /// The first change of status away from new, and who made it.
        public var evaluatedAt: Date?
        public var evaluatedBy: String?
        public var evaluationDeadline: Date
        public var evaluation: Verdict
        public var status: AlertStatus
        public var owner: String?
        public var dueDate: String?
        /// When the alert first reached patched, mitigated or not applicable.
        public var resolvedAt: Date?
        /// The remediation deadline: counted from the evaluation when the framework says so (NERC CIP), else from the
        /// alert; nil while an evaluation it counts from is missing.
        public var remediationDeadline: Date?
        public var remediation: Verdict
        /// Notes from the alert log, oldest first, with who wrote them.
        public var notes: [String]
        /// Affected assets as `name (site)`.
        public var assets: [String]
    }

    /// Whether a deadline was met, judged when the report is made.
    public enum Verdict: String, Sendable, Equatable, CaseIterable {
        /// Done on or before the deadline.
        case met
        /// Done after the deadline.
        case late
        /// Not done, and the deadline has passed.
        case overdue
        /// Not done; the deadline is still ahead.
        case open

        public var label: String {
            switch self {
            case .met: "met"
            case .late: "late"
            case .overdue: "overdue"
            case .open: "open, not yet due"
            }
        }
    }

    /// Counts and means over a period's rows.
    public struct Summary: Sendable, Equatable {
        public var alerts = 0
        public var bySeverity: [Severity: Int] = [:]
        public var byStatus: [AlertStatus: Int] = [:]
        public var evaluationVerdicts: [Verdict: Int] = [:]
        public var remediationVerdicts: [Verdict: Int] = [:]
        /// Mean days from alert to evaluation, over the evaluated alerts; nil when none was.
        public var meanDaysToEvaluate: Double?
        /// Mean days from alert to resolution, over the resolved alerts; nil when none was.
        public var meanDaysToResolve: Double?
        public init() {}

        /// Rows past a deadline without being done.
        public var overdue: Int { (evaluationVerdicts[.overdue] ?? 0) + (remediationVerdicts[.overdue] ?? 0) }
    }

    /// What the caller read from the store for one alert.
    public struct AlertRecord: Sendable {
        public var alert: StoredAlert
        public var events: [AlertEvent]
        /// When the alerting revision was stored.
        public var seenAt: Date?
        public var assets: [String]
        public init(alert: StoredAlert, events: [AlertEvent], seenAt: Date?, assets: [String]) {
            self.alert = alert
            self.events = events
            self.seenAt = seenAt
            self.assets = assets
        }
    }

    /// The report over `records` (the organisation's alerts; those outside the period and the one before are ignored).
    public init(organisation: String, period: ReportPeriod, framework: ReportFramework, policy: DeadlinePolicy? = nil,
                records: [AlertRecord], madeAt: Date) {
        self.organisation = organisation
        self.period = period
        self.framework = framework
        let policy = policy ?? framework.defaultPolicy
        self.policy = policy
        self.madeAt = madeAt
        let rows = records.filter { period.contains($0.alert.createdAt) }
            .map { Self.row($0, policy: policy, madeAt: madeAt) }
            .sorted { ($0.alertedAt, $0.alertID) < ($1.alertedAt, $1.alertID) }
        self.rows = rows
        summary = Self.summarise(rows)
        let before = period.previous
        previous = Self.summarise(records.filter { before.contains($0.alert.createdAt) }.map { Self.row($0, policy: policy, madeAt: madeAt) })
    }

    static func row(_ record: AlertRecord, policy: DeadlinePolicy, madeAt: Date) -> Row {
        let alert = record.alert
        let severity = Severity(rawValue: alert.severity) ?? .none
        let statusEvents = record.events.filter { $0.field == "status" }.sorted { $0.at < $1.at }
        let evaluation = statusEvents.first { ($0.newValue ?? "new") != AlertStatus.new.rawValue }
        let resolved = statusEvents.first { event in
            guard let status = event.newValue.flatMap(AlertStatus.init(rawValue:)) else { return false }
            return status.isResolved
        }
        let evaluationDeadline = alert.createdAt.addingTimeInterval(Double(policy.evaluateWithinDays(severity)) * 86_400)
        let remediationStart: Date? = policy.remediationCountsFromEvaluation ? evaluation?.at : alert.createdAt
        let remediationDeadline = remediationStart.map { $0.addingTimeInterval(Double(policy.remediateWithinDays(severity)) * 86_400) }
        let notes = record.events.filter { $0.field == "note" }.compactMap { event in
            event.newValue.map { "\(Timestamp.formatDay(event.at)) \(event.actor): \($0)" }
        }
        return Row(
            alertID: alert.id, advisoryID: alert.draft.advisoryID, advisoryVersion: alert.draft.advisoryVersion,
            title: alert.advisoryTitle, severity: severity, cvssScore: alert.cvssScore, seenAt: record.seenAt,
            alertedAt: alert.createdAt, evaluatedAt: evaluation?.at, evaluatedBy: evaluation?.actor,
            evaluationDeadline: evaluationDeadline, evaluation: verdict(done: evaluation?.at, deadline: evaluationDeadline, now: madeAt),
            status: alert.alertStatus, owner: alert.owner, dueDate: alert.dueDate, resolvedAt: resolved?.at,
            remediationDeadline: remediationDeadline,
            remediation: remediationDeadline.map { verdict(done: resolved?.at, deadline: $0, now: madeAt) }
                ?? (evaluationDeadline < madeAt ? .overdue : .open),
            notes: notes, assets: record.assets)
    }

    static func verdict(done: Date?, deadline: Date, now: Date) -> Verdict {
        if let done { return done <= deadline ? .met : .late }
        return now > deadline ? .overdue : .open
    }

    static func summarise(_ rows: [Row]) -> Summary {
        var summary = Summary()
        summary.alerts = rows.count
        var evaluateDays: [Double] = []
        var resolveDays: [Double] = []
        for row in rows {
            summary.bySeverity[row.severity, default: 0] += 1
            summary.byStatus[row.status, default: 0] += 1
            summary.evaluationVerdicts[row.evaluation, default: 0] += 1
            summary.remediationVerdicts[row.remediation, default: 0] += 1
            if let at = row.evaluatedAt { evaluateDays.append(at.timeIntervalSince(row.alertedAt) / 86_400) }
            if let at = row.resolvedAt { resolveDays.append(at.timeIntervalSince(row.alertedAt) / 86_400) }
        }
        summary.meanDaysToEvaluate = evaluateDays.isEmpty ? nil : evaluateDays.reduce(0, +) / Double(evaluateDays.count)
        summary.meanDaysToResolve = resolveDays.isEmpty ? nil : resolveDays.reduce(0, +) / Double(resolveDays.count)
        return summary
    }
}

extension AlertStatus {
    /// Patched, mitigated or judged not applicable: nothing left to do.
    public var isResolved: Bool { self == .patched || self == .mitigated || self == .notApplicable }
}

/// A span of whole UTC days: a calendar month for monthly reports.
public struct ReportPeriod: Sendable, Equatable {
    /// The first instant in the period.
    public var start: Date
    /// The first instant after it.
    public var end: Date
    /// `2026-11`, or a span's days.
    public var name: String

    public init(start: Date, end: Date, name: String) {
        self.start = start
        self.end = end
        self.name = name
    }

    /// The calendar month `YYYY-MM` (UTC); nil for anything else.
    public init?(month text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
              (1...12).contains(month), (1970...9999).contains(year),
              let start = Timestamp.parse(String(format: "%04d-%02d-01T00:00:00Z", year, month)),
              let end = Timestamp.parse(month == 12 ? String(format: "%04d-01-01T00:00:00Z", year + 1)
                                                    : String(format: "%04d-%02d-01T00:00:00Z", year, month + 1))
        else { return nil }
        self.init(start: start, end: end, name: String(format: "%04d-%02d", year, month))
    }

    public func contains(_ date: Date) -> Bool { date >= start && date < end }

    /// The calendar month (UTC) before the one `date` falls in: what "last month's report" means.
    public static func month(before date: Date) -> ReportPeriod {
        let day = Timestamp.formatDay(date)
        let year = Int(day.prefix(4)) ?? 1970
        let month = Int(day.dropFirst(5).prefix(2)) ?? 1
        let name = month == 1 ? String(format: "%04d-12", year - 1) : String(format: "%04d-%02d", year, month - 1)
        return ReportPeriod(month: name) ?? ReportPeriod(start: date, end: date, name: day)
    }

    /// The calendar month (UTC) that `end` is the first instant after: the month a monthly report delivery covers.
    public static func month(endingAt end: Date) -> ReportPeriod? {
        let period = month(before: end)
        return period.end == end ? period : nil
    }

    /// The month before a month; the same length before any other span.
    public var previous: ReportPeriod {
        let parts = name.split(separator: "-")
        if parts.count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
           let before = ReportPeriod(month: month == 1 ? String(format: "%04d-12", year - 1) : String(format: "%04d-%02d", year, month - 1)) {
            return before
        }
        let length = end.timeIntervalSince(start)
        return ReportPeriod(start: start.addingTimeInterval(-length), end: start, name: "before \(name)")
    }
}

/// The framework a report is read against: which deadlines apply and what the report calls them.
public enum ReportFramework: String, Sendable, CaseIterable {
    /// NERC CIP-007-6 R2: security patches evaluated for applicability at least once every 35 calendar days (R2.2),
    /// and within 35 days of the evaluation applied, or a mitigation plan made (R2.3).
    case nercCIP = "nerc-cip"
    /// IEC 62443-2-3 asks for a documented patch management process, not for fixed days: the organisation's policy.
    case iec62443 = "iec-62443"
    /// The organisation's own policy.
    case plain

    public var title: String {
        switch self {
        case .nercCIP: "NERC CIP-007-6 R2 patch management evidence"
        case .iec62443: "IEC 62443-2-3 patch management evidence"
        case .plain: "Advisory handling report"
        }
    }

    public var defaultPolicy: DeadlinePolicy {
        switch self {
        case .nercCIP: .nercCIP
        case .iec62443, .plain: .standard
        }
    }
}

/// Deadlines in days, per severity: for evaluating an alert, and for resolving it (patched, mitigated or not
/// applicable), counted from the alert or from the evaluation.
public struct DeadlinePolicy: Sendable, Equatable {
    public var evaluateDays: [Severity: Int]
    public var remediateDays: [Severity: Int]
    /// NERC CIP counts the 35 days to apply or mitigate from the evaluation; other policies from the alert.
    public var remediationCountsFromEvaluation: Bool

    public init(evaluateDays: [Severity: Int], remediateDays: [Severity: Int], remediationCountsFromEvaluation: Bool) {
        self.evaluateDays = evaluateDays
        self.remediateDays = remediateDays
        self.remediationCountsFromEvaluation = remediationCountsFromEvaluation
    }

    func evaluateWithinDays(_ severity: Severity) -> Int { evaluateDays[severity] ?? evaluateDays.values.max() ?? 35 }
    func remediateWithinDays(_ severity: Severity) -> Int { remediateDays[severity] ?? remediateDays.values.max() ?? 35 }

    /// 35 days to evaluate and 35 more from the evaluation to apply or mitigate, whatever the severity.
    public static let nercCIP = DeadlinePolicy(
        evaluateDays: Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0, 35) }),
        remediateDays: Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0, 35) }),
        remediationCountsFromEvaluation: true)

    /// A common policy where none is configured: evaluate critical and high within 7 days, the rest within 14; resolve
    /// critical within 30 days, high 60, medium 90, low and unscored 180, counted from the alert.
    public static let standard = DeadlinePolicy(
        evaluateDays: [.critical: 7, .high: 7, .medium: 14, .low: 14, .none: 14],
        remediateDays: [.critical: 30, .high: 60, .medium: 90, .low: 180, .none: 180],
        remediationCountsFromEvaluation: false)

    /// `critical=30,high=60`: days per severity over `base`; nil with the wrong words in it.
    public static func days(_ text: String, over base: [Severity: Int]) -> [Severity: Int]? {
        var days = base
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let severity = Severity(rawValue: pair[0].lowercased()), let value = Int(pair[1]),
                  (0...3_650).contains(value) else { return nil }
            days[severity] = value
        }
        return days
    }
}

extension ComplianceReport {
    /// `vigil-report-Plant-A-2026-11.pdf`: only ASCII letters, digits and `-` of the organisation's name, so a header
    /// or an attachment needs no quoting rules and no file system is surprised.
    public static func filename(organisation: String, period: ReportPeriod, extension fileExtension: String) -> String {
        var slug = ""
        for scalar in organisation.unicodeScalars {
            let keep = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-")
            if keep { slug.unicodeScalars.append(scalar) } else if !slug.isEmpty, !slug.hasSuffix("-") { slug += "-" }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return ["vigil-report", slug, period.name].filter { !$0.isEmpty }.joined(separator: "-") + "." + fileExtension
    }
}

extension ReportFramework {
    /// The framework an organisation's settings choose; plain without settings.
    public init(settings: ReportSettings?) {
        self = settings.flatMap { ReportFramework(rawValue: $0.framework) } ?? .plain
    }
}

extension DeadlinePolicy {
    /// The deadlines a report read against `framework` uses for an organisation: NERC CIP's 35 days whatever the
    /// settings say; otherwise the framework's defaults with the organisation's days per severity over them.
    public init(framework: ReportFramework, settings: ReportSettings?) {
        var policy = framework.defaultPolicy
        if framework != .nercCIP, let settings {
            if let text = settings.evaluateDays, let days = DeadlinePolicy.days(text, over: policy.evaluateDays) { policy.evaluateDays = days }
            if let text = settings.remediateDays, let days = DeadlinePolicy.days(text, over: policy.remediateDays) { policy.remediateDays = days }
        }
        self = policy
    }

    /// The deadlines in words: `evaluate within 35 days; patch, mitigate or close within 35 days from the evaluation`.
    public var text: String {
        func perSeverity(_ days: [Severity: Int]) -> String {
            let values = Set(days.values)
            if values.count == 1, let only = values.first { return "\(only) days" }
            return Severity.allCases.reversed().compactMap { severity in days[severity].map { "\(severity.rawValue) \($0)" } }
                .joined(separator: ", ") + " days"
        }
        let from = remediationCountsFromEvaluation ? "from the evaluation" : "from the alert"
        return "evaluate within \(perSeverity(evaluateDays)); patch, mitigate or close within \(perSeverity(remediateDays)) \(from)"
    }

    /// `critical=7,high=7,medium=14,low=14,none=14`: every severity's days, most severe first, as settings store them.
    public static func text(_ days: [Severity: Int]) -> String {
        Severity.allCases.reversed().compactMap { severity in days[severity].map { "\(severity.rawValue)=\($0)" } }.joined(separator: ",")
    }
}
