import CSAF
import Foundation
import Matching

/// What the linker keeps of one advisory: the few facts the rules read, already normalised, so comparing two
/// advisories is set arithmetic. A store keeps the document keys (`identityKeys(of:)`, `namedKeys(of:)`) beside the
/// advisory's rows and builds these from its columns, without reading the document again.
public struct AdvisoryLinkFacts: Sendable, Equatable {
    public var id: String
    /// The publisher's namespace host (`cisa.gov`, `siemens.com`, `festo.com`), else its lowercased name.
    var publisherKey: String
    public internal(set) var publisherName: String
    /// Canonical keys of the principal product vendor (the first in `Advisory.vendors`), through `VendorDirectory`.
    var vendorKeys: Set<String>
    public internal(set) var cves: Set<String>
    /// Document keys the advisory is known by: its ID and its aliases.
    var identity: Set<String>
    /// Document keys its references name (less its own).
    var named: Set<String>
    public internal(set) var initialReleaseDate: Date?

    public init(_ advisory: Advisory, vendors: VendorDirectory) {
        let identity = Self.identityKeys(of: advisory)
        self.init(id: advisory.id, publisherName: advisory.publisher.name, publisherNamespace: advisory.publisher.namespace,
                  principalVendor: advisory.vendors.first, cves: advisory.cves,
                  identityKeys: identity, namedKeys: Self.namedKeys(of: advisory, identity: identity),
                  initialReleaseDate: advisory.initialReleaseDate, vendors: vendors)
    }

