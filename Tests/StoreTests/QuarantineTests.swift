import CSAF
import Foundation
import GRDB
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

@Suite("Quarantine")
struct QuarantineTests {
    @Test("a document that fails its .sha512 sidecar is quarantined with its reason and is not an advisory")
    func hashMismatch() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json", as: "mirror/icsa-22-172-04.json")
        try folder.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-01.json", as: "mirror/icsa-22-172-01.json")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let title = Array(#""title": "Phoenix Contact ProConOS"#.utf8)
        let range = try #require(bytes.firstRange(of: title))
        bytes.replaceSubrange(range, with: Array(#""title": "Phoenix Contact ProConOZ"#.utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let store = try folder.store()
        let summary = try await LocalImporter().run(paths: [folder.url.appendingPathComponent("mirror").path], into: store)
        #expect(summary.new == 1)
        #expect(summary.rejected == 1)
        #expect(summary.errors.map(\.path) == [path])

        let quarantined = try await store.quarantined(limit: 10)
        #expect(quarantined.count == 1)
        let entry = try #require(quarantined.first)
        #expect(entry.origin == path)
        #expect(entry.code == .hashMismatch)
        #expect(entry.reason.hasPrefix("SHA-512 mismatch: the sidecar says a160b20bc86c5f9a…"), "\(entry.reason)")
        #expect(entry.advisoryID == "ICSA-22-172-04")
        #expect(entry.size == bytes.count)
        #expect(entry.sha256 == IntegrityChecker.check(bytes: bytes, fileName: "", sidecars: .init()).0.sha256)

        #expect(try await store.advisory(id: "ICSA-22-172-04") == nil)
        #expect(try await store.rawDocument(advisoryID: "ICSA-22-172-04", documentID: nil) == nil)
        #expect(try await store.search(AdvisoryQuery(text: "ProConOS")).total == 0)
        #expect(try await store.search(AdvisoryQuery(text: "ProConOZ")).total == 0)
        #expect(try await store.search(AdvisoryQuery()).items.map(\.id) == ["ICSA-22-172-01"])

        var statistics = try await store.statistics()
        #expect(statistics.advisories == 1)
        #expect(statistics.quarantined == 1)

        // The same file rejected again is the same quarantine entry.
        let again = try await LocalImporter().run(paths: [folder.url.appendingPathComponent("mirror").path], into: store)
        #expect(again.rejected == 1)
        #expect(again.unchanged == 1)
        statistics = try await store.statistics()
        #expect(statistics.quarantined == 1)
    }

    @Test("files that are not CSAF are quarantined with their reason; nothing is dropped silently")
    func notCSAF() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let notCSAF = try folder.write(Array(#"{"feed_version": 2}"#.utf8), to: "in/other.json")
        let broken = try folder.write(Array(#"{"document": {"#.utf8), to: "in/broken.json")
        let store = try folder.store()
        let summary = try await LocalImporter().run(paths: [folder.url.appendingPathComponent("in").path], into: store)
        #expect(summary.rejected == 2)

        let entries = Dictionary(uniqueKeysWithValues: try await store.quarantined(limit: 10).map { ($0.origin, $0) })
        #expect(entries[notCSAF]?.code == .notCSAF)
        #expect(entries[notCSAF]?.reason.hasPrefix("not a CSAF document") == true)
        #expect(entries[broken]?.code == .syntax)
        #expect(entries[broken]?.reason.hasPrefix("invalid JSON at line 1, column 15: ") == true, "\(entries[broken]?.reason ?? "")")
        #expect(try await store.statistics().advisories == 0)
    }

    @Test("codes an existing store holds read back typed; a string this version does not know reads back as it is")
    func storedCodes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("vigil.sqlite").path
        _ = try SQLiteStore(path: path)
        // Rows as earlier versions (and the CSAF reader's own spelling of too-large) wrote them, and one from elsewhere.
        let stored = ["hash-mismatch", "bad-signature", "unknown-key", "notCSAF", "syntax", "schema", "too-large", "tooLarge",
                      "unreadable", "not-csaf", "from-a-newer-vigil", ""]
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            for (index, code) in stored.enumerated() {
                try db.execute(sql: """
                    INSERT INTO quarantine(origin, reason, code, sha256, detected_at) VALUES (?, 'stored earlier', ?, '', '2026-01-01T00:00:00Z')
                    """, arguments: ["/in/\(index).json", code])
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        let read = Dictionary(uniqueKeysWithValues: try await store.quarantined(limit: 100).map { ($0.origin, $0.code) })
        let expected: [QuarantineCode] = [.hashMismatch, .badSignature, .unknownKey, .notCSAF, .syntax, .schema, .tooLarge, .tooLarge,
                                          .unreadable, .distributionFile, .other("from-a-newer-vigil"), .other("")]
        #expect(stored.indices.map { read["/in/\($0).json"] } == expected)
        #expect(read["/in/10.json"]?.rawValue == "from-a-newer-vigil")

        // What `vigil quarantine --json` prints: the stored string, known or not.
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let json = try JSONSerialization.jsonObject(with: try encoder.encode(try await store.quarantined(limit: 100))) as? [[String: Any]]
        #expect(Set(try #require(json).compactMap { $0["code"] as? String }) == Set(expected.map(\.rawValue)))
    }
}
