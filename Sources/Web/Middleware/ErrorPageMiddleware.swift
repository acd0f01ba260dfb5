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
                if let cacheControl = error.headers[.cacheControl] { response.headers[.cacheControl] = cacheControl }
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

/// Headers every response carries: no external resources may load, no framing, no MIME sniffing; and behind an
/// HTTPS base URL, HSTS, so a browser that came once never again asks over plain HTTP.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy")! }
    static var frameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options")! }
    static var strictTransportSecurity: HTTPField.Name { HTTPField.Name("Strict-Transport-Security")! }

    /// True when people reach the server over HTTPS (`AccountSettings.secureCookies`). Browsers ignore the header on
    /// plain HTTP, but sending it there would still claim something the server does not offer.
    var strictTransportSecurity = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[SecurityHeadersMiddleware.referrerPolicy] = "same-origin"
        response.headers[SecurityHeadersMiddleware.frameOptions] = "DENY"
        if strictTransportSecurity { response.headers[SecurityHeadersMiddleware.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}

/// `Cache-Control: no-store` on everything a signed-in viewer (browser or API token) is answered with, and on the
/// pages that set a password through a one-time link: an organisation's data, a new API token or a link's form must
/// not stay in a browser's or proxy's cache for the next person at the machine. Placed after `SessionMiddleware`,
/// which finds the viewer.
struct NoStoreMiddleware<Context: ViewerRequestContext>: RouterMiddleware {
    /// Paths whose answers are private whoever asks: the set-password pages of one-time links.
    static var privatePrefixes: [String] { ["/password/"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        // The stylesheet is the same for everyone and worth caching.
        guard (context.viewer != nil && path != "/static/vigil.css") || Self.privatePrefixes.contains(where: { path.hasPrefix($0) }) else {
            return try await next(request, context)
        }
        do {
            var response = try await next(request, context)
            response.headers[.cacheControl] = "no-store"
            return response
        } catch var error as HTTPError {
            error.headers[.cacheControl] = "no-store"
            throw error
        }
    }
}
