import CSAF
import Foundation
@testable import Sources
import Storage
import Testing
import VigilTestSupport

@Suite("Hash sidecars")
struct IntegrityCheckerTests {
    static let cisa = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"
    static let stackable = "providers/stackable/csaf/v2/advisories/2026/cve-2026-42581.json"

    static func text(_ relative: String) throws -> String { String(decoding: try SharedData.bytes(relative), as: UTF8.self) }

    static func sidecars(of relative: String) throws -> IntegrityChecker.Sidecars {
        func optional(_ suffix: String) throws -> String? {
            FileManager.default.fileExists(atPath: try SharedData.url(relative).path + suffix) ? try text(relative + suffix) : nil
        }
        let signature = try optional(".asc").map { Array($0.utf8) }
        return IntegrityChecker.Sidecars(sha256: try optional(".sha256"), sha512: try optional(".sha512"), signature: signature)
    }

    @Test("Stackable's sidecars name the file with its year folder and have no trailing newline: hash-only")
    func stackableForm() throws {
        let sidecars = try Self.sidecars(of: Self.stackable)
        let sha256 = try #require(sidecars.sha256)
        let sha512 = try #require(sidecars.sha512)
        #expect(sha256.hasSuffix("  2026/cve-2026-42581.json"))
        #expect(sha512.hasSuffix("  2026/cve-2026-42581.json"))
        #expect(sidecars.signature != nil)

        let bytes = try SharedData.bytes(Self.stackable)
        let (integrity, failure) = IntegrityChecker.check(bytes: bytes, fileName: "cve-2026-42581.json", sidecars: sidecars)
        #expect(failure == nil)
        #expect(integrity.status == .hashOnly)
        #expect(integrity.detail == "SHA-512 and SHA-256 matched; OpenPGP signature stored, not verified (no key is known for this source)")
        #expect(integrity.sha256 == String(sha256.prefix(64)))
        #expect(integrity.sha512 == String(sha512.prefix(128)))
        #expect(integrity.sha256Sidecar == sha256)
    }

    @Test("CISA's `<hex>  name` sidecar: hash-only")
    func cisaForm() throws {
        let sidecars = try Self.sidecars(of: Self.cisa)
        let sha512 = try #require(sidecars.sha512)
        #expect(sha512 == "a160b20bc86c5f9a04c0b18037fcff2488aed0483fdbe9f779b1a74005cb15f01530f0cbd6356e24d7da4a5bda8ba7697739dd24bfdda3d87a9a7601ab7c22bd  icsa-22-172-04.json")
        #expect(sidecars.sha256 == nil)

        let (integrity, failure) = IntegrityChecker.check(bytes: try SharedData.bytes(Self.cisa), fileName: "icsa-22-172-04.json", sidecars: sidecars)
        #expect(failure == nil)
        #expect(integrity.status == .hashOnly)
        #expect(integrity.detail == "SHA-512 matched; OpenPGP signature stored, not verified (no key is known for this source)")
        #expect(integrity.sha512 == "a160b20bc86c5f9a04c0b18037fcff2488aed0483fdbe9f779b1a74005cb15f01530f0cbd6356e24d7da4a5bda8ba7697739dd24bfdda3d87a9a7601ab7c22bd")
    }

    @Test("one modified byte gives hash-mismatch with a reason that says so", arguments: [0, 1000, -1])
    func modifiedByte(_ position: Int) throws {
        var bytes = try SharedData.bytes(Self.stackable)
        let index = position < 0 ? bytes.count - 1 : position
        bytes[index] ^= 0x01
        let (integrity, failure) = IntegrityChecker.check(bytes: bytes, fileName: "cve-2026-42581.json", sidecars: try Self.sidecars(of: Self.stackable))
        #expect(integrity.status == .hashMismatch)
        #expect(!integrity.status.isAcceptable)
        let reason = try #require(failure)
        #expect(reason.hasPrefix("SHA-512 mismatch: the sidecar says "))
        #expect(reason.contains("the file was altered or truncated after publication"))
        #expect(integrity.detail == reason)
    }

