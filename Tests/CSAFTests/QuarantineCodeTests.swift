import CSAF
import Foundation
import Testing
import VigilTestSupport

/// Why a document is quarantined, as a typed code whose raw value is what the quarantine has always stored.
@Suite("Quarantine codes")
struct QuarantineCodeTests {
    @Test("each code keeps the string the quarantine stores")
    func rawValues() {
        let stored: [QuarantineCode: String] = [
            .tooLarge: "too-large", .unreadable: "unreadable", .syntax: "syntax", .notCSAF: "notCSAF",
            .distributionFile: "not-csaf", .schema: "schema", .hashMismatch: "hash-mismatch",
            .badSignature: "bad-signature", .unknownKey: "unknown-key",
        ]
        #expect(Set(stored.keys) == Set(QuarantineCode.known))
        #expect(QuarantineCode.known.count == stored.count, "a code is listed twice")
        for code in QuarantineCode.known {
            #expect(code.rawValue == stored[code], "\(code)")
            #expect(QuarantineCode(rawValue: code.rawValue) == code)
            #expect(!code.advice.isEmpty)
        }
    }

    @Test("a stored string this version does not know reads back as it was; the reader's own spelling of too-large reads as too-large")
    func unknownAndLegacy() {
        let unknown = QuarantineCode(rawValue: "quarantined-by-a-newer-vigil")
        #expect(unknown == .other("quarantined-by-a-newer-vigil"))
        #expect(unknown.rawValue == "quarantined-by-a-newer-vigil")
        #expect(unknown.integrityStatus == nil)
        #expect(!unknown.advice.isEmpty)
        #expect(QuarantineCode(rawValue: "") == .other(""))
        #expect(QuarantineCode(rawValue: "tooLarge") == .tooLarge)
        // A known string wrapped as `other` is the same code.
        #expect(QuarantineCode.other("hash-mismatch") == .hashMismatch)
        #expect(Set([QuarantineCode.other("bad-signature"), .badSignature]).count == 1)
    }

    @Test("each way the CSAF reader refuses a file has its code")
    func readerRejections() throws {
        func code(_ bytes: [UInt8], maxBytes: Int = CSAFDocumentReader.defaultMaxBytes) -> QuarantineCode? {
            SchemaErrorTests.readError(bytes, maxBytes: maxBytes).map { QuarantineCode($0.code) }
        }
        #expect(code(Array(#"{"document": {"#.utf8)) == .syntax)
        #expect(code(Array(#"{"name": "left-pad", "version": "1.3.0"}"#.utf8)) == .notCSAF)
        #expect(code(try SchemaErrorTests.edited(nil, at: ["document", "title"])) == .schema)
        #expect(code(try SchemaErrorTests.edited("published", at: ["document", "tracking", "status"])) == .schema)
        #expect(code(Array(CraftedDocument.minimal.utf8), maxBytes: 100) == .tooLarge)
        #expect(code(Array(CraftedDocument.minimal.utf8)) == nil)
    }

    @Test("failing integrity statuses are codes of their own; acceptable ones are no reason and stay as they are called")
    func integrityStatuses() {
        for status in IntegrityStatus.allCases {
            let code = QuarantineCode(status)
            #expect(code.rawValue == status.rawValue)
            if status.isAcceptable {
                #expect(code == .other(status.rawValue))
                #expect(code.integrityStatus == nil)
            } else {
                #expect(code.integrityStatus == status)
                #expect(QuarantineCode.known.contains(code))
            }
        }
        #expect(QuarantineCode(.hashMismatch) == .hashMismatch)
        #expect(QuarantineCode(.badSignature) == .badSignature)
        #expect(QuarantineCode(.unknownKey) == .unknownKey)
    }

    @Test("in JSON a code is its string, known or not")
    func json() throws {
        struct Entry: Codable, Equatable { var code: QuarantineCode }
        let entries = (QuarantineCode.known + [.other("from-elsewhere")]).map(Entry.init)
        let data = try JSONEncoder().encode(entries)
        let strings = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]]).map { $0["code"] }
        #expect(strings == entries.map(\.code.rawValue))
        #expect(try JSONDecoder().decode([Entry].self, from: data) == entries)
        #expect(try JSONDecoder().decode(Entry.self, from: Data(#"{"code": "tooLarge"}"#.utf8)).code == .tooLarge)
    }
}
