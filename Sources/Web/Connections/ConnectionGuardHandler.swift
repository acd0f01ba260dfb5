import Logging
import NIOCore
import NIOHTTP1

/// Bytes of a request arrived (sent by `RequestBytesObserver` ahead of the HTTP decoder, which says nothing until a
/// whole request head is in).
struct RequestBytesArrived: Sendable {}

/// First in a connection's pipeline: tells `ConnectionGuardHandler` that the client is sending, so a kept-alive
/// connection's idle timeout gives way to the header timeout as soon as the next request starts.
final class RequestBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(RequestBytesArrived())
        context.fireChannelRead(data)
    }
}

/// The read timeout of the request body passed; the request fails with this instead of seeing a truncated body.
struct RequestBodyTimeout: Error, Sendable {}

/// Between NIO's HTTP/1 decoder and Hummingbird: applies the header, idle and body timeouts of `ConnectionDeadlines`,
/// closes connections that must not be kept (HTTP/1.0 without keep-alive, `Connection: close`, a request answered
/// while its body still arrives), answers HTTP/1.0 requests as HTTP/1.0, and tells the `ConnectionRegistry` when the
/// connection is idle (and may make room for another).
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var deadlines: ConnectionDeadlines
    private let registry: ConnectionRegistry?
    private let logger: Logger
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var wasIdle = true
    private var closing = false

    init(timeouts: ConnectionDeadlines.Timeouts, registry: ConnectionRegistry?, logger: Logger) {
        deadlines = ConnectionDeadlines(timeouts: timeouts, now: .now())
        self.registry = registry
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armTimer(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        registry?.closed(context.channel)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is RequestBytesArrived:
            deadlines.bytesReceived(now: .now())
            changed(context: context)
        case ChannelEvent.inputClosed where deadlines.waiting == .linger:
            close(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadlines.waiting == .linger {
            // Answered already: what the client still sends is discarded; its end closes the connection.
            if case .end = unwrapInboundIn(data), deadlines.endReceived() { close(context: context) }
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            deadlines.headReceived(now: .now(), isHTTP10: head.version.major == 1 && head.version.minor == 0, keepAlive: head.isKeepAlive)
        case .body:
            break
        case .end:
            _ = deadlines.endReceived()
        }
        changed(context: context)
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if deadlines.waiting == .linger {
            // Hummingbird reads no more once it has answered; keep draining until the client is done or the linger ends.
            context.read()
            return
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            let saysClose = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            let answer = deadlines.responseHeadWritten(responseSaysClose: saysClose, hasContentLength: head.headers.contains(name: "content-length"))
            if answer.answerWithHTTP10 { head.version = .http1_0 }
            if answer.close {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            } else if answer.answerWithHTTP10 {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let after = deadlines.responseEndWritten(now: .now())
            switch after {
            case .keepOpen:
                context.write(data, promise: promise)
                changed(context: context)
            case .close, .lingerThenClose:
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { result in
                    promise?.completeWith(result)
                    if after == .close {
                        self.close(context: context)
                    } else {
                        context.close(mode: .output, promise: nil)
                        context.read()
                    }
                }
                changed(context: context)
            }
        }
    }

    /// After every event: the timer follows the deadline, and the registry learns whether the connection is idle.
    private func changed(context: ChannelHandlerContext) {
        armTimer(context: context)
        let idle = deadlines.isIdle
        if idle != wasIdle {
            wasIdle = idle
            if let registry, registry.setIdle(context.channel, idle) {
                logger.debug("closing an idle connection to make room at the connection limit")
                close(context: context)
            }
        }
    }

    /// One timer per connection: it is moved only when the deadline comes earlier; when it fires early it re-arms.
    private func armTimer(context: ChannelHandlerContext) {
        guard let deadline = deadlines.deadline, !closing else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        schedule(at: deadline, context: context)
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.timerDeadline = nil
            switch self.deadlines.timerFired(now: .now()) {
            case .none:
                break
            case .reschedule(let next):
                self.schedule(at: next, context: context)
            case .close(let waiting):
                self.logger.debug("closing connection: \(waiting.timeoutReason)")
                if waiting == .requestBody {
                    // Hummingbird would otherwise take the closed stream for the end of the body and handle a truncated request.
                    context.fireErrorCaught(RequestBodyTimeout())
                }
                self.close(context: context)
            }
        }
    }

    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        timer?.cancel()
        timer = nil
        context.close(promise: nil)
    }
}
