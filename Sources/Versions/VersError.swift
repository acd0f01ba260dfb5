/// Why a `vers:` range, a version or a native range could not be read or used. The message names the offending input
/// and says what to change.
public struct VersError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad kind of failure, for callers that react differently to bad syntax and to bad versions.
    public enum Category: Sendable, Equatable {
        /// The text is not a canonical `vers:` string (spelling, separators, encoding, order).
        case syntax
        /// The scheme is unknown, reserved or cannot order versions.
        case scheme
        /// A version is not valid in its scheme.
        case version
        /// The constraints break the spec's rules (duplicates, comparator sequence, a misplaced `*`).
        case constraints
        /// A native (ecosystem) range could not be converted.
        case nativeRange
    }

    private enum Code: Sendable, Equatable {
        case syntax, scheme, version, constraints, nativeRange
    }

    private let code: Code
    /// The text the error is about: the vers string, the version or the native range.
    public let input: String
    /// What went wrong and what to do about it.
    public let message: String

    private init(_ code: Code, input: String, message: String) {
        self.code = code
        self.input = input
        self.message = message
    }

    /// The broad kind of this failure.
    public var category: Category {
        switch code {
        case .syntax: .syntax
        case .scheme: .scheme
        case .version: .version
        case .constraints: .constraints
        case .nativeRange: .nativeRange
        }
    }

    public var description: String { message }

    static func nonCanonical(_ reason: String, in text: String) -> VersError {
        VersError(.syntax, input: text, message: "non-canonical VERS: \(reason) (in \"\(text)\")")
    }

    static func unknownScheme(_ scheme: String, in text: String) -> VersError {
        VersError(.scheme, input: text,
                  message: "unknown vers scheme \"\(scheme)\" in \"\(text)\": use one of \(VersionSchemes.names.joined(separator: ", "))")
    }

    static func unorderedScheme(_ scheme: String, in text: String) -> VersError {
        VersError(.scheme, input: text,
                  message: "the vers scheme \"\(scheme)\" defines no version order, so \"\(text)\" cannot be used to test versions")
    }

    static func invalidScheme(in text: String) -> VersError {
        VersError(.scheme, input: text, message: "\"\(text)\" uses the reserved scheme \"invalid\", which is never a valid vers")
    }

    static func invalidVersion(_ version: String, scheme: String, context: String? = nil) -> VersError {
        let place = context.map { " in \"\($0)\"" } ?? ""
        return VersError(.version, input: version,
                         message: "\"\(version)\"\(place) is not a valid \(scheme) version")
    }

    static func constraints(_ reason: String, in text: String) -> VersError {
        VersError(.constraints, input: text, message: "invalid vers constraints: \(reason) (in \"\(text)\")")
    }

    static func nativeRange(_ reason: String, range: String, scheme: String) -> VersError {
        VersError(.nativeRange, input: range, message: "cannot convert the \(scheme) range \"\(range)\": \(reason)")
    }
}
