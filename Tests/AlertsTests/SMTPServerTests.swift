import Foundation
import Logging
import NIOPosix
import Testing
@testable import Alerts
import VigilTestSupport

/// Delivery to a real SMTP server: Python's aiosmtpd, started by each test on a free loopback port, records every
/// envelope and the message as Python's `email` package parses it, so the check does not reuse our own encoder.
@Suite(.serialized) struct SMTPServerTests {
    static let user = "vigil-user"
    static let password = "pä55:word@1"

    static func message(to recipients: [MailAddress] = [MailAddress("ops@example.org", name: "Jörg Müller")]) -> MailMessage {
        MailMessage(
            from: MailAddress("alerts@vigil.example", name: "Vigil Alerts"),
            to: recipients, cc: [MailAddress("soc@example.org")],
            subject: "Schwachstelle in Steuerungsgerät – CVE-2026-0001 (Überlauf)",
            messageID: "alert-\(UUID().uuidString)@vigil.example",
            date: Date(timeIntervalSince1970: 1_772_528_700),
            extraHeaders: [(name: "List-Unsubscribe", value: "<https://vigil.example/unsubscribe/t0ken>"),
                           (name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click")],
            textBody: "Betroffen: S7-1500 Firmware < 3.1\n.\n.leading dot line\n" + String(repeating: "lang ", count: 60) + "\n",
            htmlBody: "<html><body><h1>Überlauf</h1><p>S7-1500 &lt; 3.1</p></body></html>\n")
    }

    func send(_ message: MailMessage, _ configuration: SMTPConfiguration) async throws(SMTPError) -> SMTPDeliveryReceipt {
        var logger = Logger(label: "smtp-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SMTP_TRACE"] == nil ? .info : .trace
        return try await SMTPClient.send(message, configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    func send(_ messages: [MailMessage], _ configuration: SMTPConfiguration) async -> [Result<SMTPDeliveryReceipt, SMTPError>] {
        var logger = Logger(label: "smtp-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SMTP_TRACE"] == nil ? .info : .trace
        return await SMTPClient.send(messages, configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    /// Every message delivered, each exactly once, all over one TCP connection.
    func expectBatchDelivered(_ messages: [MailMessage], _ results: [Result<SMTPDeliveryReceipt, SMTPError>],
                              server: AiosmtpdServer, tls: Bool, authenticated: Bool) throws {
        try #require(results.count == messages.count)
        for (message, result) in zip(messages, results) {
            let receipt = try result.get()
            #expect(receipt.messageID == message.messageID)
            #expect(receipt.acceptedRecipients == ["ops@example.org", "soc@example.org"])
            #expect(receipt.finalReply.text.contains("queued as VIGIL"))
        }
        let received = try server.received()
        #expect(received.count == messages.count)
        #expect(Set(received.map(\.messageID)) == Set(messages.map { "<\($0.messageID)>" }))
        #expect(received.map(\.messageID) == messages.map { "<\($0.messageID)>" })
        #expect(received.allSatisfy { $0.recipients == ["ops@example.org", "soc@example.org"] && $0.subject == messages[0].subject })
        #expect(received.allSatisfy { $0.tls == tls && $0.authenticated == authenticated })
        #expect(Set(received.map(\.peer)).count == 1)
        #expect(try server.connectionCount() == 1)
    }

    func expectDelivered(_ message: MailMessage, _ receipt: SMTPDeliveryReceipt, server: AiosmtpdServer,
                         tls: Bool, authenticated: Bool) throws {
        let all = try server.received()
        try #require(all.count == 1)
        let received = all[0]
        #expect(received.mailFrom == "alerts@vigil.example")
        #expect(received.recipients == ["ops@example.org", "soc@example.org"])
        #expect(received.tls == tls)
        #expect(received.authenticated == authenticated)
        #expect(received.subject == message.subject)
        #expect(received.messageID == "<\(message.messageID)>")
        #expect(received.listUnsubscribe == "<https://vigil.example/unsubscribe/t0ken>")
        #expect(received.from == "Vigil Alerts <alerts@vigil.example>")
        #expect(received.to == "Jörg Müller <ops@example.org>")
        #expect(received.cc == "soc@example.org")
        #expect(received.contentType == "multipart/alternative")
        #expect(received.parts.map(\.type) == ["text/plain", "text/html"])
        // Python keeps the CRLF line ends of the wire format.
        #expect(received.parts.first?.content.replacingOccurrences(of: "\r\n", with: "\n") == message.textBody)
        #expect(received.parts.last?.content.replacingOccurrences(of: "\r\n", with: "\n") == message.htmlBody)
        #expect(receipt.acceptedRecipients == ["ops@example.org", "soc@example.org"])
        #expect(receipt.finalReply.code == 250)
        #expect(receipt.finalReply.text.contains("queued as VIGIL"))
    }

    @Test func deliversOverPlainSMTP() async throws {
        let server = try AiosmtpdServer(mode: .plain)
        defer { server.stop() }
        let message = Self.message()
        let configuration = try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)?starttls=never&timeout=20",
                                                  mailFrom: "alerts@vigil.example")
        let receipt = try await send(message, configuration)
        try expectDelivered(message, receipt, server: server, tls: false, authenticated: false)
    }

    @Test func deliversWithRequiredSTARTTLSAndAuthPlain() async throws {
        let server = try AiosmtpdServer(mode: .startTLS, auth: .plainAndLogin)
        defer { server.stop() }
        let message = Self.message()
        var configuration = try SMTPConfiguration(
            url: "smtp://\(Self.user):\(Self.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@localhost:\(server.port)?starttls=required&timeout=20",
            mailFrom: "alerts@vigil.example")
        configuration.tlsTrustRootsFile = server.certificatePath
        let receipt = try await send(message, configuration)
        try expectDelivered(message, receipt, server: server, tls: true, authenticated: true)
        #expect(try server.received().first?.authMechanism == "PLAIN")
    }

    @Test func deliversWithSTARTTLSAndAuthLogin() async throws {
        let server = try AiosmtpdServer(mode: .startTLS, auth: .loginOnly)
        defer { server.stop() }
        let message = Self.message()
        let configuration = SMTPConfiguration(
            host: "localhost", port: server.port, security: .startTLSRequired,
            credentials: .init(username: Self.user, password: Self.password), timeout: .seconds(20),
            from: MailAddress("alerts@vigil.example"), tlsTrustRootsFile: server.certificatePath)
        let receipt = try await send(message, configuration)
        try expectDelivered(message, receipt, server: server, tls: true, authenticated: true)
        #expect(try server.received().first?.authMechanism == "LOGIN")
    }

    @Test func deliversOverImplicitTLSWithAuth() async throws {
        let server = try AiosmtpdServer(mode: .implicitTLS, auth: .plainAndLogin)
        defer { server.stop() }
        let message = Self.message()
        var configuration = try SMTPConfiguration(url: "smtps://\(Self.user):p%C3%A455%3Aword%401@localhost:\(server.port)?timeout=20",
                                                  mailFrom: "alerts@vigil.example")
        configuration.tlsTrustRootsFile = server.certificatePath
        let receipt = try await send(message, configuration)
        try expectDelivered(message, receipt, server: server, tls: true, authenticated: true)
    }

    @Test func batchOfFiftyGoesOverOnePlainSMTPConnection() async throws {
        let server = try AiosmtpdServer(mode: .plain)
        defer { server.stop() }
        let messages = (0..<50).map { _ in Self.message() }
        let configuration = try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)?starttls=never&timeout=20",
                                                  mailFrom: "alerts@vigil.example")
        let results = await send(messages, configuration)
        try expectBatchDelivered(messages, results, server: server, tls: false, authenticated: false)
        #expect(Set(messages.map(\.messageID)).count == 50)
    }

    @Test func batchOfFiftyGoesOverOneSTARTTLSConnectionWithOneLogin() async throws {
        let server = try AiosmtpdServer(mode: .startTLS, auth: .plainAndLogin)
        defer { server.stop() }
        let messages = (0..<50).map { _ in Self.message() }
        let configuration = SMTPConfiguration(
            host: "localhost", port: server.port, security: .startTLSRequired,
            credentials: .init(username: Self.user, password: Self.password), timeout: .seconds(20),
            from: MailAddress("alerts@vigil.example"), tlsTrustRootsFile: server.certificatePath)
        let results = await send(messages, configuration)
        try expectBatchDelivered(messages, results, server: server, tls: true, authenticated: true)
        #expect(try server.received().allSatisfy { $0.authMechanism == "PLAIN" })
    }

    @Test func refusedAndUnrenderableMessagesFailAloneAndTheRestOfTheBatchArrives() async throws {
        let server = try AiosmtpdServer(mode: .plain)
        defer { server.stop() }
        var refused = Self.message(to: [MailAddress("refused-1@example.org")])
        refused.cc = []
        var unrenderable = Self.message()
        unrenderable.textBody = nil
        unrenderable.htmlBody = nil
        let first = Self.message(), last = Self.message()
        let configuration = try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)?starttls=never&timeout=20",
                                                  mailFrom: "alerts@vigil.example")
        let results = await send([first, refused, unrenderable, last], configuration)
        try #require(results.count == 4)
        #expect(try results[0].get().messageID == first.messageID)
        #expect(try results[3].get().messageID == last.messageID)
        guard case .failure(let refusal) = results[1], case .failure(let invalid) = results[2] else {
            Issue.record("expected the refused and the unrenderable message to fail: \(results)")
            return
        }
        #expect(refusal.kind == .allRecipientsRejected)
        #expect(refusal.reply?.code == 550)
        #expect(!refusal.isTransient)
        #expect(invalid.kind == .invalidMessage)
        #expect(!invalid.isTransient)
        // The refusal was followed by RSET, and the server took the last message on the same connection.
        let received = try server.received()
        #expect(received.map(\.messageID) == ["<\(first.messageID)>", "<\(last.messageID)>"])
        #expect(Set(received.map(\.peer)).count == 1)
        #expect(try server.connectionCount() == 1)
    }

