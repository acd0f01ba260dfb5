import Foundation
import Testing
@testable import Alerts

/// Rendering a message to RFC 5322 / MIME bytes.
@Suite struct MailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_772_528_700) // Tue, 03 Mar 2026 09:05:00 +0000

    static func message(subject: String = "Siemens SIMATIC advisory", text: String? = "plain body\n",
                        html: String? = "<p>html body</p>") -> MailMessage {
        MailMessage(from: MailAddress("alerts@vigil.example", name: "Vigil Alerts"),
                    to: [MailAddress("ops@example.org", name: "Jörg Müller"), MailAddress("soc@example.org")],
                    cc: [MailAddress("cc@example.org")], subject: subject, messageID: "alert-42@vigil.example",
                    date: date,
                    extraHeaders: [(name: "List-Unsubscribe", value: "<https://vigil.example/unsubscribe/abc>"),
                                   (name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click")],
                    textBody: text, htmlBody: html)
    }

    static func rendered(_ message: MailMessage) throws -> String {
        String(decoding: try message.render(), as: UTF8.self)
    }

    @Test func headersAreWrittenInOrderWithCallerSuppliedDateAndMessageID() throws {
        let text = try Self.rendered(Self.message())
        let headers = text.components(separatedBy: "\r\n\r\n")[0]
        #expect(headers.hasPrefix("Date: Tue, 03 Mar 2026 09:05:00 +0000\r\nFrom: Vigil Alerts <alerts@vigil.example>\r\n"))
        #expect(headers.contains("\r\nTo: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <ops@example.org>, soc@example.org\r\n"))
        #expect(headers.contains("\r\nCc: cc@example.org\r\n"))
        #expect(headers.contains("\r\nSubject: Siemens SIMATIC advisory\r\n"))
        #expect(headers.contains("\r\nMessage-ID: <alert-42@vigil.example>\r\n"))
        #expect(headers.contains("\r\nList-Unsubscribe: <https://vigil.example/unsubscribe/abc>\r\n"))
        #expect(headers.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        #expect(headers.contains("\r\nMIME-Version: 1.0\r\n"))
        // Same input, same bytes: the boundary comes from the Message-ID, not from randomness.
        #expect(try Self.message().render() == Self.message().render())
    }

    /// A file goes after the body in multipart/mixed, base64 in lines of 76, its name in both headers; the body keeps its
    /// multipart/alternative with its own boundary.
    @Test func attachmentMakesMultipartMixed() throws {
        var message = Self.message()
        let bytes = (0..<1_000).map { UInt8($0 % 256) }
        message.attachments = [MailAttachment(filename: "vigil-report-Plant-2026-11.pdf", contentType: "application/pdf", data: bytes)]
        let text = try Self.rendered(message)
        let (headers, body) = (text.components(separatedBy: "\r\n\r\n")[0], text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n"))
        let mixed = MailEncoding.boundary(for: "alert-42@vigil.example|mixed")
        let alternative = MailEncoding.boundary(for: "alert-42@vigil.example")
        #expect(mixed != alternative)
        #expect(headers.hasSuffix("MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"\(mixed)\""))
        #expect(body.contains("--\(mixed)\r\nContent-Type: multipart/alternative;\r\n boundary=\"\(alternative)\""))
        #expect(body.contains("\r\n--\(alternative)--\r\n\r\n--\(mixed)\r\nContent-Type: application/pdf; name=\"vigil-report-Plant-2026-11.pdf\"\r\n"
                              + "Content-Disposition: attachment; filename=\"vigil-report-Plant-2026-11.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
        #expect(text.hasSuffix("\r\n--\(mixed)--\r\n"))
        let encoded = body.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").last!
            .components(separatedBy: "\r\n--\(mixed)--").first!
        let lines = encoded.split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(Data(base64Encoded: lines.joined()) == Data(bytes))

        for name in ["", "report.pdf\r\nBcc: x@example.org", "bericht-für-2026.pdf", "a b.pdf", "\"quoted\".pdf"] {
            message.attachments = [MailAttachment(filename: name, contentType: "application/pdf", data: [1])]
            #expect(throws: MailMessageError.self, "\(name)") { try message.render() }
        }
        message.attachments = [MailAttachment(filename: "a.pdf", contentType: "application/pdf\r\nX: y", data: [1])]
        #expect(throws: MailMessageError.self) { try message.render() }
    }

    @Test func germanUmlautSubjectBecomesEncodedWords() throws {
        let subject = "Schwachstelle in Steuerungsgerät: Überlauf in Größenprüfung der Firmware für Anlagen"
        let text = try Self.rendered(Self.message(subject: subject))
        let start = try #require(text.range(of: "Subject: "))
        let end = try #require(text.range(of: "\r\nMessage-ID:"))
        let folded = String(text[start.upperBound..<end.lowerBound])
        let words = folded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var decoded: [UInt8] = []
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            #expect(word.count <= 75)
            decoded += try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test func longLinesAreQuotedPrintableWithSoftBreaks() throws {
        let long = String(repeating: "Temperaturüberwachung ", count: 20) + "Ende ="
        let text = try Self.rendered(Self.message(text: long + "\ntrailing space \n", html: nil))
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        #expect(text.contains("Content-Transfer-Encoding: quoted-printable"))
        for line in body.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76) }
        #expect(body.contains("=C3=BC"))
        #expect(body.contains("Ende =3D\r\n"))
        #expect(body.contains("trailing space=20\r\n"))
        // Undoing soft breaks and escapes restores the text.
        let joined = body.replacingOccurrences(of: "=\r\n", with: "")
        #expect(Self.decodeQuotedPrintable(joined) == long + "\r\ntrailing space \r\n")
    }

    @Test func mostlyNonASCIITextIsBase64() throws {
        let text = try Self.rendered(Self.message(text: String(repeating: "ü", count: 200), html: nil))
        #expect(text.contains("Content-Transfer-Encoding: base64\r\n"))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76) }
    }

    @Test func dotStuffingDoublesLeadingDotsAtDataTime() throws {
        let bytes = try Self.message(text: ".hidden line\n..two\n.\n", html: nil).render()
        // Quoted-printable already protects leading dots in the body…
        #expect(String(decoding: bytes, as: UTF8.self).contains("\r\n=2Ehidden line\r\n"))
        // …and the transport stuffs any line that still starts with one.
        let block = String(decoding: SMTPClientStateMachine.dataBlock(Array("x\r\n.\r\n.y\r\n".utf8)), as: UTF8.self)
        #expect(block == "x\r\n..\r\n..y\r\n.\r\n")
    }

    @Test func everyLineEndIsCRLFAndNoLineExceeds998() throws {
        let bytes = try Self.message(text: "a\nb\rc\r\nd" + String(repeating: "x", count: 3000), html: "<p>\n</p>").render()
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D) }
            if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A) }
        }
        for line in String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n") { #expect(line.utf8.count <= 998) }
        #expect(bytes.allSatisfy { $0 < 0x80 })
    }

    @Test func bothMIMEPartsAreAlternatives() throws {
        let text = try Self.rendered(Self.message())
        let boundary = try #require(text.firstMatch(of: /boundary="([^"]+)"/)?.1)
        #expect(text.contains("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"\r\n"))
        let parts = text.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4)
        #expect(parts[1].contains("Content-Type: text/plain; charset=utf-8\r\n"))
        #expect(parts[1].contains("plain body"))
        #expect(parts[2].contains("Content-Type: text/html; charset=utf-8\r\n"))
        #expect(parts[2].contains("<p>html body</p>"))
        #expect(parts[3] == "--\r\n")
    }

    @Test func headerInjectionIsRefused() {
        #expect(throws: MailMessageError.self) { try Self.message(subject: "hi\r\nBcc: evil@example.org").render() }
        var message = Self.message()
        message.to = [MailAddress("ops@example.org>\r\nRCPT TO:<x@y")]
        #expect(throws: MailMessageError.self) { try message.render() }
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == UInt8(ascii: "="), bytes.count >= 2, let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(value)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Reading `VIGIL_SMTP_URL` and `VIGIL_MAIL_FROM`.
@Suite struct SMTPConfigurationTests {
    @Test func readsUserPasswordHostPortAndOptions() throws {
        let configuration = try SMTPConfiguration(
            url: "smtp://alert%40corp:p%40ss%3Aw0rd@mail.example.org:2525?starttls=required&timeout=12.5",
            mailFrom: "Vigil <alerts@example.org>")
        #expect(configuration.host == "mail.example.org")
        #expect(configuration.port == 2525)
        #expect(configuration.credentials == .init(username: "alert@corp", password: "p@ss:w0rd"))
        #expect(configuration.security == .startTLSRequired)
        #expect(configuration.timeout == .milliseconds(12_500))
        #expect(configuration.from == MailAddress("alerts@example.org", name: "Vigil"))
        #expect(!configuration.description.contains("p@ss"))
        #expect(configuration.description.contains("alert@corp:***@mail.example.org:2525"))
    }

    @Test func defaultPortsFollowTheSecurity() throws {
        #expect(try SMTPConfiguration(url: "smtp://relay", mailFrom: "a@b.c").port == 25)
        #expect(try SMTPConfiguration(url: "smtp://relay", mailFrom: "a@b.c").security == .startTLSOpportunistic)
        #expect(try SMTPConfiguration(url: "smtps://relay", mailFrom: "a@b.c").port == 465)
        #expect(try SMTPConfiguration(url: "smtp://relay?starttls=required", mailFrom: "a@b.c").port == 587)
        #expect(try SMTPConfiguration(url: "smtp://relay?starttls=never", mailFrom: "a@b.c").security == .plaintext)
    }

    @Test func errorsNameTheProblemWithoutThePassword() {
        func message(_ url: String, from: String = "a@b.c") -> String {
            do { _ = try SMTPConfiguration(url: url, mailFrom: from); return "" } catch { return error.description }
        }
        #expect(message("http://x").contains("scheme must be smtp or smtps"))
        #expect(message("smtp://u:topsecret@x?starttls=maybe").contains("starttls must be required, opportunistic or never"))
        #expect(!message("smtp://u:topsecret@x?starttls=maybe").contains("topsecret"))
        #expect(message("smtps://x?starttls=required").contains("cannot be used with smtps"))
        #expect(message("smtp://x?timeout=-1").contains("timeout"))
        #expect(message("smtp://x?colour=blue").contains("unknown parameter \"colour\""))
        #expect(message("smtp://x", from: "not an address").hasPrefix("VIGIL_MAIL_FROM"))
        #expect(throws: SMTPConfigurationError.self) { try SMTPConfiguration(environment: [:]) }
    }
}
