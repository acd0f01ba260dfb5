/// A Package URL (purl, ECMA-427): the type, namespace, name, version, qualifiers and subpath that identify one
/// software package, held decoded and normalised so that two spellings of the same package compare equal.
///
/// `description` is the canonical string. Per-type rules (lowercased names, PyPI's `-` for `_`, required or
/// prohibited namespaces, …) are applied by every initialiser, so an instance is always canonical.
public struct PackageURL: Sendable, Hashable, CustomStringConvertible {
    /// The package type (`maven`, `npm`, `pypi`, …), lowercase.
    public internal(set) var type: String
    /// The namespace segments joined with `/` (`org.apache.commons`, `@angular`, `github.com/gorilla`), or nil.
    public internal(set) var namespace: String?
    /// The package name, decoded.
    public internal(set) var name: String
    /// The version, decoded, or nil.
    public internal(set) var version: String?
    /// The qualifiers, keys lowercase; values never empty.
    public internal(set) var qualifiers: [String: String]
    /// The subpath segments joined with `/`, without empty, `.` or `..` segments, or nil.
    public internal(set) var subpath: String?

    /// How `init(parsing:mode:)` treats input that breaks a rule a canonical purl must follow but whose meaning is
    /// clear (today: qualifier keys that are not lowercase).
    public enum ParsingMode: Sendable, Equatable {
        /// Reject it, as ECMA-427 requires of a conforming parser (the purl-spec tests' `required` group).
        case strict
        /// Correct it, as the purl-spec tests' `recommended` group shows, for reading third-party data.
        case lenient
    }

    /// The qualifiers sorted by key, the order of the canonical string.
    public var sortedQualifiers: [(key: String, value: String)] {
        qualifiers.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    /// Builds a purl from decoded components, validating them and applying the type's normalisation rules.
    public init(type: String, namespace: String? = nil, name: String, version: String? = nil,
                qualifiers: [String: String] = [:], subpath: String? = nil) throws(PackageURLError) {
        try self.init(checkedType: type, namespace: namespace, name: name, version: version,
                      qualifiers: qualifiers, subpath: subpath, mode: .strict)
    }

    /// Reads a purl string (`pkg:type/namespace/name@version?qualifiers#subpath`), percent-decoding each component.
    public init(parsing text: String, mode: ParsingMode = .strict) throws(PackageURLError) {
        var rest = Substring(text)

        var subpath: String?
        if let hash = rest.lastIndex(of: "#") {
            var segments: [String] = []
            for segment in rest[rest.index(after: hash)...].split(separator: "/") where segment != "." && segment != ".." {
                let decoded = try PURLCodec.decode(segment, component: "subpath")
                if decoded.contains("/") { throw PackageURLError(.invalidComponent, "subpath", "the segment \"\(segment)\" decodes to a text holding \"/\"") }
                segments.append(decoded)
            }
            subpath = segments.isEmpty ? nil : segments.joined(separator: "/")
            rest = rest[..<hash]
        }

        var qualifiers: [String: String] = [:]
        if let question = rest.lastIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                guard let equals = pair.firstIndex(of: "=") else {
                    throw PackageURLError(.invalidQualifier, "qualifiers", "\"\(pair)\" has no \"=\" between key and value")
                }
                var key = String(pair[..<equals])
                if mode == .lenient { key = key.asciiLowercased }
                guard qualifiers[key] == nil else {
                    throw PackageURLError(.invalidQualifier, "qualifiers", "the key \"\(key)\" appears more than once")
                }
                qualifiers[key] = try PURLCodec.decode(pair[pair.index(after: equals)...], component: "qualifiers")
            }
            rest = rest[..<question]
        }

        guard let colon = rest.firstIndex(of: ":"), rest[..<colon].asciiLowercased == "pkg" else {
            throw PackageURLError(.missingScheme, "scheme", "a purl starts with \"pkg:\"")
        }
        rest = rest[rest.index(after: colon)...].drop { $0 == "/" }

