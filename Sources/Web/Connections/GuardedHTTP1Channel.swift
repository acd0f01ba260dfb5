import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 connection with Vigil's limits: `RequestBytesObserver` in front of the HTTP decoder and
/// `ConnectionGuardHandler` right after it (where the HTTP version and keep-alive of each request are still known),
/// and each connection tracked by the `ConnectionRegistry` for the connection limit.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let timeouts: ConnectionDeadlines.Timeouts
    let registry: ConnectionRegistry?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let timeouts = timeouts
        let registry = registry
        return http1.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(RequestBytesObserver(), position: .first)
            let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(ConnectionGuardHandler(timeouts: timeouts, registry: registry, logger: logger),
                                    position: .after(decoder.handler))
            registry?.track(channel)
            return value
        }.nonisolated()
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the header, idle and body timeouts and the connection limit of `limits`.
    static func guardedHTTP1(limits: ServerLimits, registry: ConnectionRegistry?) -> HTTPServerBuilder {
        let timeouts = ConnectionDeadlines.Timeouts(limits)
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder), timeouts: timeouts, registry: registry)
        }
    }
}
