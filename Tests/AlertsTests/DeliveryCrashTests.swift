import Alerts
import AsyncHTTPClient
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// A real `vigil alerts deliver` killed with SIGKILL after the mail server has the message but before it says so:
/// the delivery is sent again once its lease expires, with the same Message-ID, and never a third time.
@Suite(.serialized) struct DeliveryCrashTests {
    @Test("SIGKILL between send and acknowledgement: exactly one duplicate, with the same Message-ID", arguments: Backend.allCases)
    func killedBetweenSendAndAcknowledgement(backend: Backend) async throws {
        try await DeliveryTests.Fixture.with(channels: [.init(name: "ops", kind: .email, target: "ops@example.org")], backend: backend) { fixture in
            let server = try SlowSMTPServer(folder: fixture.folder.url, replyDelay: 30)
            defer { server.stop() }
            try await fixture.publish()

            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: try Executables.vigil())
            process.arguments = ["alerts", "deliver", "--db", fixture.location]
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["VIGIL_SMTP_URL": "smtp://127.0.0.1:\(server.port)?starttls=never", "VIGIL_MAIL_FROM": "alerts@vigil.example"]) { _, new in new }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The server has the whole message and holds back its 250: the sender cannot know it was delivered.
            let deadline = Date().addingTimeInterval(60)
            while try server.messageIDs().isEmpty, Date() < deadline, process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            try #require(try server.messageIDs().count == 1, "the message never reached the server")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)

            let stranded = try #require(try await fixture.outbox().first)
            #expect(stranded.status == .sending)
            #expect(stranded.attempts == 1)

            try await DeliveryTests.withClient { (client: HTTPClient) async throws -> Void in
                let dispatcher = fixture.dispatcher(smtp: SMTPConfiguration(host: "127.0.0.1", port: server.port, security: .plaintext,
                                                                            timeout: .seconds(60), from: MailAddress("alerts@vigil.example")),
                                                    client: client)
                // While the dead process's lease runs, nobody takes the delivery over.
                #expect(try await dispatcher.runOnce() == AlertDispatcher.Summary())
                server.replyDelay(0)
                let later = Date().addingTimeInterval(DeliveryPolicy().lease + 1)
                #expect(try await dispatcher.runOnce(now: { later }).delivered == 1)
                #expect(try await dispatcher.runOnce(now: { later.addingTimeInterval(3600) }) == AlertDispatcher.Summary())
            }
            let ids = try server.messageIDs()
            #expect(ids.count == 2)
            #expect(Set(ids).count == 1, "the retry must carry the same Message-ID: \(ids)")
            #expect(try await fixture.outbox().first?.status == .delivered)
        }
    }
}

/// The shared `SMTPPeer` (aiosmtpd), which records each message's Message-ID as soon as it has the message, then
/// waits before its 250 reply (the wait is read again for each message, so a test can shorten it).
final class SlowSMTPServer: @unchecked Sendable {
    let port: Int
    let folder: URL
    private let peer: SMTPPeer

    init(folder: URL, replyDelay: Double) throws {
        self.folder = folder
        peer = try SMTPPeer(folder: folder, name: "slow-smtp", options: .init(replyDelay: replyDelay))
        port = peer.port
    }

    func replyDelay(_ seconds: Double) {
        peer.setReplyDelay(seconds)
    }

    func messageIDs() throws -> [String] {
        try peer.received().map(\.messageID)
    }

    func stop() {
        peer.stop()
    }
}
