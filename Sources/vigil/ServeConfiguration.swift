import Alerts
import ArgumentParser
import Foundation
import Logging
import Sources
import Storage
import Store
import Web

/// Everything `vigil serve` runs with, resolved once from its flags and the environment and checked before anything
/// is opened: each setting is the flag when given, else its `VIGIL_*` variable, else the default. This is the only
/// place the serve path reads the environment; `ServeNode` builds the services from this value.
///
/// The variables: `VIGIL_DB` (`--db`), `VIGIL_ORG` (`--org`), `VIGIL_LOG_FORMAT` (`--log-format`), `VIGIL_BASE_URL`
/// (`--base-url`), `VIGIL_SMTP_URL` and `VIGIL_MAIL_FROM` (mail for alerts and accounts; no flag), and the variables
/// sources name for their credentials (`vigil sources add --credentials-env`), passed to the scheduler. The PostgreSQL
/// client's `PGUSER`, `PGPASSWORD`, `PGSSLMODE`, `VIGIL_DB_PASSWORD_FILE` and `VIGIL_DB_POOL` are passed to the store
/// when it opens (`StoreLocation.open(environment:)`).
struct ServeConfiguration: Sendable {
    /// A flag or variable whose value cannot be used: `name` is the flag (`--port`) or the variable (`VIGIL_SMTP_URL`),
    /// and the message starts with it and says what is expected.
    struct Invalid: Error, CustomStringConvertible, Equatable {
        var name: String
        var message: String
        var description: String { message }

        init(_ name: String, _ message: String) {
            self.name = name
            self.message = message.hasPrefix(name) ? message : "\(name): \(message)"
        }
    }

    /// `--metrics-host` and `--metrics-port`.
    struct MetricsListener: Sendable, Equatable {
        var host: String
        var port: Int
    }

    var role: ServeCommand.Role
    /// `--db`, else `VIGIL_DB`, else `vigil.sqlite`, as typed.
    var database: String
    var host: String
    var port: Int
    /// `--import`: imported into the store before the services start.
    var importPaths: [String]
    var logLevel: Logger.Level
    /// `--log-format`, else `VIGIL_LOG_FORMAT`, else text.
    var logFormat: LogFormat
    /// `--org`, else `VIGIL_ORG`, else `default`.
    var organisation: String
    /// `--base-url`, else `VIGIL_BASE_URL`, else `http://HOST:PORT`.
    var baseURL: String
    var signup: AccountSettings.SignupPolicy
    var trustedProxyHeader: String?
    var limits: ServerLimits
    /// False with `--no-sync`.
    var polls: Bool
    /// `--poll-interval` in seconds; nil keeps each source's own.
    var pollInterval: Int?
    var syncConcurrency: Int
    var fetchPolicy: FetchPolicy
    /// `--lease` in seconds; nil keeps the defaults (two minutes).
    var lease: Int?
    var metrics: MetricsListener?
    /// `VIGIL_SMTP_URL` and `VIGIL_MAIL_FROM`; nil when `VIGIL_SMTP_URL` is not set.
    var smtp: SMTPConfiguration?
    /// Why email cannot be sent, when it cannot (printed as a note at start).
    var mailProblem: String?
    /// The environment it was resolved from: where the sources' credential variables and a PostgreSQL URL's missing
    /// parts (`PGPASSWORD`, `VIGIL_DB_PASSWORD_FILE`, …) are looked up.
    var environment: [String: String]

    var store: StoreLocation { StoreLocation(database) }

    /// Resolves and checks `command`'s flags against `environment`; the first problem found is thrown.
    init(_ command: ServeCommand, environment: [String: String]) throws(Invalid) {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }

        role = command.role
        database = command.database.db ?? variable("VIGIL_DB") ?? "vigil.sqlite"
        organisation = command.organisation.org ?? variable("VIGIL_ORG") ?? "default"
        host = command.host
        guard (1...65535).contains(command.port) else { throw Invalid("--port", "--port must be between 1 and 65535") }
        port = command.port
        importPaths = command.importPaths

