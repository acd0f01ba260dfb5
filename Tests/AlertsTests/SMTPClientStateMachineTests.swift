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

    // MARK: Several messages on one session

    static func transaction(_ number: Int, recipients: [String]? = nil, size: Int? = nil) -> SMTPClientStateMachine.Transaction {
        let body = size.map { Array(repeating: UInt8(ascii: "a"), count: $0) } ?? Array("Subject: \(number)\r\n\r\nBody \(number)\r\n".utf8)
        return .init(sender: "alerts\(number)@example.org", recipients: recipients ?? ["ops\(number)@example.org"],
                     messageID: "m\(number)@vigil.test", message: body)
    }

    static func session(_ transactions: [SMTPClientStateMachine.Transaction], security: SMTPConfiguration.Security = .plaintext,
                        credentials: SMTPConfiguration.Credentials? = nil, tlsActive: Bool = false) -> SMTPClientStateMachine {
        SMTPClientStateMachine(security: security, credentials: credentials, clientName: "vigil.test",
                               transactions: transactions, tlsActive: tlsActive)
    }

    static func receipt(_ result: Result<SMTPDeliveryReceipt, SMTPError>??) -> SMTPDeliveryReceipt? {
        if case .success(let receipt)?? = result { return receipt }
        return nil
    }

    static func failure(_ result: Result<SMTPDeliveryReceipt, SMTPError>??) -> SMTPError? {
        if case .failure(let error)?? = result { return error }
        return nil
    }

    /// Runs one accepted transaction for `transaction`, from its MAIL FROM reply to the reply after the data, and
    /// returns the action that follows the final reply.
    static func deliver(_ m: inout SMTPClientStateMachine, _ transaction: SMTPClientStateMachine.Transaction,
                        queueID: String) -> SMTPClientStateMachine.Action {
        for recipient in transaction.recipients {
            #expect(m.lineReceived("250 OK") == .sendCommand("RCPT TO:<\(recipient)>"))
        }
        #expect(m.lineReceived("250 OK") == .sendCommand("DATA"))
        #expect(m.lineReceived("354 go ahead") == .sendMessageData(SMTPClientStateMachine.dataBlock(transaction.message)))
        return m.lineReceived("250 OK queued as \(queueID)")
    }

    @Test func twoMessagesGoOverOneSessionAndQuitAfterTheLast() throws {
        let first = Self.transaction(1, recipients: ["a@example.org", "b@example.org"]), second = Self.transaction(2)
        var m = Self.session([first, second])
        #expect(m.connected() == .wait)
        #expect(Self.feed(&m, "220 hi") == .sendCommand("EHLO vigil.test"))
        #expect(Self.feed(&m, "250-mx", "250 SIZE 1000") == .sendCommand("MAIL FROM:<alerts1@example.org> SIZE=\(first.message.count)"))
        // The first message's 250 leads straight to the second one's MAIL FROM: no QUIT, no new greeting.
        #expect(Self.deliver(&m, first, queueID: "Q1") == .sendCommand("MAIL FROM:<alerts2@example.org> SIZE=\(second.message.count)"))
        #expect(m.stage == .mailFrom)
        #expect(!m.isFinished)
        let firstReceipt = try #require(Self.receipt(m.results.first))
        #expect(firstReceipt.messageID == "m1@vigil.test")
        #expect(firstReceipt.acceptedRecipients == ["a@example.org", "b@example.org"])
        #expect(firstReceipt.finalReply.text == "OK queued as Q1")
        #expect(m.results[1] == nil)
        #expect(Self.deliver(&m, second, queueID: "Q2") == .sendCommand("QUIT"))
        guard case .succeed(let last) = Self.feed(&m, "221 bye") else { Issue.record("no success"); return }
        #expect(last.messageID == "m2@vigil.test")
        #expect(m.isFinished)
        #expect(m.results.map { Self.receipt($0)?.messageID } == ["m1@vigil.test", "m2@vigil.test"])
        #expect(Self.receipt(m.results[1])?.acceptedRecipients == ["ops2@example.org"])
        #expect(Self.receipt(m.results[1])?.finalReply.text == "OK queued as Q2")
    }

    @Test func everyRecipientRefusedIsFollowedByRSETAndTheNextMessage() throws {
        let first = Self.transaction(1, recipients: ["gone@example.org"]), second = Self.transaction(2)
        var m = Self.session([first, second])
        _ = Self.feed(&m, "220 hi", "250 mx")
        #expect(Self.feed(&m, "250 OK") == .sendCommand("RCPT TO:<gone@example.org>"))
        #expect(Self.feed(&m, "550 5.1.1 no such user") == .sendCommand("RSET"))
        #expect(m.stage == .reset)
        let refused = try #require(Self.failure(m.results.first))
        #expect(refused.kind == .allRecipientsRejected)
        #expect(refused.stage == .recipients)
        #expect(refused.reply?.code == 550)
        #expect(!refused.isTransient)
        #expect(m.results[1] == nil)
        #expect(Self.feed(&m, "250 flushed") == .sendCommand("MAIL FROM:<alerts2@example.org>"))
        #expect(Self.deliver(&m, second, queueID: "Q2") == .sendCommand("QUIT"))
        let secondReceipt = try #require(Self.receipt(m.results[1]))
        #expect(Self.feed(&m, "221 bye") == .succeed(secondReceipt))
        #expect(Self.failure(m.results[0]) == refused)
    }

    @Test func refusedSenderAndRefusedDATAAreResetAndTheirErrorsKeepTheirClass() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2), Self.transaction(3)])
        _ = Self.feed(&m, "220 hi", "250 mx")
        #expect(Self.feed(&m, "451 4.3.0 try later") == .sendCommand("RSET"))
        #expect(Self.feed(&m, "250 OK") == .sendCommand("MAIL FROM:<alerts2@example.org>"))
        #expect(Self.feed(&m, "250 OK", "250 OK") == .sendCommand("DATA"))
        #expect(Self.feed(&m, "554 5.3.4 no DATA for you") == .sendCommand("RSET"))
        #expect(Self.feed(&m, "250 OK") == .sendCommand("MAIL FROM:<alerts3@example.org>"))
        #expect(Self.deliver(&m, Self.transaction(3), queueID: "Q3") == .sendCommand("QUIT"))
        _ = Self.feed(&m, "221 bye")
        let sender = try #require(Self.failure(m.results[0]))
        #expect(sender.kind == .serverRejected)
        #expect(sender.stage == .mailFrom)
        #expect(sender.isTransient)
        let data = try #require(Self.failure(m.results[1]))
        #expect(data.stage == .data)
        #expect(data.reply?.code == 554)
        #expect(!data.isTransient)
        #expect(Self.receipt(m.results[2])?.messageID == "m3@vigil.test")
    }

    @Test func aRefusedMessageEndsItsTransactionSoTheNextMAILFollowsWithoutRSET() throws {
        let first = Self.transaction(1)
        var m = Self.session([first, Self.transaction(2)])
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK", "250 OK", "354 go")
        #expect(Self.feed(&m, "552 5.3.4 message too big for this mailbox") == .sendCommand("MAIL FROM:<alerts2@example.org>"))
        let error = try #require(Self.failure(m.results[0]))
        #expect(error.kind == .serverRejected)
        #expect(error.stage == .messageTransfer)
        #expect(!error.isTransient)
    }

    @Test func aRefusalOfTheLastMessageClosesAsASingleDeliveryDoes() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2)])
        _ = Self.feed(&m, "220 hi", "250 mx")
        #expect(Self.deliver(&m, Self.transaction(1), queueID: "Q1") == .sendCommand("MAIL FROM:<alerts2@example.org>"))
        let error = try #require(Self.error(Self.feed(&m, "250 OK", "550 no such user")))
        #expect(error.kind == .allRecipientsRejected)
        #expect(m.isFinished)
        #expect(Self.receipt(m.results[0]) != nil)
        #expect(Self.failure(m.results[1]) == error)
    }

    @Test func connectionLostMidBatchKeepsDeliveredReceiptsAndFailsTheRestAsTransient() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2), Self.transaction(3)])
        _ = Self.feed(&m, "220 hi", "250 mx")
        _ = Self.deliver(&m, Self.transaction(1), queueID: "Q1")
        _ = Self.feed(&m, "250 OK", "250 OK", "354 go")
        #expect(m.stage == .messageTransfer)
        let error = try #require(Self.error(m.connectionClosed()))
        #expect(error.kind == .connectionClosed)
        #expect(m.isFinished)
        #expect(Self.receipt(m.results[0])?.messageID == "m1@vigil.test")
        let current = try #require(Self.failure(m.results[1]))
        #expect(current == error)
        #expect(current.stage == .messageTransfer)
        #expect(current.isTransient)
        let queued = try #require(Self.failure(m.results[2]))
        #expect(queued.kind == .connectionClosed)
        #expect(queued.isTransient)
        #expect(queued.message.contains("not sent"))
        #expect(m.connectionClosed() == .wait)
    }

    @Test func serviceClosingAtTheNextMAILFailsTheRestAsTransient() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2), Self.transaction(3)])
        _ = Self.feed(&m, "220 hi", "250 mx")
        _ = Self.deliver(&m, Self.transaction(1), queueID: "Q1")
        // 421 is not a refusal of this message but the server going away: no RSET, the session is over.
        let error = try #require(Self.error(Self.feed(&m, "421 4.7.0 too many messages in this session")))
        #expect(error.kind == .serverRejected)
        #expect(error.stage == .mailFrom)
        #expect(error.isTransient)
        #expect(Self.receipt(m.results[0]) != nil)
        #expect(Self.failure(m.results[1])?.isTransient == true)
        #expect(Self.failure(m.results[2])?.isTransient == true)
        #expect(Self.failure(m.results[2])?.reply?.code == 421)
    }

    @Test func serviceClosingAtRCPTEndsTheSessionInsteadOfCountingAsARefusedRecipient() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2)])
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK")
        let error = try #require(Self.error(Self.feed(&m, "421 4.3.2 shutting down")))
        #expect(error.kind == .serverRejected)
        #expect(error.stage == .recipients)
        #expect(m.results.allSatisfy { Self.failure($0)?.isTransient == true })
    }

    @Test func timeoutWaitingForRSETFailsTheRestButKeepsTheRefusal() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2)])
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK")
        #expect(Self.feed(&m, "550 no such user") == .sendCommand("RSET"))
        let error = try #require(Self.error(m.timedOut()))
        #expect(error.kind == .timeout)
        #expect(error.stage == .reset)
        #expect(error.isTransient)
        #expect(Self.failure(m.results[0])?.kind == .allRecipientsRejected)
        #expect(Self.failure(m.results[1])?.kind == .timeout)
    }

    @Test func refusedRSETEndsTheSession() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2)])
        _ = Self.feed(&m, "220 hi", "250 mx", "250 OK", "550 no such user")
        let error = try #require(Self.error(Self.feed(&m, "502 RSET not implemented")))
        #expect(error.stage == .reset)
        #expect(error.reply?.code == 502)
        #expect(Self.failure(m.results[0])?.kind == .allRecipientsRejected)
        #expect(Self.failure(m.results[1])?.reply?.code == 502)
    }

    @Test func sizeIsCheckedPerMessageAndAnOversizedOneIsSkippedWithoutACommand() throws {
        let small = Self.transaction(1, size: 100), large = Self.transaction(2, size: 2000), alsoLarge = Self.transaction(3, size: 3000)
        let last = Self.transaction(4, size: 900)
        var m = Self.session([small, large, alsoLarge, last])
        _ = Self.feed(&m, "220 hi")
        #expect(Self.feed(&m, "250-mx", "250 SIZE 1000") == .sendCommand("MAIL FROM:<alerts1@example.org> SIZE=100"))
        #expect(Self.deliver(&m, small, queueID: "Q1") == .sendCommand("MAIL FROM:<alerts4@example.org> SIZE=900"))
        for index in [1, 2] {
            let error = try #require(Self.failure(m.results[index]))
            #expect(error.kind == .messageTooLarge)
            #expect(error.stage == .mailFrom)
            #expect(!error.isTransient)
        }
        #expect(Self.failure(m.results[2])?.message.contains("3000") == true)
        #expect(Self.deliver(&m, last, queueID: "Q4") == .sendCommand("QUIT"))
        #expect(Self.receipt(m.results[3])?.messageID == "m4@vigil.test")
    }

    @Test func smtpUTF8IsCheckedPerMessage() throws {
        let plain = Self.transaction(1), international = Self.transaction(2, recipients: ["jörg@example.de"])
        var m = Self.session([international, plain])
        #expect(Self.feed(&m, "220 hi", "250 mx") == .sendCommand("MAIL FROM:<alerts1@example.org>"))
        #expect(Self.failure(m.results[0])?.kind == .smtpUTF8Unavailable)
    }

    @Test func authenticationFailureFailsEveryMessagePermanently() throws {
        var m = Self.session([Self.transaction(1), Self.transaction(2), Self.transaction(3)], security: .implicitTLS,
                             credentials: .init(username: "vigil", password: "nope"), tlsActive: true)
        _ = Self.feed(&m, "220 hi", "250-mx", "250 AUTH PLAIN")
        let error = try #require(Self.error(Self.feed(&m, "535 5.7.8 Authentication credentials invalid")))
        #expect(m.results.count == 3)
        for result in m.results {
            // Nothing was under way yet: every message gets the same error, not a "was not sent" one.
            #expect(Self.failure(result) == error)
        }
        #expect(!error.isTransient)
    }

    @Test func garbageDuringQUITDoesNotUndoADeliveredMessage() throws {
        var m = Self.session([Self.transaction(1)])
        _ = Self.feed(&m, "220 hi", "250 mx")
        #expect(Self.deliver(&m, Self.transaction(1), queueID: "Q1") == .sendCommand("QUIT"))
        #expect(Self.error(m.lineReceived("garbage")) != nil)
        #expect(Self.receipt(m.results[0])?.finalReply.text == "OK queued as Q1")
    }
}
