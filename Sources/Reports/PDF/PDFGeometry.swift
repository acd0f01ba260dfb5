/// A point on a page, in PDF points (1/72 inch) from the page's top-left corner, y growing downwards (as in SVG;
/// `PDFPage` turns it into PDF's bottom-up coordinates when it writes the content stream).
public struct PDFPoint: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// A rectangle on a page: its top-left corner and its size, in points, y growing downwards.
public struct PDFRect: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
}

/// An RGB colour, each component from 0 to 1.
public struct PDFColor: Sendable, Hashable {
    public var red: Double
    public var green: Double
    public var blue: Double
    public init(red: Double, green: Double, blue: Double) { self.red = red; self.green = green; self.blue = blue }
    /// A colour written as `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255, blue: Double(hex & 0xFF) / 255)
    }
    public static let black = PDFColor(red: 0, green: 0, blue: 0)
    public static let white = PDFColor(red: 1, green: 1, blue: 1)
    /// A grey: 0 is black, 1 white.
    public static func gray(_ level: Double) -> PDFColor { PDFColor(red: level, green: level, blue: level) }
}

/// A page's size in points.
public struct PDFPageSize: Sendable, Hashable {
    public var width: Double
    public var height: Double
    public init(width: Double, height: Double) { self.width = width; self.height = height }
    /// ISO A4, 210 × 297 mm, upright.
    public static let a4Portrait = PDFPageSize(width: 595.28, height: 841.89)
    /// ISO A4 on its side, 297 × 210 mm.
    public static let a4Landscape = PDFPageSize(width: 841.89, height: 595.28)
}

/// The blank space around a page's content, in points.
public struct PDFMargins: Sendable, Hashable {
    public var top: Double
    public var left: Double
    public var bottom: Double
    public var right: Double
    public init(top: Double, left: Double, bottom: Double, right: Double) {
        self.top = top; self.left = left; self.bottom = bottom; self.right = right
    }
    public init(all: Double) { self.init(top: all, left: all, bottom: all, right: all) }
    /// 2 cm on every side.
    public static let standard = PDFMargins(all: 56.69)
}

/// Where a line of text sits against its anchor or its box.
public enum PDFTextAlignment: Sendable, Hashable {
    case left, center, right
}

/// A shape made of straight segments (for charts): moves, lines and closes, filled or stroked by `PDFPage`.
public struct PDFPath: Sendable, Hashable {
    enum Element: Sendable, Hashable {
        case move(PDFPoint), line(PDFPoint), close
    }
    private(set) var elements: [Element] = []
    public init() {}
    /// Starts a new subpath at `point`.
    public mutating func move(to point: PDFPoint) { elements.append(.move(point)) }
    /// A straight segment from the current point to `point`.
    public mutating func line(to point: PDFPoint) { elements.append(.line(point)) }
    /// A straight segment back to the subpath's start.
    public mutating func close() { elements.append(.close) }
    /// A closed polygon through `points`.
    public static func polygon(_ points: [PDFPoint]) -> PDFPath {
        var path = PDFPath()
        guard let first = points.first else { return path }
        path.move(to: first)
        for point in points.dropFirst() { path.line(to: point) }
        path.close()
        return path
    }
}

extension Double {
    /// The number as PDF writes it: at most two decimals, no exponent, no trailing zeros, the same text for the same
    /// value on every machine (so documents are byte-for-byte reproducible).
    var pdfNumber: String {
        guard isFinite else { return "0" }
        let hundredths = Int((Swift.min(Swift.max(self, -1e9), 1e9) * 100).rounded())
        let magnitude = abs(hundredths), whole = magnitude / 100, fraction = magnitude % 100
        let sign = hundredths < 0 ? "-" : ""
        if fraction == 0 { return "\(sign)\(whole)" }
        if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
