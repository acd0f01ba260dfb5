@preconcurrency import Crypto
import _CryptoExtras

/// Public-key algorithms (RFC 4880 §9.1, RFC 6637, RFC 9580).
public enum PublicKeyAlgorithm {
    static func named(_ id: UInt8) -> String {
        switch id {
        case 1, 2, 3: "RSA"
        case 16: "Elgamal"
        case 17: "DSA"
        case 18: "ECDH"
        case 19: "ECDSA"
        case 22: "EdDSA"
        case 25: "X25519"
        case 26: "X448"
        case 27: "Ed25519"
        case 28: "Ed448"
        default: "public-key algorithm \(id)"
        }
    }
}

/// A v4 public key or subkey packet (RFC 4880 §5.5.2) and, for the algorithms Vigil verifies with, the key ready
/// for swift-crypto.
public struct PublicKey: Sendable {
    enum Verifier: Sendable {
        case rsa(_RSA.Signing.PublicKey, modulusLength: Int)
        case ed25519(Curve25519.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        /// Parsed for its fingerprint, but not usable for signatures here (encryption keys, DSA, …), with the reason.
        case unusable(String)
    }

    public var version: UInt8
    /// Seconds since 1970 (RFC 4880 time fields).
    public var created: UInt32
    public var algorithm: UInt8
    /// The packet body, as hashed into fingerprints and key signatures.
    public var body: [UInt8]
    public var fingerprint: [UInt8]
    var verifier: Verifier

    /// Upper-case hex, as gpg prints it.
    public var fingerprintHex: String { hexString(fingerprint) }
    /// The low 64 bits of the fingerprint.
    public var keyID: [UInt8] { Array(fingerprint.suffix(8)) }
    public var keyIDHex: String { hexString(keyID) }

    /// A description such as `RSA-4096` or `Ed25519`.
    public var algorithmDescription: String {
        switch verifier {
        case .rsa(_, let length): "RSA-\(length * 8)"
        case .ed25519: "Ed25519"
        case .p256: "ECDSA P-256"
        case .p384: "ECDSA P-384"
        case .p521: "ECDSA P-521"
        case .unusable: PublicKeyAlgorithm.named(algorithm)
        }
    }

    static let ed25519LegacyOID: [UInt8] = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01]
    static let p256OID: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    static let p384OID: [UInt8] = [0x2B, 0x81, 0x04, 0x00, 0x22]
    static let p521OID: [UInt8] = [0x2B, 0x81, 0x04, 0x00, 0x23]

    /// Smallest RSA modulus accepted for signatures, in bits.
    public static let minimumRSABits = 2048

    public init(packetBody body: [UInt8]) throws {
        var reader = ByteReader(body)
        version = try reader.byte("the key version")
        guard version == 4 else {
            throw OpenPGPError("public key version \(version) is not supported (only v4 keys are)")
        }
        created = try reader.uint32("the key creation time")
        algorithm = try reader.byte("the key algorithm")
        self.body = body
        // RFC 4880 §12.2: SHA-1 over 0x99, a two-octet length and the packet body.
        var hasher = Insecure.SHA1()
        hasher.update(data: [0x99, UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)])
        hasher.update(data: body)
        fingerprint = Array(hasher.finalize())

