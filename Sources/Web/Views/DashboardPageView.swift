import CSAF
import Foundation
import Matching
import Reports
import Storage

/// One chart of a page: the SVG `Chart` draws (escaped by `Reports`) and the same numbers as a table.
struct ChartView {
    struct Row { let label: String; let cells: [String] }
    let id: String
    let title: String
    /// Markup written by `Chart.svg()`, which escapes every text it takes; the only value templates put in unescaped.
    let svg: String
    let firstHeader: String
    let headers: [String]
    let rows: [Row]
    let hasRows: Bool
    let chart: Chart

    init(_ chart: Chart) {
        self.chart = chart
        id = chart.id
        title = chart.title
        svg = chart.isEmpty ? "" : chart.svg()
        let table = chart.table
        firstHeader = table.headers.first ?? ""
        headers = Array(table.headers.dropFirst())
        rows = table.rows.map { Row(label: $0.first ?? "", cells: Array($0.dropFirst())) }
        hasRows = !table.rows.isEmpty
    }
}

/// The dashboard (issue 17): advisories per month for everyone; for an organisation also its open alerts, its
/// exposures by site and vendor and its deadline compliance per month.
struct DashboardPageView {
    let pageTitle = "Dashboard"
    let text = ""
    let organisation: String
    let hasOrganisation: Bool
    let advisories: ChartView
    let charts: [ChartView]
    let knownExploited: String
    let openAlerts: String

    /// Months shown in the advisories chart, and in the compliance chart.
    static let advisoryMonths = 24
    static let complianceMonths = 6
    /// Sites and vendors shown: the ones with the most open exposures.
    static let topCount = 10

    /// Reads what the dashboard shows. `organisation` nil: the instance-wide advisories chart only.
    static func load(store: any ServedStore, organisation: Organisation?, now: Date) async throws -> DashboardPageView {
        let months = monthsEnding(at: now, count: advisoryMonths)
        let since = ReportPeriod(month: months[0])?.start ?? now
        let advisories = advisoriesChart(try await store.advisoryCountsByMonth(since: since), months: months)
        guard let organisation else {
            return DashboardPageView(organisation: nil, advisories: advisories, charts: [], knownExploited: 0, openAlerts: 0)
        }
        let alerts = try await store.alerts(organisationID: organisation.id, status: nil, limit: 1_000_000)
        let open = alerts.filter { !$0.alertStatus.isResolved }
        let exposures = try await store.exposures(organisationID: organisation.id, filter: ExposureFilter(limit: 1_000_000))
            .filter { $0.exposure.status != .fixed && $0.exposure.status != .notAffected }
        // Against the organisation's own deadlines (its report settings), reading the alert log once for all months.
        let complianceMonths = monthsEnding(at: now, count: complianceMonths)
        let settings = try await store.reportSettings(organisationID: organisation.id)
        let framework = ReportFramework(settings: settings)
        let summaries = try await ComplianceReport.summaries(
            from: store, organisation: organisation, periods: complianceMonths.compactMap(ReportPeriod.init(month:)), framework: framework,
            policy: DeadlinePolicy(framework: framework, settings: settings), madeAt: now)
        let percentages = summaries.map(metPercentage)
        let charts = [
            alertStatusChart(open),
            alertAgeChart(open, now: now),
            exposureChart(exposures, by: { $0.asset.site ?? "(no site)" }, title: "Open exposures by site",
                          categoryName: "Site", id: "exposures-by-site"),
            exposureChart(exposures, by: { $0.asset.vendor }, title: "Open exposures by vendor",
                          categoryName: "Vendor", id: "exposures-by-vendor"),
            complianceChart(percentages, months: complianceMonths),
        ]
        return DashboardPageView(organisation: organisation.name, advisories: advisories, charts: charts,
                                 knownExploited: exposures.filter { $0.knownExploitedCount > 0 }.count, openAlerts: open.count)
    }

    init(organisation: String?, advisories: Chart, charts: [Chart], knownExploited: Int, openAlerts: Int) {
        self.organisation = organisation ?? ""
        hasOrganisation = organisation != nil
        self.advisories = ChartView(advisories)
        self.charts = charts.map(ChartView.init)
        self.knownExploited = knownExploited.formatted()
        self.openAlerts = openAlerts.formatted()
    }

    /// `count` months `YYYY-MM` (UTC), oldest first, ending with the month of `now`.
    static func monthsEnding(at now: Date, count: Int) -> [String] {
        let current = Timestamp.format(now)
        guard let year = Int(current.prefix(4)), let month = Int(current.dropFirst(5).prefix(2)) else { return [] }
        let index = year * 12 + (month - 1)
        return (0..<count).reversed().map { back in
            let value = index - back
            return String(format: "%04d-%02d", value / 12, value % 12 + 1)
        }
    }