        guard let slash = rest.firstIndex(of: "/") else {
            throw PackageURLError(.missingName, "name", "there is no \"/\" between the type and the name")
        }
        let type = String(rest[..<slash])
        var segments = rest[rest.index(after: slash)...].split(separator: "/")
        guard let last = segments.popLast() else {
            throw PackageURLError(.missingName, "name", "the name is empty")
        }
        // The version follows the last "@" of the last segment: an "@" elsewhere (an npm scope written unencoded,
        // a Homebrew formula like node@20) belongs to the namespace or name.
        var version: String?
        var encodedName = last
        if let at = last.lastIndex(of: "@") {
            version = try PURLCodec.decode(last[last.index(after: at)...], component: "version")
            encodedName = last[..<at]
        }
        let name = try PURLCodec.decode(encodedName, component: "name")
        var namespaceSegments: [String] = []
        for segment in segments {
            let decoded = try PURLCodec.decode(segment, component: "namespace")
            if decoded.contains("/") { throw PackageURLError(.invalidComponent, "namespace", "the segment \"\(segment)\" decodes to a text holding \"/\"") }
            namespaceSegments.append(decoded)
        }
        try self.init(checkedType: type, namespace: namespaceSegments.isEmpty ? nil : namespaceSegments.joined(separator: "/"),
                      name: name, version: version, qualifiers: qualifiers, subpath: subpath, mode: mode)
    }

    private init(checkedType rawType: String, namespace rawNamespace: String?, name rawName: String, version rawVersion: String?,
                 qualifiers rawQualifiers: [String: String], subpath rawSubpath: String?, mode: ParsingMode) throws(PackageURLError) {
        let type = rawType.asciiLowercased
        guard let first = type.utf8.first else { throw PackageURLError(.invalidType, "type", "the type is empty") }
        guard !(0x30...0x39).contains(first) else {
            throw PackageURLError(.invalidType, "type", "the type \"\(rawType)\" starts with a digit")
        }
        guard type.utf8.allSatisfy({ PURLCodec.isLowerAlphanumeric($0) || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D }) else {
            throw PackageURLError(.invalidType, "type", "the type \"\(rawType)\" holds a character other than letters, digits, \".\", \"+\" and \"-\"")
        }

        var qualifiers: [String: String] = [:]
        for (rawKey, value) in rawQualifiers where !value.isEmpty {
            let key = mode == .lenient ? rawKey.asciiLowercased : rawKey
            guard let keyFirst = key.utf8.first, !(0x30...0x39).contains(keyFirst),
                  key.utf8.allSatisfy({ PURLCodec.isLowerAlphanumeric($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }) else {
                throw PackageURLError(.invalidQualifier, "qualifiers",
                                      "the key \"\(rawKey)\" is not lowercase letters, digits, \".\", \"-\" and \"_\" starting with a letter")
            }
            guard qualifiers[key] == nil else {
                throw PackageURLError(.invalidQualifier, "qualifiers", "the key \"\(key)\" appears more than once")
            }
            qualifiers[key] = value
        }

        var namespaceSegments = (rawNamespace ?? "").split(separator: "/").map(String.init)
        var name = rawName
        if type == "git" {
            // A git purl names the host as namespace and the path on it as name (`codeberg.org` / `forgejo/forgejo`):
            // re-split so that every spelling of the same path gives the same components.
            let path = namespaceSegments + name.split(separator: "/").map(String.init)
            namespaceSegments = path.isEmpty ? [] : [path[0]]
            name = path.dropFirst().joined(separator: "/")
        }
        guard !name.isEmpty else { throw PackageURLError(.missingName, "name", "a \(type) purl needs a name") }
        var version = rawVersion.flatMap { $0.isEmpty ? nil : $0 }

        let rules = PURLTypeRules(type: type)
        if rules.lowercasesNamespace { namespaceSegments = namespaceSegments.map(\.asciiLowercased) }
        if rules.lowercasesName { name = name.asciiLowercased }
        if type == "pypi" { name = String(name.map { $0 == "_" ? "-" : $0 }) }
        if type == "huggingface" { version = version.map(\.asciiLowercased) }
        if type == "mlflow", let repository = qualifiers["repository_url"], repository.contains("azuredatabricks.net") {
            // Databricks' MLflow registry is case-insensitive; Azure ML's is not.
            name = name.asciiLowercased
        }
        let namespace = namespaceSegments.isEmpty ? nil : namespaceSegments.joined(separator: "/")
        try rules.check(namespace: namespace, name: name, version: version, qualifiers: qualifiers)

        var subpathSegments: [Substring] = []
        for segment in (rawSubpath ?? "").split(separator: "/") where segment != "." && segment != ".." {
            subpathSegments.append(segment)
        }

        self.type = type
        self.namespace = namespace
        self.name = name
        self.version = version
        self.qualifiers = qualifiers
        self.subpath = subpathSegments.isEmpty ? nil : subpathSegments.joined(separator: "/")
    }

    /// The canonical purl string.
    public var description: String {
        var text = "pkg:" + type + "/"
        if let namespace {
            text += namespace.split(separator: "/").map { PURLCodec.encode($0) }.joined(separator: "/") + "/"
        }
        text += type == "git" ? name.split(separator: "/").map { PURLCodec.encode($0) }.joined(separator: "/") : PURLCodec.encode(name)
        if let version { text += "@" + PURLCodec.encode(version) }
        if !qualifiers.isEmpty {
            text += "?" + sortedQualifiers.map { $0.key + "=" + PURLCodec.encode($0.value) }.joined(separator: "&")
        }
        if let subpath {
            text += "#" + subpath.split(separator: "/").map { PURLCodec.encode($0) }.joined(separator: "/")
        }
        return text
    }
}

