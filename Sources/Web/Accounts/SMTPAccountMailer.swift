import Alerts
import Foundation
import NIOPosix

/// Sends account emails (verification, password reset) through Vigil's SMTP client, with the settings of
/// `VIGIL_SMTP_URL` and `VIGIL_MAIL_FROM`.
public struct SMTPAccountMailer: AccountMailer {
    let configuration: SMTPConfiguration

    public init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    public func send(to address: String, subject: String, text: String) async throws {
        let domain = configuration.from.address.split(separator: "@").last.map(String.init) ?? "vigil.invalid"
        let message = MailMessage(from: configuration.from, to: [MailAddress(address)], subject: subject,
                                  messageID: "account-\(UUID().uuidString.lowercased())@\(domain)", date: Date(),
                                  textBody: text, htmlBody: nil)
        _ = try await SMTPClient.send(message, configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    }
}
