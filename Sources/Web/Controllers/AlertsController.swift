import CSAF
import Foundation
import Hummingbird
import Storage

/// The alert log of the organisation `vigil serve --org` names, its CSV export, one alert with its deliveries and
/// history, and the unsubscribe links of alert emails.
struct AlertsController<Context: ViewerRequestContext>: Sendable {
    let store: any AlertStore & OutboxStore & AssetStore
    let renderer: TemplateRenderer
    let scope: OrganisationScope

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/alerts", use: list)
        routes.get("/alerts.csv", use: csv)
        routes.get("/alerts/{id}", use: show)
        routes.post("/alerts/{id}", use: update)
        routes.get("/unsubscribe/{token}", use: unsubscribePage)
        routes.post("/unsubscribe/{token}", use: unsubscribe)
        return routes
    }

    /// The signed-in user's organisation (or without accounts the one of `vigil serve --org`); signed out with
    /// accounts in use, a redirect to the sign-in page.
    func currentOrganisation(_ request: Request, context: Context) async throws -> Organisation? {
        try await scope.organisation(request, viewer: context.viewer, signInRequired: true)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let statusText = request.uri.queryParameters.get("status") ?? ""
        let status = statusText.isEmpty ? nil : AlertStatus(parsing: statusText)
        if !statusText.isEmpty, status == nil {
            throw HTTPError(.badRequest, message: "The status \(statusText) is not one of new, investigating, patched, mitigated, not_applicable.")
        }
        guard let org = try await currentOrganisation(request, context: context) else {
            return HTMLResponse.make(try renderer.render(AlertLogPageView(organisation: nil, alerts: [], failed: [], status: nil), template: "alerts"))
        }
        let alerts = try await store.alerts(organisationID: org.id, status: status, limit: 500)
        let failed = try await store.deliveries(organisationID: org.id, status: .failed, limit: 50)
        return HTMLResponse.make(try renderer.render(AlertLogPageView(organisation: org.name, alerts: alerts, failed: failed, status: status),
                                                     template: "alerts"))
    }

    @Sendable func csv(_ request: Request, context: Context) async throws -> Response {
        guard let org = try await currentOrganisation(request, context: context) else {
            throw HTTPError(.notFound, message: "No organisation is configured on this server (vigil serve --org NAME).")
        }
        let status = request.uri.queryParameters.get("status").flatMap(AlertStatus.init(parsing:))
        let alerts = try await store.alerts(organisationID: org.id, status: status, limit: 1_000_000)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"vigil-alerts.csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: AlertLogExport.csv(alerts))))
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        // Another organisation's alert is "not found", never "forbidden": its existence is not revealed.
        guard let id = Int64(try context.parameters.require("id")), let org = try await currentOrganisation(request, context: context),
              let alert = try await store.alert(id: id, organisationID: org.id) else {
            throw HTTPError(.notFound, message: "There is no such alert.")
        }
        return try await render(alert, organisation: org, context: context, editor: nil, status: .ok)
    }

    func render(_ alert: StoredAlert, organisation org: Organisation, context: Context, editor: AlertEditForm?,
                status: HTTPResponse.Status) async throws -> Response {
        let deliveries = try await store.alertDeliveries(alertID: alert.id, organisationID: org.id)
        let events = try await store.alertEvents(alertID: alert.id, organisationID: org.id)
        var view = AlertPageView(organisation: org.name, alert: alert, deliveries: deliveries, events: events)
        if let viewer = context.viewer, viewer.canEdit, let csrf = viewer.csrfToken {
            view.editor = editor ?? AlertEditForm(alert: alert, csrf: csrf)
        }
        return HTMLResponse.make(try renderer.render(view, template: "alert"), status: status)
    }

    /// The alert page's form: members and admins change status, owner and due date and add notes, each change kept
    /// in the history with their email; viewers may only read.
    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        guard let id = Int64(try context.parameters.require("id")), let org = try await currentOrganisation(request, context: context),
              let alert = try await store.alert(id: id, organisationID: org.id) else {
            throw HTTPError(.notFound, message: "There is no such alert.")
        }
        guard let viewer = context.viewer, viewer.canEdit, let csrf = viewer.csrfToken else {
            throw HTTPError(.forbidden, message: "Your role in \(org.name) is viewer, which reads alerts but does not change them. Ask an administrator to make you a member.")
        }
        let form = context.form ?? FormFields()
        let statusText = form["status"] ?? ""
        let status = statusText.isEmpty ? nil : AlertStatus(parsing: statusText)
        let note = form["note"] ?? ""
        func refuse(_ message: String?, field: (field: String, message: String, typed: String)? = nil) async throws -> Response {
            try await render(alert, organisation: org, context: context,
                             editor: AlertEditForm(alert: alert, csrf: csrf, note: note, error: message, fieldError: field), status: .badRequest)
        }
        if !statusText.isEmpty, status == nil {
            return try await refuse("Choose one of the statuses listed.")
        }
        let owner = form["owner"].map { String($0.prefix(200)) }
        guard note.count <= 4000 else { return try await refuse("Keep the note under 4,000 characters, or add it in parts.") }
        do {
            _ = try await store.updateAlert(id: id, organisationID: org.id,
                                            update: AlertUpdate(status: status, owner: owner, dueDate: form["due"], note: note.isEmpty ? nil : note),
                                            actor: viewer.user.email, at: Date())
        } catch let error as StoreError {
            // Only refusals of the input go back to the form; anything else (the database unreachable or damaged) is
            // answered by `ErrorPageMiddleware`, which keeps its text from the page.
            guard case .invalid(let field) = error.kind else { throw error }
            let message = ErrorAnswer.sentence(error.message)
            if let field, field == "due" {
                return try await refuse("The change was not saved.", field: (field, message, String((form["due"] ?? "").prefix(40))))
            }
            return try await refuse("The change was not saved: \(error.message).")
        }
        return Redirect.to("/alerts/\(id)")
    }

    @Sendable func unsubscribePage(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let channel = try await store.channel(unsubscribeToken: token) else {
            throw HTTPError(.notFound, message: "This unsubscribe link is not valid (the channel may have been removed).")
        }
        return HTMLResponse.make(try renderer.render(UnsubscribePageView(channel: channel, done: false), template: "unsubscribe"))
    }

    /// RFC 8058 one-click unsubscribe: mail clients POST here without cookies, so the unguessable token in the link is
    /// the whole authority (no session or CSRF token can exist for this request).
    @Sendable func unsubscribe(_ request: Request, context: Context) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let channel = try await store.channel(unsubscribeToken: token) else {
            throw HTTPError(.notFound, message: "This unsubscribe link is not valid (the channel may have been removed).")
        }
        if channel.enabled {
            _ = try await store.setChannelEnabled(id: channel.id, organisationID: channel.organisationID, enabled: false,
                                                  reason: "unsubscribed by the recipient on \(Timestamp.formatDay(Date()))")
        }
        return HTMLResponse.make(try renderer.render(UnsubscribePageView(channel: channel, done: true), template: "unsubscribe"))
    }
}
