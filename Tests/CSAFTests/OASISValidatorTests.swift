import CSAF
import Foundation
import Testing
import VigilTestSupport

/// The OASIS CSAF 2.0 validator test documents (`test/validator/data/testcases.json`).
///
/// Vigil's reader enforces the JSON schema (plus a few format rules), not every mandatory test of §6.1, so it must
/// accept every document marked valid and reject at least every invalid one that the schema itself rejects. Which
/// invalid documents fail the schema is decided by an independent oracle: Python's `jsonschema` with the CSAF and
/// FIRST CVSS schemas.
@Suite("OASIS validator test documents")
struct OASISValidatorTests {
    struct TestCases: Decodable {
        struct Test: Decodable {
            var id: String
            var failures: [Case]?
            var valid: [Case]?
        }
        struct Case: Decodable { var name: String }
        var tests: [Test]
    }

    static let oracle = """
        import json, os, sys
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
        from jsonschema import Draft202012Validator
        root = sys.argv[1]
        data = os.path.join(root, "test", "validator", "data")
        with open(os.path.join(root, "json_schema", "csaf_json_schema.json")) as f:
            schema = json.load(f)
        resources = []
        for version in ["2.0", "3.0", "3.1"]:
            with open(os.path.join(root, "referenced_schema", "first", f"cvss-v{version}.json")) as f:
                cvss = json.load(f)
            resources.append((f"https://www.first.org/cvss/cvss-v{version}.json",
                              Resource.from_contents(cvss, default_specification=DRAFT7)))
        validator = Draft202012Validator(schema, registry=Registry().with_resources(resources))
        with open(os.path.join(data, "testcases.json")) as f:
            tests = json.load(f)["tests"]
        checked = 0
        for test in tests:
            for case in test.get("failures", []):
                with open(os.path.join(data, case["name"])) as f:
                    document = json.load(f)
                checked += 1
                if next(validator.iter_errors(document), None) is not None:
                    print("INVALID " + case["name"])
        print(f"CHECKED {checked}")
        """

    /// The invalid test documents the CSAF JSON schema rejects, by name, according to Python's jsonschema.
    static func schemaInvalidDocuments(root: URL) throws -> (names: Set<String>, checked: Int) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", oracle, root.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw OracleFailure(message: "could not start python3 (needed with jsonschema as the oracle): \(error)")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleFailure(message: "the jsonschema oracle failed (status \(process.terminationStatus)): \(String(decoding: stderr, as: UTF8.self))")
        }
        var names = Set<String>()
        var checked = 0
        for line in String(decoding: stdout, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("INVALID ") { names.insert(String(line.dropFirst(8))) }
            if line.hasPrefix("CHECKED ") { checked = Int(line.dropFirst(8)) ?? 0 }
        }
        return (names, checked)
    }

    struct OracleFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func accepts(_ url: URL) throws -> Result<Void, CSAFReadError> {
        let bytes = [UInt8](try Data(contentsOf: url))
        do {
            guard case .csaf = try CSAFDocumentReader.read(bytes) else {
                return .failure(CSAFReadError(code: .notCSAF, message: "read as a distribution file"))
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    @Test("every valid test document is accepted; every schema-invalid one is rejected")
    func validatorTestDocuments() throws {
        let root = try SharedData.url("oasis-csaf-2.0")
        let data = root.appendingPathComponent("test/validator/data")
        let cases = try JSONDecoder().decode(TestCases.self, from: Data(contentsOf: data.appendingPathComponent("testcases.json")))
        let valid = cases.tests.flatMap { $0.valid ?? [] }.map(\.name)
        let invalid = cases.tests.flatMap { $0.failures ?? [] }.map(\.name)
        #expect(valid.count == 94)
        #expect(invalid.count == 145)

        for name in valid {
            if case .failure(let error) = try Self.accepts(data.appendingPathComponent(name)) {
                Issue.record("valid test document \(name) was rejected: \(error.message)")
            }
        }

        var rejected = Set<String>()
        for name in invalid {
            if case .failure = try Self.accepts(data.appendingPathComponent(name)) { rejected.insert(name) }
        }

        let oracle = try Self.schemaInvalidDocuments(root: root)
        #expect(oracle.checked == invalid.count, "the oracle checked \(oracle.checked) documents")
        // Today: 6-1-08-01/02/03, CVSS objects without baseSeverity or version. An empty set would mean a broken oracle.
        #expect(!oracle.names.isEmpty, "the jsonschema oracle found no schema-invalid document")
        #expect(oracle.names.isSubset(of: Set(invalid)))
        let missed = oracle.names.subtracting(rejected)
        #expect(missed.isEmpty, "schema-invalid documents Vigil accepted: \(missed.sorted())")

        print("OASIS validator test documents: Vigil accepts all \(valid.count) valid documents and rejects \(rejected.count) of the \(invalid.count) invalid ones (all \(oracle.names.count) schema-invalid ones among them: \(oracle.names.sorted().map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))")
    }
}
