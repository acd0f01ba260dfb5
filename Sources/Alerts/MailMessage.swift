import Foundation

/// A mailbox: an address with an optional display name, as written in From/To/Cc headers.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    /// `local@domain`; may hold non-ASCII characters (then the server must offer SMTPUTF8).
    public var address: String

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// Reads `alerts@example.org`, `<alerts@example.org>` or `Vigil Alerts <alerts@example.org>`.
    public init(parsing text: String) throws(MailMessageError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
            self.init(String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]),
                      name: name.isEmpty ? nil : name)
        } else {
            self.init(trimmed)
        }
        try validate()
    }

    /// Throws unless the address has one `@`, a local part and a domain, and nothing that could break a header or
    /// an SMTP command (spaces, angle brackets, control characters).
    public func validate() throws(MailMessageError) {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !address.unicodeScalars.contains(where: { $0.value < 0x21 || $0 == "<" || $0 == ">" || $0.value == 0x7F }) else {
            throw MailMessageError(.invalidAddress, "\"\(address)\" is not a valid mail address")
        }
        if let name, name.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw MailMessageError(.invalidHeader, "the display name of \(address) contains a line break")
        }
    }

    public var description: String { name.map { "\($0) <\(address)>" } ?? address }
}

/// A file sent with an email (a monthly report's PDF), base64-encoded in a `multipart/mixed` message.
public struct MailAttachment: Sendable, Equatable {
    /// ASCII letters, digits, `.`, `-` and `_` only (checked when rendering), so the header needs no encoding.
    public var filename: String
    /// `application/pdf`.
    public var contentType: String
    public var data: [UInt8]

    public init(filename: String, contentType: String, data: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}

/// An email ready to render: headers, a plain-text and/or HTML body, and any attachments.
///
/// Rendering is deterministic: the date and Message-ID come from the caller (the Message-ID doubles as the outbox's
/// idempotency key, so a retried delivery carries the same one), and the MIME boundary is derived from the Message-ID.
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var subject: String
    /// Without angle brackets: `alert-42@vigil.example.org`.
    public var messageID: String
    public var date: Date
    /// Further headers in order, e.g. `("List-Unsubscribe", "<https://…>")`, `("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")`.
    public var extraHeaders: [(name: String, value: String)]
    public var textBody: String?
    public var htmlBody: String?
    public var attachments: [MailAttachment]

