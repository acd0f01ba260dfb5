/// Text made safe for HTML element content and quoted attribute values: `& < > " '` escaped. Shared by everything
/// that writes HTML outside the web templates (alert emails, the standalone report page).
public enum MarkupEscaping {
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
