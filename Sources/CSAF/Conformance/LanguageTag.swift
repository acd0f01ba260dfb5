/// BCP 47 language tags (RFC 5646) as CSAF's `language_t` uses them: well-formed, with a primary language that
/// exists. Two-letter languages are checked against ISO 639-1; three-letter ones are accepted when well-formed
/// (ISO 639-2/3 has thousands; Vigil does not ship IANA's registry), except the private-use range `qaa`–`qtz`.
enum LanguageTag {
    /// ISO 639-1's two-letter codes, with the registry's deprecated `in`, `iw`, `ji`, `jw` and `mo`.
    static let twoLetter: Set<String> = Set("""
        aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et \
        eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik in io is it iu iw ja ji jv jw ka kg \
        ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne ng nl nn no \
        nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th \
        ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
        """.split(separator: " ").map(String.init))

    /// The tag split into its parts, or nil when it is not well-formed.
    struct Parts {
        var language: String
        var script: String?
        var region: String?
        var privateUse: Bool
        var grandfathered: Bool
    }

    static func isAlpha(_ s: Substring) -> Bool { s.utf8.allSatisfy { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A } }
    static func isDigit(_ s: Substring) -> Bool { s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    static func isAlphanumeric(_ s: Substring) -> Bool { s.utf8.allSatisfy { (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) } }

    /// RFC 5646's irregular grandfathered tags (`i-default`, …), which the registry keeps.
    static let irregular: Set<String> = ["en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux", "i-mingo",
                                         "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr", "sgn-be-nl", "sgn-ch-de"]

    static func parse(_ tag: String) -> Parts? {
        let lower = tag.lowercased()
        if irregular.contains(lower) { return Parts(language: lower, privateUse: false, grandfathered: true) }
        let subtags = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = subtags.first, subtags.allSatisfy({ !$0.isEmpty && $0.count <= 8 && isAlphanumeric($0) }) else { return nil }
        if first.lowercased() == "x" { return subtags.count > 1 ? Parts(language: "x", privateUse: true, grandfathered: false) : nil }
        guard isAlpha(first), (2...8).contains(first.count), first.count != 4 else { return nil }
        var parts = Parts(language: first.lowercased(), privateUse: false, grandfathered: false)
        var index = 1
        // extlang: up to three 3-letter subtags after a 2- or 3-letter language.
        var extlangs = 0
        while index < subtags.count, first.count <= 3, subtags[index].count == 3, isAlpha(subtags[index]), extlangs < 3 {
            index += 1
            extlangs += 1
        }
        if index < subtags.count, subtags[index].count == 4, isAlpha(subtags[index]) {
            parts.script = subtags[index].lowercased()
            index += 1
        }
        if index < subtags.count, (subtags[index].count == 2 && isAlpha(subtags[index])) || (subtags[index].count == 3 && isDigit(subtags[index])) {
            parts.region = subtags[index].uppercased()
            index += 1
        }
        // variants, extensions and private use.
        var seenVariants: Set<String> = []
        while index < subtags.count {
            let subtag = subtags[index]
            if subtag.count == 1 {
                let singleton = subtag.lowercased()
                guard index + 1 < subtags.count else { return nil }
                if singleton == "x" { return parts }
                index += 1
                var extensionLength = 0
                while index < subtags.count, subtags[index].count >= 2 {
                    index += 1
                    extensionLength += 1
                }
                guard extensionLength > 0 else { return nil }
                continue
            }
            let variant = (subtag.count >= 5) || (subtag.count == 4 && subtag.first!.isNumber)
            guard variant, seenVariants.insert(subtag.lowercased()).inserted else { return nil }
            index += 1
        }
        return parts
    }

    /// Why a tag is not valid, or nil.
    static func problem(_ tag: String) -> String? {
        guard let parts = parse(tag) else { return "it is not a well-formed BCP 47 tag (such as en, de-DE or zh-Hant-TW)" }
        if parts.grandfathered || parts.privateUse { return nil }
        if parts.language.count == 2, !twoLetter.contains(parts.language) {
            return "“\(parts.language)” is no ISO 639-1 language code"
        }
        if parts.language.count > 3 { return "a primary language of \(parts.language.count) letters is reserved or unregistered" }
        return nil
    }

    /// Private-use parts (§6.2.14): languages qaa–qtz, scripts Qaaa–Qabx, regions AA, QM–QZ, XA–XZ and ZZ, and `x-`.
    static func privateUse(_ tag: String) -> String? {
        guard let parts = parse(tag), !parts.grandfathered else { return nil }
        if parts.privateUse { return "it is a private-use tag" }
        if parts.language.count == 3, parts.language >= "qaa", parts.language <= "qtz" { return "the language \(parts.language) is for private use" }
        if let script = parts.script, script >= "qaaa", script <= "qabx" { return "the script \(script.capitalized) is for private use" }
        if let region = parts.region, region == "AA" || region == "ZZ" || (region >= "QM" && region <= "QZ") || (region >= "XA" && region <= "XZ") {
            return "the region \(region) is for private use"
        }
        if tag.lowercased().contains("-x-") { return "it has a private-use part" }
        return nil
    }
}

/// Package URLs (purl-spec): `pkg:type/namespace/name@version?qualifiers#subpath`.
public enum PackageURLCheck {
    /// Why a string is not a valid package URL, or nil.
    public static func problem(_ text: String) -> String? {
        guard text.lowercased().hasPrefix("pkg:") else { return "it must start with pkg:" }
        var rest = Substring(text.dropFirst(4))
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let question = rest.firstIndex(of: "?") {
            var keys: Set<String> = []
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return "the qualifier \(pair) needs a key and a value" }
                let key = parts[0].lowercased()
                guard key.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }),
                      !(key.first?.isNumber ?? true) else { return "the qualifier key \(parts[0]) has characters a key cannot have" }
                guard keys.insert(key).inserted else { return "the qualifier \(key) is given twice" }
            }
            rest = rest[..<question]
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let segments = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard let type = segments.first, !type.isEmpty else { return "it has no type (pkg:maven/…, pkg:npm/…)" }
        guard type.utf8.allSatisfy({ (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D }),
              !(type.first?.isNumber ?? true) else { return "the type \(type) has characters a type cannot have" }
        guard segments.count >= 2 else { return "it has no name" }
        var last = segments[segments.count - 1]
        if let at = last.lastIndex(of: "@") {
            guard last.index(after: at) < last.endIndex else { return "the version after @ is empty" }
            last = last[..<at]
        }
        guard !last.isEmpty, !(last.removingPercentEncoding ?? "").isEmpty else { return "it has no name" }
        return nil
    }
}
