import Foundation
import Testing
import VigilTestSupport
@testable import CSAF

/// The fast decoding path must be indistinguishable from the Codable model it shortcuts.
@Suite("Fast decoding path")
struct FastDecodingTests {
    /// Decodes through the generic `Decodable` path only.
    func decodable(_ value: JSONValue) -> CSAFDocument? {
        try? JSONValueDecoder().decode(CSAFDocument.self, from: value)
    }

    @Test("gives the same document as the Decodable path for every real provider document")
    func sameAsDecodableOnProviderData() throws {
        var compared = 0
        for folder in ["providers/cisa", "providers/ni", "providers/stackable", "providers/gocsaf-testdata"] {
            for relative in try SharedData.jsonFiles(under: folder) {
                guard let value = try? JSONParser.parse(try SharedData.bytes("\(folder)/\(relative)")),
                      JSONDocumentKind.classify(value) == .csaf else { continue }
                let slow = decodable(value)
                let fast = try? CSAFDocument(fast: value)
                #expect(fast == slow, "\(folder)/\(relative): the two decoding paths disagree")
                compared += 1
            }
        }
        #expect(compared > 2_490, "only \(compared) documents were compared")
    }

    @Test("accepts and rejects exactly what the Decodable path does on the OASIS test documents")
    func sameVerdictOnOASISDocuments() throws {
        var compared = 0
        for relative in try SharedData.jsonFiles(under: "oasis-csaf-2.0/test/validator/data") {
            guard let value = try? JSONParser.parse(try SharedData.bytes("oasis-csaf-2.0/test/validator/data/\(relative)")),
                  JSONDocumentKind.classify(value) == .csaf else { continue }
            #expect((try? CSAFDocument(fast: value)) == decodable(value), "\(relative): the two decoding paths disagree")
            compared += 1
        }
        #expect(compared > 200)
    }

    @Test("fails where Decodable fails: missing required fields, wrong types, unknown enumeration values, null")
    func sameVerdictOnCraftedFaults() throws {
        let base = try JSONParser.parse(Array(#"""
            {"document":{"category":"csaf_base","csaf_version":"2.0","title":"T",
             "publisher":{"category":"vendor","name":"N","namespace":"https://n.example"},
             "tracking":{"id":"X-1","status":"final","version":"1","initial_release_date":"2024-01-01T00:00:00Z",
               "current_release_date":"2024-01-01T00:00:00Z","revision_history":[{"date":"2024-01-01T00:00:00Z","number":"1","summary":"s"}]}},
             "vulnerabilities":[{"cve":"CVE-2024-0001","scores":[{"products":["P"],"cvss_v3":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL"}}]}]}
            """#.utf8))
        #expect(try CSAFDocument(fast: base) == decodable(base))
        let faults: [(String, String)] = [
            (#""id":"X-1""#, #""id":null"#),
            (#""id":"X-1","#, ""),
            (#""status":"final""#, #""status":"published""#),
            (#""baseScore":9.8"#, #""baseScore":"9.8""#),
            (#""products":["P"]"#, #""products":"P""#),
            (#""cve":"CVE-2024-0001""#, #""cve":42"#),
            (#""title":"T""#, #""title":["T"]"#),
        ]
        let text = String(decoding: Array(#"""
            {"document":{"category":"csaf_base","csaf_version":"2.0","title":"T",
             "publisher":{"category":"vendor","name":"N","namespace":"https://n.example"},
             "tracking":{"id":"X-1","status":"final","version":"1","initial_release_date":"2024-01-01T00:00:00Z",
               "current_release_date":"2024-01-01T00:00:00Z","revision_history":[{"date":"2024-01-01T00:00:00Z","number":"1","summary":"s"}]}},
             "vulnerabilities":[{"cve":"CVE-2024-0001","scores":[{"products":["P"],"cvss_v3":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL"}}]}]}
            """#.utf8), as: UTF8.self)
        for (original, replacement) in faults {
            #expect(text.contains(original))
            let broken = try JSONParser.parse(Array(text.replacingOccurrences(of: original, with: replacement).utf8))
            #expect(decodable(broken) == nil, "\(replacement) should not decode")
            #expect((try? CSAFDocument(fast: broken)) == nil, "the fast path accepted \(replacement)")
        }
    }
}
