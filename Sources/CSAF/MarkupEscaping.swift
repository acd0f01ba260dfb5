/// Text made safe for HTML element content and quoted attribute values: `& < > " '` escaped. Shared by everything
/// that writes HTML: the web templates (`TemplateRenderer`'s content type), alert emails, the standalone report page.
///
/// Escaped byte by byte, not character by character: a quote or `<` followed by a combining mark (`"\u{301}`) is
/// one `Character` that equals neither, and a character-wise escaper, Mustache's own among them, left it raw, so that
/// a document's text could close an attribute value. Text with nothing to escape is returned as it is.
public enum MarkupEscaping {
    public static func html(_ text: String) -> String {
        guard text.utf8.contains(where: needsEscaping) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 32)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func needsEscaping(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'")
    }
}
