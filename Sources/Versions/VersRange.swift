/// The comparator of one vers constraint. A bare version (`1.2.3`) is `equal`; `*` alone means every version.
public enum VersComparator: String, Sendable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case any = "*"

    var isLower: Bool { self == .less || self == .lessOrEqual }
    var isGreater: Bool { self == .greater || self == .greaterOrEqual }
    /// Whether the constraint's own version is inside it (`=`, `<=`, `>=`).
    var includesItsVersion: Bool { self == .equal || self == .lessOrEqual || self == .greaterOrEqual }
}

/// One constraint of a vers range: a comparator and a version (decoded, as the scheme reads it; empty for `*`).
public struct VersConstraint: Sendable, Hashable, CustomStringConvertible {
    public var comparator: VersComparator
    public var version: String

    /// A constraint; `version` is the decoded version text (empty for `*`).
    public init(comparator: VersComparator, version: String) {
        self.comparator = comparator
        self.version = comparator == .any ? "" : version
    }

    /// The constraint as a canonical vers writes it: no `=` for equality, the version percent-encoded where needed.
    public var description: String {
        switch comparator {
        case .any: "*"
        case .equal: VersRange.percentEncoded(version)
        default: comparator.rawValue + VersRange.percentEncoded(version)
        }
    }
}

/// A `vers:` version range (purl's Version Range Specifier): a scheme and constraints sorted by version, as in
/// `vers:npm/>=1.2.0|<2.0.0|!=1.5.0`. Values are built by `parse(_:)` (canonical text), `normalizing(_:)` (text in
/// any constraint order), `init(scheme:constraints:)` or `NativeRange`, and answer `contains(_:)`.
public struct VersRange: Sendable, Hashable, CustomStringConvertible {
    /// The scheme (`npm`, `pypi`, `deb`, …), lowercase.
    public let scheme: String
    /// The constraints, sorted by version. Empty only for a native range that allows nothing (see `NativeRange`).
    public let constraints: [VersConstraint]

    init(uncheckedScheme scheme: String, constraints: [VersConstraint]) {
        self.scheme = scheme
        self.constraints = constraints
    }

    /// The canonical `vers:` text.
    public var description: String {
        "vers:\(scheme)/" + constraints.map(\.description).joined(separator: "|")
    }

    // MARK: - Building

    /// Builds a range from constraints in any order, as the spec's normalisation says: every version must be valid
    /// in `scheme` and is rewritten in its canonical spelling, the constraints are sorted by version, exact
    /// duplicates are dropped, and the result must obey the spec's rules (one `*` alone, unique versions, a valid
    /// comparator sequence). Throws a `VersError` naming the first rule broken.
    public init(scheme: String, constraints: [VersConstraint]) throws(VersError) {
        let text = VersRange(uncheckedScheme: scheme, constraints: constraints).description
        guard !constraints.isEmpty else { throw .constraints("a range needs at least one constraint", in: text) }
        let versionScheme = try Self.orderingScheme(scheme, in: text, constraints: constraints)
        var normalised: [VersConstraint] = []
        if let versionScheme {
            for constraint in constraints where constraint.comparator != .any {
                guard versionScheme.isValid(constraint.version) else {
                    throw .invalidVersion(constraint.version, scheme: scheme, context: text)
                }
            }
            let sorted = Self.sorted(constraints.map {
                VersConstraint(comparator: $0.comparator, version: versionScheme.normalize($0.version))
            }, by: versionScheme)
            for constraint in sorted {
                if let last = normalised.last, last.comparator == constraint.comparator, last.comparator != .any,
                   versionScheme.compare(last.version, constraint.version) == .same {
                    continue
                }
                normalised.append(constraint)
            }
            try Self.checkRules(normalised, scheme: versionScheme, text: text)
        } else {
            normalised = constraints
            try Self.checkRules(normalised, scheme: nil, text: text)
        }
        self.init(uncheckedScheme: scheme, constraints: normalised)
    }

