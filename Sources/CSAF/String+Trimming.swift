extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines.
    ///
    /// Native and allocation-free when nothing is trimmed; Foundation's `trimmingCharacters(in:)` bridges through
    /// NSString and showed up as a tenth of the import profile.
    public var trimmed: String {
        // Fast path: most text starts and ends with a visible ASCII character, so nothing is trimmed.
        if let string = self as? String, let first = string.utf8.first, let last = string.utf8.last,
           first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return string
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex, let string = self as? String {
            return string
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[first...last])
        return String(result)
    }
}
