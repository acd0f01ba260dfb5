import CSAF
import Foundation
import Hummingbird
import Storage

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
        // As the OpenAPI document gives them: a status by its exact name, a plain whole number.
        let parameters = request.uri.queryParameters
        var status: AlertStatus?
        for text in parameters.getAll("status") {
            guard let parsed = AlertStatus(rawValue: text) else {
                throw HTTPError(.badRequest, message: "The status \(text) is not one of new, investigating, patched, mitigated, not_applicable.")
            }
            status = status ?? parsed
        }
        var limit: Int?
        for text in parameters.getAll("limit") {
            guard let parsed = APIParameters.integer(text, in: 1...10_000) else {
                throw HTTPError(.badRequest, message: "The limit \(text) is not a whole number from 1 to 10000.")
            }
            limit = limit ?? parsed
        }
        let alerts = try await store.alerts(organisationID: org.id, status: status, limit: limit ?? 500)
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
