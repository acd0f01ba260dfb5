/// How far a document's authenticity was established when it was stored.
public enum IntegrityStatus: String, Codable, Sendable, CaseIterable {
    /// The hash and the OpenPGP signature both verified.
    case verified
    /// A `.sha256`/`.sha512` sidecar matched; the signature was not verified (absent, or not checked by this path).
    case hashOnly = "hash-only"
    /// A signature is present but was not verified, and there was no hash to check.
    case signatureUnchecked = "signature-unchecked"
    /// Neither hash nor signature was available.
    case unsigned
    case hashMismatch = "hash-mismatch"
    case badSignature = "bad-signature"
    case unknownKey = "unknown-key"

    /// Whether a document with this status may be shown as an advisory (the others are quarantined).
    public var isAcceptable: Bool {
        switch self {
        case .verified, .hashOnly, .signatureUnchecked, .unsigned: true
        case .hashMismatch, .badSignature, .unknownKey: false
        }
    }

    /// A sentence a reader understands.
    public var explanation: String {
        switch self {
        case .verified: "Hash and OpenPGP signature verified."
        case .hashOnly: "The published hash matched; the OpenPGP signature was not verified."
        case .signatureUnchecked: "An OpenPGP signature is stored but was not verified, and no hash was published."
        case .unsigned: "Neither a hash nor a signature was published with this document."
        case .hashMismatch: "The document does not match its published hash."
        case .badSignature: "The OpenPGP signature does not verify."
        case .unknownKey: "The signature was made by a key the provider does not list."
        }
    }
}

/// What is known about a document's integrity: the hashes Vigil computed, the sidecars it found, the signature bytes.
public struct DocumentIntegrity: Sendable, Equatable {
    public var status: IntegrityStatus
    /// Lower-case hex SHA-256 of the exact bytes, computed by Vigil.
    public var sha256: String
    /// Lower-case hex SHA-512 of the exact bytes, computed by Vigil.
    public var sha512: String
    /// The sidecar files' contents as published (for serving them back), when present.
    public var sha256Sidecar: String?
    public var sha512Sidecar: String?
    /// The detached ASCII-armored OpenPGP signature, when present.
    public var signature: [UInt8]?
    /// The primary key fingerprint (upper-case hex) of the key whose signature verified.
    public var signer: String?
    /// What was checked, e.g. `SHA-512 matched`.
    public var detail: String

    public init(status: IntegrityStatus, sha256: String, sha512: String, sha256Sidecar: String? = nil,
                sha512Sidecar: String? = nil, signature: [UInt8]? = nil, signer: String? = nil, detail: String) {
        self.signer = signer
        self.status = status
        self.sha256 = sha256
        self.sha512 = sha512
        self.sha256Sidecar = sha256Sidecar
        self.sha512Sidecar = sha512Sidecar
        self.signature = signature
        self.detail = detail
    }
}

/// A CSAF document ready to be stored: verbatim bytes, where they came from, what the store needs of the parsed
/// form, and its integrity.
///
/// It deliberately does not carry the decoded `CSAFDocument`: freeing that object graph is work, and it belongs on
/// the thread that parsed the document, not on the single thread that writes to the store.
public struct IncomingDocument: Sendable {
    /// A file path or URL.
    public var origin: String
    public var bytes: [UInt8]
    public var advisory: Advisory
    public var tracking: Tracking
    public var warnings: [ValidationIssue]
    /// The CSAF §6 findings by group, when the reader ran the tests (imports and syncs do).
    public var conformance: ConformanceSummary?
    public var integrity: DocumentIntegrity

    public init(origin: String, bytes: [UInt8], parsed: ParsedCSAF, integrity: DocumentIntegrity) {
        self.origin = origin
        self.bytes = bytes
        self.advisory = parsed.advisory
        self.tracking = parsed.document.document.tracking
        self.warnings = parsed.warnings
        self.conformance = parsed.conformance
        self.integrity = integrity
    }
}

