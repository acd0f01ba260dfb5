/// RubyGems versions (`Gem::Version`): dot-separated numbers and letters, any letter making a pre-release, trailing
/// zeros ignored (`1.0` equals `1`), a `-` read as `.pre.`.
struct GemVersionScheme: VersionScheme {
    let name = "gem"

    func isValid(_ version: String) -> Bool { GemVersion(version) != nil }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = GemVersion(lhs), let right = GemVersion(rhs) else { return nil }
        return VersionOrder(sign: left.compare(right))
    }
}

/// A parsed RubyGems version.
struct GemVersion: Sendable {
    enum Segment: Equatable, Sendable {
        case number(DigitString)
        case letters([UInt8])
    }

    /// The version as written.
    let original: String
    /// The segments with trailing zeros removed from the release part and from the pre-release part.
    let canonicalSegments: [Segment]
    /// All segments, as written.
    let segments: [Segment]

    /// Accepts `N(.[0-9A-Za-z]+)*(-[0-9A-Za-z-]+(.[0-9A-Za-z-]+)*)?`, as `Gem::Version` does.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        let dash = bytes.firstIndex(of: UInt8(ascii: "-")) ?? bytes.count
        let main = bytes[0..<dash].split(byte: UInt8(ascii: "."))
        guard let first = main.first, first.allDigits else { return nil }
        for part in main.dropFirst() where part.isEmpty || !part.allSatisfy(\.isAlphanumeric) { return nil }
        if dash < bytes.count {
            let pre = bytes[(dash + 1)...].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            for part in pre where part.isEmpty || !part.allSatisfy({ $0.isAlphanumeric || $0 == UInt8(ascii: "-") }) {
                return nil
            }
        }
        original = text
        // `-` means `.pre.`; segments are the runs of digits and of letters.
        var expanded: [UInt8] = []
        for byte in bytes {
            if byte == UInt8(ascii: "-") { expanded += Array(".pre.".utf8) } else { expanded.append(byte) }
        }
        var segments: [Segment] = []
        var index = 0
        while index < expanded.count {
            let start = index
            if expanded[index].isDigit {
                while index < expanded.count, expanded[index].isDigit { index += 1 }
                segments.append(.number(DigitString(expanded[start..<index])))
            } else if expanded[index].isLetter {
                while index < expanded.count, expanded[index].isLetter { index += 1 }
                segments.append(.letters(Array(expanded[start..<index])))
            } else {
                index += 1
            }
        }
        self.segments = segments
        // Split into the leading numbers and the rest (from the first letters on), trimming zeros from each end.
        let firstLetters = segments.firstIndex { if case .letters = $0 { true } else { false } } ?? segments.count
        func trimmed(_ part: ArraySlice<Segment>) -> [Segment] {
            var result = Array(part)
            while let last = result.last, last == .number(.zero) { result.removeLast() }
            return result
        }
        canonicalSegments = trimmed(segments[0..<firstLetters]) + trimmed(segments[firstLetters...])
    }

    func compare(_ other: GemVersion) -> Int {
        let left = canonicalSegments, right = other.canonicalSegments
        for index in 0..<max(left.count, right.count) {
            let lhs = index < left.count ? left[index] : .number(.zero)
            let rhs = index < right.count ? right[index] : .number(.zero)
            if lhs == rhs { continue }
            switch (lhs, rhs) {
            case (.letters, .number): return -1
            case (.number, .letters): return 1
            case let (.number(a), .number(b)): return threeWay(a, b)
            case let (.letters(a), .letters(b)): return a.lexicographicallyPrecedes(b) ? -1 : 1
            }
        }
        return 0
    }

    /// Whether a letter makes this a pre-release.
    var isPrerelease: Bool { segments.contains { if case .letters = $0 { true } else { false } } }

    /// The release this pre-release leads to (its leading numbers); the version itself when it is a release.
    var release: [DigitString] {
        var numbers: [DigitString] = []
        for segment in segments {
            guard case .number(let value) = segment else { break }
            numbers.append(value)
        }
        return numbers
    }
}
