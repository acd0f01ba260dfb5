/// A version range as vendors publish it in CSAF product trees (`< V2.14.1`, `vers:all/>=V7.80<V9.40`,
/// `>=1.220|<=1.281`, `NMC2 <= 6.9.6`, `All versions`), read into intervals with a confidence and the original text.
///
/// Canonical `vers:` strings of a known scheme are read exactly by `VersRange`; everything else is read by a lenient
/// grammar over OT version conventions (`FirmwareVersion`). A text the grammar cannot read is `unreadable`, and an
/// unreadable range never answers "outside": `decide` says it cannot decide.
public struct VendorRange: Sendable, Hashable {
    /// How sure the reading is.
    public enum Confidence: String, Sendable, Codable, Comparable, CaseIterable {
        /// The text is unambiguous: a canonical vers, or plain comparators over plain versions.
        case exact
        /// The text was read with a guess, each one listed in `notes`.
        case lenient
        /// The text could not be read as a range.
        case unreadable

        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// What the range bounds: usually the version, sometimes the leading digits of the serial number.
    public enum Subject: Sendable, Hashable {
        case version
        case serialNumber(prefixDigits: Int?)
    }

    /// One bound of an interval.
    struct Bound: Sendable, Hashable {
        var version: FirmwareVersion
        var inclusive: Bool
    }

    /// A contiguous stretch of versions; nil bounds are open.
    struct Interval: Sendable, Hashable {
        var lower: Bound?
        var upper: Bound?

        /// `[">=7.80", "<9.40"]`, or `["=2.2.0"]` for a single version.
        var comparisons: [String] {
            if let lower, let upper, lower == upper, lower.inclusive { return ["=\(lower.version)"] }
            var parts: [String] = []
            if let lower { parts.append((lower.inclusive ? ">=" : ">") + lower.version.description) }
            if let upper { parts.append((upper.inclusive ? "<=" : "<") + upper.version.description) }
            return parts
        }
    }

    enum Body: Sendable, Hashable {
        case all
        case intervals([Interval])
        /// Upper bounds per maintenance branch (`<= 4.2.21 | <= 5.0.27`): each applies to its own branch.
        case branches([Bound])
        case vers(VersRange)
        case unreadable(String)
    }

    /// The text as published.
    public let text: String
    public let confidence: Confidence
    public let subject: Subject
    /// The guesses made and the parts set aside (conditions, comments, components named before the range).
    public let notes: [String]
    let body: Body

    /// The reading as a vers string (`vers:generic/>=7.80|<9.40`), or nil when no vers string says the same thing.
    public var normalized: String? {
        switch body {
        case .all:
            return "vers:all/*"
        case let .vers(range):
            return range.description
        case .branches, .unreadable:
            return nil
        case let .intervals(intervals):
            let scheme = intervals.contains { ($0.lower ?? $0.upper)?.version.isDate == true } ? "datetime" : "generic"
            // vers writes a single version without its `=`.
            let parts = intervals.flatMap(\.comparisons).map { $0.hasPrefix("=") ? String($0.dropFirst()) : $0 }
            return "vers:\(scheme)/" + parts.joined(separator: "|")
        }
    }

    /// A person-readable account of the reading: `<2.14.1`, `>=7.80 and <9.40`, `all versions`.
    public let reading: String

    static func describe(_ body: Body) -> String {
        switch body {
        case .all:
            return "all versions"
        case let .vers(range):
            return range.description
        case let .unreadable(reason):
            return "unreadable (\(reason))"
        case let .branches(bounds):
            return bounds.map { "\($0.inclusive ? "<=" : "<")\($0.version) in the \($0.version.branch().map { $0.map(String.init).joined(separator: ".") } ?? "") branch" }
                .joined(separator: "; ")
        case let .intervals(intervals):
            return intervals.map { $0.comparisons.joined(separator: " and ") }.joined(separator: " or ")
        }
    }

    /// Whether the range covers every version (`All versions`, `vers:all/*`, `*`).
    public var coversAllVersions: Bool {
        if case .all = body { return true }
        return false
    }

    init(text: String, confidence: Confidence, subject: Subject = .version, notes: [String] = [], body: Body) {
        self.text = text
        self.confidence = confidence
        self.subject = subject
        self.notes = notes
        self.body = body
        self.reading = Self.describe(body)
    }
}

// MARK: - Deciding

/// Whether one version is inside a range, and why.
public struct RangeDecision: Sendable, Hashable {
    /// The three answers; `undecided` whenever the range or the version cannot be read or compared.
    public enum Answer: String, Sendable, Codable {
        case inside, outside, undecided
    }

