import CSAF
import Foundation
import OpenPGP
import Sources
import Storage
import Testing
import VigilTestSupport

/// Importing and checking folders whose documents carry OpenPGP signatures.
@Suite("Signatures on import and offline verification")
struct SignatureImportTests {
    static let cisa = "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"
    static let first = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"
    static let second = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-01.json"
    static let stackable = "providers/stackable/csaf/v2/advisories/2026/cve-2026-42581.json"

    /// A CISA-like provider folder: metadata, key, two good documents, and the damaged cases.
    static func provider() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.copy("providers/cisa/provider-metadata.json", as: "cisa/provider-metadata.json")
        try folder.copy("providers/cisa/cisacsafsigning_public.asc", as: "cisa/cisacsafsigning_public.asc")
        try folder.copy(first, as: "cisa/2022/icsa-22-172-04.json")
        try folder.copy(second, as: "cisa/2022/icsa-22-172-01.json")

        // Altered after signing, with a hash sidecar recomputed to match: only the signature can tell.
        var altered = try SharedData.bytes("providers/cisa/csaf_files/OT/white/2023/icsa-23-143-03.json")
        let index = try #require(altered.firstIndex(of: UInt8(ascii: "9")))
        altered[index] = UInt8(ascii: "8")
        let alteredPath = try folder.write(altered, to: "cisa/2023/icsa-23-143-03.json")
        let digest = IntegrityChecker.check(bytes: altered, fileName: "", sidecars: .init()).0.sha512
        _ = try folder.write(Array("\(digest)  icsa-23-143-03.json\n".utf8), to: "cisa/2023/icsa-23-143-03.json.sha512")
        _ = try folder.write(try SharedData.bytes("providers/cisa/csaf_files/OT/white/2023/icsa-23-143-03.json.asc"), to: "cisa/2023/icsa-23-143-03.json.asc")
        #expect(FileManager.default.fileExists(atPath: alteredPath))

