import Crypto
import Foundation

/// The outcome of checking a detached signature over a document.
public struct SignatureVerification: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// A known, valid key made this signature over exactly these bytes.
        case verified
        /// The signature is malformed, does not match the data, or its key was not valid when it signed.
        case badSignature = "bad-signature"
        /// The signature may be fine, but none of the given keys made it.
        case unknownKey = "unknown-key"
    }

    public var outcome: Outcome
    /// A sentence that says what was found, e.g. `good signature from 144AED0A… (CISA CSAF Signing), made 2023-10-03`.
    public var reason: String
    /// The primary key fingerprint of the signer (upper-case hex), when a known key matched.
    public var signer: String?
    /// The fingerprint of the (sub)key that made the signature, when known.
    public var signingKey: String?
    /// When the signature says it was made.
    public var created: Date?
}

/// The keys a source trusts, and detached-signature verification against them.
public struct Keyring: Sendable {
    public var certificates: [Certificate]
    /// Whether v3 signatures are accepted (only where a source's policy says so).
    public var acceptsV3Signatures: Bool

    public init(certificates: [Certificate] = [], acceptsV3Signatures: Bool = false) {
        self.certificates = certificates
        self.acceptsV3Signatures = acceptsV3Signatures
    }

    /// Reads armored or binary key files.
    public init(keyFiles: [[UInt8]], acceptsV3Signatures: Bool = false) throws {
        self.init(certificates: try keyFiles.flatMap { try Certificate.read($0) }, acceptsV3Signatures: acceptsV3Signatures)
    }

    public var isEmpty: Bool { certificates.isEmpty }

    /// Only the certificates whose primary fingerprint is listed (pinning, as provider metadata does). Fingerprints
    /// are compared without spaces and case.
    public func pinned(to fingerprints: [String]) -> Keyring {
        let wanted = Set(fingerprints.map(Keyring.normalise))
        return Keyring(certificates: certificates.filter { wanted.contains($0.fingerprintHex) }, acceptsV3Signatures: acceptsV3Signatures)
    }

    public static func normalise(_ fingerprint: String) -> String {
        String(fingerprint.uppercased().filter { !$0.isWhitespace && $0 != ":" })
    }

    /// Checks a detached signature (armored or binary) over `data`.
    ///
    /// Key validity is judged at the time the signature says it was made: a key that expired after signing still
    /// verifies the signature; a revoked key does not (a key retired or superseded still verifies what it signed
    /// before its revocation).
    public func verify(signature: [UInt8], of data: [UInt8], now: Date = Date()) -> SignatureVerification {
        verify(signature: signature, of: data, hashedData: nil, now: now)
    }

    /// The same, for a caller that has already fed `data` (and nothing else) to a SHA-512 for its own use: a binary
    /// SHA-512 signature continues that hash instead of reading the data again.
    public func verify(signature: [UInt8], of data: [UInt8], hashedData: SHA512?, now: Date = Date()) -> SignatureVerification {
        let packets: [Packet]
        do {
            packets = try Packet.readArmoredOrBinary(signature)
        } catch {
            return SignatureVerification(outcome: .badSignature, reason: "the signature file is unreadable: \(error)")
        }
        let signaturePackets = packets.filter { $0.tag == Packet.Tag.signature.rawValue }
        guard !signaturePackets.isEmpty else {
            return SignatureVerification(outcome: .badSignature, reason: "the signature file holds no signature packet")
        }
        var failures: [SignatureVerification] = []
        for packet in signaturePackets {
            let result = verify(packet: packet, of: data, hashedData: hashedData, now: now)
            if result.outcome == .verified { return result }
            failures.append(result)
        }
        // A bad signature says more than an unknown key: report it first.
        return failures.first { $0.outcome == .badSignature } ?? failures[0]
    }

