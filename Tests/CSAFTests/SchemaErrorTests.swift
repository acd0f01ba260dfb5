import CSAF
import Foundation
import Testing
import VigilTestSupport

/// A document that breaks the schema is rejected with the JSON path of the field at fault.
@Suite("Schema errors name their JSON path")
struct SchemaErrorTests {
    static func readError(_ bytes: [UInt8], maxBytes: Int = CSAFDocumentReader.defaultMaxBytes) -> CSAFReadError? {
        do {
            _ = try CSAFDocumentReader.read(bytes, maxBytes: maxBytes)
            return nil
        } catch {
            return error
        }
    }

    static func edited(_ value: Any?, at path: [String]) throws -> [UInt8] {
        try CraftedDocument.minimal { CraftedDocument.set(value, at: path, in: &$0) }
    }

    @Test("the unedited crafted document is accepted, so each defect below is what gets it rejected")
    func minimalIsValid() throws {
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(Array(CraftedDocument.minimal.utf8)) else {
            Issue.record("not read as CSAF")
            return
        }
        #expect(parsed.advisory.id == "EXAMPLE-2024-0001")
        #expect(parsed.warnings.isEmpty)
        #expect(CSAFValidator.validate(parsed.document).isEmpty)
    }

    @Test("text Vigil indexes over 1,000 bytes is refused with where and how long; stored documents are read regardless")
    func overlongIdentifiers() throws {
        let limit = CSAFDocumentReader.maxIdentifierBytes
        let atLimit = String(repeating: "A", count: limit)
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(try Self.edited(atLimit, at: ["document", "tracking", "id"])) else {
            Issue.record("an ID of exactly \(limit) bytes should be accepted")
            return
        }
        #expect(parsed.advisory.id == atLimit)

        // Multi-byte characters count by their UTF-8 bytes; a version must still read as semantic versioning.
        let multiByte = String(repeating: "Ä", count: limit / 2 + 1)
        let cases: [([String], String)] = [(["document", "tracking", "id"], multiByte),
                                           (["document", "tracking", "version"], "1.0.0-" + String(repeating: "a", count: limit)),
                                           (["document", "publisher", "name"], multiByte)]
        for (path, long) in cases {
            let bytes = try Self.edited(long, at: path)
            let error = try #require(Self.readError(bytes), "\(path)")
            #expect(error.code == .schema)
            #expect(error.path == "$." + path.joined(separator: "."))
            #expect(error.message.contains("is \(long.utf8.count) bytes long"), "\(error.message)")
            #expect((try? CSAFDocumentReader.read(bytes, checkIdentifiers: false)) != nil, "\(path) unchecked")
        }

        let vendor = try CraftedDocument.minimal { json in
            json["product_tree"] = ["branches": [["category": "vendor", "name": String(repeating: "v", count: limit + 1),
                                                  "branches": [["category": "product_name", "name": "Controller",
                                                                "product": ["product_id": "CSAFPID-1", "name": "Controller"]]]]]]
        }
        let error = try #require(Self.readError(vendor))
        #expect(error.path == "$.product_tree")
        #expect(error.message.hasPrefix("a vendor name in $.product_tree is \(limit + 1) bytes long"), "\(error.message)")
    }

    @Test("a missing required field is reported with its path", arguments: [
        ["document", "tracking", "id"],
        ["document", "tracking", "revision_history"],
        ["document", "publisher", "namespace"],
        ["document", "title"],
        ["document", "csaf_version"],
    ])
    func missingField(_ path: [String]) throws {
        let error = try #require(Self.readError(try Self.edited(nil, at: path)))
        let jsonPath = "$." + path.joined(separator: ".")
        #expect(error.code == .schema)
        #expect(error.path == jsonPath)
        #expect(error.message == "\(jsonPath): required field is missing")
    }

    @Test("a value of the wrong type is reported with its path and both types")
    func wrongType() throws {
        let version = try #require(Self.readError(try Self.edited(3, at: ["document", "tracking", "version"])))
        #expect(version.code == .schema)
        #expect(version.path == "$.document.tracking.version")
        #expect(version.message == "$.document.tracking.version: expected a string, found a number")

        let publisher = try #require(Self.readError(try Self.edited("CISA", at: ["document", "publisher"])))
        #expect(publisher.path == "$.document.publisher")
        #expect(publisher.message == "$.document.publisher: expected an object, found a string")

        let history = try #require(Self.readError(try Self.edited(["number": "1"], at: ["document", "tracking", "revision_history"])))
        #expect(history.path == "$.document.tracking.revision_history")
        #expect(history.message.contains("expected an array, found an object"))
    }

