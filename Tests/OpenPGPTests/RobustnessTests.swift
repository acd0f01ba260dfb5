import Foundation
@testable import OpenPGP
import Testing
import VigilTestSupport

/// Damaged and hostile input: truncations and bit flips of keys, signatures and armor never crash the reader and
/// never turn into a verified signature.
@Suite("Damaged OpenPGP input")
struct RobustnessTests {
    /// A small deterministic generator, so that a failure can be reproduced.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
    }

    static func material() throws -> (key: [UInt8], signature: [UInt8], data: [UInt8], keyring: Keyring) {
        let key = try SharedData.bytes("providers/stackable/csaf/v2/openpgp/4005788070EAA8A5.txt")
        let base = "providers/stackable/csaf/v2/advisories"
        let path = try #require(try SharedData.jsonFiles(under: base).first)
        let data = try SharedData.bytes(base + "/" + path)
        let signature = try SharedData.bytes(base + "/" + path + ".asc")
        return (key, signature, data, try Keyring(keyFiles: [key]))
    }

    @Test("armor: the CRC-24 of RFC 4880 and clear errors for damaged blocks")
    func armor() throws {
        #expect(Armor.crc24([]) == 0xB704CE)
        #expect(Armor.crc24(Array("123456789".utf8)) == 0x21CF02)
        let text = "-----BEGIN PGP SIGNATURE-----\n\nAQID\n=\(crcBase64([1, 2, 3]))\n-----END PGP SIGNATURE-----\n"
        #expect(try Armor.decode(Array(text.utf8)) == [Armor.Block(label: "PGP SIGNATURE", headers: [:], data: [1, 2, 3])])
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try Armor.decode(Array(crlf.utf8)).first?.data == [1, 2, 3])
        #expect(throws: OpenPGPError.self) { try Armor.decode(Array(text.replacingOccurrences(of: "AQID", with: "AQIE").utf8)) }
        #expect(throws: OpenPGPError.self) { try Armor.decode(Array(text.replacingOccurrences(of: "AQID", with: "AQ!D").utf8)) }
        #expect(throws: OpenPGPError.self) { try Armor.decode(Array(text.prefix(40).utf8)) }
    }

    func crcBase64(_ data: [UInt8]) -> String {
        let crc = Armor.crc24(data)
        return Data([UInt8(crc >> 16), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]).base64EncodedString()
    }

    @Test("every truncation of a key and of a signature is an error or a non-verified result, never a crash")
    func truncations() throws {
        let (key, signature, data, keyring) = try Self.material()
        let binaryKey = try Packet.readArmoredOrBinary(key)
        var binaryKeyBytes: [UInt8] = []
        for packet in binaryKey {
            binaryKeyBytes += packet.encoded
        }
        #expect(try Certificate.read(binaryKeyBytes).first?.fingerprintHex == keyring.certificates.first?.fingerprintHex)
        var errors = 0
        for length in 0..<binaryKeyBytes.count {
            do {
                let certificates = try Certificate.read(Array(binaryKeyBytes.prefix(length)))
                // A shorter prefix may still be a whole key without some of its packets; it must not verify more
                // than the whole key does.
                _ = Keyring(certificates: certificates).verify(signature: signature, of: data)
            } catch {
                errors += 1
            }
        }
        #expect(errors > 0)
        // Cutting only the final line break leaves a whole armor block: that one may verify.
        let whole = signature.count - (signature.last == 0x0A ? 1 : 0)
        for length in 0..<whole {
            let result = keyring.verify(signature: Array(signature.prefix(length)), of: data)
            #expect(result.outcome != .verified, "a signature cut to \(length) bytes verified")
        }
    }

    @Test("5,000 random bit flips in keys, signatures and armor: no crash, and no flip in signed material verifies")
    func bitFlips() throws {
        let (key, signature, data, keyring) = try Self.material()
        var random = SplitMix(state: 0x5EED_0001)
        let binarySignature = try #require(try Packet.readArmoredOrBinary(signature).first)
        let body = binarySignature.body
        let packet = Packet(tag: 2, body: body).encoded
        #expect(keyring.verify(signature: packet, of: data).outcome == .verified)
        // The unhashed subpacket area is not covered by the signature: a flip there may leave it valid.
        let hashedLength = Int(body[4]) << 8 | Int(body[5])
        let unhashedLength = Int(body[6 + hashedLength]) << 8 | Int(body[7 + hashedLength])
        let unhashed = (6 + 6 + hashedLength)..<(6 + 8 + hashedLength + unhashedLength)
        // Nor are the MPI bit counts: 255 read as 254 still reads 32 bytes, the same value (gpg reads them the same
        // way). Their positions, walking r and s after the two hash-prefix octets.
        var bitCounts: Set<Int> = []
        var offset = 8 + hashedLength + unhashedLength + 2
        for _ in 0..<2 {
            bitCounts.formUnion([6 + offset, 6 + offset + 1])
            let bits = Int(body[offset]) << 8 | Int(body[offset + 1])
            offset += 2 + (bits + 7) / 8
        }
        #expect(offset == body.count)

        var verifiedAfterFlip = 0
        for round in 0..<5_000 {
            switch round % 3 {
            case 0:
                var altered = packet
                let position = Int.random(in: 0..<altered.count, using: &random)
                altered[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
                if keyring.verify(signature: altered, of: data).outcome == .verified, !unhashed.contains(position),
                   !bitCounts.contains(position) {
                    verifiedAfterFlip += 1
                }
            case 1:
                var altered = signature
                let position = Int.random(in: 0..<altered.count, using: &random)
                altered[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
                _ = keyring.verify(signature: altered, of: data)
            default:
                var altered = key
                let position = Int.random(in: 0..<altered.count, using: &random)
                altered[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
                if let certificates = try? Certificate.read(altered) {
                    _ = Keyring(certificates: certificates).verify(signature: signature, of: data)
                }
            }
        }
        #expect(verifiedAfterFlip == 0)
    }

    @Test("hostile lengths: a packet that claims gigabytes, subpackets longer than their area, an empty file")
    func hostileLengths() throws {
        let (_, _, data, keyring) = try Self.material()
        let huge: [UInt8] = [0xC2, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x04]
        #expect(throws: OpenPGPError.self) { try Packet.readAll(huge) }
        // A v4 signature whose hashed area says 0xFFFF bytes.
        let body: [UInt8] = [4, 0, 1, 8, 0xFF, 0xFF, 1, 2, 3]
        #expect(throws: OpenPGPError.self) { try Signature(packetBody: body) }
        #expect(keyring.verify(signature: [], of: data).outcome == .badSignature)
        #expect(keyring.verify(signature: Array("not a signature".utf8), of: data).outcome == .badSignature)
        #expect(throws: OpenPGPError.self) { try Certificate.read([]) }
        #expect(throws: OpenPGPError.self) { try Certificate.read(Array("-----BEGIN PGP PUBLIC KEY BLOCK-----\n".utf8)) }
    }

    @Test("a v3 signature is refused unless the source's policy accepts v3")
    func v3Policy() throws {
        let (_, _, data, keyring) = try Self.material()
        // A v3 signature packet: hashed length 5, type, time, key ID, RSA, SHA-256, quick check, one MPI.
        var body: [UInt8] = [3, 5, 0x00, 0x65, 0x00, 0x00, 0x00]
        body += [UInt8](repeating: 0xAB, count: 8) + [1, 8, 0x12, 0x34, 0x00, 0x08, 0xFF]
        let packet: [UInt8] = [0xC2, UInt8(body.count)] + body
        let refused = keyring.verify(signature: packet, of: data)
        #expect(refused.outcome == .badSignature)
        #expect(refused.reason.contains("v3 signature, which this source's policy does not accept"), "\(refused.reason)")
        var lenient = keyring
        lenient.acceptsV3Signatures = true
        let checked = lenient.verify(signature: packet, of: data)
        // Accepted for checking: it now fails only because no trusted key has that key ID.
        #expect(checked.outcome == .unknownKey, "\(checked.reason)")
        #expect(checked.reason.contains("key ID ABABABABABABABAB"))
    }

    @Test("dates in reasons agree with Foundation's calendar, leap days and the 2038 boundary included")
    func dates() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        var random = SplitMix(state: 42)
        let fixed: [UInt32] = [0, 86_399, 86_400, 951_782_400, 1_696_363_813, 2_147_483_647, 2_147_483_648, 4_102_444_800, UInt32.max]
        for time in fixed + (0..<2_000).map({ _ in UInt32.random(in: 0...UInt32.max, using: &random) }) {
            #expect(Certificate.format(time) == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time))), "\(time)")
        }
        #expect(Certificate.format(1_696_363_813) == "2023-10-03")
    }

    @Test("soft revocations (superseded, retired) keep earlier signatures; hard ones invalidate all")
    func revocationKinds() {
        let soft = Certificate.Revocation(created: 1_000, reason: .superseded, text: nil)
        let hard = Certificate.Revocation(created: 1_000, reason: .compromised, text: nil)
        let unexplained = Certificate.Revocation(created: 1_000, reason: nil, text: nil)
        #expect(soft.isSoft)
        #expect(!hard.isSoft)
        #expect(!unexplained.isSoft)
        #expect(Certificate.Revocation(created: 1_000, reason: .retired, text: nil).isSoft)
        #expect(!soft.invalidates(signatureMadeAt: 999))
        #expect(soft.invalidates(signatureMadeAt: 1_000))
        #expect(hard.invalidates(signatureMadeAt: 0))
        #expect(unexplained.invalidates(signatureMadeAt: 0))
    }
}