/// Why a document was quarantined, for code that reacts to it; people read the reason stored beside it.
///
/// The raw value is what the quarantine stores (`quarantine.code`) and what `vigil quarantine --json` prints; a value
/// this version does not know (written by another version of Vigil) reads back as `other` and is kept as it was.
public enum QuarantineCode: Sendable, Hashable, RawRepresentable, Codable, CustomStringConvertible {
    /// The file is over the size limit (`--max-size`).
    case tooLarge
    /// The file could not be read (permissions, an I/O error).
    case unreadable
    /// The bytes are not valid JSON (`CSAFReadError.Code.syntax`).
    case syntax
    /// JSON without a CSAF `document` object (`CSAFReadError.Code.notCSAF`).
    case notCSAF
    /// A feed lists it as an advisory, but it is a CSAF distribution file (provider metadata, aggregator, ROLIE feed).
    case distributionFile
    /// JSON that does not follow the CSAF schema, or text too long to index (`CSAFReadError.Code.schema`).
    case schema
    /// The document does not match its published hash (`IntegrityStatus.hashMismatch`).
    case hashMismatch
    /// The OpenPGP signature does not verify (`IntegrityStatus.badSignature`).
    case badSignature
    /// The signature was made by a key the provider does not list (`IntegrityStatus.unknownKey`).
    case unknownKey
    /// A code this version of Vigil does not know, as stored.
    case other(String)

    /// Every code this version writes, in the order a reader checks a document.
    public static let known: [QuarantineCode] = [.tooLarge, .unreadable, .syntax, .notCSAF, .distributionFile, .schema,
                                                 .hashMismatch, .badSignature, .unknownKey]

    public var rawValue: String {
        switch self {
        case .tooLarge: "too-large"
        case .unreadable: "unreadable"
        case .syntax: "syntax"
        case .notCSAF: "notCSAF"
        case .distributionFile: "not-csaf"
        case .schema: "schema"
        case .hashMismatch: IntegrityStatus.hashMismatch.rawValue
        case .badSignature: IntegrityStatus.badSignature.rawValue
        case .unknownKey: IntegrityStatus.unknownKey.rawValue
        case .other(let code): code
        }
    }

    /// Reads a stored code; never fails. `tooLarge`, the CSAF reader's own spelling of `too-large`, reads as `tooLarge`.
    public init(rawValue: String) {
        switch rawValue {
        case "too-large", "tooLarge": self = .tooLarge
        case "unreadable": self = .unreadable
        case "syntax": self = .syntax
        case "notCSAF": self = .notCSAF
        case "not-csaf": self = .distributionFile
        case "schema": self = .schema
        case IntegrityStatus.hashMismatch.rawValue: self = .hashMismatch
        case IntegrityStatus.badSignature.rawValue: self = .badSignature
        case IntegrityStatus.unknownKey.rawValue: self = .unknownKey
        default: self = .other(rawValue)
        }
    }

    /// The code for a file the CSAF reader refused.
    public init(_ code: CSAFReadError.Code) {
        switch code {
        case .syntax: self = .syntax
        case .notCSAF: self = .notCSAF
        case .schema: self = .schema
        case .tooLarge: self = .tooLarge
        }
    }

    /// The code for a document whose integrity check failed. An acceptable status is no reason to quarantine: it is
    /// kept as `other` with the status's name rather than dropped.
    public init(_ status: IntegrityStatus) {
        switch status {
        case .hashMismatch: self = .hashMismatch
        case .badSignature: self = .badSignature
        case .unknownKey: self = .unknownKey
        case .verified, .hashOnly, .signatureUnchecked, .unsigned: self = .other(status.rawValue)
        }
    }

    /// The failed integrity check this code stands for, if it is one.
    public var integrityStatus: IntegrityStatus? {
        switch self {
        case .hashMismatch: .hashMismatch
        case .badSignature: .badSignature
        case .unknownKey: .unknownKey
        default: nil
        }
    }

    /// What to do about a document quarantined for this reason, in one sentence.
    public var advice: String {
        switch self {
        case .tooLarge: "If the document is genuine, import it again with a larger --max-size."
        case .unreadable: "Check that the file exists and that Vigil may read it, then import it again."
        case .syntax, .notCSAF, .schema: "Ask the publisher to fix the document; Vigil reads it again when it changes."
        case .distributionFile: "Ask the provider to list only advisories in its feed; nothing needs doing here."
        case .hashMismatch: "Do not trust this copy: fetch the document again from the publisher, or ask them to fix the hash."
        case .badSignature: "Do not trust this copy: fetch it again from the publisher and compare, or ask them to sign it again."
        case .unknownKey: "Check that the provider metadata lists the signing key; ask the provider to publish it if not."
        case .other: "Vigil does not know this code; read the reason."
        }
    }

