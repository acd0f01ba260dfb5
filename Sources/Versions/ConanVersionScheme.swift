/// Conan (C/C++) versions: dot-separated items (numbers numerically, other items as text and after numbers), trailing
/// zeros ignored, then an optional `-pre-release` (before the release) and `+build`.
struct ConanVersionScheme: VersionScheme {
    let name = "conan"

    func isValid(_ version: String) -> Bool {
        !version.isEmpty && !version.utf8.contains(where: { $0.isASCIIWhitespace || $0 >= 0x7F })
    }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard isValid(lhs), isValid(rhs) else { return nil }
        return VersionOrder(sign: ConanVersion(lhs).compare(ConanVersion(rhs)))
    }
}

/// A parsed Conan version.
final class ConanVersion: Sendable {
    enum Item: Equatable, Sendable {
        case number(DigitString)
        case text([UInt8])

        init(_ bytes: ArraySlice<UInt8>) {
            self = bytes.allDigits ? .number(DigitString(bytes)) : .text(Array(bytes))
        }

        /// Numbers order numerically; a number and a text order by their spellings, as Conan's Python does.
        static func compare(_ lhs: Item, _ rhs: Item) -> Int {
            switch (lhs, rhs) {
            case let (.number(a), .number(b)): return threeWay(a, b)
            case let (.text(a), .text(b)): return a == b ? 0 : (a.lexicographicallyPrecedes(b) ? -1 : 1)
            case let (.number(a), .text(b)): return Array(a.text.utf8).lexicographicallyPrecedes(b) ? -1 : 1
            case let (.text(a), .number(b)): return a.lexicographicallyPrecedes(Array(b.text.utf8)) ? -1 : 1
            }
        }

        var text: String {
            switch self {
            case .number(let value): value.text
            case .text(let bytes): bytes.text
            }
        }
    }

    let items: [Item]
    let nonzeroItems: [Item]
    let pre: ConanVersion?
    let build: ConanVersion?

    init(_ text: String) {
        var value = Array(text.utf8)[...]
        var build: ConanVersion?
        if let plus = value.lastIndex(of: UInt8(ascii: "+")) {
            build = ConanVersion(value[(plus + 1)...].text)
            value = value[..<plus]
        }
        var pre: ConanVersion?
        if let dash = value.lastIndex(of: UInt8(ascii: "-")) {
            pre = ConanVersion(value[(dash + 1)...].text)
            value = value[..<dash]
        }
        self.build = build
        self.pre = pre
        items = value.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Item.init)
        var trimmed = items
        while let last = trimmed.last, last == .number(.zero) { trimmed.removeLast() }
        nonzeroItems = trimmed
    }

    private static func compareItems(_ lhs: [Item], _ rhs: [Item]) -> Int {
        for (a, b) in zip(lhs, rhs) where a != b { return Item.compare(a, b) }
        return threeWay(lhs.count, rhs.count)
    }

    /// A missing pre-release or build sorts before a present one in tuple comparisons.
    private static func compareOptional(_ lhs: ConanVersion?, _ rhs: ConanVersion?) -> Int {
        switch (lhs, rhs) {
        case (nil, nil): 0
        case (nil, .some): -1
        case (.some, nil): 1
        case let (.some(a), .some(b)): a.compare(b)
        }
    }

    func compare(_ other: ConanVersion) -> Int {
        let main = Self.compareItems(nonzeroItems, other.nonzeroItems)
        switch (pre, other.pre) {
        case (.some, .some):
            if main != 0 { return main }
            let preOrder = Self.compareOptional(pre, other.pre)
            return preOrder != 0 ? preOrder : Self.compareOptional(build, other.build)
        case (.some, nil): return main != 0 ? main : -1
        case (nil, .some): return main != 0 ? main : 1
        case (nil, nil): return main != 0 ? main : Self.compareOptional(build, other.build)
        }
    }

    /// The version `index` bumps its item at `index` and drops what follows, with a trailing `-` so that it sorts
    /// before every pre-release of that version (Conan's `upper_bound`). Nil when the item is not a number.
    func upperBound(_ index: Int) -> String? {
        guard index < items.count, case .number(let value) = items[index] else { return nil }
        return (items[..<index].map(\.text) + [value.incremented().text]).joined(separator: ".") + "-"
    }
}
