import CSAF
import Foundation
import Hummingbird
import Store

/// The alert log of the organisation `vigil serve --org` names, its CSV export, one alert with its deliveries and
/// history, and the unsubscribe links of alert emails.
struct AlertsController<Context: RequestContext>: Sendable {
    let store: any AlertStore & OutboxStore & AssetStore
    let renderer: TemplateRenderer
    let organisation: String?

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/alerts", use: list)
        routes.get("/alerts.csv", use: csv)
        routes.get("/alerts/{id}", use: show)
        routes.get("/unsubscribe/{token}", use: unsubscribePage)
        routes.post("/unsubscribe/{token}", use: unsubscribe)
        return routes
    }

    func currentOrganisation() async throws -> Organisation? {
        guard let organisation else { return nil }
        return try await store.organisation(named: organisation, create: false)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let statusText = request.uri.queryParameters.get("status") ?? ""
        let status = statusText.isEmpty ? nil : AlertStatus(parsing: statusText)
        if !statusText.isEmpty, status == nil {
            throw HTTPError(.badRequest, message: "The status \(statusText) is not one of new, investigating, patched, mitigated, not_applicable.")
        }
        guard let org = try await currentOrganisation() else {
            return HTMLResponse.make(try renderer.render(AlertLogPageView(organisation: nil, alerts: [], failed: [], status: nil), template: "alerts"))
        }
        let alerts = try await store.alerts(organisationID: org.id, status: status, limit: 500)
        let failed = try await store.deliveries(organisationID: org.id, status: .failed, limit: 50)
        return HTMLResponse.make(try renderer.render(AlertLogPageView(organisation: org.name, alerts: alerts, failed: failed, status: status),
                                                     template: "alerts"))
    }

    @Sendable func csv(_ request: Request, context: Context) async throws -> Response {
        guard let org = try await currentOrganisation() else {
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
        guard let id = Int64(try context.parameters.require("id")), let org = try await currentOrganisation(),
              let alert = try await store.alert(id: id, organisationID: org.id) else {
            throw HTTPError(.notFound, message: "There is no such alert.")
        }
        let deliveries = try await store.alertDeliveries(alertID: id, organisationID: org.id)
        let events = try await store.alertEvents(alertID: id, organisationID: org.id)
        return HTMLResponse.make(try renderer.render(AlertPageView(organisation: org.name, alert: alert, deliveries: deliveries, events: events),
                                                     template: "alert"))
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
