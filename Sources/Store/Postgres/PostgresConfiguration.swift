import Foundation
import NIOSSL
import PostgresNIO
import Storage

/// Where a PostgreSQL store lives and how to reach it, read from a `postgres://` URL:
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require|verify-full][&sslrootcert=PATH][&pool=N]
///     postgres:///DATABASE?host=/var/run/postgresql         (a Unix socket folder)
///
/// The password comes from the URL, else from the file named by `VIGIL_DB_PASSWORD_FILE`, else from `PGPASSWORD`.
/// It is never part of `description`, so messages and logs cannot show it.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var socketFolder: String?
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var rootCertificate: String?
    /// Connections this process opens at most.
    public var poolSize: Int

    public var description: String {
        let place = socketFolder.map { "socket \($0)" } ?? "\(host):\(port)"
        return "PostgreSQL database \(database) at \(place) as \(user)"
    }

    /// The URL without its password, for messages.
    public var redactedURL: String {
        socketFolder.map { "postgres://\(user)@/\(database)?host=\($0)" } ?? "postgres://\(user)@\(host):\(port)/\(database)"
    }

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String, environment: [String: String] = [:]) throws {
        guard PostgresConfiguration.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw StoreError(.invalid(field: "url"), "\(PostgresConfiguration.redact(text)) is not a postgres:// URL "
                             + "(postgres://USER@HOST:PORT/DATABASE)")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, b in b })
        let known: Set<String> = ["sslmode", "sslrootcert", "pool", "host", "user", "password", "port", "dbname"]
        if let unknown = query.keys.first(where: { !known.contains($0) }) {
            throw StoreError(.invalid(field: "url"), "the database URL has an unknown option \(unknown) (known: \(known.sorted().joined(separator: ", ")))")
        }
        socketFolder = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? query["host"].flatMap { $0.hasPrefix("/") ? nil : $0 } ?? "localhost"
        if let portText = query["port"] ?? components.port.map(String.init) {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw StoreError(.invalid(field: "port"), "the database URL's port \(portText) is not a port number")
            }
            port = value
        } else {
            port = 5432
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = query["dbname"] ?? (path.isEmpty ? "vigil" : path)
        user = components.user.flatMap { $0.isEmpty ? nil : $0 } ?? query["user"] ?? environment["PGUSER"] ?? "vigil"
        if let inURL = components.password ?? query["password"] {
            password = inURL
        } else if let file = environment["VIGIL_DB_PASSWORD_FILE"], !file.isEmpty {
            guard let contents = FileManager.default.contents(atPath: file), let text = String(data: contents, encoding: .utf8) else {
                throw StoreError(.invalid(field: "VIGIL_DB_PASSWORD_FILE"), "could not read the database password file \(file) (VIGIL_DB_PASSWORD_FILE)")
            }
            password = text.trimmingCharacters(in: .newlines)
        } else {
            password = environment["PGPASSWORD"]
        }
        let mode = query["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer"
        guard let tls = TLSMode(rawValue: mode) else {
            throw StoreError(.invalid(field: "sslmode"), "sslmode \(mode) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.tls = tls
        rootCertificate = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
        if let pool = query["pool"] ?? environment["VIGIL_DB_POOL"] {
            guard let size = Int(pool), (1...500).contains(size) else {
                throw StoreError(.invalid(field: "pool"), "the connection pool size \(pool) must be a number from 1 to 500")
            }
            poolSize = size
        } else {
            poolSize = 10
        }
    }

    /// postgres-nio's configuration: TLS as libpq's sslmode means it (prefer and require encrypt without checking the
    /// certificate, verify-full checks it against the system's or the given root certificates and the host name).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketFolder {
            configuration = .init(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let tlsSetting: PostgresConnection.Configuration.TLS
            switch tls {
            case .disable:
                tlsSetting = .disable
            case .prefer, .require:
                var settings = TLSConfiguration.makeClientConfiguration()
                settings.certificateVerification = .none
                let context = try NIOSSLContext(configuration: settings)
                tlsSetting = tls == .prefer ? .prefer(context) : .require(context)
            case .verifyFull:
                var settings = TLSConfiguration.makeClientConfiguration()
                if let rootCertificate {
                    settings.trustRoots = .file(rootCertificate)
                }
                tlsSetting = .require(try NIOSSLContext(configuration: settings))
            }
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
            configuration.options.tlsServerName = tls == .verifyFull ? host : nil
        }
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "vigil")]
        return configuration
    }

    /// A URL with its password replaced, for an error about the URL itself.
    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "the database URL"
    }
}
