import Alerts
import CSAF
import Foundation
import Hummingbird
import Storage

/// The organisation's watches in the browser: the list, a form to add one (prefilled from an advisory or vendor
/// page's "Watch" link), and removal. Everyone in the organisation reads them; members and admins change them.
struct WatchesController<Context: ViewerRequestContext>: Sendable {
    let store: any AlertingStore
    let renderer: TemplateRenderer
    let scope: OrganisationScope

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/watches", use: list)
        routes.get("/watches/new", use: newForm)
        routes.post("/watches", use: add)
        routes.get("/watches/{id}/edit", use: editForm)
        routes.post("/watches/{id}", use: save)
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
        struct Example { let id: String; let href: String; let title: String; let reason: String }
        let pageTitle: String
        let text = ""
        let organisation: String
        /// `/watches` for a new watch, `/watches/ID` when editing one.
        let action: String
        let isEdit: Bool
        let hasPreview: Bool
        let previewText: String
        let previewExamples: [Example]
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

    /// The form's fields as sent.
    struct Submitted {
        var kind: String
        var value: String
        var severity: String
        var notify: [String]
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
        case "changed": "The watch is changed. It alerts by its new rule for advisories stored from now on."
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
                    error: String?, status: HTTPResponse.Status, editing: Int64? = nil, preview: WatchPreview? = nil) async throws -> Response {
        let channels = try await store.channels(organisationID: org.id)
        var previewText = ""
        if let preview {
            previewText = "In the last \(preview.days) days this watch would have matched \(preview.matched) of \(preview.examined) advisories"
                + (preview.truncated ? " (the newest \(preview.examined) of them)." : ".")
        }
        let view = WatchFormView(
            pageTitle: editing == nil ? "New watch" : "Edit watch", organisation: org.name,
            action: editing.map { "/watches/\($0)" } ?? "/watches", isEdit: editing != nil,
            hasPreview: preview != nil, previewText: previewText,
            previewExamples: (preview?.examples ?? []).map {
                .init(id: $0.advisoryID, href: "/advisories/" + ($0.advisoryID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0.advisoryID),
                      title: $0.title, reason: $0.reason)
            },
            csrf: viewer.csrfToken ?? "",
            rules: Self.rules.map { .init(value: $0.kind, label: $0.label, selected: $0.kind == kind) },
            value: value,
            severities: [WatchFormView.Option(value: "", label: "any severity", selected: severity.isEmpty)]
                + [Severity.low, .medium, .high, .critical].map { .init(value: $0.rawValue, label: "\($0.rawValue) or worse", selected: $0.rawValue == severity) },
            channels: channels.map { .init(value: $0.name, label: "\($0.name) (\($0.kind == .email ? $0.target : $0.kind.rawValue))", selected: notify.contains($0.name)) },
            hasChannels: !channels.isEmpty, error: error)
        return HTMLResponse.make(try renderer.render(view, template: "watch-form"), status: status)
    }

    /// The submitted watch checked as `vigil watch add` checks it; the reason it is refused otherwise.
    func validated(_ submitted: Submitted, org: Organisation) async throws -> Result<StoredWatch.Draft, WatchFormError> {
        var value = String(submitted.value.prefix(200))
        guard let rule = Self.rules.first(where: { $0.kind == submitted.kind }) else { return .failure(.init("Choose what to watch from the list.")) }
        if !rule.needsValue { value = "" }
        if rule.needsValue, value.isEmpty { return .failure(.init("Say which \(rule.label.lowercased()) to watch.")) }
        if submitted.kind == "min_cvss" {
            guard let score = Double(value.replacingOccurrences(of: ",", with: ".")), (0...10).contains(score) else {
                return .failure(.init("A CVSS score is a number from 0 to 10, such as 7.5."))
            }
            value = String(score)
        }
        let minimum: Severity? = submitted.severity.isEmpty ? nil : Severity(rawValue: submitted.severity)
        if !submitted.severity.isEmpty, minimum == nil { return .failure(.init("Choose a minimum severity from the list.")) }
        let channels = try await store.channels(organisationID: org.id)
        let unknown = submitted.notify.filter { name in !channels.contains { $0.name == name } }
        if !unknown.isEmpty { return .failure(.init("\(org.name) has no channel named \(unknown.joined(separator: ", ")).")) }
        return .success(.init(kind: submitted.kind, value: value, minimumSeverity: minimum, notify: submitted.notify.joined(separator: ",")))
    }

