import AsyncHTTPClient
import CSAF
import Foundation
import NIOCore

/// Why one delivery attempt failed, and whether trying again may help.
public struct DeliveryFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var isTransient: Bool
    public init(_ message: String, isTransient: Bool) {
        self.message = message
        self.isTransient = isTransient
    }
    public var description: String { message }
}

/// Posts webhook bodies: HTTPS anywhere, plain HTTP only to loopback receivers; no redirects (a receiver that moved
/// must be configured anew, not followed blindly with a signed body); a timeout per request.
public struct WebhookSender: Sendable {
    let client: HTTPClient
    public var timeout: TimeAmount = .seconds(15)
    /// At most this much of a receiver's error response is quoted in the outbox.
    static let quotedBytes = 300

    public init(client: HTTPClient) {
        self.client = client
    }

    /// Whether Vigil may post to `url`; nil when it may, else the reason a person can act on.
    public static func check(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            return "\(url) is not a URL (expected https://…)"
        }
        switch scheme {
        case "https": return nil
        case "http" where LoopbackHost.contains(host): return nil
        case "http": return "\(url) uses plain HTTP; webhooks are posted over HTTPS only (plain HTTP only to a receiver on this machine)"
        default: return "\(url): only https:// webhook URLs are supported"
        }
    }

    /// Posts `body`; returns the receiver's status line on a 2xx answer.
    public func post(_ url: String, body: [UInt8], headers extra: [(String, String)]) async throws(DeliveryFailure) -> String {
        if let problem = Self.check(url) { throw DeliveryFailure(problem, isTransient: false) }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "Vigil-Alerts/1")
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw DeliveryFailure("could not reach \(Self.origin(url)): \(error)", isTransient: true)
        }
        let status = response.status
        var quoted = ""
        if let buffer = try? await response.body.collect(upTo: 64 * 1024) {
            quoted = String(decoding: buffer.readableBytesView.prefix(Self.quotedBytes), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        }
        switch status.code {
        case 200..<300:
            return "HTTP \(status.code) from \(Self.origin(url))"
        case 300..<400:
            throw DeliveryFailure("\(Self.origin(url)) answered HTTP \(status.code) (a redirect to \(response.headers.first(name: "Location") ?? "?")); "
                                  + "webhooks are not redirected: configure the new URL", isTransient: false)
        case 408, 425, 429, 500..<600:
            throw DeliveryFailure("\(Self.origin(url)) answered HTTP \(status.code)\(quoted.isEmpty ? "" : ": \(quoted)"); will retry", isTransient: true)
        default:
            throw DeliveryFailure("\(Self.origin(url)) refused the webhook with HTTP \(status.code)\(quoted.isEmpty ? "" : ": \(quoted)"); "
                                  + "check the URL and the receiver", isTransient: false)
        }
    }

    /// `https://hooks.slack.com`: a URL without its path, which for Slack and Teams holds the secret.
    static func origin(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return "the receiver" }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}