    private func verify(packet: Packet, of data: [UInt8], hashedData: SHA512?, now: Date) -> SignatureVerification {
        func bad(_ reason: String, _ signature: Signature? = nil, signer: Certificate? = nil, key: PublicKey? = nil) -> SignatureVerification {
            SignatureVerification(outcome: .badSignature, reason: reason, signer: signer?.fingerprintHex,
                                  signingKey: key?.fingerprintHex, created: signature?.created.map(Keyring.date))
        }
        let signature: Signature
        do {
            signature = try Signature(packetBody: packet.body)
        } catch {
            return bad("the signature packet is malformed: \(error)")
        }
        if signature.version != 4, !acceptsV3Signatures {
            return bad("it is a v\(signature.version) signature, which this source's policy does not accept")
        }
        guard signature.type == 0x00 || signature.type == 0x01 else {
            return bad(String(format: "it is not a document signature (type 0x%02X)", signature.type), signature)
        }
        guard signature.unknownCritical.isEmpty else {
            return bad("it has critical subpackets Vigil does not understand (types \(signature.unknownCritical.map(String.init).joined(separator: ", ")))", signature)
        }
        guard let created = signature.created else {
            return bad("it does not say when it was made (no signature creation time)", signature)
        }

        // Candidate keys: those the signature names, primary keys and bound signing subkeys alike.
        var candidates: [(Certificate, PublicKey, Certificate.Subkey?)] = []
        for certificate in certificates {
            if signature.names(certificate.primary) { candidates.append((certificate, certificate.primary, nil)) }
            for subkey in certificate.subkeys where signature.names(subkey.key) {
                candidates.append((certificate, subkey.key, subkey))
            }
        }
        guard !candidates.isEmpty else {
            let known = certificates.map(\.fingerprintHex).joined(separator: ", ")
            return SignatureVerification(outcome: .unknownKey,
                                         reason: "it was made by \(signature.issuerDescription), which is not among the trusted keys (\(known.isEmpty ? "none are configured" : known))",
                                         created: Keyring.date(created))
        }

        let digest: ComputedDigest
        let computed: Result<ComputedDigest, OpenPGPError>
        if signature.type == 0x00, signature.hashAlgorithm == HashAlgorithm.sha512.rawValue, let hashedData {
            computed = signature.digest(continuing: hashedData)
        } else {
            computed = signature.digest(over: [signature.type == 0x01 ? Keyring.canonicalText(data) : data])
        }
        switch computed {
        case .failure(let error): return bad(error.description, signature, signer: candidates[0].0, key: candidates[0].1)
        case .success(let d): digest = d
        }
        if signature.hashAlgorithm == HashAlgorithm.sha1.rawValue {
            return bad("it uses SHA-1, which is too weak for document signatures", signature, signer: candidates[0].0, key: candidates[0].1)
        }

        var lastFailure: SignatureVerification?
        for (certificate, key, subkey) in candidates {
            if case .failure(let error) = key.verify(signature, digest: digest) {
                lastFailure = bad(error.description, signature, signer: certificate, key: key)
                continue
            }
            // The mathematics hold; now the key's validity when it signed.
            let name = certificate.userIDs.first.map { " (\($0))" } ?? ""
            func invalid(_ why: String) -> SignatureVerification {
                bad("the signature matches key \(key.fingerprintHex)\(name), but \(why)", signature, signer: certificate, key: key)
            }
            if let revocation = certificate.revocation, revocation.invalidates(signatureMadeAt: created) {
                return invalid("the key was \(revocation.sentence)")
            }
            guard certificate.isSelfCertified else {
                return invalid("the key carries no valid self-signature")
            }
            if let subkey {
                if let revocation = subkey.revocation, revocation.invalidates(signatureMadeAt: created) {
                    return invalid("the signing subkey was \(revocation.sentence)")
                }
                guard subkey.canSign else {
                    return invalid("the subkey is not bound to the primary key as a signing key")
                }
                if let lifetime = subkey.lifetime, lifetime > 0, UInt64(created) >= UInt64(key.created) + UInt64(lifetime) {
                    return invalid("the subkey had expired on \(Certificate.format(key.created &+ lifetime)), before the signature was made")
                }
            } else if let flags = certificate.flags, flags & 0x02 == 0 {
                return invalid("the primary key is not marked for signing data")
            }
            if let lifetime = certificate.lifetime, lifetime > 0,
               UInt64(created) >= UInt64(certificate.primary.created) + UInt64(lifetime) {
                return invalid("the key had expired on \(Certificate.format(certificate.primary.created &+ lifetime)), before the signature was made")
            }
            if created < key.created {
                return invalid("the signature claims to predate the key (made \(Certificate.format(created)), key created \(Certificate.format(key.created)))")
            }
            if let lifetime = signature.signatureLifetime, lifetime > 0,
               now.timeIntervalSince1970 >= TimeInterval(created) + TimeInterval(lifetime) {
                return invalid("the signature itself expired on \(Certificate.format(created &+ lifetime))")
            }
            let keyText = key.fingerprint == certificate.primary.fingerprint ? "" : " with subkey \(key.fingerprintHex)"
            return SignatureVerification(outcome: .verified,
                                         reason: "good \(key.algorithmDescription) signature from \(certificate.fingerprintHex)\(name)\(keyText), made \(Certificate.format(created))",
                                         signer: certificate.fingerprintHex, signingKey: key.fingerprintHex,
                                         created: Keyring.date(created))
        }
        return lastFailure ?? bad("no key could check it", signature)
    }

    static func date(_ time: UInt32) -> Date { Date(timeIntervalSince1970: TimeInterval(time)) }

    /// Text-mode signatures (type 0x01) are made over the text with CR LF line endings.
    static func canonicalText(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 40)
        var previous: UInt8 = 0
        for (i, byte) in data.enumerated() {
            if byte == 0x0A, previous != 0x0D {
                out.append(0x0D)
            }
            out.append(byte)
            if byte == 0x0D, i + 1 < data.count, data[i + 1] != 0x0A {
                out.append(0x0A)
            }
            previous = byte
        }
        if previous == 0x0D { out.append(0x0A) }
        return out
    }
}
