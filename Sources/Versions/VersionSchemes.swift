/// The registry of version schemes: finds the `VersionScheme` for the `<scheme>` part of a `vers:<scheme>/…` range.
public enum VersionSchemes {
    /// The scheme called `name` (lowercase, as in a vers string), or nil when Vigil does not know it.
    public static func named(_ name: String) -> (any VersionScheme)? {
        switch name {
        case "generic": GenericVersionScheme()
        case "semver": SemverVersionScheme(flavour: .semver)
        case "npm": SemverVersionScheme(flavour: .npm)
        case "golang": SemverVersionScheme(flavour: .golang)
        case "nginx": SemverVersionScheme(flavour: .nginx)
        case "pypi": PypiVersionScheme()
        case "maven": MavenVersionScheme()
        case "nuget": NugetVersionScheme()
        case "gem": GemVersionScheme()
        case "deb": DebianVersionScheme()
        case "rpm": RpmVersionScheme()
        case "alpm": AlpmVersionScheme()
        case "alpine", "apk": GentooVersionScheme(name: name, alpine: true)
        case "gentoo", "ebuild": GentooVersionScheme(name: name, alpine: false)
        case "conan": ConanVersionScheme()
        case "openssl": OpensslVersionScheme()
        case "intdot": IntdotVersionScheme()
        case "datetime": DatetimeVersionScheme()
        case "lexicographic": LexicographicVersionScheme()
        case "all": UnboundedVersionScheme(name: "all")
        case "none": UnboundedVersionScheme(name: "none")
        default: nil
        }
    }

    /// Every scheme Vigil knows, one value per name (aliases such as `apk` for `alpine` included).
    public static var all: [any VersionScheme] {
        names.compactMap { named($0) }
    }

    /// The names `named(_:)` accepts, sorted.
    static let names = [
        "all", "alpine", "alpm", "apk", "conan", "datetime", "deb", "ebuild", "gem", "generic", "gentoo", "golang",
        "intdot", "lexicographic", "maven", "nginx", "none", "npm", "nuget", "openssl", "pypi", "rpm", "semver",
    ]
}

/// The schemes `all` and `none`: each has a single valid range (`vers:all/*`, everything; `vers:none/*`, nothing) and
/// no version order.
struct UnboundedVersionScheme: VersionScheme {
    let name: String
    func isValid(_ version: String) -> Bool { false }
    func normalize(_ version: String) -> String { version }
    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? { nil }
}

// MARK: - Helpers shared by the schemes

/// A non-negative integer of any length, kept as its decimal digits without leading zeros, so that components such
/// as `999999999999999999999999999999` order correctly.
struct DigitString: Comparable, Hashable, Sendable {
    let digits: [UInt8]

    init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        var result: [UInt8] = []
        for byte in bytes where !(result.isEmpty && byte == UInt8(ascii: "0")) { result.append(byte) }
        digits = result
    }

    init(_ value: Int) { self.init(Array(String(value).utf8)) }

    static let zero = DigitString([UInt8]())

    var isZero: Bool { digits.isEmpty }

    static func < (lhs: DigitString, rhs: DigitString) -> Bool {
        if lhs.digits.count != rhs.digits.count { return lhs.digits.count < rhs.digits.count }
        return lhs.digits.lexicographicallyPrecedes(rhs.digits)
    }

    /// This number plus one.
    func incremented() -> DigitString {
        var result = digits
        var index = result.count - 1
        while index >= 0 {
            if result[index] == UInt8(ascii: "9") {
                result[index] = UInt8(ascii: "0")
                index -= 1
            } else {
                result[index] += 1
                return DigitString(result)
            }
        }
        return DigitString([UInt8(ascii: "1")] + result)
    }

    /// The decimal spelling, `0` for zero.
    var text: String { digits.isEmpty ? "0" : String(decoding: digits, as: UTF8.self) }

    /// The value when it fits an `Int`.
    var intValue: Int? { digits.count > 18 ? nil : Int(text) }
}

extension UInt8 {
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isLetter: Bool { (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A) }
    var isAlphanumeric: Bool { isDigit || isLetter }
    var lowercased: UInt8 { (self >= 0x41 && self <= 0x5A) ? self + 0x20 : self }
    var isASCIIWhitespace: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
}

/// Three-way comparison of two comparable values as -1, 0 or 1.
@inline(__always)
func threeWay<T: Comparable>(_ lhs: T, _ rhs: T) -> Int {
    lhs < rhs ? -1 : (lhs == rhs ? 0 : 1)
}

extension VersionOrder {
    /// The order of a three-way comparison result.
    init(sign: Int) {
        self = sign < 0 ? .ascending : (sign == 0 ? .same : .descending)
    }
}

extension Array where Element == UInt8 {
    /// Splits on a separator byte, keeping empty pieces.
    func split(byte: UInt8) -> [ArraySlice<UInt8>] {
        split(separator: byte, omittingEmptySubsequences: false)
    }

    var text: String { String(decoding: self, as: UTF8.self) }
}

extension ArraySlice where Element == UInt8 {
    /// Splits on a separator byte, keeping empty pieces.
    func split(byte: UInt8) -> [ArraySlice<UInt8>] {
        split(separator: byte, omittingEmptySubsequences: false)
    }

    var text: String { String(decoding: self, as: UTF8.self) }
    var allDigits: Bool { !isEmpty && allSatisfy(\.isDigit) }
}
