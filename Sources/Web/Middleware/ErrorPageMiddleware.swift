import HTTPTypes
import Hummingbird
import Logging

/// Turns errors into friendly pages (or JSON for the API): a 404 page that helps, and a 500 page that says
/// something went wrong without showing internals. The error itself is logged.
struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer: TemplateRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            if response.status == .notFound, response.body.contentLength == 0 {
                response = errorResponse(status: .notFound, request: request, message: nil)
            }
            return response
        } catch let error as HTTPError {
            // Redirects (to the sign-in page) are answers, not errors.
            if (300..<400).contains(error.status.code) {
                return Response(status: error.status, headers: error.headers)
            }
            if error.status.code < 500 {
                var response = errorResponse(status: error.status, request: request, message: error.body)
                if let challenge = error.headers[.wwwAuthenticate] { response.headers[.wwwAuthenticate] = challenge }
                return response
            }
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return errorResponse(status: error.status, request: request, message: nil)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return errorResponse(status: .internalServerError, request: request, message: nil)
        }
    }

    func errorResponse(status: HTTPResponse.Status, request: Request, message: String?) -> Response {
        let text = message ?? (status == .notFound ? "There is nothing at this address." : "Something went wrong on our side. The error has been logged; please try again.")
        if request.uri.path.hasPrefix("/api/") {
            return JSONResponse.make(APIError(error: text, status: status.code), status: status)
        }
        let view = ErrorPageView(pageTitle: status == .notFound ? "Not found" : "Error \(status.code)", status: status.code,
                                 heading: status == .notFound ? "Page not found" : (status.code < 500 ? "That request could not be handled" : "Something went wrong"),
                                 message: text, isNotFound: status == .notFound, path: request.uri.path)
        let html = (try? renderer.render(view, template: "error")) ?? "<!doctype html><title>Error</title><p>\(status.code)</p>"
        return HTMLResponse.make(html, status: status)
    }
}

struct ErrorPageView {
    let pageTitle: String
    let status: Int
    let heading: String
    let message: String
    let isNotFound: Bool
    let path: String
}

struct APIError: Encodable {
    let error: String
    let status: Int
}

/// Headers every response carries: no external resources may load, no framing, no MIME sniffing.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy")! }
    static var frameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[SecurityHeadersMiddleware.referrerPolicy] = "same-origin"
        response.headers[SecurityHeadersMiddleware.frameOptions] = "DENY"
        return response
    }
}
