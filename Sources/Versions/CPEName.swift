/// A CPE 2.3 well-formed name (NISTIR 7695 §5): the eleven attributes that name a class of platforms, read from a
/// formatted string (`cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*`) or a URI (`cpe:/a:vendor:product:1.0`).
///
/// `formattedString` and `uri` bind it back; `description` is the formatted string.
public struct CPEName: Sendable, Hashable, CustomStringConvertible {
    /// `a` (application), `o` (operating system), `h` (hardware), or a logical value.
    public let part: CPEAttributeValue
    /// The supplier (`microsoft`, `ni`).
    public let vendor: CPEAttributeValue
    /// The product (`internet_explorer`, `labview`).
    public let product: CPEAttributeValue
    /// The version as the vendor writes it (`8.0.6001`, `24.*`).
    public let version: CPEAttributeValue
    /// The update, service pack or point release (`sp2`, `beta`).
    public let update: CPEAttributeValue
    /// The legacy (CPE 2.2) edition.
    public let edition: CPEAttributeValue
    /// An RFC 5646 language tag restricted as NISTIR 7695 does: two or three letters, optionally `-` and a region.
    public let language: CPEAttributeValue
    /// How the product is tailored to a market (`home_premium`, `professional`).
    public let swEdition: CPEAttributeValue
    /// The software environment the product runs in (`windows`, `android`).
    public let targetSoftware: CPEAttributeValue
    /// The instruction set the product runs on (`x64`).
    public let targetHardware: CPEAttributeValue
    /// Anything else that distinguishes the product.
    public let other: CPEAttributeValue

    /// The attribute names in binding order, as NISTIR 7695 spells them.
    public static let attributeNames = ["part", "vendor", "product", "version", "update", "edition", "language",
                                        "sw_edition", "target_sw", "target_hw", "other"]

    /// The eleven attributes in binding order (the order of `attributeNames`).
    public var attributes: [CPEAttributeValue] {
        [part, vendor, product, version, update, edition, language, swEdition, targetSoftware, targetHardware, other]
    }

    /// Builds a name from attribute values, checking each as NISTIR 7695 §5.3 requires and lowercasing letters.
    public init(part: CPEAttributeValue, vendor: CPEAttributeValue = .any, product: CPEAttributeValue = .any,
                version: CPEAttributeValue = .any, update: CPEAttributeValue = .any, edition: CPEAttributeValue = .any,
                language: CPEAttributeValue = .any, swEdition: CPEAttributeValue = .any,
                targetSoftware: CPEAttributeValue = .any, targetHardware: CPEAttributeValue = .any,
                other: CPEAttributeValue = .any) throws(CPEError) {
        var checked: [CPEAttributeValue] = []
        for (index, value) in [part, vendor, product, version, update, edition, language, swEdition, targetSoftware,
                               targetHardware, other].enumerated() {
            guard case .value(let text) = value else { checked.append(value); continue }
            let units = try CPEValueUnits(logical: text, attribute: Self.attributeNames[index])
            try units.checkAttribute(Self.attributeNames[index])
            checked.append(units.attributeValue)
        }
        self.init(checked: checked)
    }

    /// Assigns attributes already checked, in binding order.
    init(checked values: [CPEAttributeValue]) {
        precondition(values.count == 11, "a CPE name has eleven attributes")
        part = values[0]
        vendor = values[1]
        product = values[2]
        version = values[3]
        update = values[4]
        edition = values[5]
        language = values[6]
        swEdition = values[7]
        targetSoftware = values[8]
        targetHardware = values[9]
        other = values[10]
    }

    /// The formatted string binding.
    public var description: String { formattedString }
}

/// The value of one CPE attribute.
public enum CPEAttributeValue: Sendable, Hashable, CustomStringConvertible {
    /// ANY (`*`): any value, including none.
    case any
    /// NA (`-`): the attribute does not apply.
    case notApplicable
    /// A value, unescaped and lowercase. An unquoted `*` (first or last) or run of `?` (at the start or end) is a
    /// wildcard; a literal `*`, `?` or `\` is written with a backslash before it (`\*`, `\?`, `\\`). No other
    /// character is escaped: `.value("big$money")` is the formatted string's `big\$money`.
    case value(String)

    /// Whether this is a value holding an unquoted `*` or `?`.
    public var hasWildcards: Bool {
        guard case .value(let text) = self, let units = try? CPEValueUnits(logical: text, attribute: "value") else { return false }
        return units.hasWildcards
    }

    /// `*`, `-`, or the value as written in `.value`.
    public var description: String {
        switch self {
        case .any: "*"
        case .notApplicable: "-"
        case .value(let text): text
        }
    }
}

/// Why a text or attribute value is not a CPE name.
public struct CPEError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        case unknownPrefix, wrongComponentCount, invalidCharacter, invalidWildcard, invalidEncoding, invalidPart,
             invalidLanguage, invalidEdition, emptyValue
    }

    private let code: Code
    /// The attribute the problem is in (`vendor`, `edition`, …), or `name` for the whole text.
    public let attribute: String
    /// What is wrong, in words a person can act on.
    public let message: String

    init(_ code: Code, _ attribute: String, _ message: String) {
        self.code = code
        self.attribute = attribute
        self.message = message
    }

    public var description: String { "invalid CPE \(attribute): \(message)" }
}

