import Foundation
import Revisions
import Testing

@Suite struct WordDiffTests {
    typealias Run = WordDiff.Run

    @Test func emptyTexts() {
        #expect(WordDiff.between("", "") == WordDiff(runs: []))
        #expect(WordDiff.between("  \n ", "") == WordDiff(runs: []))
        #expect(WordDiff.between("", "new words").runs == [Run(kind: .inserted, words: ["new", "words"])])
        #expect(WordDiff.between("old words", "").runs == [Run(kind: .deleted, words: ["old", "words"])])
    }

    @Test func identicalTexts() {
        let diff = WordDiff.between("Update to V2.9 or later.", "Update  to\nV2.9 or later.")
        #expect(diff.runs == [Run(kind: .equal, words: ["Update", "to", "V2.9", "or", "later."])])
        #expect(!diff.hasChanges)
        #expect(diff.isExact)
    }

    @Test func insertion() {
        let diff = WordDiff.between("Update to V2.9 or later.", "Update all devices to V2.9 or later.")
        #expect(diff.runs == [
            Run(kind: .equal, words: ["Update"]),
            Run(kind: .inserted, words: ["all", "devices"]),
            Run(kind: .equal, words: ["to", "V2.9", "or", "later."]),
        ])
        #expect(diff.insertedWords == ["all", "devices"])
        #expect(diff.deletedWords.isEmpty)
    }

    @Test func deletion() {
        let diff = WordDiff.between("a b c d e", "a c e")
        #expect(diff.runs == [
            Run(kind: .equal, words: ["a"]), Run(kind: .deleted, words: ["b"]), Run(kind: .equal, words: ["c"]),
            Run(kind: .deleted, words: ["d"]), Run(kind: .equal, words: ["e"]),
        ])
    }

    @Test func replacementPutsDeletionsFirst() {
        let diff = WordDiff.between("the quick brown fox", "the slow red fox")
        #expect(diff.runs == [
            Run(kind: .equal, words: ["the"]),
            Run(kind: .deleted, words: ["quick", "brown"]),
            Run(kind: .inserted, words: ["slow", "red"]),
            Run(kind: .equal, words: ["fox"]),
        ])
        #expect(WordDiff.between("x", "y").runs == [Run(kind: .deleted, words: ["x"]), Run(kind: .inserted, words: ["y"])])
    }

    @Test func unicodeWords() {
        let decomposed = "Gera\u{0308}t"  // "Gerät" with a combining diaeresis
        let diff = WordDiff.between("Das Gerät ist betroffen 🔥 — 日本語 テキスト", "Das \(decomposed) ist nicht betroffen 🔥 — 日本語 テキスト")
        #expect(diff.runs == [
            Run(kind: .equal, words: ["Das", "Gerät", "ist"]),
            Run(kind: .inserted, words: ["nicht"]),
            Run(kind: .equal, words: ["betroffen", "🔥", "—", "日本語", "テキスト"]),
        ])
        // Non-breaking and ideographic spaces separate words too.
        #expect(!WordDiff.between("a\u{00A0}b\u{3000}c", "a b c").hasChanges)
    }

    @Test func editCapReplacesTheMiddleWholesale() {
        let old = "keep " + (1...50).map { "old\($0)" }.joined(separator: " ") + " end"
        let new = "keep " + (1...50).map { "new\($0)" }.joined(separator: " ") + " end"
        let capped = WordDiff.between(old, new, maxEdits: 20)
        #expect(!capped.isExact)
        #expect(capped.runs.map(\.kind) == [.equal, .deleted, .inserted, .equal])
        #expect(capped.runs.first?.words == ["keep"] && capped.runs.last?.words == ["end"])
        #expect(capped.oldWords == WordDiff.words(in: old))
        #expect(capped.newWords == WordDiff.words(in: new))
        // Within the cap, the same texts are compared exactly (and give the same runs here).
        let exact = WordDiff.between(old, new)
        #expect(exact.isExact)
        #expect(exact.runs == capped.runs)
    }

    @Test func wordCapSkipsTheSearch() {
        let old = (0..<3_000).map { "w\($0 % 97)" }.joined(separator: " ")
        let new = (0..<3_000).map { "w\(($0 * 7) % 89)" }.joined(separator: " ")
        let capped = WordDiff.between(old, new, maxWords: 1_000)
        #expect(!capped.isExact)
        #expect(capped.oldWords == WordDiff.words(in: old))
        #expect(capped.newWords == WordDiff.words(in: new))
    }

    @Test func aHugeTextIsDiffedQuickly() {
        // 200,000 words each, differing throughout: the default caps bound the work.
        let old = (0..<200_000).map { "a\($0 % 1_000)" }
        let new = (0..<200_000).map { "b\($0 % 1_000)" }
        let start = ContinuousClock.now
        let diff = WordDiff.between(words: old, new)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(!diff.isExact)
        #expect(diff.oldWords == old && diff.newWords == new)
    }

    /// Random small texts: the runs rebuild both texts, and the edits are as few as a longest common subsequence
    /// allows.
    @Test func shortestEditsOnRandomTexts() {
        var generator = WordDiffRandom(seed: 16)
        for _ in 0..<500 {
            let old = (0..<Int.random(in: 0...12, using: &generator)).map { _ in ["a", "b", "c", "d"].randomElement(using: &generator) ?? "a" }
            let new = (0..<Int.random(in: 0...12, using: &generator)).map { _ in ["a", "b", "c", "d"].randomElement(using: &generator) ?? "a" }
            let diff = WordDiff.between(words: old, new)
            #expect(diff.oldWords == old)
            #expect(diff.newWords == new)
            #expect(diff.isExact)
            let common = diff.runs.filter { $0.kind == .equal }.map(\.words.count).reduce(0, +)
            #expect(common == Self.lcsLength(old, new), "\(old) → \(new)")
            // Runs never repeat a kind back to back.
            #expect(zip(diff.runs, diff.runs.dropFirst()).allSatisfy { $0.kind != $1.kind })
        }
    }

    static func lcsLength(_ a: [String], _ b: [String]) -> Int {
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        return table[0][0]
    }

    @Test func encodesAsPlainRuns() throws {
        let diff = WordDiff.between("a b", "a c")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(diff), as: UTF8.self)
        #expect(json == #"{"isExact":true,"runs":[{"kind":"equal","words":["a"]},{"kind":"deleted","words":["b"]},{"kind":"inserted","words":["c"]}]}"#)
    }
}

/// A seeded generator, so the random texts are the same on every run.
struct WordDiffRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
