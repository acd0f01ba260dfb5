import CSAF
import Crypto
import Foundation
import OpenPGP

/// Checks a document's bytes against the `.sha256`/`.sha512` sidecars published next to it.
///
/// Sidecars are read leniently, as providers write them: `<hex>  name.json`, `<hex>  2024/name.json`,
/// `<hex> *name.json`, or the bare hex, with or without a trailing newline.
public enum IntegrityChecker {
    public struct Sidecars: Sendable {
        public var sha256: String?
        public var sha512: String?
        public var signature: [UInt8]?
        public init(sha256: String? = nil, sha512: String? = nil, signature: [UInt8]? = nil) {
            self.sha256 = sha256
            self.sha512 = sha512
            self.signature = signature
        }
    }

    /// The outcome: an integrity record, and the reason when the document must be rejected.
    ///
    /// With a keyring (even an empty one) the signature is verified: a document whose hash fails is `hash-mismatch`
    /// whatever its signature says; otherwise a good signature makes it `verified`, a bad one `bad-signature`, one by
    /// a key not in the keyring `unknown-key`. Without a keyring a signature is stored but not checked.
    public static func check(bytes: [UInt8], fileName: String, sidecars: Sidecars, keyring: Keyring? = nil,
                             now: Date = Date()) -> (DocumentIntegrity, failure: String?) {
        let sha256 = hex(SHA256.hash(data: bytes))
        // Hashed once: a SHA-512 signature over the document continues this hash (a second pass cost about 7% of an
        // import's CPU time).
        var sha512Hasher = SHA512()
        sha512Hasher.update(data: bytes)
        let sha512 = hex(sha512Hasher.finalize())
        var matched: [String] = []
        var failure: String?
        for (name, sidecar, actual) in [("SHA-512", sidecars.sha512, sha512), ("SHA-256", sidecars.sha256, sha256)] {
            guard let sidecar else { continue }
            switch parseSidecar(sidecar, expectedLength: actual.count) {
            case .failure(let problem):
                failure = failure ?? "the \(name) sidecar is unreadable: \(problem)"
            case .success(let (expected, namedFile)):
                if let namedFile, lastPathComponent(namedFile) != fileName {
                    failure = failure ?? "the \(name) sidecar names \"\(namedFile)\", not \"\(fileName)\""
                } else if expected != actual {
                    failure = failure ?? "\(name) mismatch: the sidecar says \(expected.prefix(16))…, the file hashes to \(actual.prefix(16))… (the file was altered or truncated after publication)"
                } else {
                    matched.append(name)
                }
            }
        }
        let status: IntegrityStatus
        let detail: String
        var signer: String?
        let hashes = matched.isEmpty ? "no hash published" : matched.joined(separator: " and ") + " matched"
        if let failure {
            status = .hashMismatch
            detail = failure
        } else if let keyring {
            if let signature = sidecars.signature {
                let verification = keyring.verify(signature: signature, of: bytes, hashedData: sha512Hasher, now: now)
                switch verification.outcome {
                case .verified:
                    status = .verified
                    signer = verification.signer
                    detail = hashes + "; " + verification.reason
                case .badSignature:
                    // No signer: the key a bad signature names did not sign these bytes.
                    status = .badSignature
                    detail = "the OpenPGP signature does not verify: " + verification.reason
                    failure = detail
                case .unknownKey:
                    status = .unknownKey
                    detail = "the OpenPGP signature cannot be checked: " + verification.reason
                    failure = detail
                }
            } else {
                status = matched.isEmpty ? .unsigned : .hashOnly
                detail = hashes + "; no OpenPGP signature published"
            }
        } else if !matched.isEmpty {
            status = .hashOnly
            detail = hashes + (sidecars.signature != nil ? "; OpenPGP signature stored, not verified (no key is known for this source)" : "; no OpenPGP signature")
        } else if sidecars.signature != nil {
            status = .signatureUnchecked
            detail = "no hash published; OpenPGP signature stored, not verified (no key is known for this source)"
        } else {
            status = .unsigned
            detail = "no hash or signature published"
        }
        let integrity = DocumentIntegrity(status: status, sha256: sha256, sha512: sha512, sha256Sidecar: sidecars.sha256,
                                          sha512Sidecar: sidecars.sha512, signature: sidecars.signature, signer: signer, detail: detail)
        return (integrity, failure)
    }

    static func parseSidecar(_ text: String, expectedLength: Int) -> Result<(String, String?), SidecarProblem> {
        // `isWhitespace`, not a list of separators: "\r\n" is one Character, equal to neither "\r" nor "\n".
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard let first = fields.first else { return .failure(SidecarProblem(text: "it is empty")) }
        let digest = first.lowercased()
        guard digest.count == expectedLength, digest.allSatisfy(\.isHexDigit) else {
            return .failure(SidecarProblem(text: "\"\(first.prefix(20))\" is not a \(expectedLength / 2)-byte hex digest"))
        }
        var name = fields.count > 1 ? String(fields[1]) : nil
        if name?.hasPrefix("*") == true { name?.removeFirst() }
        return .success((digest, name))
    }

    struct SidecarProblem: Error { let text: String }

    static func lastPathComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let table: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(128)
        for byte in digest {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension IntegrityChecker.SidecarProblem: CustomStringConvertible {
    var description: String { text }
}
