import CSAF
import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// Names of the cookies Vigil sets.
enum CookieName {
    /// The session token (HttpOnly): only its SHA-256 is stored.
    static let session = "vigil_session"
    /// The double-submit token of forms shown before sign-in (login, set password, sign-up).
    static let csrf = "vigil_csrf"
}

/// Finds the viewer of each request: the session named by the `vigil_session` cookie, or on `/api/` the personal API
/// token in `Authorization: Bearer`.
struct SessionMiddleware<Context: ViewerRequestContext>: RouterMiddleware {
    let accounts: any AccountStore
    let settings: AccountSettings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let now = Date()
        if request.uri.path.hasPrefix("/api/"), let authorization = request.headers[.authorization] {
            // A token that is not valid is refused outright rather than served as anonymous: the client meant to sign in.
            guard authorization.lowercased().hasPrefix("bearer "),
                  let token = try await accounts.apiToken(hash: AccountTokens.hash(String(authorization.dropFirst(7)).trimmed), now: now),
                  let user = try await accounts.user(id: token.userID), !user.disabled,
                  let membership = try await accounts.membership(userID: user.id, organisationID: token.organisationID) else {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                                message: "The API token is not valid (revoked, mistyped, or its owner left the organisation). Create one on your account page and send it as Authorization: Bearer vgl_….")
            }
            context.viewer = Viewer(user: user, membership: membership, csrfToken: nil, sessionTokenHash: nil)
        } else if let token = request.cookies[CookieName.session]?.value, !token.isEmpty {
            let hash = AccountTokens.hash(token)
            if let session = try await accounts.session(tokenHash: hash, now: now, idleTimeout: settings.sessionIdleTimeout),
               let user = try await accounts.user(id: session.userID), !user.disabled {
                let membership = try await session.organisationID.asyncMap { try await accounts.membership(userID: user.id, organisationID: $0) }
                context.viewer = Viewer(user: user, membership: membership ?? nil, csrfToken: session.csrfToken, sessionTokenHash: hash)
            }
        }
        return try await next(request, context)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// Refuses a form post that does not carry the token of the session that showed the form (or, before sign-in, the
/// token of the double-submit cookie): another site cannot make a signed-in browser change anything.
struct CSRFMiddleware<Context: ViewerRequestContext>: RouterMiddleware {
    /// Posts that carry their own authority and no cookies: RFC 8058 one-click unsubscribe, where a mail client posts to
    /// the link and the unguessable token in it is the whole credential. Nothing else is exempt.
    static var exemptPrefixes: [String] { ["/unsubscribe/"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch, .delete].contains(request.method),
              !Self.exemptPrefixes.contains(where: { request.uri.path.hasPrefix($0) }) else {
            return try await next(request, context)
        }
        var request = request
        var context = context
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let form = contentType.hasPrefix("application/x-www-form-urlencoded") ? FormFields(String(buffer: body)) : FormFields()
        let expected = context.viewer?.csrfToken ?? request.cookies[CookieName.csrf]?.value ?? ""
        guard !expected.isEmpty, let sent = form.raw("csrf"), AccountTokens.constantTimeEquals(sent, expected) else {
            throw HTTPError(.forbidden, message: "This form could not be accepted: it has expired or was sent from another site. Go back, reload the page and submit it again.")
        }
        context.form = form
        return try await next(request, context)
    }
}
