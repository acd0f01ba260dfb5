import Foundation
import OpenPGP
import Testing
import VigilTestSupport

/// Keys and signatures made during the test by GnuPG, the reference implementation, verified by the native code.
@Suite("Signatures made by gpg", .serialized)
struct GnuPGCrossCheckTests {
    static let document = Array("""
    {"document": {"title": "A crafted advisory", "tracking": {"id": "TEST-1"}}}
    second line\r
    third line, no newline at the end
    """.utf8)

    struct Case: CustomTestStringConvertible, Sendable {
        var algorithm: String
        var expected: String
        var digests: [String]
        var testDescription: String { algorithm }
    }

    @Test("every algorithm, armored and binary, every digest; keys exported armored and binary", arguments: [
        Case(algorithm: "rsa2048", expected: "RSA-2048", digests: ["SHA256", "SHA512"]),
        Case(algorithm: "rsa4096", expected: "RSA-4096", digests: ["SHA256", "SHA384", "SHA512"]),
        Case(algorithm: "ed25519", expected: "Ed25519", digests: ["SHA256", "SHA512"]),
        Case(algorithm: "nistp256", expected: "ECDSA P-256", digests: ["SHA256", "SHA512"]),
        Case(algorithm: "nistp384", expected: "ECDSA P-384", digests: ["SHA384", "SHA512"]),
    ])
    func algorithms(testCase: Case) throws {
        let gpg = try GnuPG()
        let fingerprint = try gpg.generateKey("Vigil test \(testCase.algorithm) <test@example.invalid>", algorithm: testCase.algorithm)
        for armoredKey in [true, false] {
            let keyring = try Keyring(keyFiles: [try gpg.export(fingerprint, armored: armoredKey)])
            #expect(keyring.certificates.map(\.fingerprintHex) == [fingerprint], "native and gpg fingerprints agree")
            #expect(keyring.certificates.first?.primary.algorithmDescription == testCase.expected)
            for digest in testCase.digests {
                for armored in [true, false] {
                    let signature = try gpg.sign(Self.document, with: fingerprint, armored: armored, digest: digest)
                    let result = keyring.verify(signature: signature, of: Self.document)
                    #expect(result.outcome == .verified, "\(testCase.algorithm) \(digest) armored: \(armored): \(result.reason)")
                    #expect(result.signer == fingerprint)
                    var altered = Self.document
                    altered[10] ^= 0x20
                    #expect(keyring.verify(signature: signature, of: altered).outcome == .badSignature)
                }
            }
        }
    }

    @Test("text-mode signatures are checked over CR LF line endings, as gpg makes them")
    func textMode() throws {
        let gpg = try GnuPG()
        let fingerprint = try gpg.generateKey("Vigil text <text@example.invalid>", algorithm: "ed25519")
        let keyring = try Keyring(keyFiles: [try gpg.export(fingerprint, armored: true)])
        let signature = try gpg.sign(Self.document, with: fingerprint, armored: true, textMode: true)
        let packet = try #require(try Packet.readArmoredOrBinary(signature).first)
        #expect(try Signature(packetBody: packet.body).type == 0x01)
        let result = keyring.verify(signature: signature, of: Self.document)
        #expect(result.outcome == .verified, "\(result.reason)")
    }

    @Test("a signing subkey verifies and is reported under its primary key; without its binding signature it does not")
    func signingSubkey() throws {
        let gpg = try GnuPG()
        let primary = try gpg.generateKey("Vigil subkey <sub@example.invalid>", algorithm: "ed25519", usage: "cert")
        try gpg.run(["--quick-add-key", primary, "nistp256/ecdsa", "sign", "never"])
        let subkey = try #require(try gpg.subkeyFingerprints(of: primary).first)
        let keyring = try Keyring(keyFiles: [try gpg.export(primary, armored: false)])
        let certificate = try #require(keyring.certificates.first)
        #expect(certificate.subkeys.map(\.key.fingerprintHex) == [subkey])
        #expect(certificate.subkeys.first?.canSign == true)
        let signature = try gpg.sign(Self.document, with: subkey, armored: true)
        let result = keyring.verify(signature: signature, of: Self.document)
        #expect(result.outcome == .verified, "\(result.reason)")
        #expect(result.signer == primary)
        #expect(result.signingKey == subkey)

        // The same key without the subkey's binding signature: the subkey is no longer the primary's to use.
        let packets = try Packet.readAll(try gpg.export(primary, armored: false))
        let subkeyIndex = try #require(packets.firstIndex { $0.tag == Packet.Tag.publicSubkey.rawValue })
        var unbound: [UInt8] = []
        for (index, packet) in packets.enumerated() where !(index > subkeyIndex && packet.tag == Packet.Tag.signature.rawValue) {
            unbound += packet.encoded
        }
        let unboundKeyring = try Keyring(keyFiles: [unbound])
        #expect(unboundKeyring.certificates.first?.subkeys.first?.isBound == false)
        let refused = unboundKeyring.verify(signature: signature, of: Self.document)
        #expect(refused.outcome == .badSignature)
        #expect(refused.reason.contains("not bound to the primary key as a signing key"), "\(refused.reason)")
    }

