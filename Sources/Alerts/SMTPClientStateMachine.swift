import Foundation

/// The stage of an SMTP conversation, named in errors and used to pick what a timeout means.
public enum SMTPStage: String, Sendable, Hashable {
    case connect, greeting, ehlo, helo, startTLS, tlsHandshake, authentication, mailFrom, recipients, data, messageTransfer
    /// RSET after a refused transaction, before the next message on the same connection.
    case reset
    case quit
}

/// One complete server reply: a code and the text of every line (continuations joined with newlines).
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var text: String { lines.joined(separator: "\n") }
    public var description: String { "\(code) \(lines.joined(separator: " / "))" }
}

/// What a successful delivery returns: who the server took the message for, who it refused, and its final reply
/// (which usually names the server's queue id).
public struct SMTPDeliveryReceipt: Sendable, Hashable {
    /// A recipient the server refused at RCPT while others were accepted.
    public struct RejectedRecipient: Sendable, Hashable {
        public var address: String
        public var reply: SMTPReply
        /// 4xx: trying this recipient again later may work.
        public var isTransient: Bool { reply.code / 100 == 4 }
    }

    public var messageID: String
    public var acceptedRecipients: [String]
    public var rejectedRecipients: [RejectedRecipient]
    /// The reply to the end of the message data, e.g. `250 OK queued as 4F2A1`.
    public var finalReply: SMTPReply
}

/// A delivery failed: at which stage, what the server said, and whether trying again later can help.
public struct SMTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for code that reacts to it.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Code: String, Sendable, Hashable {
            case connectionFailed, connectionClosed, timeout, serverRejected, malformedReply, startTLSUnavailable,
                 tlsFailed, authenticationUnavailable, authenticationRequiresTLS, authenticationFailed,
                 messageTooLarge, smtpUTF8Unavailable, allRecipientsRejected, invalidMessage
        }
        fileprivate let code: Code
        /// The TCP connection could not be made.
        public static let connectionFailed = Kind(code: .connectionFailed)
        /// The server closed the connection before the message was accepted.
        public static let connectionClosed = Kind(code: .connectionClosed)
        /// A stage took longer than the configured limit.
        public static let timeout = Kind(code: .timeout)
        /// The server answered a command with a 4xx or 5xx reply.
        public static let serverRejected = Kind(code: .serverRejected)
        /// The server sent something that is not an SMTP reply.
        public static let malformedReply = Kind(code: .malformedReply)
        /// STARTTLS is required but the server does not offer it.
        public static let startTLSUnavailable = Kind(code: .startTLSUnavailable)
        /// The TLS handshake failed (certificate not trusted, wrong host name, protocol error).
        public static let tlsFailed = Kind(code: .tlsFailed)
        /// Credentials are configured but the server offers neither AUTH PLAIN nor LOGIN.
        public static let authenticationUnavailable = Kind(code: .authenticationUnavailable)
        /// Credentials are configured but the connection is not encrypted; they are never sent in clear text.
        public static let authenticationRequiresTLS = Kind(code: .authenticationRequiresTLS)
        /// The server refused the user name or password.
        public static let authenticationFailed = Kind(code: .authenticationFailed)
        /// The message is larger than the server's announced SIZE limit.
        public static let messageTooLarge = Kind(code: .messageTooLarge)
        /// An address is not ASCII and the server does not offer SMTPUTF8.
        public static let smtpUTF8Unavailable = Kind(code: .smtpUTF8Unavailable)
        /// No recipient was accepted.
        public static let allRecipientsRejected = Kind(code: .allRecipientsRejected)
        /// The message could not be rendered.
        public static let invalidMessage = Kind(code: .invalidMessage)

        public var description: String { code.rawValue }
    }

    public let kind: Kind
    public let stage: SMTPStage
    /// The server's reply that caused the failure, when there was one.
    public let reply: SMTPReply?
    /// True for 4xx replies, timeouts and lost or refused connections: an outbox should retry later.
    /// False for 5xx replies and local problems that will not go away by themselves: give up and report.
    public let isTransient: Bool
    /// A sentence a person can act on.
    public let message: String

    init(_ kind: Kind, stage: SMTPStage, reply: SMTPReply? = nil, isTransient: Bool, message: String) {
        self.kind = kind
        self.stage = stage
        self.reply = reply
        self.isTransient = isTransient
        self.message = message
    }

    public var description: String {
        "SMTP \(isTransient ? "transient" : "permanent") failure at \(stage.rawValue): \(message)"
            + (reply.map { " (server said: \($0))" } ?? "")
    }
}

