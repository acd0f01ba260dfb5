import Foundation
import Testing
@testable import Alerts

/// The SMTP protocol driven by event sequences: no sockets, every action checked.
@Suite struct SMTPClientStateMachineTests {
    static let message = Array("Subject: x\r\n\r\nHello\r\n.dot line\r\n".utf8)

    static func machine(security: SMTPConfiguration.Security = .startTLSOpportunistic,
                        credentials: SMTPConfiguration.Credentials? = nil, recipients: [String] = ["ops@example.org"],
                        tlsActive: Bool = false, message: [UInt8] = message) -> SMTPClientStateMachine {
        SMTPClientStateMachine(security: security, credentials: credentials, clientName: "vigil.test",
                               sender: "alerts@example.org", recipients: recipients, messageID: "m1@vigil.test",
                               message: message, tlsActive: tlsActive)
    }

    /// Feeds reply lines; returns the action of the last one.
    static func feed(_ machine: inout SMTPClientStateMachine, _ lines: String...) -> SMTPClientStateMachine.Action {
        var action = SMTPClientStateMachine.Action.wait
        for line in lines { action = machine.lineReceived(line) }
        return action
    }

    static func error(_ action: SMTPClientStateMachine.Action) -> SMTPError? {
        if case .fail(let error) = action { return error }
        return nil
    }

    @Test func happyPathWithMultiLineEHLO() {
        var m = Self.machine()
        #expect(m.connected() == .wait)
        #expect(m.stage == .greeting)
        #expect(Self.feed(&m, "220-mail.example.org ESMTP", "220 welcome") == .sendCommand("EHLO vigil.test"))
        #expect(Self.feed(&m, "250-mail.example.org", "250-SIZE 10240000", "250-8BITMIME") == .wait)
        #expect(Self.feed(&m, "250 SMTPUTF8") == .sendCommand("MAIL FROM:<alerts@example.org> SIZE=\(Self.message.count) BODY=8BITMIME"))
        #expect(m.serverCapabilities.maximumSize == 10_240_000)
        #expect(m.serverCapabilities.smtpUTF8)
        #expect(m.stage == .mailFrom)
        #expect(Self.feed(&m, "250 OK") == .sendCommand("RCPT TO:<ops@example.org>"))
        #expect(Self.feed(&m, "250 OK") == .sendCommand("DATA"))
        #expect(Self.feed(&m, "354 go ahead") == .sendMessageData(SMTPClientStateMachine.dataBlock(Self.message)))
        #expect(m.stage == .messageTransfer)
        #expect(Self.feed(&m, "250 OK queued as 4F2A1") == .sendCommand("QUIT"))
        guard case .succeed(let receipt) = Self.feed(&m, "221 bye") else { Issue.record("no success"); return }
        #expect(receipt.acceptedRecipients == ["ops@example.org"])
        #expect(receipt.finalReply == SMTPReply(code: 250, lines: ["OK queued as 4F2A1"]))
        #expect(receipt.messageID == "m1@vigil.test")
        #expect(m.isFinished)
    }

    @Test func startTLSThenEHLOAgainWithFreshCapabilities() {
        var m = Self.machine(security: .startTLSRequired)
        _ = m.connected()
        #expect(Self.feed(&m, "220 hi") == .sendCommand("EHLO vigil.test"))
        #expect(Self.feed(&m, "250-mx", "250-STARTTLS", "250 SIZE 100") == .sendCommand("STARTTLS"))
        #expect(Self.feed(&m, "220 ready to start TLS") == .startTLS)
        #expect(m.stage == .tlsHandshake)
        #expect(m.tlsEstablished() == .sendCommand("EHLO vigil.test"))
        // After TLS the server no longer offers SIZE: the machine must forget what it said in clear text.
        #expect(Self.feed(&m, "250-mx", "250 8BITMIME") == .sendCommand("MAIL FROM:<alerts@example.org> BODY=8BITMIME"))
    }

