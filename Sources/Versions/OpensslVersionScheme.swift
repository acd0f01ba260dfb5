/// OpenSSL versions: the legacy `0.9.1`…`1.1.1` series with letter releases (`1.0.2zd`, before any `-beta`
/// pre-release of the same release is after it) and SemVer from 3.0.0 on; every legacy version sorts before 3.0.0.
struct OpensslVersionScheme: VersionScheme {
    let name = "openssl"

    func isValid(_ version: String) -> Bool { OpensslVersion(version) != nil }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = OpensslVersion(lhs), let right = OpensslVersion(rhs) else { return nil }
        switch (left, right) {
        case (.legacy, .modern): return .ascending
        case (.modern, .legacy): return .descending
        case let (.modern(a), .modern(b)): return VersionOrder(sign: a.precedence(b))
        case let (.legacy(a), .legacy(b)):
            if a.numbers == b.numbers, a.isPrerelease != b.isPrerelease { return a.isPrerelease ? .ascending : .descending }
            for (x, y) in zip(a.numbers, b.numbers) where x != y { return VersionOrder(x, y) }
            if a.letters == b.letters { return .same }
            return a.letters.lexicographicallyPrecedes(b.letters) ? .ascending : .descending
        }
    }
}

/// A parsed OpenSSL version.
enum OpensslVersion {
    /// A pre-3.0 version: three numbers and a letter suffix such as `zd` (or a `-beta1` pre-release tag).
    struct Legacy {
        var numbers: [Int]
        var letters: [UInt8]
        var isPrerelease: Bool { letters.starts(with: Array("-beta".utf8)) || letters.starts(with: Array("-alpha".utf8)) }
    }

    case legacy(Legacy)
    case modern(SemanticVersion)

    private static let legacyBases = ["0.9.1", "0.9.2", "0.9.3", "0.9.4", "0.9.5", "0.9.6", "0.9.7", "0.9.8",
                                      "1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.1.1"]

    init?(_ text: String) {
        if Self.legacyBases.contains(where: { text.hasPrefix($0) }) {
            let parts = Array(text.utf8).split(byte: UInt8(ascii: "."))
            guard parts.count == 3, let major = Int(parts[0].text), let minor = Int(parts[1].text) else { return nil }
            let third = parts[2]
            let digits = third.prefix(while: \.isDigit)
            let letters = Array(third.dropFirst(digits.count))
            if letters.isEmpty {
                guard let build = Int(third.text) else { return nil }
                self = .legacy(Legacy(numbers: [major, minor, build], letters: []))
            } else {
                // One digit, then letters (or a `-beta`/`-alpha` tag) that do not start with a digit.
                guard let first = third.first, first.isDigit, let build = Int(String(UnicodeScalar(first))),
                      let next = third.dropFirst().first, !next.isDigit, !next.isASCIIWhitespace
                else { return nil }
                self = .legacy(Legacy(numbers: [major, minor, build], letters: Array(third.dropFirst())))
            }
            return
        }
        guard let version = SemanticVersion(strict: text, allowV: false, allowShorthand: false),
              version.major >= DigitString(3) else { return nil }
        self = .modern(version)
    }
}
