/// RPM versions (`[epoch:]version[-release]`) ordered by epoch, then `rpmvercmp` on the version and on the release.
struct RpmVersionScheme: VersionScheme {
    let name = "rpm"

    func isValid(_ version: String) -> Bool { RpmVersion(version) != nil }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = RpmVersion(lhs), let right = RpmVersion(rhs) else { return nil }
        if left.epoch != right.epoch { return VersionOrder(left.epoch, right.epoch) }
        let version = rpmvercmp(left.version, right.version)
        if version != 0 { return VersionOrder(sign: version) }
        return VersionOrder(sign: rpmvercmp(left.release, right.release))
    }
}

/// A parsed RPM version.
struct RpmVersion: Sendable {
    var epoch: DigitString
    var version: ArraySlice<UInt8>
    var release: ArraySlice<UInt8>

    init?(_ text: String) {
        let bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty, !bytes.contains(where: { $0.isASCIIWhitespace || $0 >= 0x7F }) else { return nil }
        var rest = bytes
        epoch = .zero
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            guard bytes[..<colon].allDigits else { return nil }
            epoch = DigitString(bytes[..<colon])
            rest = bytes[bytes.index(after: colon)...]
        }
        if let dash = rest.firstIndex(of: UInt8(ascii: "-")) {
            version = rest[..<dash]
            release = rest[rest.index(after: dash)...]
        } else {
            version = rest
            release = []
        }
        guard !version.isEmpty else { return nil }
    }
}

/// RPM's `rpmvercmp`: alternating digit and letter segments, other characters only separate, `~` sorts before
/// everything (even the end) and `^` after the end but before anything else.
func rpmvercmp(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Int {
    if lhs == rhs { return 0 }
    var one = lhs, two = rhs
    func isSeparator(_ byte: UInt8) -> Bool {
        !byte.isAlphanumeric && byte != UInt8(ascii: "~") && byte != UInt8(ascii: "^")
    }
    while !one.isEmpty || !two.isEmpty {
        let oneSeparators = one.prefix(while: isSeparator).count
        let twoSeparators = two.prefix(while: isSeparator).count
        one = one.dropFirst(oneSeparators)
        two = two.dropFirst(twoSeparators)
        if oneSeparators > 0 || twoSeparators > 0 { continue }
        if one.first == UInt8(ascii: "~") || two.first == UInt8(ascii: "~") {
            if one.first != UInt8(ascii: "~") { return 1 }
            if two.first != UInt8(ascii: "~") { return -1 }
            one = one.dropFirst()
            two = two.dropFirst()
            continue
        }
        if one.first == UInt8(ascii: "^") {
            if two.isEmpty { return 1 }
            if two.first != UInt8(ascii: "^") { return -1 }
            one = one.dropFirst()
            two = two.dropFirst()
            continue
        }
        if two.first == UInt8(ascii: "^") { return one.isEmpty ? -1 : 1 }
        if one.isEmpty || two.isEmpty { break }
        let isNumber = one.first!.isDigit
        let matches: (UInt8) -> Bool = isNumber ? { $0.isDigit } : { $0.isLetter }
        let oneSegment = one.prefix(while: matches)
        let twoSegment = two.prefix(while: matches)
        if twoSegment.isEmpty { return isNumber ? 1 : -1 }
        one = one.dropFirst(oneSegment.count)
        two = two.dropFirst(twoSegment.count)
        if isNumber {
            let a = DigitString(oneSegment), b = DigitString(twoSegment)
            if a != b { return threeWay(a, b) }
        } else if oneSegment != twoSegment {
            return oneSegment.lexicographicallyPrecedes(twoSegment) ? -1 : 1
        }
    }
    if one.isEmpty && two.isEmpty { return 0 }
    return one.isEmpty ? -1 : 1
}
