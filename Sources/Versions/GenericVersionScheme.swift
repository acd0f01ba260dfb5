/// The generic `generic` scheme, in the libversion style the vers spec points to: versions split into numeric and
/// alphabetic components (other characters only separate them); words are pre-releases (`1.0alpha1 < 1.0`) except
/// `post`, `patch`, `pl` and `errata`, and a single letter right after a number is a letter suffix (`1.0a > 1.0`).
struct GenericVersionScheme: VersionScheme {
    let name = "generic"

    func isValid(_ version: String) -> Bool {
        version.utf8.contains(where: \.isAlphanumeric) && !version.utf8.contains(where: \.isASCIIWhitespace)
    }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard isValid(lhs), isValid(rhs) else { return nil }
        let left = components(lhs), right = components(rhs)
        let padding = Component(rank: .zero, number: .zero, word: [])
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : padding
            let b = index < right.count ? right[index] : padding
            if a.rank != b.rank { return VersionOrder(a.rank, b.rank) }
            if a.number != b.number { return VersionOrder(a.number, b.number) }
            if a.word != b.word { return a.word.lexicographicallyPrecedes(b.word) ? .ascending : .descending }
        }
        return .same
    }

    private enum Rank: Int, Comparable {
        case preRelease, zero, postRelease, nonzero, letterSuffix
        static func < (lhs: Rank, rhs: Rank) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    private struct Component {
        var rank: Rank
        var number: DigitString
        var word: [UInt8]
    }

    private static let postReleaseWords: Set<[UInt8]> = [Array("post".utf8), Array("patch".utf8), Array("pl".utf8),
                                                          Array("errata".utf8)]

    private func components(_ version: String) -> [Component] {
        let bytes = Array(version.utf8).map(\.lowercased)
        var result: [Component] = []
        var index = 0
        while index < bytes.count {
            let start = index
            if bytes[index].isDigit {
                while index < bytes.count, bytes[index].isDigit { index += 1 }
                let number = DigitString(bytes[start..<index])
                result.append(Component(rank: number.isZero ? .zero : .nonzero, number: number, word: []))
            } else if bytes[index].isLetter {
                while index < bytes.count, bytes[index].isLetter { index += 1 }
                let word = Array(bytes[start..<index])
                let afterNumber = start > 0 && bytes[start - 1].isDigit
                let beforeNumber = index < bytes.count && bytes[index].isDigit
                let rank: Rank = Self.postReleaseWords.contains(word) ? .postRelease
                    : (word.count == 1 && afterNumber && !beforeNumber ? .letterSuffix : .preRelease)
                result.append(Component(rank: rank, number: .zero, word: word))
            } else {
                index += 1
            }
        }
        return result
    }
}
