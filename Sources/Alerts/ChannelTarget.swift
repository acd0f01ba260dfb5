import Foundation
import Storage

/// Where a channel sends, written `email:ADDRESS`, `webhook:URL`, `slack:URL` or `teams:URL` (the command line's
/// form), checked before a channel is saved: by `vigil channel add` and by the channels page alike.
public enum ChannelTarget {
    /// The kind and target of `spec`, or the reason it cannot be a channel, in words for the person who typed it.
    public static func parse(_ spec: String, allowPrivateNetwork: Bool = false) -> Result<(NotificationChannel.Kind, String), ChannelTargetError> {
        guard let colon = spec.firstIndex(of: ":"), let kind = NotificationChannel.Kind(rawValue: spec[..<colon].lowercased()) else {
            return .failure(ChannelTargetError(message: "\(spec): expected email:ADDRESS, webhook:URL, slack:URL or teams:URL"))
        }
        let target = String(spec[spec.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        if let problem = problem(kind: kind, target: target, allowPrivateNetwork: allowPrivateNetwork) {
            return .failure(ChannelTargetError(message: problem))
        }
        return .success((kind, target))
    }

    /// Why `target` cannot receive a channel of `kind`; nil when it can.
    public static func problem(kind: NotificationChannel.Kind, target: String, allowPrivateNetwork: Bool = false) -> String? {
        switch kind {
        case .email:
            do { try MailAddress(parsing: target).validate() } catch {
                return "\(target) is not an email address: \(error.message)"
            }
            return nil
        case .webhook, .slack, .teams:
            return WebhookSender.check(target, allowPrivateNetwork: allowPrivateNetwork)
        }
    }

    /// Slack and Teams URLs carry their secret in the path: shown by host only.
    public static func redacted(_ channel: NotificationChannel) -> String {
        guard channel.kind == .slack || channel.kind == .teams, let url = URLComponents(string: channel.target), let host = url.host else { return channel.spec }
        return "\(channel.kind.rawValue):\(url.scheme ?? "https")://\(host)/…"
    }
}

public struct ChannelTargetError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