    public var description: String { rawValue }

    /// Codes are equal when they read back the same: `.other("hash-mismatch")` is `.hashMismatch`.
    public static func == (a: QuarantineCode, b: QuarantineCode) -> Bool { a.canonical == b.canonical }

    public func hash(into hasher: inout Hasher) { hasher.combine(canonical) }

    private var canonical: String { QuarantineCode(rawValue: rawValue).rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A file that could not be accepted, kept with its reason so nothing is dropped silently.
public struct RejectedDocument: Sendable {
    public var origin: String
    public var reason: String
    public var code: QuarantineCode
    /// The bytes, when they were read and are not over the size limit.
    public var bytes: [UInt8]?
    public var sha256: String?
    public var advisoryID: String?

    public init(origin: String, reason: String, code: QuarantineCode, bytes: [UInt8]? = nil, sha256: String? = nil,
                advisoryID: String? = nil) {
        self.origin = origin
        self.reason = reason
        self.code = code
        self.bytes = bytes
        self.sha256 = sha256
        self.advisoryID = advisoryID
    }
}

/// What storing a document did.
public enum IngestOutcome: String, Sendable, Codable {
    /// The advisory was not known before.
    case new
    /// A newer revision replaced the current one; the older one stays in history.
    case updated
    /// The same bytes were already stored.
    case unchanged
    /// An older revision than the current one: added to history, the current one stays.
    case historical
    /// Same advisory ID and version as a stored revision but different bytes: recorded as a conflict, not applied.
    case conflict
}

/// Orders CSAF revisions: by `tracking.version` (integer or semantic versioning), then by current release date, then
/// by status (draft < interim < final), because an interim document is sometimes made final without a new version
/// (CSAF 2.0 §3.2.1.12.7).
public enum RevisionOrder {
    /// Negative when `a` is older than `b`, zero when they are the same revision, positive when newer.
    public static func compare(version a: String, date aDate: String, status aStatus: Tracking.Status? = nil,
                               to b: String, date bDate: String, status bStatus: Tracking.Status? = nil) -> Int {
        let byVersion = compareVersions(a, b)
        if byVersion != 0 { return byVersion }
        let ad = Timestamp.parse(aDate), bd = Timestamp.parse(bDate)
        if let ad, let bd, ad != bd { return ad < bd ? -1 : 1 }
        if let aStatus, let bStatus, aStatus != bStatus { return rank(aStatus) < rank(bStatus) ? -1 : 1 }
        return 0
    }

    static func rank(_ status: Tracking.Status) -> Int {
        switch status {
        case .draft: 0
        case .interim: 1
        case .final: 2
        }
    }

    /// Semantic versioning precedence (semver 2.0.0 §11); an integer version is a one-part version.
    public static func compareVersions(_ a: String, _ b: String) -> Int {
        func parts(_ s: String) -> ([Int], [Substring]) {
            let core = s.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(s)
            let pieces = core.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let numbers = (pieces.first ?? "").split(separator: ".").map { Int($0) ?? 0 }
            let prerelease = pieces.count > 1 ? pieces[1].split(separator: ".", omittingEmptySubsequences: false) : []
            return (numbers, prerelease)
        }
        let (an, ap) = parts(a), (bn, bp) = parts(b)
        for i in 0..<max(an.count, bn.count) {
            let x = i < an.count ? an[i] : 0, y = i < bn.count ? bn[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        // A pre-release sorts before the release it precedes.
        if ap.isEmpty != bp.isEmpty { return ap.isEmpty ? 1 : -1 }
        // Identifier by identifier: numeric ones as numbers and below alphanumeric ones; a longer list wins a tie.
        for (x, y) in zip(ap, bp) where x != y {
            switch (Int(x), Int(y)) {
            case let (xn?, yn?): return xn < yn ? -1 : 1
            case (.some, nil): return -1
            case (nil, .some): return 1
            case (nil, nil): return x < y ? -1 : 1
            }
        }
        if ap.count != bp.count { return ap.count < bp.count ? -1 : 1 }
        return 0
    }
}
