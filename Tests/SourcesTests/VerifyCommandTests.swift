import Foundation
import Testing
import VigilTestSupport

/// `vigil verify` as a user runs it: the executable, its JSON report and its exit status.
@Suite("vigil verify")
struct VerifyCommandTests {
    static func vigil(_ arguments: [String]) async throws -> Executables.Output {
        try await Executables.runVigil(arguments)
    }

    @Test("CISA's whole folder: 2,383 verified with the key its metadata pins, exit status 0")
    func cisa() async throws {
        let output = try await Self.vigil(["verify", "--json", try SharedData.url("providers/cisa").path])
        #expect(output.status == 0, "\(output.stderr)")
        let json = try #require(output.json, "\(output.stdout.prefix(500))")
        #expect(json["verified"] as? Int == 2_383)
        for status in ["hash-only", "unsigned", "hash-mismatch", "bad-signature", "unknown-key"] {
            #expect(json[status] as? Int == 0, "\(status)")
        }
        let files = try #require(json["files"] as? [[String: Any]])
        #expect(files.count == 2_383)
        #expect(files.allSatisfy { $0["signer"] as? String == "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17" && $0["status"] as? String == "verified" })
        #expect(files.allSatisfy { Set($0.keys) == ["path", "status", "reason", "signer"] })
    }

    @Test("a tampered folder: each file's verdict, the counts, exit status 1; --key adds a trusted key")
    func tampered() async throws {
        let folder = try SignatureImportTests.provider()
        defer { folder.remove() }
        let output = try await Self.vigil(["verify", "--json", folder.path])
        #expect(output.status == 1)
        let json = try #require(output.json)
        #expect(json["verified"] as? Int == 2)
        #expect(json["bad-signature"] as? Int == 1)
        #expect(json["unknown-key"] as? Int == 1)
        #expect(json["hash-mismatch"] as? Int == 0)
        let files = try #require(json["files"] as? [[String: Any]])
        let bad = try #require(files.first { ($0["path"] as? String)?.hasSuffix("icsa-23-143-03.json") == true })
        #expect(bad["status"] as? String == "bad-signature")
        #expect(bad["signer"] is NSNull)
        #expect((bad["reason"] as? String)?.contains("altered") == true)

        // Plain text: one line per document that is not verified with --quiet, then the totals.
        let text = try await Self.vigil(["verify", "--quiet", folder.path])
        #expect(text.status == 1)
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(text.stdout)")
        #expect(lines.contains { $0.hasPrefix("bad-signature ") && $0.contains("icsa-23-143-03.json") })
        #expect(lines.contains { $0.hasPrefix("unknown-key ") && $0.contains("cve-2026-42581.json") })
        #expect(lines.last == "4 documents: 2 verified, 1 bad-signature, 1 unknown-key")

        let stackableKey = try SharedData.url("providers/stackable/csaf/v2/openpgp/4005788070EAA8A5.txt").path
        let withKey = try await Self.vigil(["verify", "--json", "--key", stackableKey, folder.path + "/cisa/2026/cve-2026-42581.json"])
        #expect(withKey.status == 0, "\(withKey.stdout)")
        #expect(withKey.json?["verified"] as? Int == 1)
    }

    @Test("vigil quarantine lists what an import kept aside, with the check and the reason")
    func quarantineCommand() async throws {
        let folder = try SignatureImportTests.provider()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        let imported = try await Self.vigil(["import", "--db", db, "--quiet", folder.path + "/cisa"])
        #expect(imported.status == 1, "two documents are rejected")
        let output = try await Self.vigil(["quarantine", "--db", db, "--json"])
        #expect(output.status == 0)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["code"] as? String }) == ["bad-signature", "unknown-key"])
        #expect(entries.allSatisfy { ($0["reason"] as? String)?.isEmpty == false })
        let text = try await Self.vigil(["quarantine", "--db", db])
        #expect(text.stdout.contains("bad-signature  ICSA-23-143-03"), "\(text.stdout)")
    }

    @Test("a key file that is not a key, or a missing path: exit status 2 and a sentence that says which")
    func badArguments() async throws {
        let notAKey = try await Self.vigil(["verify", "--key", try SharedData.url("providers/cisa/provider-metadata.json").path,
                                      try SharedData.url("providers/cisa").path])
        #expect(notAKey.status == 2)
        #expect(notAKey.stderr.contains("provider-metadata.json: not an OpenPGP public key"), "\(notAKey.stderr)")
        let missing = try await Self.vigil(["verify", "/nonexistent/folder"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/folder: no such file or directory"), "\(missing.stderr)")
    }
}

extension Executables.Output {
    /// Standard output read as a JSON object.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
}
