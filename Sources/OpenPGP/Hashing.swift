import Crypto

/// The hash algorithms of RFC 4880 §9.4 that Vigil computes.
public enum HashAlgorithm: UInt8, Sendable, CaseIterable {
    case sha1 = 2
    case sha256 = 8
    case sha384 = 9
    case sha512 = 10

    public var name: String {
        switch self {
        case .sha1: "SHA-1"
        case .sha256: "SHA-256"
        case .sha384: "SHA-384"
        case .sha512: "SHA-512"
        }
    }

    static func named(_ id: UInt8) -> String {
        switch id {
        case 1: "MD5"
        case 3: "RIPEMD-160"
        case 11: "SHA-224"
        case 12: "SHA3-256"
        case 14: "SHA3-512"
        default: HashAlgorithm(rawValue: id)?.name ?? "hash algorithm \(id)"
        }
    }
}

/// A finished digest, keeping its swift-crypto type for the RSA and ECDSA verifiers.
enum ComputedDigest {
    case sha1(Insecure.SHA1Digest)
    case sha256(SHA256Digest)
    case sha384(SHA384Digest)
    case sha512(SHA512Digest)

    var bytes: [UInt8] {
        switch self {
        case .sha1(let d): Array(d)
        case .sha256(let d): Array(d)
        case .sha384(let d): Array(d)
        case .sha512(let d): Array(d)
        }
    }
}

/// Incremental hashing over one of the supported algorithms.
struct DigestBuilder {
    private enum State {
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
        case sha384(SHA384)
        case sha512(SHA512)
    }

    private var state: State

    /// Continues a SHA-512 that has already hashed part of the input.
    init(continuing sha512: SHA512) {
        state = .sha512(sha512)
    }

    init(_ algorithm: HashAlgorithm) {
        switch algorithm {
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        case .sha384: state = .sha384(SHA384())
        case .sha512: state = .sha512(SHA512())
        }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update(buffer: $0) }
    }

    mutating func update(buffer: UnsafeRawBufferPointer) {
        switch state {
        case .sha1(var h): h.update(bufferPointer: buffer); state = .sha1(h)
        case .sha256(var h): h.update(bufferPointer: buffer); state = .sha256(h)
        case .sha384(var h): h.update(bufferPointer: buffer); state = .sha384(h)
        case .sha512(var h): h.update(bufferPointer: buffer); state = .sha512(h)
        }
    }

    func finalize() -> ComputedDigest {
        switch state {
        case .sha1(let h): .sha1(h.finalize())
        case .sha256(let h): .sha256(h.finalize())
        case .sha384(let h): .sha384(h.finalize())
        case .sha512(let h): .sha512(h.finalize())
        }
    }
}
