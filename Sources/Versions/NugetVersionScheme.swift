/// NuGet versions: SemVer 2.0.0 with an optional fourth (revision) number, missing parts read as zero, leading zeros
/// ignored, pre-release labels compared without case and build metadata ignored.
struct NugetVersionScheme: VersionScheme {
    let name = "nuget"

    func isValid(_ version: String) -> Bool { NugetVersion(version) != nil }

    func normalize(_ version: String) -> String { NugetVersion(version)?.text ?? version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = NugetVersion(lhs), let right = NugetVersion(rhs) else { return nil }
        return VersionOrder(sign: left.compare(right))
    }
}

/// A parsed NuGet version.
struct NugetVersion: Sendable {
    var semver: SemanticVersion
    var revision: DigitString

    init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "v") { bytes = bytes.dropFirst() }
        guard bytes.contains(where: \.isDigit), !bytes.contains(where: \.isASCIIWhitespace) else { return nil }
        // Up to four dot-separated numbers, then an optional `-pre` and `+build`.
        var numbers: [DigitString] = []
        var cursor = bytes.startIndex
        while numbers.count < 4 {
            let start = cursor
            while cursor < bytes.endIndex, bytes[cursor].isDigit { cursor += 1 }
            guard cursor > start else { return nil }
            numbers.append(DigitString(bytes[start..<cursor]))
            guard cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: "."),
                  bytes.index(after: cursor) < bytes.endIndex, bytes[bytes.index(after: cursor)].isDigit
            else { break }
            cursor += 1
        }
        while numbers.count < 3 { numbers.append(.zero) }
        revision = numbers.count == 4 ? numbers[3] : .zero
        let suffix = bytes[cursor...]
        guard suffix.isEmpty || suffix.first == UInt8(ascii: "-") || suffix.first == UInt8(ascii: "+"),
              let parsed = SemanticVersion(strict: "0.0.0" + suffix.text, allowV: false, allowShorthand: false)
        else { return nil }
        semver = SemanticVersion(major: numbers[0], minor: numbers[1], patch: numbers[2],
                                 prerelease: parsed.prerelease.map { identifier in
                                     if case .alphanumeric(let bytes) = identifier { return .alphanumeric(bytes.map(\.lowercased)) }
                                     return identifier
                                 },
                                 build: parsed.build)
    }

    /// The revision counts only between versions with the same `MAJOR.MINOR.PATCH`, and there it outranks the
    /// pre-release label.
    func compare(_ other: NugetVersion) -> Int {
        if semver.major == other.semver.major, semver.minor == other.semver.minor, semver.patch == other.semver.patch,
           revision != other.revision {
            return threeWay(revision, other.revision)
        }
        return semver.precedence(other.semver)
    }

    /// `MAJOR.MINOR.PATCH[.REVISION][-pre][+build]`, pre-release lowercase.
    var text: String {
        var core = SemanticVersion(major: semver.major, minor: semver.minor, patch: semver.patch).text
        if !revision.isZero { core += "." + revision.text }
        let full = semver.text
        let suffixStart = full.utf8.firstIndex { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
        return core + (suffixStart.map { String(full[$0...]) } ?? "")
    }
}