    public init(from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], subject: String, messageID: String,
                date: Date, extraHeaders: [(name: String, value: String)] = [], textBody: String?, htmlBody: String?,
                attachments: [MailAttachment] = []) {
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.messageID = messageID
        self.date = date
        self.extraHeaders = extraHeaders
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.attachments = attachments
    }

    public static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.cc == rhs.cc && lhs.subject == rhs.subject
            && lhs.messageID == rhs.messageID && lhs.date == rhs.date && lhs.textBody == rhs.textBody
            && lhs.htmlBody == rhs.htmlBody && lhs.attachments == rhs.attachments
            && lhs.extraHeaders.map(\.name) == rhs.extraHeaders.map(\.name)
            && lhs.extraHeaders.map(\.value) == rhs.extraHeaders.map(\.value)
    }

    /// Everyone the message is delivered to (To, then Cc), without duplicates.
    public var recipients: [String] {
        var seen = Set<String>()
        return (to + cc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }

    /// The message as RFC 5322 / MIME bytes: CRLF line ends, every line at most 998 octets, 7-bit clean except for
    /// non-ASCII addresses (which need SMTPUTF8). Dot-stuffing is not applied here; the transport does it.
    public func render() throws(MailMessageError) -> [UInt8] {
        try from.validate()
        guard !to.isEmpty || !cc.isEmpty else { throw MailMessageError(.noRecipients, "the message has no recipients") }
        for address in to + cc { try address.validate() }
        guard textBody != nil || htmlBody != nil else { throw MailMessageError(.noBody, "the message has neither a text nor an HTML body") }
        guard !messageID.isEmpty, messageID.contains("@"),
              !messageID.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F || $0 == "<" || $0 == ">" }) else {
            throw MailMessageError(.invalidHeader, "Message-ID \"\(messageID)\" must look like local@domain, ASCII without spaces or brackets")
        }
        for header in extraHeaders {
            guard !header.name.isEmpty, header.name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != ":" }) else {
                throw MailMessageError(.invalidHeader, "\"\(header.name)\" is not a valid header name")
            }
            guard !header.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw MailMessageError(.invalidHeader, "the value of \(header.name) contains a line break")
            }
        }
        guard !subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw MailMessageError(.invalidHeader, "the subject contains a line break")
        }
        for attachment in attachments {
            guard !attachment.filename.isEmpty, attachment.filename.count <= 200,
                  attachment.filename.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }) else {
                throw MailMessageError(.invalidHeader, "the attachment name \"\(attachment.filename)\" must be ASCII letters, digits, '.', '-' or '_'")
            }
            let type = attachment.contentType.split(separator: "/")
            guard type.count == 2, attachment.contentType.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "/.+-".unicodeScalars.contains($0)) }) else {
                throw MailMessageError(.invalidHeader, "\"\(attachment.contentType)\" is not a media type such as application/pdf")
            }
        }

        var out = ""
        out += MailEncoding.header("Date", MailEncoding.rfc5322Date(date))
        out += MailEncoding.addressHeader("From", [from])
        if !to.isEmpty { out += MailEncoding.addressHeader("To", to) }
        if !cc.isEmpty { out += MailEncoding.addressHeader("Cc", cc) }
        out += MailEncoding.header("Subject", MailEncoding.encodedWordsIfNeeded(subject, prefixLength: "Subject: ".count))
        out += MailEncoding.header("Message-ID", "<\(messageID)>")
        for header in extraHeaders {
            out += MailEncoding.header(header.name, MailEncoding.encodedWordsIfNeeded(header.value, prefixLength: header.name.count + 2))
        }
        out += "MIME-Version: 1.0\r\n"
        if attachments.isEmpty {
            out += body(boundary: MailEncoding.boundary(for: messageID))
        } else {
            // multipart/mixed: the body (itself alternative when it has both parts) first, then each file.
            let mixed = MailEncoding.boundary(for: messageID + "|mixed")
            out += "Content-Type: multipart/mixed;\r\n boundary=\"\(mixed)\"\r\n\r\n"
            out += "This is a multi-part message in MIME format.\r\n"
            out += "--\(mixed)\r\n" + body(boundary: MailEncoding.boundary(for: messageID))
            for attachment in attachments {
                out += "\r\n--\(mixed)\r\n"
                out += "Content-Type: \(attachment.contentType); name=\"\(attachment.filename)\"\r\n"
                out += "Content-Disposition: attachment; filename=\"\(attachment.filename)\"\r\n"
                out += "Content-Transfer-Encoding: base64\r\n\r\n"
                out += MailEncoding.base64Lines(attachment.data)
            }
            out += "\r\n--\(mixed)--\r\n"
        }
        return Array(out.utf8)
    }

    /// The body's headers and content: one text part, or both as multipart/alternative.
    private func body(boundary: String) -> String {
        var out = ""
        switch (textBody, htmlBody) {
        case let (text?, html?):
            out += "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"\r\n\r\n"
            out += "This is a multi-part message in MIME format.\r\n"
            // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), so each part gets one more
            // to keep its own final line break.
            out += "--\(boundary)\r\n" + MailEncoding.part(text, subtype: "plain")
            out += "\r\n--\(boundary)\r\n" + MailEncoding.part(html, subtype: "html")
            out += "\r\n--\(boundary)--\r\n"
        case let (text?, nil):
            out += MailEncoding.part(text, subtype: "plain")
        case let (nil, html?):
            out += MailEncoding.part(html, subtype: "html")
        case (nil, nil):
            break
        }
        return out
    }
}

/// The message cannot be rendered: what is wrong with it.
public struct MailMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem, for code that reacts to it.
    public struct Kind: Sendable, Hashable {
        fileprivate enum Code: Sendable, Hashable { case invalidAddress, invalidHeader, noRecipients, noBody }
        fileprivate let code: Code
        public static let invalidAddress = Kind(code: .invalidAddress)
        public static let invalidHeader = Kind(code: .invalidHeader)
        public static let noRecipients = Kind(code: .noRecipients)
        public static let noBody = Kind(code: .noBody)
    }

    public let kind: Kind
    public let message: String

    fileprivate init(_ code: Kind.Code, _ message: String) {
        self.kind = Kind(code: code)
        self.message = message
    }

    public var description: String { message }
}

/// The encodings of RFC 2045/2047/5322 that rendering needs.
enum MailEncoding {
    static let maximumEncodedLine = 76

