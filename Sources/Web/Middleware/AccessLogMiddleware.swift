import Hummingbird
import Logging

/// One line per request at debug level (`vigil serve --log-level debug`): method, path without the query string (which
/// may hold tokens), status and duration, on the request's logger, so it carries the request ID. Debug, not info: a
/// reverse proxy in front usually keeps the access log, and a busy server should not pay for it twice.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.logger.logLevel <= .debug else { return try await next(request, context) }
        let started = ContinuousClock.now
        let logger = context.logger
        do {
            let response = try await next(request, context)
            log(logger, request, status: response.status.code, started: started)
            return response
        } catch let error as any HTTPResponseError {
            log(logger, request, status: error.status.code, started: started)
            throw error
        } catch {
            log(logger, request, status: 500, started: started)
            throw error
        }
    }

    func log(_ logger: Logger, _ request: Request, status: Int, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.debug("\(request.method) \(request.uri.path) \(status)", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(status)",
            "duration_ms": "\((milliseconds * 10).rounded() / 10)",
        ])
    }
}