/// The SMTP client protocol (RFC 5321, 3207, 4954, 1870, 6152, 6531) as a state machine: events in, actions out.
/// It owns no sockets and no clocks; `SMTPClient`'s channel handler feeds it and performs what it returns.
///
/// One session carries a queue of messages: after a message's final reply the next one's MAIL FROM follows on the
/// same connection, and after a refusal that concerns only one transaction (its sender, every recipient, DATA) an
/// RSET clears it first. Each message's outcome is recorded in `results`; a failure of the session itself (lost
/// connection, timeout, 421, TLS, authentication, a reply that is not SMTP) fails every message still without one.
public struct SMTPClientStateMachine: Sendable {
    /// One message of the queue: one mail transaction (RFC 5321 §3.3).
    public struct Transaction: Sendable, Hashable {
        /// The envelope sender (MAIL FROM).
        public var sender: String
        /// The envelope recipients (RCPT TO), tried one by one.
        public var recipients: [String]
        /// Copied into the receipt, so a caller can match outcomes to messages.
        public var messageID: String
        /// The rendered message (`MailMessage.render()`), not yet dot-stuffed.
        public var message: [UInt8]

        public init(sender: String, recipients: [String], messageID: String, message: [UInt8]) {
            self.sender = sender
            self.recipients = recipients
            self.messageID = messageID
            self.message = message
        }
    }

    /// What the handler must do next.
    public enum Action: Sendable, Hashable {
        /// Write this command followed by CRLF. AUTH lines carry credentials: never log them.
        case sendCommand(String)
        /// Put TLS in front of the connection; report `tlsEstablished()` when the handshake completes.
        case startTLS
        /// Write these bytes (the message, dot-stuffed and terminated by `CRLF . CRLF`).
        case sendMessageData([UInt8])
        /// Nothing to do; wait for more input.
        case wait
        /// The session is over and the last message was delivered: close the connection and report `results`
        /// (for a queue of one, this receipt).
        case succeed(SMTPDeliveryReceipt)
        /// The session is over and the last message, or the session itself, failed: close the connection and report
        /// `results` (for a queue of one, this error).
        case fail(SMTPError)
    }

    /// What the server announced in its EHLO reply.
    public struct Capabilities: Sendable, Hashable {
        public var startTLS = false
        public var authPlain = false
        public var authLogin = false
        /// The SIZE limit; `0` means offered without a limit, `nil` not offered.
        public var maximumSize: Int?
        public var eightBitMIME = false
        public var smtpUTF8 = false

        public init() {}

        /// Parses the lines after the greeting line of a 250 EHLO reply.
        public init(ehloLines: some Sequence<String>) {
            for line in ehloLines {
                let words = line.split(separator: " ").map { $0.uppercased() }
                guard let keyword = words.first else { continue }
                switch keyword {
                case "STARTTLS": startTLS = true
                case "8BITMIME": eightBitMIME = true
                case "SMTPUTF8": smtpUTF8 = true
                case "SIZE": maximumSize = words.count > 1 ? Int(words[1]) ?? 0 : 0
                case "AUTH", "AUTH=LOGIN", "AUTH=PLAIN":
                    let mechanisms = keyword == "AUTH" ? words.dropFirst() : [String(keyword.dropFirst(5))][...]
                    if mechanisms.contains("PLAIN") { authPlain = true }
                    if mechanisms.contains("LOGIN") { authLogin = true }
                default: break
                }
            }
        }
    }

    private enum State: Sendable {
        case awaitingGreeting
        case awaitingEHLO
        case awaitingHELO
        case awaitingStartTLSReply
        case handshakingTLS
        case awaitingAuthPlain
        case awaitingLoginUsernamePrompt
        case awaitingLoginPasswordPrompt
        case awaitingLoginResult
        case awaitingMailFrom
        case awaitingRecipient(index: Int)
        case awaitingDataReply
        case awaitingMessageReply
        case awaitingResetReply
        case awaitingQuitReply(SMTPDeliveryReceipt)
        case finished
    }

    private var state: State = .awaitingGreeting
    private var pendingLines: [String] = []
    private var pendingCode: Int?
    private var capabilities = Capabilities()
    private var isTLSActive: Bool
    private var accepted: [String] = []
    private var rejected: [SMTPDeliveryReceipt.RejectedRecipient] = []

