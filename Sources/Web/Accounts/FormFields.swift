import Foundation

/// The fields of an `application/x-www-form-urlencoded` body, as browsers send forms.
struct FormFields: Sendable {
    private var pairs: [(String, String)] = []

    init() {}

    init(_ body: String) {
        for part in body.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(pieces[0])
            let value = pieces.count > 1 ? Self.decode(pieces[1]) : ""
            pairs.append((name, value))
        }
    }

    /// The first value of the field, trimmed of surrounding spaces; nil when the form lacks it.
    subscript(_ name: String) -> String? {
        pairs.first { $0.0 == name }.map { $0.1.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The value exactly as sent (for passwords, where spaces count).
    func raw(_ name: String) -> String? {
        pairs.first { $0.0 == name }?.1
    }

    /// Every value of a repeated field (checkboxes).
    func all(_ name: String) -> [String] {
        pairs.filter { $0.0 == name }.map(\.1)
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
