/// Converts the range notations of package ecosystems (npm's `^1.2 || ~2.0.1`, PyPI's `>=1.0,<2`, RubyGems'
/// `~> 2.0.8`, NuGet's and Maven's `[1.0,2.0)`, Conan's `>1 <2.0 || ^3.2`, nginx advisories' `1.5.0+, 1.4.1+`,
/// OpenSSL advisories' `3.0.0, 1.0.1b`) into vers ranges, the way the vers-spec suites (and univers) do.
public enum NativeRange {
    /// The schemes `vers(fromNative:scheme:)` converts.
    public static let schemes = ["conan", "gem", "maven", "nginx", "npm", "nuget", "openssl", "pypi"]

    /// The vers range a native range of `scheme` denotes. The constraints are sorted by version but otherwise kept
    /// as the notation expands them (an npm `||` may repeat a bound, as the vers-spec suites expect); an empty Conan
    /// range gives a range without constraints, which contains nothing. Throws when the scheme has no native notation
    /// here or the text cannot be read.
    public static func vers(fromNative text: String, scheme: String) throws(VersError) -> VersRange {
        guard let versionScheme = VersionSchemes.named(scheme), schemes.contains(scheme) else {
            throw .nativeRange("there is no native range notation for the scheme \"\(scheme)\"; use one of "
                               + schemes.joined(separator: ", "), range: text, scheme: scheme)
        }
        var reader = Reader(text: text, scheme: scheme)
        let constraints: [VersConstraint]
        switch scheme {
        case "npm": constraints = try reader.npm()
        case "pypi": constraints = try reader.pypi()
        case "gem": constraints = try reader.gem()
        case "maven", "nuget": constraints = try reader.interval()
        case "conan": constraints = try reader.conan()
        case "nginx": constraints = try reader.nginx()
        default: constraints = try reader.openssl()
        }
        if constraints.count == 1, constraints[0].comparator == .any {
            return VersRange(uncheckedScheme: scheme, constraints: constraints)
        }
        for constraint in constraints where !versionScheme.isValid(constraint.version) {
            throw .nativeRange("\"\(constraint.version)\" is not a valid \(scheme) version", range: text, scheme: scheme)
        }
        return VersRange(uncheckedScheme: scheme, constraints: VersRange.sorted(constraints, by: versionScheme))
    }
}

/// The parsers of the native notations; `text` and `scheme` name the input in errors.
private struct Reader {
    let text: String
    let scheme: String

    func failure(_ reason: String) -> VersError { .nativeRange(reason, range: text, scheme: scheme) }

    // MARK: npm (node-semver)

    private static let npmComparators: [(String, VersComparator)] = [
        ("==", .equal), ("<=", .lessOrEqual), (">=", .greaterOrEqual), ("<", .less), (">", .greater), ("=", .equal),
    ]

