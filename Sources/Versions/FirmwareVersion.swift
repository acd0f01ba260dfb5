/// A version as OT vendors write it (`V2.14.1`, `V14 SP1 Update 14`, `1.96A`, `3.4.4 Build 16102416`, `July/21/2023`),
/// read once into a comparable form.
///
/// Three readings, tried in order: a calendar date; a structured version (dotted numbers with an optional letter on the
/// last one, then qualifiers such as service pack, update, hotfix, patch and build in a fixed hierarchy); and, when
/// neither fits, a generic sequence of number and letter tokens compared the way rpm does. Two structured versions or
/// two dates compare exactly; anything involving the generic reading is a guess the caller marks as lenient.
public struct FirmwareVersion: Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public let text: String
    let reading: Reading
    /// Leading fixed components when the version ends in a wildcard (`9.0.x` → 2), else nil.
    public let wildcardAfter: Int?
    /// The generic reading, kept for comparisons against versions read only generically.
    let tokenReading: [Token]

    enum Reading: Hashable {
        case date(year: Int, month: Int, day: Int)
        case structured(main: [MainComponent], qualifiers: [Int])
        case tokens([Token])
    }

    struct MainComponent: Hashable {
        var number: Int
        /// 0 for none, 1 for `a`, 2 for `b`… (`1.96A`).
        var letter: Int
    }

    enum Token: Hashable {
        case number(Int)
        case word(String)
    }

    /// Whether the reading is exact (a date or a structured version) rather than a generic token guess.
    public var isStructured: Bool {
        if case .tokens = reading { return false }
        return true
    }

    /// Whether this is a calendar date rather than a version number.
    public var isDate: Bool {
        if case .date = reading { return true }
        return false
    }

    /// Reads `text`; nil when it holds nothing to order (no digit and no letter, or more than 64 characters).
    public init?(_ text: String) {
        let trimmed = text.asciiTrimmed
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        self.text = trimmed
        let tokens = FirmwareVersion.tokens(of: FirmwareVersion.strippingPrefix(trimmed.asciiLowercased))
        tokenReading = tokens
        if let date = FirmwareVersion.readDate(trimmed) {
            reading = date
            wildcardAfter = nil
            return
        }
        if let (structured, wildcard) = FirmwareVersion.readStructured(trimmed) {
            reading = structured
            wildcardAfter = wildcard
            return
        }
        guard !tokens.isEmpty else { return nil }
        reading = .tokens(tokens)
        wildcardAfter = nil
    }

    /// The canonical spelling used in normalised ranges: `2.14.1`, `14-sp1-update14`, `1.96a`, `2023-07-21`.
    public var description: String {
        switch reading {
        case let .date(year, month, day):
            return "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
        case let .structured(main, qualifiers):
            var out = main.map { component -> String in
                component.letter == 0 ? String(component.number)
                    : String(component.number) + String(Character(Unicode.Scalar(UInt8(96 + component.letter))))
            }.joined(separator: ".")
            if let wildcardAfter, wildcardAfter == main.count { out += ".x" }
            for (slot, value) in qualifiers.enumerated() where value != 0 {
                let qualifier = Qualifier.allCases[slot]
                if qualifier == .prerelease {
                    let rank = (-value + 999) / 1000
                    let number = rank * 1000 + value
                    out += "-\(Qualifier.prereleaseNames[rank] ?? "pre")\(number == 0 ? "" : String(number))"
                } else {
                    out += "-\(qualifier.canonicalName)\(value)"
                }
            }
            return out
        case let .tokens(tokens):
            return tokens.map { token -> String in
                switch token {
                case let .number(n): return String(n)
                case let .word(w): return w
                }
            }.joined(separator: ".")
        }
    }

    /// Orders two versions; nil when one is a date and the other is not, since those cannot be ordered.
    public static func compare(_ lhs: FirmwareVersion, _ rhs: FirmwareVersion) -> VersionOrder? {
        // One reading at a time rather than a tuple of both, which would copy both readings (and retain their arrays)
        // for every comparison.
        switch lhs.reading {
        case let .date(y1, m1, d1):
            guard case let .date(y2, m2, d2) = rhs.reading else { return nil }
            return VersionOrder(y1 * 10_000 + m1 * 100 + d1, y2 * 10_000 + m2 * 100 + d2)
        case let .structured(main1, q1):
            switch rhs.reading {
            case .date:
                return nil
            case let .structured(main2, q2):
                let count = max(main1.count, main2.count)
                for index in 0..<count {
                    let a = index < main1.count ? main1[index] : MainComponent(number: 0, letter: 0)
                    let b = index < main2.count ? main2[index] : MainComponent(number: 0, letter: 0)
                    if a.number != b.number { return VersionOrder(a.number, b.number) }
                    if a.letter != b.letter { return VersionOrder(a.letter, b.letter) }
                }
                for slot in 0..<q1.count where q1[slot] != q2[slot] {
                    return VersionOrder(q1[slot], q2[slot])
                }
                return .same
            case .tokens:
                return compareTokens(lhs.tokenReading, rhs.tokenReading)
            }
        case .tokens:
            if case .date = rhs.reading { return nil }
            return compareTokens(lhs.tokenReading, rhs.tokenReading)
        }
    }

    /// The smallest version above every version that starts with this one's fixed components (`9.0.x` → `9.1`).
    func wildcardCeiling() -> FirmwareVersion? {
        guard let wildcardAfter, wildcardAfter > 0, case let .structured(main, qualifiers) = reading else { return nil }
        var components = Array(main.prefix(wildcardAfter))
        components[components.count - 1].number += 1
        components[components.count - 1].letter = 0
        return FirmwareVersion(text: text, reading: .structured(main: components, qualifiers: qualifiers.map { _ in 0 }),
                               wildcardAfter: nil, tokenReading: components.map { .number($0.number) })
    }

    /// The same version without its wildcard (`9.0.x` → `9.0`), the lower end of what it covers.
    func withoutWildcard() -> FirmwareVersion {
        FirmwareVersion(text: text, reading: reading, wildcardAfter: nil, tokenReading: tokenReading)
    }

    /// The version without its last main component: the maintenance branch it belongs to (`5.0.27` → `5.0`).
    func branch() -> [Int]? {
        guard case let .structured(main, _) = reading, main.count >= 2 else { return nil }
        return main.dropLast().map(\.number)
    }

    /// The main components' numbers, for branch comparisons.
    func mainNumbers() -> [Int]? {
        guard case let .structured(main, _) = reading else { return nil }
        return main.map(\.number)
    }

    init(text: String, reading: Reading, wildcardAfter: Int?, tokenReading: [Token]) {
        self.text = text
        self.reading = reading
        self.wildcardAfter = wildcardAfter
        self.tokenReading = tokenReading
    }
}