        switch algorithm {
        case 1, 3:
            let n = try reader.mpi("the RSA modulus")
            let e = try reader.mpi("the RSA exponent")
            if n.count * 8 < PublicKey.minimumRSABits {
                verifier = .unusable("its RSA modulus has \(n.count * 8) bits, fewer than the \(PublicKey.minimumRSABits) Vigil accepts")
            } else {
                do {
                    verifier = .rsa(try _RSA.Signing.PublicKey(n: n, e: e), modulusLength: n.count)
                } catch {
                    verifier = .unusable("its RSA parameters are invalid (\(error))")
                }
            }
        case 19, 22:
            let oidLength = Int(try reader.byte("the curve OID length"))
            let oid = try reader.take(oidLength, "the curve OID")
            let point = try reader.mpi("the public point")
            verifier = PublicKey.curveVerifier(algorithm: algorithm, oid: oid, point: point)
        case 27:
            let raw = try reader.take(32, "the Ed25519 public key")
            verifier = (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)).map { .ed25519($0) }
                ?? .unusable("its Ed25519 public key is invalid")
        case 2:
            verifier = .unusable("it is an encrypt-only RSA key")
        default:
            verifier = .unusable("\(PublicKeyAlgorithm.named(algorithm)) keys cannot make signatures Vigil verifies")
        }
    }

    static func curveVerifier(algorithm: UInt8, oid: [UInt8], point: [UInt8]) -> Verifier {
        if algorithm == 22 {
            guard oid == ed25519LegacyOID else { return .unusable("its EdDSA curve is not Ed25519") }
            // Native point format: a 0x40 prefix, then the 32-byte key.
            guard point.count == 33, point[0] == 0x40,
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: point.dropFirst()) else {
                return .unusable("its Ed25519 point is malformed")
            }
            return .ed25519(key)
        }
        do {
            switch oid {
            case p256OID: return .p256(try P256.Signing.PublicKey(x963Representation: point))
            case p384OID: return .p384(try P384.Signing.PublicKey(x963Representation: point))
            case p521OID: return .p521(try P521.Signing.PublicKey(x963Representation: point))
            default: return .unusable("its ECDSA curve (OID \(hexString(oid))) is not supported")
            }
        } catch {
            return .unusable("its ECDSA point is not on the curve")
        }
    }

    /// The octets that stand for this key in signature hashes: 0x99, a two-octet length, the body.
    var hashPrefix: [UInt8] {
        [0x99, UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)]
    }

    /// Checks `values` (the signature's algorithm-specific fields) over `digest`.
    func verify(_ signature: Signature, digest: ComputedDigest) -> Result<Void, OpenPGPError> {
        func fail(_ why: String) -> Result<Void, OpenPGPError> { .failure(OpenPGPError(why)) }
        switch verifier {
        case .unusable(let why):
            return fail("the key \(fingerprintHex) cannot verify signatures: \(why)")
        case .rsa(let key, let length):
            guard signature.publicKeyAlgorithm == 1 || signature.publicKeyAlgorithm == 3 else {
                return fail("the signature says \(PublicKeyAlgorithm.named(signature.publicKeyAlgorithm)), the key is RSA")
            }
            guard signature.values.count == 1, let value = leftPad(signature.values[0], to: length) else {
                return fail("the RSA signature value is malformed")
            }
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: value)
            let ok: Bool
            switch digest {
            case .sha1(let d): ok = key.isValidSignature(rsaSignature, for: d, padding: .insecurePKCS1v1_5)
            case .sha256(let d): ok = key.isValidSignature(rsaSignature, for: d, padding: .insecurePKCS1v1_5)
            case .sha384(let d): ok = key.isValidSignature(rsaSignature, for: d, padding: .insecurePKCS1v1_5)
            case .sha512(let d): ok = key.isValidSignature(rsaSignature, for: d, padding: .insecurePKCS1v1_5)
            }
            return ok ? .success(()) : fail("the RSA signature does not match the signed data")
        case .ed25519(let key):
            let raw: [UInt8]
            if signature.publicKeyAlgorithm == 27, signature.values.count == 1, signature.values[0].count == 64 {
                raw = signature.values[0]
            } else if signature.publicKeyAlgorithm == 22, signature.values.count == 2,
                      let r = leftPad(signature.values[0], to: 32), let s = leftPad(signature.values[1], to: 32) {
                raw = r + s
            } else {
                return fail("the EdDSA signature value is malformed")
            }
            return key.isValidSignature(raw, for: digest.bytes) ? .success(()) : fail("the Ed25519 signature does not match the signed data")
        case .p256(let key):
            guard let raw = ecdsaRaw(signature, width: 32), let sig = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else {
                return fail("the ECDSA signature value is malformed")
            }
            return ecdsaCheck { d in key.isValidSignature(sig, for: d) } (digest)
        case .p384(let key):
            guard let raw = ecdsaRaw(signature, width: 48), let sig = try? P384.Signing.ECDSASignature(rawRepresentation: raw) else {
                return fail("the ECDSA signature value is malformed")
            }
            return ecdsaCheck { d in key.isValidSignature(sig, for: d) } (digest)
        case .p521(let key):
            guard let raw = ecdsaRaw(signature, width: 66), let sig = try? P521.Signing.ECDSASignature(rawRepresentation: raw) else {
                return fail("the ECDSA signature value is malformed")
            }
            return ecdsaCheck { d in key.isValidSignature(sig, for: d) } (digest)
        }
    }

    private func ecdsaRaw(_ signature: Signature, width: Int) -> [UInt8]? {
        guard signature.publicKeyAlgorithm == 19, signature.values.count == 2,
              let r = leftPad(signature.values[0], to: width), let s = leftPad(signature.values[1], to: width) else { return nil }
        return r + s
    }
}

/// Calls an ECDSA verifier with the digest in its concrete type.
private func ecdsaCheck(_ check: @escaping (any Digest) -> Bool) -> (ComputedDigest) -> Result<Void, OpenPGPError> {
    { digest in
        let ok: Bool
        switch digest {
        case .sha1(let d): ok = check(d)
        case .sha256(let d): ok = check(d)
        case .sha384(let d): ok = check(d)
        case .sha512(let d): ok = check(d)
        }
        return ok ? .success(()) : .failure(OpenPGPError("the ECDSA signature does not match the signed data"))
    }
}
