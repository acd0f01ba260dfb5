import Foundation
import Testing
import Versions
import VigilTestSupport

/// The purl vers-spec test suites (`../shared/data/vectors/vers-spec/tests`), every case of every file, both the
/// "required" and the "recommended" groups.
@Suite struct VersSpecSuiteTests {
    static let folder = "vectors/vers-spec/tests"
    /// The files present when the suite was written; a new file is picked up automatically, a lost one fails.
    static let expectedFileCount = 21

    static var files: [String] { (try? SharedData.jsonFiles(under: folder)) ?? [] }

    /// One test case as the file states it.
    struct Case {
        var file: String
        var description: String
        var group: String
        var type: String
        var input: Any
        var expected: Any?
        var expectedFailure: Bool
        var expectedMessage: String?

        var inputText: String {
            if let text = input as? String { return text }
            guard let data = try? JSONSerialization.data(withJSONObject: input, options: [.sortedKeys, .withoutEscapingSlashes])
            else { return "\(input)" }
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func cases(in file: String) throws -> [Case] {
        let data = try Data(contentsOf: try SharedData.url("\(folder)/\(file)"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let tests = root["tests"] as? [[String: Any]] else {
            throw TestSetupError("\(file) has no \"tests\" array")
        }
        return tests.map { test in
            Case(file: file, description: test["description"] as? String ?? "", group: test["test_group"] as? String ?? "",
                 type: test["test_type"] as? String ?? "", input: test["input"] ?? NSNull(),
                 expected: test["expected_output"], expectedFailure: test["expected_failure"] as? Bool ?? false,
                 expectedMessage: test["expected_message"] as? String)
        }
    }

    /// Runs one case; nil when it passes, otherwise what went wrong.
    static func run(_ test: Case) -> String? {
        do {
            switch test.type {
            case "comparison", "equality":
                guard let input = test.input as? [String: Any], let schemeName = input["input_scheme"] as? String,
                      let versions = input["versions"] as? [String] else { return "malformed input" }
                guard let scheme = VersionSchemes.named(schemeName) else { return "no scheme named \(schemeName)" }
                for version in versions where !scheme.isValid(version) { return "\(version) is not valid in \(schemeName)" }
                if test.type == "equality" {
                    guard versions.count == 2, let expected = test.expected as? Bool else { return "malformed case" }
                    let got = scheme.compare(versions[0], versions[1]) == .same
                    return got == expected ? nil : "equal: got \(got), expected \(expected)"
                }
                // A stable insertion sort, so that only the scheme's order decides.
                var sorted: [String] = []
                for version in versions {
                    let index = sorted.firstIndex { scheme.compare(version, $0) == .ascending } ?? sorted.count
                    sorted.insert(version, at: index)
                }
                let got = sorted.map(scheme.normalize)
                guard let expected = test.expected as? [String] else { return "malformed expected output" }
                return got == expected ? nil : "sorted: got \(got), expected \(expected)"
            case "containment":
                guard let input = test.input as? [String: Any], let vers = input["vers"] as? String,
                      let version = input["version"] as? String, let expected = test.expected as? Bool
                else { return "malformed case" }
                let got = try VersRange.normalizing(vers).contains(version)
                return got == expected ? nil : "contains: got \(got), expected \(expected)"
            case "from_native":
                guard let input = test.input as? [String: Any], let native = input["native_range"] as? String,
                      let scheme = input["scheme"] as? String, let expected = test.expected as? String
                else { return "malformed case" }
                let got = try NativeRange.vers(fromNative: native, scheme: scheme).description
                return got == expected ? nil : "got \(got), expected \(expected)"
            case "validate":
                guard let input = test.input as? String, let expected = test.expected as? String else { return "malformed case" }
                let got = try VersRange.normalizing(input).description
                return got == expected ? nil : "got \(got), expected \(expected)"
            case "parse":
                guard let input = test.input as? String else { return "malformed case" }
                if test.expectedFailure {
                    do {
                        let range = try VersRange.parse(input)
                        return "parsed as \(range) but the case expects the failure \"\(test.expectedMessage ?? "")\""
                    } catch {
                        guard let message = test.expectedMessage else { return nil }
                        return error.description.contains(message) ? nil
                            : "failed with \"\(error.description)\", expected a message containing \"\(message)\""
                    }
                }
                guard let expected = test.expected as? [String: Any], let scheme = expected["scheme"] as? String,
                      let pairs = expected["version_constraints"] as? [[String]] else { return "malformed expected output" }
                let range = try VersRange.parse(input)
                let got = range.constraints.map { [$0.comparator.rawValue, $0.version] }
                let want = pairs.map { [$0[0] == "" ? "=" : $0[0], $0[1]] }
                return range.scheme == scheme && got == want ? nil
                    : "got \(range.scheme) \(got), expected \(scheme) \(want)"
            default:
                return "unknown test type \"\(test.type)\""
            }
        } catch {
            return "threw \(error)"
        }
    }

    @Test("every vers-spec test file is present")
    func everyFileIsPresent() throws {
        let files = try SharedData.jsonFiles(under: Self.folder)
        #expect(files.count >= Self.expectedFileCount, "found only \(files.count) files: \(files)")
    }

    @Test("each vers-spec file passes in full", arguments: files)
    func filePasses(_ file: String) throws {
        for test in try Self.cases(in: file) {
            if let failure = Self.run(test) {
                Issue.record("\(file) [\(test.group) \(test.type)] \"\(test.description)\" input \(test.inputText): \(failure)")
            }
        }
    }

    @Test("every case in every file is run, none skipped")
    func everyCaseIsRun() throws {
        var inFiles = 0, run = 0, passed = 0
        for file in try SharedData.jsonFiles(under: Self.folder) {
            let data = try Data(contentsOf: try SharedData.url("\(Self.folder)/\(file)"))
            let root = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            inFiles += (root?["tests"] as? [Any])?.count ?? 0
            for test in try Self.cases(in: file) {
                run += 1
                if Self.run(test) == nil { passed += 1 }
            }
        }
        #expect(inFiles > 0)
        #expect(run == inFiles, "ran \(run) of the \(inFiles) cases in the files")
        #expect(passed == inFiles, "\(passed) of \(inFiles) cases pass")
    }
}