extension FirmwareVersion {
    /// Qualifier slots in the order they rank: a release candidate sits below the release; a service pack above it;
    /// an update within a service pack; a hotfix within an update; a build number last.
    enum Qualifier: Int, CaseIterable {
        case prerelease, servicePack, featurePack, update, serviceRelease, revision, hotfix, patch, build

        var canonicalName: String {
            switch self {
            case .prerelease: return "pre"
            case .servicePack: return "sp"
            case .featurePack: return "fp"
            case .update: return "update"
            case .serviceRelease: return "sr"
            case .revision: return "r"
            case .hotfix: return "hf"
            case .patch: return "patch"
            case .build: return "build"
            }
        }

        static let keywords: [String: Qualifier] = [
            "sp": .servicePack, "servicepack": .servicePack,
            "fp": .featurePack, "featurepack": .featurePack,
            "update": .update, "upd": .update, "u": .update, "cu": .update, "ru": .update,
            "sr": .serviceRelease,
            "r": .revision, "rev": .revision, "revision": .revision,
            "hf": .hotfix, "hotfix": .hotfix, "hotfixrev": .hotfix,
            "patch": .patch, "p": .patch,
            "build": .build, "bld": .build, "b": .build,
        ]

        static let prereleaseRanks: [String: Int] = ["alpha": 3, "a": 3, "beta": 2, "rc": 1, "pre": 2, "preview": 2]
        static let prereleaseNames: [Int: String] = [3: "alpha", 2: "beta", 1: "rc"]
    }

    static let months: [String: Int] = [
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
        "september": 9, "october": 10, "november": 11, "december": 12,
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
        "nov": 11, "dec": 12,
    ]

