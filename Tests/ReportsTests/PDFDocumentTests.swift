import Foundation
import Reports
import Testing
import VigilTestSupport

/// Vigil's PDF writer, read back by poppler (`pdftotext`, `pdfinfo`, `pdftoppm`), the reader Debian's tools use.
@Suite("PDF document")
struct PDFDocumentTests {
    static let created = Date(timeIntervalSince1970: 1_767_225_600) // 2026-01-01T00:00:00Z

    @Test("accented names and hostile strings come back from pdftotext exactly")
    func accentedAndHostileText() throws {
        let lines = [
            "Renée Müller", "Åsa Ødegård", "Œuvre — “quoted” €5 • ok", "a) (b \\ c",
            "Straße, élan, à la, mañana, Æsir, Ÿ, Š š Ž ž, ‚low‘ „low“, 5 – 6, ™ ‰ … ñ Ç",
            "((unbalanced \\\\ (", "Rene\u{301}e spelled decomposed",
        ]
        var page = PDFPage()
        for (index, line) in lines.enumerated() {
            page.text(line, at: PDFPoint(x: 72, y: 100 + Double(index) * 24), font: index % 2 == 0 ? .helvetica : .helveticaBold, size: 12)
        }
        let text = try Poppler.text(of: PDFDocument(pages: [page], info: .init(title: "Names", creationDate: Self.created)).bytes())
        var expected = lines
        expected[6] = "Renée spelled decomposed"
        #expect(Poppler.lines(text) == expected)
    }

    @Test("a character outside WinAnsi is drawn as a question mark, one per character")
    func outsideWinAnsi() throws {
        #expect(WinAnsi.encode("日本") == [0x3F, 0x3F])
        #expect(WinAnsi.encode("€–Ÿ é") == [0x80, 0x96, 0x9F, 0x20, 0xE9])
        var page = PDFPage()
        page.text("Plant 日本 Жуков ok", at: PDFPoint(x: 72, y: 100))
        let text = try Poppler.text(of: PDFDocument(pages: [page], info: .init(title: "日本", creationDate: Self.created)).bytes())
        #expect(Poppler.lines(text) == ["Plant ?? ????? ok"])
    }

