import Foundation

/// What a PDF says about itself in its /Info dictionary. The creation time comes from the caller (no clock here).
public struct PDFDocumentInfo: Sendable, Hashable {
    public var title: String
    public var author: String?
    public var subject: String?
    public var creationDate: Date

    public init(title: String, author: String? = nil, subject: String? = nil, creationDate: Date) {
        self.title = title; self.author = author; self.subject = subject; self.creationDate = creationDate
    }
}

/// A PDF 1.4 document written by Vigil itself: pages drawn with `PDFPage` (or laid out by `PDFFlowDocument`), in
/// Helvetica and Helvetica-Bold (standard fonts, not embedded, WinAnsiEncoding), content streams uncompressed.
/// `bytes()` is a pure function of the pages and the info: the same input gives the same bytes.
///
/// ```swift
/// var page = PDFPage(size: .a4Portrait)
/// page.text("Renée Müller", at: PDFPoint(x: 72, y: 72), font: .helveticaBold, size: 14)
/// page.fill(PDFRect(x: 72, y: 100, width: 200, height: 50), color: PDFColor(hex: 0xCC3333))
/// let pdf = PDFDocument(pages: [page], info: PDFDocumentInfo(title: "Report", creationDate: now)).bytes()
/// ```
public struct PDFDocument: Sendable, Hashable {
    public var pages: [PDFPage]
    public var info: PDFDocumentInfo

    public init(pages: [PDFPage], info: PDFDocumentInfo) {
        self.pages = pages; self.info = info
    }

    /// The whole file. A document without pages gets one blank A4 page (a PDF needs at least one).
    public func bytes() -> [UInt8] {
        let pages = self.pages.isEmpty ? [PDFPage()] : self.pages
        // Objects: 1 catalog, 2 page tree, 3 resources, 4 info, one per font, then a page and its content per page.
        let fontsStart = 5, pagesStart = fontsStart + PDFFont.allCases.count
        var objects: [[UInt8]] = []
        func add(_ text: String) { objects.append(Array(text.utf8)) }

        add("<< /Type /Catalog /Pages 2 0 R >>")
        let kids = pages.indices.map { "\(pagesStart + 2 * $0) 0 R" }.joined(separator: " ")
        add("<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>")
        let fonts = PDFFont.allCases.enumerated().map { "/\($1.resourceName) \(fontsStart + $0) 0 R" }.joined(separator: " ")
        add("<< /Font << \(fonts) >> /ProcSet [/PDF /Text] >>")
        add(infoDictionary())
        for font in PDFFont.allCases {
            add("<< /Type /Font /Subtype /Type1 /BaseFont /\(font.postScriptName) /Encoding /WinAnsiEncoding >>")
        }
        for (index, page) in pages.enumerated() {
            add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(page.size.width.pdfNumber) \(page.size.height.pdfNumber)] "
                + "/Resources 3 0 R /Contents \(pagesStart + 2 * index + 1) 0 R >>")
            objects.append(Array("<< /Length \(page.content.count) >>\nstream\n".utf8) + page.content + Array("\nendstream".utf8))
        }

        // A comment of bytes above 127 after the header tells transfer tools the file is binary.
        var out: [UInt8] = Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.count)
            out += Array("\(index + 1) 0 obj\n".utf8) + object + Array("\nendobj\n".utf8)
        }
        let xref = out.count
        // Every cross-reference entry is exactly 20 bytes: ten-digit offset, five-digit generation, type, space, LF.
        var table = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { table += Self.padded(offset, to: 10) + " 00000 n \n" }
        table += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R /Info 4 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return out + Array(table.utf8)
    }

    private func infoDictionary() -> String {
        var entries = ["/Title \(Self.textString(info.title))"]
        if let author = info.author { entries.append("/Author \(Self.textString(author))") }
        if let subject = info.subject { entries.append("/Subject \(Self.textString(subject))") }
        entries.append("/Producer (Vigil)")
        entries.append("/CreationDate (\(Self.pdfDate(info.creationDate)))")
        return "<< " + entries.joined(separator: " ") + " >>"
    }

    /// A PDF text string for metadata: UTF-16BE with a byte-order mark, written in hex, so any title survives whole
    /// (metadata is not drawn, so WinAnsi's limits do not apply) and no escaping is needed.
    static func textString(_ text: String) -> String {
        "<FEFF" + text.utf16.map { padded(Int($0), to: 4, radix: 16) }.joined() + ">"
    }

    /// `D:YYYYMMDDHHmmSSZ` in UTC, from the civil calendar computed on the date's seconds (no time-zone database).
    static func pdfDate(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return "D:" + padded(year, to: 4) + padded(month, to: 2) + padded(day, to: 2) + padded(secondOfDay / 3600, to: 2)
            + padded(secondOfDay % 3600 / 60, to: 2) + padded(secondOfDay % 60, to: 2) + "Z"
    }

    static func padded(_ value: Int, to width: Int, radix: Int = 10) -> String {
        let digits = String(value, radix: radix, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
