/// One page and what is drawn on it, in the order drawn: text, lines, rectangles and paths. Coordinates are points from
/// the page's top-left corner, y growing downwards; the page writes them as PDF's bottom-up content-stream operators.
public struct PDFPage: Sendable, Hashable {
    /// The page's size.
    public let size: PDFPageSize
    /// The content stream so far (uncompressed PDF operators; strings in WinAnsi bytes).
    public private(set) var content: [UInt8] = []

    public init(size: PDFPageSize = .a4Portrait) { self.size = size }

    // MARK: Text

    /// Draws one line of text with its baseline at `point.y`; `alignment` says whether `point.x` is where the text
    /// starts, its middle or where it ends. Line breaks in `text` are not followed (see `paragraph`).
    public mutating func text(_ text: String, at point: PDFPoint, font: PDFFont = .helvetica, size: Double = 10,
                              color: PDFColor = .black, alignment: PDFTextAlignment = .left) {
        let bytes = WinAnsi.encode(text)
        let width = font.width(ofEncoded: bytes, size: size)
        let x = switch alignment {
        case .left: point.x
        case .center: point.x - width / 2
        case .right: point.x - width
        }
        append("BT /\(font.resourceName) \(size.pdfNumber) Tf \(colorOperands(color)) rg \(x.pdfNumber) \((self.size.height - point.y).pdfNumber) Td (")
        content += Self.escaped(bytes)
        append(") Tj ET\n")
    }

    /// Draws `text` wrapped to `width` with its first line's top at `origin.y`, and returns the height it took
    /// (`lineHeight` per line; by default 1.25 × `size`).
    @discardableResult
    public mutating func paragraph(_ text: String, at origin: PDFPoint, width: Double, font: PDFFont = .helvetica,
                                   size: Double = 10, lineHeight: Double? = nil, color: PDFColor = .black,
                                   alignment: PDFTextAlignment = .left) -> Double {
        let lines = font.wrap(text, size: size, width: width)
        let leading = lineHeight ?? size * 1.25
        for (index, line) in lines.enumerated() {
            let top = origin.y + Double(index) * leading
            let x = switch alignment {
            case .left: origin.x
            case .center: origin.x + width / 2
            case .right: origin.x + width
            }
            self.text(line, at: PDFPoint(x: x, y: Self.baseline(lineTop: top, lineHeight: leading, size: size)),
                      font: font, size: size, color: color, alignment: alignment)
        }
        return Double(lines.count) * leading
    }

    /// Where the baseline of a line of Helvetica goes so that its ascender (718/1000) and descender (207/1000) sit in
    /// the middle of the line.
    static func baseline(lineTop: Double, lineHeight: Double, size: Double) -> Double {
        lineTop + (lineHeight - size * 0.925) / 2 + size * 0.718
    }

    // MARK: Graphics

    /// A straight line.
    public mutating func line(from start: PDFPoint, to end: PDFPoint, color: PDFColor = .black, width: Double = 1) {
        append("\(width.pdfNumber) w \(colorOperands(color)) RG \(coordinates(start)) m \(coordinates(end)) l S\n")
    }

    /// Fills a rectangle.
    public mutating func fill(_ rect: PDFRect, color: PDFColor) {
        append("\(colorOperands(color)) rg \(rectangle(rect)) re f\n")
    }

    /// Strokes a rectangle's outline.
    public mutating func stroke(_ rect: PDFRect, color: PDFColor = .black, width: Double = 1) {
        append("\(width.pdfNumber) w \(colorOperands(color)) RG \(rectangle(rect)) re S\n")
    }

    /// Fills a path (nonzero winding rule).
    public mutating func fill(_ path: PDFPath, color: PDFColor) {
        guard !path.elements.isEmpty else { return }
        append("\(colorOperands(color)) rg \(segments(path)) f\n")
    }

    /// Strokes a path.
    public mutating func stroke(_ path: PDFPath, color: PDFColor = .black, width: Double = 1) {
        guard !path.elements.isEmpty else { return }
        append("\(width.pdfNumber) w \(colorOperands(color)) RG \(segments(path)) S\n")
    }

    // MARK: Writing operators

    private mutating func append(_ operators: String) { content += Array(operators.utf8) }

    private func colorOperands(_ color: PDFColor) -> String {
        [color.red, color.green, color.blue].map { Swift.min(Swift.max($0, 0), 1).pdfNumber }.joined(separator: " ")
    }

    private func coordinates(_ point: PDFPoint) -> String { "\(point.x.pdfNumber) \((size.height - point.y).pdfNumber)" }

    private func rectangle(_ rect: PDFRect) -> String {
        "\(rect.x.pdfNumber) \((size.height - rect.maxY).pdfNumber) \(rect.width.pdfNumber) \(rect.height.pdfNumber)"
    }

    private func segments(_ path: PDFPath) -> String {
        path.elements.map { element in
            switch element {
            case .move(let point): "\(coordinates(point)) m"
            case .line(let point): "\(coordinates(point)) l"
            case .close: "h"
            }
        }.joined(separator: " ")
    }

    /// The bytes of a PDF literal string's body: `(`, `)` and `\` escaped with a backslash, and a carriage return as
    /// `\r` (a raw one would be read back as a line feed).
    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0x0D: out += Array("\\r".utf8)
            default: out.append(byte)
            }
        }
        return out
    }
}
