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
        let now = Date()
        let lastMonth = Self.lastMonth(before: now)
        guard let organisation else {
            return HTMLResponse.make(try renderer.render(ReportsPageView(organisation: nil, month: lastMonth, summary: nil), template: "reports"))
        }
        // Keyed by the day as well: which month is "last month", and which deadlines have passed, move with time.
        let key = "\(organisation.id)|/reports?day=" + Timestamp.formatDay(now)
        let generation = try await self.generation.current()
        if let body = cache.get(key, generation: generation) { return HTMLResponse.make(body) }
        return HTMLResponse.make(try await cache.body(key, generation: generation) {
            let report = try await ComplianceReport.load(from: store, organisation: organisation, period: try Self.period(lastMonth),
                                                         framework: .plain, madeAt: now)
            return ByteBuffer(string: try renderer.render(ReportsPageView(organisation: organisation.name, month: lastMonth, summary: report.summary),
                                                          template: "reports"))
        })
    }

    /// `/reports/2026-11.csv?framework=nerc-cip`: CSV and PDF as attachments, HTML inline.
    @Sendable func report(_ request: Request, context: Context) async throws -> Response {
        let file = try context.parameters.require("file")
        guard let dot = file.lastIndex(of: "."), let format = ReportFormat(rawValue: String(file[file.index(after: dot)...])) else {
            throw HTTPError(.notFound, message: "Reports are served as .csv, .html or .pdf, such as /reports/2026-11.csv.")
        }
        let period = try Self.period(String(file[..<dot]))
        let framework = try Self.framework(request.uri.queryParameters.get("framework") ?? ReportFramework.plain.rawValue)
        guard let organisation = try await scope.organisation(request, viewer: context.viewer, signInRequired: true) else {
            throw HTTPError(.notFound, message: "No organisation is configured on this server (vigil serve --org NAME).")
        }
        let report = try await ComplianceReport.load(from: store, organisation: organisation, period: period, framework: framework,
                                                     madeAt: Date())
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

    /// `vigil-report-Plant-A-2026-11.pdf`: only ASCII letters, digits and `-` of the organisation's name, so the
    /// header needs no quoting rules and no file system is surprised.
    static func filename(organisation: String, period: ReportPeriod, format: ReportFormat) -> String {
        var slug = ""
        for scalar in organisation.unicodeScalars {
            let keep = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-")
            if keep { slug.unicodeScalars.append(scalar) } else if !slug.isEmpty, !slug.hasSuffix("-") { slug += "-" }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return ["vigil-report", slug, period.name].filter { !$0.isEmpty }.joined(separator: "-") + "." + format.rawValue
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
    static func lastMonth(before date: Date) -> String {
        let day = Timestamp.formatDay(date)
        let year = Int(day.prefix(4)) ?? 1970
        let month = Int(day.dropFirst(5).prefix(2)) ?? 1
        return month == 1 ? String(format: "%04d-12", year - 1) : String(format: "%04d-%02d", year, month - 1)
    }
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

/// The reports page: the form, with last month's figures when there is an organisation.
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

    init(organisation: String?, month: String, summary: ComplianceReport.Summary?) {
        hasOrganisation = organisation != nil
        self.organisation = organisation ?? ""
        self.month = month
        frameworks = ReportFramework.allCases.map {
            Choice(value: $0.rawValue, label: "\($0.rawValue): \($0.title)", selected: $0 == .plain)
        }
        formats = ReportFormat.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0 == .html) }
        hasSummary = summary != nil
        alerts = summary?.alerts ?? 0
        overdue = summary?.overdue ?? 0
        late = (summary?.evaluationVerdicts[.late] ?? 0) + (summary?.remediationVerdicts[.late] ?? 0)
    }
}