    /// Parses a canonical vers string strictly, as the spec's parsing rules say: no whitespace, lowercase `vers:`
    /// and scheme, no empty constraint or stray pipe, no leading `=`, valid uppercase percent-encoding decoded once,
    /// constraints sorted by version with unique versions and a valid comparator sequence. Nothing is corrected:
    /// any deviation throws. Versions are checked by the scheme where the order needs them (two or more
    /// constraints) and by `contains(_:)`. The reserved schemes `example` and `test` parse without an order check;
    /// `invalid` and unknown schemes throw.
    public static func parse(_ text: String) throws(VersError) -> VersRange {
        let (scheme, constraints) = try split(text)
        let versionScheme = try orderingScheme(scheme, in: text, constraints: constraints)
        if let versionScheme {
            for (left, right) in zip(constraints, constraints.dropFirst()) {
                switch try order(left.version, right.version, scheme: versionScheme, text: text) {
                case .descending: throw .nonCanonical("constraints are not sorted by version", in: text)
                case .same: throw .constraints("the version \"\(right.version)\" occurs more than once", in: text)
                case .ascending: break
                }
            }
        }
        try checkRules(constraints, scheme: versionScheme, text: text)
        return VersRange(uncheckedScheme: scheme, constraints: constraints)
    }

    /// Reads a vers string whose constraints may be in any order, as many data sources write them, and returns it
    /// with the constraints sorted by version (stably) and each version in its scheme's canonical spelling. The
    /// syntax rules of `parse(_:)` apply and every version must be valid in its scheme, but duplicate versions and
    /// comparator sequences the spec forbids are kept as given (the vers-spec `validate` suite expects exactly
    /// this); `contains(_:)` throws on a sequence it cannot walk, and `init(scheme:constraints:)` applies every rule.
    public static func normalizing(_ text: String) throws(VersError) -> VersRange {
        let (scheme, constraints) = try split(text)
        guard let versionScheme = try orderingScheme(scheme, in: text, constraints: constraints) else {
            return VersRange(uncheckedScheme: scheme, constraints: constraints)
        }
        for constraint in constraints where constraint.comparator != .any && !versionScheme.isValid(constraint.version) {
            throw .invalidVersion(constraint.version, scheme: scheme, context: text)
        }
        let normalised = constraints.map {
            VersConstraint(comparator: $0.comparator, version: $0.comparator == .any ? "" : versionScheme.normalize($0.version))
        }
        return VersRange(uncheckedScheme: scheme, constraints: sorted(normalised, by: versionScheme))
    }

    // MARK: - Containment

    /// Whether `version` is inside this range, by the spec's containment algorithm and the scheme's order. A range of
    /// only `!=` constraints contains every version it does not exclude. Throws when the scheme is unknown or has no
    /// order, when a version is not valid in the scheme, or when the constraints are not a valid sequence.
    public func contains(_ version: String) throws(VersError) -> Bool {
        let text = description
        if constraints.isEmpty { return false }
        if constraints.count == 1, constraints[0].comparator == .any { return scheme != "none" }
        guard let versionScheme = try Self.orderingScheme(scheme, in: text, constraints: constraints) else {
            throw .unorderedScheme(scheme, in: text)
        }
        guard versionScheme.isValid(version) else { throw .invalidVersion(version, scheme: scheme) }
        var orders: [VersionOrder] = []
        orders.reserveCapacity(constraints.count)
        for constraint in constraints {
            if constraint.comparator == .any {
                throw .constraints("\"*\" must be the only constraint", in: text)
            }
            orders.append(try Self.order(version, constraint.version, scheme: versionScheme, text: text))
        }
        for (constraint, order) in zip(constraints, orders) where order == .same && constraint.comparator.includesItsVersion {
            return true
        }
        for (constraint, order) in zip(constraints, orders) where order == .same && constraint.comparator == .notEqual {
            return false
        }
        let bounds = zip(constraints, orders).filter { $0.0.comparator != .equal && $0.0.comparator != .notEqual }
        guard let first = bounds.first else {
            // Only `=` and `!=` constraints: the version matched none of the `=`; a range of exclusions only
            // contains every other version.
            return constraints.allSatisfy { $0.comparator == .notEqual }
        }
        if bounds.count == 1 {
            return first.0.comparator.isLower ? first.1 == .ascending : first.1 == .descending
        }
        if first.0.comparator.isLower, first.1 == .ascending { return true }
        for (current, next) in zip(bounds, bounds.dropFirst()) {
            if current.0.comparator.isGreater, next.0.comparator.isLower {
                if current.1 == .descending, next.1 == .ascending { return true }
            } else if current.0.comparator.isLower, next.0.comparator.isGreater {
                continue
            } else {
                throw .constraints("\"\(current.0)\" cannot be followed by \"\(next.0)\"", in: text)
            }
        }
        let last = bounds[bounds.count - 1]
        return last.0.comparator.isGreater && last.1 == .descending
    }

