import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Sends email over SMTP: connects, performs what `SMTPClientStateMachine` decides, and returns receipts.
public enum SMTPClient {
    /// Delivers `message` to its To and Cc recipients through the server in `configuration`.
    ///
    /// The envelope sender is `message.from`. Throws `SMTPError` (with `isTransient` telling an outbox whether to
    /// retry); a message that cannot be rendered is a permanent `SMTPError` of kind `invalidMessage`.
    public static func send(_ message: MailMessage, configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup,
                            logger: Logger = Logger(label: "vigil.smtp")) async throws(SMTPError) -> SMTPDeliveryReceipt {
        let results = await send([message], configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        guard let result = results.first else {
            throw SMTPError(.connectionClosed, stage: .connect, isTransient: true, message: "the SMTP session reported no outcome")
        }
        return try result.get()
    }

    /// Delivers `messages` in order over one SMTP session (one connection, one login), each to its To and Cc
    /// recipients, with `message.from` as the envelope sender.
    ///
    /// Returns one result per message, in the same order. A message that cannot be rendered fails alone
    /// (permanent, `invalidMessage`), as does one the server refuses at MAIL, RCPT or DATA; the others are still
    /// sent. When the session itself fails (connection, timeout, 421, TLS, authentication) every message not yet
    /// accepted fails with that error, transient or permanent as for a single message; messages accepted before
    /// keep their receipts, so an outbox retries only the rest.
    public static func send(_ messages: [MailMessage], configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup,
                            logger: Logger = Logger(label: "vigil.smtp")) async -> [Result<SMTPDeliveryReceipt, SMTPError>] {
        var results = [Result<SMTPDeliveryReceipt, SMTPError>?](repeating: nil, count: messages.count)
        var transactions: [SMTPClientStateMachine.Transaction] = []
        var positions: [Int] = []
        for (index, message) in messages.enumerated() {
            do {
                let bytes = try message.render()
                transactions.append(.init(sender: message.from.address, recipients: message.recipients,
                                          messageID: message.messageID, message: bytes))
                positions.append(index)
            } catch {
                results[index] = .failure(SMTPError(.invalidMessage, stage: .connect, isTransient: false,
                                                    message: "the message cannot be rendered: \(error.message)"))
            }
        }
        if !transactions.isEmpty {
            let sessionResults = await session(transactions, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
            for (position, result) in zip(positions, sessionResults) { results[position] = result }
        }
        return results.map {
            $0 ?? .failure(SMTPError(.connectionClosed, stage: .connect, isTransient: true, message: "the SMTP session reported no outcome for this message"))
        }
    }

    /// One connection for `transactions`: one result per transaction, in order.
    private static func session(_ transactions: [SMTPClientStateMachine.Transaction], configuration: SMTPConfiguration,
                                eventLoopGroup: any EventLoopGroup, logger: Logger) async -> [Result<SMTPDeliveryReceipt, SMTPError>] {
        func failAll(_ error: SMTPError) -> [Result<SMTPDeliveryReceipt, SMTPError>] {
            Array(repeating: .failure(error), count: transactions.count)
        }
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = configuration.security == .plaintext ? nil : try makeTLSContext(configuration)
        } catch {
            return failAll(SMTPError(.tlsFailed, stage: .connect, isTransient: false,
                                     message: "the TLS settings cannot be used (trust roots \(configuration.tlsTrustRootsFile ?? "system")): \(error)"))
        }
        let machine = SMTPClientStateMachine(
            security: configuration.security, credentials: configuration.credentials, clientName: configuration.clientName,
            transactions: transactions, tlsActive: configuration.security == .implicitTLS)
        let eventLoop = eventLoopGroup.next()
        let promise = eventLoop.makePromise(of: [Result<SMTPDeliveryReceipt, SMTPError>].self)
        let timeout = TimeAmount.nanoseconds(Int64(configuration.timeout.components.seconds) * 1_000_000_000
            + configuration.timeout.components.attoseconds / 1_000_000_000)
        let host = configuration.host
        let sniName = isIPAddress(host) ? nil : host
        let implicitTLS = configuration.security == .implicitTLS

        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS, let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: sniName))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPChannelHandler(
                        machine: machine, promise: promise, stageTimeout: timeout, tlsContext: tlsContext,
                        serverHostname: sniName, logger: logger))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: configuration.port).get()
        } catch {
            promise.fail(error)
            return failAll(SMTPError(.connectionFailed, stage: .connect, isTransient: true,
                                     message: "could not connect to \(host):\(configuration.port): \(describe(error))"))
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            channel.close(promise: nil)
            return failAll(SMTPError(.connectionClosed, stage: .connect, isTransient: true, message: "the connection failed: \(describe(error))"))
        }
    }

    private static func makeTLSContext(_ configuration: SMTPConfiguration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.tlsTrustRootsFile {
            tls.trustRoots = .file(file)
        }
        switch configuration.certificateVerification {
        case .full: tls.certificateVerification = .fullVerification
        case .noHostnameVerification: tls.certificateVerification = .noHostnameVerification
        case .none: tls.certificateVerification = .none
        }
        return try NIOSSLContext(configuration: tls)
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return error.description }
        if let error = error as? ChannelError { return "\(error)" }
        return String(describing: error)
    }
}

