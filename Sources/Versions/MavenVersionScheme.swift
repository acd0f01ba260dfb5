/// Apache Maven versions, ordered like Maven's `ComparableVersion`: numbers and qualifiers split at `.`, `-` and
/// digit/letter transitions, with the known qualifiers `alpha < beta < milestone < rc < snapshot < (release) < sp`.
struct MavenVersionScheme: VersionScheme {
    let name = "maven"

    func isValid(_ version: String) -> Bool {
        !version.isEmpty && !version.utf8.contains(where: \.isASCIIWhitespace)
    }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard isValid(lhs), isValid(rhs) else { return nil }
        return VersionOrder(sign: MavenItem.compare(MavenItem.parse(lhs), MavenItem.parse(rhs)))
    }
}

/// One item of a parsed Maven version.
indirect enum MavenItem: Sendable {
    case number(DigitString)
    case qualifier(String)
    case list([MavenItem])

    private static let qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]

    /// Whether Maven treats the item as empty (zero, the release qualifier, an empty list) when trimming.
    private var isNull: Bool {
        switch self {
        case .number(let value): value.isZero
        case .qualifier(let text): text.isEmpty
        case .list(let items): items.isEmpty
        }
    }

    /// Parses a version into nested lists: a `-` or a digit/letter transition opens a sub-list.
    static func parse(_ version: String) -> MavenItem {
        let buffer = Array(version.utf8).map(\.lowercased)
        // A stack of open lists; each list is nested as the last item of the one below it.
        var stack: [[MavenItem]] = [[]]
        var start = 0
        var isDigit = false

        func item(_ slice: ArraySlice<UInt8>, followedByDigit: Bool = false) -> MavenItem {
            if slice.allDigits { return .number(DigitString(slice)) }
            var text = slice.text
            if followedByDigit, slice.count == 1 {
                switch text {
                case "a": text = "alpha"
                case "b": text = "beta"
                case "m": text = "milestone"
                default: break
                }
            }
            switch text {
            case "ga", "final": text = ""
            case "cr": text = "rc"
            default: break
            }
            return .qualifier(text)
        }
        func openList() {
            trim(&stack[stack.count - 1])
            stack.append([])
        }

        for (index, byte) in buffer.enumerated() {
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") {
                stack[stack.count - 1].append(index == start ? .number(.zero) : item(buffer[start..<index]))
                start = index + 1
                if byte == UInt8(ascii: "-") { openList() }
            } else if byte.isDigit {
                if !isDigit, index > start {
                    stack[stack.count - 1].append(item(buffer[start..<index], followedByDigit: true))
                    openList()
                    start = index
                }
                isDigit = true
            } else {
                if isDigit, index > start {
                    stack[stack.count - 1].append(item(buffer[start..<index]))
                    openList()
                    start = index
                }
                isDigit = false
            }
        }
        if buffer.count > start { stack[stack.count - 1].append(item(buffer[start...])) }
        trim(&stack[stack.count - 1])
        // Close the lists: each becomes the last item of its parent; only the innermost and outermost are trimmed
        // at the end, as Maven's parser does.
        while stack.count > 1 {
            let inner = stack.removeLast()
            stack[stack.count - 1].append(.list(inner))
        }
        trim(&stack[0])
        return .list(stack[0])
    }

    /// Removes trailing null items, stopping at the first non-null item that is not a list.
    private static func trim(_ items: inout [MavenItem]) {
        var index = items.count - 1
        while index >= 0 {
            let item = items[index]
            if item.isNull {
                items.removeLast()
            } else if case .list = item {
                // A non-empty list neither stops the trim nor is removed.
            } else {
                break
            }
            index -= 1
        }
    }

    /// Compares an item with another, or with a missing item (`nil`).
    static func compare(_ this: MavenItem, _ other: MavenItem?) -> Int {
        switch this {
        case .number(let value):
            switch other {
            case .number(let otherValue)?: return threeWay(value, otherValue)
            case .qualifier?, .list?: return 1
            case nil: return value.isZero ? 0 : 1
            }
        case .qualifier(let text):
            switch other {
            case nil: return compareQualifiers(text, "")
            case .number?, .list?: return -1
            case .qualifier(let otherText)?: return compareQualifiers(text, otherText)
            }
        case .list(let items):
            switch other {
            case nil: return items.isEmpty ? 0 : compare(items[0], nil)
            case .number?: return -1
            case .qualifier?: return 1
            case .list(let otherItems)?:
                for index in 0..<max(items.count, otherItems.count) {
                    let left = index < items.count ? items[index] : nil
                    let right = index < otherItems.count ? otherItems[index] : nil
                    let result: Int
                    if let left {
                        result = compare(left, right)
                    } else if let right {
                        result = -compare(right, nil)
                    } else {
                        result = 0
                    }
                    if result != 0 { return result }
                }
                return 0
            }
        }
    }

    private static func compareQualifiers(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(qualifierValue(lhs).utf8), right = Array(qualifierValue(rhs).utf8)
        if left == right { return 0 }
        return left.lexicographicallyPrecedes(right) ? -1 : 1
    }

    /// Known qualifiers order by their rank; any other qualifier sorts after them, alphabetically.
    private static func qualifierValue(_ text: String) -> String {
        if let index = qualifiers.firstIndex(of: text) { return String(index + 1) }
        return "\(qualifiers.count)-\(text)"
    }
}
