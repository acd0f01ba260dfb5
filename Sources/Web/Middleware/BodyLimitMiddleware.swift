import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// Refuses request bodies larger than their route takes, before reading them: a `Content-Length` over the limit is
/// answered 413 at once, and a chunked body is cut off with 413 as soon as it passes the limit. Small forms get a
/// small limit (`ServerLimits.maxFormBody`), uploads a larger one. Without it every unauthenticated post could hold
/// 2 MB of memory (Hummingbird's default) until the CSRF check read it, and an oversized one gave a 500.
///
/// A request answered while its body still arrives is then closed by `ConnectionGuardHandler`, after a linger.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limits: ServerLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let hasBody = request.headers[.contentLength] != nil || request.headers[.transferEncoding] != nil
        guard hasBody else { return try await next(request, context) }
        let limit = limits.bodyLimit(path: request.uri.path)
        if let declared = request.headers[.contentLength].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), declared > limit {
            throw RequestBodyLimit.tooLarge(limit)
        }
        var request = request
        request.body = RequestBody(asyncSequence: LimitedRequestBody(base: request.body, limit: limit))
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            // A handler's own smaller limit (`collectBody(upTo:)`): the same answer, not a 500.
            throw RequestBodyLimit.tooLarge(limit)
        }
    }
}

/// The answer to a body over its limit.
enum RequestBodyLimit {
    static func tooLarge(_ limit: Int) -> HTTPError {
        HTTPError(.contentTooLarge, message: "The request body is larger than this address accepts (\(ByteCountText.text(limit))).")
    }
}

/// A request body that fails once more than `limit` bytes have arrived. A body cut short (the client went away, or
/// the connection's body timeout passed) fails with 400 or 408: a client that leaves is not a server error to log.
struct LimitedRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let limit: Int
        var received = 0

        mutating func next() async throws -> ByteBuffer? {
            let buffer: ByteBuffer?
            do {
                buffer = try await base.next()
            } catch is RequestBodyTimeout {
                throw HTTPError(.requestTimeout, message: "The request body did not arrive in time.")
            } catch is HTTPParserError {
                throw HTTPError(.badRequest, message: "The request body ended before its announced length, or was malformed.")
            }
            guard let buffer else { return nil }
            received += buffer.readableBytes
            if received > limit { throw RequestBodyLimit.tooLarge(limit) }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit)
    }
}

/// Byte counts as people read them: 64 KiB, 16 MiB.
enum ByteCountText {
    static func text(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