    @Test func requiredStartTLSThatIsNotOfferedFailsPermanently() throws {
        var m = Self.machine(security: .startTLSRequired)
        _ = Self.feed(&m, "220 hi")
        let error = try #require(Self.error(Self.feed(&m, "250-mx", "250 SIZE 100")))
        #expect(error.kind == .startTLSUnavailable)
        #expect(!error.isTransient)
    }

    @Test func authPlainSendsOneTokenOverTLS() {
        var m = Self.machine(security: .implicitTLS, credentials: .init(username: "vigil", password: "s3cret"), tlsActive: true)
        _ = Self.feed(&m, "220 hi")
        let token = Data("\0vigil\0s3cret".utf8).base64EncodedString()
        #expect(Self.feed(&m, "250-mx", "250 AUTH LOGIN PLAIN") == .sendCommand("AUTH PLAIN \(token)"))
        #expect(m.stage == .authentication)
        #expect(Self.feed(&m, "235 2.7.0 Authentication successful") == .sendCommand("MAIL FROM:<alerts@example.org>"))
    }

    @Test func authLoginAnswersBothPrompts() {
        var m = Self.machine(security: .implicitTLS, credentials: .init(username: "vigil", password: "s3cret"), tlsActive: true)
        _ = Self.feed(&m, "220 hi")
        #expect(Self.feed(&m, "250-mx", "250 AUTH=LOGIN") == .sendCommand("AUTH LOGIN"))
        #expect(Self.feed(&m, "334 VXNlcm5hbWU6") == .sendCommand(Data("vigil".utf8).base64EncodedString()))
        #expect(Self.feed(&m, "334 UGFzc3dvcmQ6") == .sendCommand(Data("s3cret".utf8).base64EncodedString()))
        #expect(Self.feed(&m, "235 ok") == .sendCommand("MAIL FROM:<alerts@example.org>"))
    }

    @Test func wrongPasswordIsAPermanentAuthenticationError() throws {
        var m = Self.machine(security: .implicitTLS, credentials: .init(username: "vigil", password: "nope"), tlsActive: true)
        _ = Self.feed(&m, "220 hi", "250-mx", "250 AUTH PLAIN")
        let error = try #require(Self.error(Self.feed(&m, "535 5.7.8 Authentication credentials invalid")))
        #expect(error.kind == .authenticationFailed)
        #expect(error.stage == .authentication)
        #expect(error.reply?.code == 535)
        #expect(!error.isTransient)
    }

    @Test func credentialsAreNeverSentInClearText() throws {
        var m = Self.machine(security: .startTLSOpportunistic, credentials: .init(username: "u", password: "p"))
        _ = Self.feed(&m, "220 hi")
        let error = try #require(Self.error(Self.feed(&m, "250-mx", "250 AUTH PLAIN")))
        #expect(error.kind == .authenticationRequiresTLS)
    }

    @Test func fallsBackToHELOWhenEHLOIsUnknown() {
        var m = Self.machine(security: .startTLSOpportunistic)
        _ = Self.feed(&m, "220 old server")
        #expect(Self.feed(&m, "502 command not implemented") == .sendCommand("HELO vigil.test"))
        #expect(m.stage == .helo)
        // HELO announces nothing, so neither SIZE nor BODY parameters are used.
        #expect(Self.feed(&m, "250 hello") == .sendCommand("MAIL FROM:<alerts@example.org>"))
    }

    @Test func temporaryRefusalAtRCPTIsTransient() throws {
        var m = Self.machine()
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK")
        let error = try #require(Self.error(Self.feed(&m, "450 4.2.1 mailbox busy")))
        #expect(error.kind == .allRecipientsRejected)
        #expect(error.stage == .recipients)
        #expect(error.reply?.code == 450)
        #expect(error.isTransient)
    }

