import CSAF
import Crypto
import Foundation
import OpenPGP
import Storage

/// Checks a document's bytes against the `.sha256`/`.sha512` sidecars published next to it.
///
/// Sidecars are read leniently, as providers and mirrors write them: `<hex>  name.json`, `<hex>  2024/name.json`,
/// `<hex> *name.json`, the bare hex, BSD's `SHA512 (name.json) = <hex>`, in either case, with a byte order mark, blank
/// lines, tabs, CRLF or no trailing newline. The digest decides: a sidecar that names the file differently (mirrors
/// replace `:` and spaces, URL-encode names, add folders) passes when its digest matches, with the name as a note.
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
        // Names that differ from the file's: a note on a match, a hint on a mismatch.
        var renamed: [(hash: String, name: String)] = []
        var failure: String?
        for (name, sidecar, actual) in [("SHA-512", sidecars.sha512, sha512), ("SHA-256", sidecars.sha256, sha256)] {
            guard let sidecar else { continue }
            switch parseSidecar(sidecar, expectedLength: actual.count, fileName: fileName, actual: actual) {
            case .failure(let problem):
                failure = failure ?? "the \(name) sidecar is unreadable: \(problem)"
            case .success(let (expected, namedFile)):
                let otherName = namedFile.flatMap { namesSameFile($0, fileName) ? nil : $0 }
                if expected != actual {
                    let hint = otherName.map { "; the sidecar names \"\($0)\", not \"\(fileName)\": it may be another file's" } ?? ""
                    failure = failure ?? "\(name) mismatch: the sidecar says \(expected.prefix(16))…, the file hashes to \(actual.prefix(16))… (the file was altered or truncated after publication)" + hint
                } else {
                    matched.append(name)
                    if let otherName { renamed.append((name, otherName)) }
                }
            }
        }
        let status: IntegrityStatus
        let detail: String
        var signer: String?
        let hashes = matched.isEmpty ? "no hash published" : matched.joined(separator: " and ") + " matched" + nameNote(renamed, fileName: fileName, matched: matched.count)
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

    /// The digest a sidecar gives and the file name it gives with it, if any. Of several lines (a checksum list), the
    /// one that names `fileName` wins, else one whose digest is `actual`, else the first.
    static func parseSidecar(_ text: String, expectedLength: Int, fileName: String? = nil,
                             actual: String? = nil) -> Result<(String, String?), SidecarProblem> {
        if let single = singleLine(text, expectedLength: expectedLength) { return .success(single) }
        return parseLines(text, expectedLength: expectedLength, fileName: fileName, actual: actual)
    }

    /// `parseSidecar`'s general reading, line by line, of any sidecar.
    static func parseLines(_ text: String, expectedLength: Int, fileName: String? = nil,
                           actual: String? = nil) -> Result<(String, String?), SidecarProblem> {
        var entries: [(digest: String, name: String?)] = []
        var firstProblem: SidecarProblem?
        // `isNewline`: "\r\n" is one Character, and a mirror may end lines with either.
        for line in text.split(whereSeparator: \.isNewline) {
            var line = Substring(line)
            if line.first == "\u{FEFF}" { line = line.dropFirst() }
            line = line.trimmingWhitespace()
            if line.isEmpty { continue }
            switch parseLine(line, expectedLength: expectedLength) {
            case .success(let entry): entries.append(entry)
            case .failure(let problem): firstProblem = firstProblem ?? problem
            }
        }
        guard let first = entries.first else {
            return .failure(firstProblem ?? SidecarProblem(text: "it is empty"))
        }
        if entries.count > 1 {
            if let fileName, let named = entries.first(where: { $0.name.map { namesSameFile($0, fileName) } ?? false }) {
                return .success(named)
            }
            if let actual, let same = entries.first(where: { $0.digest == actual }) { return .success(same) }
        }
        return .success(first)
    }

    /// One line: `<hex>`, `<hex>  name`, `<hex> *name`, `\<hex>  name` (GNU's escaped names), or `SHA512 (name) = <hex>`.
    /// What nearly every sidecar is, read as bytes: one ASCII line, `<hex>`, `<hex>  name` or `<hex> *name`, with or
    /// without its line end. Anything else (several lines, BSD's form, a byte order mark, non-ASCII text, a digest of
    /// another length) is nil, for `parseSidecar`'s general reading, which gives the same answer where both apply.
    /// Reading each sidecar by `Character` cost 3 % of an import's CPU.
    static func singleLine(_ text: String, expectedLength: Int) -> (digest: String, name: String?)? {
        var utf8 = text.utf8[...]
        while let last = utf8.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        guard utf8.count >= expectedLength, utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x09 }) else { return nil }
        var digest: [UInt8] = []
        digest.reserveCapacity(expectedLength)
        var index = utf8.startIndex
        for _ in 0..<expectedLength {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): digest.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digest.append(byte + 0x20)
            default: return nil
            }
            index = utf8.index(after: index)
        }
        var rest = utf8[index...]
        guard let next = rest.first else { return (String(decoding: digest, as: UTF8.self), nil) }
        guard next == 0x20 || next == 0x09 || next == UInt8(ascii: "*") else { return nil }
        rest = rest.drop { $0 == 0x20 || $0 == 0x09 }
        if rest.first == UInt8(ascii: "*") { rest = rest.dropFirst() }
        return (String(decoding: digest, as: UTF8.self), rest.isEmpty ? nil : String(decoding: rest, as: UTF8.self))
    }

    private static func parseLine(_ line: Substring, expectedLength: Int) -> Result<(digest: String, name: String?), SidecarProblem> {
        func isDigest(_ text: Substring) -> Bool { text.count == expectedLength && text.allSatisfy(\.isHexDigit) }
        // BSD form, as `sha512sum --tag` and macOS's `shasum` write it.
        if let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close,
           line[line.index(after: close)...].trimmingWhitespace().first == "=" {
            let digest = line[line.index(after: close)...].trimmingWhitespace().dropFirst().trimmingWhitespace()
            if isDigest(digest) {
                return .success((digest.lowercased(), String(line[line.index(after: open)..<close])))
            }
        }
        var rest = line
        if rest.first == "\\" { rest = rest.dropFirst() }
        let token = rest.prefix { !$0.isWhitespace && $0 != "*" }
        guard isDigest(token) else {
            return .failure(SidecarProblem(text: "\"\(line.prefix { !$0.isWhitespace }.prefix(20))\" is not a \(expectedLength / 2)-byte hex digest"))
        }
        var name = rest[token.endIndex...].drop { $0.isWhitespace }
        if name.first == "*" { name = name.dropFirst() }
        return .success((token.lowercased(), name.isEmpty ? nil : String(name)))
    }

    /// Whether a sidecar's name is the file's: the same last path component, whatever folders precede it (Stackable
    /// names `2026/name.json`; a mirror made on Windows writes `\`).
    static func namesSameFile(_ named: String, _ fileName: String) -> Bool {
        let last = named.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? named
        return last == fileName
    }

    /// ` (the sidecar names "x_y.json" for "x:y.json")`, or nothing when every matching sidecar names the file.
    static func nameNote(_ renamed: [(hash: String, name: String)], fileName: String, matched: Int) -> String {
        guard !renamed.isEmpty else { return "" }
        let names = Set(renamed.map(\.name))
        if names.count == 1, let name = names.first {
            let which = matched == 1 ? "the sidecar names" : renamed.count == matched ? "the sidecars name" : "the \(renamed[0].hash) sidecar names"
            return " (\(which) \"\(name)\" for \"\(fileName)\")"
        }
        return " (" + renamed.map { "the \($0.hash) sidecar names \"\($0.name)\"" }.joined(separator: ", ") + " for \"\(fileName)\")"
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

extension Substring {
    /// Without leading and trailing whitespace (tabs included), as a slice of the same text.
    fileprivate func trimmingWhitespace() -> Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return self[first...last]
    }
}