        // Stackable's document and signature placed in CISA's folder: a key CISA does not list.
        try folder.copy(stackable, as: "cisa/2026/cve-2026-42581.json")
        return folder
    }

    @Test("a provider folder's pinned key verifies its documents; altered and foreign ones are quarantined with the reason")
    func providerFolder() async throws {
        let folder = try Self.provider()
        defer { folder.remove() }
        let sink = RecordingSink()
        let summary = try await LocalImporter().run(paths: [folder.path], into: sink)
        #expect(summary.keys.map(\.fingerprints) == [[Self.cisa]])
        #expect(summary.keyProblems.isEmpty)
        #expect(summary.new == 2)
        #expect(summary.rejected == 2)
        #expect(summary.integrity == ["verified": 2, "bad-signature": 1, "unknown-key": 1])

        let documents = await sink.documents
        #expect(documents.map(\.advisory.id) == ["ICSA-22-172-01", "ICSA-22-172-04"])
        for document in documents {
            #expect(document.integrity.status == .verified)
            #expect(document.integrity.signer == Self.cisa)
            #expect(document.integrity.detail.hasPrefix("SHA-512 matched; good RSA-4096 signature from \(Self.cisa) (CISA CSAF Signing <central@cisa.gov>), made 20"), "\(document.integrity.detail)")
        }
        let rejected = await sink.rejected.sorted { $0.origin < $1.origin }
        #expect(rejected.map(\.code) == [.badSignature, .unknownKey])
        #expect(rejected[0].advisoryID == "ICSA-23-143-03")
        #expect(rejected[0].reason.contains("does not match the signature (the data or the signature was altered)"), "\(rejected[0].reason)")
        #expect(rejected[1].reason.contains("218E03479FE800223105FEA631905DED3EFD610A, which is not among the trusted keys (\(Self.cisa))"), "\(rejected[1].reason)")
        #expect(rejected.allSatisfy { $0.bytes != nil })
    }

    @Test("a hash mismatch is reported as such even when the signature would also fail")
    func hashMismatchWins() throws {
        let bytes = try SharedData.bytes(Self.first)
        var altered = bytes
        altered[100] ^= 0x01
        let keyring = try Keyring(keyFiles: [try SharedData.bytes("providers/cisa/cisacsafsigning_public.asc")])
        let sidecars = IntegrityChecker.Sidecars(sha512: String(decoding: try SharedData.bytes(Self.first + ".sha512"), as: UTF8.self),
                                                 signature: try SharedData.bytes(Self.first + ".asc"))
        let (integrity, failure) = IntegrityChecker.check(bytes: altered, fileName: "icsa-22-172-04.json", sidecars: sidecars, keyring: keyring)
        #expect(integrity.status == .hashMismatch)
        #expect(failure?.contains("SHA-512 mismatch") == true)
        let (good, none) = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json", sidecars: sidecars, keyring: keyring)
        #expect(good.status == .verified)
        #expect(none == nil)
        // A keyring but no signature: the hash alone.
        let (hashOnly, _) = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json",
                                                   sidecars: .init(sha512: sidecars.sha512), keyring: keyring)
        #expect(hashOnly.status == .hashOnly)
        #expect(hashOnly.detail == "SHA-512 matched; no OpenPGP signature published")
    }

    @Test("metadata that pins another fingerprint than the key file holds: the key is not used, and the import says why")
    func wrongPin() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let metadata = String(decoding: try SharedData.bytes("providers/cisa/provider-metadata.json"), as: UTF8.self)
            .replacingOccurrences(of: Self.cisa, with: "0000000000000000000000000000000000000000")
        _ = try folder.write(Array(metadata.utf8), to: "cisa/provider-metadata.json")
        try folder.copy("providers/cisa/cisacsafsigning_public.asc", as: "cisa/cisacsafsigning_public.asc")
        try folder.copy(Self.first, as: "cisa/2022/icsa-22-172-04.json")
        let sink = RecordingSink()
        let summary = try await LocalImporter().run(paths: [folder.path], into: sink)
        #expect(summary.keys.isEmpty)
        #expect(summary.keyProblems == ["\(folder.path)/cisa/cisacsafsigning_public.asc holds key \(Self.cisa), not the 0000000000000000000000000000000000000000 that \(folder.path)/cisa/provider-metadata.json pins; it is not used"])
        // No usable key: the signature is stored unchecked, the hash still counts.
        #expect(summary.integrity == ["hash-only": 1])
    }

    @Test("--key: a key given explicitly verifies a document imported on its own")
    func explicitKey() async throws {
        let keys = try ProviderKeys.readKeyFiles([try SharedData.url("providers/cisa/cisacsafsigning_public.asc").path])
        let sink = RecordingSink()
        let summary = try await LocalImporter(options: .init(keys: keys)).run(paths: [try SharedData.url(Self.first).path], into: sink)
        #expect(summary.integrity == ["verified": 1])
        #expect(await sink.documents.first?.integrity.signer == Self.cisa)
        #expect(throws: KeyFileError.self) { try ProviderKeys.readKeyFiles([try SharedData.url(Self.first).path]) }
        #expect(throws: KeyFileError.self) { try ProviderKeys.readKeyFiles(["/nonexistent/key.asc"]) }
    }

    @Test("offline verification: a verdict per document, with status, reason and signer; distribution files skipped")
    func offline() throws {
        let folder = try Self.provider()
        defer { folder.remove() }
        let report = try OfflineVerifier.run(paths: [folder.path], keys: nil)
        let byName = Dictionary(uniqueKeysWithValues: report.verdicts.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0) })
        #expect(byName.count == 4)
        #expect(byName["icsa-22-172-04.json"]?.status == "verified")
        #expect(byName["icsa-22-172-04.json"]?.signer == Self.cisa)
        #expect(byName["icsa-22-172-01.json"]?.status == "verified")
        #expect(byName["icsa-23-143-03.json"]?.status == "bad-signature")
        #expect(byName["cve-2026-42581.json"]?.status == "unknown-key")
        #expect(byName["cve-2026-42581.json"]?.signer == nil)
        #expect(report.skipped == ["\(folder.path)/cisa/provider-metadata.json"])
        #expect(!report.allVerified)

        // With Stackable's key added, its document verifies too (explicit keys apply to every folder).
        let stackable = try ProviderKeys.readKeyFiles([try SharedData.url("providers/stackable/csaf/v2/openpgp/4005788070EAA8A5.txt").path])
        let withKey = try OfflineVerifier.run(paths: [folder.path], keys: stackable)
        #expect(withKey.verdicts.first { $0.path.hasSuffix("cve-2026-42581.json") }?.status == "verified")

        // NI publishes hashes only; without keys a signed document is an unknown key, never a pass.
        let ni = try OfflineVerifier.run(paths: [try SharedData.url("providers/ni/csaf/advisories/2024").path], keys: nil)
        #expect(!ni.verdicts.isEmpty)
        #expect(ni.verdicts.allSatisfy { $0.status == "hash-only" })
        let lone = try OfflineVerifier.run(paths: [try SharedData.url(Self.stackable).path], keys: nil)
        #expect(lone.verdicts.map(\.status) == ["unknown-key"])
    }
}
