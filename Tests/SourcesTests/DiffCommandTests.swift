import Foundation
import Testing
import VigilTestSupport

/// `vigil diff` as a user runs it, over the ISDuBA advisory stored in three revisions (2, 3 interim, 3 final).
@Suite("vigil diff")
struct DiffCommandTests {
    static func store() async throws -> (TemporaryFolder, String) {
        let folder = try TemporaryFolder()
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        for revision in ["2", "3-interim", "3-final"] {
            let output = try await Executables.runVigil(["import", "--db", db, try SharedData.url("revisions-isduba/\(revision)").path])
            #expect(output.status == 0, "\(output.stderr)")
        }
        return (folder, db)
    }

    @Test("the revisions named VERSION@DOCUMENT where a version repeats; each pair's changes; JSON as the API gives; unknown ones exit 1")
    func diff() async throws {
        let (folder, db) = try await Self.store()
        defer { folder.remove() }
        let list = try await Executables.runVigil(["diff", "--db", db, "--list", "Avendor-advisory-0004"])
        #expect(list.status == 0)
        let names = list.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        #expect(names.count == 3)
        #expect(names.last == "2")
        #expect(names.dropLast().allSatisfy { $0.hasPrefix("3@") }, "\(names)")

        // Default: the current revision (3 final) against the one before it (3 interim).
        let latest = try await Executables.runVigil(["diff", "--db", db, "Avendor-advisory-0004"])
        #expect(latest.status == 0, "\(latest.stderr)")
        #expect(latest.stdout.contains("revision \(names[1]) → \(names[0])"))
        #expect(latest.stdout.contains("status interim → final"))
        #expect(latest.stdout.contains("note \"Test document summary\" added"))
        #expect(!latest.stdout.contains("version 2 → 3"))

        let whole = try await Executables.runVigil(["diff", "--db", db, "--json", "Avendor-advisory-0004", "2"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let json = try #require(whole.json, "\(whole.stdout.prefix(400))")
        #expect(json["from"] as? String == "2")
        #expect(json["to"] as? String == names[0])
        #expect(json["advisory_id"] as? String == "Avendor-advisory-0004")
        #expect((json["summary"] as? [String])?.contains("status draft → final") == true)
        let diff = try #require(json["diff"] as? [String: Any])
        let tracking = try #require(diff["tracking"] as? [String: Any])
        #expect(tracking["current_release_date"] != nil, "keys as the API writes them")
        #expect((tracking["status"] as? [String: Any])?["old"] as? String == "draft")
        #expect((tracking["status"] as? [String: Any])?["new"] as? String == "final")

        let unknown = try await Executables.runVigil(["diff", "--db", db, "Avendor-advisory-0004", "7"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("has no stored revision 7 (stored: \(names.joined(separator: ", ")))"))
        let missing = try await Executables.runVigil(["diff", "--db", db, "NOPE-1"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no advisory with the ID NOPE-1 is stored"))
    }
}