    @Test("a value outside a closed enumeration is reported with its path and the value")
    func invalidEnumValue() throws {
        let status = try #require(Self.readError(try Self.edited("published", at: ["document", "tracking", "status"])))
        #expect(status.code == .schema)
        #expect(status.path == "$.document.tracking.status")
        #expect(status.message.hasPrefix("$.document.tracking.status: "))
        #expect(status.message.contains("published"))
        #expect(status.message.contains("is not one of the values the CSAF schema allows"))

        let category = try #require(Self.readError(try Self.edited("distributor", at: ["document", "publisher", "category"])))
        #expect(category.path == "$.document.publisher.category")
        #expect(category.message.contains("distributor"))
    }

    @Test("an error deep in an array names the element index")
    func pathThroughArrays() throws {
        let bytes = try CraftedDocument.minimal { json in
            json["vulnerabilities"] = [
                ["cve": "CVE-2024-0001"],
                ["cve": "CVE-2024-0002", "scores": [["products": ["P1"], "cvss_v3": ["version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": 9.8]]]],
            ]
        }
        let error = try #require(Self.readError(bytes))
        #expect(error.path == "$.vulnerabilities[1].scores[0].cvss_v3.baseSeverity")
        #expect(error.message == "$.vulnerabilities[1].scores[0].cvss_v3.baseSeverity: required field is missing")
    }

    @Test("rules beyond decoding (patterns, formats, minimum items) are reported with their path")
    func validatorRules() throws {
        let cases: [(value: Any, path: [String], jsonPath: String)] = [
            ("2024-01-01", ["document", "tracking", "version"], "$.document.tracking.version"),
            ("yesterday", ["document", "tracking", "current_release_date"], "$.document.tracking.current_release_date"),
            (" EXAMPLE-1", ["document", "tracking", "id"], "$.document.tracking.id"),
            ([Any](), ["document", "notes"], "$.document.notes"),
            ("1.2", ["document", "csaf_version"], "$.document.csaf_version"),
        ]
        for (value, path, jsonPath) in cases {
            let error = try #require(Self.readError(try Self.edited(value, at: path)), "\(jsonPath)")
            #expect(error.code == .schema)
            #expect(error.path == jsonPath)
            #expect(error.message.hasPrefix("\(jsonPath): "), "\(error.message)")
        }

        let cve = try CraftedDocument.minimal { $0["vulnerabilities"] = [["cve": "CVE-22-1"]] }
        let error = try #require(Self.readError(cve))
        #expect(error.path == "$.vulnerabilities[0].cve")
        #expect(error.message.contains("\"CVE-22-1\" is not a CVE ID"))
    }

    @Test("a score object with only a CVSS v4 score is schema-valid: accepted, with a warning")
    func cvssV4OnlyScore() throws {
        let bytes = try CraftedDocument.minimal { json in
            json["vulnerabilities"] = [["cve": "CVE-2024-0001", "scores": [["products": ["P1"], "cvss_v4": [
                "version": "4.0", "vectorString": "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "baseScore": 8.5, "baseSeverity": "HIGH",
            ]]]]]
        }
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes) else {
            Issue.record("not read as CSAF")
            return
        }
        #expect(parsed.warnings.map(\.path) == ["$.vulnerabilities[0].scores[0]"])
        #expect(parsed.advisory.highestScore == nil)
    }

    @Test("JSON that is not CSAF is rejected as such, naming what it found")
    func notCSAF() throws {
        let error = try #require(Self.readError(Array(#"{"hello": "world", "n": 1}"#.utf8)))
        #expect(error.code == .notCSAF)
        #expect(error.message == #"not a CSAF document: the top level has no "document" object (its keys are "hello", "n")"#)
    }

    @Test("a document over the size limit is rejected before parsing, naming the limit")
    func tooLarge() throws {
        let bytes = Array(CraftedDocument.minimal.utf8)
        let error = try #require(Self.readError(bytes, maxBytes: 100))
        #expect(error.code == .tooLarge)
        #expect(error.message.contains("over the limit of 100 bytes"))
    }
}
