import Crypto
import Foundation

/// Random secrets for sessions, forms, one-time links and API tokens, and the SHA-256 the store keeps of them.
public enum AccountTokens {
    /// `count` random bytes from the system generator, as lowercase hex.
    public static func random(bytes count: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// A personal API token: `vgl_` and 40 hex characters (160 random bits).
    public static func apiToken() -> String { "vgl_" + random(bytes: 20) }

    /// The SHA-256 of a token as hex: what the store keeps in place of the token.
    public static func hash(_ token: String) -> String {
        hex(Array(SHA256.hash(data: Data(token.utf8))))
    }

    /// Compares two secrets in time that depends only on their length.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
