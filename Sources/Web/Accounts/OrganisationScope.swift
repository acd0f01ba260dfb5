import Foundation
import Hummingbird
import Store

/// Decides whose organisation data a request sees.
///
/// Signed in: the organisation of the viewer's session. Signed out, once any user exists: none, and pages that
/// show only organisation data send the browser to sign in. With no user at all: the single organisation that
/// `vigil serve --org NAME` names, as before accounts existed.
struct OrganisationScope: Sendable {
    let assets: (any AssetStore)?
    let accounts: (any AccountStore)?
    /// The organisation of `vigil serve --org`, for installations without users.
    let configured: String?

    func organisation(_ request: Request, viewer: Viewer?, signInRequired: Bool) async throws -> Organisation? {
        if let viewer { return viewer.organisation }
        if let accounts, try await accounts.hasUsers() {
            if signInRequired { throw SignIn.redirect(from: request) }
            return nil
        }
        guard let assets, let configured else { return nil }
        return try await assets.organisation(named: configured, create: false)
    }
}

/// Redirects to the sign-in page and back.
enum SignIn {
    static func redirect(from request: Request) -> HTTPError {
        let back = request.uri.description
        let query = back == "/" ? "" : "?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return HTTPError(.seeOther, headers: [.location: "/login" + query])
    }

    /// Only paths on this server: `next=//evil.example` or `next=https://…` would make the sign-in page an open redirect.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
              !next.contains(where: { $0.isNewline }) else { return "/" }
        return next
    }
}
