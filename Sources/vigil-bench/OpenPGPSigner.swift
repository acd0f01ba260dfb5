@preconcurrency import Crypto
import Foundation
import _CryptoExtras

/// A throwaway RSA signing key and the few OpenPGP v4 structures a CSAF provider publishes with it (RFC 4880): the
/// transferable public key (public key packet, User ID, positive self-certification) and armored detached signatures
/// over binary documents (type 0x00, SHA-512, PKCS#1 v1.5).
///
/// Written for `vigil-bench corpus`, whose generated provider must pass Vigil's verifier (`Sources/OpenPGP`) and gpg
/// alike, without shelling out to gpg once per document (which would cost more than the rest of the generation).
/// Only what those readers need: no secret-key export, no subkeys, no expiry.
struct OpenPGPSigner: Sendable {
    let privateKey: _RSA.Signing.PrivateKey
    /// Seconds since 1970: the key's creation time, hashed into its fingerprint.
    let created: UInt32
    let userID: String
    /// The public key packet's body (version, time, algorithm, MPI n, MPI e).
    let keyBody: [UInt8]
    /// SHA-1 over 0x99, the body's two-octet length and the body (RFC 4880 §12.2).
    let fingerprint: [UInt8]

    var fingerprintHex: String { fingerprint.map { String(format: "%02X", $0) }.joined() }
    /// The low 64 bits of the fingerprint, for the issuer key ID subpacket older readers look for.
    var keyID: [UInt8] { Array(fingerprint.suffix(8)) }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Generates a key of `bits` (2048, 3072 or 4096), created `created` (seconds since 1970).
    init(bits: Int, userID: String, created: UInt32) throws {
        guard bits >= 2048, bits % 8 == 0 else {
            throw Failure(description: "--key-bits must be a multiple of 8 and at least 2048 (Vigil refuses smaller RSA keys)")
        }
        privateKey = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits))
        self.created = created
        self.userID = userID
        let primitives = try privateKey.publicKey.getKeyPrimitives()
        var body: [UInt8] = [4]
        body += Self.bigEndian(created)
        body.append(1) // RSA (Encrypt or Sign)
        body += Self.mpi([UInt8](primitives.modulus))
        body += Self.mpi([UInt8](primitives.publicExponent))
        keyBody = body
        var sha1 = Insecure.SHA1()
        sha1.update(data: [0x99, UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)])
        sha1.update(data: body)
        fingerprint = Array(sha1.finalize())
    }

    // MARK: The public key

    /// The armored transferable public key: key packet, User ID packet, positive certification (0x13) of the User ID
    /// with key flags certify + sign, so that readers (Vigil's `Certificate`, gpg) accept it as a signing key.
    func armoredPublicKey() throws -> String {
        let uid = Array(userID.utf8)
        // Hashed subpackets: creation time, key flags (certify, sign), preferred hashes (SHA-512, SHA-256), issuer
        // fingerprint. Vigil reads flags from the newest valid self-signature; gpg wants the preferences too.
        let hashed = subpacket(2, Self.bigEndian(created)) + subpacket(27, [0x03]) + subpacket(21, [10, 8])
            + subpacket(33, [4] + fingerprint)
        let uidPrefix: [UInt8] = [0xB4] + Self.bigEndian(UInt32(uid.count))
        let certification = try signaturePacket(type: 0x13, hashed: hashed) { hasher in
            hasher.update(data: [0x99, UInt8(keyBody.count >> 8 & 0xFF), UInt8(keyBody.count & 0xFF)])
            hasher.update(data: keyBody)
            hasher.update(data: uidPrefix)
            hasher.update(data: uid)
        }
        let packets = Self.packet(tag: 6, body: keyBody) + Self.packet(tag: 13, body: uid) + Self.packet(tag: 2, body: certification)
        return Self.armor(packets, label: "PGP PUBLIC KEY BLOCK")
    }

    // MARK: Document signatures

    /// An armored detached signature over `document`, made at `time`, continuing `hashed`: a SHA-512 that has been fed
    /// exactly the document's bytes (the caller hashes them once for the `.sha512` sidecar as well).
    func armoredSignature(continuing hashed: SHA512, time: UInt32) throws -> [UInt8] {
        let subpackets = subpacket(2, Self.bigEndian(time)) + subpacket(33, [4] + fingerprint)
        let body = try signaturePacket(type: 0x00, hashed: subpackets, continuing: hashed) { _ in }
        return Array(Self.armor(Self.packet(tag: 2, body: body), label: "PGP SIGNATURE").utf8)
    }

    /// A v4 signature packet body (RFC 4880 §5.2.3): the hashed part, the issuer key ID unhashed, the first two octets
    /// of the digest and the RSA value. `feed` adds what the signature is over to the hash, before the hashed part and
    /// the trailer.
    private func signaturePacket(type: UInt8, hashed subpackets: [UInt8], continuing start: SHA512 = SHA512(),
                                 feed: (inout SHA512) -> Void) throws -> [UInt8] {
        var hashedPart: [UInt8] = [4, type, 1, 10] // v4, type, RSA, SHA-512
        hashedPart += [UInt8(subpackets.count >> 8 & 0xFF), UInt8(subpackets.count & 0xFF)]
        hashedPart += subpackets
        var hasher = start
        feed(&hasher)
        hasher.update(data: hashedPart)
        hasher.update(data: [0x04, 0xFF] + Self.bigEndian(UInt32(hashedPart.count)))
        let digest = hasher.finalize()
        let signature = try privateKey.signature(for: digest, padding: .insecurePKCS1v1_5)
        let unhashed = subpacket(16, keyID)
        var body = hashedPart
        body += [UInt8(unhashed.count >> 8 & 0xFF), UInt8(unhashed.count & 0xFF)]
        body += unhashed
        body += Array(digest.prefix(2))
        body += Self.mpi([UInt8](signature.rawRepresentation))
        return body
    }

    /// One signature subpacket (RFC 4880 §5.2.3.1): length (one octet: every subpacket here is short), type, data.
    private func subpacket(_ type: UInt8, _ data: [UInt8]) -> [UInt8] {
        [UInt8(data.count + 1), type] + data
    }

    // MARK: Encoding

    /// A new-format packet (RFC 4880 §4.2.2) with the shortest length encoding.
    static func packet(tag: UInt8, body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0xC0 | tag]
        let length = body.count
        if length < 192 {
            out.append(UInt8(length))
        } else if length < 8384 {
            let value = length - 192
            out += [UInt8(value >> 8 + 192), UInt8(value & 0xFF)]
        } else {
            out += [0xFF] + bigEndian(UInt32(length))
        }
        return out + body
    }

    /// A multiprecision integer (RFC 4880 §3.2): the bit count, then the big-endian value without leading zeros.
    static func mpi(_ value: [UInt8]) -> [UInt8] {
        let trimmed = Array(value.drop { $0 == 0 })
        guard let first = trimmed.first else { return [0, 0] }
        let bits = (trimmed.count - 1) * 8 + (8 - first.leadingZeroBitCount)
        return [UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)] + trimmed
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// ASCII armor (RFC 4880 §6.2): header line, blank line, base64 in lines of 64, `=` and the CRC-24, footer line.
    static func armor(_ data: [UInt8], label: String) -> String {
        let encoded = base64(data)
        var text = "-----BEGIN \(label)-----\n\n"
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 64, limitedBy: encoded.endIndex) ?? encoded.endIndex
            text += String(decoding: encoded[start..<end], as: UTF8.self) + "\n"
            start = end
        }
        let crc = crc24(data)
        text += "=" + String(decoding: base64([UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]), as: UTF8.self) + "\n"
        return text + "-----END \(label)-----\n"
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Base64 with padding (RFC 4648), as bytes.
    static func base64(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var index = 0
        while index < data.count {
            let remaining = data.count - index
            let b0 = UInt32(data[index])
            let b1 = remaining > 1 ? UInt32(data[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(data[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 0x3F)])
            out.append(alphabet[Int(triple >> 12 & 0x3F)])
            out.append(remaining > 1 ? alphabet[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(remaining > 2 ? alphabet[Int(triple & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return out
    }

    /// The CRC-24 of RFC 4880 §6.1 (written out here rather than borrowed from the verifier, so that the two check
    /// each other).
    static func crc24(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xB704CE
        for byte in data {
            crc ^= UInt32(byte) << 16
            for _ in 0..<8 {
                crc <<= 1
                if crc & 0x1000000 != 0 { crc ^= 0x1864CFB }
            }
        }
        return crc & 0xFFFFFF
    }
}
