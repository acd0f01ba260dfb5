/// Arch Linux package versions (`[epoch:]version[-pkgrel]`), ordered as pacman's `vercmp`: the epoch, then the
/// version, then the release only when both versions have one.
struct AlpmVersionScheme: VersionScheme {
    let name = "alpm"

    func isValid(_ version: String) -> Bool {
        !version.isEmpty && !version.utf8.contains(where: { $0.isASCIIWhitespace || $0 >= 0x7F })
    }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard isValid(lhs), isValid(rhs) else { return nil }
        let left = split(Array(lhs.utf8)), right = split(Array(rhs.utf8))
        var result = segmentCompare(left.epoch, right.epoch)
        if result == 0 {
            result = segmentCompare(left.version, right.version)
            if result == 0, let a = left.release, let b = right.release { result = segmentCompare(a, b) }
        }
        return VersionOrder(sign: result)
    }

    private func split(_ bytes: [UInt8]) -> (epoch: ArraySlice<UInt8>, version: ArraySlice<UInt8>, release: ArraySlice<UInt8>?) {
        var epoch = Array("0".utf8)[...]
        var rest = bytes[...]
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            epoch = bytes[..<colon]
            rest = bytes[(colon + 1)...]
        }
        if let dash = rest.lastIndex(of: UInt8(ascii: "-")) {
            return (epoch, rest[..<dash], rest[(dash + 1)...])
        }
        return (epoch, rest, nil)
    }

    private enum Kind { case digit, alpha, other }

    private func kind(_ byte: UInt8) -> Kind { byte.isDigit ? .digit : (byte.isLetter ? .alpha : .other) }

    /// Runs of digits, of letters and of other characters.
    private func runs(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        for index in bytes.indices where index > start && kind(bytes[index]) != kind(bytes[start]) {
            result.append(bytes[start..<index])
            start = index
        }
        if start < bytes.endIndex { result.append(bytes[start...]) }
        return result
    }

    /// Compares run by run: a digit run beats any other run, a punctuation run beats letters, and running out sorts
    /// before more digits or punctuation but after more letters (so `1.0a` < `1.0`).
    private func segmentCompare(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Int {
        let left = runs(lhs), right = runs(rhs)
        for index in 0..<max(left.count, right.count) {
            guard index < left.count else { return kind(right[index].first!) == .alpha ? 1 : -1 }
            guard index < right.count else { return kind(left[index].first!) == .alpha ? -1 : 1 }
            let a = left[index], b = right[index]
            let kindA = kind(a.first!), kindB = kind(b.first!)
            if kindA != kindB {
                if kindA == .digit { return 1 }
                if kindB == .digit { return -1 }
                if kindA == .other { return 1 }
                return -1
            }
            switch kindA {
            case .other: if a.count != b.count { return threeWay(a.count, b.count) }
            case .digit:
                let x = DigitString(a), y = DigitString(b)
                if x != y { return threeWay(x, y) }
            case .alpha:
                if a != b { return a.lexicographicallyPrecedes(b) ? -1 : 1 }
            }
        }
        return 0
    }
}
