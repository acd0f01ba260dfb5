/// A word-level diff of two texts: runs of equal, deleted and inserted words, as a reader sees a reworded note.
///
/// Words are the texts split at whitespace (so a change of spacing or line breaks alone is no change), compared
/// exactly (Swift string equality, so `é` composed and decomposed are the same word). The runs come from Myers'
/// O(ND) shortest edit script over the words left once the common leading and trailing words are set aside.
///
/// The work is capped. When the differing middle of the two texts holds more than `maxWords` words, or needs more than
/// `maxEdits` inserted plus deleted words, the diff does not search further: it keeps the common leading and trailing
/// words and reports the whole middle as deleted, then inserted, with `isExact` false. The diff stays correct (the
/// runs still spell both texts), only less fine-grained. The caps bound the time by about `maxWords × maxEdits` word
/// comparisons and the memory by about `maxEdits²` integers.
public struct WordDiff: Sendable, Equatable, Codable {
    /// What a run of words is in the new text compared with the old.
    public enum Kind: String, Sendable, Codable {
        case equal, deleted, inserted
    }

    /// Consecutive words of one kind.
    public struct Run: Sendable, Equatable, Codable {
        public var kind: Kind
        public var words: [String]

        public init(kind: Kind, words: [String]) {
            self.kind = kind
            self.words = words
        }

        /// The words joined by single spaces.
        public var text: String { words.joined(separator: " ") }
    }

    /// The runs in reading order; within one changed stretch the deleted words come before the inserted ones.
    public var runs: [Run]
    /// False when a cap was reached and the differing middle is reported as replaced wholesale.
    public var isExact: Bool

    public init(runs: [Run], isExact: Bool = true) {
        self.runs = runs
        self.isExact = isExact
    }

    /// The default cap on the words of the differing middle (old plus new).
    public static let defaultMaxWords = 20_000
    /// The default cap on the inserted plus deleted words the search looks for.
    public static let defaultMaxEdits = 1_000

    /// The words of a text, split at whitespace.
    public static func words(in text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// The diff from `old` to `new`, within the caps (see the type's description).
    public static func between(_ old: String, _ new: String, maxWords: Int = defaultMaxWords,
                               maxEdits: Int = defaultMaxEdits) -> WordDiff {
        between(words: words(in: old), words(in: new), maxWords: maxWords, maxEdits: maxEdits)
    }

    /// The diff of two word lists, within the caps.
    public static func between(words old: [String], _ new: [String], maxWords: Int = defaultMaxWords,
                               maxEdits: Int = defaultMaxEdits) -> WordDiff {
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
              old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        let oldMiddle = old[prefix..<(old.count - suffix)]
        let newMiddle = new[prefix..<(new.count - suffix)]

        var builder = RunBuilder()
        builder.append(.equal, old[0..<prefix])
        var exact = true
        if oldMiddle.isEmpty || newMiddle.isEmpty {
            builder.append(.deleted, oldMiddle)
            builder.append(.inserted, newMiddle)
        } else if oldMiddle.count + newMiddle.count <= maxWords,
                  let operations = shortestEdit(oldMiddle, newMiddle, maxEdits: max(0, maxEdits)) {
            for operation in operations {
                switch operation {
                case let .equal(word): builder.append(.equal, word)
                case let .deleted(word): builder.append(.deleted, word)
                case let .inserted(word): builder.append(.inserted, word)
                }
            }
        } else {
            exact = false
            builder.append(.deleted, oldMiddle)
            builder.append(.inserted, newMiddle)
        }
        builder.append(.equal, old[(old.count - suffix)...])
        return WordDiff(runs: builder.finish(), isExact: exact)
    }

    /// Whether the texts differ in any word.
    public var hasChanges: Bool { runs.contains { $0.kind != .equal } }
    /// The inserted words, in order.
    public var insertedWords: [String] { runs.filter { $0.kind == .inserted }.flatMap(\.words) }
    /// The deleted words, in order.
    public var deletedWords: [String] { runs.filter { $0.kind == .deleted }.flatMap(\.words) }
    /// The old text's words, rebuilt from the runs.
    public var oldWords: [String] { runs.filter { $0.kind != .inserted }.flatMap(\.words) }
    /// The new text's words, rebuilt from the runs.
    public var newWords: [String] { runs.filter { $0.kind != .deleted }.flatMap(\.words) }

    // MARK: - Myers

    enum Operation {
        case equal(String), deleted(String), inserted(String)
    }

    /// Myers' greedy shortest edit script, or nil when it needs more than `maxEdits` edits. Keeps, for each number of
    /// edits d, only the furthest-reaching x of the diagonals -d...d, so memory grows with the edits, not the words.
    static func shortestEdit(_ a: ArraySlice<String>, _ b: ArraySlice<String>, maxEdits: Int) -> [Operation]? {
        let n = a.count, m = b.count
        let limit = min(maxEdits, n + m)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        var found: Int?
        search: for d in 0...limit {
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n, y < m, a[a.startIndex + x] == b[b.startIndex + y] {
                    x += 1
                    y += 1
                }
                v[offset + k] = x
                if x >= n, y >= m {
                    trace.append(Array(v[(offset - d)...(offset + d)]))
                    found = d
                    break search
                }
            }
            trace.append(Array(v[(offset - d)...(offset + d)]))
        }
        guard let edits = found else { return nil }

        var operations: [Operation] = []
        var x = n, y = m
        var d = edits
        while d > 0 {
            let previous = trace[d - 1]
            func furthest(_ k: Int) -> Int { previous[k + d - 1] }
            let k = x - y
            let down = k == -d || (k != d && furthest(k - 1) < furthest(k + 1))
            let previousK = down ? k + 1 : k - 1
            let previousX = furthest(previousK)
            let previousY = previousX - previousK
            let startX = down ? previousX : previousX + 1
            while x > startX {
                x -= 1
                y -= 1
                operations.append(.equal(a[a.startIndex + x]))
            }
            if down {
                operations.append(.inserted(b[b.startIndex + previousY]))
            } else {
                operations.append(.deleted(a[a.startIndex + previousX]))
            }
            x = previousX
            y = previousY
            d -= 1
        }
        while x > 0, y > 0 {
            x -= 1
            y -= 1
            operations.append(.equal(a[a.startIndex + x]))
        }
        return operations.reversed()
    }

    /// Collects words into runs, merging neighbours of one kind and putting deletions before insertions in each
    /// changed stretch.
    struct RunBuilder {
        var runs: [Run] = []
        var deleted: [String] = []
        var inserted: [String] = []

        mutating func append<Words: Sequence>(_ kind: Kind, _ words: Words) where Words.Element == String {
            for word in words { append(kind, word) }
        }

        mutating func append(_ kind: Kind, _ word: String) {
            switch kind {
            case .deleted: deleted.append(word)
            case .inserted: inserted.append(word)
            case .equal:
                flushChanges()
                if let last = runs.indices.last, runs[last].kind == .equal {
                    runs[last].words.append(word)
                } else {
                    runs.append(Run(kind: .equal, words: [word]))
                }
            }
        }

        mutating func flushChanges() {
            if !deleted.isEmpty { runs.append(Run(kind: .deleted, words: deleted)) }
            if !inserted.isEmpty { runs.append(Run(kind: .inserted, words: inserted)) }
            deleted = []
            inserted = []
        }

        mutating func finish() -> [Run] {
            flushChanges()
            return runs
        }
    }
}