        guard let level = Logger.Level(rawValue: command.logLevel) else {
            throw Invalid("--log-level", "--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = level
        do {
            logFormat = try command.logging.format(environment: environment)
        } catch {
            throw Invalid("VIGIL_LOG_FORMAT", error.message)
        }

        if let given = command.baseURL {
            baseURL = try Self.checkedBaseURL(given, name: "--base-url")
        } else if let fromEnvironment = variable("VIGIL_BASE_URL") {
            baseURL = try Self.checkedBaseURL(fromEnvironment, name: "VIGIL_BASE_URL")
        } else {
            baseURL = "http://\(command.host):\(command.port)"
        }
        guard let signup = AccountSettings.SignupPolicy(rawValue: command.signup) else {
            throw Invalid("--signup", "--signup must be invite-only or open")
        }
        self.signup = signup
        if let header = command.trustedProxyHeader, !AccountSettings.isHeaderName(header) {
            throw Invalid("--trusted-proxy-header", "--trusted-proxy-header must be a header name such as X-Forwarded-For, not \(header)")
        }
        trustedProxyHeader = command.trustedProxyHeader
        limits = command.limits.limits

        polls = !command.noSync
        if let text = command.pollInterval {
            guard let seconds = ServeCommand.seconds(text) else {
                throw Invalid("--poll-interval", "--poll-interval must be a duration such as 30s, 5m or 1h (at least 10s), not \(text)")
            }
            pollInterval = seconds
        }
        guard (1...1000).contains(command.syncConcurrency) else {
            throw Invalid("--sync-concurrency", "--sync-concurrency must be between 1 and 1000")
        }
        syncConcurrency = command.syncConcurrency
        fetchPolicy = command.fetch.policy
        if let text = command.lease {
            guard let seconds = ServeCommand.seconds(text) else {
                throw Invalid("--lease", "--lease must be a duration such as 30s or 2m (at least 10s), not \(text)")
            }
            lease = seconds
        }

        if let metricsPort = command.metricsPort {
            guard (1...65535).contains(metricsPort) else { throw Invalid("--metrics-port", "--metrics-port must be between 1 and 65535") }
            if command.role.servesWeb, metricsPort == command.port {
                throw Invalid("--metrics-port", "--metrics-port must differ from --port (\(command.port)): the metrics have a listener of their own")
            }
            let metricsHost = command.metricsHost ?? "127.0.0.1"
            if metricsHost.trimmingCharacters(in: .whitespaces).isEmpty {
                throw Invalid("--metrics-host", "--metrics-host must be an address such as 127.0.0.1")
            }
            metrics = MetricsListener(host: metricsHost, port: metricsPort)
        } else if command.metricsHost != nil {
            throw Invalid("--metrics-host", "--metrics-host needs --metrics-port")
        }

        do {
            (smtp, mailProblem) = try DeliveryRuntime.mailSettings(environment: environment)
        } catch {
            throw Invalid(error.field, "\(error)")
        }
        self.environment = environment
    }

    /// An absolute http(s) URL with a host, as given.
    static func checkedBaseURL(_ text: String, name: String) throws(Invalid) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw Invalid(name, "\(name) must be an http:// or https:// URL such as https://vigil.example.org, not \(text)")
        }
        return trimmed
    }

    /// What the web server is given.
    var web: WebConfiguration {
        let mailer = smtp.map { SMTPAccountMailer(configuration: $0) }
        var configuration = WebConfiguration(host: host, port: port, logLevel: logLevel, organisation: organisation,
                                             accounts: AccountSettings(baseURL: baseURL, signup: signup, mailer: mailer,
                                                                       trustedProxyHeader: trustedProxyHeader),
                                             limits: limits)
        configuration.logFormat = logFormat
        return configuration
    }

    /// The settings in force, one `name: value` line each (`vigil serve --check-config`); never a password.
    var summary: String {
        var lines: [(String, String)] = [
            ("role", role.rawValue), ("db", store.description), ("host", host), ("port", "\(port)"), ("base-url", baseURL),
            ("org", organisation), ("log-level", logLevel.rawValue), ("log-format", logFormat.rawValue),
            ("signup", signup.rawValue), ("sync", polls ? "on" : "off"),
            ("poll-interval", pollInterval.map { "\($0)s" } ?? "each source's own"),
            ("sync-concurrency", "\(syncConcurrency)"), ("lease", "\(lease ?? 120)s"),
            ("metrics", metrics.map { "http://\($0.host):\($0.port)/metrics" } ?? "off"),
            ("mail", smtp.map { "smtp://\($0.host):\($0.port) from \($0.from)" } ?? "off (\(mailProblem ?? "not configured"))"),
        ]
        if !importPaths.isEmpty { lines.append(("import", importPaths.joined(separator: " "))) }
        if let trustedProxyHeader { lines.append(("trusted-proxy-header", trustedProxyHeader)) }
        return lines.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
    }
}