    static let severities: [Severity] = [.critical, .high, .medium, .low, .none]

    static func advisoriesChart(_ counts: [AdvisoryMonthCount], months: [String]) -> Chart {
        let column = Dictionary(uniqueKeysWithValues: months.enumerated().map { ($1, $0) })
        var values: [Severity: [Double]] = [:]
        for count in counts {
            guard let index = column[count.month] else { continue }
            values[count.severity, default: Array(repeating: 0, count: months.count)][index] += Double(count.count)
        }
        let series = severities.compactMap { severity in
            values[severity].map { ChartSeries(severity: severity, values: $0) }
        }
        return Chart(kind: .stackedBars, title: "Advisories per month by severity",
                     summary: "Advisories stored by this server, by the month of their initial release (UTC), over the last \(months.count) months.",
                     categoryName: "Month", categories: months,
                     series: series.isEmpty ? [ChartSeries(name: "Advisories", values: months.map { _ in 0 }, color: .palette(0))] : series,
                     id: "advisories-per-month")
    }

    static let openStatuses = AlertStatus.allCases.filter { !$0.isResolved }

    static func alertStatusChart(_ open: [StoredAlert]) -> Chart {
        let values = openStatuses.map { status in Double(open.filter { $0.alertStatus == status }.count) }
        return Chart(kind: .horizontalBars, title: "Open alerts by status",
                     summary: "Alerts of this organisation not yet patched, mitigated or judged not applicable.",
                     categoryName: "Status", categories: openStatuses.map(\.label),
                     series: [ChartSeries(name: "Open alerts", values: values, color: .palette(0))], id: "alerts-by-status")
    }

    static let ageBuckets = ["< 7 days", "7–35 days", "> 35 days"]

    static func alertAgeChart(_ open: [StoredAlert], now: Date) -> Chart {
        var values: [Double] = [0, 0, 0]
        for alert in open {
            let days = now.timeIntervalSince(alert.createdAt) / 86_400
            values[days < 7 ? 0 : days <= 35 ? 1 : 2] += 1
        }
        return Chart(kind: .horizontalBars, title: "Open alerts by age",
                     summary: "Open alerts by the time since they were raised.",
                     categoryName: "Age", categories: ageBuckets,
                     series: [ChartSeries(name: "Open alerts", values: values, color: .palette(1))], id: "alerts-by-age")
    }

    static let exposureStatuses: [ExposureStatus] = [.affected, .underInvestigation, .unknown]

    /// The `topCount` groups with the most open exposures, stacked by status; ties by name.
    static func exposureChart(_ rows: [ExposureRow], by group: (ExposureRow) -> String, title: String,
                              categoryName: String, id: String) -> Chart {
        var counts: [String: [ExposureStatus: Int]] = [:]
        for row in rows { counts[group(row), default: [:]][row.exposure.status, default: 0] += 1 }
        let top = counts.map { (name: $0.key, total: $0.value.values.reduce(0, +)) }
            .sorted { ($1.total, $0.name) < ($0.total, $1.name) }
            .prefix(topCount).map(\.name)
        let series = exposureStatuses.enumerated().map { index, status in
            ChartSeries(name: status.label, values: top.map { Double(counts[$0]?[status] ?? 0) }, color: .palette(index))
        }
        return Chart(kind: .horizontalBars, title: title,
                     summary: "Open exposures (asset, advisory pairs), the \(topCount) \(categoryName.lowercased())s with the most.",
                     categoryName: categoryName, categories: top, series: series, id: id)
    }

    /// The share of a month's alerts whose evaluation deadline was met; 0 for a month without alerts.
    static func metPercentage(_ summary: ComplianceReport.Summary) -> Double {
        guard summary.alerts > 0 else { return 0 }
        return (Double(summary.evaluationVerdicts[.met] ?? 0) / Double(summary.alerts) * 100).rounded()
    }

    static func complianceChart(_ percentages: [Double], months: [String]) -> Chart {
        Chart(kind: .line, title: "Evaluation deadlines met per month",
              summary: "The share of each month's alerts evaluated by their deadline (months without alerts show 0).",
              categoryName: "Month", categories: months,
              series: [ChartSeries(name: "Evaluated in time", values: percentages, color: .palette(1))],
              unit: "%", fixedMaximum: 100, id: "compliance")
    }
}
