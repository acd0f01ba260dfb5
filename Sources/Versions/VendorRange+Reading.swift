extension VendorRange {
    /// Reads a `product_version_range` or `product_version` text. Never fails: what cannot be read is `unreadable`
    /// with the reason.
    public static func read(_ text: String) -> VendorRange {
        let trimmed = text.asciiTrimmed
        guard !trimmed.isEmpty else {
            return VendorRange(text: text, confidence: .unreadable, body: .unreadable("the text is empty"))
        }
        guard trimmed.utf8.count <= 500 else {
            return VendorRange(text: text, confidence: .unreadable, body: .unreadable("the text is over 500 characters"))
        }
        let lower = trimmed.asciiLowercased
        if lower.hasPrefix("vers:") {
            return readVers(text: text, trimmed: trimmed)
        }
        if trimmed == "*" {
            return VendorRange(text: text, confidence: .exact, body: .all)
        }
        return RangeTextReader(text: text, body: trimmed, canonicalPipes: false).read()
    }

    private static func readVers(text: String, trimmed: String) -> VendorRange {
        let afterPrefix = trimmed.dropFirst(5)
        guard let slash = afterPrefix.firstIndex(of: "/") else {
            return VendorRange(text: text, confidence: .unreadable, body: .unreadable("a vers string needs a scheme and a slash"))
        }
        let scheme = afterPrefix[..<slash].asciiLowercased
        let constraints = String(afterPrefix[afterPrefix.index(after: slash)...])
        if constraints.asciiTrimmed == "*" {
            return VendorRange(text: text, confidence: .exact, body: .all)
        }
        if scheme != "all", VersionSchemes.named(scheme) != nil {
            if let range = try? VersRange.parse(trimmed) {
                return VendorRange(text: text, confidence: .exact, body: .vers(range))
            }
            var reading = RangeTextReader(text: text, body: constraints, canonicalPipes: false).read()
            if reading.confidence == .exact {
                reading = VendorRange(text: text, confidence: .lenient, subject: reading.subject,
                                      notes: reading.notes + ["not a canonical vers:\(scheme) range; read with firmware ordering"],
                                      body: reading.body)
            }
            return reading
        }
        // `vers:all/<V4.3.8` is what CISA writes: `all` is not a scheme that orders versions, so read them as firmware.
        return RangeTextReader(text: text, body: constraints, canonicalPipes: true).read()
    }
}

/// The lenient grammar: comparators, separators, phrases (`prior to`, `and later`, `through`), version groups,
/// the components named before a range and the conditions after it.
struct RangeTextReader {
    let text: String
    let body: String
    /// `vers:all/…` bodies: constraints must be joined by `|` to count as exact.
    let canonicalPipes: Bool

    enum Token: Equatable {
        case comparator(String)
        case separator
        case dash
        case word(String)
    }

    struct Entry {
        var comparator: String?
        var version: FirmwareVersion
        var joinedToPrevious = false
        var adjacentToPrevious = false
    }

