import CSAF
import Foundation
import OpenPGP
import Sources
import Storage
import Testing
import VigilTestSupport

/// What mirrors and aggregators do to a provider's files, and how Vigil still reads them: sidecars that name the file
/// differently or are written another way, provider metadata under another name, keys beside it under their
/// fingerprint or in an `openpgp/` folder.
@Suite("Mirror quirks")
struct MirrorQuirksTests {
    /// A small schema-valid CSAF document.
    static func document(id: String = "EXAMPLE-2024-0001") -> [UInt8] {
        Array("""
            {
              "document": {
                "category": "csaf_base",
                "csaf_version": "2.0",
                "publisher": {"category": "vendor", "name": "Example Vendor", "namespace": "https://example.com"},
                "title": "Crafted mirror test advisory",
                "tracking": {
                  "current_release_date": "2024-01-02T00:00:00Z",
                  "id": "\(id)",
                  "initial_release_date": "2024-01-01T00:00:00Z",
                  "revision_history": [{"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "Initial version"}],
                  "status": "final",
                  "version": "1"
                }
              }
            }

            """.utf8)
    }

    static func sha512(_ bytes: [UInt8]) -> String {
        IntegrityChecker.check(bytes: bytes, fileName: "", sidecars: .init()).0.sha512
    }

    /// One way a mirror writes a SHA-512 sidecar: the document's file name, the sidecar made from the digest, and the
    /// note the integrity detail carries (nil when the sidecar names the file as it is).
    struct SidecarQuirk: Sendable, CustomTestStringConvertible {
        var label: String
        var fileName: String
        var sidecar: @Sendable (_ digest: String) -> String
        var note: String?
        var testDescription: String { label }
    }