    /// The facts from what a store keeps of an advisory: its publisher, its first vendor (`Advisory.vendors.first`), its
    /// CVEs, the keys `identityKeys(of:)` and `namedKeys(of:)` gave for it, and its initial release date.
    public init(id: String, publisherName: String, publisherNamespace: String, principalVendor: String?, cves: some Sequence<String>,
                identityKeys: Set<String>, namedKeys: Set<String>, initialReleaseDate: Date?, vendors: VendorDirectory) {
        self.id = id
        publisherKey = Self.publisherKey(namespace: publisherNamespace, name: publisherName)
        self.publisherName = publisherName
        vendorKeys = Set(principalVendor.map { vendors.vendorKeys($0) } ?? [])
        self.cves = Set(cves.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty })
        identity = identityKeys
        named = namedKeys.subtracting(identityKeys)
        // To the second, as stores keep dates: a link read from a store and one worked out from the document agree.
        self.initialReleaseDate = initialReleaseDate.map { Date(timeIntervalSince1970: ($0.timeIntervalSince1970).rounded(.down)) }
    }

    /// The document keys `advisory` is known by: its ID and its aliases, as `documentKey` writes them.
    public static func identityKeys(of advisory: Advisory) -> Set<String> {
        Set(([advisory.id] + advisory.aliases).compactMap { documentKey($0) })
    }

    /// The document keys `advisory`'s references name, less the ones it is known by itself.
    public static func namedKeys(of advisory: Advisory, identity: Set<String>? = nil) -> Set<String> {
        let identity = identity ?? identityKeys(of: advisory)
        var named = Set<String>()
        for reference in advisory.references {
            for key in documentKeys(inURL: reference.url) where !identity.contains(key) { named.insert(key) }
        }
        return named
    }

    /// `https://www.festo.com/` → `festo.com`: the same publisher writes its namespace with and without `www.` and
    /// the trailing slash.
    static func publisherKey(namespace: String, name: String) -> String {
        var host = Substring(namespace.trimmingCharacters(in: .whitespaces).lowercased())
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        host = host.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if host.hasPrefix("www.") { host = host.dropFirst(4) }
        if !host.isEmpty { return String(host) }
        return name.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The document keys a reference URL names: its last path segment without a file extension, and its query values.
    /// `https://cert-portal.siemens.com/productcert/html/ssa-123456.html`, `http://…/csaf/ssa-123456.json` and
    /// `…/advisories/VDE-2023-040/` name `ssa-123456` and `vde-2023-40`.
    static func documentKeys(inURL url: String) -> [String] {
        // An ASCII URL (nearly all) is read as bytes, without Foundation or a String per part: the ingest does this for
        // every reference of every document it stores.
        url.utf8.allSatisfy({ $0 < 0x80 }) ? asciiDocumentKeys(inURL: Array(url.utf8)) : scalarDocumentKeys(inURL: url)
    }

    /// `documentKeys(inURL:)` for an ASCII URL, byte by byte: the same rules, the same answers.
    static func asciiDocumentKeys(inURL bytes: [UInt8]) -> [String] {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var start = 0
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        if let hash = bytes[start..<end].firstIndex(of: 0x23) { end = hash }
        var query = end..<end
        if let mark = bytes[start..<end].firstIndex(of: 0x3F) {
            query = (mark + 1)..<end
            end = mark
        }
        var index = start
        while index + 2 < end {
            if bytes[index] == 0x3A && bytes[index + 1] == 0x2F && bytes[index + 2] == 0x2F {
                start = index + 3
                break
            }
            index += 1
        }
        // Non-empty segments; the first is the host, and a bare host names no document.
        var segments = 0
        var last = start..<start
        var segmentStart = start
        for position in start...end where position == end || bytes[position] == 0x2F {
            if position > segmentStart {
                segments += 1
                last = segmentStart..<position
            }
            segmentStart = position + 1
        }
        var keys: [String] = []
        if segments >= 2 {
            if let dot = bytes[last].lastIndex(of: 0x2E), case let ext = bytes[(dot + 1)..<last.upperBound], (1...5).contains(ext.count),
               ext.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
                last = last.lowerBound..<dot
            }
            if let key = asciiDocumentKey(bytes[last]) { keys.append(key) }
        }
        var pairStart = query.lowerBound
        for position in query.lowerBound...query.upperBound where position == query.upperBound || bytes[position] == 0x26 {
            defer { pairStart = position + 1 }
            guard position > pairStart, let equals = bytes[pairStart..<position].firstIndex(of: 0x3D) else { continue }
            if let key = asciiDocumentKey(bytes[(equals + 1)..<position]), !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// `documentKeys(inURL:)` for any URL, through `Substring`.
    static func scalarDocumentKeys(inURL url: String) -> [String] {
        var text = Substring(url.trimmingCharacters(in: .whitespacesAndNewlines))
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        var query: Substring = ""
        if let mark = text.firstIndex(of: "?") {
            query = text[text.index(after: mark)...]
            text = text[..<mark]
        }
        if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
        // The first segment is the host: a bare host names no document.
        let segments = text.split(separator: "/").dropFirst()
        var keys: [String] = []
        if var last = segments.last {
            if let dot = last.lastIndex(of: "."), case let ext = last[last.index(after: dot)...],
               (1...5).contains(ext.count), ext.allSatisfy({ $0.isASCII && $0.isLetter }) {
                last = last[..<dot]
            }
            if let key = documentKey(last) { keys.append(key) }
        }
        for pair in query.split(separator: "&") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            if let key = documentKey(pair[pair.index(after: equals)...]), !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// An advisory ID as a comparable key: lowercase, `_`/`.`/space as `-`, leading zeros of each number dropped
    /// (`SSA-042050` and CISA's `ssa-42050` are one key). Nil for what cannot be a document's ID: no letter or no
    /// digit, under five characters, or a CVE or CWE ID (those name vulnerabilities, not advisories).
    public static func documentKey<S: StringProtocol>(_ text: S) -> String? {
        // Nearly every ID and URL is ASCII: its bytes are read once, with no String built per character (the ingest
        // computes these for every reference of every document).
        text.utf8.allSatisfy({ $0 < 0x80 }) ? asciiDocumentKey(text.utf8) : scalarDocumentKey(text)
    }

    /// `documentKey` for any text, scalar by scalar.
    static func scalarDocumentKey<S: StringProtocol>(_ text: S) -> String? {
        var key = ""
        var number = ""
        var hasLetter = false
        func endNumber() {
            guard !number.isEmpty else { return }
            let significant = number.drop { $0 == "0" }
            key += significant.isEmpty ? "0" : String(significant)
            number = ""
        }
        for scalar in text.unicodeScalars {
            if scalar.value >= 48 && scalar.value <= 57 {
                number.unicodeScalars.append(scalar)
                continue
            }
            endNumber()
            if scalar.properties.isAlphabetic {
                hasLetter = true
                key += String(scalar).lowercased()
            } else if scalar == "-" || scalar == "_" || scalar == "." || scalar == " " {
                if !key.isEmpty && key.last != "-" { key.append("-") }
            } else {
                return nil
            }
        }
        endNumber()
        while key.last == "-" { key.removeLast() }
        guard hasLetter, key.contains(where: \.isNumber), key.count >= 5, !key.hasPrefix("cve-"), !key.hasPrefix("cwe-")
        else { return nil }
        return key
    }

    /// `documentKey` for ASCII text, byte by byte: the same rules, the same answers.
    static func asciiDocumentKey(_ bytes: some Collection<UInt8>) -> String? {
        var key: [UInt8] = []
        key.reserveCapacity(bytes.count)
        var hasLetter = false
        var hasDigit = false
        var inNumber = false
        var leadingZeros = 0
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 {
                if !inNumber {
                    inNumber = true
                    leadingZeros = 0
                }
                if byte == 0x30 && leadingZeros >= 0 {
                    leadingZeros += 1  // not written yet: dropped unless the number is all zeros
                    continue
                }
                leadingZeros = -1
                key.append(byte)
                hasDigit = true
                continue
            }
            if inNumber {
                if leadingZeros > 0 {
                    key.append(0x30)
                    hasDigit = true
                }
                inNumber = false
            }
            switch byte {
            case 0x41...0x5A:
                hasLetter = true
                key.append(byte + 0x20)
            case 0x61...0x7A:
                hasLetter = true
                key.append(byte)
            case 0x2D, 0x5F, 0x2E, 0x20:
                if !key.isEmpty && key.last != 0x2D { key.append(0x2D) }
            default:
                return nil
            }
        }
        if inNumber && leadingZeros > 0 {
            key.append(0x30)
            hasDigit = true
        }
        while key.last == 0x2D { key.removeLast() }
        guard hasLetter, hasDigit, key.count >= 5 else { return nil }
        if key.starts(with: Array("cve-".utf8)) || key.starts(with: Array("cwe-".utf8)) { return nil }
        return String(decoding: key, as: UTF8.self)
    }
}
