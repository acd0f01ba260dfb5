/// A storage failure: what kind of failure it is (so the web edge can answer 404, 400, 409, 503 or 500), a message a
/// person can act on, and, for failures of the database itself, the driver's own words for the log.
///
/// `message` is written for whoever caused the failure: for `.notFound`, `.invalid` and `.conflict` it may be shown to
/// a web user; for `.unavailable` and `.corrupt` it may name files and hosts and is for operators (the CLI, the log).
/// `detail` holds the driver's text (SQL, SQLSTATE, result codes) and is never shown to a web user.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as far as the caller needs to know to answer.
    public enum Kind: Sendable, Hashable {
        /// The thing asked for does not exist (or no longer does).
        case notFound
        /// The input was refused; `field` names the input (a form field or option) when one is at fault.
        case invalid(field: String?)
        /// The input contradicts what is stored already (a duplicate name, a unique key taken).
        case conflict
        /// The database cannot be used right now: unreachable, refusing connections, out of resources, locked beyond
        /// the busy timeout, disk full. Trying again later may succeed.
        case unavailable
        /// Stored data is damaged: an integrity failure, bytes that no longer decode.
        case corrupt

        /// The short name used in the API's error object and in logs.
        public var code: String {
            switch self {
            case .notFound: "not_found"
            case .invalid: "invalid"
            case .conflict: "conflict"
            case .unavailable: "unavailable"
            case .corrupt: "corrupt"
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// The driver's error text, for logs and the CLI only.
    public var detail: String?

    public init(_ kind: Kind, _ message: String, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.detail = detail
    }

    public static func notFound(_ message: String) -> StoreError { StoreError(.notFound, message) }
    public static func invalid(_ message: String, field: String? = nil) -> StoreError { StoreError(.invalid(field: field), message) }
    public static func conflict(_ message: String, detail: String? = nil) -> StoreError { StoreError(.conflict, message, detail: detail) }
    public static func unavailable(_ message: String, detail: String? = nil) -> StoreError { StoreError(.unavailable, message, detail: detail) }
    public static func corrupt(_ message: String, detail: String? = nil) -> StoreError { StoreError(.corrupt, message, detail: detail) }

    /// The field at fault, for `.invalid` errors that name one.
    public var field: String? {
        if case .invalid(let field) = kind { field } else { nil }
    }

    /// The message, and the driver's words when there are any: what the CLI prints and the log records.
    public var description: String {
        guard let detail, !detail.isEmpty else { return message }
        return "\(message) (\(detail))"
    }
}