    private let security: SMTPConfiguration.Security
    private let credentials: SMTPConfiguration.Credentials?
    private let clientName: String
    private let transactions: [Transaction]
    /// The message whose transaction is under way (or next, before the first MAIL FROM).
    private var current = 0
    private var outcomes: [Result<SMTPDeliveryReceipt, SMTPError>?]

    /// A session that delivers `transactions` in order over one connection.
    /// - Parameters:
    ///   - transactions: at least one message.
    ///   - tlsActive: true when the connection is TLS from the start (implicit TLS).
    public init(security: SMTPConfiguration.Security, credentials: SMTPConfiguration.Credentials?, clientName: String,
                transactions: [Transaction], tlsActive: Bool) {
        precondition(!transactions.isEmpty, "an SMTP session needs at least one message")
        self.security = security
        self.credentials = credentials
        self.clientName = clientName
        self.transactions = transactions
        self.outcomes = Array(repeating: nil, count: transactions.count)
        self.isTLSActive = tlsActive
    }

    /// A session that delivers one message.
    /// - Parameters:
    ///   - message: the rendered message (`MailMessage.render()`), not yet dot-stuffed.
    ///   - tlsActive: true when the connection is TLS from the start (implicit TLS).
    public init(security: SMTPConfiguration.Security, credentials: SMTPConfiguration.Credentials?, clientName: String,
                sender: String, recipients: [String], messageID: String, message: [UInt8], tlsActive: Bool) {
        self.init(security: security, credentials: credentials, clientName: clientName,
                  transactions: [Transaction(sender: sender, recipients: recipients, messageID: messageID, message: message)],
                  tlsActive: tlsActive)
    }

    /// The stage the conversation is in: what a timeout now would interrupt.
    public var stage: SMTPStage {
        switch state {
        case .awaitingGreeting: .greeting
        case .awaitingEHLO: .ehlo
        case .awaitingHELO: .helo
        case .awaitingStartTLSReply: .startTLS
        case .handshakingTLS: .tlsHandshake
        case .awaitingAuthPlain, .awaitingLoginUsernamePrompt, .awaitingLoginPasswordPrompt, .awaitingLoginResult: .authentication
        case .awaitingMailFrom: .mailFrom
        case .awaitingRecipient: .recipients
        case .awaitingDataReply: .data
        case .awaitingMessageReply: .messageTransfer
        case .awaitingResetReply: .reset
        case .awaitingQuitReply, .finished: .quit
        }
    }

    /// True once the machine has returned `succeed` or `fail`.
    public var isFinished: Bool { if case .finished = state { true } else { false } }

    /// One outcome per queued message, in queue order; `nil` while a message has none yet. Complete once
    /// `isFinished`. A delivered message keeps its receipt even when the session fails later.
    public var results: [Result<SMTPDeliveryReceipt, SMTPError>?] { outcomes }

    /// The server's capabilities from the latest EHLO.
    public var serverCapabilities: Capabilities { capabilities }

    // MARK: Events

    /// The TCP connection (and TLS, for implicit TLS) is up: wait for the greeting.
    public mutating func connected() -> Action { .wait }

