import CSAF
import Foundation
import Hummingbird
import Store

/// `/api/v1/alerts`: the alert log of the organisation a personal API token acts in (`Authorization: Bearer vgl_…`).
/// Without a token the answer is 401; another organisation's alert is 404, as on the pages.
struct AlertAPIController<Context: ViewerRequestContext>: Sendable {
    let store: any AlertStore & OutboxStore

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/alerts", use: list)
        routes.get("/alerts/{id}", use: show)
        return routes
    }

    struct AlertJSON: Encodable {
        struct Match: Encodable { let watch: String; let reason: String }
        let id: Int64
        let advisoryId: String
        let advisoryVersion: String
        let title: String
        let status: String
        let owner: String?
        let dueDate: String?
        let severity: String
        let cvssScore: Double?
        let createdAt: Date
        let changes: [String]
        let matches: [Match]

        init(_ alert: StoredAlert) {
            id = alert.id
            advisoryId = alert.draft.advisoryID
            advisoryVersion = alert.draft.advisoryVersion
            title = alert.advisoryTitle
            status = alert.status
            owner = alert.owner
            dueDate = alert.dueDate
            severity = alert.severity
            cvssScore = alert.cvssScore
            createdAt = alert.createdAt
            changes = alert.draft.changes
            matches = alert.draft.matches.map { Match(watch: $0.watch, reason: $0.reason) }
        }
    }

    struct AlertListJSON: Encodable {
        let organisation: String
        let alerts: [AlertJSON]
    }

    struct AlertDetailJSON: Encodable {
        struct Event: Encodable { let at: Date; let actor: String; let field: String; let oldValue: String?; let newValue: String? }
        struct Delivery: Encodable { let channel: String; let kind: String; let status: String; let attempts: Int; let lastError: String?; let deliveredAt: Date? }
        let alert: AlertJSON
        let history: [Event]
        let deliveries: [Delivery]
    }

    /// The organisation of the request's API token.
    func organisation(_ context: Context) throws -> Organisation {
        guard let viewer = context.viewer, viewer.csrfToken == nil, let org = viewer.organisation else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                            message: "This endpoint needs a personal API token: create one on your account page (/account) and send it as Authorization: Bearer vgl_….")
        }
        return org
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let org = try organisation(context)
        let statusText = request.uri.queryParameters.get("status") ?? ""
        let status = statusText.isEmpty ? nil : AlertStatus(parsing: statusText)
        if !statusText.isEmpty, status == nil {
            throw HTTPError(.badRequest, message: "The status \(statusText) is not one of new, investigating, patched, mitigated, not_applicable.")
        }
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "") ?? 500, 1), 10_000)
        let alerts = try await store.alerts(organisationID: org.id, status: status, limit: limit)
        return JSONResponse.make(AlertListJSON(organisation: org.name, alerts: alerts.map(AlertJSON.init)))
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        let org = try organisation(context)
        guard let id = Int64(try context.parameters.require("id")), let alert = try await store.alert(id: id, organisationID: org.id) else {
            throw HTTPError(.notFound, message: "There is no such alert.")
        }
        let events = try await store.alertEvents(alertID: id, organisationID: org.id)
        let deliveries = try await store.alertDeliveries(alertID: id, organisationID: org.id)
        return JSONResponse.make(AlertDetailJSON(
            alert: AlertJSON(alert),
            history: events.map { .init(at: $0.at, actor: $0.actor, field: $0.field, oldValue: $0.oldValue, newValue: $0.newValue) },
            deliveries: deliveries.map { .init(channel: $0.channelName, kind: $0.kind.rawValue, status: $0.status.rawValue, attempts: $0.attempts,
                                               lastError: $0.lastError, deliveredAt: $0.deliveredAt) }))
    }
}
