/// The generic `intdot` scheme: non-negative integers separated by dots (`10.234.5.12`), leading zeros ignored,
/// missing trailing numbers read as zero; reading stops at the first character that is neither a digit nor a dot.
struct IntdotVersionScheme: VersionScheme {
    let name = "intdot"

    func isValid(_ version: String) -> Bool { numbers(version) != nil }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = numbers(lhs), let right = numbers(rhs) else { return nil }
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : .zero
            let b = index < right.count ? right[index] : .zero
            if a != b { return VersionOrder(a, b) }
        }
        return .same
    }

    /// The leading `N(.N)*` numbers; nil when the version does not start with a digit.
    private func numbers(_ version: String) -> [DigitString]? {
        let bytes = Array(version.utf8)
        guard let first = bytes.first, first.isDigit else { return nil }
        var result: [DigitString] = []
        var index = 0
        while index < bytes.count, bytes[index].isDigit {
            let start = index
            while index < bytes.count, bytes[index].isDigit { index += 1 }
            result.append(DigitString(bytes[start..<index]))
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), bytes[index + 1].isDigit else { break }
            index += 1
        }
        return result
    }
}
