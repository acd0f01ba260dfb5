import CSAF
import Foundation

/// How the interface writes dates, links and severities.
enum Format {
    /// `2022-06-21 00:00 UTC`: ISO order with the time zone, as the interface promises.
    static func dateTime(_ date: Date?) -> String? {
        date.map { Timestamp.format($0).replacingOccurrences(of: "T", with: " ").dropLast(4) + " UTC" }
    }

    /// `2022-06-21`.
    static func day(_ date: Date?) -> String? { date.map(Timestamp.formatDay) }

    /// The machine-readable form for `<time datetime=…>`.
    static func machine(_ date: Date?) -> String? { date.map(Timestamp.format) }

    /// Percent-encodes one path segment (advisory IDs may hold `:` or `/`).
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Percent-encodes a query value.
    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func advisoryHref(_ id: String) -> String { "/advisories/" + pathSegment(id) }

    /// A URL from a document as a link target, or nil when it must be shown as text: only `http:`, `https:` and
    /// `mailto:` links are made. A document is written by its publisher (or whoever altered it on the way), and
    /// `javascript:`, `data:` or `vbscript:` in a link would run or show what they chose under Vigil's origin.
    /// Whitespace and control characters also refuse a link: browsers drop some of them from URLs, which could turn
    /// a harmless-looking text into another scheme.
    static func documentLink(_ url: String?) -> String? {
        guard let url, !url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else { return nil }
        let lower = url.lowercased()
        return lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:") ? url : nil
    }

    static func score(_ value: Double?) -> String? { value.map { String(format: "%.1f", $0) } }

    static func bytes(_ count: Int) -> String {
        count >= 1_048_576 ? String(format: "%.1f MB", Double(count) / 1_048_576)
            : count >= 1024 ? String(format: "%.1f KB", Double(count) / 1024) : "\(count) bytes"
    }

    /// Escapes text for XML (Atom feeds).
    static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters even when escaped.
                if scalar.value < 0x20, scalar != "\n", scalar != "\t", scalar != "\r" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// A severity badge: text label and CSS class, so colour is never the only signal.
struct SeverityBadge {
    let label: String
    let cssClass: String
    /// Named apart from every other field: Mustache would look a nil `score` up in the enclosing context.
    let scoreText: String?

    init(severity: Severity, score: Double?) {
        self.label = severity == .none && score == nil ? "NOT SCORED" : severity.label
        self.cssClass = "sev-" + severity.rawValue
        self.scoreText = Format.score(score)
    }

    private init(label: String, cssClass: String) {
        self.label = label
        self.cssClass = cssClass
        scoreText = nil
    }

    /// An informational advisory's badge: it has no vulnerability, so no severity.
    static let informational = SeverityBadge(label: "INFORMATIONAL", cssClass: "sev-info")
}
