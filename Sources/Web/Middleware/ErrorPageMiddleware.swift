import HTTPTypes
import Hummingbird
import Logging
import Storage

/// Turns errors into friendly pages (or JSON for the API): a 404 page that helps, and a 500 page that says
/// something went wrong without showing internals. The one place errors become HTTP statuses (`ErrorAnswer`); the
/// error itself is logged on the request's logger, so the line carries the request ID.
struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer: TemplateRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            if response.status == .notFound, response.body.contentLength == 0 {
                response = errorResponse(ErrorAnswer(status: .notFound, message: nil), request: request)
            }
            return response
        } catch let error as HTTPError {
            // Redirects (to the sign-in page) are answers, not errors.
            if (300..<400).contains(error.status.code) {
                return Response(status: error.status, headers: error.headers)
            }
            if error.status.code < 500 {
                var response = errorResponse(ErrorAnswer(status: error.status, message: error.body), request: request)
                if let challenge = error.headers[.wwwAuthenticate] { response.headers[.wwwAuthenticate] = challenge }
                if let cacheControl = error.headers[.cacheControl] { response.headers[.cacheControl] = cacheControl }
                return response
            }
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return errorResponse(ErrorAnswer(status: error.status, message: nil), request: request)
        } catch {
            let answer = ErrorAnswer(error)
            answer.log(error, path: request.uri.path, logger: context.logger)
            return errorResponse(answer, request: request)
        }
    }

    func errorResponse(_ answer: ErrorAnswer, request: Request) -> Response {
        let status = answer.status
        let text = answer.message ?? ErrorAnswer.defaultMessage(status)
        var response: Response
        if request.uri.path.hasPrefix("/api/") {
            response = JSONResponse.make(APIError(code: answer.code, field: answer.field, message: text, status: status.code), status: status)
        } else {
            let view = ErrorPageView(pageTitle: status == .notFound ? "Not found" : "Error \(status.code)", status: status.code,
                                     heading: answer.heading, message: text, isNotFound: status == .notFound, path: request.uri.path)
            let html = (try? renderer.render(view, template: "error")) ?? "<!doctype html><title>Error</title><p>\(status.code)</p>"
            response = HTMLResponse.make(html, status: status)
        }
        if let retryAfter = answer.retryAfterSeconds {
            response.headers[.retryAfter] = "\(retryAfter)"
            // A proxy must not keep serving "try again" once the database is back.
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}

/// What the web answers for an error: its status, the code the API names it by, and the text a user may see (nil:
/// the status's standard text). Store errors are answered by their kind; the internal text of an unavailable or
/// corrupt store, and of any error this does not know, never reaches the user.
struct ErrorAnswer: Equatable {
    var status: HTTPResponse.Status
    var code: String
    var field: String?
    var message: String?
    var retryAfterSeconds: Int?

    static let unavailableMessage = "Vigil cannot reach its database right now; try again in a minute."
    static let retryAfterSeconds = 60

    init(status: HTTPResponse.Status, message: String?) {
        self.status = status
        self.code = ErrorAnswer.code(status)
        self.message = message
    }

    init(_ error: any Error) {
        guard let error = error as? StoreError else {
            self.init(status: .internalServerError, message: nil)
            return
        }
        // `message` only: the driver's words (`detail`: SQL, SQLSTATE, result codes) stay in the log.
        switch error.kind {
        case .notFound:
            self.init(status: .notFound, message: ErrorAnswer.sentence(error.message))
        case .invalid(let field):
            self.init(status: .badRequest, message: ErrorAnswer.sentence(error.message))
            self.field = field
        case .conflict:
            self.init(status: .conflict, message: ErrorAnswer.sentence(error.message))
        case .unavailable:
            self.init(status: .serviceUnavailable, message: ErrorAnswer.unavailableMessage)
            retryAfterSeconds = ErrorAnswer.retryAfterSeconds
        case .corrupt:
            self.init(status: .internalServerError, message: nil)
        }
    }

    /// The store's messages are clauses for the CLI (`vigil …: the due date … is not a date`); pages show sentences.
    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        let capitalised = first.uppercased() + text.dropFirst()
        return capitalised.hasSuffix(".") ? capitalised : capitalised + "."
    }

    var heading: String {
        switch status.code {
        case 404: "Page not found"
        case 503: "Vigil cannot reach its database"
        case ..<500: "That request could not be handled"
        default: "Something went wrong"
        }
    }

    static func defaultMessage(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "There is nothing at this address."
        case 503: unavailableMessage
        default: "Something went wrong on our side. The error has been logged; please try again."
        }
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "too_large"
        case 429: "too_many_requests"
        case 503: "unavailable"
        case ..<500: "rejected"
        default: "internal"
        }
    }

    /// Server-side failures at error level with everything known (the detail is for operators); refused requests
    /// at info level, since the user saw the reason.
    func log(_ error: any Error, path: String, logger: Logger) {
        var metadata: Logger.Metadata = ["path": "\(path)", "status": "\(status.code)", "error": "\(String(reflecting: error))"]
        if let error = error as? StoreError {
            metadata["error"] = "\(error)"
            metadata["store_error"] = "\(error.kind.code)"
        }
        if status.code >= 500 {
            logger.error("request failed", metadata: metadata)
        } else {
            logger.info("request refused", metadata: metadata)
        }
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

/// The API's error object: `{"error": {"code": "invalid", "field": "due", "message": "…"}, "status": 400}`. `field` is
/// null unless one input is at fault.
struct APIError: Encodable {
    struct Detail: Encodable {
        let code: String
        let field: String?
        let message: String

        enum CodingKeys: String, CodingKey { case code, field, message }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(field, forKey: .field)
            try container.encode(message, forKey: .message)
        }
    }

    let error: Detail
    let status: Int

    init(code: String, field: String? = nil, message: String, status: Int) {
        self.error = Detail(code: code, field: field, message: message)
        self.status = status
    }
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
        // A response that set its own policy keeps it (the standalone report page allows its style sheet by hash).
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        }
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
