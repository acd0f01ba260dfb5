/// Debian package versions (`[epoch:]upstream[-revision]`), ordered as `dpkg --compare-versions` does: `~` before
/// everything, even the end of the string, letters before other punctuation, digit runs numerically.
struct DebianVersionScheme: VersionScheme {
    let name = "deb"

    func isValid(_ version: String) -> Bool { DebianVersion(version) != nil }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = DebianVersion(lhs), let right = DebianVersion(rhs) else { return nil }
        if left.epoch != right.epoch { return VersionOrder(left.epoch, right.epoch) }
        let upstream = DebianVersion.compareParts(left.upstream, right.upstream)
        if upstream != 0 { return VersionOrder(sign: upstream) }
        return VersionOrder(sign: DebianVersion.compareParts(left.revision, right.revision))
    }
}

/// A parsed Debian version.
struct DebianVersion: Sendable {
    var epoch: DigitString
    var upstream: ArraySlice<UInt8>
    var revision: ArraySlice<UInt8>

    /// `[digits:]` then a digit, then letters, digits and `.+~-` (a `-` only when a revision follows).
    init?(_ text: String) {
        let bytes = Array(text.utf8)[...]
        var rest = bytes
        epoch = .zero
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let digits = bytes[..<colon]
            guard digits.allDigits else { return nil }
            epoch = DigitString(digits)
            rest = bytes[bytes.index(after: colon)...]
        }
        guard let first = rest.first, first.isDigit,
              rest.allSatisfy({ $0.isAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+")
                                || $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "-") })
        else { return nil }
        if let dash = rest.lastIndex(of: UInt8(ascii: "-")) {
            upstream = rest[..<dash]
            revision = rest[rest.index(after: dash)...]
            guard !revision.isEmpty else { return nil }
        } else {
            upstream = rest
            revision = Array("0".utf8)[...]
        }
    }

    /// dpkg's character order for the non-digit parts: `~` < end < letters < everything else (by ASCII).
    private static func order(_ byte: UInt8?) -> Int {
        guard let byte else { return 0 }
        if byte == UInt8(ascii: "~") { return -1 }
        if byte.isLetter { return Int(byte) }
        return Int(byte) + 256
    }

    static func compareParts(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Int {
        var a = lhs.startIndex, b = rhs.startIndex
        while a < lhs.endIndex || b < rhs.endIndex {
            // Non-digit prefixes, character by character.
            while (a < lhs.endIndex && !lhs[a].isDigit) || (b < rhs.endIndex && !rhs[b].isDigit) {
                let x = a < lhs.endIndex && !lhs[a].isDigit ? lhs[a] : nil
                let y = b < rhs.endIndex && !rhs[b].isDigit ? rhs[b] : nil
                let difference = order(x) - order(y)
                if difference != 0 { return difference < 0 ? -1 : 1 }
                if x != nil { a += 1 }
                if y != nil { b += 1 }
            }
            // Digit runs, numerically.
            let startA = a, startB = b
            while a < lhs.endIndex, lhs[a].isDigit { a += 1 }
            while b < rhs.endIndex, rhs[b].isDigit { b += 1 }
            let numberA = DigitString(lhs[startA..<a]), numberB = DigitString(rhs[startB..<b])
            if numberA != numberB { return threeWay(numberA, numberB) }
        }
        return 0
    }
}
