import Foundation
import VigilTestSupport

/// A real SMTP server for the account emails: the shared `SMTPPeer` (aiosmtpd, plain SMTP) on a free loopback port,
/// recording each message's recipients, subject and text.
final class MailCatcher: @unchecked Sendable {
    typealias Received = SMTPPeer.Received

    let folder: TemporaryFolder
    let port: Int
    private let peer: SMTPPeer

    init() throws {
        let folder = try TemporaryFolder()
        self.folder = folder
        do {
            peer = try SMTPPeer(folder: folder.url, name: "server")
        } catch {
            folder.remove()
            throw error
        }
        port = peer.port
    }

    func received() throws -> [Received] {
        try peer.received()
    }

    /// The first link in the last message that starts with `prefix`.
    func link(startingWith prefix: String) throws -> String? {
        guard let text = try received().last?.text, let start = text.range(of: prefix) else { return nil }
        return String(text[start.lowerBound...].prefix { !$0.isWhitespace })
    }

    func stop() {
        peer.stop()
        folder.remove()
    }
}
