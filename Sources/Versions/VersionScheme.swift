/// How the versions of one ecosystem are checked and ordered: the `<scheme>` part of a `vers:<scheme>/…` range.
///
/// Implementations are pure values; `VersionSchemes.named(_:)` finds the one for a scheme name.
public protocol VersionScheme: Sendable {
    /// The vers scheme name, lowercase (`npm`, `pypi`, `semver`, `generic`).
    var name: String { get }
    /// Whether `version` is a version this scheme can order.
    func isValid(_ version: String) -> Bool
    /// The spelling a canonical vers uses for `version` (for most schemes the version unchanged).
    func normalize(_ version: String) -> String
    /// Orders two versions; nil when either is not valid in this scheme.
    func compare(_ lhs: String, _ rhs: String) -> VersionOrder?
}

/// The result of comparing two versions.
public enum VersionOrder: Sendable, Equatable {
    case ascending, same, descending

    /// The order of two comparable values.
    public init<T: Comparable>(_ lhs: T, _ rhs: T) {
        self = lhs < rhs ? .ascending : (lhs == rhs ? .same : .descending)
    }
}