/// Why a text or a set of components is not a valid purl.
public struct PackageURLError: Error, Sendable, Equatable, CustomStringConvertible {
    fileprivate enum Code: Sendable, Equatable {
        case missingScheme, invalidType, missingName, invalidEncoding, invalidQualifier, invalidComponent, typeRule
    }

    private let code: Code
    /// The purl component the problem is in: `scheme`, `type`, `namespace`, `name`, `version`, `qualifiers` or `subpath`.
    public let component: String
    /// What is wrong, in words a person can act on.
    public let message: String

    fileprivate init(_ code: Code, _ component: String, _ message: String) {
        self.code = code
        self.component = component
        self.message = message
    }

    public var description: String { "invalid purl \(component): \(message)" }
}

/// The rules a purl type's definition adds to the general ones: case folding and which components it must or must
/// not have. Types not listed follow only the general rules.
private struct PURLTypeRules {
    var type: String
    var lowercasesNamespace = false
    var lowercasesName = false

    init(type: String) {
        self.type = type
        switch type {
        case "alpm", "apk", "bitbucket", "bitnami", "brew", "composer", "deb", "git", "github", "golang", "hex",
             "luarocks", "npm", "oci", "otp", "pub", "pypi":
            lowercasesNamespace = true
            lowercasesName = true
        case "chrome-extension":
            lowercasesName = true
        default:
            break
        }
    }

    func check(namespace: String?, name: String, version: String?, qualifiers: [String: String]) throws(PackageURLError) {
        switch type {
        case "chrome-extension", "otp", "vcpkg":
            if let namespace { throw PackageURLError(.typeRule, "namespace", "a \(type) purl has no namespace, found \"\(namespace)\"") }
        case "git", "swift", "vscode-extension":
            if namespace == nil { throw PackageURLError(.typeRule, "namespace", "a \(type) purl needs a namespace") }
        default:
            break
        }
        switch type {
        case "chrome-extension":
            // The extension id is 32 letters a–p; the version has one to four dot-separated numbers.
            guard name.utf8.count == 32, name.utf8.allSatisfy({ (0x61...0x70).contains($0) }) else {
                throw PackageURLError(.typeRule, "name", "a chrome-extension id is 32 letters from a to p, found \"\(name)\"")
            }
            if let version {
                let parts = version.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count <= 4, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }) else {
                    throw PackageURLError(.typeRule, "version", "a chrome-extension version is one to four dot-separated numbers, found \"\(version)\"")
                }
            }
        case "cpan":
            if name.contains("::") {
                throw PackageURLError(.typeRule, "name", "a cpan purl names the distribution (URI-PackageURL), not a module (\(name))")
            }
        case "julia":
            if qualifiers["uuid"] == nil {
                throw PackageURLError(.typeRule, "qualifiers", "a julia purl needs the package's uuid qualifier")
            }
        default:
            break
        }
    }
}

/// Percent-encoding, percent-decoding and ASCII case folding for purl components, over UTF-8 bytes.
enum PURLCodec {
    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
    }


    /// Encodes every byte except ASCII letters, digits, `-`, `.`, `_`, `~` and `:` as `%XX` (upper-case hex).
    static func encode(_ text: some StringProtocol) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E, 0x3A:
                bytes.append(byte)
            default:
                bytes += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func decode(_ text: some StringProtocol, component: String) throws(PackageURLError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == 0x25 else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw PackageURLError(.invalidEncoding, component, "\"\(text)\" has a \"%\" not followed by two hex digits")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw PackageURLError(.invalidEncoding, component, "\"\(text)\" does not decode to UTF-8 text")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
