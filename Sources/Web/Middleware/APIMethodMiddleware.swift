import Hummingbird

/// Answers a request to a documented `/api/v1` path with a method the API does not serve: 405 with `Allow` (and
/// `OPTIONS` with 204 and `Allow`), before the form-token check would call an API `PUT` a forged form (403) or the
/// router would call it missing (404). The OpenAPI document is the list of what is served; the conformance tests keep
/// the router and the document the same.
struct APIMethodMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/api/v1/"), let allowed = OpenAPIDocument.allowedMethods(path: path),
              !allowed.contains(request.method.rawValue) else {
            return try await next(request, context)
        }
        let allow = allowed.joined(separator: ", ")
        if request.method == .options {
            return Response(status: .noContent, headers: [.allow: allow])
        }
        var response = JSONResponse.make(APIError(code: "method_not_allowed", message: "\(path) answers \(allow), not \(request.method.rawValue).", status: 405),
                                         status: .methodNotAllowed)
        response.headers[.allow] = allow
        return response
    }
}
