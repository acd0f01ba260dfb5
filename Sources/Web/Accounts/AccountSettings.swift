import Foundation
import HTTPTypes
import Hummingbird

/// How accounts behave on this server: where people reach it (links, Secure cookies), the bcrypt cost, session
/// lifetimes, who may sign up, and how account emails are sent.
public struct AccountSettings: Sendable {
    /// Who may create an account in the browser.
    public enum SignupPolicy: String, Sendable, CaseIterable {
        /// Anyone may sign up; a new account belongs to no organisation until an administrator adds it.
        case open
        /// Accounts are made by administrators (`vigil users add`); there is no sign-up page.
        case inviteOnly = "invite-only"
    }

    /// `https://vigil.example.org`: the start of links in emails and printed by the CLI.
    public var baseURL: String
    public var passwordHasher: PasswordHasher
    /// A session ends after this long without a request…
    public var sessionIdleTimeout: TimeInterval
    /// …and after this long whatever happens.
    public var sessionLifetime: TimeInterval
    public var signup: SignupPolicy
    /// Sends verification and password-reset emails; nil when mail is not configured.
    public var mailer: (any AccountMailer)?
    /// The header in which a reverse proxy in front of Vigil names the client (`X-Forwarded-For`), for the sign-in
    /// limit per client address; nil (the default) uses the address of the connection. Set it only behind a proxy
    /// that sets the header: anyone can send it, so trusting it elsewhere would let a guesser pick a new address for
    /// every attempt.
    public var trustedProxyHeader: String?

    public init(baseURL: String = "http://127.0.0.1:8080", passwordHasher: PasswordHasher = PasswordHasher(),
                sessionIdleTimeout: TimeInterval = 12 * 3600, sessionLifetime: TimeInterval = 7 * 86_400,
                signup: SignupPolicy = .inviteOnly, mailer: (any AccountMailer)? = nil, trustedProxyHeader: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.passwordHasher = passwordHasher
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionLifetime = sessionLifetime
        self.signup = signup
        self.mailer = mailer
        self.trustedProxyHeader = trustedProxyHeader
    }

    /// Whether the text can name an HTTP header (`vigil serve --trusted-proxy-header` checks it before serving).
    public static func isHeaderName(_ text: String) -> Bool { HTTPField.Name(text) != nil }

    /// Cookies carry `Secure` when people reach the server over HTTPS.
    public var secureCookies: Bool { baseURL.lowercased().hasPrefix("https://") }

    /// The client's address: the last entry of the trusted proxy header when one is configured and present (the
    /// address the proxy saw; entries before it are whatever the client claimed), else the connection's.
    func clientAddress(_ request: Request, connection: String?) -> String? {
        guard let header = trustedProxyHeader, let name = HTTPField.Name(header) else { return connection }
        let entries = request.headers[values: name].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return entries.last.map { String($0.prefix(100)) } ?? connection
    }
}

/// Sends the emails accounts need (verification, password reset). `vigil serve` wires it to the SMTP client.
public protocol AccountMailer: Sendable {
    func send(to address: String, subject: String, text: String) async throws
}