    static let quirks: [SidecarQuirk] = [
        SidecarQuirk(label: "`:` turned into `_`", fileName: "vde-2024:001.json", sidecar: { "\($0)  vde-2024_001.json\n" },
                     note: #"the sidecar names "vde-2024_001.json" for "vde-2024:001.json""#),
        SidecarQuirk(label: "URL-encoded name", fileName: "fsa 2024 01.json", sidecar: { "\($0)  fsa%202024%2001.json\n" },
                     note: #"the sidecar names "fsa%202024%2001.json" for "fsa 2024 01.json""#),
        SidecarQuirk(label: "spaces replaced, trailing spaces and a tab after the name", fileName: "fsa 2024 01.json",
                     sidecar: { "\($0)  fsa_2024_01.json   \t\n" }, note: #"the sidecar names "fsa_2024_01.json" for "fsa 2024 01.json""#),
        SidecarQuirk(label: "spaces trimmed", fileName: "fsa 2024 01.json", sidecar: { "\($0)  fsa202401.json\n" },
                     note: #"the sidecar names "fsa202401.json" for "fsa 2024 01.json""#),
        SidecarQuirk(label: "the right name with trailing spaces", fileName: "fsa-202401.json", sidecar: { "\($0)  fsa-202401.json   \n" },
                     note: nil),
        SidecarQuirk(label: "a mirror's folder prefix", fileName: "vde-2024:001.json",
                     sidecar: { "\($0)  mirror/white/2024/vde-2024_001.json\n" },
                     note: #"the sidecar names "mirror/white/2024/vde-2024_001.json" for "vde-2024:001.json""#),
        SidecarQuirk(label: "a folder prefix written on Windows", fileName: "fsa-202401.json", sidecar: { "\($0)  white\\2024\\fsa-202401.json" },
                     note: nil),
        SidecarQuirk(label: "upper-case hex", fileName: "fsa-202401.json", sidecar: { "\($0.uppercased())  fsa-202401.json\n" }, note: nil),
        SidecarQuirk(label: "`*` binary-mode marker on another spelling", fileName: "vde-2024:001.json",
                     sidecar: { "\($0) *vde-2024_001.json\n" }, note: #"the sidecar names "vde-2024_001.json" for "vde-2024:001.json""#),
        SidecarQuirk(label: "CRLF", fileName: "fsa-202401.json", sidecar: { "\($0)  fsa-202401.json\r\n" }, note: nil),
        SidecarQuirk(label: "the hash only", fileName: "vde-2024:001.json", sidecar: { $0 }, note: nil),
        SidecarQuirk(label: "a byte order mark", fileName: "fsa-202401.json", sidecar: { "\u{FEFF}\($0)  fsa-202401.json\n" }, note: nil),
        SidecarQuirk(label: "leading blank lines and tabs", fileName: "fsa-202401.json", sidecar: { "\n\r\n\t\($0)\tfsa-202401.json\n" },
                     note: nil),
        SidecarQuirk(label: "GNU coreutils' BSD-style line", fileName: "fsa-202401.json", sidecar: { "SHA512 (fsa-202401.json) = \($0)\n" },
                     note: nil),
        SidecarQuirk(label: "BSD-style line in upper case naming another spelling", fileName: "vde-2024:001.json",
                     sidecar: { "SHA512 (vde-2024_001.json) = \($0.uppercased())" },
                     note: #"the sidecar names "vde-2024_001.json" for "vde-2024:001.json""#),
        SidecarQuirk(label: "a checksum list: the line naming the file", fileName: "fsa-202401.json",
                     sidecar: { "\(String(repeating: "0", count: 128))  other.json\n\($0)  fsa-202401.json\n" }, note: nil),
    ]

    /// Writes the document under `name` with the sidecar beside it and imports the folder.
    static func importQuirk(_ name: String, sidecar: String) async throws -> (ImportSummary, RecordingSink, OfflineVerifier.Report) {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try folder.write(document(), to: "white/2024/" + name)
        _ = try folder.write(Array(sidecar.utf8), to: "white/2024/\(name).sha512")
        let sink = RecordingSink()
        let summary = try await LocalImporter().run(paths: [folder.path], into: sink)
        let report = try OfflineVerifier.run(paths: [folder.path], keys: nil)
        return (summary, sink, report)
    }

    @Test("a sidecar a mirror rewrote passes on its digest; a name spelt otherwise is a note on the document", arguments: quirks)
    func sidecarQuirkPasses(_ quirk: SidecarQuirk) async throws {
        let (summary, sink, report) = try await Self.importQuirk(quirk.fileName, sidecar: quirk.sidecar(Self.sha512(Self.document())))
        #expect(summary.rejected == 0, "\(summary.errors)")
        #expect(summary.new == 1)
        let document = try #require(await sink.documents.first)
        #expect(document.integrity.status == .hashOnly)
        let expected = "SHA-512 matched" + (quirk.note.map { " (\($0))" } ?? "") + "; no OpenPGP signature"
        #expect(document.integrity.detail == expected)
        // The sidecar is kept as published, for serving it back.
        #expect(document.integrity.sha512Sidecar == quirk.sidecar(Self.sha512(Self.document())))

        // `vigil verify` checks with the keys it has (none here), and says so.
        #expect(report.verdicts.map(\.status) == ["hash-only"])
        #expect(report.verdicts.first?.reason == expected + " published")
    }

    @Test("however the sidecar is written, a digest that differs is still hash-mismatch with its reason", arguments: quirks)
    func sidecarQuirkWithChangedDigest(_ quirk: SidecarQuirk) async throws {
        let right = Self.sha512(Self.document())
        let wrong = (right.first == "0" ? "1" : "0") + right.dropFirst()
        let (summary, sink, report) = try await Self.importQuirk(quirk.fileName, sidecar: quirk.sidecar(wrong))
        #expect(summary.new == 0)
        #expect(summary.rejected == 1)
        let rejected = try #require(await sink.rejected.first)
        #expect(rejected.code == .hashMismatch)
        #expect(rejected.advisoryID == "EXAMPLE-2024-0001")
        #expect(rejected.reason.hasPrefix("SHA-512 mismatch: the sidecar says \(wrong.prefix(16))…, the file hashes to \(right.prefix(16))… (the file was altered or truncated after publication)"),
                "\(rejected.reason)")
        #expect(report.verdicts.map(\.status) == ["hash-mismatch"])
    }

    @Test("a sidecar with no hex digest of the right length is still unreadable", arguments: [
        "\u{FEFF}", "\r\n\r\n\t", "SHA512 (fsa-202401.json) = not-a-digest", "sha512:abc  fsa-202401.json",
        String(repeating: "a", count: 127) + "  fsa-202401.json", String(repeating: "a", count: 64) + "  fsa-202401.json",
    ])
    func unreadableSidecar(_ sidecar: String) async throws {
        let (summary, sink, _) = try await Self.importQuirk("fsa-202401.json", sidecar: sidecar)
        #expect(summary.rejected == 1)
        let rejected = try #require(await sink.rejected.first)
        #expect(rejected.code == .hashMismatch)
        #expect(rejected.reason.hasPrefix("the SHA-512 sidecar is unreadable: "), "\(rejected.reason)")
    }

    @Test("both sidecars spelt otherwise: one note for both")
    func bothSidecarsRenamed() throws {
        let bytes = Self.document()
        let integrity = IntegrityChecker.check(bytes: bytes, fileName: "vde-2024:001.json", sidecars: .init(sha512: Self.sha512(bytes)))
        #expect(integrity.0.detail == "SHA-512 matched; no OpenPGP signature")
        let both = IntegrityChecker.check(bytes: bytes, fileName: "vde-2024:001.json", sidecars: .init(
            sha256: integrity.0.sha256.uppercased() + " *vde-2024_001.json\r\n", sha512: Self.sha512(bytes) + "  vde-2024_001.json"))
        #expect(both.failure == nil)
        #expect(both.0.detail == #"SHA-512 and SHA-256 matched (the sidecars name "vde-2024_001.json" for "vde-2024:001.json"); no OpenPGP signature"#)
        let one = IntegrityChecker.check(bytes: bytes, fileName: "vde-2024:001.json", sidecars: .init(
            sha256: integrity.0.sha256, sha512: Self.sha512(bytes) + "  vde-2024_001.json"))
        #expect(one.0.detail == #"SHA-512 and SHA-256 matched (the SHA-512 sidecar names "vde-2024_001.json" for "vde-2024:001.json"); no OpenPGP signature"#)
    }

    // MARK: Provider metadata and keys

    /// Provider metadata listing one key at `keyURL`.
    static func metadata(fingerprint: String, keyURL: String) -> [UInt8] {
        Array("""
            {
              "publisher": {"category": "vendor", "name": "Example Vendor", "namespace": "https://example.com"},
              "canonical_url": "https://mirror.example.net/Example%20Vendor/provider_metadata.json",
              "distributions": [{"directory_url": "https://example.com/.well-known/csaf/white/"}],
              "last_updated": "2024-01-01T00:00:00Z",
              "list_on_CSAF_aggregators": true,
              "metadata_version": "2.0",
              "mirror_on_CSAF_aggregators": true,
              "public_openpgp_keys": [{"fingerprint": "\(fingerprint)", "url": "\(keyURL)"}],
              "role": "csaf_trusted_provider"
            }
            """.utf8)
    }

    /// Where a mirror put the metadata and the key. `{FPR}`, `{fpr}` and `{KEYID}` in names stand for the key's
    /// fingerprint in upper and lower case and its 16-digit long key ID.
    struct KeyLayout: CustomStringConvertible {
        var metadataNames: [String]
        var keyFile: String
        var keyURL: String
        var armored = true
        var description: String { "\(metadataNames) with the key at \(keyFile)" }
    }

    static let layouts: [KeyLayout] = [
        // Festo's and Beckhoff's mirror: the key beside the metadata under the name its URL ends in.
        KeyLayout(metadataNames: ["provider_metadata.json"], keyFile: "{FPR}.asc",
                  keyURL: "https://example.com/.well-known/csaf/openpgp/{FPR}.asc"),
        KeyLayout(metadataNames: ["meta.json"], keyFile: "{fpr}.txt", keyURL: "https://example.com/keys/signing.asc"),
        KeyLayout(metadataNames: ["provider-metadata.json"], keyFile: "openpgp/{FPR}.asc", keyURL: "https://example.com/keys/signing.asc"),
        KeyLayout(metadataNames: ["provider_metadata.json"], keyFile: "openpgp/signing.asc", keyURL: "https://example.com/keys/signing.asc"),
        KeyLayout(metadataNames: ["csaf-provider.json"], keyFile: "{KEYID}.gpg", keyURL: "https://example.com/keys/signing.asc", armored: false),
        KeyLayout(metadataNames: ["provider_metadata.json"], keyFile: "openpgp/{KEYID}.pub", keyURL: ""),
        KeyLayout(metadataNames: ["provider-metadata.json", "provider_metadata.json"], keyFile: "{FPR}.asc",
                  keyURL: "https://example.com/keys/signing.asc"),
    ]

    @Test("provider metadata is recognised by content whatever it is called; its key is found by URL name or fingerprint, beside it or in openpgp/")
    func metadataAndKeysBeside() async throws {
        let gpg = try GnuPG()
        let fingerprint = try gpg.generateKey("Vigil mirror test <mirror@example.invalid>", algorithm: "ed25519")
        let keyID = String(fingerprint.suffix(16))
        let document = Self.document()
        let signature = try gpg.sign(document, with: fingerprint, armored: true, digest: "SHA512")
        func expand(_ text: String) -> String {
            text.replacingOccurrences(of: "{FPR}", with: fingerprint).replacingOccurrences(of: "{fpr}", with: fingerprint.lowercased())
                .replacingOccurrences(of: "{KEYID}", with: keyID)
        }

        for layout in Self.layouts {
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let root = folder.path + "/Example Vendor"
            for name in layout.metadataNames {
                _ = try folder.write(Self.metadata(fingerprint: fingerprint, keyURL: expand(layout.keyURL)), to: "Example Vendor/" + name)
            }
            let keyPath = try folder.write(try gpg.export(fingerprint, armored: layout.armored), to: "Example Vendor/" + expand(layout.keyFile))
            let documentPath = try folder.write(document, to: "Example Vendor/white/2024/example-2024-0001.json")
            _ = try folder.write(Array("\(Self.sha512(document))  example-2024-0001.json\n".utf8), to: "Example Vendor/white/2024/example-2024-0001.json.sha512")
            _ = try folder.write(signature, to: "Example Vendor/white/2024/example-2024-0001.json.asc")

            let sink = RecordingSink()
            let summary = try await LocalImporter().run(paths: [folder.path], into: sink)
            #expect(summary.keys == [.init(root: root, name: "Example Vendor", fingerprints: [fingerprint])], "\(layout)")
            #expect(summary.keyProblems.isEmpty, "\(layout): \(summary.keyProblems)")
            #expect(summary.integrity == ["verified": 1], "\(layout)")
            #expect(summary.rejected == 0, "\(layout): \(summary.errors)")
            // The key file is never a document: a .asc is passed over like a signature, other names are not JSON.
            #expect(await sink.documents.map(\.origin) == [documentPath], "\(layout)")
            #expect(summary.ignored == (keyPath.hasSuffix(".asc") ? 0 : 1), "\(layout)")
            #expect(summary.skippedFiles.map(\.path) == layout.metadataNames.sorted().map { root + "/" + $0 }, "\(layout)")
            #expect(summary.skippedFiles.allSatisfy { $0.kind == JSONDocumentKind.providerMetadata.rawValue })
            #expect(await sink.documents.first?.integrity.signer == fingerprint)

            let report = try OfflineVerifier.run(paths: [folder.path], keys: nil)
            #expect(report.verdicts.map(\.status) == ["verified"], "\(layout): \(report.verdicts.map(\.reason))")
            #expect(report.verdicts.map(\.signer) == [fingerprint])
            #expect(report.allVerified)
        }
    }

    @Test("keys stay pinned: a file named by the fingerprint that holds another key is passed over, and JSON that only mentions keys is not metadata")
    func pinnedWherever() async throws {
        let gpg = try GnuPG()
        let listed = try gpg.generateKey("Vigil listed key <listed@example.invalid>", algorithm: "ed25519")
        let other = try gpg.generateKey("Vigil other key <other@example.invalid>", algorithm: "ed25519")
        let document = Self.document()
        let signature = try gpg.sign(document, with: listed, armored: true, digest: "SHA512")

        func provider(_ folder: TemporaryFolder) throws {
            _ = try folder.write(Self.metadata(fingerprint: listed, keyURL: "https://example.com/keys/signing.asc"), to: "vendor/provider_metadata.json")
            _ = try folder.write(document, to: "vendor/white/example-2024-0001.json")
            _ = try folder.write(signature, to: "vendor/white/example-2024-0001.json.asc")
        }

        // The decoy beside the metadata, the listed key in openpgp/: the listed key is used, nothing to report.
        let both = try TemporaryFolder()
        defer { both.remove() }
        try provider(both)
        _ = try both.write(try gpg.export(other, armored: true), to: "vendor/\(listed).asc")
        _ = try both.write(try gpg.export(listed, armored: true), to: "vendor/openpgp/\(listed).asc")
        let found = try await LocalImporter().run(paths: [both.path], into: RecordingSink())
        #expect(found.keys.map(\.fingerprints) == [[listed]])
        #expect(found.keyProblems.isEmpty)
        #expect(found.integrity == ["verified": 1])

        // Only the decoy: not used, and the import says why; the signature stays unchecked.
        let decoy = try TemporaryFolder()
        defer { decoy.remove() }
        try provider(decoy)
        _ = try decoy.write(try gpg.export(other, armored: true), to: "vendor/\(listed.lowercased()).asc")
        let pinned = try await LocalImporter().run(paths: [decoy.path], into: RecordingSink())
        #expect(pinned.keys.isEmpty)
        #expect(pinned.keyProblems == ["\(decoy.path)/vendor/\(listed.lowercased()).asc holds key \(other), not the \(listed) that \(decoy.path)/vendor/provider_metadata.json pins; it is not used"])
        #expect(pinned.integrity == ["signature-unchecked": 1])
        let verdicts = try OfflineVerifier.run(paths: [decoy.path], keys: nil).verdicts
        #expect(verdicts.map(\.status) == ["unknown-key"])

        // JSON that lists keys but is not provider metadata (no canonical_url) gives no keys.
        let notMetadata = try TemporaryFolder()
        defer { notMetadata.remove() }
        _ = try notMetadata.write(Array(#"{"public_openpgp_keys": [{"fingerprint": "\#(listed)", "url": "https://example.com/\#(listed).asc"}]}"#.utf8),
                                  to: "vendor/keys.json")
        _ = try notMetadata.write(try gpg.export(listed, armored: true), to: "vendor/\(listed).asc")
        _ = try notMetadata.write(document, to: "vendor/white/example-2024-0001.json")
        _ = try notMetadata.write(signature, to: "vendor/white/example-2024-0001.json.asc")
        let none = try await LocalImporter().run(paths: [notMetadata.path], into: RecordingSink())
        #expect(none.keys.isEmpty)
        #expect(none.integrity == ["signature-unchecked": 1])
    }

    // MARK: Real mirrors

    @Test("mirrored folders verify with no --key, by the keys beside provider_metadata.json: Festo and Beckhoff 36, Siemens 118", arguments: [
        (["providers/festo", "providers/beckhoff"], 36), (["providers/siemens-sample"], 118),
    ])
    func realMirrors(_ folders: [String], _ expected: Int) throws {
        let report = try OfflineVerifier.run(paths: try folders.map { try SharedData.url($0).path }, keys: nil)
        #expect(report.verdicts.count == expected)
        #expect(report.allVerified, "\(report.verdicts.filter { $0.status != "verified" }.prefix(3).map { "\($0.path): \($0.reason)" })")
        #expect(report.keys.problems.isEmpty)
        #expect(Set(report.keys.providers.map { URL(fileURLWithPath: $0.root).lastPathComponent }) == Set(folders.map { URL(fileURLWithPath: $0).lastPathComponent }))
        #expect(report.skipped.contains { $0.hasSuffix("/provider_metadata.json") })
    }

    @Test("vigil verify of Festo and Beckhoff with no --key: 36 verified, exit status 0")
    func verifyCommand() async throws {
        let output = try await Executables.runVigil(["verify", "--json", try SharedData.url("providers/festo").path,
                                                     try SharedData.url("providers/beckhoff").path])
        #expect(output.status == 0, "\(output.stderr)")
        let json = try #require(output.json, "\(output.stdout.prefix(500))")
        #expect(json["verified"] as? Int == 36)
        let files = try #require(json["files"] as? [[String: Any]])
        #expect(Set(files.compactMap { $0["signer"] as? String }) == ["4B29CDDC3DD4B231162C2B122DF4DD0771B68E61", "6D0B3DE822AEB74F9B7F82C2306FBCF67D77C861"])
    }
}