    @Test func serverNotListeningFailsEveryMessageOfABatchAsTransient() async throws {
        let port = try LoopbackPort.free()
        let configuration = SMTPConfiguration(host: "127.0.0.1", port: port, security: .plaintext, timeout: .seconds(10),
                                              from: MailAddress("alerts@vigil.example"))
        let results = await send([Self.message(), Self.message(), Self.message()], configuration)
        #expect(results.count == 3)
        for result in results {
            guard case .failure(let error) = result else { Issue.record("delivered without a server"); continue }
            #expect(error.kind == .connectionFailed)
            #expect(error.isTransient)
        }
    }

    @Test func untrustedCertificateFailsPermanently() async throws {
        let server = try AiosmtpdServer(mode: .startTLS)
        defer { server.stop() }
        let configuration = SMTPConfiguration(host: "localhost", port: server.port, security: .startTLSRequired,
                                              timeout: .seconds(20), from: MailAddress("alerts@vigil.example"))
        let error = await #expect(throws: SMTPError.self) { try await send(Self.message(), configuration) }
        #expect(error?.kind == .tlsFailed)
        #expect(error?.isTransient == false)
        #expect(try server.received().isEmpty)
    }

    @Test func wrongPasswordIsAPermanentAuthenticationError() async throws {
        let server = try AiosmtpdServer(mode: .startTLS, auth: .plainAndLogin)
        defer { server.stop() }
        let configuration = SMTPConfiguration(
            host: "localhost", port: server.port, security: .startTLSRequired,
            credentials: .init(username: Self.user, password: "wrong"), timeout: .seconds(20),
            from: MailAddress("alerts@vigil.example"), tlsTrustRootsFile: server.certificatePath)
        let error = await #expect(throws: SMTPError.self) { try await send(Self.message(), configuration) }
        #expect(error?.kind == .authenticationFailed)
        #expect(error?.stage == .authentication)
        #expect(error?.reply?.code == 535)
        #expect(error?.isTransient == false)
        #expect(try server.received().isEmpty)
    }