    mutating func npm() throws(VersError) -> [VersConstraint] {
        if text == "*" { return [VersConstraint(comparator: .any, version: "")] }
        var constraints: [VersConstraint] = []
        for alternative in Substring(text).pieces(separatedBy: "||") {
            if alternative.containsText(" - ") {
                constraints += try npmSpec(String(alternative))
                continue
            }
            var pending = ""
            for token in alternative.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                let token = String(token)
                if let comparator = Self.npmComparators.first(where: { $0.0 == pending + token })?.1 {
                    pending = comparator.rawValue
                    continue
                }
                if let comparator = VersComparator(rawValue: pending) {
                    if token.hasSuffix(".x") {
                        // node-semver ignores the comparator before an `x` range, as univers does.
                        constraints += try npmSpec(token)
                    } else {
                        constraints.append(VersConstraint(comparator: comparator, version: try coerce(stripV(token))))
                    }
                } else if token.hasPrefix("^") {
                    constraints += try caret(String(token.dropFirst()))
                } else if token.hasSuffix(".x") || token.hasPrefix("~") {
                    constraints += try npmSpec(token)
                } else {
                    var comparator = VersComparator.equal
                    var version = Substring(token)
                    if let native = Self.npmComparators.first(where: { token.hasPrefix($0.0) }) {
                        comparator = native.1
                        version = version.drop { "<>=".contains($0) }
                    }
                    constraints.append(VersConstraint(comparator: comparator, version: try coerce(stripV(String(version)))))
                }
                pending = ""
            }
        }
        return constraints
    }

    private func stripV(_ token: String) -> String {
        String(token.drop { $0 == "v" || $0 == "V" })
    }

    /// `^1.2.3`: from the version up to the next major (or minor, or patch, below 1.0.0).
    private func caret(_ token: String) throws(VersError) -> [VersConstraint] {
        let text = try coerce(token)
        guard let version = SemanticVersion(strict: text, allowV: false, allowShorthand: false) else {
            throw failure("\"^\(token)\" is not a caret range")
        }
        let release = SemanticVersion(major: version.major, minor: version.minor, patch: version.patch)
        let high: SemanticVersion
        if !version.major.isZero {
            high = SemanticVersion(major: version.major.incremented(), minor: .zero, patch: .zero)
        } else if !version.minor.isZero {
            high = SemanticVersion(major: .zero, minor: version.minor.incremented(), patch: .zero)
        } else {
            high = SemanticVersion(major: .zero, minor: .zero, patch: release.patch.incremented())
        }
        return [VersConstraint(comparator: .greaterOrEqual, version: text),
                VersConstraint(comparator: .less, version: high.text)]
    }

    /// semantic_version's `Version.coerce`: pads `1` and `1.2` to three numbers, drops leading zeros and reads what
    /// follows as pre-release or build.
    func coerce(_ token: String) throws(VersError) -> String {
        let bytes = Array(token.utf8)
        var index = 0
        var numbers: [DigitString] = []
        while numbers.count < 3 {
            let start = index
            while index < bytes.count, bytes[index].isDigit { index += 1 }
            guard index > start else {
                if numbers.isEmpty { throw failure("\"\(token)\" has no version number") }
                index = start - 1
                break
            }
            numbers.append(DigitString(bytes[start..<index]))
            guard numbers.count < 3, index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), bytes[index + 1].isDigit
            else { break }
            index += 1
        }
        while numbers.count < 3 { numbers.append(.zero) }
        var result = numbers.map(\.text).joined(separator: ".")
        if index < bytes.count {
            let rest = bytes[index...].map { $0.isAlphanumeric || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "-") ? $0 : UInt8(ascii: "-") }
            var prerelease: ArraySlice<UInt8> = [], build: ArraySlice<UInt8> = []
            var body = rest[...]
            switch body.first {
            case UInt8(ascii: "+"), UInt8(ascii: "."):
                build = body.dropFirst()
            default:
                if body.first == UInt8(ascii: "-") { body = body.dropFirst() }
                if let plus = body.firstIndex(of: UInt8(ascii: "+")) {
                    prerelease = body[..<plus]
                    build = body[(plus + 1)...]
                } else {
                    prerelease = body
                }
            }
            let buildText = build.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: ".") : $0 }
            if !prerelease.isEmpty { result += "-" + prerelease.text }
            if !buildText.isEmpty { result += "+" + buildText.text }
        }
        guard SemanticVersion(strict: result, allowV: false, allowShorthand: false) != nil else {
            throw failure("\"\(token)\" is not a version")
        }
        return result
    }

    /// One clause of semantic_version's `NpmSpec`.
    private struct Clause: Hashable {
        var comparator: VersComparator
        var version: String
        var prereleaseAlways: Bool
    }

    /// semantic_version's `NpmSpec`, used by univers for hyphen, `x` and `~` ranges: each alternative becomes a set
    /// of clauses, and a bound with a pre-release adds the clauses that confine pre-releases to its own release.
    private func npmSpec(_ expression: String) throws(VersError) -> [VersConstraint] {
        var groups: [Set<Clause>] = []
        for group in Substring(expression).pieces(separatedBy: "||") {
            var group = group.trimmingASCIISpaces
            if group.isEmpty { group = ">=0.0.0" }
            var simple: [(VersComparator, SemanticVersion)] = []
            let hyphenated = group.pieces(separatedBy: " - ")
            if hyphenated.count > 1 {
                simple += try parseSimple(">=" + hyphenated[0])
                simple += try parseSimple("<=" + hyphenated[1])
            } else {
                for block in group.split(separator: " ", omittingEmptySubsequences: false) {
                    simple += try parseSimple(String(block))
                }
            }
            var prereleaseClauses: Set<Clause> = [], releaseClauses: Set<Clause> = []
            for (comparator, target) in simple {
                guard !target.prerelease.isEmpty else {
                    releaseClauses.insert(Clause(comparator: comparator, version: target.text, prereleaseAlways: false))
                    continue
                }
                if comparator.isGreater {
                    let next = SemanticVersion(major: target.major, minor: target.minor, patch: target.patch.incremented())
                    prereleaseClauses.insert(Clause(comparator: .less, version: next.text, prereleaseAlways: true))
                } else if comparator.isLower {
                    let base = SemanticVersion(major: target.major, minor: target.minor, patch: .zero)
                    prereleaseClauses.insert(Clause(comparator: .greaterOrEqual, version: base.text, prereleaseAlways: true))
                }
                prereleaseClauses.insert(Clause(comparator: comparator, version: target.text, prereleaseAlways: false))
                let truncated = SemanticVersion(major: target.major, minor: target.minor, patch: target.patch)
                releaseClauses.insert(Clause(comparator: comparator, version: truncated.text, prereleaseAlways: false))
            }
            for clauses in [prereleaseClauses, releaseClauses] where !clauses.isEmpty && !groups.contains(clauses) {
                groups.append(clauses)
            }
        }
        return groups.flatMap { group in group.map { VersConstraint(comparator: $0.comparator, version: $0.version) } }
    }

    /// One block of `NpmSpec`: `[v][op]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`, where a number may be `x`, `X` or `*`.
    private func parseSimple(_ block: String) throws(VersError) -> [(VersComparator, SemanticVersion)] {
        var rest = Substring(block)
        if rest.first == "v" { rest = rest.dropFirst() }
        var prefix = ""
        for candidate in ["<=", ">=", "<", ">", "=", "^", "~"] where rest.hasPrefix(candidate) {
            prefix = candidate
            rest = rest.dropFirst(candidate.count)
            break
        }
        var build: Substring?
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
        }
        var prerelease: Substring?
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
        }
        let numbers = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { throw failure("\"\(block)\" is not an npm range") }
        var parts: [DigitString?] = []
        for number in numbers {
            if number == "x" || number == "X" || number == "*" {
                parts.append(nil)
            } else if let first = number.first, first.isASCII, first.isNumber, number.allSatisfy({ $0.isASCII && $0.isNumber }),
                      number == "0" || first != "0" {
                parts.append(DigitString(Array(number.utf8)))
            } else {
                throw failure("\"\(block)\" is not an npm range")
            }
        }
        while parts.count < 3 { parts.append(nil) }
        let (major, minor, patch) = (parts[0], parts[1], parts[2])
        if (major == nil || minor == nil || patch == nil) && (prerelease != nil || build != nil) {
            throw failure("\"\(block)\" puts a pre-release on a partial version")
        }
        var target: SemanticVersion
        if major == nil {
            target = SemanticVersion(major: .zero, minor: .zero, patch: .zero)
            guard prefix == "" || prefix == "=" || prefix == ">=" else { throw failure("\"\(block)\" is not an npm range") }
            prefix = ">="
        } else if minor == nil {
            target = SemanticVersion(major: major!, minor: .zero, patch: .zero)
        } else if patch == nil {
            target = SemanticVersion(major: major!, minor: minor!, patch: .zero)
        } else {
            let suffix = (prerelease.map { "-" + $0 } ?? "") + (build.map { "+" + $0 } ?? "")
            guard let full = SemanticVersion(strict: "\(major!.text).\(minor!.text).\(patch!.text)\(suffix)",
                                             allowV: false, allowShorthand: false)
            else { throw failure("\"\(block)\" is not an npm range") }
            target = full
            if prefix != "" && prefix != "=" { target.build = [] }
        }
        func nextMajor(_ v: SemanticVersion) -> SemanticVersion {
            !v.prerelease.isEmpty && v.minor.isZero && v.patch.isZero
                ? SemanticVersion(major: v.major, minor: .zero, patch: .zero)
                : SemanticVersion(major: v.major.incremented(), minor: .zero, patch: .zero)
        }
        func nextMinor(_ v: SemanticVersion) -> SemanticVersion {
            !v.prerelease.isEmpty && v.patch.isZero
                ? SemanticVersion(major: v.major, minor: v.minor, patch: .zero)
                : SemanticVersion(major: v.major, minor: v.minor.incremented(), patch: .zero)
        }
        func nextPatch(_ v: SemanticVersion) -> SemanticVersion {
            !v.prerelease.isEmpty ? SemanticVersion(major: v.major, minor: v.minor, patch: v.patch)
                : SemanticVersion(major: v.major, minor: v.minor, patch: v.patch.incremented())
        }
        let release = SemanticVersion(major: target.major, minor: target.minor, patch: target.patch)
        switch prefix {
        case "^":
            let high: SemanticVersion
            if !target.major.isZero { high = nextMajor(release) }
            else if !target.minor.isZero { high = nextMinor(release) }
            else if minor == nil { high = nextMajor(release) }
            else if patch == nil { high = nextMinor(release) }
            else { high = nextPatch(release) }
            return [(.greaterOrEqual, target), (.less, high)]
        case "~":
            return [(.greaterOrEqual, target), (.less, minor == nil ? nextMajor(target) : nextMinor(target))]
        case "", "=":
            if minor == nil { return [(.greaterOrEqual, target), (.less, nextMajor(target))] }
            if patch == nil { return [(.greaterOrEqual, target), (.less, nextMinor(target))] }
            return [(.equal, target)]
        case ">":
            if minor == nil { return [(.greaterOrEqual, nextMajor(target))] }
            if patch == nil { return [(.greaterOrEqual, nextMinor(target))] }
            return [(.greater, target)]
        case ">=":
            return [(.greaterOrEqual, target)]
        case "<":
            return [(.less, target)]
        default:
            if minor == nil { return [(.less, nextMajor(target))] }
            if patch == nil { return [(.less, nextMinor(target))] }
            return [(.lessOrEqual, target)]
        }
    }

    // MARK: PyPI (PEP 440 specifiers)

    func pypi() throws(VersError) -> [VersConstraint] {
        let compact = String(text.filter { $0 != " " })
        if let bad = compact.first(where: { ";\\/|{}()`?'\"\t\n".contains($0) }) {
            throw failure("\"\(bad)\" is not supported in a PyPI version specifier")
        }
        let comparators: [(String, VersComparator?)] = [
            ("===", nil), ("~=", nil), ("==", .equal), ("!=", .notEqual), ("<=", .lessOrEqual), (">=", .greaterOrEqual),
            ("<", .less), (">", .greater),
        ]
        var constraints: [VersConstraint] = []
        for specifier in compact.split(separator: ",", omittingEmptySubsequences: false) {
            guard let (native, comparator) = comparators.first(where: { specifier.hasPrefix($0.0) }) else {
                throw failure("\"\(specifier)\" has no comparator")
            }
            guard let comparator else { throw failure("the operator \"\(native)\" is not supported") }
            let version = String(specifier.dropFirst(native.count))
            guard !version.hasSuffix(".*") else { throw failure("the wildcard version \"\(version)\" is not supported") }
            guard PypiVersionScheme().isValid(version) else { throw failure("\"\(version)\" is not a PEP 440 version") }
            constraints.append(VersConstraint(comparator: comparator, version: version))
        }
        return constraints
    }

    // MARK: RubyGems

    func gem() throws(VersError) -> [VersConstraint] {
        var body = Substring(text).trimmingASCIISpaces
        body = body.drop { $0 == "(" }
        while body.last == ")" { body = body.dropLast() }
        var constraints: [VersConstraint] = []
        for requirement in body.split(separator: ",", omittingEmptySubsequences: false) {
            var rest = requirement.trimmingASCIISpaces
            var op = "="
            for candidate in ["~>", "!=", ">=", "<=", "=", ">", "<"] where rest.hasPrefix(candidate) {
                op = candidate
                rest = rest.dropFirst(candidate.count).trimmingASCIISpaces
                break
            }
            guard let version = GemVersion(String(rest)) else { throw failure("\"\(requirement)\" is not a gem requirement") }
            if op == "~>" {
                // `~> 2.0.8` is `>= 2.0.8` and `< 2.1`: the release, bumped at its second-to-last number.
                var release = version.release
                let lower = release.map(\.text).joined(separator: ".")
                if release.count > 1 { release.removeLast() }
                release[release.count - 1] = release[release.count - 1].incremented()
                constraints.append(VersConstraint(comparator: .greaterOrEqual, version: lower))
                constraints.append(VersConstraint(comparator: .less, version: release.map(\.text).joined(separator: ".")))
            } else {
                constraints.append(VersConstraint(comparator: VersComparator(rawValue: op)!, version: version.original))
            }
        }
        // RubyGems drops exact duplicates.
        var unique: [VersConstraint] = []
        for constraint in constraints where !unique.contains(constraint) { unique.append(constraint) }
        return unique
    }

    // MARK: Maven and NuGet intervals

    func interval() throws(VersError) -> [VersConstraint] {
        var rest = Substring(text.filter { $0 != " " })
        var constraints: [VersConstraint] = []
        var sawInterval = false
        while let open = rest.first, open == "[" || open == "(" {
            guard let close = rest.firstIndex(where: { $0 == "]" || $0 == ")" }) else {
                throw failure("an interval is not closed")
            }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            let lowerInclusive = open == "[", upperInclusive = rest[close] == "]"
            if let comma = inner.firstIndex(of: ",") {
                let lower = inner[..<comma], upper = inner[inner.index(after: comma)...]
                guard !upper.contains(",") else { throw failure("an interval has more than two bounds") }
                if !lower.isEmpty, lower == upper { throw failure("an interval cannot have identical bounds") }
                if !lower.isEmpty {
                    constraints.append(VersConstraint(comparator: lowerInclusive ? .greaterOrEqual : .greater, version: String(lower)))
                }
                if !upper.isEmpty {
                    constraints.append(VersConstraint(comparator: upperInclusive ? .lessOrEqual : .less, version: String(upper)))
                }
            } else {
                guard lowerInclusive, upperInclusive, !inner.isEmpty else {
                    throw failure("a single version must be written [version]")
                }
                constraints.append(VersConstraint(comparator: .equal, version: String(inner)))
            }
            sawInterval = true
            rest = rest[rest.index(after: close)...]
            if rest.first == "," { rest = rest.dropFirst() }
        }
        if !rest.isEmpty {
            guard !sawInterval else { throw failure("only intervals may follow an interval") }
            // A bare version is Maven's "soft" requirement: any version.
            return [VersConstraint(comparator: .any, version: "")]
        }
        return constraints
    }

    // MARK: Conan

    func conan() throws(VersError) -> [VersConstraint] {
        let expression = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)[0]
        var constraints: [VersConstraint] = []
        for alternative in Substring(expression).pieces(separatedBy: "||") {
            for var item in alternative.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                if item.last == "-" { item = item.dropLast() }
                constraints += try conanCondition(item)
            }
        }
        return constraints
    }

    private func conanCondition(_ expression: Substring) throws(VersError) -> [VersConstraint] {
        if expression.isEmpty || expression == "*" { return [VersConstraint(comparator: .greaterOrEqual, version: "0.0.0")] }
        var op = String(expression.prefix(1))
        var index = 1
        if !["<", ">", "^", "~", "="].contains(op) {
            op = "="
            index = 0
        }
        if op == "<" || op == ">", expression.dropFirst().first == "=" {
            op += "="
            index = 2
        }
        let version = String(expression.dropFirst(index))
        guard !version.isEmpty else { throw failure("\"\(expression)\" has no version") }
        let parsed = ConanVersion(version)
        switch op {
        case "~":
            guard let high = parsed.upperBound(parsed.items.count > 1 ? 1 : 0) else {
                throw failure("\"\(expression)\" cannot be bumped")
            }
            return [VersConstraint(comparator: .greaterOrEqual, version: version), VersConstraint(comparator: .less, version: high)]
        case "^":
            let first = parsed.items.firstIndex { $0 != .number(.zero) } ?? parsed.items.count
            guard let high = parsed.upperBound(first) else { throw failure("\"\(expression)\" cannot be bumped") }
            return [VersConstraint(comparator: .greaterOrEqual, version: version), VersConstraint(comparator: .less, version: high)]
        default:
            return [VersConstraint(comparator: VersComparator(rawValue: op)!, version: version)]
        }
    }

    // MARK: nginx and OpenSSL advisories

    func nginx() throws(VersError) -> [VersConstraint] {
        let cleaned = String(text.filter { $0 != " " }).lowercased()
        if cleaned == "all" { return [VersConstraint(comparator: .any, version: "")] }
        var constraints: [VersConstraint] = []
        for clause in cleaned.split(separator: ",", omittingEmptySubsequences: false) {
            if let dash = clause.firstIndex(of: "-") {
                constraints.append(VersConstraint(comparator: .greaterOrEqual, version: String(clause[..<dash])))
                constraints.append(VersConstraint(comparator: .lessOrEqual, version: String(clause[clause.index(after: dash)...])))
            } else if clause.contains("+") {
                let start = String(clause.prefix { $0 != "+" })
                guard let version = SemanticVersion(strict: start, allowV: false, allowShorthand: false) else {
                    throw failure("\"\(start)\" is not an nginx version")
                }
                constraints.append(VersConstraint(comparator: .greaterOrEqual, version: start))
                // An even minor number is a stable branch, which ends at the next minor version.
                if version.minor.isZero || (version.minor.digits.last! - UInt8(ascii: "0")) % 2 == 0 {
                    let end = SemanticVersion(major: version.major, minor: version.minor.incremented(), patch: .zero)
                    constraints.append(VersConstraint(comparator: .less, version: end.text))
                }
            } else {
                constraints.append(VersConstraint(comparator: .equal, version: String(clause)))
            }
        }
        return constraints
    }

    func openssl() throws(VersError) -> [VersConstraint] {
        String(text.filter { $0 != " " }).lowercased().split(separator: ",", omittingEmptySubsequences: false).map {
            VersConstraint(comparator: .equal, version: String($0))
        }
    }
}

extension Substring {
    /// The text without leading and trailing ASCII whitespace.
    var trimmingASCIISpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[start...end]
    }

    /// The pieces between occurrences of `separator` (empty pieces kept), found without regular expressions.
    func pieces(separatedBy separator: String) -> [Substring] {
        let needle = Array(separator.utf8)
        var result: [Substring] = []
        var pieceStart = startIndex
        var index = startIndex
        while index < endIndex {
            if self[index...].utf8.starts(with: needle) {
                result.append(self[pieceStart..<index])
                index = utf8.index(index, offsetBy: needle.count)
                pieceStart = index
            } else {
                index = self.index(after: index)
            }
        }
        result.append(self[pieceStart..<endIndex])
        return result
    }

    func containsText(_ needle: String) -> Bool { pieces(separatedBy: needle).count > 1 }
}
