import CSAF
import Foundation
import Matching

/// What the linker keeps of one advisory: the few facts the rules read, already normalised, so comparing two
/// advisories is set arithmetic.
struct AdvisoryLinkFacts: Sendable, Equatable {
    var id: String
    /// The publisher's namespace host (`cisa.gov`, `siemens.com`, `festo.com`), else its lowercased name.
    var publisherKey: String
    var publisherName: String
    /// Canonical keys of the principal product vendor (the first in `Advisory.vendors`), through `VendorDirectory`.
    var vendorKeys: Set<String>
    var cves: Set<String>
    /// Document keys the advisory is known by: its ID and its aliases.
    var identity: Set<String>
    /// Document keys its references name (less its own).
    var named: Set<String>
    var initialReleaseDate: Date?

    init(_ advisory: Advisory, vendors: VendorDirectory) {
        id = advisory.id
        publisherKey = Self.publisherKey(advisory.publisher)
        publisherName = advisory.publisher.name
        vendorKeys = Set(advisory.vendors.first.map { vendors.vendorKeys($0) } ?? [])
        cves = Set(advisory.cves.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty })
        identity = Set(([advisory.id] + advisory.aliases).compactMap { Self.documentKey($0) })
        var named = Set<String>()
        for reference in advisory.references {
            for key in Self.documentKeys(inURL: reference.url) where !identity.contains(key) { named.insert(key) }
        }
        self.named = named
        initialReleaseDate = advisory.initialReleaseDate
    }

    /// `https://www.festo.com/` → `festo.com`: the same publisher writes its namespace with and without `www.` and
    /// the trailing slash.
    static func publisherKey(_ publisher: PublisherInfo) -> String {
        var host = Substring(publisher.namespace.trimmingCharacters(in: .whitespaces).lowercased())
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        host = host.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if host.hasPrefix("www.") { host = host.dropFirst(4) }
        if !host.isEmpty { return String(host) }
        return publisher.name.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The document keys a reference URL names: its last path segment without a file extension, and its query values.
    /// `https://cert-portal.siemens.com/productcert/html/ssa-123456.html`, `http://…/csaf/ssa-123456.json` and
    /// `…/advisories/VDE-2023-040/` name `ssa-123456` and `vde-2023-40`.
    static func documentKeys(inURL url: String) -> [String] {
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
    static func documentKey<S: StringProtocol>(_ text: S) -> String? {
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
}