    @Test("a key that expired after it signed still verifies; a signature made after expiry does not")
    func expiry() throws {
        let gpg = try GnuPG()
        // Made on 2020-01-01, valid for one year.
        let fingerprint = try gpg.generateKey("Vigil expiring <expire@example.invalid>", algorithm: "ed25519",
                                              expire: "1y", fakedTime: "20200101T000000")
        let signedWhileValid = try gpg.sign(Self.document, with: fingerprint, armored: true, fakedTime: "20200601T000000")
        let keyring = try Keyring(keyFiles: [try gpg.export(fingerprint, armored: true)])
        #expect(try #require(keyring.certificates.first?.expires) < Date())
        let result = keyring.verify(signature: signedWhileValid, of: Self.document)
        #expect(result.outcome == .verified, "\(result.reason)")

        // A second key without expiry signs in mid-2021; then its expiry is set retroactively to early 2021.
        let late = try gpg.generateKey("Vigil late <late@example.invalid>", algorithm: "ed25519", fakedTime: "20200101T000000")
        let signedLate = try gpg.sign(Self.document, with: late, armored: true, fakedTime: "20210601T000000")
        try gpg.run(["--quick-set-expire", late, "1y"], fakedTime: "20200102T000000")
        let lateKeyring = try Keyring(keyFiles: [try gpg.export(late, armored: true)])
        let refused = lateKeyring.verify(signature: signedLate, of: Self.document)
        #expect(refused.outcome == .badSignature)
        #expect(refused.reason.contains("expired"), "\(refused.reason)")
    }

    @Test("a revoked key verifies nothing, and the reason names the revocation")
    func revoked() throws {
        let gpg = try GnuPG()
        let fingerprint = try gpg.generateKey("Vigil revoked <revoked@example.invalid>", algorithm: "rsa2048")
        let signature = try gpg.sign(Self.document, with: fingerprint, armored: false)
        let before = try Keyring(keyFiles: [try gpg.export(fingerprint, armored: true)])
        #expect(before.verify(signature: signature, of: Self.document).outcome == .verified)
        try gpg.revoke(fingerprint)
        let after = try Keyring(keyFiles: [try gpg.export(fingerprint, armored: true)])
        #expect(after.certificates.first?.revocation != nil)
        let result = after.verify(signature: signature, of: Self.document)
        #expect(result.outcome == .badSignature)
        #expect(result.reason.contains("revoked"), "\(result.reason)")
    }

    @Test("gpg's own verdicts agree: it accepts what Vigil accepts and rejects the altered document")
    func gpgAgrees() throws {
        let gpg = try GnuPG()
        let fingerprint = try gpg.generateKey("Vigil agree <agree@example.invalid>", algorithm: "nistp384")
        let signature = try gpg.sign(Self.document, with: fingerprint, armored: true, digest: "SHA384")
        let data = try gpg.home.write(Self.document, to: "agree.json")
        let sig = try gpg.home.write(signature, to: "agree.json.asc")
        try gpg.run(["--verify", sig, data])
        var altered = Self.document
        altered[0] ^= 0x01
        let alteredPath = try gpg.home.write(altered, to: "altered.json")
        #expect((try? gpg.run(["--verify", sig, alteredPath])) == nil, "gpg must reject the altered document too")
        let keyring = try Keyring(keyFiles: [try gpg.export(fingerprint, armored: true)])
        #expect(keyring.verify(signature: signature, of: Self.document).outcome == .verified)
        #expect(keyring.verify(signature: signature, of: altered).outcome == .badSignature)
    }
}
