import CSAF
import Foundation
import Testing
import VigilTestSupport

/// The CSAF 2.0 §6 tests against the OASIS test documents (`test/validator/data/testcases.json`): each document listed
/// under a test's `failures` must fail that test, by number, and each listed as `valid` must pass it. Tests not
/// implemented yet are listed in the output, not counted as passing.
@Suite("CSAF §6 conformance tests")
struct ConformanceTests {
    typealias TestCases = OASISValidatorTests.TestCases

    /// The findings of every test, and on the way the check that the import's count-only run (`summary`) counts
    /// exactly what the full run finds.
    static func findings(_ data: URL, _ name: String) throws -> [ConformanceFinding] {
        let document = try JSONParser.parse(try Data(contentsOf: data.appendingPathComponent(name)))
        let found = CSAFConformance.check(document)
        #expect(CSAFConformance.summary(document) == ConformanceSummary(found), "\(name)")
        return found
    }

    @Test("the import's count-only run counts what the full run finds, over real providers' documents")
    func summaryCountsTheFindings() throws {
        var documents = 0, findings = 0
        for provider in ["cisa/csaf_files/OT/white/2023", "siemens-sample", "festo", "stackable", "ni"] {
            for file in try SharedData.jsonFiles(under: "providers/\(provider)") {
                guard let document = try? JSONParser.parse(try SharedData.bytes("providers/\(provider)/\(file)")),
                      document["document"] != nil else { continue }
                let found = CSAFConformance.check(document)
                #expect(CSAFConformance.summary(document) == ConformanceSummary(found), "\(provider)/\(file)")
                documents += 1
                findings += found.count
            }
        }
        #expect(documents > 300)
        #expect(findings > 1_000, "the real documents have findings of every group to count")
    }

