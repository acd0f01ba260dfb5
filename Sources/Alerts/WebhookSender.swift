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

/// Posts webhook bodies under the outbound policy shared with provider fetches (`OutboundPolicy`): HTTPS to public
/// addresses, plain HTTP only to a receiver on this machine written as 127.0.0.1, ::1 or localhost, private and
/// link-local addresses (also when a name resolves to one) only for a channel added with --allow-private-network; no redirects (a receiver that moved
/// must be configured anew, not followed blindly with a signed body); a timeout per request.
public struct WebhookSender: Sendable {
    let client: HTTPClient
    public var timeout: TimeAmount = .seconds(15)
    /// At most this much of a receiver's error response is quoted in the outbox.
    static let quotedBytes = 300

    public init(client: HTTPClient) {
        self.client = client
    }

    /// What allows a channel to reach private destinations, for error messages.
    public static let privateNetworkOption = "the channel option --allow-private-network (vigil channel add)"

    /// Whether Vigil may post to `url`; nil when it may, else the reason a person can act on. HTTPS anywhere public;
    /// plain HTTP only to a receiver on this machine written as 127.0.0.1, ::1 or localhost; private and link-local
    /// addresses (a plant's SIEM on 10.x) only with `allowPrivateNetwork`. Names are judged again once resolved.
    public static func check(_ url: String, allowPrivateNetwork: Bool = false) -> String? {
        OutboundPolicy.check(url, access: .configured(url, allowPrivateNetwork: allowPrivateNetwork),
                             option: privateNetworkOption, what: "post a webhook to")?.message
    }

    /// Whether the addresses the receiver's name resolved to may be posted to: the decision `post` makes after the
    /// lookup (a public name pointing at 127.0.0.1, 10.x or 169.254.169.254 is refused without the option).
    public static func check(_ url: String, resolvedTo addresses: [String], allowPrivateNetwork: Bool = false) -> String? {
        if let problem = check(url, allowPrivateNetwork: allowPrivateNetwork) { return problem }
        let host = URLComponents(string: url)?.host ?? ""
        return OutboundPolicy.checkDestination(url: url, host: host, addresses: addresses,
                                               access: .configured(url, allowPrivateNetwork: allowPrivateNetwork),
                                               option: privateNetworkOption, what: "post a webhook to")?.message
    }

    /// Posts `body`; returns the receiver's status line on a 2xx answer.
    public func post(_ url: String, body: [UInt8], headers extra: [(String, String)],
                     allowPrivateNetwork: Bool = false) async throws(DeliveryFailure) -> String {
        if let problem = Self.check(url, allowPrivateNetwork: allowPrivateNetwork) { throw DeliveryFailure(problem, isTransient: false) }
        // The receiver's name, resolved off the event loops, and what it resolves to judged before anything is sent.
        switch await OutboundPolicy.resolve(URLComponents(string: url)?.host ?? "", timeout: 5) {
        case .failure(let refusal):
            throw DeliveryFailure("could not reach \(Self.origin(url)): \(refusal.message)", isTransient: true)
        case .success(let addresses):
            if let problem = Self.check(url, resolvedTo: addresses, allowPrivateNetwork: allowPrivateNetwork) {
                throw DeliveryFailure(problem, isTransient: false)
            }
        }
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
