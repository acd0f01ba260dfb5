import Alerts
import Foundation
import Hummingbird
import Storage

/// `/settings/organisation`, for an organisation's admins: its name, the time zone and hour its daily and weekly
/// digests are composed at, and the base URL its messages and invitations link to. What `vigil org settings` does on
/// the command line.
struct OrganisationSettingsController<Context: ViewerRequestContext>: Sendable {
    let store: any ServedStore
    let renderer: TemplateRenderer
    let scope: OrganisationScope
    /// The server's own base URL (`--base-url`), used when the organisation sets none.
    let serverBaseURL: String

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/settings/organisation", use: page)
        routes.post("/settings/organisation", use: save)
        return routes
    }

    func administered(_ request: Request, _ context: Context) async throws -> (Organisation, Viewer) {
        try await scope.administered(request, viewer: context.viewer, nothing: "no settings", managed: "The settings of")
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        guard let settings = try await store.organisationSettings(organisationID: organisation.id) else {
            throw HTTPError(.notFound, message: "\(organisation.name) no longer exists.")
        }
        let notice = request.uri.queryParameters.get("done") == "saved" ? "The settings are saved." : nil
        return try render(settings, saved: settings, viewer: viewer, notice: notice)
    }

    func render(_ form: OrganisationSettingsForm, saved: OrganisationSettings, viewer: Viewer, errors: [String: String] = [:],
                notice: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let view = OrganisationSettingsPageView(form: form, saved: saved, csrf: viewer.csrfToken ?? "", serverBaseURL: serverBaseURL,
                                                errors: errors, notice: notice, now: Date())
        return HTMLResponse.make(try renderer.render(view, template: "organisation"), status: status)
    }

    func render(_ settings: OrganisationSettings, saved: OrganisationSettings, viewer: Viewer, notice: String?) throws -> Response {
        try render(OrganisationSettingsForm(settings), saved: saved, viewer: viewer, notice: notice)
    }

    @Sendable func save(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        guard let saved = try await store.organisationSettings(organisationID: organisation.id) else {
            throw HTTPError(.notFound, message: "\(organisation.name) no longer exists.")
        }
        let fields = context.form ?? FormFields()
        let form = OrganisationSettingsForm(name: fields["name"] ?? "", timeZone: fields["time_zone"] ?? "",
                                            digestHour: (fields["digest_hour"] ?? "").trimmingCharacters(in: .whitespaces),
                                            baseURL: (fields["base_url"] ?? "").trimmingCharacters(in: .whitespaces))
        let draft = OrganisationSettings(name: form.name, timeZone: form.timeZone, digestHour: Int(form.digestHour) ?? -1,
                                         baseURL: form.baseURL.isEmpty ? nil : form.baseURL)
        // Every problem at once, each beside its field; the store checks again.
        let problems = draft.checked().problems
        guard problems.isEmpty else {
            return try render(form, saved: saved, viewer: viewer, errors: Dictionary(problems.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first }),
                              status: .badRequest)
        }
        do {
            try await store.saveOrganisationSettings(draft, organisationID: organisation.id, actor: viewer.user.email, at: Date())
        } catch let error as StoreError {
            switch error.kind {
            case .conflict:
                return try render(form, saved: saved, viewer: viewer, errors: ["name": error.message], status: .conflict)
            case .invalid(let field):
                return try render(form, saved: saved, viewer: viewer, errors: [field ?? "name": error.message], status: .badRequest)
            default:
                throw error
            }
        }
        return Response(status: .seeOther, headers: [.location: "/settings/organisation?done=saved"])
    }
}

/// What the form holds, as typed.
struct OrganisationSettingsForm: Sendable {
    var name: String
    var timeZone: String
    var digestHour: String
    var baseURL: String

    init(name: String, timeZone: String, digestHour: String, baseURL: String) {
        self.name = name
        self.timeZone = timeZone
        self.digestHour = digestHour
        self.baseURL = baseURL
    }

    init(_ settings: OrganisationSettings) {
        self.init(name: settings.name, timeZone: settings.timeZone, digestHour: String(settings.digestHour), baseURL: settings.baseURL ?? "")
    }
}

/// The template's view of `/settings/organisation`.
struct OrganisationSettingsPageView {
    struct Choice {
        let value: String
        let label: String
        let selected: Bool
    }

    let pageTitle = "Organisation settings"
    let organisation: String
    let csrf: String
    let name: String
    let baseURL: String
    let serverBaseURL: String
    let timeZones: [Choice]
    let hours: [Choice]
    let nameError: String?
    let timeZoneError: String?
    let digestHourError: String?
    let baseURLError: String?
    let hasErrors: Bool
    let notice: String?
    /// When the saved settings compose the next daily and weekly digests, in local time and UTC.
    let nextDaily: String
    let nextWeekly: String
    let updated: String?

    init(form: OrganisationSettingsForm, saved: OrganisationSettings, csrf: String, serverBaseURL: String, errors: [String: String],
         notice: String?, now: Date) {
        organisation = saved.name
        self.csrf = csrf
        name = form.name
        baseURL = form.baseURL
        self.serverBaseURL = serverBaseURL
        var zones = TimeZone.knownTimeZoneIdentifiers.sorted()
        if !zones.contains("UTC") { zones.insert("UTC", at: 0) }
        // A zone typed by hand (the field is a list, but a client may post anything) stays shown with its error.
        if !form.timeZone.isEmpty, !zones.contains(form.timeZone) { zones.insert(form.timeZone, at: 0) }
        timeZones = zones.map { Choice(value: $0, label: $0.replacingOccurrences(of: "_", with: " "), selected: $0 == form.timeZone) }
        hours = (0..<24).map { Choice(value: String($0), label: String(format: "%02d:00", $0), selected: String($0) == form.digestHour) }
        nameError = errors["name"]
        timeZoneError = errors["time_zone"]
        digestHourError = errors["digest_hour"]
        baseURLError = errors["base_url"]
        hasErrors = !errors.isEmpty
        self.notice = notice
        let zone = TimeZone(identifier: saved.timeZone) ?? TimeZone(identifier: "UTC")!
        nextDaily = Self.next(.daily, after: now, zone: zone, hour: saved.digestHour)
        nextWeekly = Self.next(.weekly, after: now, zone: zone, hour: saved.digestHour)
        updated = saved.updatedAt.map { "Last saved \(Format.dateTime($0) ?? "") by \(saved.updatedBy ?? "someone")." }
    }

    /// The first boundary after `now`, as the dispatcher computes them: the latest one by a period later, or, when a
    /// daylight-saving change makes the period an hour longer, by a period and two hours later.
    static func next(_ schedule: NotificationChannel.Schedule, after now: Date, zone: TimeZone, hour: Int) -> String {
        let policy = DeliveryPolicy()
        let step: TimeInterval = schedule == .weekly ? 7 * 86_400 : 86_400
        guard var boundary = policy.digestBoundary(schedule, now: now.addingTimeInterval(step), timeZone: zone, hour: hour) else { return "" }
        if boundary <= now, let later = policy.digestBoundary(schedule, now: now.addingTimeInterval(step + 7_200), timeZone: zone, hour: hour) {
            boundary = later
        }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_GB")
        local.timeZone = zone
        local.dateFormat = "EEEE yyyy-MM-dd HH:mm"
        let suffix = zone.identifier == "UTC" ? " UTC" : " \(zone.identifier) (\(Format.dateTime(boundary) ?? ""))"
        return local.string(from: boundary) + suffix
    }
}
