import Foundation
import Hummingbird
import Storage
import Synchronization

/// Decides whose organisation data a request sees.
///
/// Signed in: the organisation of the viewer's session. Signed out, once any user exists: none, and pages that
/// show only organisation data send the browser to sign in. With no user at all: the single organisation that
/// `vigil serve --org NAME` names, as before accounts existed.
struct OrganisationScope: Sendable {
    let assets: any AssetStore
    let accounts: any AccountStore
    /// The organisation of `vigil serve --org`, for installations without users.
    let configured: String?
    /// What signed-out requests see, asked of the store at most once per `freshness` (as `GenerationClock` does):
    /// public pages are served from the cache and should not cost a query each.
    let signedOut: SignedOutState

    init(assets: any AssetStore, accounts: any AccountStore, configured: String?, freshness: Duration) {
        self.assets = assets
        self.accounts = accounts
        self.configured = configured
        signedOut = SignedOutState(freshness: freshness)
    }

    func organisation(_ request: Request, viewer: Viewer?, signInRequired: Bool) async throws -> Organisation? {
        if let viewer { return viewer.organisation }
        let (hasUsers, legacy) = try await signedOut.current {
            let hasUsers = try await accounts.hasUsers()
            guard !hasUsers, let configured else { return (hasUsers, nil) }
            return (false, try await assets.organisation(named: configured, create: false))
        }
        if hasUsers {
            if signInRequired { throw SignIn.redirect(from: request) }
            return nil
        }
        return legacy
    }

    /// The signed-in admin's organisation, for the settings pages: 404 without an organisation (`nothing` says what
    /// there is none of, "no channels"), 403 for members and viewers and for a request without a session's CSRF
    /// token (`managed` says what only admins manage, "The channels of").
    func administered(_ request: Request, viewer: Viewer?, nothing: String, managed: String) async throws -> (Organisation, Viewer) {
        guard let organisation = try await organisation(request, viewer: viewer, signInRequired: true) else {
            throw HTTPError(.notFound, message: "You belong to no organisation, so there are \(nothing) to show.")
        }
        guard let viewer, viewer.role == .admin, viewer.csrfToken != nil else {
            throw HTTPError(.forbidden, message: "\(managed) \(organisation.name) are managed by its admins. Ask one of them.")
        }
        return (organisation, viewer)
    }

    /// Whether users exist, and without them the `--org` organisation.
    final class SignedOutState: Sendable {
        private let freshness: Duration
        private let state = Mutex<(hasUsers: Bool, organisation: Organisation?, checked: ContinuousClock.Instant)?>(nil)

        init(freshness: Duration) {
            self.freshness = freshness
        }

        func current(_ load: () async throws -> (Bool, Organisation?)) async throws -> (Bool, Organisation?) {
            let now = ContinuousClock.now
            if freshness > .zero, let known = state.withLock({ $0 }), now - known.checked < freshness {
                return (known.hasUsers, known.organisation)
            }
            let (hasUsers, organisation) = try await load()
            state.withLock { $0 = (hasUsers, organisation, now) }
            return (hasUsers, organisation)
        }
    }
}

/// Redirects to the sign-in page and back.
enum SignIn {
    static func redirect(from request: Request) -> HTTPError {
        let back = request.uri.description
        let query = back == "/" ? "" : "?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return HTTPError(.seeOther, headers: [.location: "/login" + query])
    }

    /// Only paths on this server, else `/`: `next=//evil.example`, `/\evil.example` or `https://…` would make the
    /// sign-in page an open redirect, and so would `/%09/evil.example`, because browsers drop tabs and newlines from a
    /// URL (`/\t/evil.example` becomes `//evil.example`) and read `\` as `/`. The path must start with a single `/`
    /// and hold no whitespace, control character or backslash; decoded once more, it must still not start with `//`
    /// or `/\` nor hold a control character, in case something on the way decodes it again.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.utf8.count <= 2048, next.hasPrefix("/"), !next.hasPrefix("//"),
              !next.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0 == "\\" })
        else { return "/" }
        let decoded = next.removingPercentEncoding ?? next
        guard !decoded.hasPrefix("//"), !decoded.hasPrefix("/\\"),
              !decoded.contains(where: \.isNewline), !decoded.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return "/" }
        return next
    }
}
