import CSAF
import Foundation
import Hummingbird
import Logging
import Storage

/// Self-service by email: sign-up (when `vigil serve --signup open`), confirming an email address, and asking for a
/// password-reset link. Every email goes through `AccountSettings.mailer`.
struct SignupController<Context: ViewerRequestContext>: Sendable {
    let store: any MemberDirectory.Backing
    let renderer: TemplateRenderer
    let settings: AccountSettings
    /// Limits how often one address or client may ask for mail (5 in 15 minutes), as sign-in failures are limited.
    let mailThrottle: LoginThrottle

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/signup", use: signupPage)
        routes.post("/signup", use: signup)
        routes.get("/verify/{token}", use: verify)
        routes.get("/password-reset", use: resetPage)
        routes.post("/password-reset", use: requestReset)
        return routes
    }

    struct SignupPageView {
        let pageTitle = "Create an account"
        let text = ""
        let csrf: String
        let email: String
        let name: String
        let minimumLength = PasswordHasher.minimumLength
        let error: String?
        let sent: String?
    }

    struct ResetPageView {
        let pageTitle = "Reset your password"
        let text = ""
        let csrf: String
        let email: String
        let error: String?
        let sent: Bool
    }

    func mailer() throws -> any AccountMailer {
        guard let mailer = settings.mailer else {
            throw HTTPError(.notFound, message: "This server cannot send email (VIGIL_SMTP_URL is not set), so there is no sign-up or reset by email. Ask an administrator: vigil users add or vigil users reset-password.")
        }
        return mailer
    }

    func openSignup() throws -> any AccountMailer {
        guard settings.signup == .open else {
            throw HTTPError(.notFound, message: "Accounts on this server are made by invitation. Ask an administrator to add you (vigil users add EMAIL --org NAME).")
        }
        return try mailer()
    }

    func link(_ path: String) -> String { settings.baseURL + path }

    @Sendable func signupPage(_ request: Request, context: Context) async throws -> Response {
        _ = try openSignup()
        return renderSignup(request, context, email: "", name: "", error: nil, sent: nil, status: .ok)
    }

    func renderSignup(_ request: Request, _ context: Context, email: String, name: String, error: String?, sent: String?,
                      status: HTTPResponse.Status) -> Response {
        let (token, cookie) = FormToken.forForm(request, viewer: context.viewer, settings: settings)
        let view = SignupPageView(csrf: token, email: email, name: name, error: error, sent: sent)
        var response = HTMLResponse.make((try? renderer.render(view, template: "signup")) ?? "", status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    @Sendable func signup(_ request: Request, context: Context) async throws -> Response {
        let mailer = try openSignup()
        let form = context.form ?? FormFields()
        let email = form["email"] ?? ""
        let name = String((form["name"] ?? "").prefix(200))
        let password = form.raw("password") ?? ""
        func refuse(_ message: String) -> Response {
            renderSignup(request, context, email: email, name: name, error: message, sent: nil, status: .badRequest)
        }
        guard MemberDirectory.looksLikeEmail(email) else { return refuse("Enter your email address, such as name@example.org.") }
        if let problem = PasswordHasher.problem(with: password) { return refuse(problem) }
        guard password == form.raw("confirm") else { return refuse("The two passwords differ. Type the same password twice.") }
        let now = Date()
        let keys = LoginThrottle.keys(email: email, address: settings.clientAddress(request, connection: context.clientAddress))
        guard await mailThrottle.reserve(keys, now: now) != nil else {
            return renderSignup(request, context, email: email, name: name,
                                error: "Too many requests for this address. Wait 15 minutes and try again.", sent: nil, status: .tooManyRequests)
        }
        let sent = "If \(email) can receive mail, a confirmation link is on its way. Follow it, then sign in."
        // The answer is the same whether or not the address has an account: sign-up does not reveal who is registered.
        guard try await store.user(email: email) == nil else {
            return renderSignup(request, context, email: "", name: "", error: nil, sent: sent, status: .ok)
        }
        let hash = try await settings.passwordHasher.hash(password)
        let user = try await store.createUser(.init(email: email, displayName: name, passwordHash: hash), now: now)
        let token = try await MemberDirectory(store: store).issueToken(.emailVerification, userID: user.id, lifetime: 48 * 3600, now: now)
        do {
            try await mailer.send(to: user.email, subject: "Confirm your email address for Vigil", text: """
                Someone (we hope you) created a Vigil account for \(user.email) at \(settings.baseURL).

                Confirm the address by opening this link within 48 hours:
                \(link("/verify/" + token))

                If it was not you, ignore this message: the account stays unusable.
                """)
        } catch {
            context.logger.error("sign-up email not sent", metadata: ["error": "\(error)"])
            _ = try await store.removeUser(id: user.id)
            return renderSignup(request, context, email: email, name: name,
                                error: "The confirmation email could not be sent. Try again later; if it keeps failing, tell the administrator.",
                                sent: nil, status: .serviceUnavailable)
        }
        return renderSignup(request, context, email: "", name: "", error: nil, sent: sent, status: .ok)
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> Response {
        let hash = AccountTokens.hash(try context.parameters.require("token"))
        guard let token = try await store.consumeOneTimeToken(hash: hash, purpose: .emailVerification, now: Date()) else {
            throw HTTPError(.notFound, message: "This confirmation link has expired or was used already. Sign up again, or sign in if you confirmed before.")
        }
        try await store.setEmailVerified(userID: token.userID, at: Date())
        return Redirect.to("/login?done=verified")
    }

    @Sendable func resetPage(_ request: Request, context: Context) async throws -> Response {
        _ = try mailer()
        return renderReset(request, context, email: "", error: nil, sent: false, status: .ok)
    }

    func renderReset(_ request: Request, _ context: Context, email: String, error: String?, sent: Bool, status: HTTPResponse.Status) -> Response {
        let (token, cookie) = FormToken.forForm(request, viewer: context.viewer, settings: settings)
        var response = HTMLResponse.make((try? renderer.render(ResetPageView(csrf: token, email: email, error: error, sent: sent),
                                                                template: "password-reset")) ?? "", status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    @Sendable func requestReset(_ request: Request, context: Context) async throws -> Response {
        let mailer = try mailer()
        let email = context.form?["email"] ?? ""
        guard MemberDirectory.looksLikeEmail(email) else {
            return renderReset(request, context, email: email, error: "Enter the email address you sign in with.", sent: false, status: .badRequest)
        }
        let now = Date()
        let keys = LoginThrottle.keys(email: email, address: settings.clientAddress(request, connection: context.clientAddress))
        guard await mailThrottle.reserve(keys, now: now) != nil else {
            return renderReset(request, context, email: email, error: "Too many requests for this address. Wait 15 minutes and try again.",
                               sent: false, status: .tooManyRequests)
        }
        // The same answer whether or not an account exists, so the form cannot be used to find out.
        if let user = try await store.user(email: email), !user.disabled {
            let token = try await MemberDirectory(store: store).issueToken(.passwordReset, userID: user.id, lifetime: 3600, now: now)
            do {
                try await mailer.send(to: user.email, subject: "Reset your Vigil password", text: """
                    Someone (we hope you) asked to reset the Vigil password of \(user.email) at \(settings.baseURL).

                    Choose a new password within an hour with this link (it works once):
                    \(MemberDirectory.passwordLink(baseURL: settings.baseURL, token: token))

                    If it was not you, ignore this message: your password stays as it is.
                    """)
            } catch {
                context.logger.error("password reset email not sent", metadata: ["error": "\(error)"])
            }
        }
        return renderReset(request, context, email: "", error: nil, sent: true, status: .ok)
    }
}