    /// `2023-07-21`, `July/21/2023`, `july 1 2017`, `april 1, 2018`, `26-June-2017`, `07-August 2018`.
    static func readDate(_ text: String) -> Reading? {
        // Quick refusal for what cannot be a date: a month name starts with one of these letters, an ISO date with a
        // digit and has a hyphen.
        guard let first = text.utf8.first else { return nil }
        let lower = first | 0x20
        if first >= 48, first <= 57 {
            guard text.utf8.contains(UInt8(ascii: "-")) || text.utf8.contains(UInt8(ascii: " ")) else { return nil }
        } else if !"jfmasond".utf8.contains(lower) {
            return nil
        }
        let pieces = splitPieces(text.asciiLowercased, separators: [" ", "/", ",", "-", "."])
        guard pieces.count == 3 else { return nil }
        func valid(_ y: Int, _ m: Int, _ d: Int) -> Reading? {
            (1900...2199).contains(y) && (1...12).contains(m) && (1...31).contains(d) ? .date(year: y, month: m, day: d) : nil
        }
        if let month = months[pieces[0]], let day = Int(pieces[1]), let year = Int(pieces[2]) { return valid(year, month, day) }
        if let day = Int(pieces[0]), let month = months[pieces[1]], let year = Int(pieces[2]) { return valid(year, month, day) }
        if pieces[0].utf8.count == 4, let year = Int(pieces[0]), let month = Int(pieces[1]), let day = Int(pieces[2]),
           text.contains("-") { return valid(year, month, day) }
        return nil
    }

    static func splitPieces(_ text: String, separators: Set<Character>) -> [String] {
        text.split(whereSeparator: { separators.contains($0) }).map(String.init)
    }

    /// Drops the prefixes vendors put before a version number: `V`, `Version`, `Ver.`, `Rev.`, `FW`, `Firmware`, `R`.
    static func strippingPrefix(_ lowercased: String) -> String {
        // Most versions start with a digit: nothing to strip, and no prefix comparisons to make.
        guard let first = lowercased.utf8.first, first == UInt8(ascii: "v") || first == UInt8(ascii: "r")
                || first == UInt8(ascii: "f") || first == UInt8(ascii: "s") else { return lowercased }
        // `v2.9.1`, the commonest prefix.
        let bytes = lowercased.utf8
        if first == UInt8(ascii: "v"), let second = bytes.dropFirst().first, second >= 48, second <= 57 {
            return String(lowercased.dropFirst())
        }
        var text = Substring(lowercased)
        for prefix in ["version ", "version", "ver. ", "ver.", "ver ", "revision ", "rev. ", "rev.", "rev ",
                       "firmware ", "firmware", "fw ", "fw", "sv"] where text.hasPrefix(prefix) {
            let rest = text.dropFirst(prefix.count).drop(while: { $0 == " " })
            if rest.first?.isASCIIDigitCharacter == true || rest.first == "v" || rest.first == "r" {
                text = rest
                break
            }
        }
        if let first = text.first, first == "v" || first == "r" {
            let rest = text.dropFirst().drop(while: { $0 == " " })
            if rest.first?.isASCIIDigitCharacter == true { text = rest }
        }
        return String(text)
    }