    @Test func oneRefusedRecipientAmongSeveralIsReportedInTheReceipt() {
        var m = Self.machine(recipients: ["a@example.org", "b@example.org"])
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK")
        #expect(Self.feed(&m, "550 no such user") == .sendCommand("RCPT TO:<b@example.org>"))
        #expect(Self.feed(&m, "250 OK") == .sendCommand("DATA"))
        _ = Self.feed(&m, "354 go", "250 queued")
        guard case .succeed(let receipt) = m.connectionClosed() else { Issue.record("no success"); return }
        #expect(receipt.acceptedRecipients == ["b@example.org"])
        #expect(receipt.rejectedRecipients.map(\.address) == ["a@example.org"])
        #expect(receipt.rejectedRecipients.first?.isTransient == false)
    }

    @Test func permanentRefusalAtMAILIsPermanent() throws {
        var m = Self.machine()
        _ = Self.feed(&m, "220 hi", "250 mx")
        let error = try #require(Self.error(Self.feed(&m, "553 5.1.8 sender address rejected")))
        #expect(error.kind == .serverRejected)
        #expect(error.stage == .mailFrom)
        #expect(error.reply == SMTPReply(code: 553, lines: ["5.1.8 sender address rejected"]))
        #expect(!error.isTransient)
    }

    @Test func serviceNotAvailableOnConnectIsTransient() throws {
        var m = Self.machine()
        _ = m.connected()
        let error = try #require(Self.error(Self.feed(&m, "421 4.3.2 too busy, try later")))
        #expect(error.stage == .greeting)
        #expect(error.isTransient)
        #expect(m.isFinished)
        #expect(m.lineReceived("250 late") == .wait)
    }

    @Test func timeoutDuringDataIsTransient() throws {
        var m = Self.machine()
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK", "250 OK")
        #expect(m.stage == .data)
        let error = try #require(Self.error(m.timedOut()))
        #expect(error.kind == .timeout)
        #expect(error.stage == .data)
        #expect(error.isTransient)
    }

    @Test func connectionLostBeforeTheMessageIsAcceptedIsTransient() throws {
        var m = Self.machine()
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK", "250 OK", "354 go")
        let error = try #require(Self.error(m.connectionClosed()))
        #expect(error.kind == .connectionClosed)
        #expect(error.stage == .messageTransfer)
        #expect(error.isTransient)
    }

    @Test func messageLargerThanSIZEIsRefusedBeforeSending() throws {
        var m = Self.machine(message: Array(repeating: UInt8(ascii: "a"), count: 2000))
        _ = Self.feed(&m, "220 hi")
        let error = try #require(Self.error(Self.feed(&m, "250-mx", "250 SIZE 1000")))
        #expect(error.kind == .messageTooLarge)
        #expect(!error.isTransient)
        #expect(error.message.contains("2000"))
    }

    @Test func nonASCIIAddressNeedsSMTPUTF8() {
        var m = SMTPClientStateMachine(security: .plaintext, credentials: nil, clientName: "c", sender: "alerts@example.org",
                                       recipients: ["jörg@example.de"], messageID: "m@x", message: [], tlsActive: false)
        _ = Self.feed(&m, "220 hi")
        #expect(Self.feed(&m, "250-mx", "250 SMTPUTF8") == .sendCommand("MAIL FROM:<alerts@example.org> SMTPUTF8"))
    }

    @Test func garbageInsteadOfAReplyIsAPermanentProtocolError() throws {
        var m = Self.machine()
        let error = try #require(Self.error(m.lineReceived("HTTP/1.1 400 Bad Request")))
        #expect(error.kind == .malformedReply)
        #expect(!error.isTransient)
    }

    @Test func dataBlockStuffsDotsAndTerminates() {
        let block = SMTPClientStateMachine.dataBlock(Array("a\r\n.b\n..c\r\nd".utf8))
        #expect(String(decoding: block, as: UTF8.self) == "a\r\n..b\r\n...c\r\nd\r\n.\r\n")
    }
}
