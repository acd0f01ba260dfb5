import CSAF
import Foundation
import Hummingbird
import Storage

/// Signing in and out, and the one-time links that set a password (an invitation from `vigil users add`, or a reset).
struct SessionController<Context: ViewerRequestContext>: Sendable {
    let accounts: any AccountStore
    let renderer: TemplateRenderer
    let settings: AccountSettings
    let throttle: LoginThrottle

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/login", use: loginPage)
        routes.post("/login", use: login)
        routes.post("/logout", use: logout)
        routes.get("/password/{token}", use: passwordPage)
        routes.post("/password/{token}", use: setPassword)
        return routes
    }

    /// The login form.
    struct LoginPageView {
        let pageTitle = "Sign in"
        let text = ""
        let csrf: String
        let next: String
        let email: String
        let error: String?
        let notice: String?
        let signupOpen: Bool
        let canResetByMail: Bool
        /// No account exists yet: the page says how to make the first one.
        let noUsers: Bool
    }

    /// The form that sets a password through a one-time link.
    struct PasswordPageView {
        let pageTitle = "Set your password"
        let text = ""
        let csrf: String
        let action: String
        let email: String
        let minimumLength = PasswordHasher.minimumLength
        let error: String?
    }

    @Sendable func loginPage(_ request: Request, context: Context) async throws -> Response {
        if context.viewer != nil {
            return Redirect.to(SignIn.safeNext(request.uri.queryParameters.get("next")))
        }
        let notice: String? = switch request.uri.queryParameters.get("done") {
        case "password": "Your password is set. Sign in with it."
        case "signed-out": "You are signed out."
        case "verified": "Your email address is confirmed. Sign in."
        default: nil
        }
        return renderLogin(request, context: context, email: "", error: nil, notice: notice, status: .ok,
                           noUsers: !(try await accounts.hasUsers()))
    }

    func renderLogin(_ request: Request, context: Context, email: String, error: String?, notice: String?, status: HTTPResponse.Status,
                     noUsers: Bool = false) -> Response {
        let (token, cookie) = FormToken.forForm(request, viewer: context.viewer, settings: settings)
        let view = LoginPageView(csrf: token, next: SignIn.safeNext(context.form?["next"] ?? request.uri.queryParameters.get("next")),
                                 email: email, error: error, notice: notice, signupOpen: settings.signup == .open,
                                 canResetByMail: settings.mailer != nil, noUsers: noUsers)
        var response = HTMLResponse.make((try? renderer.render(view, template: "login")) ?? "", status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    @Sendable func login(_ request: Request, context: Context) async throws -> Response {
        let form = context.form ?? FormFields()
        let email = form["email"] ?? ""
        let password = form.raw("password") ?? ""
        let now = Date()
        let keys = LoginThrottle.keys(email: email, address: settings.clientAddress(request, connection: context.clientAddress))
        // The attempt is counted before the password is checked: a refused one costs no bcrypt, and parallel guesses
        // cannot all get past the limit.
        guard let attempt = await throttle.reserve(keys, now: now) else {
            return renderLogin(request, context: context, email: email,
                               error: "Too many failed sign-ins. Wait 15 minutes and try again, or ask an administrator to reset your password (vigil users reset-password EMAIL).",
                               notice: nil, status: .tooManyRequests)
        }
        let user = email.isEmpty ? nil : try await accounts.user(email: email)
        let matches = await settings.passwordHasher.verify(password, hash: user?.passwordHash)
        guard let user, matches, !user.disabled else {
            return renderLogin(request, context: context, email: email,
                               error: "That email and password do not match an account. Check both and try again.", notice: nil,
                               status: .unauthorized)
        }
        await throttle.refund(attempt)
        // A password chosen at sign-up signs in once the address is confirmed; membership alone does not vouch for it
        // (anyone may sign up with an address an administrator later adds). One set by an administrator or through a
        // one-time link does.
        guard user.mayUsePassword else {
            return renderLogin(request, context: context, email: email,
                               error: "Confirm your email address first: follow the link in the message we sent when you signed up.",
                               notice: nil, status: .forbidden)
        }
        let memberships = try await accounts.memberships(userID: user.id)
        let token = AccountTokens.random()
        try await accounts.createSession(SessionRecord(
            tokenHash: AccountTokens.hash(token), userID: user.id, organisationID: memberships.first?.organisation.id,
            csrfToken: AccountTokens.random(), createdAt: now, expiresAt: now.addingTimeInterval(settings.sessionLifetime), lastSeenAt: now))
        var response = Redirect.to(SignIn.safeNext(form["next"]))
        response.setCookie(SessionCookie.make(token, settings: settings))
        return response
    }

    @Sendable func logout(_ request: Request, context: Context) async throws -> Response {
        if let hash = context.viewer?.sessionTokenHash { try await accounts.deleteSession(tokenHash: hash) }
        var response = Redirect.to("/login?done=signed-out")
        response.setCookie(SessionCookie.expired(settings: settings))
        return response
    }

    /// The unused one-time token of the link, for setting a password.
    func passwordToken(_ context: Context, now: Date) async throws -> (hash: String, token: OneTimeToken, user: UserAccount) {
        let hash = AccountTokens.hash(try context.parameters.require("token"))
        for purpose in [OneTimeToken.Purpose.invitation, .passwordReset] {
            if let token = try await accounts.oneTimeToken(hash: hash, purpose: purpose, now: now),
               let user = try await accounts.user(id: token.userID) {
                return (hash, token, user)
            }
        }
        throw HTTPError(.notFound, message: "This link has expired or was used already. Ask an administrator for a new one (vigil users reset-password EMAIL).")
    }

    @Sendable func passwordPage(_ request: Request, context: Context) async throws -> Response {
        let (_, _, user) = try await passwordToken(context, now: Date())
        return renderPassword(request, context: context, email: user.email, error: nil, status: .ok)
    }

    func renderPassword(_ request: Request, context: Context, email: String, error: String?, status: HTTPResponse.Status) -> Response {
        let (token, cookie) = FormToken.forForm(request, viewer: context.viewer, settings: settings)
        let view = PasswordPageView(csrf: token, action: request.uri.path, email: email, error: error)
        var response = HTMLResponse.make((try? renderer.render(view, template: "password")) ?? "", status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    @Sendable func setPassword(_ request: Request, context: Context) async throws -> Response {
        let now = Date()
        let (hash, token, user) = try await passwordToken(context, now: now)
        let form = context.form ?? FormFields()
        let password = form.raw("password") ?? ""
        if let problem = PasswordHasher.problem(with: password) {
            return renderPassword(request, context: context, email: user.email, error: problem, status: .badRequest)
        }
        guard password == form.raw("confirm") else {
            return renderPassword(request, context: context, email: user.email, error: "The two passwords differ. Type the same password twice.", status: .badRequest)
        }
        let passwordHash = try await settings.passwordHasher.hash(password)
        guard try await accounts.consumeOneTimeToken(hash: hash, purpose: token.purpose, now: now) != nil else {
            throw HTTPError(.notFound, message: "This link has expired or was used already. Ask an administrator for a new one (vigil users reset-password EMAIL).")
        }
        // Ends every session and API token of the user: whoever knew the old password keeps nothing it opened.
        try await accounts.setPasswordHash(userID: user.id, hash: passwordHash, now: now)
        var response = Redirect.to("/login?done=password")
        // Whatever session this browser had belonged to someone who did not know the new password.
        if context.viewer != nil { response.setCookie(SessionCookie.expired(settings: settings)) }
        return response
    }
}

/// `303 See Other` to a path on this server.
enum Redirect {
    static func to(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, for the whole site, Secure over HTTPS, and no longer-lived than the
/// session it names.
enum SessionCookie {
    static func make(_ token: String, settings: AccountSettings) -> Cookie {
        Cookie(name: CookieName.session, value: token, maxAge: Int(settings.sessionLifetime), path: "/",
               secure: settings.secureCookies, httpOnly: true, sameSite: .lax)
    }

    static func expired(settings: AccountSettings) -> Cookie {
        Cookie(name: CookieName.session, value: "", maxAge: 0, path: "/", secure: settings.secureCookies, httpOnly: true, sameSite: .lax)
    }
}

/// The token a page's forms carry: the session's when signed in, else the double-submit cookie's (set here when the
/// browser has none yet).
enum FormToken {
    static func forForm(_ request: Request, viewer: Viewer?, settings: AccountSettings) -> (token: String, cookie: Cookie?) {
        if let token = viewer?.csrfToken { return (token, nil) }
        if let existing = request.cookies[CookieName.csrf]?.value, existing.count == 64,
           existing.allSatisfy({ $0.isHexDigit }) {
            return (existing, nil)
        }
        let token = AccountTokens.random()
        return (token, Cookie(name: CookieName.csrf, value: token, path: "/", secure: settings.secureCookies, httpOnly: true, sameSite: .lax))
    }
}
