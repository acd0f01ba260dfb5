import Foundation

/// How to reach the mail server and who alerts come from, read from `VIGIL_SMTP_URL` and `VIGIL_MAIL_FROM`.
///
/// URL form: `smtp://user:pass@host:port?starttls=required&timeout=30`, or `smtps://…` for implicit TLS.
/// User and password are percent-decoded. Default ports: `smtps` 465; `smtp` 25, except 587 (submission) when
/// `starttls=required` is given without a port, because required STARTTLS with a login is what submission servers
/// offer. Query parameters: `starttls=required|opportunistic|never` (default `opportunistic`; not allowed with
/// `smtps`), `timeout=<seconds>` (the limit for each stage, default 300, RFC 5321 §4.5.3.2), `helo=<name>`,
/// `tls_ca_file=<path>` (trust these PEM roots instead of the system's).
public struct SMTPConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Whether and how the connection is encrypted.
    public enum Security: String, Sendable, Equatable {
        /// TLS from the first byte (`smtps://`, port 465).
        case implicitTLS = "smtps"
        /// STARTTLS must succeed; the server not offering it is a permanent error.
        case startTLSRequired = "required"
        /// STARTTLS when the server offers it, plain text otherwise (credentials are then never sent).
        case startTLSOpportunistic = "opportunistic"
        /// Never encrypt (a local relay).
        case plaintext = "never"
    }

    /// How the server's certificate is checked.
    public enum CertificateVerification: String, Sendable, Equatable {
        /// Chain and host name (the default).
        case full
        /// Chain only.
        case noHostnameVerification
        /// Nothing: only for tests against throwaway servers.
        case none
    }

    /// A login for SMTP AUTH.
    public struct Credentials: Sendable, Equatable {
        public var username: String
        public var password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var credentials: Credentials?
    /// The limit for each stage (connect, greeting, each command's reply, the message transfer).
    public var timeout: Duration
    /// The name this client gives in EHLO/HELO.
    public var clientName: String
    /// The sender used for alerts (`VIGIL_MAIL_FROM`).
    public var from: MailAddress
    /// A PEM file of trusted root certificates; `nil` means the system's trust store.
    public var tlsTrustRootsFile: String?
    public var certificateVerification: CertificateVerification

    public init(host: String, port: Int, security: Security, credentials: Credentials? = nil,
                timeout: Duration = .seconds(300), clientName: String = "localhost", from: MailAddress,
                tlsTrustRootsFile: String? = nil, certificateVerification: CertificateVerification = .full) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.timeout = timeout
        self.clientName = clientName
        self.from = from
        self.tlsTrustRootsFile = tlsTrustRootsFile
        self.certificateVerification = certificateVerification
    }

    /// Reads `VIGIL_SMTP_URL` and `VIGIL_MAIL_FROM` from an environment dictionary.
    public init(environment: [String: String]) throws(SMTPConfigurationError) {
        guard let url = environment["VIGIL_SMTP_URL"], !url.isEmpty else {
            throw SMTPConfigurationError("VIGIL_SMTP_URL is not set (expected smtp://user:pass@host:port or smtps://…)", field: "VIGIL_SMTP_URL")
        }
        guard let from = environment["VIGIL_MAIL_FROM"], !from.isEmpty else {
            throw SMTPConfigurationError("VIGIL_MAIL_FROM is not set (expected an address such as \"Vigil <alerts@example.org>\")", field: "VIGIL_MAIL_FROM")
        }
        try self.init(url: url, mailFrom: from)
    }

    /// Parses an SMTP URL and a from-address; errors name the part that is wrong.
    public init(url text: String, mailFrom: String) throws(SMTPConfigurationError) {
        let field = "VIGIL_SMTP_URL"
        guard let components = URLComponents(string: text) else {
            throw SMTPConfigurationError("\(Self.redacted(text)) is not a URL", field: field)
        }
        let scheme = components.scheme?.lowercased()
        guard scheme == "smtp" || scheme == "smtps" else {
            throw SMTPConfigurationError("the scheme must be smtp or smtps, not \(components.scheme ?? "(none)")", field: field)
        }
        guard let host = components.host, !host.isEmpty else {
            throw SMTPConfigurationError("the URL has no host", field: field)
        }
        var security: Security = scheme == "smtps" ? .implicitTLS : .startTLSOpportunistic
        var timeout: Duration = .seconds(300)
        var clientName = "localhost"
        var trustRoots: String?
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "starttls":
                guard scheme == "smtp" else {
                    throw SMTPConfigurationError("starttls= cannot be used with smtps:// (already TLS from the start)", field: field)
                }
                guard let parsed = Security(rawValue: value), parsed != .implicitTLS else {
                    throw SMTPConfigurationError("starttls must be required, opportunistic or never, not \"\(value)\"", field: field)
                }
                security = parsed
            case "timeout":
                guard let seconds = Double(value), seconds > 0, seconds.isFinite else {
                    throw SMTPConfigurationError("timeout must be a positive number of seconds, not \"\(value)\"", field: field)
                }
                timeout = .milliseconds(Int64(seconds * 1000))
            case "helo":
                guard !value.isEmpty, value.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    throw SMTPConfigurationError("helo must be a host name, not \"\(value)\"", field: field)
                }
                clientName = value
            case "tls_ca_file":
                guard !value.isEmpty else { throw SMTPConfigurationError("tls_ca_file is empty", field: field) }
                trustRoots = value
            default:
                throw SMTPConfigurationError("unknown parameter \"\(item.name)\" (known: starttls, timeout, helo, tls_ca_file)", field: field)
            }
        }
        let port: Int
        if let given = components.port {
            guard (1...65535).contains(given) else {
                throw SMTPConfigurationError("port \(given) is out of range", field: field)
            }
            port = given
        } else {
            switch security {
            case .implicitTLS: port = 465
            case .startTLSRequired: port = 587
            case .startTLSOpportunistic, .plaintext: port = 25
            }
        }
        var credentials: Credentials?
        if let user = components.percentEncodedUser {
            guard let username = user.removingPercentEncoding, !username.isEmpty else {
                throw SMTPConfigurationError("the user name is empty or badly percent-encoded", field: field)
            }
            guard let encodedPassword = components.percentEncodedPassword,
                  let password = encodedPassword.removingPercentEncoding else {
                throw SMTPConfigurationError("user \(username) has no password (smtp://user:password@host)", field: field)
            }
            credentials = Credentials(username: username, password: password)
        }
        let from: MailAddress
        do {
            from = try MailAddress(parsing: mailFrom)
        } catch {
            throw SMTPConfigurationError("\"\(mailFrom)\" is not a mail address (expected alerts@example.org or \"Name <alerts@example.org>\")", field: "VIGIL_MAIL_FROM")
        }
        self.init(host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port, security: security,
                  credentials: credentials, timeout: timeout, clientName: clientName, from: from,
                  tlsTrustRootsFile: trustRoots)
    }

    /// The settings without the password.
    public var description: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let login = credentials.map { "\($0.username):***@" } ?? ""
        var text = "\(scheme)://\(login)\(host):\(port)"
        if security != .implicitTLS { text += "?starttls=\(security.rawValue)" }
        return text + " from \(from)"
    }

    private static func redacted(_ url: String) -> String {
        // Never echo a password back: drop everything between "://" and "@".
        guard let schemeEnd = url.range(of: "://"), let at = url.range(of: "@", range: schemeEnd.upperBound..<url.endIndex) else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(url[at.lowerBound...])
    }
}

/// The SMTP settings cannot be used: says what is wrong and which variable it concerns.
public struct SMTPConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The environment variable the problem is in.
    public let field: String

    init(_ message: String, field: String) {
        self.message = message
        self.field = field
    }

    public var description: String { "\(field): \(message)" }
}
