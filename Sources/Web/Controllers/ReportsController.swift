import CSAF
import Crypto
import Foundation
import Hummingbird
import Reports
import Storage

/// Compliance reports for the signed-in member's organisation (`/reports`: a form choosing month, framework and
/// format; `/reports/{month}.csv|.html|.pdf?framework=`: the report itself), what `vigil report` writes on the
/// command line. The organisation always comes from the session (or `vigil serve --org` without accounts), never
/// from the URL.
struct ReportsController<Context: ViewerRequestContext>: Sendable {
    let store: any ServedStore
    let renderer: TemplateRenderer
    let cache: PageCache
    let generation: GenerationClock
    let scope: OrganisationScope

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/reports", use: page)
        routes.get("/reports/{file}", use: report)
        routes.post("/reports/settings", use: saveSettings)
        return routes
    }

    /// The form; submitted (it carries `format`), a redirect to the report it chose.
    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let organisation = try await scope.organisation(request, viewer: context.viewer, signInRequired: true)
        let query = request.uri.queryParameters
        if let format = query.get("format") {
            let month = query.get("month") ?? ""
            let framework = query.get("framework") ?? ReportFramework.plain.rawValue
            _ = try Self.period(month)
            _ = try Self.framework(framework)
            guard ReportFormat(rawValue: format) != nil else { throw Self.badFormat(format) }
            return Response(status: .seeOther, headers: [.location: "/reports/\(month).\(format)?framework=\(framework)"])
        }
        guard let organisation else {
            return HTMLResponse.make(try renderer.render(ReportsPageView(organisation: nil, month: Self.lastMonth(before: Date()), figures: nil),
                                                         template: "reports"))
        }
        let notice = request.uri.queryParameters.get("done") == "saved" ? "The report settings are saved." : nil
        return try await renderPage(organisation, context: context, notice: notice)
    }

    /// The page with last month's figures and the organisation's settings; the settings form for admins, with the
    /// values they sent and what was wrong with them (`errors`, by field) when saving failed.
    func renderPage(_ organisation: Organisation, context: Context, form: ReportSettingsForm? = nil, errors: [String: String] = [:],
                    notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let now = Date()
        let lastMonth = Self.lastMonth(before: now)
        let settings = try await store.reportSettings(organisationID: organisation.id)
        let channels = try await store.channels(organisationID: organisation.id)
        // Keyed by the day as well: which month is "last month", and which deadlines have passed, move with time.
        let key = "\(organisation.id)|/reports/summary?day=" + Timestamp.formatDay(now)
        let generation = try await self.generation.current()
        // The page holds the viewer's form token, so only its three figures are cached, as text.
        let figures = try await cache.body(key, generation: generation) {
            let framework = ReportFramework(settings: settings)
            let summary = try await ComplianceReport.load(from: store, organisation: organisation, period: try Self.period(lastMonth), framework: framework,
                                                          policy: DeadlinePolicy(framework: framework, settings: settings), madeAt: now).summary
            let late = (summary.evaluationVerdicts[.late] ?? 0) + (summary.remediationVerdicts[.late] ?? 0)
            return ByteBuffer(string: "\(summary.alerts) \(summary.overdue) \(late)")
        }
        let numbers = String(buffer: figures).split(separator: " ").compactMap { Int($0) }
        let view = ReportsPageView(organisation: organisation.name, month: lastMonth,
                                   figures: numbers.count == 3 ? (numbers[0], numbers[1], numbers[2]) : nil, settings: settings, channels: channels,
                                   canAdminister: Self.isAdmin(context.viewer), csrf: context.viewer?.csrfToken ?? "", form: form,
                                   errors: errors, notice: notice)
        return HTMLResponse.make(try renderer.render(view, template: "reports"), status: status)
    }

    static func isAdmin(_ viewer: Viewer?) -> Bool { viewer?.role == .admin && viewer?.csrfToken != nil }

    /// `POST /reports/settings` (admins): the framework, the deadlines per severity and the monthly report's channel.
    @Sendable func saveSettings(_ request: Request, context: Context) async throws -> Response {
        guard let organisation = try await scope.organisation(request, viewer: context.viewer, signInRequired: true) else {
            throw HTTPError(.notFound, message: "No organisation is configured on this server (vigil serve --org NAME).")
        }
        guard Self.isAdmin(context.viewer) else {
            throw HTTPError(.forbidden, message: "Changing how \(organisation.name)'s reports are made needs the admin role. Ask an administrator.")
        }
        let fields = context.form ?? FormFields()
        let form = ReportSettingsForm(framework: fields["framework"] ?? "", evaluateDays: (fields["evaluate_days"] ?? "").trimmingCharacters(in: .whitespaces),
                                      remediateDays: (fields["remediate_days"] ?? "").trimmingCharacters(in: .whitespaces),
                                      monthlyChannel: fields["monthly_channel"] ?? "")
        var errors: [String: String] = [:]
        let framework = ReportFramework(rawValue: form.framework)
        if framework == nil { errors["framework"] = "Choose a framework from the list." }
        let daysHint = "Write severity=days pairs separated by commas, such as critical=7,high=14 (critical, high, medium, low, none; 0 to 3650 days)."
        if !form.evaluateDays.isEmpty, DeadlinePolicy.days(form.evaluateDays, over: [:]) == nil { errors["evaluate_days"] = daysHint }
        if !form.remediateDays.isEmpty, DeadlinePolicy.days(form.remediateDays, over: [:]) == nil { errors["remediate_days"] = daysHint }
        var channelID: Int64?
        if !form.monthlyChannel.isEmpty {
            let channels = try await store.channels(organisationID: organisation.id)
            if let id = Int64(form.monthlyChannel), channels.contains(where: { $0.id == id }) {
                channelID = id
            } else {
                errors["monthly_channel"] = "Choose one of \(organisation.name)'s channels, or none."
            }
        }
        guard errors.isEmpty, let framework else {
            return try await renderPage(organisation, context: context, form: form, errors: errors, status: .badRequest)
        }
        let settings = ReportSettings(framework: framework.rawValue, evaluateDays: form.evaluateDays.isEmpty ? nil : form.evaluateDays,
                                      remediateDays: form.remediateDays.isEmpty ? nil : form.remediateDays, monthlyChannelID: channelID)
        try await store.saveReportSettings(settings, organisationID: organisation.id, actor: context.viewer?.user.email ?? "web", at: Date())
        return Response(status: .seeOther, headers: [.location: "/reports?done=saved"])
    }

    /// `/reports/2026-11.csv?framework=nerc-cip`: CSV and PDF as attachments, HTML inline.
    @Sendable func report(_ request: Request, context: Context) async throws -> Response {
        let file = try context.parameters.require("file")
        guard let dot = file.lastIndex(of: "."), let format = ReportFormat(rawValue: String(file[file.index(after: dot)...])) else {
            throw HTTPError(.notFound, message: "Reports are served as .csv, .html or .pdf, such as /reports/2026-11.csv.")
        }
        let period = try Self.period(String(file[..<dot]))
        guard let organisation = try await scope.organisation(request, viewer: context.viewer, signInRequired: true) else {
            throw HTTPError(.notFound, message: "No organisation is configured on this server (vigil serve --org NAME).")
        }
        let settings = try await store.reportSettings(organisationID: organisation.id)
        let framework = try request.uri.queryParameters.get("framework").map { try Self.framework($0) } ?? ReportFramework(settings: settings)
        let report = try await ComplianceReport.load(from: store, organisation: organisation, period: period, framework: framework,
                                                     policy: DeadlinePolicy(framework: framework, settings: settings), madeAt: Date())
        var headers = HTTPFields()
        let body: ByteBuffer
        switch format {
        case .csv: body = ByteBuffer(string: report.csv)
        case .pdf: body = ByteBuffer(bytes: report.pdf)
        case .html:
            let html = report.html
            body = ByteBuffer(string: html)
            // The standalone page carries its own style sheet (it is also saved and printed on its own): allowed by its
            // hash alone, in place of the site's policy (SecurityHeadersMiddleware keeps a policy a response set).
            headers[.contentSecurityPolicy] = Self.contentSecurityPolicy(html)
        }
        let filename = Self.filename(organisation: organisation.name, period: period, format: format)
        headers[.contentType] = format.contentType
        headers[.contentDisposition] = (format == .html ? "inline" : "attachment") + "; filename=\"\(filename)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// The site's policy with the page's one `<style>` element allowed by its SHA-256.
    static func contentSecurityPolicy(_ html: String) -> String {
        var style = "'self'"
        if let open = html.range(of: "<style>"), let close = html.range(of: "</style>", range: open.upperBound..<html.endIndex) {
            let digest = SHA256.hash(data: Data(html[open.upperBound..<close.lowerBound].utf8))
            style = "'sha256-\(Data(digest).base64EncodedString())'"
        }
        return "default-src 'none'; style-src \(style); img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    }

    static func filename(organisation: String, period: ReportPeriod, format: ReportFormat) -> String {
        ComplianceReport.filename(organisation: organisation, period: period, extension: format.rawValue)
    }

    static func period(_ month: String) throws -> ReportPeriod {
        guard let period = ReportPeriod(month: month) else {
            throw HTTPError(.badRequest, message: "The month must be written YYYY-MM, such as 2026-11.")
        }
        return period
    }

    static func framework(_ text: String) throws -> ReportFramework {
        guard let framework = ReportFramework(rawValue: text) else {
            throw HTTPError(.badRequest, message: "The framework must be one of \(ReportFramework.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return framework
    }

    static func badFormat(_ text: String) -> HTTPError {
        HTTPError(.badRequest, message: "The format must be one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    }

    /// `YYYY-MM` of the month before `date`'s (UTC), as `vigil report` defaults to.
    static func lastMonth(before date: Date) -> String { ReportPeriod.month(before: date).name }
}

/// The formats a report is served in.
enum ReportFormat: String, CaseIterable, Sendable {
    case html, csv, pdf

    var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        case .pdf: "application/pdf"
        }
    }

    var label: String {
        switch self {
        case .csv: "CSV (spreadsheet)"
        case .html: "HTML (web page, printable)"
        case .pdf: "PDF"
        }
    }
}

/// What an admin sent in the settings form, shown again when it is refused.
struct ReportSettingsForm: Sendable {
    var framework: String
    var evaluateDays: String
    var remediateDays: String
    var monthlyChannel: String
}

/// The reports page: the form, with last month's figures and the organisation's report settings.
struct ReportsPageView {
    struct Choice {
        let value: String
        let label: String
        let selected: Bool
    }

    let pageTitle = "Reports"
    let hasOrganisation: Bool
    let organisation: String
    let month: String
    let frameworks: [Choice]
    let formats: [Choice]
    let hasSummary: Bool
    let alerts: Int
    let overdue: Int
    let late: Int
    /// The deadlines in force, in words, and where the monthly report goes.
    let frameworkTitle: String
    let policyText: String
    let monthlyChannel: String?
    let settingsSaved: String?
    /// The settings form (admins only).
    let canAdminister: Bool
    let csrf: String
    let settingsFrameworks: [Choice]
    let evaluateDays: String
    let remediateDays: String
    let channels: [Choice]
    let frameworkError: String?
    let evaluateDaysError: String?
    let remediateDaysError: String?
    let monthlyChannelError: String?
    let hasErrors: Bool
    let notice: String?

    init(organisation: String?, month: String, figures: (alerts: Int, overdue: Int, late: Int)?, settings: ReportSettings? = nil,
         channels: [NotificationChannel] = [], canAdminister: Bool = false, csrf: String = "", form: ReportSettingsForm? = nil,
         errors: [String: String] = [:], notice: String? = nil) {
        hasOrganisation = organisation != nil
        self.organisation = organisation ?? ""
        self.month = month
        let framework = ReportFramework(settings: settings)
        frameworks = ReportFramework.allCases.map {
            Choice(value: $0.rawValue, label: "\($0.rawValue): \($0.title)", selected: $0 == framework)
        }
        formats = ReportFormat.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0 == .html) }
        hasSummary = figures != nil
        alerts = figures?.alerts ?? 0
        overdue = figures?.overdue ?? 0
        late = figures?.late ?? 0
        frameworkTitle = "\(framework.rawValue) (\(framework.title))"
        policyText = DeadlinePolicy(framework: framework, settings: settings).text
        let monthly = settings?.monthlyChannelID.flatMap { id in channels.first { $0.id == id } }
        monthlyChannel = monthly.map { "\($0.name)\($0.enabled ? "" : " (turned off: nothing is sent)")" }
        settingsSaved = settings?.updatedAt.map { "Last changed \(Format.dateTime($0) ?? "") by \(settings?.updatedBy ?? "")" }
        self.canAdminister = canAdminister
        self.csrf = csrf
        let chosenFramework = form?.framework ?? framework.rawValue
        settingsFrameworks = ReportFramework.allCases.map {
            Choice(value: $0.rawValue, label: "\($0.rawValue): \($0.title)", selected: $0.rawValue == chosenFramework)
        }
        evaluateDays = form?.evaluateDays ?? settings?.evaluateDays ?? ""
        remediateDays = form?.remediateDays ?? settings?.remediateDays ?? ""
        let chosenChannel = form?.monthlyChannel ?? settings?.monthlyChannelID.map(String.init) ?? ""
        self.channels = [Choice(value: "", label: "None: no monthly report", selected: chosenChannel.isEmpty)]
            + channels.map { Choice(value: String($0.id), label: "\($0.name) (\($0.kind == .email ? $0.target : $0.kind.rawValue))",
                                    selected: String($0.id) == chosenChannel) }
        frameworkError = errors["framework"]
        evaluateDaysError = errors["evaluate_days"]
        remediateDaysError = errors["remediate_days"]
        monthlyChannelError = errors["monthly_channel"]
        hasErrors = !errors.isEmpty
        self.notice = notice
    }
}