    /// `Name: value` folded at spaces so that lines stay under 78 characters where possible, with CRLF.
    static func header(_ name: String, _ value: String) -> String {
        var lines: [String] = []
        var current = name + ":"
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            if current.count + 1 + word.count > 78, current.contains(where: { $0 != " " }), current != name + ":" {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func addressHeader(_ name: String, _ addresses: [MailAddress]) -> String {
        let rendered = addresses.map { mailbox($0) }
        return header(name, rendered.joined(separator: ", "))
    }

    static func mailbox(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return address.address }
        if !name.unicodeScalars.allSatisfy(\.isASCII) {
            return encodedWords(name) + " <\(address.address)>"
        }
        // Quote names holding RFC 5322 specials; escape quotes and backslashes inside.
        let specials = Set("()<>[]:;@\\,.\"")
        if name.contains(where: { specials.contains($0) }) {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address.address)>"
        }
        return "\(name) <\(address.address)>"
    }

    /// The text itself when it is printable ASCII, otherwise RFC 2047 `=?UTF-8?B?…?=` words separated by spaces
    /// (header folding puts each on its own line when needed).
    static func encodedWordsIfNeeded(_ text: String, prefixLength: Int) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }),
           !text.contains("=?"),
           !text.split(separator: " ").contains(where: { $0.count > 998 - 80 }) {
            return text
        }
        return encodedWords(text)
    }

    /// Base64 encoded-words of at most 75 characters, never splitting a character's UTF-8 bytes.
    static func encodedWords(_ text: String) -> String {
        let prefix = "=?UTF-8?B?", suffix = "?="
        // 75 - 12 = 63 characters of base64 → 45 bytes of UTF-8 at most (multiples of 3 keep padding at the end).
        let maximumBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maximumBytes, !chunk.isEmpty {
                words.append(prefix + Data(chunk).base64EncodedString() + suffix)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(prefix + Data(chunk).base64EncodedString() + suffix) }
        return words.joined(separator: " ")
    }

    /// One text part: headers and a quoted-printable body, or base64 when most of it is not ASCII.
    static func part(_ text: String, subtype: String) -> String {
        let bytes = Array(text.utf8)
        let nonASCII = bytes.filter { $0 >= 0x80 }.count
        var out = "Content-Type: text/\(subtype); charset=utf-8\r\n"
        if nonASCII * 3 > bytes.count {
            out += "Content-Transfer-Encoding: base64\r\n\r\n"
            out += base64Lines(normalizedLineEnds(bytes))
        } else {
            out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            out += quotedPrintable(bytes)
        }
        return out
    }

    /// Bytes with every line break (CRLF, bare LF, bare CR) turned into CRLF.
    static func normalizedLineEnds(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 40)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                out += [0x0D, 0x0A]
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            } else if byte == 0x0A {
                out += [0x0D, 0x0A]
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var out = ""
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: maximumEncodedLine, limitedBy: encoded.endIndex) ?? encoded.endIndex
            out += encoded[start..<end] + "\r\n"
            start = end
        }
        return out
    }

    /// RFC 2045 §6.7 quoted-printable: hard line breaks become CRLF, lines are soft-broken with `=` so that no
    /// encoded line exceeds 76 characters, and spaces or tabs before a line end are encoded.
    static func quotedPrintable(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let lines = splitLines(bytes)
        for line in lines {
            var length = 0
            for (position, byte) in line.enumerated() {
                let isLast = position == line.count - 1
                var token: [UInt8]
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast) {
                    token = [byte]
                } else {
                    token = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                }
                // A leading dot is encoded so the part survives relays that do not stuff dots.
                if length == 0, byte == UInt8(ascii: ".") { token = Array("=2E".utf8) }
                // Keep room for the soft break's "=" unless this is the line's last token.
                let limit = isLast ? maximumEncodedLine : maximumEncodedLine - 1
                if length + token.count > limit {
                    out += [UInt8(ascii: "="), 0x0D, 0x0A]
                    length = 0
                    if byte == UInt8(ascii: ".") { token = Array("=2E".utf8) }
                }
                out += token
                length += token.count
            }
            out += [0x0D, 0x0A]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lines without their terminators; a final line break does not add an empty line.
    static func splitLines(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                lines.append(current)
                current = []
                if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            } else {
                current.append(byte)
            }
            index += 1
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// A boundary that cannot occur in quoted-printable or base64 text ("=_" is impossible in both), derived from
    /// the Message-ID so rendering stays deterministic.
    static func boundary(for messageID: String) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in messageID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return "=_vigil_" + String(hash, radix: 16)
    }

    /// `Tue, 03 Mar 2026 09:05:00 +0000` (RFC 5322 §3.3), always in UTC.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[(parts.weekday ?? 1) - 1]), \(two(parts.day)) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}
