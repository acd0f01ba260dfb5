import CSAF
import Foundation
import Hummingbird
import Storage

/// The signed-in user's own page: who they are, their organisation and role, how their email alerts arrive, their
/// personal API tokens, and signing out.
struct AccountController<Context: ViewerRequestContext>: Sendable {
    let store: any MemberDirectory.Backing
    let renderer: TemplateRenderer
    let settings: AccountSettings

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/account", use: page)
        routes.post("/account/delivery", use: setDelivery)
        routes.post("/account/organisation", use: switchOrganisation)
        routes.post("/account/tokens", use: createToken)
        routes.post("/account/tokens/{id}/revoke", use: revokeToken)
        return routes
    }

    struct AccountPageView {
        struct Choice { let value: String; let label: String; let checked: Bool }
        struct Token { let id: Int64; let name: String; let created: String; let lastUsed: String }
        let pageTitle = "Your account"
        let text = ""
        let csrf: String
        let email: String
        let displayName: String
        let organisation: String?
        let role: String?
        /// Admins get links to the organisation's settings; instance administrators to the sources.
        let isAdmin: Bool
        let instanceAdmin: Bool
        let deliveryChoices: [Choice]
        /// The user's other organisations, to switch to (an MSSP analyst works for several).
        let otherOrganisations: [Choice]
        let tokens: [Token]
        let hasTokens: Bool
        /// A token just created, shown this once.
        let newToken: String?
        let notice: String?
    }

    func signedIn(_ request: Request, _ context: Context) throws -> Viewer {
        guard let viewer = context.viewer, viewer.csrfToken != nil else { throw SignIn.redirect(from: request) }
        return viewer
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let viewer = try signedIn(request, context)
        let notice: String? = switch request.uri.queryParameters.get("done") {
        case "delivery": "Your delivery preference is saved."
        case "revoked": "The token is revoked: requests with it are refused from now on."
        case "switched": "You are now working in \(viewer.organisation?.name ?? "no organisation")."
        default: nil
        }
        return try await render(viewer, newToken: nil, notice: notice)
    }

    func render(_ viewer: Viewer, newToken: String?, notice: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let labels: [(NotificationChannel.Schedule, String)] = [
            (.immediate, "Each alert as it happens"), (.daily, "A daily digest (07:00 UTC)"), (.weekly, "A weekly digest (Mondays, 07:00 UTC)"),
        ]
        var tokens: [AccountPageView.Token] = []
        if let org = viewer.organisation {
            tokens = try await store.apiTokens(userID: viewer.user.id, organisationID: org.id).map {
                .init(id: $0.id, name: $0.name, created: Format.dateTime($0.createdAt) ?? "", lastUsed: Format.dateTime($0.lastUsedAt) ?? "never")
            }
        }
        let others = try await store.memberships(userID: viewer.user.id).filter { $0.organisation.id != viewer.organisation?.id }
        let view = AccountPageView(
            csrf: viewer.csrfToken ?? "", email: viewer.user.email, displayName: viewer.user.displayName,
            organisation: viewer.organisation?.name, role: viewer.role?.rawValue, isAdmin: viewer.role == .admin,
            instanceAdmin: viewer.user.instanceAdmin,
            deliveryChoices: viewer.membership == nil ? [] : labels.map { .init(value: $0.0.rawValue, label: $0.1, checked: viewer.membership?.delivery == $0.0) },
            otherOrganisations: others.map { .init(value: String($0.organisation.id), label: "\($0.organisation.name) (\($0.role.rawValue))", checked: false) },
            tokens: tokens, hasTokens: !tokens.isEmpty, newToken: newToken, notice: notice)
        return HTMLResponse.make(try renderer.render(view, template: "account"), status: status)
    }

    @Sendable func setDelivery(_ request: Request, context: Context) async throws -> Response {
        let viewer = try signedIn(request, context)
        guard let org = viewer.organisation else {
            throw HTTPError(.badRequest, message: "You belong to no organisation yet, so there is nothing to deliver. Ask an administrator to add you (vigil users add).")
        }
        guard let delivery = (context.form?["delivery"]).flatMap(NotificationChannel.Schedule.init(rawValue:)) else {
            throw HTTPError(.badRequest, message: "Choose immediate, daily or weekly delivery.")
        }
        try await MemberDirectory(store: store).setDelivery(delivery, user: viewer.user, organisationID: org.id)
        return Redirect.to("/account?done=delivery")
    }

    @Sendable func switchOrganisation(_ request: Request, context: Context) async throws -> Response {
        let viewer = try signedIn(request, context)
        guard let id = (context.form?["organisation"]).flatMap({ Int64($0) }), let session = viewer.sessionTokenHash,
              try await store.setSessionOrganisation(tokenHash: session, organisationID: id) else {
            throw HTTPError(.notFound, message: "You are not a member of that organisation. Your account page lists the ones you belong to.")
        }
        return Redirect.to("/account?done=switched")
    }

    @Sendable func createToken(_ request: Request, context: Context) async throws -> Response {
        let viewer = try signedIn(request, context)
        guard let org = viewer.organisation else {
            throw HTTPError(.badRequest, message: "An API token acts in an organisation, and you belong to none yet. Ask an administrator to add you.")
        }
        let name = context.form?["name"] ?? ""
        guard !name.isEmpty, name.count <= 100 else {
            throw HTTPError(.badRequest, message: "Give the token a name of up to 100 characters that says what uses it (ticketing, reporting).")
        }
        let token = AccountTokens.apiToken()
        _ = try await store.createAPIToken(hash: AccountTokens.hash(token), name: name, userID: viewer.user.id, organisationID: org.id, now: Date())
        // Shown in this response only; never stored, so a page reload cannot show it again.
        return try await render(viewer, newToken: token, notice: nil)
    }

    @Sendable func revokeToken(_ request: Request, context: Context) async throws -> Response {
        let viewer = try signedIn(request, context)
        guard let id = Int64(try context.parameters.require("id")), let org = viewer.organisation,
              try await store.revokeAPIToken(id: id, userID: viewer.user.id, organisationID: org.id) else {
            throw HTTPError(.notFound, message: "You have no such API token.")
        }
        return Redirect.to("/account?done=revoked")
    }
}