/// The thin channel handler: splits input into lines, feeds the state machine, performs its actions and runs the
/// per-stage timer. All of it runs on the channel's event loop.
final class SMTPChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Longer reply lines are not SMTP (RFC 5321 allows 512 octets); stop reading rather than buffer forever.
    private static let maximumLineLength = 4096

    private var machine: SMTPClientStateMachine
    private let promise: EventLoopPromise<[Result<SMTPDeliveryReceipt, SMTPError>]>
    private let stageTimeout: TimeAmount
    private let tlsContext: NIOSSLContext?
    private let serverHostname: String?
    private let logger: Logger
    private var buffer: [UInt8] = []
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(machine: SMTPClientStateMachine, promise: EventLoopPromise<[Result<SMTPDeliveryReceipt, SMTPError>]>, stageTimeout: TimeAmount,
         tlsContext: NIOSSLContext?, serverHostname: String?, logger: Logger) {
        self.machine = machine
        self.promise = promise
        self.stageTimeout = stageTimeout
        self.tlsContext = tlsContext
        self.serverHostname = serverHostname
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(machine.connected(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        buffer += input.readBytes(length: input.readableBytes) ?? []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            buffer.removeSubrange(...newline)
            let text = String(decoding: line, as: UTF8.self)
            logger.trace("S: \(text)")
            let action = machine.lineReceived(text)
            if case .startTLS = action, !buffer.isEmpty {
                // Bytes after "220 ready to start TLS" but before the handshake were not protected: refuse them.
                perform(machine.malformedInput("the server sent data after its STARTTLS reply, before the handshake"), context: context)
                return
            }
            perform(action, context: context)
            if machine.isFinished { return }
        }
        if buffer.count > Self.maximumLineLength {
            perform(machine.malformedInput("a reply line longer than \(Self.maximumLineLength) bytes"), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            perform(machine.tlsEstablished(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.connectionClosed(), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            perform(machine.tlsFailed(SMTPClient.describe(error)), context: context)
        } else {
            perform(machine.connectionClosed(), context: context)
        }
        context.close(promise: nil)
    }

    private func perform(_ action: SMTPClientStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .wait:
            if machine.isFinished { return }
        case .sendCommand(let command):
            logger.trace("C: \(command.hasPrefix("AUTH") || machine.stage == .authentication ? "(authentication)" : command)")
            write(Array((command + "\r\n").utf8), context: context)
        case .sendMessageData(let bytes):
            write(bytes, context: context)
        case .startTLS:
            guard let tlsContext else {
                perform(machine.tlsFailed("no TLS context"), context: context)
                return
            }
            do {
                let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
                try context.pipeline.syncOperations.addHandler(handler, position: .first)
            } catch {
                perform(machine.tlsFailed(SMTPClient.describe(error)), context: context)
                return
            }
        case .succeed, .fail:
            timer?.cancel()
            let results = machine.results.map {
                $0 ?? .failure(SMTPError(.connectionClosed, stage: machine.stage, isTransient: true,
                                         message: "the SMTP session ended without an outcome for this message"))
            }
            let failures = results.compactMap { if case .failure(let error) = $0 { error } else { nil } }
            if let first = failures.first {
                logger.debug("SMTP delivery failed", metadata: ["failed": "\(failures.count) of \(results.count)", "first": "\(first)"])
            }
            promise.succeed(results)
            context.close(promise: nil)
            return
        }
        restartTimer(context: context)
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        var out = context.channel.allocator.buffer(capacity: bytes.count)
        out.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    private func restartTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: stageTimeout) {
            let handler = loopBound.value
            guard let context = handler.context else { return }
            handler.perform(handler.machine.timedOut(), context: context)
        }
    }
}