    public var answer: Answer
    /// Why, in words a person can check (`range "< V2.14.1" read as <2.14.1; V2.13.0 is inside`).
    public var reason: String
    /// `lenient` when the answer rests on a guess in the range or in the version; `unreadable` when undecided.
    public var confidence: VendorRange.Confidence

    /// When outside: whether the version is above the whole range (the vendor's fix is in it), not below it.
    public var aboveRange = false

    /// `true`, `false`, or nil when undecided: the `contains` of `vigil range explain --json`.
    public var contains: Bool? {
        switch answer {
        case .inside: return true
        case .outside: return false
        case .undecided: return nil
        }
    }
}

/// The answer of a range for one version without the words: what matching needs for each of many pairs. The
/// reason is rendered only when someone reads it (`VendorRange.reason(for:)`).
public struct RangeVerdict: Sendable, Hashable {
    public var answer: RangeDecision.Answer
    public var confidence: VendorRange.Confidence
    /// When outside: whether the version is above the whole range.
    public var aboveRange: Bool
    /// The version or serial number decided on, as compared.
    public var value: String
    /// Why it could not be decided, or a note on the branch used; empty when there is nothing to add.
    var detail: String {
        switch note {
        case let .text(text): text
        case let .cannotOrder(subject):
            "\(subject) \(value) cannot be ordered against it (a date against a version number, or a word against a number)"
        case let .unreadable(subject): "\(subject) \"\(value)\" could not be read"
        case let .noBranch(subject): "\(subject) \(value) has no branch to compare per branch"
        case let .noListedBranch(subject): "\(subject) \(value) is in none of the listed branches"
        }
    }

    /// `detail` unrendered: the usual undecided reasons are made of the subject's name and the value, and are put
    /// into words only when a reason is read (ranges are decided for many more versions than reasons are shown).
    var note: Note

    enum Note: Sendable, Hashable {
        case text(String)
        /// The subject's name (`version`, `serial number`) and why the value could not be decided.
        case cannotOrder(String), unreadable(String), noBranch(String), noListedBranch(String)
    }

    init(answer: RangeDecision.Answer, confidence: VendorRange.Confidence, aboveRange: Bool, value: String, detail: String) {
        self.init(answer: answer, confidence: confidence, aboveRange: aboveRange, value: value, note: .text(detail))
    }

    init(answer: RangeDecision.Answer, confidence: VendorRange.Confidence, aboveRange: Bool, value: String, note: Note) {
        self.answer = answer
        self.confidence = confidence
        self.aboveRange = aboveRange
        self.value = value
        self.note = note
    }
}

extension VendorRange {
    /// Whether `version` (or, for serial-number ranges, `serialNumber`) is inside the range, with the reason.
    public func decide(version: String?, serialNumber: String? = nil) -> RangeDecision {
        let verdict = self.verdict(version: version, firmware: nil, serialNumber: serialNumber)
        var decision = RangeDecision(answer: verdict.answer, reason: reason(for: verdict), confidence: verdict.confidence)
        decision.aboveRange = verdict.aboveRange
        return decision
    }

    /// The reason a person reads: `range "< V2.14.1" read as <2.14.1; version V2.13.0 is inside`.
    public func reason(for verdict: RangeVerdict) -> String {
        if case let .unreadable(why) = body { return "range \"\(text)\" could not be read (\(why))" }
        let quoted = "range \"\(text)\" read as \(reading)"
        if case .all = body { return quoted }
        if verdict.answer == .undecided { return "\(quoted); \(verdict.detail)" }
        let subjectName = subject == .version ? "version" : "serial number"
        return "\(quoted); \(subjectName) \(verdict.value) is \(verdict.answer == .inside ? "inside" : "outside")\(verdict.detail)"
    }

