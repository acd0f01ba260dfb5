/// Python package versions as PEP 440 defines them: epoch, release, pre-, post- and dev-releases and local labels.
struct PypiVersionScheme: VersionScheme {
    let name = "pypi"

    func isValid(_ version: String) -> Bool { Pep440Version(version) != nil }

    func normalize(_ version: String) -> String { Pep440Version(version)?.text ?? version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = Pep440Version(lhs), let right = Pep440Version(rhs) else { return nil }
        return VersionOrder(sign: left.compare(right))
    }
}

/// A parsed PEP 440 version.
struct Pep440Version: Sendable {
    enum LocalPart: Sendable {
        case number(DigitString)
        case label([UInt8])
    }

    var epoch: DigitString = .zero
    var release: [DigitString] = []
    /// 0 for a (alpha), 1 for b (beta), 2 for rc, with the pre-release number.
    var pre: (kind: Int, number: DigitString)?
    var post: DigitString?
    var dev: DigitString?
    var local: [LocalPart]?

    // swiftlint:disable:next cyclomatic_complexity
    init?(_ text: String) {
        let bytes = Array(text.utf8).map(\.lowercased)
        var cursor = 0
        func peek(_ offset: Int = 0) -> UInt8? { cursor + offset < bytes.count ? bytes[cursor + offset] : nil }
        func isSeparator(_ byte: UInt8?) -> Bool {
            byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        func digits() -> DigitString? {
            let start = cursor
            while let byte = peek(), byte.isDigit { cursor += 1 }
            return cursor > start ? DigitString(bytes[start..<cursor]) : nil
        }
        func word(_ candidates: [String]) -> String? {
            for candidate in candidates {
                let utf8 = Array(candidate.utf8)
                if cursor + utf8.count <= bytes.count, Array(bytes[cursor..<cursor + utf8.count]) == utf8 {
                    cursor += utf8.count
                    return candidate
                }
            }
            return nil
        }
        /// An optional separator followed by a number, consumed only when the number is there.
        func separatedNumber() -> DigitString? {
            let start = cursor
            if isSeparator(peek()) { cursor += 1 }
            if let number = digits() { return number }
            cursor = start
            return nil
        }

        if peek() == UInt8(ascii: "v") { cursor += 1 }
        guard let first = digits() else { return nil }
        if peek() == UInt8(ascii: "!") {
            epoch = first
            cursor += 1
            guard let releaseFirst = digits() else { return nil }
            release = [releaseFirst]
        } else {
            release = [first]
        }
        while peek() == UInt8(ascii: "."), let next = peek(1), next.isDigit {
            cursor += 1
            release.append(digits()!)
        }
        // Pre-release.
        var start = cursor
        if isSeparator(peek()) { cursor += 1 }
        if let label = word(["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
            let kind = (label == "alpha" || label == "a") ? 0 : ((label == "beta" || label == "b") ? 1 : 2)
            pre = (kind, separatedNumber() ?? .zero)
        } else {
            cursor = start
        }
        // Post-release.
        start = cursor
        if peek() == UInt8(ascii: "-"), let next = peek(1), next.isDigit {
            cursor += 1
            post = digits()
        } else {
            if isSeparator(peek()) { cursor += 1 }
            if word(["post", "rev", "r"]) != nil {
                post = separatedNumber() ?? .zero
            } else {
                cursor = start
            }
        }
        // Development release.
        start = cursor
        if isSeparator(peek()) { cursor += 1 }
        if word(["dev"]) != nil {
            dev = separatedNumber() ?? .zero
        } else {
            cursor = start
        }
        // Local version label.
        if peek() == UInt8(ascii: "+") {
            cursor += 1
            let parts = bytes[cursor...].split(omittingEmptySubsequences: false, whereSeparator: isSeparator)
            var local: [LocalPart] = []
            for part in parts {
                guard !part.isEmpty, part.allSatisfy(\.isAlphanumeric) else { return nil }
                local.append(part.allDigits ? .number(DigitString(part)) : .label(Array(part)))
            }
            self.local = local
            cursor = bytes.count
        }
        guard cursor == bytes.count else { return nil }
    }

    /// The release with trailing zeros removed, as PEP 440 compares it.
    private var trimmedRelease: ArraySlice<DigitString> {
        var end = release.count
        while end > 0, release[end - 1].isZero { end -= 1 }
        return release[0..<end]
    }

    func compare(_ other: Pep440Version) -> Int {
        if epoch != other.epoch { return threeWay(epoch, other.epoch) }
        let left = trimmedRelease, right = other.trimmedRelease
        for (a, b) in zip(left, right) where a != b { return threeWay(a, b) }
        if left.count != right.count { return threeWay(left.count, right.count) }
        let preOrder = comparePre(other)
        if preOrder != 0 { return preOrder }
        // No post-release sorts before any post-release.
        switch (post, other.post) {
        case (nil, .some): return -1
        case (.some, nil): return 1
        case let (.some(a), .some(b)) where a != b: return threeWay(a, b)
        default: break
        }
        // No dev-release sorts after any dev-release.
        switch (dev, other.dev) {
        case (nil, .some): return 1
        case (.some, nil): return -1
        case let (.some(a), .some(b)) where a != b: return threeWay(a, b)
        default: break
        }
        return compareLocal(other)
    }

    /// A dev-release of the final release (no pre or post) sorts before its pre-releases; a release without a
    /// pre-release sorts after them.
    private var preRank: (Int, Int, DigitString) {
        if let pre { return (1, pre.kind, pre.number) }
        if post == nil, dev != nil { return (0, 0, .zero) }
        return (2, 0, .zero)
    }

    private func comparePre(_ other: Pep440Version) -> Int {
        let a = preRank, b = other.preRank
        if a.0 != b.0 { return threeWay(a.0, b.0) }
        if a.1 != b.1 { return threeWay(a.1, b.1) }
        return threeWay(a.2, b.2)
    }

    private func compareLocal(_ other: Pep440Version) -> Int {
        switch (local, other.local) {
        case (nil, nil): return 0
        case (nil, .some): return -1
        case (.some, nil): return 1
        case let (.some(a), .some(b)):
            for (x, y) in zip(a, b) {
                switch (x, y) {
                case let (.number(m), .number(n)) where m != n: return threeWay(m, n)
                case let (.label(m), .label(n)) where m != n: return m.lexicographicallyPrecedes(n) ? -1 : 1
                case (.number, .label): return 1
                case (.label, .number): return -1
                default: continue
                }
            }
            return threeWay(a.count, b.count)
        }
    }

    /// The PEP 440 normal form.
    var text: String {
        var result = epoch.isZero ? "" : "\(epoch.text)!"
        result += release.map(\.text).joined(separator: ".")
        if let pre { result += ["a", "b", "rc"][pre.kind] + pre.number.text }
        if let post { result += ".post" + post.text }
        if let dev { result += ".dev" + dev.text }
        if let local {
            result += "+" + local.map { part in
                switch part {
                case .number(let value): value.text
                case .label(let bytes): bytes.text
                }
            }.joined(separator: ".")
        }
        return result
    }
}