    @Test func serverNotListeningIsATransientConnectionError() async throws {
        let port = try LoopbackPort.free()
        let configuration = SMTPConfiguration(host: "127.0.0.1", port: port, security: .plaintext, timeout: .seconds(10),
                                              from: MailAddress("alerts@vigil.example"))
        let error = await #expect(throws: SMTPError.self) { try await send(Self.message(), configuration) }
        #expect(error?.kind == .connectionFailed)
        #expect(error?.stage == .connect)
        #expect(error?.isTransient == true)
        #expect(error?.message.hasPrefix("could not connect to 127.0.0.1:\(port)") == true)
    }
}

/// One SMTP server (the shared `SMTPPeer`, aiosmtpd) for one test, refusing recipients that start with "refused" and
/// counting connections; stop it with `defer { server.stop() }`.
final class AiosmtpdServer: @unchecked Sendable {
    typealias Mode = SMTPPeer.Security
    typealias Auth = SMTPPeer.Auth
    /// What the server received, as Python's email package read it.
    typealias Received = SMTPPeer.Received

    let folder: TemporaryFolder
    let port: Int
    let certificatePath: String
    private let peer: SMTPPeer

    init(mode: Mode, auth: Auth = .none, port fixedPort: Int? = nil) throws {
        let folder = try TemporaryFolder()
        let certificatePath = folder.url.appendingPathComponent("cert.pem").path
        let keyPath = folder.url.appendingPathComponent("key.pem").path
        self.folder = folder
        self.certificatePath = certificatePath
        do {
            if mode != .plain {
                let openssl = try Executables.find("openssl", hint: "install the openssl command (`apt-get install openssl`)")
                _ = try Executables.run(openssl, arguments: [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyPath, "-out", certificatePath,
                ])
            }
            peer = try SMTPPeer(folder: folder.url, name: "server", options: .init(
                port: fixedPort, security: mode, certificatePath: certificatePath, keyPath: keyPath, auth: auth,
                user: SMTPServerTests.user, password: SMTPServerTests.password, refusedRecipientPrefix: "refused",
                countConnections: true))
        } catch {
            folder.remove()
            throw error
        }
        port = peer.port
    }

    func received() throws -> [Received] {
        try peer.received()
    }

    /// How many connections the server accepted from the test (aiosmtpd's own start-up probe not counted).
    func connectionCount() throws -> Int {
        peer.connectionCount()
    }

    func stop() {
        peer.stop()
        folder.remove()
    }
}
