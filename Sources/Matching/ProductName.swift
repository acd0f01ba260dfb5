/// Product names reduced to the words that identify a product, so that `SIMATIC S7-1500 CPU 1516-3 PN/DP`,
/// `Siemens SIMATIC S7-1500 CPU 1516-3 PN/DP` and `simatic s7 1500 cpu 1516 3 pn dp` compare equal.
public enum ProductName {
    /// Words that say nothing about which product is meant.
    static let stopWords: Set<String> = ["all", "versions", "version", "the", "and", "for", "with", "of", "family",
                                         "series", "products", "product", "devices", "device", "models", "model",
                                         "firmware", "software", "a", "an", "only", "affected", "on", "in"]

    /// The identifying words of a product name, lowercase, with the vendor's own words removed.
    public static func tokens(_ name: String, vendorKey: String = "") -> [String] {
        // A name has a few words: lists searched in order cost less than sets hashed (matching one advisory reads
        // every product's name).
        let vendorWords = vendorKey.split(separator: " ")
        var result: [String] = []
        for word in words(name, keepingParenthesised: true)
            where !result.contains(word) && !vendorWords.contains(where: { $0 == word }) && !stopWords.contains(word) {
            result.append(word)
        }
        return result
    }

    /// Lowercase runs of letters and digits. Letters and digits stay together (`s7`, `1516`, `pn`), so
    /// `S7-1500` is `s7 1500`. Parenthesised text is dropped unless `keepingParenthesised`.
    public static func words(_ text: String, keepingParenthesised: Bool) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        var depth = 0
        func flush() {
            if !current.isEmpty {
                words.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        for scalar in text.unicodeScalars {
            if scalar == "(" { flush(); depth += 1; continue }
            if scalar == ")" { flush(); depth = max(0, depth - 1); continue }
            if depth > 0 && !keepingParenthesised { continue }
            if scalar.isASCII {
                let byte = UInt8(scalar.value)
                switch byte {
                case 48...57, 97...122: current.append(byte)
                case 65...90: current.append(byte + 32)
                default: flush()
                }
            } else if scalar.properties.isAlphabetic {
                // Non-ASCII letters (`Kontakttechnik`, `Électrique`): folded to lowercase, kept in the word.
                current.append(contentsOf: Array(String(scalar).lowercased().utf8))
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// A model or order number in a comparable form: uppercase letters and digits only (`6ES7 516-3AN02-0AB0` →
    /// `6ES75163AN020AB0`).
    public static func modelKey(_ text: String) -> String {
        String(decoding: text.utf8.compactMap { byte -> UInt8? in
            switch byte {
            case 48...57, 65...90: return byte
            case 97...122: return byte - 32
            default: return nil
            }
        }, as: UTF8.self)
    }
}
