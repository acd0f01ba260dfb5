import Crypto
import Foundation
import OpenPGP
import Testing
import VigilTestSupport

/// The real signatures providers publish, verified with the keys they publish.
@Suite("Provider signatures")
struct ProviderSignatureTests {
    static let cisaFingerprint = "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"

    static func keyring(_ files: String...) throws -> Keyring {
        try Keyring(keyFiles: files.map { try SharedData.bytes($0) })
    }

    /// Every `.json` with an `.asc` sidecar under a folder, as absolute paths.
    static func signedDocuments(under relative: String) throws -> [String] {
        let base = try SharedData.url(relative).path
        return try SharedData.jsonFiles(under: relative).map { base + "/" + $0 }
            .filter { FileManager.default.fileExists(atPath: $0 + ".asc") }
    }

    @Test("CISA's key: RSA-4096, its fingerprint, an expired encryption subkey that cannot sign")
    func cisaKey() throws {
        let certificates = try Certificate.read(try SharedData.bytes("providers/cisa/cisacsafsigning_public.asc"))
        #expect(certificates.count == 1)
        let cisa = try #require(certificates.first)
        #expect(cisa.fingerprintHex == Self.cisaFingerprint)
        #expect(cisa.primary.keyIDHex == "CAC5AC4F74164B17")
        #expect(cisa.primary.algorithmDescription == "RSA-4096")
        #expect(cisa.userIDs == ["CISA CSAF Signing <central@cisa.gov>"])
        #expect(cisa.isSelfCertified)
        #expect(cisa.revocation == nil)
        #expect(cisa.flags == 0x03)
        #expect(cisa.expires == nil)
        #expect(cisa.subkeys.count == 1)
        let subkey = try #require(cisa.subkeys.first)
        #expect(subkey.key.fingerprintHex == "9FBFBC6049BBC6A47385379CC1D48E2CE023745E")
        #expect(subkey.isBound)
        #expect(subkey.flags == 0x0C)
        #expect(!subkey.canSign)
        // gpg: "sub rsa4096 2023-08-03 [E] [expired: 2025-08-03]"
        let expiry = Date(timeIntervalSince1970: TimeInterval(subkey.key.created) + TimeInterval(try #require(subkey.lifetime)))
        #expect(ISO8601DateFormatter().string(from: expiry).hasPrefix("2025-08-03"))
    }

    @Test("all 2,383 CISA documents verify against CISA's published key")
    func allCISADocuments() throws {
        let keyring = try Self.keyring("providers/cisa/cisacsafsigning_public.asc").pinned(to: [Self.cisaFingerprint])
        #expect(keyring.certificates.count == 1)
        let documents = try Self.signedDocuments(under: "providers/cisa/csaf_files")
        #expect(documents.count == 2_383)
        var verified = 0
        for path in documents {
            let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let signature = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".asc")))
            let result = keyring.verify(signature: signature, of: data)
            #expect(result.outcome == .verified, "\(path): \(result.reason)")
            #expect(result.signer == Self.cisaFingerprint, "\(path)")
            if result.outcome == .verified { verified += 1 }
        }
        #expect(verified == 2_383)
    }

    @Test("Stackable's 23 Ed25519 signatures verify with its two published keys")
    func stackable() throws {
        let keyring = try Self.keyring("providers/stackable/csaf/v2/openpgp/4005788070EAA8A5.txt",
                                       "providers/stackable/csaf/v2/openpgp/A2A781A51BC3B8C6.txt")
        #expect(Set(keyring.certificates.map(\.fingerprintHex)) == ["218E03479FE800223105FEA631905DED3EFD610A", "A4BE1EC463AA541E15FF54AB88EDA0F297A4367A"])
        #expect(keyring.certificates.allSatisfy { $0.primary.algorithmDescription == "Ed25519" })
        let documents = try Self.signedDocuments(under: "providers/stackable/csaf/v2/advisories")
        #expect(documents.count == 23)
        for path in documents {
            let result = keyring.verify(signature: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".asc"))),
                                        of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(result.outcome == .verified, "\(path): \(result.reason)")
            #expect(result.signer == "218E03479FE800223105FEA631905DED3EFD610A")
            #expect(result.reason.contains("Ed25519 signature"))
        }
    }

    @Test("gocsaf's test providers verify, armored signature in the ROLIE provider and in the directory provider", arguments: [
        "providers/gocsaf-testdata/simple-rolie-provider",
        "providers/gocsaf-testdata/simple-directory-provider",
    ])
    func gocsaf(provider: String) throws {
        let keyring = try Self.keyring(provider + "/openpgp/pubkey.asc").pinned(to: ["A8914CA2F11139C6A69A0018FB3CD9B15DE61596"])
        let documents = try Self.signedDocuments(under: provider)
        #expect(!documents.isEmpty)
        for path in documents {
            let result = keyring.verify(signature: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".asc"))),
                                        of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(result.outcome == .verified, "\(path): \(result.reason)")
        }
    }

    /// One CISA document and its signature, for the tampering cases.
    static func cisaSample() throws -> (data: [UInt8], signature: [UInt8], keyring: Keyring) {
        let path = try #require(try signedDocuments(under: "providers/cisa/csaf_files/OT/white/2024").first)
        return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))),
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".asc"))),
                try keyring("providers/cisa/cisacsafsigning_public.asc"))
    }

    @Test("one flipped byte in the document is a bad signature, wherever it is")
    func flippedDocumentByte() throws {
        let (data, signature, keyring) = try Self.cisaSample()
        #expect(keyring.verify(signature: signature, of: data).outcome == .verified)
        for position in [0, data.count / 2, data.count - 1] {
            var altered = data
            altered[position] ^= 0x01
            let result = keyring.verify(signature: signature, of: altered)
            #expect(result.outcome == .badSignature, "byte \(position)")
            #expect(result.reason.contains("altered") || result.reason.contains("does not match"), "\(result.reason)")
        }
        // A document cut short or with one byte more.
        #expect(keyring.verify(signature: signature, of: Array(data.dropLast())).outcome == .badSignature)
        #expect(keyring.verify(signature: signature, of: data + [0x0A]).outcome == .badSignature)
    }

    @Test("one flipped bit in the signature value is a bad signature, not a crash")
    func flippedSignatureByte() throws {
        let (data, signature, keyring) = try Self.cisaSample()
        let packets = try Packet.readArmoredOrBinary(signature)
        let binary = try #require(packets.first)
        // Re-encode the packet with the last byte of the RSA value flipped, as binary and as armor.
        var body = binary.body
        body[body.count - 1] ^= 0x80
        let packet = Packet(tag: 2, body: body).encoded
        let result = keyring.verify(signature: packet, of: data)
        #expect(result.outcome == .badSignature)
        #expect(result.reason.contains("RSA signature does not match"), "\(result.reason)")
        // The hash prefix octets changed: the quick check catches it.
        var quick = binary.body
        // version, type, algorithms (4), hashed area (2 + n), unhashed area (2 + m), then the two prefix octets.
        let hashedLength = Int(quick[4]) << 8 | Int(quick[5])
        let unhashedLength = Int(quick[6 + hashedLength]) << 8 | Int(quick[7 + hashedLength])
        let prefixOffset = 8 + hashedLength + unhashedLength
        quick[prefixOffset] ^= 0xFF
        let quickPacket = Packet(tag: 2, body: quick).encoded
        #expect(keyring.verify(signature: quickPacket, of: data).outcome == .badSignature)
    }

    @Test("a damaged armored signature fails its checksum and says so")
    func damagedArmor() throws {
        let (data, signature, keyring) = try Self.cisaSample()
        var text = String(decoding: signature, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Change one base64 character in the middle of the body.
        let index = lines.count / 2
        var line = Array(lines[index])
        line[5] = line[5] == "A" ? "B" : "A"
        var changed = lines.map(String.init)
        changed[index] = String(line)
        text = changed.joined(separator: "\n")
        let result = keyring.verify(signature: Array(text.utf8), of: data)
        #expect(result.outcome == .badSignature)
        #expect(result.reason.contains("checksum"), "\(result.reason)")
        // Cut off before its END line.
        let truncated = Array(signature.prefix(signature.count - 40))
        let cut = keyring.verify(signature: truncated, of: data)
        #expect(cut.outcome == .badSignature)
        #expect(cut.reason.contains("no END line"), "\(cut.reason)")
    }

    @Test("a signature by another provider's key is an unknown key, naming the key")
    func otherKey() throws {
        let cisa = try Self.keyring("providers/cisa/cisacsafsigning_public.asc")
        let path = try #require(try Self.signedDocuments(under: "providers/stackable/csaf/v2/advisories").first)
        let result = cisa.verify(signature: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".asc"))),
                                 of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(result.outcome == .unknownKey)
        #expect(result.reason.contains("218E03479FE800223105FEA631905DED3EFD610A"), "\(result.reason)")
        #expect(result.signer == nil)
        // With no keys at all the answer is the same, and says that none are configured.
        let none = Keyring().verify(signature: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".asc"))),
                                    of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(none.outcome == .unknownKey)
        #expect(none.reason.contains("none are configured"))
    }

    @Test("pinning keeps only the listed fingerprints, whatever their spacing and case")
    func pinning() throws {
        let both = try Self.keyring("providers/stackable/csaf/v2/openpgp/4005788070EAA8A5.txt",
                                    "providers/stackable/csaf/v2/openpgp/A2A781A51BC3B8C6.txt")
        let pinned = both.pinned(to: ["218e 0347 9fe8 0022 3105  fea6 3190 5ded 3efd 610a"])
        #expect(pinned.certificates.map(\.fingerprintHex) == ["218E03479FE800223105FEA631905DED3EFD610A"])
        #expect(both.pinned(to: [Self.cisaFingerprint]).isEmpty)
    }
}

/// A caller that has already hashed the document with SHA-512 gets the same verdicts without a second pass.
@Suite("Signature verification continuing a caller's SHA-512")
struct ContinuedHashTests {
    @Test("a continued SHA-512 verifies what the plain path verifies, and a hash of other bytes does not")
    func continuedHash() throws {
        let keyring = try ProviderSignatureTests.keyring("providers/cisa/cisacsafsigning_public.asc")
            .pinned(to: [ProviderSignatureTests.cisaFingerprint])
        let path = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"
        let data = try SharedData.bytes(path)
        let signature = try SharedData.bytes(path + ".asc")
        var hashed = SHA512()
        hashed.update(data: data)
        let plain = keyring.verify(signature: signature, of: data)
        let continued = keyring.verify(signature: signature, of: data, hashedData: hashed)
        #expect(plain.outcome == .verified)
        #expect(continued == plain)

        var other = SHA512()
        other.update(data: data + [0x0A])
        #expect(keyring.verify(signature: signature, of: data, hashedData: other).outcome == .badSignature)
    }
}