    // MARK: - Internals

    /// The scheme that orders this range's versions; nil for the reserved `example` and `test` schemes and for
    /// `all`/`none`, which allow only `*`.
    private static func orderingScheme(_ scheme: String, in text: String,
                                       constraints: [VersConstraint]) throws(VersError) -> (any VersionScheme)? {
        switch scheme {
        case "invalid": throw .invalidScheme(in: text)
        case "example", "test": return nil
        case "all", "none":
            guard constraints.count == 1, constraints[0].comparator == .any else {
                throw .constraints("\"vers:\(scheme)/*\" is the only valid range of the \(scheme) scheme", in: text)
            }
            return nil
        default:
            guard let found = VersionSchemes.named(scheme) else { throw .unknownScheme(scheme, in: text) }
            return found
        }
    }

    static func order(_ lhs: String, _ rhs: String, scheme: any VersionScheme, text: String) throws(VersError) -> VersionOrder {
        if let order = scheme.compare(lhs, rhs) { return order }
        let bad = scheme.isValid(lhs) ? rhs : lhs
        throw .invalidVersion(bad, scheme: scheme.name, context: text)
    }

    /// Sorts by version, then by comparator spelling, keeping the given order of equal constraints. The versions
    /// must be valid.
    static func sorted(_ constraints: [VersConstraint], by scheme: any VersionScheme) -> [VersConstraint] {
        constraints.enumerated().sorted { left, right in
            let order = scheme.compare(left.element.version, right.element.version) ?? .same
            if order != .same { return order == .ascending }
            if left.element.comparator != right.element.comparator {
                return left.element.comparator.rawValue < right.element.comparator.rawValue
            }
            return left.offset < right.offset
        }.map(\.element)
    }

    /// The spec's rules for constraints already sorted by version: `*` alone, unique versions, and the comparator
    /// sequence (`=` followed only by `=`, `>`, `>=`; then `<`/`<=` and `>`/`>=` alternating), `!=` anywhere.
    private static func checkRules(_ constraints: [VersConstraint], scheme: (any VersionScheme)?,
                                   text: String) throws(VersError) {
        if constraints.contains(where: { $0.comparator == .any }) {
            guard constraints.count == 1 else { throw .constraints("\"*\" must be the only constraint", in: text) }
            return
        }
        if let scheme {
            for (left, right) in zip(constraints, constraints.dropFirst())
            where try order(left.version, right.version, scheme: scheme, text: text) == .same {
                throw .constraints("the version \"\(right.version)\" occurs more than once", in: text)
            }
        }
        let withoutExclusions = constraints.filter { $0.comparator != .notEqual }
        for (current, next) in zip(withoutExclusions, withoutExclusions.dropFirst())
        where current.comparator == .equal && next.comparator.isLower {
            throw .constraints("\"\(current)\" cannot be followed by \"\(next)\": an equality is followed only by "
                               + "another equality, \">\" or \">=\"", in: text)
        }
        let bounds = withoutExclusions.filter { $0.comparator != .equal }
        for (current, next) in zip(bounds, bounds.dropFirst()) where current.comparator.isLower == next.comparator.isLower {
            throw .constraints("\"\(current)\" cannot be followed by \"\(next)\": \"<\"/\"<=\" and \">\"/\">=\" "
                               + "must alternate", in: text)
        }
    }