    @Test("each OASIS failure document fails its test by number, each valid document passes it; the score per group is printed")
    func oasisTestDocuments() throws {
        let data = try SharedData.url("oasis-csaf-2.0/test/validator/data")
        let cases = try JSONDecoder().decode(TestCases.self, from: Data(contentsOf: data.appendingPathComponent("testcases.json")))
        #expect(cases.tests.count == 74)
        let implemented = Set(CSAFConformance.tests.map(\.id))
        #expect(implemented.count == CSAFConformance.tests.count, "a test number is registered twice")
        var score: [ConformanceGroup: (tests: Int, implemented: Int, documents: Int, right: Int)] = [:]
        var missing: [String] = []
        var alsoFailing: [String] = []
        for test in cases.tests {
            let group: ConformanceGroup = test.id.hasPrefix("6.1.") ? .mandatory : test.id.hasPrefix("6.2.") ? .optional : .informative
            score[group, default: (0, 0, 0, 0)].tests += 1
            guard implemented.contains(test.id) else {
                missing.append(test.id)
                continue
            }
            score[group]!.implemented += 1
            for failure in test.failures ?? [] {
                let found = try Self.findings(data, failure.name)
                score[group]!.documents += 1
                let mine = found.filter { $0.test == test.id }
                if mine.isEmpty {
                    Issue.record("\(failure.name) should fail \(test.id); findings: \(found)")
                } else {
                    score[group]!.right += 1
                    #expect(mine.allSatisfy { $0.group == group && $0.path.hasPrefix("$") && !$0.message.isEmpty })
                }
                // Some failure documents show more than one mistake (a minimal VEX document lacks notes and IDs
                // both): listed, for a reader to judge, not asserted away.
                let others = Set(found.filter { $0.group == .mandatory && $0.test != test.id }.map(\.test)).sorted()
                if !others.isEmpty { alsoFailing.append("\((failure.name as NSString).lastPathComponent) also fails \(others.joined(separator: ", "))") }
            }
            for valid in test.valid ?? [] {
                let found = try Self.findings(data, valid.name)
                score[group]!.documents += 1
                let mandatory = found.filter { $0.group == .mandatory }
                if mandatory.isEmpty && !found.contains(where: { $0.test == test.id }) {
                    score[group]!.right += 1
                } else {
                    Issue.record("\(valid.name) should pass \(test.id) and every mandatory test; findings: \(found)")
                }
            }
        }
        for group in ConformanceGroup.allCases {
            let s = score[group] ?? (0, 0, 0, 0)
            print("CSAF §6 \(group.rawValue): \(s.implemented) of \(s.tests) tests implemented; \(s.right) of \(s.documents) of their test documents judged right")
        }
        // Every test of the standard is run, or said not to run with the reason.
        let notRun = Dictionary(CSAFConformance.notRun.map { ($0.id, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(missing) == Set(notRun.keys), "neither run nor said not to run: \(Set(missing).subtracting(notRun.keys).sorted())")
        #expect(implemented.isDisjoint(with: notRun.keys))
        print("CSAF §6 tests not run: " + missing.map { "\($0) (\(notRun[$0] ?? "?"))" }.joined(separator: "; "))
        print("CSAF §6 failure documents with more than their own mistake:\n  " + alsoFailing.joined(separator: "\n  "))
    }

    @Test("a document that is not an object, or has wrong types where the tests look, gives findings or none, never a crash")
    func hostileShapes() throws {
        for text in ["[]", "null", "\"csaf\"", #"{"document": 3, "product_tree": [], "vulnerabilities": {}}"#,
                     #"{"document": {"tracking": {"revision_history": [{"number": 7, "date": []}], "version": {}}}, "vulnerabilities": [1, "x", null]}"#,
                     #"{"product_tree": {"branches": [{"branches": [{"branches": "x"}]}], "relationships": [{"full_product_name": {"product_id": "A"}, "product_reference": "A"}]}}"#] {
            let findings = CSAFConformance.check(try JSONParser.parse(Array(text.utf8)))
            #expect(findings.allSatisfy { !$0.test.isEmpty }, "\(text)")
        }
        // A relationship whose product is made from itself is circular (6.1.3), not an endless loop.
        let circular = CSAFConformance.check(try JSONParser.parse(Array(#"""
            {"product_tree": {"relationships": [
              {"category": "installed_on", "full_product_name": {"name": "A", "product_id": "A"}, "product_reference": "B", "relates_to_product_reference": "C"},
              {"category": "installed_on", "full_product_name": {"name": "B", "product_id": "B"}, "product_reference": "A", "relates_to_product_reference": "C"}]}}
            """#.utf8)), only: ["6.1.3"])
        #expect(circular.map(\.path) == ["$.product_tree.relationships[0].full_product_name.product_id",
                                         "$.product_tree.relationships[1].full_product_name.product_id"])
    }
}

/// The CVSS calculator against FIRST-derived vectors in `../shared/data/vectors/cvss` (each line a vector and its
/// base, temporal and environmental scores), and the package URL check against purl-spec's parse cases.
@Suite("CVSS scores and package URLs for §6")
struct ConformanceFormatTests {
    @Test("every v2 and v3 vector of ../shared/data/vectors/cvss scores as listed: base, temporal and environmental",
          arguments: ["vectors_simple2", "vectors_simple3", "vectors_simple31", "vectors_calculator2", "vectors_calculator3", "vectors_cvsslib2",
                      "vectors_cvsslib3"])
    func cvssVectors(file: String) throws {
        let text = String(decoding: try SharedData.bytes("vectors/cvss/\(file)"), as: UTF8.self)
        var checked = 0, wrong: [String] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let parts = line.components(separatedBy: " - (")
            guard parts.count == 2 else { continue }
            let expected = parts[1].dropLast().components(separatedBy: ", ").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard let scores = CVSSVectorScores(parts[0]) else {
                wrong.append("\(parts[0]) did not parse")
                continue
            }
            checked += 1
            let got: [Double?] = [scores.baseScore, scores.temporalScore, scores.environmentalScore]
            for (index, value) in expected.enumerated() where index < 3 {
                // "None" in the file: the vector defines no such score.
                // The v3 files give a vector without temporal (or environmental) metrics the base (or temporal) score
                // there; the v2 file says None.
                let mine = got[index] ?? (index == 2 ? (scores.temporalScore ?? scores.baseScore) : scores.baseScore)
                if let value, abs(mine - abs(value)) > 0.001 {
                    wrong.append("\(parts[0]): score \(index) is \(mine), expected \(value)")
                }
            }
        }
        #expect(checked == text.split(separator: "\n").filter { !$0.isEmpty }.count, "\(file): \(checked) vectors scored")
        #expect(wrong.isEmpty, "\(file): \(wrong.count) wrong, first: \(wrong.prefix(5))")
        print("CVSS \(file): \(checked) vectors scored, \(wrong.count) wrong")
    }

    @Test("the shared memo of parsed vectors answers as the calculator does: first and again, valid or not, from four tasks at once")
    func memoisedVectors() async throws {
        var vectors: [String] = []
        for file in ["vectors_simple2", "vectors_simple3", "vectors_simple31", "vectors_calculator2", "vectors_calculator3",
                     "vectors_cvsslib2", "vectors_cvsslib3"] {
            let text = String(decoding: try SharedData.bytes("vectors/cvss/\(file)"), as: UTF8.self)
            for line in text.split(separator: "\n") where !line.isEmpty {
                let vector = line.components(separatedBy: " - (")[0]
                // Each one, a broken copy, and a copy too long for the memo.
                vectors += [vector, vector + "/AV:Q", vector + String(repeating: "/E:X", count: 80)]
            }
        }
        #expect(vectors.count > 3 * 4_096, "enough vectors to fill the memo and see it emptied: \(vectors.count)")
        let expected = vectors.map { CVSSVectorScores($0) }
        #expect(expected.contains { $0 == nil } && expected.contains { $0 != nil })
        let all = vectors
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<2 {
                        for (index, vector) in all.enumerated() where (index + worker + round) % 2 == 0 || round == 1 {
                            if CVSSVectorScores.parsed(vector) != expected[index] { wrong += 1 }
                        }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test("purl-spec's parse cases: the invalid ones are refused, the valid ones accepted")
    func packageURLs() throws {
        struct Cases: Decodable {
            struct Case: Decodable {
                var test_type: String
                var input: JSONInput
                var expected_failure: Bool?
            }
            var tests: [Case]
        }
        enum JSONInput: Decodable {
            case text(String), other
            init(from decoder: Decoder) throws {
                self = (try? decoder.singleValueContainer().decode(String.self)).map(JSONInput.text) ?? .other
            }
        }
        // The specification's own cases, then the per-type ones (a Chrome extension's ID is 32 letters a–p, a CPAN
        // name has no "::"…): §6.1.13 asks for a valid package URL, which Vigil judges by the generic grammar only.
        var generic: [(String, Bool)] = [], typed: [(String, Bool)] = []
        for file in try SharedData.jsonFiles(under: "vectors/purl-spec/tests") {
            let decoded = try JSONDecoder().decode(Cases.self, from: Data(try SharedData.bytes("vectors/purl-spec/tests/\(file)")))
            for test in decoded.tests where test.test_type == "parse" {
                guard case .text(let input) = test.input else { continue }
                if file.hasPrefix("spec/") { generic.append((input, test.expected_failure ?? false)) } else { typed.append((input, test.expected_failure ?? false)) }
            }
        }
        func misjudged(_ cases: [(String, Bool)]) -> [String] {
            cases.filter { (PackageURLCheck.problem($0.0) != nil) != $0.1 }.map { "\($0.0) should be \($0.1 ? "refused" : "accepted")" }
        }
        #expect(generic.count >= 10 && typed.count > 100)
        let wrong = misjudged(generic)
        #expect(wrong.isEmpty, "\(wrong)")
        // Every valid per-type case is accepted; the invalid ones the generic grammar cannot see are counted.
        let typedWrong = misjudged(typed)
        #expect(typedWrong.allSatisfy { $0.hasSuffix("should be refused") }, "\(typedWrong)")
        print("purl-spec parse cases: \(generic.count) of the specification's judged right; \(typed.count - typedWrong.count) of \(typed.count) per-type cases (\(typedWrong.count) invalid only by a type's own rules accepted)")
    }
}