    /// The structured reading, or nil when the text has anything it does not understand.
    static func readStructured(_ text: String) -> (Reading, Int?)? {
        let body = Array(strippingPrefix(text.asciiLowercased).utf8)
        var index = 0
        func readNumber() -> Int? {
            let start = index
            var value = 0
            while index < body.count, body[index] >= 48, body[index] <= 57 {
                if index - start >= 18 { return nil }
                value = value * 10 + Int(body[index] - 48)
                index += 1
            }
            return index > start ? value : nil
        }
        func readLetters() -> String {
            let start = index
            while index < body.count, (body[index] >= 97 && body[index] <= 122) { index += 1 }
            return String(decoding: body[start..<index], as: UTF8.self)
        }
        // Main part: numbers separated by dots (or by hyphens when every separator is a hyphen: `1-02-08`).
        var main: [MainComponent] = []
        var wildcard: Int?
        guard let first = readNumber() else { return nil }
        main.append(MainComponent(number: first, letter: 0))
        let hyphenated = !body.contains(UInt8(ascii: ".")) && body.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") }
        let mainSeparator = hyphenated ? UInt8(ascii: "-") : UInt8(ascii: ".")
        while index < body.count {
            if body[index] == mainSeparator, index + 1 < body.count {
                let save = index
                index += 1
                if let number = readNumber() {
                    main.append(MainComponent(number: number, letter: 0))
                    continue
                }
                if body[index] == UInt8(ascii: "x"), index + 1 == body.count || body[index + 1] == UInt8(ascii: " ") {
                    index += 1
                    wildcard = main.count
                    break
                }
                index = save
                break
            }
            break
        }
        // A letter fixed to the last number: `1.96A`, `11.2a`; `2.3x` is a wildcard.
        if index < body.count, body[index] >= 97, body[index] <= 122 {
            let save = index
            let letters = readLetters()
            let followedByDigit = index < body.count && body[index] >= 48 && body[index] <= 57
            if letters == "x", !followedByDigit, wildcard == nil {
                wildcard = main.count
            } else if letters.utf8.count == 1, !followedByDigit, Qualifier.keywords[letters] == nil || index == body.count {
                main[main.count - 1].letter = Int(letters.utf8.first! - 96)
            } else {
                index = save
            }
        }
        // Qualifiers: `SP1`, `Update 14`, `HF7`, `Patch03`, `Build 16102416`, `(96)`, `-r29`, `-41`, `Beta 4`.
        var qualifiers = [Int](repeating: 0, count: Qualifier.allCases.count)
        while index < body.count {
            let c = body[index]
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") { index += 1; continue }
            if c == UInt8(ascii: "(") {
                index += 1
                guard let number = readNumber(), index < body.count, body[index] == UInt8(ascii: ")") else { return nil }
                index += 1
                qualifiers[Qualifier.build.rawValue] = number
                continue
            }
            if c == UInt8(ascii: "-") {
                index += 1
                if let number = readNumber() { qualifiers[Qualifier.build.rawValue] = number; continue }
                continue
            }
            guard c >= 97, c <= 122 else { return nil }
            var word = readLetters()
            if word == "build", index + 1 < body.count, body[index] == UInt8(ascii: " "),
               body[index + 1] == UInt8(ascii: "n") {
                // `Build Nr. 1234`
                index += 1
                _ = readLetters()
                while index < body.count, body[index] == UInt8(ascii: ".") || body[index] == UInt8(ascii: " ") { index += 1 }
            }
            if word == "final" || word == "release" { continue }
            if word == "hotfix", index < body.count, body[index] >= 97 {
                word += readLetters()
            }
            while index < body.count, body[index] == UInt8(ascii: " ") || body[index] == UInt8(ascii: ".") { index += 1 }
            if let rank = Qualifier.prereleaseRanks[word] {
                let number = readNumber() ?? 0
                // alpha1 = -2999 < beta1 = -1999 < rc1 = -999 < the release (0).
                qualifiers[Qualifier.prerelease.rawValue] = -(rank * 1000) + min(number, 999)
                continue
            }
            guard let qualifier = Qualifier.keywords[word], let number = readNumber() else { return nil }
            qualifiers[qualifier.rawValue] = number
        }
        return (.structured(main: main, qualifiers: qualifiers), wildcard)
    }

    /// Number and letter runs, lowercase; everything else separates.
    static func tokens(of text: String) -> [Token] {
        var tokens: [Token] = []
        var digits = 0
        var digitCount = 0
        var letters: [UInt8] = []
        func flush() {
            if digitCount > 0 { tokens.append(.number(digits)); digits = 0; digitCount = 0 }
            if !letters.isEmpty { tokens.append(.word(String(decoding: letters, as: UTF8.self))); letters = [] }
        }
        for byte in text.utf8 {
            if byte >= 48, byte <= 57 {
                if !letters.isEmpty { flush() }
                if digitCount < 18 { digits = digits * 10 + Int(byte - 48) }
                digitCount += 1
            } else if byte >= 97, byte <= 122 {
                if digitCount > 0 { flush() }
                letters.append(byte)
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }

    static func compareTokens(_ lhs: [Token], _ rhs: [Token]) -> VersionOrder? {
        // `SV3.20` against `2.80`: a version starting with a word cannot be ordered against one starting with a number.
        if !lhs.isEmpty, !rhs.isEmpty, lhs[0].isNumber != rhs[0].isNumber { return nil }
        for index in 0..<max(lhs.count, rhs.count) {
            guard index < lhs.count else { return rhs[index].isPrerelease ? .descending : .ascending }
            guard index < rhs.count else { return lhs[index].isPrerelease ? .ascending : .descending }
            // One token at a time, as `compare` does with readings, so that no tuple copies both.
            switch lhs[index] {
            case let .number(a):
                switch rhs[index] {
                case let .number(b) where a != b: return VersionOrder(a, b)
                case .number: continue
                case .word: return .descending
                }
            case let .word(a):
                switch rhs[index] {
                case .number: return .ascending
                case let .word(b) where a != b: return VersionOrder(a, b)
                case .word: continue
                }
            }
        }
        return .same
    }
}

extension FirmwareVersion.Token {
    var isNumber: Bool {
        if case .number = self { return true }
        return false
    }

    var isPrerelease: Bool {
        if case let .word(word) = self { return FirmwareVersion.Qualifier.prereleaseRanks[word] != nil }
        return false
    }
}