    /// One line from the server, without its CRLF.
    public mutating func lineReceived(_ line: String) -> Action {
        guard !isFinished else { return .wait }
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code),
              bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-") else {
            return fail(.malformedReply, reply: nil, transient: false, "the server sent \"\(line.prefix(80))\", which is not an SMTP reply")
        }
        if let pendingCode, pendingCode != code {
            return fail(.malformedReply, reply: nil, transient: false, "a multi-line reply changed its code from \(pendingCode) to \(code)")
        }
        pendingLines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        if bytes.count > 3, bytes[3] == UInt8(ascii: "-") {
            pendingCode = code
            return .wait
        }
        let reply = SMTPReply(code: code, lines: pendingLines)
        pendingLines = []
        pendingCode = nil
        return replyReceived(reply)
    }

    /// The TLS handshake after STARTTLS completed: greet again, as RFC 3207 requires.
    public mutating func tlsEstablished() -> Action {
        guard case .handshakingTLS = state else { return .wait }
        isTLSActive = true
        capabilities = Capabilities()
        state = .awaitingEHLO
        return .sendCommand("EHLO \(clientName)")
    }

    /// TLS failed (handshake or certificate).
    public mutating func tlsFailed(_ reason: String) -> Action {
        guard !isFinished else { return .wait }
        return fail(.tlsFailed, reply: nil, transient: false, "TLS with the server failed: \(reason)")
    }

    /// The server sent something no SMTP server sends (an endless line, data before a TLS handshake).
    public mutating func malformedInput(_ reason: String) -> Action {
        guard !isFinished else { return .wait }
        return fail(.malformedReply, reply: nil, transient: false, reason)
    }

    /// The current stage ran out of time.
    public mutating func timedOut() -> Action {
        switch state {
        case .finished: return .wait
        case .awaitingQuitReply(let receipt):
            // The message is already accepted; a slow QUIT does not undo that.
            state = .finished
            return .succeed(receipt)
        default:
            return fail(.timeout, reply: nil, transient: true, "the server did not answer in time during \(stage.rawValue)")
        }
    }

    /// The connection closed (by the server or the network).
    public mutating func connectionClosed() -> Action {
        switch state {
        case .finished: return .wait
        case .awaitingQuitReply(let receipt):
            state = .finished
            return .succeed(receipt)
        default:
            return fail(.connectionClosed, reply: nil, transient: true, "the server closed the connection during \(stage.rawValue)")
        }
    }

    // MARK: Replies

    private mutating func replyReceived(_ reply: SMTPReply) -> Action {
        switch state {
        case .awaitingGreeting:
            guard reply.code == 220 else { return rejectedReply(reply, "the server refused the connection") }
            state = .awaitingEHLO
            return .sendCommand("EHLO \(clientName)")

        case .awaitingEHLO:
            if reply.code == 250 {
                capabilities = Capabilities(ehloLines: reply.lines.dropFirst())
                return afterGreeting()
            }
            // RFC 5321 §3.2: an old server that does not know EHLO answers 5xx; HELO still works, but it cannot
            // offer STARTTLS, so not when encryption is required or the connection was already upgraded.
            if reply.code / 100 == 5, !isTLSActive, security != .startTLSRequired {
                state = .awaitingHELO
                return .sendCommand("HELO \(clientName)")
            }
            return rejectedReply(reply, "the server refused EHLO")

        case .awaitingHELO:
            guard reply.code == 250 else { return rejectedReply(reply, "the server refused HELO") }
            capabilities = Capabilities()
            return afterGreeting()

        case .awaitingStartTLSReply:
            guard reply.code == 220 else {
                if security == .startTLSOpportunistic, reply.code / 100 == 4 || reply.code / 100 == 5 {
                    return authenticateOrSend()
                }
                return rejectedReply(reply, "the server refused STARTTLS")
            }
            state = .handshakingTLS
            return .startTLS

        case .handshakingTLS:
            // Anything before the handshake could be injected by an attacker (CVE-2011-0411); refuse it.
            return fail(.malformedReply, reply: reply, transient: false, "the server sent a reply before the TLS handshake")

        case .awaitingAuthPlain, .awaitingLoginResult:
            if reply.code == 235 { return mailFrom() }
            if reply.code == 334 { return fail(.malformedReply, reply: reply, transient: false, "the server asked for more than one AUTH step") }
            return authenticationRejected(reply)

        case .awaitingLoginUsernamePrompt:
            guard reply.code == 334, let credentials else { return authenticationRejected(reply) }
            state = .awaitingLoginPasswordPrompt
            return .sendCommand(Data(credentials.username.utf8).base64EncodedString())

        case .awaitingLoginPasswordPrompt:
            guard reply.code == 334, let credentials else { return authenticationRejected(reply) }
            state = .awaitingLoginResult
            return .sendCommand(Data(credentials.password.utf8).base64EncodedString())

        case .awaitingMailFrom:
            guard reply.code == 250 else {
                return refusedTransaction(reply, "the server refused the sender <\(transactions[current].sender)>", needsReset: true)
            }
            return nextRecipient(0)

        case .awaitingRecipient(let index):
            let recipient = transactions[current].recipients[index]
            if reply.code == 250 || reply.code == 251 {
                accepted.append(recipient)
            } else if reply.code == 421 {
                return rejectedReply(reply, "the server is closing the session")
            } else if reply.code / 100 == 4 || reply.code / 100 == 5 {
                rejected.append(.init(address: recipient, reply: reply))
            } else {
                return unexpected(reply)
            }
            return nextRecipient(index + 1)

        case .awaitingDataReply:
            guard reply.code == 354 else { return refusedTransaction(reply, "the server refused DATA", needsReset: true) }
            state = .awaitingMessageReply
            return .sendMessageData(Self.dataBlock(transactions[current].message))

        case .awaitingMessageReply:
            // The reply to the end of the data ends the transaction either way (RFC 5321 §4.1.1.4): no RSET needed.
            guard reply.code == 250 else { return refusedTransaction(reply, "the server refused the message", needsReset: false) }
            let receipt = SMTPDeliveryReceipt(messageID: transactions[current].messageID, acceptedRecipients: accepted,
                                              rejectedRecipients: rejected, finalReply: reply)
            outcomes[current] = .success(receipt)
            guard current + 1 < transactions.count else {
                state = .awaitingQuitReply(receipt)
                return .sendCommand("QUIT")
            }
            current += 1
            return mailFrom()

        case .awaitingResetReply:
            guard reply.code == 250 else { return rejectedReply(reply, "the server refused RSET") }
            current += 1
            return mailFrom()

        case .awaitingQuitReply(let receipt):
            state = .finished
            return .succeed(receipt)

        case .finished:
            return .wait
        }
    }

    private mutating func afterGreeting() -> Action {
        if !isTLSActive {
            switch security {
            case .startTLSRequired:
                guard capabilities.startTLS else {
                    return fail(.startTLSUnavailable, reply: nil, transient: false,
                                "STARTTLS is required (starttls=required) but the server does not offer it")
                }
                state = .awaitingStartTLSReply
                return .sendCommand("STARTTLS")
            case .startTLSOpportunistic where capabilities.startTLS:
                state = .awaitingStartTLSReply
                return .sendCommand("STARTTLS")
            default:
                break
            }
        }
        return authenticateOrSend()
    }

    private mutating func authenticateOrSend() -> Action {
        guard let credentials else { return mailFrom() }
        guard isTLSActive else {
            return fail(.authenticationRequiresTLS, reply: nil, transient: false,
                        "a user name and password are configured but the connection is not encrypted; use smtps:// or starttls=required")
        }
        if capabilities.authPlain {
            state = .awaitingAuthPlain
            let token = Data(([0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8)) as [UInt8])
            return .sendCommand("AUTH PLAIN \(token.base64EncodedString())")
        }
        if capabilities.authLogin {
            state = .awaitingLoginUsernamePrompt
            return .sendCommand("AUTH LOGIN")
        }
        return fail(.authenticationUnavailable, reply: nil, transient: false,
                    "a user name and password are configured but the server offers neither AUTH PLAIN nor AUTH LOGIN")
    }

    /// Starts the transaction of message `current`. A message the server cannot take (larger than its SIZE, or
    /// needing SMTPUTF8 it lacks) fails alone before any command is sent, and the next one is tried.
    private mutating func mailFrom() -> Action {
        while true {
            let transaction = transactions[current]
            let message = transaction.message
            let needsUTF8 = ([transaction.sender] + transaction.recipients).contains { !$0.unicodeScalars.allSatisfy(\.isASCII) }
            if let limit = capabilities.maximumSize, limit > 0, message.count > limit {
                if let action = failTransaction(.messageTooLarge, stage: .mailFrom, reply: nil, transient: false,
                                                "the message has \(message.count) bytes but the server accepts at most \(limit)",
                                                needsReset: false) {
                    return action
                }
                continue
            }
            if needsUTF8, !capabilities.smtpUTF8 {
                if let action = failTransaction(.smtpUTF8Unavailable, stage: .mailFrom, reply: nil, transient: false,
                                                "an address is not ASCII and the server does not offer SMTPUTF8",
                                                needsReset: false) {
                    return action
                }
                continue
            }
            var command = "MAIL FROM:<\(transaction.sender)>"
            if capabilities.maximumSize != nil { command += " SIZE=\(message.count)" }
            if capabilities.eightBitMIME { command += " BODY=8BITMIME" }
            if needsUTF8 { command += " SMTPUTF8" }
            accepted = []
            rejected = []
            state = .awaitingMailFrom
            return .sendCommand(command)
        }
    }

    /// Recipients are tried one by one. A refused recipient does not stop the others: the message goes to those
    /// accepted and the receipt lists the refused ones (with the reply, so an outbox can retry a 4xx one alone under
    /// the same Message-ID). Only when no recipient is accepted does the message fail — transient if any refusal was 4xx.
    private mutating func nextRecipient(_ index: Int) -> Action {
        let recipients = transactions[current].recipients
        if index < recipients.count {
            state = .awaitingRecipient(index: index)
            return .sendCommand("RCPT TO:<\(recipients[index])>")
        }
        guard !accepted.isEmpty else {
            let transient = rejected.contains(where: \.isTransient)
            let list = rejected.map { "\($0.address) (\($0.reply.code))" }.joined(separator: ", ")
            return failTransaction(.allRecipientsRejected, stage: stage, reply: rejected.last?.reply, transient: transient,
                                   "the server accepted none of the recipients: \(list)", needsReset: true)
                ?? mailFrom()
        }
        state = .awaitingDataReply
        return .sendCommand("DATA")
    }

    private mutating func authenticationRejected(_ reply: SMTPReply) -> Action {
        if reply.code == 535 || reply.code == 534 || reply.code == 530 {
            return fail(.authenticationFailed, reply: reply, transient: false, "the server refused the user name or password")
        }
        return rejectedReply(reply, "the server refused authentication")
    }

    /// A 4xx or 5xx to MAIL, DATA or the message data concerns this message only, except 421: the server is
    /// closing the session, which ends it for every message.
    private mutating func refusedTransaction(_ reply: SMTPReply, _ what: String, needsReset: Bool) -> Action {
        switch reply.code / 100 {
        case 4 where reply.code != 421:
            return failTransaction(.serverRejected, stage: stage, reply: reply, transient: true,
                                   what + " for now (4xx: try again later)", needsReset: needsReset) ?? mailFrom()
        case 5:
            return failTransaction(.serverRejected, stage: stage, reply: reply, transient: false,
                                   what + " (5xx: permanent)", needsReset: needsReset) ?? mailFrom()
        default:
            return rejectedReply(reply, what)
        }
    }

    /// A refusal of the session (any stage before MAIL FROM, or 421): ends it.
    private mutating func rejectedReply(_ reply: SMTPReply, _ what: String) -> Action {
        switch reply.code / 100 {
        case 4: return fail(.serverRejected, reply: reply, transient: true, what + " for now (4xx: try again later)")
        case 5: return fail(.serverRejected, reply: reply, transient: false, what + " (5xx: permanent)")
        default: return unexpected(reply)
        }
    }

    private mutating func unexpected(_ reply: SMTPReply) -> Action {
        fail(.malformedReply, reply: reply, transient: false, "the server sent the unexpected reply \(reply.code) during \(stage.rawValue)")
    }

    /// Records the failure of message `current` alone. The last message ends the session (closing it without QUIT,
    /// as a single delivery always did); otherwise RSET clears an open transaction, or, with `nil`, the caller
    /// moves on to the next message (`current` is already advanced).
    private mutating func failTransaction(_ kind: SMTPError.Kind, stage: SMTPStage, reply: SMTPReply?, transient: Bool,
                                          _ message: String, needsReset: Bool) -> Action? {
        let error = SMTPError(kind, stage: stage, reply: reply, isTransient: transient, message: message)
        outcomes[current] = .failure(error)
        guard current + 1 < transactions.count else {
            state = .finished
            return .fail(error)
        }
        if needsReset {
            state = .awaitingResetReply
            return .sendCommand("RSET")
        }
        current += 1
        return nil
    }

    /// The session failed: every message without an outcome fails with this error. Those queued behind the
    /// message under way were never offered to the server; their error says so.
    private mutating func fail(_ kind: SMTPError.Kind, reply: SMTPReply?, transient: Bool, _ message: String) -> Action {
        let stage = self.stage
        let error = SMTPError(kind, stage: stage, reply: reply, isTransient: transient, message: message)
        let queued = SMTPError(kind, stage: stage, reply: reply, isTransient: transient,
                               message: "the message was not sent because the session ended before its turn: " + message)
        // Before the first MAIL FROM every message is equally affected; afterwards only the one under way is.
        let sessionStarted = current > 0 || outcomes[current] != nil || [.mailFrom, .recipients, .data, .messageTransfer].contains(stage)
        for index in outcomes.indices where outcomes[index] == nil {
            outcomes[index] = .failure(sessionStarted && index > current ? queued : error)
        }
        state = .finished
        return .fail(error)
    }

    /// The DATA payload: line ends made CRLF, lines starting with "." get another "." (RFC 5321 §4.5.2), and the
    /// terminating `CRLF . CRLF`.
    public static func dataBlock(_ message: [UInt8]) -> [UInt8] {
        let lines = MailEncoding.splitLines(message)
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 64)
        for line in lines {
            if line.first == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out += line
            out += [0x0D, 0x0A]
        }
        out += [UInt8(ascii: "."), 0x0D, 0x0A]
        return out
    }
}
