import Foundation

/// One canonical vendor for the many spellings in advisories and inventories (`Schneider Electric`,
/// `Schneider Electric Software, LLC`, `SCHNEIDER ELECTRIC SE`), with an editable alias table on top of built-in ones.
public struct VendorDirectory: Sendable {
    /// Built-in aliases: a normalised spelling → the canonical vendor's display name.
    public static let builtInAliases: [String: String] = [
        "schneider electric software": "Schneider Electric",
        "schneider": "Schneider Electric",
        "telemecanique": "Schneider Electric",
        "ge": "General Electric",
        "general electric ge": "General Electric",
        "rockwell": "Rockwell Automation",
        "allen bradley": "Rockwell Automation",
        "innominate security technologies": "Phoenix Contact",
        "innominate": "Phoenix Contact",
        "aveva software": "AVEVA",
        "wonderware": "AVEVA",
        "mitsubishi": "Mitsubishi Electric",
        "siemens industry": "Siemens",
        "siemens industry software": "Siemens",
        "hitachi abb power grids": "Hitachi Energy",
        "abb power grids": "Hitachi Energy",
        "johnson controls international": "Johnson Controls",
        "honeywell international": "Honeywell",
        "emerson electric": "Emerson",
        "emerson process management": "Emerson",
        "yokogawa electric": "Yokogawa",
        "omron industrial automation": "Omron",
        "moxa technologies": "Moxa",
        "wago kontakttechnik": "WAGO",
        "beckhoff automation": "Beckhoff",
        "pilz gmbh co kg": "Pilz",
        "b r industrial automation": "B&R",
        "b r": "B&R",
        "br automation": "B&R",
        "codesys group": "CODESYS",
        "3s smart software solutions": "CODESYS",
        "delta electronics inc": "Delta Electronics",
        "national instruments": "NI",
        "ni": "NI",
    ]

    /// Legal-form words dropped from the end of a name (`Inc.`, `GmbH & Co. KG`, `S.A.`).
    static let legalSuffixes: Set<String> = [
        "inc", "incorporated", "llc", "l l c", "ltd", "limited", "gmbh", "ag", "corp", "corporation", "co", "company",
        "sa", "s a", "se", "plc", "kg", "bv", "b v", "nv", "n v", "ab", "oy", "spa", "s p a", "srl", "s r l", "pty",
        "kk", "k k", "as", "a s", "sas", "s a s", "lp", "llp", "ulc", "pte", "sdn bhd", "bhd", "oyj", "asa", "gmbh co kg",
        "co ltd", "co kg", "international", "group", "holding", "holdings",
    ]

    private let aliases: [String: String]
    private let cache = VendorKeyCache()

    /// A directory with the built-in aliases and `custom` ones (normalised spelling or raw name → canonical name),
    /// the custom ones winning.
    public init(custom: [String: String] = [:]) {
        var aliases = Self.builtInAliases
        for (alias, canonical) in custom {
            aliases[Self.key(alias)] = canonical
        }
        self.aliases = aliases
    }

    /// The canonical vendor keys a vendor text names, the primary one first. A text can name several vendors
    /// (`ICONICS, Mitsubishi Electric`; `Sensormatic Electronics, LLC, a subsidiary of Johnson Controls Inc.`).
    public func vendorKeys(_ text: String) -> [String] {
        if let cached = cache.keys(for: text) { return cached }
        var keys: [String] = []
        for part in Self.parts(of: text) {
            let key = canonicalKey(part)
            if !key.isEmpty, !keys.contains(key) { keys.append(key) }
        }
        cache.store(keys, for: text)
        return keys
    }

    /// The canonical key of one vendor name: normalised, legal form dropped, aliases applied.
    public func canonicalKey(_ name: String) -> String {
        let key = Self.key(name)
        if let canonical = aliases[key] { return Self.key(canonical) }
        // `Schneider Electric Software` → `Schneider Electric` when the longer name is a known vendor plus a descriptor.
        let words = key.split(separator: " ")
        if words.count > 1, Self.descriptors.contains(String(words.last!)) {
            let shorter = words.dropLast().joined(separator: " ")
            if let canonical = aliases[shorter] { return Self.key(canonical) }
        }
        return key
    }

    /// The display name for a canonical key when the alias table knows one.
    public func displayName(forKey key: String) -> String? {
        aliases.values.first { Self.key($0) == key }
    }

    static let descriptors: Set<String> = ["software", "industrial", "automation", "energy", "digital", "usa",
                                           "america", "americas", "europe", "systems", "solutions", "technologies",
                                           "electronics", "controls"]

    /// Lowercase words of letters and digits, legal-form suffixes and parenthesised abbreviations dropped.
    public static func key(_ name: String) -> String {
        var words = ProductName.words(name, keepingParenthesised: false)
        while !words.isEmpty {
            if let last2 = words.count >= 2 ? words.suffix(2).joined(separator: " ") : nil, legalSuffixes.contains(last2) {
                words.removeLast(2)
            } else if words.count > 1, legalSuffixes.contains(words.last!) {
                words.removeLast()
            } else {
                break
            }
        }
        return words.joined(separator: " ")
    }

    /// Splits a text naming several vendors: commas, ` and `, `a subsidiary of`, `an affiliate of`.
    static func parts(of text: String) -> [String] {
        let bytes = Array(text.utf8)
        if !bytes.contains(UInt8(ascii: ",")), !bytes.contains(UInt8(ascii: "&")),
           !bytes.containsASCIICaseInsensitive(" and "), !bytes.containsASCIICaseInsensitive(" a subsidiary of "),
           !bytes.containsASCIICaseInsensitive(" an affiliate of ") {
            return [text]
        }
        var normalised = text
        for phrase in [", a subsidiary of ", ", an affiliate of ", " a subsidiary of ", " an affiliate of ", " and ", " & "] {
            normalised = normalised.replacingOccurrences(of: phrase, with: ",", options: .caseInsensitive)
        }
        var parts: [String] = []
        for piece in normalised.split(separator: ",") {
            let trimmed = piece.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            // `Johnson Controls, Inc.`: a legal form after a comma belongs to the name before it.
            if legalSuffixes.contains(ProductName.words(trimmed, keepingParenthesised: false).joined(separator: " ")) {
                continue
            }
            parts.append(trimmed)
        }
        return parts.isEmpty ? [text] : parts
    }
}

/// Vendor keys by spelling: inventories and advisories repeat a few hundred spellings many times.
final class VendorKeyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: [String]] = [:]

    func keys(for text: String) -> [String]? {
        lock.lock()
        defer { lock.unlock() }
        return keys[text]
    }

    func store(_ value: [String], for text: String) {
        lock.lock()
        defer { lock.unlock() }
        // Bounded: a hostile inventory of unique spellings must not grow memory without end.
        if keys.count >= 50_000 { keys.removeAll(keepingCapacity: true) }
        keys[text] = value
    }
}

extension Array where Element == UInt8 {
    /// Whether the bytes contain `needle` (lowercase ASCII), ignoring ASCII case.
    func containsASCIICaseInsensitive(_ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, count >= pattern.count else { return false }
        outer: for start in 0...(count - pattern.count) {
            for offset in 0..<pattern.count {
                var byte = self[start + offset]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != pattern[offset] { continue outer }
            }
            return true
        }
        return false
    }
}
