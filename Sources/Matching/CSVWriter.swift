import Foundation

/// Writes RFC 4180 CSV for exports that people open in spreadsheets.
public enum CSVWriter {
    /// A header line and rows, CRLF line ends. Fields are quoted when needed, and a field starting with `=`, `+`,
    /// `-` or `@` gets a leading `'` so a spreadsheet does not run it as a formula.
    public static func table(header: [String], rows: [[String]]) -> String {
        var out = line(header)
        for row in rows { out += line(row) }
        return out
    }

    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    static func field(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@".contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