    /// Splits vers text into its scheme and decoded constraints, enforcing the spec's syntax.
    private static func split(_ text: String) throws(VersError) -> (String, [VersConstraint]) {
        let bytes = Array(text.utf8)
        if bytes.contains(where: \.isASCIIWhitespace) { throw .nonCanonical("whitespace is not permitted", in: text) }
        if bytes.contains(where: { $0 >= 0x80 || $0 < 0x20 || $0 == 0x7F }) {
            throw .nonCanonical("characters outside printable ASCII must be percent-encoded", in: text)
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            throw .nonCanonical("a vers starts with \"vers:\"", in: text)
        }
        let uriScheme = bytes[..<colon].text
        guard uriScheme == "vers" else {
            throw .nonCanonical(uriScheme.lowercased() == "vers" ? "the URI scheme must be lowercase \"vers\""
                                : "a vers starts with \"vers:\"", in: text)
        }
        let specifier = bytes[(colon + 1)...]
        guard let slash = specifier.firstIndex(of: UInt8(ascii: "/")) else {
            throw .nonCanonical("the scheme must be followed by \"/\" and the constraints", in: text)
        }
        let scheme = specifier[..<slash]
        guard let first = scheme.first, first.isLetter else {
            throw .nonCanonical("the scheme must start with an ASCII letter", in: text)
        }
        guard scheme.allSatisfy({ $0.isAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            throw .nonCanonical("the scheme may contain only ASCII letters, digits, \".\" and \"-\"", in: text)
        }
        guard !scheme.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else {
            throw .nonCanonical("the scheme must be lowercase", in: text)
        }
        let body = specifier[(slash + 1)...]
        guard !body.isEmpty else { throw .nonCanonical("the constraints are empty", in: text) }
        if body.elementsEqual("*".utf8) { return (scheme.text, [VersConstraint(comparator: .any, version: "")]) }
        if body.first == UInt8(ascii: "|") { throw .nonCanonical("leading pipe is not permitted", in: text) }
        if body.last == UInt8(ascii: "|") { throw .nonCanonical("trailing pipe is not permitted", in: text) }
        var constraints: [VersConstraint] = []
        for piece in body.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false) {
            guard !piece.isEmpty else { throw .nonCanonical("consecutive pipes are not permitted", in: text) }
            constraints.append(try constraint(piece, scheme: scheme.text, text: text))
        }
        return (scheme.text, constraints)
    }

    private static func constraint(_ piece: ArraySlice<UInt8>, scheme: String,
                                   text: String) throws(VersError) -> VersConstraint {
        if piece.first == UInt8(ascii: "*") {
            throw .constraints("\"*\" must be the only constraint and has no version", in: text)
        }
        if piece.first == UInt8(ascii: "=") {
            throw .nonCanonical("an equality is a bare version, without a leading \"=\"", in: text)
        }
        var comparator = VersComparator.equal
        for candidate in [VersComparator.greaterOrEqual, .lessOrEqual, .notEqual, .less, .greater]
        where piece.starts(with: candidate.rawValue.utf8) {
            comparator = candidate
            break
        }
        let raw = piece.dropFirst(comparator == .equal ? 0 : comparator.rawValue.utf8.count)
        guard !raw.isEmpty else { throw .nonCanonical("a constraint has an empty version", in: text) }
        if let special = raw.first(where: { "<>=!*".utf8.contains($0) }) {
            throw .nonCanonical("\"\(Character(UnicodeScalar(special)))\" in a version must be percent-encoded", in: text)
        }
        return VersConstraint(comparator: comparator, version: try decode(raw, scheme: scheme, text: text))
    }

    /// Percent-decodes a version exactly once, refusing malformed or lowercase triplets.
    private static func decode(_ raw: ArraySlice<UInt8>, scheme: String, text: String) throws(VersError) -> String {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var decoded: [UInt8] = []
        var index = raw.startIndex
        var lowercaseHex = false
        var encodedColon = false
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                index += 1
                continue
            }
            guard index + 2 < raw.endIndex, let high = hex(raw[index + 1]), let low = hex(raw[index + 2]) else {
                throw .nonCanonical("invalid percent-encoding in version", in: text)
            }
            if raw[index + 1] >= UInt8(ascii: "a") || raw[index + 2] >= UInt8(ascii: "a") { lowercaseHex = true }
            let value = high << 4 | low
            if value == UInt8(ascii: ":") { encodedColon = true }
            decoded.append(value)
            index += 3
        }
        if lowercaseHex { throw .nonCanonical("percent-encoding in version is not canonical", in: text) }
        guard let version = String(validating: decoded, as: UTF8.self) else {
            throw .nonCanonical("invalid percent-encoding in version", in: text)
        }
        if scheme == "datetime" {
            if encodedColon { throw .nonCanonical("datetime time colons must be unencoded", in: text) }
            if decoded.contains(UInt8(ascii: "t")) || decoded.contains(UInt8(ascii: "z")) {
                throw .nonCanonical("datetime must use uppercase T and Z", in: text)
            }
        }
        return version
    }

    /// A version as a vers writes it: `%`, the comparator characters, `|` and anything outside printable ASCII
    /// percent-encoded with uppercase hex.
    static func percentEncoded(_ version: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var result: [UInt8] = []
        for byte in version.utf8 {
            if byte > 0x20, byte < 0x7F, !"<>=!*|%".utf8.contains(byte) {
                result.append(byte)
            } else {
                result += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return result.text
    }
}
