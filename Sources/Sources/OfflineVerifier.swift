import CSAF
import Foundation
import OpenPGP
import Storage

/// `vigil verify`: checks documents on disk and their sidecars without storing anything (an air-gapped site checks a
/// folder carried in on a USB stick before importing it).
public enum OfflineVerifier {
    /// The verdict on one document.
    public struct Verdict: Sendable, Codable, Equatable {
        public var path: String
        /// One of `verified`, `hash-only`, `unsigned`, `hash-mismatch`, `bad-signature`, `unknown-key`.
        public var status: String
        public var reason: String
        /// The signer's primary key fingerprint when the signature verified.
        public var signer: String?

        enum CodingKeys: String, CodingKey { case path, status, reason, signer }

        /// `signer` is always present, `null` when no signature verified.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(path, forKey: .path)
            try container.encode(status, forKey: .status)
            try container.encode(reason, forKey: .reason)
            try container.encode(signer, forKey: .signer)
        }
    }

    public struct Report: Sendable {
        public var verdicts: [Verdict]
        /// Distribution files and JSON that is not CSAF, not checked.
        public var skipped: [String]
        /// FIFOs, sockets and devices, named or found in a folder: never opened, each with its reason. They are not
        /// verdicts, so they neither fail nor pass the check.
        public var special: [ImportSummary.FileError] = []
        public var keys: ProviderKeys
        public var allVerified: Bool { verdicts.allSatisfy { $0.status == IntegrityStatus.verified.rawValue } }
    }

    /// The statuses a verdict can have, in the order reports list them.
    public static let statuses: [IntegrityStatus] = [.verified, .hashOnly, .unsigned, .hashMismatch, .badSignature, .unknownKey]

    public static func run(paths: [String], keys explicit: Keyring?, maxBytes: Int = CSAFDocumentReader.defaultMaxBytes,
                           now: Date = Date()) throws -> Report {
        let candidates = try FileDiscovery.candidates(in: paths)
        let keys = ProviderKeys.discover(metadataPaths: FileDiscovery.providerMetadata(among: candidates), explicit: explicit)
        let results = ConcurrentResults<Result>(count: candidates.count)
        DispatchQueue.concurrentPerform(iterations: candidates.count) { index in
            results.set(index, check(candidates[index], keys: keys, maxBytes: maxBytes, now: now))
        }
        var verdicts: [Verdict] = []
        var skipped: [String] = []
        var special: [ImportSummary.FileError] = []
        for result in results.values {
            switch result {
            case .verdict(let verdict)?: verdicts.append(verdict)
            case .skipped(let path)?: skipped.append(path)
            case .special(let path)?:
                special.append(ImportSummary.FileError(path: path, reason: FileReader.Failure.notRegular.description))
            case nil: break
            }
        }
        return Report(verdicts: verdicts, skipped: skipped, special: special, keys: keys)
    }

    enum Result: Sendable {
        case verdict(Verdict)
        case skipped(String)
        case special(String)
    }

    static func check(_ candidate: FileDiscovery.Candidate, keys: ProviderKeys, maxBytes: Int, now: Date) -> Result? {
        let path = candidate.path
        if candidate.special { return .special(path) }
        let bytes: [UInt8]
        switch FileReader.read(path, maxBytes: maxBytes) {
        case .success(let read): bytes = read
        case .failure(.notRegular): return .special(path)
        case .failure(let error):
            return .verdict(Verdict(path: path, status: IntegrityStatus.unsigned.rawValue, reason: "not checked: \(error)"))
        }
        let sidecars = IntegrityChecker.Sidecars(
            sha256: FileReader.readText(path + ".sha256"),
            sha512: FileReader.readText(path + ".sha512"),
            signature: FileReader.readSmall(path + ".asc"))
        let hasSidecars = sidecars.sha256 != nil || sidecars.sha512 != nil || sidecars.signature != nil
        if !candidate.explicit {
            guard path.hasSuffix(".json") || LocalImporter.looksLikeJSON(bytes) else { return nil }
            // Provider metadata, feeds and other JSON are not documents; a file that does not parse is checked
            // when it has sidecars (a damaged document must not pass unnoticed).
            if let value = try? JSONParser.parse(bytes) {
                guard JSONDocumentKind.classify(value) == .csaf else { return .skipped(path) }
            } else if !hasSidecars {
                return .skipped(path)
            }
        }
        let (integrity, _) = IntegrityChecker.check(bytes: bytes, fileName: IntegrityChecker.lastPathComponent(path),
                                                    sidecars: sidecars, keyring: keys.keyring(for: path) ?? Keyring(), now: now)
        return .verdict(Verdict(path: path, status: integrity.status.rawValue, reason: integrity.detail, signer: integrity.signer))
    }
}
