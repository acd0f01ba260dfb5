/// Gentoo ebuild versions (`gentoo`, `ebuild`) and Alpine apk versions (`alpine`, `apk`), which share the same
/// grammar and order: `1.2.3[letter][_alpha|_beta|_pre|_rc|_p[N]]…[-rN]`, suffixes `_alpha < _beta < _pre < _rc <
/// (none) < _p`, and the `-rN` revision last.
struct GentooVersionScheme: VersionScheme {
    let name: String
    /// Alpine additionally refuses a first number written with leading zeros (`01.2`).
    let alpine: Bool

    func isValid(_ version: String) -> Bool {
        let bytes = Array(version.utf8)
        guard GentooVersion.isValid(bytes) else { return false }
        if alpine {
            let first = bytes.prefix { $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "-") }
            if first.allDigits, first.count > 1, first.first == UInt8(ascii: "0") { return false }
        }
        return true
    }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard isValid(lhs), isValid(rhs) else { return nil }
        return VersionOrder(sign: GentooVersion.compare(Array(lhs.utf8), Array(rhs.utf8)))
    }
}

/// The Gentoo version grammar and comparison.
enum GentooVersion {
    private static let suffixValues: [(String, Int)] = [("alpha", -4), ("beta", -3), ("pre", -2), ("rc", -1), ("p", 1)]

    /// Splits off the last `-rN` revision.
    static func splitRevision(_ bytes: [UInt8]) -> (version: ArraySlice<UInt8>, revision: DigitString) {
        var index = bytes.count - 1
        while index >= 2 {
            if bytes[index - 1] == UInt8(ascii: "r"), bytes[index - 2] == UInt8(ascii: "-") {
                var end = index
                while end < bytes.count, bytes[end].isDigit { end += 1 }
                if end > index {
                    // The revision may be followed by more text (the grammar then rejects it), as in Portage's search.
                    return (bytes[0..<(index - 2)], DigitString(bytes[index..<end]))
                }
            }
            index -= 1
        }
        return (bytes[...], .zero)
    }

    /// A suffix such as `alpha2` or `p`: its rank and number.
    private static func suffix(_ part: ArraySlice<UInt8>) -> (value: Int, number: DigitString)? {
        for (label, value) in suffixValues {
            let utf8 = Array(label.utf8)
            if part.starts(with: utf8) {
                let rest = part.dropFirst(utf8.count)
                if rest.isEmpty || rest.allDigits { return (value, DigitString(rest)) }
            }
        }
        return nil
    }

    static func isValid(_ bytes: [UInt8]) -> Bool {
        let version = splitRevision(bytes).version
        var parts = version.split(separator: UInt8(ascii: "_"), omittingEmptySubsequences: false)
        guard !parts.isEmpty else { return false }
        var numbers = parts.removeFirst()
        if let last = numbers.last, last.isLetter { numbers = numbers.dropLast() }
        let components = numbers.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard components.allSatisfy(\.allDigits) else { return false }
        return parts.allSatisfy { suffix($0) != nil }
    }

    static func compare(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        if lhs.isEmpty || rhs.isEmpty { return threeWay(lhs.count, rhs.count) }
        let (version1, revision1) = splitRevision(lhs)
        let (version2, revision2) = splitRevision(rhs)
        if version1 == version2 { return threeWay(revision1, revision2) }
        var parts1 = version1.split(separator: UInt8(ascii: "_"), omittingEmptySubsequences: false)
        var parts2 = version2.split(separator: UInt8(ascii: "_"), omittingEmptySubsequences: false)
        if parts1[0] != parts2[0] {
            var numbers1 = parts1[0].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            var numbers2 = parts2[0].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            func letter(_ numbers: inout [ArraySlice<UInt8>]) -> Int {
                guard let last = numbers.last?.last, last.isLetter else { return -1 }
                numbers[numbers.count - 1] = numbers[numbers.count - 1].dropLast()
                return Int(last)
            }
            let letter1 = letter(&numbers1), letter2 = letter(&numbers2)
            for (a, b) in zip(numbers1, numbers2) where a != b {
                let result: Int
                if a.first != UInt8(ascii: "0"), b.first != UInt8(ascii: "0") {
                    result = threeWay(DigitString(a), DigitString(b))
                } else {
                    // A component with a leading zero compares as a decimal fraction: trailing zeros do not count.
                    let x = Array(a.reversed().drop { $0 == UInt8(ascii: "0") }.reversed())
                    let y = Array(b.reversed().drop { $0 == UInt8(ascii: "0") }.reversed())
                    result = x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
                }
                if result != 0 { return result }
            }
            if numbers1.count != numbers2.count { return threeWay(numbers1.count, numbers2.count) }
            if letter1 != letter2 { return threeWay(letter1, letter2) }
        }
        parts1.removeFirst()
        parts2.removeFirst()
        for index in 0..<max(parts1.count, parts2.count) {
            if index == parts1.count {
                let other = suffix(parts2[index])!
                return other.value != 0 ? threeWay(0, other.value) : threeWay(DigitString.zero, other.number)
            }
            if index == parts2.count {
                let this = suffix(parts1[index])!
                return this.value != 0 ? threeWay(this.value, 0) : threeWay(this.number, DigitString.zero)
            }
            if parts1[index] == parts2[index] { continue }
            let this = suffix(parts1[index])!, other = suffix(parts2[index])!
            if this.value != other.value { return threeWay(this.value, other.value) }
            if this.number != other.number { return threeWay(this.number, other.number) }
        }
        return threeWay(revision1, revision2)
    }
}
