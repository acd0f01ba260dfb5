/// Semantic Versioning 2.0.0 ordering, shared by the `semver`, `npm`, `golang` and `nginx` schemes: numeric
/// `MAJOR.MINOR.PATCH`, then pre-releases before the release, build metadata ignored.
struct SemverVersionScheme: VersionScheme {
    /// How a scheme spells its semantic versions.
    enum Flavour: Sendable {
        /// Strict SemVer 2.0.0.
        case semver
        /// node-semver: SemVer with an optional leading `v`, which the canonical spelling drops.
        case npm
        /// Go modules: SemVer with an optional leading `v`; `v1` and `v1.2` are shorthands for `v1.0.0` and `v1.2.0`.
        case golang
        /// nginx: plain SemVer versions.
        case nginx
    }

    let flavour: Flavour

    var name: String {
        switch flavour {
        case .semver: "semver"
        case .npm: "npm"
        case .golang: "golang"
        case .nginx: "nginx"
        }
    }

    func isValid(_ version: String) -> Bool { parse(version) != nil }

    func normalize(_ version: String) -> String {
        if flavour == .npm, version.hasPrefix("v") || version.hasPrefix("V"), parse(version) != nil {
            return String(version.dropFirst())
        }
        return version
    }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = parse(lhs), let right = parse(rhs) else { return nil }
        return VersionOrder(sign: left.precedence(right))
    }

    private func parse(_ version: String) -> SemanticVersion? {
        switch flavour {
        case .semver, .nginx: SemanticVersion(strict: version, allowV: false, allowShorthand: false)
        case .npm: SemanticVersion(strict: version, allowV: true, allowShorthand: false)
        case .golang: SemanticVersion(strict: version, allowV: true, allowShorthand: true)
        }
    }
}

/// One pre-release identifier: numeric identifiers order numerically and before alphanumeric ones.
enum SemverIdentifier: Comparable, Sendable {
    case numeric(DigitString)
    case alphanumeric([UInt8])

    init(_ bytes: ArraySlice<UInt8>) {
        self = bytes.allDigits ? .numeric(DigitString(bytes)) : .alphanumeric(Array(bytes))
    }

    static func < (lhs: SemverIdentifier, rhs: SemverIdentifier) -> Bool {
        switch (lhs, rhs) {
        case let (.numeric(a), .numeric(b)): a < b
        case (.numeric, .alphanumeric): true
        case (.alphanumeric, .numeric): false
        case let (.alphanumeric(a), .alphanumeric(b)): a.lexicographicallyPrecedes(b)
        }
    }
}

/// A parsed semantic version.
struct SemanticVersion: Sendable {
    var major: DigitString
    var minor: DigitString
    var patch: DigitString
    /// Empty for a release.
    var prerelease: [SemverIdentifier]
    var build: [ArraySlice<UInt8>]

    init(major: DigitString, minor: DigitString, patch: DigitString, prerelease: [SemverIdentifier] = [],
         build: [ArraySlice<UInt8>] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses SemVer 2.0.0 (no leading zeros, identifiers of `[0-9A-Za-z-]`), optionally after a `v` and optionally
    /// with the Go shorthands `1` and `1.2`.
    init?(strict text: String, allowV: Bool, allowShorthand: Bool) {
        var bytes = Array(text.utf8)[...]
        if allowV, let first = bytes.first, first == UInt8(ascii: "v") || first == UInt8(ascii: "V") {
            bytes = bytes.dropFirst()
        }
        var coreEnd = bytes.endIndex
        if let index = bytes.firstIndex(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }) { coreEnd = index }
        let core = bytes[bytes.startIndex..<coreEnd].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard core.count == 3 || (allowShorthand && (core.count == 1 || core.count == 2) && coreEnd == bytes.endIndex)
        else { return nil }
        for part in core where !part.allDigits || (part.count > 1 && part.first == UInt8(ascii: "0")) { return nil }
        major = DigitString(core[0])
        minor = core.count > 1 ? DigitString(core[1]) : .zero
        patch = core.count > 2 ? DigitString(core[2]) : .zero
        prerelease = []
        build = []
        var rest = bytes[coreEnd...]
        if rest.first == UInt8(ascii: "-") {
            let end = rest.firstIndex(of: UInt8(ascii: "+")) ?? rest.endIndex
            let identifiers = rest[rest.index(after: rest.startIndex)..<end]
                .split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            for identifier in identifiers {
                guard !identifier.isEmpty, identifier.allSatisfy({ $0.isAlphanumeric || $0 == UInt8(ascii: "-") }),
                      !(identifier.allDigits && identifier.count > 1 && identifier.first == UInt8(ascii: "0"))
                else { return nil }
                prerelease.append(SemverIdentifier(identifier))
            }
            rest = rest[end...]
        }
        if rest.first == UInt8(ascii: "+") {
            let identifiers = rest.dropFirst().split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            for identifier in identifiers {
                guard !identifier.isEmpty, identifier.allSatisfy({ $0.isAlphanumeric || $0 == UInt8(ascii: "-") })
                else { return nil }
                build.append(identifier)
            }
            rest = rest[rest.endIndex...]
        }
        guard rest.isEmpty else { return nil }
    }

    /// SemVer precedence: build metadata does not count.
    func precedence(_ other: SemanticVersion) -> Int {
        if major != other.major { return threeWay(major, other.major) }
        if minor != other.minor { return threeWay(minor, other.minor) }
        if patch != other.patch { return threeWay(patch, other.patch) }
        switch (prerelease.isEmpty, other.prerelease.isEmpty) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false):
            for (a, b) in zip(prerelease, other.prerelease) where a != b { return a < b ? -1 : 1 }
            return threeWay(prerelease.count, other.prerelease.count)
        }
    }

    /// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
    var text: String {
        var result = "\(major.text).\(minor.text).\(patch.text)"
        if !prerelease.isEmpty {
            result += "-" + prerelease.map { identifier in
                switch identifier {
                case .numeric(let value): value.text
                case .alphanumeric(let bytes): bytes.text
                }
            }.joined(separator: ".")
        }
        if !build.isEmpty { result += "+" + build.map(\.text).joined(separator: ".") }
        return result
    }
}
