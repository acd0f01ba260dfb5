/// A CSAF `version_t`: integer versioning (`3`) or semantic versioning (`1.2.0-rc.1+build.5`), with semantic
/// versioning's precedence (build metadata ignored, a pre-release before its release).
struct DocumentVersion: Sendable, Comparable {
    let text: String
    let isInteger: Bool
    let major: Int
    let minor: Int
    let patch: Int
    let preRelease: [String]
    let build: String?

    init?(_ text: String) {
        self.text = text
        if Self.isNumber(text) {
            guard let value = Int(text) else { return nil }
            isInteger = true
            major = value
            minor = 0
            patch = 0
            preRelease = []
            build = nil
            return
        }
        var rest = Substring(text)
        if let plus = rest.firstIndex(of: "+") {
            let metadata = rest[rest.index(after: plus)...]
            guard !metadata.isEmpty, metadata.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(Self.isIdentifier) else { return nil }
            build = String(metadata)
            rest = rest[..<plus]
        } else {
            build = nil
        }
        if let dash = rest.firstIndex(of: "-") {
            let pre = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            guard !pre.isEmpty, pre.allSatisfy({ Self.isIdentifier($0) && (!Self.isDigits($0) || Self.isNumber($0)) }) else { return nil }
            preRelease = pre.map(String.init)
            rest = rest[..<dash]
        } else {
            preRelease = []
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3, core.allSatisfy(Self.isNumber), let major = Int(core[0]), let minor = Int(core[1]), let patch = Int(core[2]) else {
            return nil
        }
        isInteger = false
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// `0` or `0.y.z`: a version before the first release.
    var isZero: Bool { major == 0 }
    var hasPreRelease: Bool { !preRelease.isEmpty }

    /// The version without build metadata, and without its pre-release part when `dropPreRelease` is set.
    func comparable(dropPreRelease: Bool) -> String {
        if isInteger { return text }
        var result = "\(major).\(minor).\(patch)"
        if !dropPreRelease, !preRelease.isEmpty { result += "-" + preRelease.joined(separator: ".") }
        return result
    }

    static func < (lhs: DocumentVersion, rhs: DocumentVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        switch (lhs.preRelease.isEmpty, rhs.preRelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (a, b) in zip(lhs.preRelease, rhs.preRelease) where a != b {
            switch (Int(a), Int(b)) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a < b
            }
        }
        return lhs.preRelease.count < rhs.preRelease.count
    }

    static func == (lhs: DocumentVersion, rhs: DocumentVersion) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }

    static func isDigits(_ text: Substring) -> Bool { !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    /// Digits without a leading zero (or `0` itself).
    static func isNumber(_ text: some StringProtocol) -> Bool {
        let bytes = Array(text.utf8)
        return !bytes.isEmpty && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (bytes.count == 1 || bytes[0] != 0x30)
    }
    static func isIdentifier(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }
    }
}
