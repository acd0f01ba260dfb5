import CSAF
import Foundation
@testable import Sources
import Storage
import Testing
import VigilTestSupport

/// Every way a local import rejects a file hands the quarantine its typed code.
@Suite("Quarantine codes of a local import")
struct QuarantineCodeImportTests {
    @Test("too large, not JSON, not CSAF, against the schema and a hash mismatch each reach the quarantine with their code")
    func rejectionPaths() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let good = MirrorQuirksTests.document(id: "EXAMPLE-2024-0001")
        _ = try folder.write(good, to: "in/good.json")
        // Over the limit below, yet a valid document: the size alone rejects it.
        let big = try folder.write(MirrorQuirksTests.document(id: "EXAMPLE-2024-0003") + Array(repeating: UInt8(ascii: " "), count: 4_000),
                                   to: "in/big.json")
        let broken = try folder.write(Array(#"{"document": {"#.utf8), to: "in/broken.json")
        let notCSAF = try folder.write(Array(#"{"name": "left-pad", "version": "1.3.0"}"#.utf8), to: "in/package.json")
        let invalid = String(decoding: MirrorQuirksTests.document(id: "EXAMPLE-2024-0004"), as: UTF8.self)
            .replacingOccurrences(of: #""status": "final""#, with: #""status": "published""#)
        let schema = try folder.write(Array(invalid.utf8), to: "in/schema.json")
        let tampered = MirrorQuirksTests.document(id: "EXAMPLE-2024-0002")
        let right = MirrorQuirksTests.sha512(tampered)
        let wrong = (right.first == "0" ? "1" : "0") + right.dropFirst()
        let mismatch = try folder.write(tampered, to: "in/tampered.json")
        _ = try folder.write(Array("\(wrong)  tampered.json\n".utf8), to: "in/tampered.json.sha512")

        let sink = RecordingSink()
        let summary = try await LocalImporter(options: .init(maxBytes: 2_000)).run(paths: [folder.url.appendingPathComponent("in").path], into: sink)
        #expect(summary.new == 1)
        #expect(summary.rejected == 5)
        let rejected = Dictionary(uniqueKeysWithValues: await sink.rejected.map { ($0.origin, $0) })
        #expect(rejected.mapValues(\.code) == [big: .tooLarge, broken: .syntax, notCSAF: .notCSAF, schema: .schema, mismatch: .hashMismatch])
        #expect(rejected[big]?.bytes == nil)
        #expect(rejected[mismatch]?.advisoryID == "EXAMPLE-2024-0002")
        // Only a failed integrity check counts among the integrity outcomes.
        #expect(summary.integrity["hash-mismatch"] == 1)
        #expect(Set(summary.integrity.keys).isSubset(of: Set(IntegrityStatus.allCases.map(\.rawValue))), "\(summary.integrity)")
        #expect(summary.integrity.values.reduce(0, +) == 2, "\(summary.integrity)")
    }

    @Test("a file that cannot be opened is unreadable")
    func unreadable() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = folder.url.appendingPathComponent("gone.json").path
        let result = LocalImporter.process(FileDiscovery.Candidate(path: missing, explicit: true), maxBytes: 1 << 20, keyring: nil)
        guard case .rejected(let rejected) = result else {
            Issue.record("not rejected: \(result)")
            return
        }
        #expect(rejected.code == .unreadable)
        #expect(rejected.reason.contains("could not open the file"), "\(rejected.reason)")
        #expect(rejected.bytes == nil)
    }
}