    @Test("a truncated document fails its CISA sidecar")
    func truncated() throws {
        let bytes = try SharedData.bytes(Self.cisa)
        let (integrity, failure) = IntegrityChecker.check(bytes: Array(bytes.dropLast()), fileName: "icsa-22-172-04.json", sidecars: try Self.sidecars(of: Self.cisa))
        #expect(integrity.status == .hashMismatch)
        #expect(failure?.hasPrefix("SHA-512 mismatch") == true)
    }

    @Test("a sidecar that names another file: its digest decides, the name is a note (or a hint when the digest differs)")
    func namesAnotherFile() throws {
        let bytes = try SharedData.bytes(Self.cisa)
        // Another document's real sidecar next to this file.
        let other = try Self.text("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-01.json.sha512")
        let (integrity, failure) = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json", sidecars: .init(sha512: other))
        #expect(integrity.status == .hashMismatch)
        #expect(failure?.hasPrefix("SHA-512 mismatch: the sidecar says 5fcd065f9d1dfa8d…, the file hashes to a160b20bc86c5f9a…") == true)
        #expect(failure?.hasSuffix("; the sidecar names \"icsa-22-172-01.json\", not \"icsa-22-172-04.json\": it may be another file's") == true, "\(failure ?? "nil")")

        // The right digest, another name (in a folder, as Stackable writes names): a match, with the name noted.
        let digest = IntegrityChecker.check(bytes: bytes, fileName: "x", sidecars: .init()).0.sha512
        let renamed = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json",
                                             sidecars: .init(sha512: "\(digest)  2022/icsa-22-172-05.json"))
        #expect(renamed.0.status == .hashOnly)
        #expect(renamed.failure == nil)
        #expect(renamed.0.detail == "SHA-512 matched (the sidecar names \"2022/icsa-22-172-05.json\" for \"icsa-22-172-04.json\"); no OpenPGP signature")
    }

    @Test("bare digests, `*name` (binary mode) and upper-case hex are accepted")
    func lenientForms() throws {
        let bytes = try SharedData.bytes(Self.cisa)
        let digest = IntegrityChecker.check(bytes: bytes, fileName: "x", sidecars: .init()).0.sha512
        for sidecar in [digest, digest + "\n", "\(digest) *icsa-22-172-04.json\n", digest.uppercased() + "  icsa-22-172-04.json",
                        "\(digest)\ticsa-22-172-04.json\r\n"] {
            let (integrity, failure) = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json", sidecars: .init(sha512: sidecar))
            #expect(failure == nil, "\(sidecar.debugDescription)")
            #expect(integrity.status == .hashOnly)
        }
    }

    /// The byte-level reading of the usual one-line sidecar gives exactly what the general reading gives, on every
    /// form it accepts, and leaves every other form to it.
    @Test("the one-line fast reading agrees with the general one")
    func singleLineAgrees() throws {
        let hex = String(repeating: "0123456789abcdef", count: 8)
        var forms = [hex, hex + "\n", hex + "\r\n", hex + "  icsa-22-172-04.json", hex + " *icsa-22-172-04.json\n", hex.uppercased() + "  x.json",
                     hex + "\t2024/x.json", hex + "*x.json", hex + "*", hex + "   ", hex + "  *  spaced name.json\r\n", hex + "  a b.json  \n\n",
                     // Left to the general reading: each must come back nil here.
                     " " + hex, "\u{FEFF}" + hex, "SHA512 (x.json) = " + hex, "\\" + hex + "  x\\nname", hex + "0  x.json", hex + "g",
                     hex + "  x.json\n" + hex + "  y.json", hex + "  naïve.json", String(hex.dropLast()), "", "\n"]
        for provider in ["cisa", "stackable", "ni"] {
            for file in try SharedData.jsonFiles(under: "providers/\(provider)").prefix(400) {
                let sidecar = try SharedData.url("providers/\(provider)").appendingPathComponent(file + ".sha512")
                if let text = try? String(contentsOf: sidecar, encoding: .utf8) { forms.append(text) }
            }
        }
        #expect(forms.count > 300)
        var fast = 0
        for form in forms {
            let general = IntegrityChecker.parseLines(form, expectedLength: 128)
            guard let single = IntegrityChecker.singleLine(form, expectedLength: 128) else { continue }
            fast += 1
            guard case .success(let (digest, name)) = general else {
                Issue.record("the fast reading accepted \(form.debugDescription), the general one refuses it")
                continue
            }
            #expect(single.digest == digest && single.name == name, "\(form.debugDescription)")
        }
        #expect(fast >= 212, "the real sidecars and the twelve usual forms take the fast reading")
        for form in [" " + hex, "\u{FEFF}" + hex, "SHA512 (x.json) = " + hex, hex + "0  x.json", hex + "  x.json\n" + hex + "  y.json", hex + "  naïve.json"] {
            #expect(IntegrityChecker.singleLine(form, expectedLength: 128) == nil, "\(form.debugDescription)")
            #expect((try? IntegrityChecker.parseSidecar(form, expectedLength: 128, fileName: "x.json").get()) != nil || form.hasPrefix(hex + "0"))
        }
    }

    @Test("an unreadable sidecar is a failure, not a pass", arguments: ["", "   \n", "not-a-digest  icsa-22-172-04.json", String(repeating: "a", count: 127)])
    func unreadableSidecar(_ sidecar: String) throws {
        let (integrity, failure) = IntegrityChecker.check(bytes: try SharedData.bytes(Self.cisa), fileName: "icsa-22-172-04.json", sidecars: .init(sha512: sidecar))
        #expect(integrity.status == .hashMismatch)
        #expect(failure?.hasPrefix("the SHA-512 sidecar is unreadable: ") == true, "\(failure ?? "nil")")
    }

    @Test("a wrong SHA-256 fails even when the SHA-512 matches")
    func eitherHashFails() throws {
        let bytes = try SharedData.bytes(Self.stackable)
        var sidecars = try Self.sidecars(of: Self.stackable)
        sidecars.sha256 = String(repeating: "0", count: 64) + "  2026/cve-2026-42581.json"
        let (integrity, failure) = IntegrityChecker.check(bytes: bytes, fileName: "cve-2026-42581.json", sidecars: sidecars)
        #expect(integrity.status == .hashMismatch)
        #expect(failure?.hasPrefix("SHA-256 mismatch") == true)
    }

    @Test("without a hash the status says what was missing")
    func noHash() throws {
        let bytes = try SharedData.bytes(Self.cisa)
        let unsigned = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json", sidecars: .init())
        #expect(unsigned.0.status == .unsigned)
        #expect(unsigned.failure == nil)
        let signed = IntegrityChecker.check(bytes: bytes, fileName: "icsa-22-172-04.json", sidecars: .init(signature: Array("sig".utf8)))
        #expect(signed.0.status == .signatureUnchecked)
        #expect(signed.0.status.isAcceptable)
    }

    @Test("digests match the published test vectors")
    func digests() {
        let (integrity, _) = IntegrityChecker.check(bytes: Array("abc".utf8), fileName: "abc", sidecars: .init())
        #expect(integrity.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(integrity.sha512 == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    }

    /// NI publishes no sidecar for 7 of its 2026 documents.
    @Test("every published sidecar of CISA, Stackable and NI verifies", arguments: [
        ("providers/cisa/csaf_files", 2_383, 0), ("providers/stackable/csaf/v2/advisories", 23, 0), ("providers/ni/csaf/advisories", 83, 7),
    ])
    func realSidecars(_ folder: String, _ expected: Int, _ withoutSidecar: Int) throws {
        var checked = 0
        var missing = 0
        for path in try SharedData.jsonFiles(under: folder) where !path.hasSuffix("feed-tlp-white.json") {
            let relative = "\(folder)/\(path)"
            let sidecars = try Self.sidecars(of: relative)
            guard sidecars.sha256 != nil || sidecars.sha512 != nil else {
                missing += 1
                continue
            }
            let name = (path as NSString).lastPathComponent
            let (integrity, failure) = IntegrityChecker.check(bytes: try SharedData.bytes(relative), fileName: name, sidecars: sidecars)
            #expect(failure == nil, "\(relative): \(failure ?? "")")
            #expect(integrity.status == .hashOnly)
            checked += 1
        }
        #expect(checked == expected)
        #expect(missing == withoutSidecar)
    }
}
