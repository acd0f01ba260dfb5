import Crypto

/// A signature packet (RFC 4880 §5.2), v4 or v3, with the subpackets Vigil acts on.
public struct Signature: Sendable {
    public struct Subpacket: Sendable {
        public var type: UInt8
        public var critical: Bool
        public var data: [UInt8]
    }

    public enum RevocationReason: UInt8, Sendable {
        case none = 0
        case superseded = 1
        case compromised = 2
        case retired = 3
        case userIDInvalid = 32
    }

    public var version: UInt8
    /// The signature type: 0x00 binary document, 0x01 text document, 0x10–0x13 certifications, 0x18 subkey
    /// binding, 0x19 primary key binding, 0x1F direct key, 0x20 key revocation, 0x28 subkey revocation.
    public var type: UInt8
    public var publicKeyAlgorithm: UInt8
    public var hashAlgorithm: UInt8
    public var hashedSubpackets: [Subpacket]
    public var unhashedSubpackets: [Subpacket]
    /// The first two octets of the hash, a quick check.
    public var hashPrefix: [UInt8]
    /// The algorithm-specific values: RSA's one MPI, ECDSA's and EdDSA's r and s, or Ed25519's 64 octets.
    public var values: [[UInt8]]
    /// The octets hashed after the data: for v4 the hashed part of the packet and the §5.2.4 trailer.
    var hashTrailer: [UInt8]

    // From the subpackets (or the v3 header).
    public var created: UInt32?
    /// Seconds after `created` when the signature expires (0 or absent: never).
    public var signatureLifetime: UInt32?
    /// Seconds after the key's creation when the key expires (0 or absent: never).
    public var keyLifetime: UInt32?
    public var issuerKeyID: [UInt8]?
    public var issuerFingerprint: [UInt8]?
    public var keyFlags: UInt8?
    public var revocationReason: RevocationReason?
    public var revocationText: String?
    public var isPrimaryUserID: Bool
    public var embeddedSignatures: [Signature]
    /// Critical hashed subpackets this implementation does not understand: such a signature must not be trusted.
    public var unknownCritical: [UInt8]

    /// Subpacket types whose meaning Vigil honours or which carry no obligation.
    static let understood: Set<UInt8> = [2, 3, 4, 7, 9, 11, 16, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 32, 33, 34, 35, 39]

