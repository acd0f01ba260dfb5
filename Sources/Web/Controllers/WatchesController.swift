import CSAF
import Foundation
import Hummingbird
import Storage

/// The organisation's watches in the browser: the list, a form to add one (prefilled from an advisory or vendor
/// page's "Watch" link), and removal. Everyone in the organisation reads them; members and admins change them.
struct WatchesController<Context: ViewerRequestContext>: Sendable {
    let store: any AlertStore & OutboxStore & AssetStore
    let renderer: TemplateRenderer
    let scope: OrganisationScope

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/watches", use: list)
        routes.get("/watches/new", use: newForm)
        routes.post("/watches", use: add)
        routes.post("/watches/{id}/remove", use: remove)
        return routes
    }

    /// The rules a watch can have, as stored (`kind`) and as the form offers them.
    static var rules: [(kind: String, label: String, needsValue: Bool)] { [
        ("vendor", "Vendor", true), ("product", "Product", true), ("sector", "Sector", true), ("publisher", "Publisher", true),
        ("min_cvss", "CVSS score at least", true), ("keyword", "Keyword", true),
        ("kev", "Known exploited (CISA KEV)", false), ("assets", "Anything affecting our assets", false),
    ] }

    static func describe(_ watch: StoredWatch) -> String {
        let value = watch.draft.value
        var text = switch watch.draft.kind {
        case "min_cvss": "CVSS ≥ \(value)"
        case "kev": "known exploited (CISA KEV)"
        case "assets": "your asset inventory"
        case "keyword": "keyword \"\(value)\""
        default: "\(watch.draft.kind) \(value)"
        }
        if let minimum = watch.draft.minimumSeverity { text += ", \(minimum.rawValue) or worse" }
        return text
    }

    struct WatchListView {
        struct Row { let id: Int64; let rule: String; let notify: String; let created: String }
        let pageTitle = "Watches"
        let text = ""
        let organisation: String
        let rows: [Row]
        let hasRows: Bool
        let canEdit: Bool
        let csrf: String
        let notice: String?
    }

    struct WatchFormView {
        struct Option { let value: String; let label: String; let selected: Bool }
        let pageTitle = "New watch"
        let text = ""
        let organisation: String
        let csrf: String
        let rules: [Option]
        let value: String
        let severities: [Option]
        let channels: [Option]
        let hasChannels: Bool
        let error: String?
    }

    /// The viewer's organisation; signed out with accounts, a redirect to sign in.
    func organisation(_ request: Request, _ context: Context) async throws -> Organisation {
        guard let org = try await scope.organisation(request, viewer: context.viewer, signInRequired: true) else {
            throw HTTPError(.notFound, message: "You belong to no organisation, so there are no watches to show. Ask an administrator to add you (vigil users add EMAIL --org NAME).")
        }
        return org
    }

    /// Members and admins, signed in: only they change watches.
    func editor(_ org: Organisation, _ context: Context) throws -> Viewer {
        guard let viewer = context.viewer, viewer.canEdit, viewer.csrfToken != nil else {
            throw HTTPError(.forbidden, message: "Changing the watches of \(org.name) needs the member or admin role; yours reads only. Ask an administrator.")
        }
        return viewer
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let org = try await organisation(request, context)
        let watches = try await store.watches(organisationID: org.id)
        let rows = watches.map {
            WatchListView.Row(id: $0.id, rule: Self.describe($0), notify: $0.draft.notify.isEmpty ? "every channel" : $0.draft.notify.replacingOccurrences(of: ",", with: ", "),
                              created: Format.dateTime($0.createdAt) ?? "")
        }
        let notice: String? = switch request.uri.queryParameters.get("done") {
        case "added": "The watch is added. It alerts for advisories stored from now on."
        case "removed": "The watch is removed."
        default: nil
        }
        let view = WatchListView(organisation: org.name, rows: rows, hasRows: !rows.isEmpty, canEdit: context.viewer?.canEdit ?? false,
                                 csrf: context.viewer?.csrfToken ?? "", notice: notice)
        return HTMLResponse.make(try renderer.render(view, template: "watches"))
    }

    @Sendable func newForm(_ request: Request, context: Context) async throws -> Response {
        let org = try await organisation(request, context)
        let viewer = try editor(org, context)
        let query = request.uri.queryParameters
        // The first rule named in the link (?vendor=Siemens) prefills the form.
        var kind = "vendor", value = ""
        for rule in Self.rules {
            if let given = query.get(rule.kind) { kind = rule.kind; value = String(given); break }
        }
        return try await renderForm(org: org, viewer: viewer, kind: kind, value: value, severity: "", notify: [], error: nil, status: .ok)
    }

    func renderForm(org: Organisation, viewer: Viewer, kind: String, value: String, severity: String, notify: Set<String>,
                    error: String?, status: HTTPResponse.Status) async throws -> Response {
        let channels = try await store.channels(organisationID: org.id)
        let view = WatchFormView(
            organisation: org.name, csrf: viewer.csrfToken ?? "",
            rules: Self.rules.map { .init(value: $0.kind, label: $0.label, selected: $0.kind == kind) },
            value: value,
            severities: [WatchFormView.Option(value: "", label: "any severity", selected: severity.isEmpty)]
                + [Severity.low, .medium, .high, .critical].map { .init(value: $0.rawValue, label: "\($0.rawValue) or worse", selected: $0.rawValue == severity) },
            channels: channels.map { .init(value: $0.name, label: "\($0.name) (\($0.kind == .email ? $0.target : $0.kind.rawValue))", selected: notify.contains($0.name)) },
            hasChannels: !channels.isEmpty, error: error)
        return HTMLResponse.make(try renderer.render(view, template: "watch-form"), status: status)
    }

    @Sendable func add(_ request: Request, context: Context) async throws -> Response {
        let org = try await organisation(request, context)
        let viewer = try editor(org, context)
        let form = context.form ?? FormFields()
        let kind = form["rule"] ?? ""
        var value = String((form["value"] ?? "").prefix(200))
        let severity = form["min_severity"] ?? ""
        let notify = form.all("notify")
        func refuse(_ message: String) async throws -> Response {
            try await renderForm(org: org, viewer: viewer, kind: kind, value: value, severity: severity, notify: Set(notify), error: message, status: .badRequest)
        }
        guard let rule = Self.rules.first(where: { $0.kind == kind }) else { return try await refuse("Choose what to watch from the list.") }
        if !rule.needsValue { value = "" }
        if rule.needsValue, value.isEmpty { return try await refuse("Say which \(rule.label.lowercased()) to watch.") }
        if kind == "min_cvss" {
            guard let score = Double(value.replacingOccurrences(of: ",", with: ".")), (0...10).contains(score) else {
                return try await refuse("A CVSS score is a number from 0 to 10, such as 7.5.")
            }
            value = String(score)
        }
        let minimum: Severity? = severity.isEmpty ? nil : Severity(rawValue: severity)
        if !severity.isEmpty, minimum == nil { return try await refuse("Choose a minimum severity from the list.") }
        let channels = try await store.channels(organisationID: org.id)
        let unknown = notify.filter { name in !channels.contains { $0.name == name } }
        if !unknown.isEmpty { return try await refuse("\(org.name) has no channel named \(unknown.joined(separator: ", ")).") }
        _ = try await store.addWatch(.init(kind: kind, value: value, minimumSeverity: minimum, notify: notify.joined(separator: ",")),
                                     organisationID: org.id)
        return Redirect.to("/watches?done=added")
    }

    @Sendable func remove(_ request: Request, context: Context) async throws -> Response {
        let org = try await organisation(request, context)
        _ = try editor(org, context)
        guard let id = Int64(try context.parameters.require("id")), try await store.removeWatch(id: id, organisationID: org.id) else {
            throw HTTPError(.notFound, message: "\(org.name) has no such watch.")
        }
        return Redirect.to("/watches?done=removed")
    }
}
