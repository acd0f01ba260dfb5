import CSAF
import Foundation

/// PostgreSQL's full-text search: the weighted search vector an advisory row carries (SQLite keeps an FTS5 table),
/// made from the same words SQLite's tokenizer would index (`FullText`).
extension PostgresStore {
    /// `searchVector` over columns `search_a` … `search_d` of the row source `alias`.
    static func searchVector(from alias: String) -> String {
        """
        setweight(to_tsvector('simple', \(alias).search_a), 'A') || setweight(to_tsvector('simple', \(alias).search_b), 'B')
          || setweight(to_tsvector('simple', \(alias).search_c), 'C') || setweight(to_tsvector('simple', \(alias).search_d), 'D')
        """
    }

    /// An advisory's search vector from four bound texts (`searchArguments`), weighted as SQLite's bm25 weights rank:
    /// title and CVEs, vendors, products, the risk summary.
    static let searchVector = """
        setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B')
          || setweight(to_tsvector('simple', ?), 'C') || setweight(to_tsvector('simple', ?), 'D')
        """

    /// The four texts `searchVector` binds; the same texts SQLite's FTS columns hold (which is how a copied store gets
    /// the vector ingest would have made).
    static func searchArguments(title: String, cves: String, vendors: String, products: String, summary: String) -> SQLArguments {
        [FullText.indexText(title + " " + cves), FullText.indexText(vendors), FullText.indexText(products), FullText.indexText(summary)]
    }
}

/// Full-text search as SQLite's FTS5 `unicode61 remove_diacritics 2` tokenizer sees text: runs of letters and digits,
/// lower-cased, Latin diacritics removed. The text indexed and the words searched are both cut this way in Swift, so
/// PostgreSQL's own parser (which would keep `-2022` or `v2.13.0` as one token) finds what SQLite finds.
enum FullText {
    static func tokens(_ text: String) -> [String] {
        var folded = text.lowercased()
        if !folded.utf8.allSatisfy({ $0 < 0x80 }) { folded = folded.folding(options: .diacriticInsensitive, locale: nil) }
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            if isTokenCharacter(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse: return true
        default: return false
        }
    }

    /// Text for `to_tsvector('simple', …)`: the tokens, space-separated. Words longer than PostgreSQL indexes
    /// (2,047 bytes) are left out; no search word could match them anyway.
    static func indexText(_ text: String) -> String {
        tokens(text).filter { $0.utf8.count < 2_000 }.joined(separator: " ")
    }

    enum Query: Equatable {
        /// No word to search for: the text does not filter (SQLite's `ftsQuery` returns nil).
        case none
        /// A word that cannot occur in the index: nothing matches.
        case nothing
        case tsquery(String)
    }

    /// What a person typed as a `to_tsquery('simple', …)` argument, built from the same cleaned words as SQLite's
    /// `ftsQuery`: every word must occur, each as a phrase of its tokens whose last token is a prefix (FTS5's `"…"*`)
    /// when it has at least three characters (`FullTextPrefix`).
    /// Only letters and digits reach the query, each inside quotes, so no input can make it fail.
    static func query(_ text: String) -> Query {
        var terms: [String] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }) {
            let cleaned = word.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." || $0 == "_" }
            guard cleaned.contains(where: { CharacterSet.alphanumerics.contains($0) }) else { continue }
            let tokens = FullText.tokens(String(String.UnicodeScalarView(cleaned)))
            guard !tokens.isEmpty, tokens.allSatisfy({ $0.utf8.count < 2_000 }) else { return .nothing }
            let prefix = FullTextPrefix.applies(lastToken: Substring(tokens.last ?? "")) ? ":*" : ""
            terms.append("(" + tokens.map { "'\($0)'" }.joined(separator: " <-> ") + prefix + ")")
        }
        return terms.isEmpty ? .none : .tsquery(terms.joined(separator: " & "))
    }
}
