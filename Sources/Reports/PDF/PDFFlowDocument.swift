/// A table for `PDFFlowDocument`: titled columns sharing the content width by fractions, and rows of cell text.
public struct PDFTable: Sendable, Hashable {
    /// One column: its title, its share of the width (fractions are scaled to add up to 1) and how its cells align.
    public struct Column: Sendable, Hashable {
        public var title: String
        public var fraction: Double
        public var alignment: PDFTextAlignment
        public init(_ title: String, fraction: Double, alignment: PDFTextAlignment = .left) {
            self.title = title; self.fraction = fraction; self.alignment = alignment
        }
    }

    public var columns: [Column]
    /// Cell texts, one array per row; a missing cell is empty, extra cells are ignored.
    public var rows: [[String]]

    public init(columns: [Column], rows: [[String]]) { self.columns = columns; self.rows = rows }
}

/// Lays a report out on pages from the top down: headings, wrapped paragraphs, tables and drawings (charts), breaking
/// pages where the next block does not fit, then puts "Page n of m" in every page's bottom margin once the count is
/// known (`document(info:)`). Table rows are never split across pages unless one is taller than a page, and a table's
/// header row is repeated at the top of each page it continues on.
///
/// ```swift
/// var flow = PDFFlowDocument(pageSize: .a4Landscape)
/// flow.heading("Compliance report")
/// flow.paragraph("Open exposures of Åsa Ødegård’s plant …")
/// flow.table(PDFTable(columns: [.init("Advisory", fraction: 0.3), .init("Score", fraction: 0.1, alignment: .right)],
///                     rows: [["ICSA-24-001-01", "9.8"]]))
/// flow.drawing(height: 120) { page, box in page.fill(box, color: PDFColor(hex: 0x336699)) }
/// let bytes = flow.document(info: PDFDocumentInfo(title: "Compliance report", creationDate: now)).bytes()
/// ```
public struct PDFFlowDocument: Sendable {
    /// Sizes, spacing and colours of the layout.
    public struct Style: Sendable, Hashable {
        public var bodySize = 10.0
        /// Heading sizes by level (1, 2, 3, …; deeper levels use the last).
        public var headingSizes = [18.0, 14.0, 12.0]
        public var tableSize = 9.0
        public var footerSize = 8.0
        /// Line height as a multiple of the font size.
        public var lineSpacing = 1.25
        /// Space after a paragraph, a table or a drawing.
        public var blockSpacing = 8.0
        public var cellPadding = 4.0
        public var headerFill = PDFColor.gray(0.88)
        public var stripeFill: PDFColor? = PDFColor.gray(0.96)
        public var ruleColor = PDFColor.gray(0.7)
        public var footerColor = PDFColor.gray(0.35)
        public init() {}
    }

    public let pageSize: PDFPageSize
    public let margins: PDFMargins
    public let style: Style
    /// The pages laid out so far (without footers: `document(info:)` adds them).
    public private(set) var pages: [PDFPage]
    /// The top of the next block on the last page.
    public private(set) var cursor: Double

    public init(pageSize: PDFPageSize = .a4Portrait, margins: PDFMargins = .standard, style: Style = Style()) {
        self.pageSize = pageSize; self.margins = margins; self.style = style
        pages = [PDFPage(size: pageSize)]
        cursor = margins.top
    }

    /// The width between the left and right margins.
    public var contentWidth: Double { pageSize.width - margins.left - margins.right }
    private var contentBottom: Double { pageSize.height - margins.bottom }
    private var atTopOfPage: Bool { cursor <= margins.top }

    /// Starts a new page.
    public mutating func newPage() {
        pages.append(PDFPage(size: pageSize))
        cursor = margins.top
    }

    /// Blank space; none at the top of a page.
    public mutating func space(_ points: Double) {
        guard !atTopOfPage else { return }
        cursor = min(cursor + points, contentBottom)
    }

    /// A bold heading; it moves to the next page rather than end a page without two lines of what follows it.
    public mutating func heading(_ text: String, level: Int = 1) {
        let size = style.headingSizes[min(max(level, 1), style.headingSizes.count) - 1]
        let lines = PDFFont.helveticaBold.wrap(text, size: size, width: contentWidth)
        let leading = size * style.lineSpacing
        space(size * 0.6)
        if !atTopOfPage, cursor + Double(lines.count) * leading + size * 0.4 + 2 * style.bodySize * style.lineSpacing > contentBottom {
            newPage()
        }
        drawLines(lines, font: .helveticaBold, size: size, color: .black, alignment: .left)
        cursor += size * 0.4
    }

    /// A wrapped paragraph, broken between lines where a page ends.
    public mutating func paragraph(_ text: String, font: PDFFont = .helvetica, size: Double? = nil, color: PDFColor = .black,
                                   alignment: PDFTextAlignment = .left) {
        let size = size ?? style.bodySize
        drawLines(font.wrap(text, size: size, width: contentWidth), font: font, size: size, color: color, alignment: alignment)
        space(style.blockSpacing)
    }

    /// A block of `height` points for vector graphics: `draw` gets the page and the block's box (content width wide)
    /// to draw in. The block moves to the next page when it does not fit on this one.
    public mutating func drawing(height: Double, _ draw: (inout PDFPage, PDFRect) -> Void) {
        if !atTopOfPage, cursor + height > contentBottom { newPage() }
        draw(&pages[pages.count - 1], PDFRect(x: margins.left, y: cursor, width: contentWidth, height: height))
        cursor += height
        space(style.blockSpacing)
    }