    func read() -> VendorRange {
        var notes: [String] = []
        var guessed = false
        var working = body.replacingUnderscores()
        // Parenthesised comments, kept as notes: `(only affected by CVE-2019-10943)`; build numbers such as `(96)` stay.
        working = Self.extractingComments(from: working, into: &notes)
        if !notes.isEmpty { guessed = true }
        let lower = working.asciiLowercased
        if lower.contains("serial") {
            return readSerialRange(lower, notes: notes)
        }
        let tokens = Self.tokenize(working)
        var entries: [Entry] = []
        var pendingComparator: String?
        var subject: [String] = []
        var condition: [String] = []
        var sawAll = false
        var sawSeparatorSinceEntry = true
        var pendingJoin = false
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            switch token {
            case let .comparator(op):
                if pendingComparator != nil { return unreadable("two comparators in a row", notes) }
                pendingComparator = op
                if !entries.isEmpty && !sawSeparatorSinceEntry && entries.last?.comparator == nil { guessed = true }
                index += 1
            case .separator:
                sawSeparatorSinceEntry = true
                index += 1
            case .dash:
                if entries.isEmpty || pendingComparator != nil { return unreadable("a dash without a version before it", notes) }
                pendingJoin = true
                index += 1
            case let .word(word):
                let lowered = word.asciiLowercased
                if let length = Self.inclusiveJoinPhrase(tokens, at: index), !entries.isEmpty, pendingComparator == nil {
                    pendingJoin = true
                    index += length
                    continue
                }
                if let (op, length) = Self.prefixPhrase(tokens, at: index) {
                    if pendingComparator != nil { return unreadable("two comparators in a row", notes) }
                    pendingComparator = op
                    index += length
                    continue
                }
                if let (op, length) = Self.postfixPhrase(tokens, at: index), let last = entries.indices.last,
                   entries[last].comparator == nil {
                    entries[last].comparator = op
                    index += length
                    continue
                }
                if let length = Self.joinPhrase(tokens, at: index), !entries.isEmpty, pendingComparator == nil {
                    pendingJoin = true
                    index += length
                    continue
                }
                if Self.connectives.contains(lowered) {
                    sawSeparatorSinceEntry = true
                    index += 1
                    continue
                }
                if Self.fillers.contains(lowered) {
                    if lowered == "all" { sawAll = true }
                    index += 1
                    continue
                }
                if let (version, length) = Self.versionGroup(tokens, at: index, afterComparator: pendingComparator != nil) {
                    // A code right before a comparator names a component (`NMC2 <= 6.9.6`), not a version.
                    if pendingComparator == nil, !version.isStructured, index + length < tokens.count,
                       case .comparator = tokens[index + length] {
                        subject.append(word)
                        index += length
                        continue
                    }
                    var entry = Entry(comparator: pendingComparator, version: version)
                    entry.joinedToPrevious = pendingJoin
                    entry.adjacentToPrevious = !entries.isEmpty && !sawSeparatorSinceEntry && !pendingJoin
                    if !entries.isEmpty, !sawSeparatorSinceEntry, !pendingJoin,
                       canonicalPipes || pendingComparator == nil {
                        guessed = true
                        notes.appendOnce("versions without a separator between them")
                    }
                    entries.append(entry)
                    pendingComparator = nil
                    pendingJoin = false
                    sawSeparatorSinceEntry = false
                    index += length
                    continue
                }
                if FirmwareVersion.months[lowered] != nil {
                    return unreadable("a date without a year", notes)
                }
                // A component named between the comparator and its version (`<= HiOS 07.0.02`, `< WinCC 7.2 Upd 15`).
                if pendingComparator != nil, !Self.conditionStarts.contains(lowered),
                   let skip = (1...3).first(where: { offset in
                       index + offset < tokens.count && Self.versionGroup(tokens, at: index + offset, afterComparator: false) != nil
                           && tokens[index..<(index + offset)].allSatisfy { if case .word = $0 { return true } else { return false } }
                   }) {
                    let words = tokens[index..<(index + skip)].compactMap { if case let .word(w) = $0 { return w } else { return nil } }
                    notes.append("applies to: \(words.joined(separator: " "))")
                    guessed = true
                    index += skip
                    continue
                }
                if entries.isEmpty && pendingComparator == nil {
                    subject.append(word)
                    index += 1
                    continue
                }
                if Self.conditionStarts.contains(lowered) || pendingComparator == nil {
                    condition = tokens[index...].compactMap { if case let .word(w) = $0 { return w } else { return nil } }
                    index = tokens.count
                    continue
                }
                return unreadable("\"\(word)\" is not a version", notes)
            }
        }
        if pendingComparator != nil { return unreadable("a comparator without a version after it", notes) }
        if pendingJoin { return unreadable("a range without its upper end", notes) }
        if !subject.isEmpty {
            let words = subject.joined(separator: " ")
            if entries.isEmpty && !sawAll {
                return unreadable("no version in \"\(words)\"", notes)
            }
            if subject.count > 8 { return unreadable("too many words before the versions", notes) }
            notes.append("applies to: \(words)")
            guessed = true
        }
        if !condition.isEmpty {
            notes.append("condition: \(condition.joined(separator: " "))")
            guessed = true
        }
        if entries.isEmpty {
            guard sawAll else { return unreadable("no version in the text", notes) }
            return VendorRange(text: text, confidence: guessed ? .lenient : .exact, notes: notes, body: .all)
        }
        for entry in entries {
            if !entry.version.isStructured { guessed = true; notes.appendOnce("read \"\(entry.version.text)\" as a generic version") }
            if entry.version.isDate { guessed = true; notes.appendOnce("read as dates") }
            if entry.version.wildcardAfter != nil { guessed = true; notes.appendOnce("read \"\(entry.version.text)\" as a wildcard") }
        }
        // Several upper bounds and nothing else: one bound per maintenance branch (`<= 4.2.21 | <= 5.0.27`).
        let uppers = entries.filter { $0.comparator == "<" || $0.comparator == "<=" }
        if uppers.count >= 2, uppers.count == entries.count, !entries.contains(where: \.joinedToPrevious),
           uppers.allSatisfy({ $0.version.branch() != nil }),
           Set(uppers.compactMap { $0.version.branch() }).count == uppers.count {
            notes.append("several upper bounds read as one per maintenance branch")
            return VendorRange(text: text, confidence: .lenient, notes: notes,
                               body: .branches(uppers.map { VendorRange.Bound(version: $0.version, inclusive: $0.comparator == "<=") }))
        }
        // Several versions after one comparator (`<v36.011 v35.013 v34.014`): the comparator applies to each.
        var spread = entries
        for i in spread.indices.dropFirst() where spread[i].adjacentToPrevious && spread[i].comparator == nil
            && (spread[i - 1].comparator == "<" || spread[i - 1].comparator == "<=") {
            spread[i].comparator = spread[i - 1].comparator
        }
        if spread.map(\.comparator) != entries.map(\.comparator) {
            let bounds = spread.map { VendorRange.Bound(version: $0.version, inclusive: $0.comparator == "<=") }
            if bounds.allSatisfy({ $0.version.branch() != nil }), Set(bounds.compactMap { $0.version.branch() }).count == bounds.count {
                notes.append("several upper bounds read as one per maintenance branch")
                return VendorRange(text: text, confidence: .lenient, notes: notes, body: .branches(bounds))
            }
        }
        guard let intervals = Self.intervals(from: entries, guessed: &guessed) else {
            return unreadable("the bounds do not form a range", notes)
        }
        return VendorRange(text: text, confidence: guessed ? .lenient : .exact, notes: notes, body: .intervals(intervals))
    }

    private func unreadable(_ reason: String, _ notes: [String]) -> VendorRange {
        VendorRange(text: text, confidence: .unreadable, notes: notes, body: .unreadable(reason))
    }

    /// `<=the first 5 digits of serial number 22081`, `<=The first 5 digits of serial No. "26061"`.
    private func readSerialRange(_ lower: String, notes: [String]) -> VendorRange {
        let tokens = Self.tokenize(lower)
        guard let op = tokens.lazy.compactMap({ if case let .comparator(op) = $0 { return op } else { return nil } }).first,
              ["<", "<=", ">", ">=", "="].contains(op) else {
            return unreadable("a serial-number range without a comparator", notes)
        }
        let numbers = FirmwareVersion.splitPieces(lower, separators: [" ", "\"", "'", "."]).filter { $0.allSatisfy(\.isASCIIDigitCharacter) }
        guard let bound = numbers.last, let version = FirmwareVersion(bound) else {
            return unreadable("a serial-number range without a number", notes)
        }
        var prefixDigits: Int?
        let words = FirmwareVersion.splitPieces(lower, separators: [" "])
        if let first = words.firstIndex(of: "first"), first + 1 < words.count, let n = Int(words[first + 1]) {
            prefixDigits = n
        }
        let bounds = VendorRange.Bound(version: version, inclusive: op.contains("=") || op == "=")
        let interval: VendorRange.Interval
        switch op {
        case "<", "<=": interval = .init(lower: nil, upper: bounds)
        case ">", ">=": interval = .init(lower: bounds, upper: nil)
        default: interval = .init(lower: bounds, upper: bounds)
        }
        return VendorRange(text: text, confidence: .lenient, subject: .serialNumber(prefixDigits: prefixDigits),
                           notes: notes + ["bounds the serial number\(prefixDigits.map { "'s first \($0) digits" } ?? ""), not the version"],
                           body: .intervals([interval]))
    }

    // MARK: Intervals

    private static func intervals(from entries: [Entry], guessed: inout Bool) -> [VendorRange.Interval]? {
        var intervals: [VendorRange.Interval] = []
        var index = 0
        func bound(_ entry: Entry, inclusive: Bool) -> VendorRange.Bound { .init(version: entry.version, inclusive: inclusive) }
        while index < entries.count {
            let entry = entries[index]
            let next = index + 1 < entries.count ? entries[index + 1] : nil
            switch entry.comparator {
            case ">=", ">":
                var lower = VendorRange.Bound(version: entry.version.withoutWildcard(), inclusive: entry.comparator == ">=")
                if entry.version.wildcardAfter != nil, entry.comparator == ">", let ceiling = entry.version.wildcardCeiling() {
                    lower = .init(version: ceiling, inclusive: true)
                }
                if let next, next.comparator == "<" || next.comparator == "<=" || (next.comparator == nil && next.joinedToPrevious) {
                    intervals.append(.init(lower: lower, upper: upperBound(next)))
                    index += 2
                } else {
                    intervals.append(.init(lower: lower, upper: nil))
                    index += 1
                }
            case "<", "<=":
                intervals.append(.init(lower: nil, upper: upperBound(entry)))
                index += 1
            case nil, "=", "==":
                if let next, next.joinedToPrevious {
                    intervals.append(.init(lower: bound(entry, inclusive: true), upper: upperBound(next)))
                    index += 2
                } else if entry.version.wildcardAfter != nil, let ceiling = entry.version.wildcardCeiling() {
                    intervals.append(.init(lower: .init(version: entry.version.withoutWildcard(), inclusive: true),
                                           upper: .init(version: ceiling, inclusive: false)))
                    index += 1
                } else {
                    intervals.append(.init(lower: bound(entry, inclusive: true), upper: bound(entry, inclusive: true)))
                    index += 1
                }
            default:
                // `!=` in vendor text is rare and ambiguous; refusing beats a confident wrong answer.
                return nil
            }
        }
        return intervals
    }

    /// `<= 2.x` covers all of 2.x; `< 4.0.x` stops below 4.0.
    private static func upperBound(_ entry: Entry) -> VendorRange.Bound {
        if entry.version.wildcardAfter != nil, entry.comparator != "<", let ceiling = entry.version.wildcardCeiling() {
            return .init(version: ceiling, inclusive: false)
        }
        return .init(version: entry.version, inclusive: entry.comparator != "<")
    }

    // MARK: Tokens and phrases

    static let fillers: Set<String> = ["all", "versions", "version", "affected", "firmware", "software", "releases",
                                       "release", "products", "product", "the", "are", "is", "from"]
    static let connectives: Set<String> = ["and", "or", "&", "as", "well"]
    static let conditionStarts: Set<String> = ["with", "without", "only", "when", "if", "on", "running", "using",
                                               "including", "excluding", "in", "for", "where", "except", "installed",
                                               "that", "which", "shipped", "via"]

    /// `prior to`, `before`, `earlier than`, `up to`, `but not including`: a comparator before a version.
    static func prefixPhrase(_ tokens: [Token], at index: Int) -> (String, Int)? {
        let phrases: [([String], String)] = [
            (["prior", "to"], "<"), (["before"], "<"), (["earlier", "than"], "<"), (["older", "than"], "<"),
            (["below"], "<"), (["lower", "than"], "<"), (["less", "than"], "<"), (["up", "to"], "<="),
            (["but", "not", "including"], "<"), (["later", "than"], ">"), (["newer", "than"], ">"),
            (["greater", "than"], ">"), (["since"], ">="), (["starting", "with"], ">="), (["starting", "from"], ">="),
        ]
        return match(phrases, tokens, at: index)
    }

    /// `and earlier`, `or later`, `and newer`: a comparator after a version.
    static func postfixPhrase(_ tokens: [Token], at index: Int) -> (String, Int)? {
        let phrases: [([String], String)] = [
            (["and", "prior"], "<="), (["and", "earlier"], "<="), (["or", "earlier"], "<="), (["and", "older"], "<="),
            (["or", "older"], "<="), (["and", "below"], "<="), (["or", "lower"], "<="), (["and", "lower"], "<="),
            (["and", "later"], ">="), (["or", "later"], ">="), (["and", "newer"], ">="), (["or", "newer"], ">="),
            (["and", "above"], ">="), (["or", "above"], ">="), (["or", "higher"], ">="), (["and", "higher"], ">="),
            (["onwards"], ">="), (["and", "up"], ">="), (["or", "greater"], ">="), (["+"], ">="),
        ]
        return match(phrases, tokens, at: index)
    }

    /// `up to and including` between two versions.
    static func inclusiveJoinPhrase(_ tokens: [Token], at index: Int) -> Int? {
        match([(["up", "to", "and", "including"], "")], tokens, at: index).map(\.1)
    }

    /// `through`, `to`, `until` between two versions.
    static func joinPhrase(_ tokens: [Token], at index: Int) -> Int? {
        match([(["through"], ""), (["thru"], ""), (["to"], ""), (["until"], "")], tokens, at: index).map(\.1)
    }

    private static func match(_ phrases: [([String], String)], _ tokens: [Token], at index: Int) -> (String, Int)? {
        for (words, op) in phrases where index + words.count <= tokens.count {
            let matches = words.indices.allSatisfy { offset in
                if case let .word(w) = tokens[index + offset] { return w.asciiLowercased == words[offset] }
                return false
            }
            if matches { return (op, words.count) }
        }
        return nil
    }

    /// The longest run of words from `index` that reads as one version (`V14 SP1 Update 14`, `july 1 2017`).
    static func versionGroup(_ tokens: [Token], at index: Int, afterComparator: Bool) -> (FirmwareVersion, Int)? {
        guard case let .word(first) = tokens[index] else { return nil }
        var words: [String] = []
        var best: (FirmwareVersion, Int)?
        var cursor = index
        while cursor < tokens.count, cursor - index < 6 {
            switch tokens[cursor] {
            case let .word(word): words.append(word)
            case .separator where !words.isEmpty && FirmwareVersion.months[words[0].asciiLowercased] != nil:
                cursor += 1
                continue
            default: break
            }
            guard case .word = tokens[cursor] else { break }
            cursor += 1
            let joined = words.joined(separator: " ")
            if let version = FirmwareVersion(joined), version.isStructured {
                best = (version, cursor - index)
            }
        }
        if let best { return best }
        // One word with a digit, or a short letter code right after a comparator (`<=W`, `<= D25`, `<=LF`).
        let hasDigit = first.contains(where: \.isASCIIDigitCharacter)
        let shortCode = afterComparator && first.utf8.count <= 3 && first.allSatisfy { $0.isLetter || $0.isNumber }
        guard hasDigit || shortCode, let version = FirmwareVersion(first) else { return nil }
        return (version, 1)
    }

    /// Comparators, separators (`|`, `,`, `;`) and words; a lone `-` between spaces is a dash.
    static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        let scalars = Array(text.unicodeScalars)
        func flush() {
            if !word.isEmpty {
                tokens.append(word == "-" || word == "–" ? .dash : (word == "/" ? .separator : .word(word)))
                word = ""
            }
        }
        var index = 0
        while index < scalars.count {
            let c = scalars[index]
            let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
            switch c {
            case "<", ">", "=", "!":
                if c == "!" && next != "=" { word.unicodeScalars.append(c); index += 1; continue }
                flush()
                var op = String(c)
                if next == "=" || (c == "=" && (next == "<" || next == ">")) {
                    op.unicodeScalars.append(next!)
                    index += 1
                }
                switch op {
                case "=<": op = "<="
                case "=>": op = ">="
                case "==": op = "="
                default: break
                }
                tokens.append(.comparator(op))
            case "|", ",", ";":
                flush()
                tokens.append(.separator)
            case " ", "\t", "\n", "\r", "\u{00A0}":
                flush()
            default:
                word.unicodeScalars.append(c)
            }
            index += 1
        }
        flush()
        return tokens
    }

    /// Takes out parenthesised text that is not a bare build number and keeps it as a note.
    static func extractingComments(from text: String, into notes: inout [String]) -> String {
        var output = ""
        var depth = 0
        var group = ""
        for character in text {
            if character == "(" {
                if depth > 0 { group.append(character) }
                depth += 1
                continue
            }
            if character == ")", depth > 0 {
                depth -= 1
                if depth > 0 { group.append(character); continue }
                let content = group.asciiTrimmed
                let isBuild = !content.isEmpty && content.utf8.count <= 6
                    && content.allSatisfy { $0.isASCIIDigitCharacter || ($0.isLetter && $0.isASCII) || $0 == "." }
                    && content.contains(where: \.isASCIIDigitCharacter)
                if isBuild {
                    output += "(\(content))"
                } else if !content.isEmpty {
                    notes.append("comment: \(content)")
                    output += " "
                }
                group = ""
                continue
            }
            if depth > 0 { group.append(character) } else { output.append(character) }
        }
        if depth > 0 { output += "(" + group }
        return output
    }
}

extension String {
    /// CISA writes spaces as underscores in some ranges (`<V18_Update_2`).
    func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}

extension Array where Element == String {
    mutating func appendOnce(_ element: String) {
        if !contains(element) { append(element) }
    }
}
