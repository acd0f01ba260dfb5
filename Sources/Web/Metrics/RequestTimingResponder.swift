import Hummingbird
import Telemetry

/// Times every request the web server answers, by method, matched route template and status
/// (`vigil_http_request_duration_seconds`). It wraps the router's responder rather than being a router middleware,
/// because Hummingbird applies middleware per route: a request that matches no route would not be seen. The route is
/// the template the router matched (`/advisories/{id}`), never the path asked for, so the series stay few; a request
/// no route matches is `unmatched`. The time is until the response's head is ready (the body streams afterwards).
public struct RequestTimingResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context: RequestContext {
    public typealias Context = Wrapped.Context
    let wrapped: Wrapped
    /// Nil times nothing (no `--metrics-port`).
    let metrics: VigilMetrics?

    public init(_ wrapped: Wrapped, metrics: VigilMetrics?) {
        self.wrapped = wrapped
        self.metrics = metrics
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard let metrics else { return try await wrapped.respond(to: request, context: context) }
        let started = ContinuousClock.now
        do {
            let response = try await wrapped.respond(to: request, context: context)
            // The router wrote the matched template into the context's endpoint box, which copies of the context share.
            metrics.httpRequest(method: request.method.rawValue, route: Self.route(context.endpointPath), status: Int(response.status.code),
                                seconds: Self.seconds(since: started))
            return response
        } catch {
            let status = (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500
            metrics.httpRequest(method: request.method.rawValue, route: Self.route(context.endpointPath), status: status,
                                seconds: Self.seconds(since: started))
            throw error
        }
    }

    /// The route label: the matched template, or `unmatched` (Hummingbird names a miss `NotFound`).
    static func route(_ endpoint: String?) -> String {
        guard let endpoint, !endpoint.isEmpty, endpoint != "NotFound" else { return "unmatched" }
        return endpoint
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