/// One attribute value as a sequence of characters and wildcards: the form that binding and matching work on.
struct CPEValueUnits: Hashable {
    enum Unit: Hashable {
        case literal(UInt8)
        /// `*`: any number of characters.
        case multiple
        /// `?`: one character (NISTIR 7696's algorithm also lets it match none at either end).
        case single
    }

    var units: [Unit]

    init(units: [Unit]) { self.units = units }

    /// Reads the `.value` spelling.
    init(logical text: String, attribute: String) throws(CPEError) {
        var units: [Unit] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case 0x5C:
                guard let quoted = iterator.next(), CPEValueUnits.isPrintable(quoted) else {
                    throw CPEError(.invalidCharacter, attribute, "\"\(text)\" ends with a lone backslash")
                }
                units.append(.literal(CPEValueUnits.lowercase(quoted)))
            case 0x2A: units.append(.multiple)
            case 0x3F: units.append(.single)
            default:
                guard CPEValueUnits.isPrintable(byte) else {
                    throw CPEError(.invalidCharacter, attribute, "\"\(text)\" holds a character that is not printable ASCII other than space")
                }
                units.append(.literal(CPEValueUnits.lowercase(byte)))
            }
        }
        self.units = units
        try checkWildcards(attribute: attribute, text: text)
    }

    static func isPrintable(_ byte: UInt8) -> Bool { (0x21...0x7E).contains(byte) }
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
    static func lowercase(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte + 0x20 : byte }

    var hasWildcards: Bool { units.contains { $0.literalByte == nil } }

    var literals: [UInt8] { units.compactMap(\.literalByte) }

    /// NISTIR 7695 §5.3.2: `*` only as the first or last character, `?` only in a run at the start or the end, never
    /// a `*` and `?` side by side, and at least one character that is not a wildcard.
    func checkWildcards(attribute: String, text: String) throws(CPEError) {
        guard units.contains(where: { $0.literalByte != nil }) else {
            throw CPEError(.emptyValue, attribute, "\"\(text)\" has no character other than wildcards")
        }
        let first = units.firstIndex { $0.literalByte != nil }!, last = units.lastIndex { $0.literalByte != nil }!
        for (edge, range) in [(true, units[..<first]), (false, units[(last + 1)...])] {
            let valid = range.isEmpty || range.allSatisfy { $0 == .single } || (range.count == 1 && range.first == .multiple)
            guard valid else {
                throw CPEError(.invalidWildcard, attribute, "\"\(text)\" \(edge ? "starts" : "ends") with a mix of wildcards; use one * or a run of ?")
            }
        }
        guard units[first...last].allSatisfy({ $0.literalByte != nil }) else {
            throw CPEError(.invalidWildcard, attribute, "\"\(text)\" has an unquoted * or ? inside it; wildcards are only allowed at the start or end")
        }
    }

    /// The checks one attribute adds: `part` is a, o or h; `language` a language tag without wildcards.
    func checkAttribute(_ attribute: String) throws(CPEError) {
        switch attribute {
        case "part":
            guard literals.count == 1, units.count == 1, [0x61, 0x6F, 0x68].contains(literals[0]) else {
                throw CPEError(.invalidPart, "part", "the part is a (application), o (operating system) or h (hardware), found \"\(logical)\"")
            }
        case "language":
            let text = literals
            let pieces = text.split(separator: 0x2D, omittingEmptySubsequences: false)
            let language = pieces[0], region = pieces.count == 2 ? pieces[1] : nil
            let isLetters = { (bytes: ArraySlice<UInt8>) in bytes.allSatisfy { (0x61...0x7A).contains($0) } }
            let valid = !hasWildcards && pieces.count <= 2 && (2...3).contains(language.count) && isLetters(language)
                && (region.map { ($0.count == 2 && isLetters($0)) || ($0.count == 3 && $0.allSatisfy { (0x30...0x39).contains($0) }) } ?? true)
            guard valid else {
                throw CPEError(.invalidLanguage, "language", "\"\(logical)\" is not a language tag such as en or en-us")
            }
        default:
            break
        }
    }

    /// The `.value` spelling.
    var logical: String {
        var bytes: [UInt8] = []
        for unit in units {
            switch unit {
            case .literal(let byte) where byte == 0x2A || byte == 0x3F || byte == 0x5C: bytes += [0x5C, byte]
            case .literal(let byte): bytes.append(byte)
            case .multiple: bytes.append(0x2A)
            case .single: bytes.append(0x3F)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    var attributeValue: CPEAttributeValue { .value(logical) }
}

extension CPEValueUnits.Unit {
    var literalByte: UInt8? {
        if case .literal(let byte) = self { byte } else { nil }
    }
}