    @Test("a 200-row table spans pages, repeats its header, keeps rows whole and numbers every page")
    func longTable() throws {
        var flow = PDFFlowDocument()
        flow.heading("Compliance report — Ødegård AS")
        flow.paragraph("Every open exposure of the organisation, one row per advisory and product.")
        let description = Array(repeating: "firmware", count: 12).joined(separator: " ")
        let rows = (1...200).map { number in
            let id = "ICSA-25-\(String(format: "%03d", number))"
            return [id, number % 7 == 0 ? "\(description) end-of-\(id)" : "end-of-\(id)", String(format: "%.1f", Double(number % 100) / 10)]
        }
        flow.table(PDFTable(columns: [.init("Advisory", fraction: 0.25), .init("Products", fraction: 0.6),
                                      .init("Score", fraction: 0.15, alignment: .right)], rows: rows))
        let bytes = flow.document(info: .init(title: "Compliance report — Ødegård AS", creationDate: Self.created)).bytes()

        let info = try Poppler.info(of: bytes)
        let pageCount = try #require(info["Pages"].flatMap { Int($0) })
        #expect(pageCount == flow.pages.count)
        #expect(pageCount >= 4)
        #expect(info["Title"] == "Compliance report — Ødegård AS")
        #expect(info["Producer"] == "Vigil")
        #expect(info["PDF version"] == "1.4")
        #expect(info["Page size"]?.hasPrefix("595.28 x 841.89") == true)

        var seen: [String] = []
        for number in 1...pageCount {
            let words = try Poppler.text(of: bytes, page: number).split(whereSeparator: \.isWhitespace).map(String.init)
            #expect(words.filter { $0 == "Advisory" }.count == 1, "the header on page \(number)")
            #expect(words.filter { $0 == "Score" }.count == 1, "the header on page \(number)")
            #expect(try Poppler.lines(Poppler.text(of: bytes, page: number)).contains("Page \(number) of \(pageCount)"))
            let ids = words.filter { $0.hasPrefix("ICSA-25-") }
            for id in ids { #expect(words.contains("end-of-\(id)"), "row \(id) split across pages") }
            seen += ids
        }
        #expect(seen == rows.map { $0[0] })
    }

    @Test("a row taller than a page continues on the next, under the header again")
    func rowTallerThanAPage() throws {
        var flow = PDFFlowDocument(pageSize: .a4Landscape)
        let words = (1...1500).map { "w\($0)" }
        flow.table(PDFTable(columns: [.init("Key", fraction: 1), .init("Text", fraction: 3)], rows: [["huge", words.joined(separator: " ")]]))
        let bytes = flow.document(info: .init(title: "Tall", creationDate: Self.created)).bytes()
        let pageCount = try #require(try Poppler.info(of: bytes)["Pages"].flatMap { Int($0) })
        #expect(pageCount >= 2)
        var drawn: [String] = []
        for number in 1...pageCount {
            let pageWords = try Poppler.text(of: bytes, page: number).split(whereSeparator: \.isWhitespace).map(String.init)
            #expect(pageWords.filter { $0 == "Text" }.count == 1, "the header on page \(number)")
            drawn += pageWords.filter { $0.hasPrefix("w") }
        }
        #expect(drawn == words)
    }

    @Test("filled rectangles and paths render in their colours at their places (pdftoppm)")
    func vectorGraphicsRender() throws {
        var page = PDFPage(size: .a4Landscape)
        page.fill(PDFRect(x: 100, y: 100, width: 200, height: 100), color: PDFColor(hex: 0xFF0000))
        page.fill(PDFPath.polygon([PDFPoint(x: 400, y: 300), PDFPoint(x: 600, y: 300), PDFPoint(x: 500, y: 450)]),
                  color: PDFColor(hex: 0x0000FF))
        page.stroke(PDFRect(x: 50, y: 50, width: 700, height: 480), color: .black, width: 2)
        page.text("Chart", at: PDFPoint(x: 100, y: 80), font: .helveticaBold, size: 14)
        let image = try Poppler.render(PDFDocument(pages: [page], info: .init(title: "Chart", creationDate: Self.created)).bytes(),
                                       dpi: 50)
        // 50 dpi: a point is 50/72 pixels; A4 landscape is 585 × 414 pixels.
        #expect(image.width == 585 && image.height == 414)
        func pixel(_ x: Double, _ y: Double) -> [UInt8] { image.pixel(x: Int(x * 50 / 72), y: Int(y * 50 / 72)) }
        #expect(pixel(200, 150) == [255, 0, 0])
        #expect(pixel(110, 190) == [255, 0, 0])
        #expect(pixel(500, 350) == [0, 0, 255])
        #expect(pixel(420, 440) == [255, 255, 255], "outside the triangle, beside its left edge")
        #expect(pixel(350, 150) == [255, 255, 255])
        #expect(pixel(20, 20) == [255, 255, 255])
    }

    @Test("the same input gives the same bytes, and the cross-reference table points at every object")
    func deterministicAndWellFormed() throws {
        func build() -> [UInt8] {
            var flow = PDFFlowDocument(pageSize: .a4Landscape, margins: PDFMargins(all: 40))
            flow.heading("Zusammenfassung für Müller")
            flow.paragraph(String(repeating: "Größere Änderungen (siehe Anhang) \\ betreffen Geräte. ", count: 40))
            flow.drawing(height: 80) { page, box in page.fill(box, color: PDFColor(red: 0.2, green: 0.4, blue: 0.6)) }
            flow.table(PDFTable(columns: [.init("A", fraction: 1), .init("B", fraction: 1)], rows: [["1", "2"], ["3"]]))
            return flow.document(info: .init(title: "Bericht", author: "Vigil", subject: "Test", creationDate: Self.created)).bytes()
        }
        let bytes = build()
        #expect(bytes == build())

        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1.4\n"))
        #expect(text.hasSuffix("%%EOF\n"))
        #expect(text.contains("/CreationDate (D:20260101000000Z)"))
        let startxref = try #require(text.range(of: "startxref\n", options: .backwards))
        let xrefOffset = try #require(Int(text[startxref.upperBound...].prefix { $0.isNumber }))
        #expect(bytes[xrefOffset...].starts(with: Array("xref\n0 ".utf8)))
        let table = String(decoding: bytes[xrefOffset...], as: UTF8.self).split(separator: "\n")
        let count = try #require(Int(table[1].split(separator: " ")[1]))
        #expect(table[2] == "0000000000 65535 f ")
        for object in 1..<count {
            let entry = table[2 + object]
            #expect(entry.count == 19 && entry.hasSuffix(" 00000 n "))
            let offset = try #require(Int(entry.prefix(10)))
            #expect(bytes[offset...].starts(with: Array("\(object) 0 obj\n".utf8)), "object \(object)")
        }
        #expect(try Poppler.info(of: bytes)["Author"] == "Vigil")
    }

    @Test("text is measured with Helvetica's metrics: wrapped lines fit their box and right-aligned text ends on its mark")
    func measuringAndWrapping() throws {
        #expect(PDFFont.helvetica.width(of: " a€", size: 1000) == 278 + 556 + 556)
        #expect(PDFFont.helveticaBold.width(of: "b—Ø", size: 1000) == 611 + 1000 + 778)
        #expect(PDFFont.helvetica.width(of: "Müller", size: 10) == Double(833 + 556 + 222 + 222 + 556 + 333) / 100)

        let text = "Supervisory control and data acquisition systems of Ødegård’s plant — "
            + "Pneumatikventilsteuerungsgerätefirmwareaktualisierungsverfahren and more words to wrap (€5 • ok) "
            + String(repeating: "W", count: 90)
        for width in [40.0, 90, 151.5, 300] {
            for font in PDFFont.allCases {
                let lines = font.wrap(text, size: 11, width: width)
                for line in lines { #expect(font.width(of: line, size: 11) <= width, "\(line) at \(width)") }
                #expect(lines.flatMap { $0.split(separator: " ") }.joined() == text.split(separator: " ").joined(), "nothing lost at \(width)")
            }
        }

        var page = PDFPage()
        let used = page.paragraph(text, at: PDFPoint(x: 72, y: 72), width: 151.5, size: 11)
        #expect(used == Double(PDFFont.helvetica.wrap(text, size: 11, width: 151.5).count) * 13.75)
        page.text("Total: 1 234,50 €", at: PDFPoint(x: 500, y: 700), size: 12, alignment: .right)
        let boxes = try Poppler.wordBoxes(of: PDFDocument(pages: [page], info: .init(title: "Wrap", creationDate: Self.created)).bytes())
        let paragraphWords = boxes.filter { $0.yMin < 650 }
        #expect(!paragraphWords.isEmpty)
        for word in paragraphWords { #expect(word.xMin >= 72 - 0.01 && word.xMax <= 72 + 151.5 + 0.01, "\(word)") }
        let last = try #require(boxes.last)
        #expect(last.text == "€" && abs(last.xMax - 500) < 0.01)
    }
}

/// Poppler's command-line tools over PDF bytes written to a temporary file.
enum Poppler {
    static func tool(_ name: String) throws -> String {
        try Executables.find(name, hint: "apt-get install poppler-utils")
    }

    static func withFile<T>(_ bytes: [UInt8], _ body: (String, TemporaryFolder) throws -> T) throws -> T {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("document.pdf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try body(path, folder)
    }

    /// `pdftotext` of the whole document or one page, UTF-8.
    static func text(of bytes: [UInt8], page: Int? = nil) throws -> String {
        try withFile(bytes) { path, _ in
            let pages = page.map { ["-f", "\($0)", "-l", "\($0)"] } ?? []
            return try Executables.run(tool("pdftotext"), ["-enc", "UTF-8"] + pages + [path, "-"])
        }
    }

    /// The non-empty lines of `pdftotext` output (page ends are form feeds).
    static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\u{0C}" }).map(String.init)
    }

    /// `pdfinfo`'s fields.
    static func info(of bytes: [UInt8]) throws -> [String: String] {
        let output = try withFile(bytes) { path, _ in try Executables.run(tool("pdfinfo"), ["-enc", "UTF-8", path]) }
        var fields: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    struct WordBox: CustomStringConvertible {
        var text: String
        var xMin: Double, yMin: Double, xMax: Double, yMax: Double
        var description: String { "\(text) [\(xMin), \(xMax)] × [\(yMin), \(yMax)]" }
    }

    /// Each word's box from `pdftotext -bbox`, in points from the top-left corner.
    static func wordBoxes(of bytes: [UInt8]) throws -> [WordBox] {
        let html = try withFile(bytes) { path, _ in try Executables.run(tool("pdftotext"), ["-bbox", "-enc", "UTF-8", path, "-"]) }
        let pattern = try NSRegularExpression(pattern: #"<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>"#)
        let range = NSRange(html.startIndex..., in: html)
        return pattern.matches(in: html, range: range).map { match in
            func group(_ index: Int) -> String { String(html[Range(match.range(at: index), in: html)!]) }
            return WordBox(text: group(5), xMin: Double(group(1))!, yMin: Double(group(2))!, xMax: Double(group(3))!, yMax: Double(group(4))!)
        }
    }

    /// A binary PPM (P6) image.
    struct Image {
        var width: Int, height: Int
        var pixels: [UInt8]
        func pixel(x: Int, y: Int) -> [UInt8] { Array(pixels[(y * width + x) * 3..<(y * width + x) * 3 + 3]) }
    }

    /// Page 1 rendered by `pdftoppm` at `dpi`, anti-aliasing off so edges have no blended colours.
    static func render(_ bytes: [UInt8], dpi: Int) throws -> Image {
        try withFile(bytes) { path, folder in
            let output = folder.url.appendingPathComponent("page").path
            try Executables.run(tool("pdftoppm"), ["-r", "\(dpi)", "-f", "1", "-l", "1", "-singlefile",
                                                    "-aa", "no", "-aaVector", "no", path, output])
            let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output + ".ppm")))
            // Header: "P6", width, height, maximum value, each followed by whitespace; then the RGB bytes.
            var fields: [String] = [], index = 0
            while fields.count < 4 {
                while index < data.count, data[index] == 0x20 || data[index] == 0x0A || data[index] == 0x0D || data[index] == 0x09 { index += 1 }
                let start = index
                while index < data.count, !(data[index] == 0x20 || data[index] == 0x0A || data[index] == 0x0D || data[index] == 0x09) { index += 1 }
                guard index > start else { throw TestSetupError("pdftoppm wrote a truncated PPM header") }
                fields.append(String(decoding: data[start..<index], as: UTF8.self))
            }
            index += 1
            guard fields[0] == "P6", fields[3] == "255", let width = Int(fields[1]), let height = Int(fields[2]),
                  data.count - index == width * height * 3 else { throw TestSetupError("pdftoppm wrote an unexpected PPM: \(fields)") }
            return Image(width: width, height: height, pixels: Array(data[index...]))
        }
    }
}