    public init(packetBody body: [UInt8]) throws {
        var reader = ByteReader(body)
        version = try reader.byte("the signature version")
        hashedSubpackets = []
        unhashedSubpackets = []
        isPrimaryUserID = false
        embeddedSignatures = []
        unknownCritical = []
        switch version {
        case 4:
            type = try reader.byte("the signature type")
            publicKeyAlgorithm = try reader.byte("the signature's key algorithm")
            hashAlgorithm = try reader.byte("the signature's hash algorithm")
            let hashedLength = try reader.uint16("the hashed subpacket length")
            let hashedStart = reader.offset
            let hashed = try reader.take(hashedLength, "the hashed subpackets")
            hashedSubpackets = try Signature.readSubpackets(hashed, area: "hashed")
            let hashedPart = Array(body[0..<hashedStart + hashedLength])
            let length = UInt32(hashedPart.count)
            hashTrailer = hashedPart + [0x04, 0xFF, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            let unhashedLength = try reader.uint16("the unhashed subpacket length")
            unhashedSubpackets = try Signature.readSubpackets(try reader.take(unhashedLength, "the unhashed subpackets"), area: "unhashed")
        case 2, 3:
            let hashedLength = try reader.byte("the v3 hashed length")
            guard hashedLength == 5 else { throw OpenPGPError("a v3 signature must hash 5 octets, this one says \(hashedLength)") }
            type = try reader.byte("the signature type")
            let time = try reader.uint32("the signature creation time")
            created = time
            hashTrailer = [type, UInt8(time >> 24), UInt8(time >> 16 & 0xFF), UInt8(time >> 8 & 0xFF), UInt8(time & 0xFF)]
            issuerKeyID = try reader.take(8, "the signer's key ID")
            publicKeyAlgorithm = try reader.byte("the signature's key algorithm")
            hashAlgorithm = try reader.byte("the signature's hash algorithm")
        default:
            throw OpenPGPError("signature version \(version) is not supported (only v4, and v3 where a source allows it)")
        }
        hashPrefix = try reader.take(2, "the hash prefix")
        switch publicKeyAlgorithm {
        case 1, 3:
            values = [try reader.mpi("the RSA signature")]
        case 17, 19, 22:
            values = [try reader.mpi("the signature's r"), try reader.mpi("the signature's s")]
        case 27:
            values = [try reader.take(64, "the Ed25519 signature")]
        default:
            values = [reader.rest()]
        }

        for subpacket in hashedSubpackets {
            try apply(subpacket, hashed: true)
        }
        for subpacket in unhashedSubpackets {
            // Only self-authenticating facts are taken from the unhashed area: the issuer (checked by the
            // verification itself) and embedded signatures (verified on their own).
            try apply(subpacket, hashed: false)
        }
    }

    private mutating func apply(_ subpacket: Subpacket, hashed: Bool) throws {
        let d = subpacket.data
        func uint32() -> UInt32? {
            d.count == 4 ? UInt32(d[0]) << 24 | UInt32(d[1]) << 16 | UInt32(d[2]) << 8 | UInt32(d[3]) : nil
        }
        switch subpacket.type {
        case 16 where d.count == 8:
            if issuerKeyID == nil || hashed { issuerKeyID = d }
        case 33 where d.count >= 2:
            if issuerFingerprint == nil || hashed { issuerFingerprint = Array(d.dropFirst()) }
        case 32:
            if let embedded = try? Signature(packetBody: d) { embeddedSignatures.append(embedded) }
        case _ where !hashed:
            break
        case 2: created = uint32()
        case 3: signatureLifetime = uint32()
        case 9: keyLifetime = uint32()
        case 27: keyFlags = d.first
        case 25: isPrimaryUserID = d.first.map { $0 != 0 } ?? false
        case 29 where !d.isEmpty:
            revocationReason = RevocationReason(rawValue: d[0]) ?? .none
            revocationText = String(decoding: d.dropFirst(), as: UTF8.self)
        default:
            if subpacket.critical, !Signature.understood.contains(subpacket.type) {
                unknownCritical.append(subpacket.type)
            }
        }
    }

    static func readSubpackets(_ data: [UInt8], area: String) throws -> [Subpacket] {
        var reader = ByteReader(data)
        var result: [Subpacket] = []
        while !reader.isAtEnd {
            let first = Int(try reader.byte("a \(area) subpacket length"))
            let length: Int
            switch first {
            case 0..<192: length = first
            case 192..<255: length = ((first - 192) << 8) + Int(try reader.byte("a \(area) subpacket length")) + 192
            default: length = Int(try reader.uint32("a \(area) subpacket length"))
            }
            guard length >= 1 else { throw OpenPGPError("a \(area) subpacket has length 0") }
            let content = try reader.take(length, "a \(area) subpacket")
            result.append(Subpacket(type: content[0] & 0x7F, critical: content[0] & 0x80 != 0, data: Array(content.dropFirst())))
        }
        return result
    }

    /// Whether this signature may have been made by `key`: by fingerprint when the signature names one, else by
    /// key ID, else (neither given) any key is tried.
    func names(_ key: PublicKey) -> Bool {
        if let issuerFingerprint { return issuerFingerprint == key.fingerprint }
        if let issuerKeyID { return issuerKeyID == key.keyID }
        return true
    }

    /// The issuer as a person reads it.
    public var issuerDescription: String {
        if let issuerFingerprint { return "fingerprint \(hexString(issuerFingerprint))" }
        if let issuerKeyID { return "key ID \(hexString(issuerKeyID))" }
        return "an unnamed key"
    }

    /// Hashes `parts` followed by this signature's trailer and checks the quick-check octets; nil when the hash
    /// algorithm is not supported.
    func digest(over parts: [[UInt8]]) -> Result<ComputedDigest, OpenPGPError> {
        guard let algorithm = HashAlgorithm(rawValue: hashAlgorithm) else {
            return .failure(OpenPGPError("the signature uses \(HashAlgorithm.named(hashAlgorithm)), which Vigil does not accept"))
        }
        var builder = DigestBuilder(algorithm)
        for part in parts { builder.update(part) }
        return finish(builder, algorithm)
    }

    /// The same for a SHA-512 signature, continuing a SHA-512 that has already hashed the signed data.
    func digest(continuing sha512: SHA512) -> Result<ComputedDigest, OpenPGPError> {
        finish(DigestBuilder(continuing: sha512), .sha512)
    }

    private func finish(_ builder: DigestBuilder, _ algorithm: HashAlgorithm) -> Result<ComputedDigest, OpenPGPError> {
        var builder = builder
        builder.update(hashTrailer)
        let digest = builder.finalize()
        guard Array(digest.bytes.prefix(2)) == hashPrefix else {
            return .failure(OpenPGPError("the signed data's \(algorithm.name) does not match the signature (the data or the signature was altered)"))
        }
        return .success(digest)
    }
}