    func submitted(_ context: Context) -> (Submitted, preview: Bool) {
        let form = context.form ?? FormFields()
        return (Submitted(kind: form["rule"] ?? "", value: form["value"] ?? "", severity: form["min_severity"] ?? "", notify: form.all("notify")),
                form["preview"] != nil)
    }

    /// Adds the watch, or with `preview` shows what it would have matched and keeps the form as it was.
    @Sendable func add(_ request: Request, context: Context) async throws -> Response {
        let org = try await organisation(request, context)
        let viewer = try editor(org, context)
        return try await submit(org: org, viewer: viewer, context: context, editing: nil)
    }

    @Sendable func editForm(_ request: Request, context: Context) async throws -> Response {
        let org = try await organisation(request, context)
        let viewer = try editor(org, context)
        guard let id = Int64(try context.parameters.require("id")),
              let watch = try await store.watches(organisationID: org.id).first(where: { $0.id == id }) else {
            throw HTTPError(.notFound, message: "\(org.name) has no such watch.")
        }
        let notify = Set(watch.draft.notify.split(separator: ",").map(String.init))
        return try await renderForm(org: org, viewer: viewer, kind: watch.draft.kind, value: watch.draft.value,
                                    severity: watch.draft.minimumSeverity?.rawValue ?? "", notify: notify, error: nil, status: .ok, editing: id)
    }

    /// `POST /watches/{id}`: saves the edited watch, or with `preview` shows what it would have matched.
    @Sendable func save(_ request: Request, context: Context) async throws -> Response {
        let org = try await organisation(request, context)
        let viewer = try editor(org, context)
        guard let id = Int64(try context.parameters.require("id")),
              try await store.watches(organisationID: org.id).contains(where: { $0.id == id }) else {
            throw HTTPError(.notFound, message: "\(org.name) has no such watch.")
        }
        return try await submit(org: org, viewer: viewer, context: context, editing: id)
    }

    func submit(org: Organisation, viewer: Viewer, context: Context, editing: Int64?) async throws -> Response {
        let (fields, preview) = submitted(context)
        func again(error: String?, status: HTTPResponse.Status, preview: WatchPreview? = nil) async throws -> Response {
            try await renderForm(org: org, viewer: viewer, kind: fields.kind, value: fields.value, severity: fields.severity,
                                 notify: Set(fields.notify), error: error, status: status, editing: editing, preview: preview)
        }
        let draft: StoredWatch.Draft
        switch try await validated(fields, org: org) {
        case .failure(let problem): return try await again(error: problem.message, status: .badRequest)
        case .success(let checked): draft = checked
        }
        if preview {
            guard let watch = AlertCreator.watch(StoredWatch(id: editing ?? 0, organisationID: org.id, draft: draft, createdAt: Date())) else {
                return try await again(error: "This kind of watch cannot be previewed.", status: .badRequest)
            }
            return try await again(error: nil, status: .ok, preview: try await WatchPreview.run(watch, organisationID: org.id, store: store))
        }
        if let editing {
            _ = try await store.updateWatch(id: editing, organisationID: org.id, draft: draft)
            return Redirect.to("/watches?done=changed")
        }
        _ = try await store.addWatch(draft, organisationID: org.id)
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

/// Why the watch form was refused, in words for the person who filled it in.
struct WatchFormError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