    /// The verdict for a version; `firmware` is the same version already read, to save reading it for every range.
    public func verdict(version: String?, firmware: FirmwareVersion?, serialNumber: String? = nil) -> RangeVerdict {
        func undecided(_ why: String, _ value: String = "") -> RangeVerdict {
            RangeVerdict(answer: .undecided, confidence: .unreadable, aboveRange: false, value: value, detail: why)
        }
        if case let .unreadable(reason) = body { return undecided(reason) }
        if case .all = body {
            return RangeVerdict(answer: .inside, confidence: confidence, aboveRange: false, value: version ?? "", detail: "")
        }
        let subjectName: String
        let value: String
        switch subject {
        case .version:
            guard let version, !version.isASCIIBlank else { return undecided("no version is known") }
            subjectName = "version"
            value = version
        case let .serialNumber(prefixDigits):
            guard let serialNumber else { return undecided("the range bounds serial numbers and no serial number is known") }
            subjectName = "serial number"
            let digits = serialNumber.filter(\.isASCIIDigitCharacter)
            value = prefixDigits.map { String(digits.prefix($0)) } ?? digits
            guard !value.isEmpty else { return undecided("serial number \(serialNumber) has no digits") }
        }
        if case let .vers(range) = body {
            do {
                let inside = try range.contains(value)
                var above = false
                if !inside, let scheme = VersionSchemes.named(range.scheme) {
                    above = !range.constraints.isEmpty && range.constraints.allSatisfy { constraint in
                        guard let order = scheme.compare(value, constraint.version) else { return false }
                        return order == .descending || (order == .same && constraint.comparator == .less)
                    }
                }
                return RangeVerdict(answer: inside ? .inside : .outside, confidence: confidence, aboveRange: above,
                                    value: value, detail: "")
            } catch {
                return undecided("\(subjectName) \(value): \(error)", value)
            }
        }
        // The version already read when given (passed on, not copied: this runs for many pairs), else read here.
        if case .version = subject, let firmware {
            return verdict(of: firmware, value: value, subjectName: subjectName)
        }
        guard let asset = FirmwareVersion(value) else {
            return RangeVerdict(answer: .undecided, confidence: .unreadable, aboveRange: false, value: value,
                                note: .unreadable(subjectName))
        }
        return verdict(of: asset, value: value, subjectName: subjectName)
    }

    /// The verdict of an interval or branch range for `asset`, read from `value`.
    private func verdict(of asset: FirmwareVersion, value: String, subjectName: String) -> RangeVerdict {
        func undecided(_ why: RangeVerdict.Note) -> RangeVerdict {
            RangeVerdict(answer: .undecided, confidence: .unreadable, aboveRange: false, value: value, note: why)
        }
        var guessed = !asset.isStructured
        func order(_ bound: Bound) -> VersionOrder? {
            if !bound.version.isStructured { guessed = true }
            return FirmwareVersion.compare(asset, bound.version)
        }
        func inside(_ interval: Interval) -> Bool? {
            var result = true
            if let lower = interval.lower {
                guard let o = order(lower) else { return nil }
                if o == .ascending || (o == .same && !lower.inclusive) { result = false }
            }
            if let upper = interval.upper {
                guard let o = order(upper) else { return nil }
                if o == .descending || (o == .same && !upper.inclusive) { result = false }
            }
            return result
        }
        var answer: RangeDecision.Answer
        var detail = ""
        var above = false
        switch body {
        case let .intervals(intervals):
            var sawUndecided = false
            answer = .outside
            // Through a buffer pointer, which lends each interval rather than copying its bounds.
            intervals.withUnsafeBufferPointer { intervals in
                for position in intervals.indices {
                    switch inside(intervals[position]) {
                    case true?: answer = .inside
                    case nil: sawUndecided = true
                    case false?: break
                    }
                    if answer == .inside { break }
                }
            }
            if answer == .outside, sawUndecided {
                return undecided(.cannotOrder(subjectName))
            }
            if answer == .outside {
                above = intervals.withUnsafeBufferPointer { intervals in
                    intervals.indices.allSatisfy { position in
                        guard let upper = intervals[position].upper, let o = FirmwareVersion.compare(asset, upper.version) else { return false }
                        return o == .descending || (o == .same && !upper.inclusive)
                    }
                }
            }
        case let .branches(bounds):
            guard let numbers = asset.mainNumbers() else {
                return undecided(.noBranch(subjectName))
            }
            let branch = bounds.first { bound in
                guard let prefix = bound.version.branch() else { return false }
                return numbers.count >= prefix.count && Array(numbers.prefix(prefix.count)) == prefix
            }
            if let branch {
                answer = inside(Interval(lower: nil, upper: branch)) == true ? .inside : .outside
                above = answer == .outside
                detail = " (its branch's bound is \(branch.inclusive ? "<=" : "<")\(branch.version))"
            } else {
                let sorted = bounds.compactMap { bound in order(bound).map { (bound, $0) } }
                if sorted.count == bounds.count, sorted.allSatisfy({ $0.1 == .ascending }) {
                    answer = .inside
                    detail = " (older than every listed branch)"
                } else if sorted.count == bounds.count, sorted.allSatisfy({ $0.1 == .descending }) {
                    answer = .outside
                    above = true
                    detail = " (newer than every listed branch)"
                } else {
                    return undecided(.noListedBranch(subjectName))
                }
                guessed = true
            }
        default:
            return undecided(.text("unexpected range form"))
        }
        return RangeVerdict(answer: answer, confidence: (confidence == .exact && !guessed) ? .exact : .lenient,
                            aboveRange: above, value: value, detail: detail)
    }
}