    /// A table with a shaded header row, repeated on every page the table continues on; cells wrap within their column.
    public mutating func table(_ table: PDFTable) {
        guard !table.columns.isEmpty else { return }
        let total = table.columns.reduce(0) { $0 + max($1.fraction, 0) }
        let widths = table.columns.map { total > 0 ? max($0.fraction, 0) / total * contentWidth : contentWidth / Double(table.columns.count) }
        let size = style.tableSize, padding = style.cellPadding, leading = size * style.lineSpacing
        func wrapped(_ cells: [String], font: PDFFont) -> [[String]] {
            widths.indices.map { font.wrap($0 < cells.count ? cells[$0] : "", size: size, width: max(widths[$0] - 2 * padding, 1)) }
        }
        func height(_ cells: [[String]]) -> Double { Double(cells.map(\.count).max() ?? 1) * leading + 2 * padding }
        let header = wrapped(table.columns.map(\.title), font: .helveticaBold)
        let headerHeight = height(header)
        func drawHeader(_ flow: inout PDFFlowDocument) {
            flow.drawRow(header, widths: widths, columns: table.columns, font: .helveticaBold, fill: flow.style.headerFill)
        }

        let firstRowHeight = table.rows.first.map { height(wrapped($0, font: .helvetica)) } ?? 0
        if !atTopOfPage, cursor + headerHeight + min(firstRowHeight, leading + 2 * padding) > contentBottom { newPage() }
        drawHeader(&self)
        for (index, row) in table.rows.enumerated() {
            let cells = wrapped(row, font: .helvetica)
            let fill = index % 2 == 1 ? style.stripeFill : nil
            let rowHeight = height(cells)
            if cursor + rowHeight <= contentBottom {
                drawRow(cells, widths: widths, columns: table.columns, font: .helvetica, fill: fill)
                continue
            }
            if rowHeight <= contentBottom - margins.top - headerHeight {
                newPage(); drawHeader(&self)
                drawRow(cells, widths: widths, columns: table.columns, font: .helvetica, fill: fill)
                continue
            }
            // Taller than a page: as many of its lines as fit on each page, the header above each piece.
            var start = 0, freshPage = false
            let lineCount = cells.map(\.count).max() ?? 1
            while start < lineCount {
                let fitting = Int(((contentBottom - cursor - 2 * padding) / leading).rounded(.down))
                if fitting < 1, !freshPage { newPage(); drawHeader(&self); freshPage = true; continue }
                // One line at least on a fresh page, however small the page, so the loop always ends.
                let end = min(start + max(fitting, 1), lineCount)
                let piece = cells.map { Array($0[min(start, $0.count)..<min(end, $0.count)]) }
                drawRow(piece, widths: widths, columns: table.columns, font: .helvetica, fill: fill, lines: end - start)
                start = end
                freshPage = false
                if start < lineCount { newPage(); drawHeader(&self); freshPage = true }
            }
        }
        space(style.blockSpacing)
    }

    /// The laid-out pages with "Page n of m" centred in each bottom margin.
    public func document(info: PDFDocumentInfo) -> PDFDocument {
        var pages = self.pages
        for index in pages.indices {
            let baseline = pageSize.height - margins.bottom / 2 + style.footerSize / 3
            pages[index].text("Page \(index + 1) of \(pages.count)", at: PDFPoint(x: pageSize.width / 2, y: baseline),
                              font: .helvetica, size: style.footerSize, color: style.footerColor, alignment: .center)
        }
        return PDFDocument(pages: pages, info: info)
    }

    // MARK: Drawing on the current page

    private mutating func drawLines(_ lines: [String], font: PDFFont, size: Double, color: PDFColor, alignment: PDFTextAlignment) {
        let leading = size * style.lineSpacing
        for line in lines {
            if cursor + leading > contentBottom, !atTopOfPage { newPage() }
            let x = switch alignment {
            case .left: margins.left
            case .center: margins.left + contentWidth / 2
            case .right: margins.left + contentWidth
            }
            let baseline = PDFPage.baseline(lineTop: cursor, lineHeight: leading, size: size)
            pages[pages.count - 1].text(line, at: PDFPoint(x: x, y: baseline), font: font, size: size, color: color, alignment: alignment)
            cursor += leading
        }
    }

    /// One row at the cursor: its background, each column's lines, and a rule under it; moves the cursor below it.
    private mutating func drawRow(_ cells: [[String]], widths: [Double], columns: [PDFTable.Column], font: PDFFont,
                                  fill: PDFColor?, lines: Int? = nil) {
        let size = style.tableSize, padding = style.cellPadding, leading = size * style.lineSpacing
        let rowHeight = Double(lines ?? cells.map(\.count).max() ?? 1) * leading + 2 * padding
        let page = pages.count - 1
        if let fill { pages[page].fill(PDFRect(x: margins.left, y: cursor, width: contentWidth, height: rowHeight), color: fill) }
        var left = margins.left
        for (column, width) in widths.enumerated() {
            let alignment = columns[column].alignment
            let x = switch alignment {
            case .left: left + padding
            case .center: left + width / 2
            case .right: left + width - padding
            }
            for (number, line) in cells[column].enumerated() {
                let baseline = PDFPage.baseline(lineTop: cursor + padding + Double(number) * leading, lineHeight: leading, size: size)
                pages[page].text(line, at: PDFPoint(x: x, y: baseline), font: font, size: size, alignment: alignment)
            }
            left += width
        }
        cursor += rowHeight
        pages[page].line(from: PDFPoint(x: margins.left, y: cursor), to: PDFPoint(x: margins.left + contentWidth, y: cursor),
                         color: style.ruleColor, width: 0.5)
    }
}
