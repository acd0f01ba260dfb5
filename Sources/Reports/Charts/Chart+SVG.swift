import Foundation

extension Chart {
    /// The chart as a standalone SVG document: no scripts, no stylesheets, no fonts or images loaded, no links.
    ///
    /// It scales to its container (`width="100%"` with a `viewBox`), is announced as one image (`role="img"`) named by
    /// its `<title>` and described by its `<desc>` (the summary and the main numbers); every bar and point carries a
    /// `<title>` with its number (a tooltip), and the series differ by texture (bars) or dash (lines) as well as by
    /// colour, listed in stack order in the legend, so the chart reads in black and white print. The same chart always
    /// gives the same text. `heading` also draws the title as text at the top (for print and standalone files).
    public func svg(heading: Bool = true) -> String {
        var canvas = SVGCanvas(chart: self, heading: heading)
        if isEmpty {
            canvas.drawEmpty()
        } else {
            switch kind {
            case .stackedBars: canvas.drawVerticalBars()
            case .horizontalBars: canvas.drawHorizontalBars()
            case .line: canvas.drawLines()
            }
        }
        return canvas.document()
    }

    /// The text of `<desc>`: the caller's summary, then what the numbers come to.
    var descriptionText: String {
        var sentences: [String] = []
        let summary = self.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        if !summary.isEmpty { sentences.append(summary.hasSuffix(".") ? summary : summary + ".") }
        guard !isEmpty else {
            sentences.append("No data to show.")
            return sentences.joined(separator: " ")
        }
        let first = categories.first!, last = categories.last!
        sentences.append("\(categories.count) \(categories.count == 1 ? "entry" : "entries") of "
            + "\(categoryName.lowercased()), from \(first) to \(last).")
        switch kind {
        case .stackedBars, .horizontalBars:
            if series.count > 1 {
                sentences.append("Series in stack order: " + series.map(\.name).joined(separator: ", ") + ".")
            }
            let totals = self.totals
            if let top = totals.indices.max(by: { totals[$0] < totals[$1] || (totals[$0] == totals[$1] && $0 > $1) }) {
                sentences.append("Highest: \(ChartScale.format(totals[top]))\(unit) for \(categories[top]).")
            }
        case .line:
            for series in series {
                sentences.append("\(series.name): \(ChartScale.format(series.values.first!))\(unit) for \(first), "
                    + "\(ChartScale.format(series.values.last!))\(unit) for \(last).")
            }
        }
        if clampedValues > 0 {
            sentences.append("\(clampedValues) \(clampedValues == 1 ? "value was" : "values were") negative or not a "
                + "number and \(clampedValues == 1 ? "is" : "are") shown as 0.")
        }
        sentences.append("The numbers are also given as a table.")
        return sentences.joined(separator: " ")
    }
}

/// Lays a chart out on a 480-unit-wide canvas and collects its SVG elements.
struct SVGCanvas {
    let chart: Chart
    let heading: Bool
    var body: [String] = []
    var defs: [String] = []
    var height: Double = 0

    static let width = 480.0
    static let fontSize = 13.0
    /// Average advance of one character at `fontSize`, for fitting labels without measuring text.
    static let charWidth = 7.0
    static let ink = "#1b1f24", muted = "#5b6470", grid = "#d9dee4"

    init(chart: Chart, heading: Bool) {
        self.chart = chart
        self.heading = heading
    }

    var top: Double { heading ? 34 : 10 }
    var id: String { chart.id }

    func document() -> String {
        var lines: [String] = []
        lines.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(Self.width)) \(n(height))\" "
            + "width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" class=\"vigil-chart\" "
            + "font-family=\"system-ui, sans-serif\" font-size=\"\(n(Self.fontSize))\" fill=\"\(Self.ink)\">")
        lines.append("<title id=\"\(id)-title\">\(SVGText.escape(chart.title))</title>")
        lines.append("<desc id=\"\(id)-desc\">\(SVGText.escape(chart.descriptionText))</desc>")
        if !defs.isEmpty { lines.append("<defs>" + defs.joined() + "</defs>") }
        if heading {
            let limit = Int((Self.width - 16) / (Self.charWidth * 15 / 13))
            lines.append("<text x=\"8\" y=\"22\" font-size=\"15\" font-weight=\"700\" aria-hidden=\"true\">"
                + SVGText.escape(SVGText.truncate(chart.title, to: limit)) + "</text>")
        }
        lines += body
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Empty

    mutating func drawEmpty() {
        let boxTop = top, boxHeight = 90.0
        body.append("<rect x=\"8\" y=\"\(n(boxTop))\" width=\"\(n(Self.width - 16))\" height=\"\(n(boxHeight))\" "
            + "fill=\"none\" stroke=\"\(Self.grid)\" stroke-dasharray=\"4 3\"/>")
        body.append("<text class=\"no-data\" x=\"\(n(Self.width / 2))\" y=\"\(n(boxTop + boxHeight / 2 + 5))\" "
            + "text-anchor=\"middle\" font-size=\"15\" fill=\"\(Self.muted)\">No data</text>")
        height = boxTop + boxHeight + 10
    }

    // MARK: Vertical bars and lines share a layout

    /// The value axis for the chart's data.
    var scale: ChartScale {
        let integral = chart.series.allSatisfy { $0.values.allSatisfy { $0 == $0.rounded() } }
        if let fixed = chart.fixedMaximum {
            return ChartScale(maximum: fixed, integral: false)
        }
        let maximum = chart.kind == .line ? chart.series.flatMap(\.values).max() ?? 0 : chart.totals.max() ?? 0
        return ChartScale(maximum: maximum, integral: integral)
    }

    struct ColumnLayout {
        var left: Double, right: Double, plotTop: Double, plotHeight: Double
        var band: Double
        var plotWidth: Double { right - left }
        func y(_ value: Double, maximum: Double) -> Double { plotTop + plotHeight - value / maximum * plotHeight }
        var bottom: Double { plotTop + plotHeight }
    }

    mutating func columnLayout(scale: ChartScale) -> ColumnLayout {
        let tickChars = scale.ticks.map { (ChartScale.format($0) + chart.unit).count }.max() ?? 1
        let left = max(30, Double(tickChars) * Self.charWidth + 14)
        let right = Self.width - 10
        let layout = ColumnLayout(left: left, right: right, plotTop: top + 8, plotHeight: 200,
                                  band: (right - left) / Double(chart.categories.count))
        drawValueGrid(scale: scale, layout: layout)
        drawCategoryLabels(layout: layout)
        return layout
    }

    mutating func drawValueGrid(scale: ChartScale, layout: ColumnLayout) {
        var lines = ["<g class=\"axis\" aria-hidden=\"true\" font-size=\"12\" fill=\"\(Self.muted)\">"]
        for tick in scale.ticks {
            let y = layout.y(tick, maximum: scale.maximum)
            lines.append("<line x1=\"\(n(layout.left))\" y1=\"\(n(y))\" x2=\"\(n(layout.right))\" y2=\"\(n(y))\" "
                + "stroke=\"\(tick == 0 ? Self.muted : Self.grid)\" stroke-width=\"1\"/>")
            lines.append("<text class=\"tick\" x=\"\(n(layout.left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">"
                + SVGText.escape(ChartScale.format(tick) + chart.unit) + "</text>")
        }
        lines.append("</g>")
        body += lines
    }

    mutating func drawCategoryLabels(layout: ColumnLayout) {
        let longest = Double(chart.categories.map(\.count).max() ?? 1)
        // Show every k-th label so that neighbours never overlap; each bar's tooltip and the table name them all.
        let every = max(1, Int(((longest * Self.charWidth + 6) / layout.band).rounded(.up)))
        let limit = max(1, Int((Double(every) * layout.band - 6) / Self.charWidth))
        var lines = ["<g class=\"x-labels\" aria-hidden=\"true\" font-size=\"12\" text-anchor=\"middle\">"]
        for (index, label) in chart.categories.enumerated() where index % every == 0 {
            let x = layout.left + (Double(index) + 0.5) * layout.band
            lines.append("<text x=\"\(n(x))\" y=\"\(n(layout.bottom + 17))\">"
                + SVGText.escape(SVGText.truncate(label, to: limit)) + "</text>")
        }
        lines.append("</g>")
        body += lines
    }

    mutating func drawVerticalBars() {
        let scale = self.scale
        let layout = columnLayout(scale: scale)
        let barWidth = max(1, layout.band * 0.72)
        var lines = ["<g class=\"bars\" stroke=\"#ffffff\" stroke-width=\"0.5\">"]
        for index in chart.categories.indices {
            let x = layout.left + Double(index) * layout.band + (layout.band - barWidth) / 2
            var base = 0.0
            for (seriesIndex, series) in chart.series.enumerated() {
                let value = series.values[index]
                let y0 = layout.y(base, maximum: scale.maximum)
                let y1 = layout.y(base + value, maximum: scale.maximum)
                base += value
                lines.append(bar(x: x, y: y1, width: barWidth, height: y0 - y1, seriesIndex: seriesIndex,
                                 category: index, value: value))
            }
        }
        lines.append("</g>")
        body += lines
        height = layout.bottom + 26
        drawLegend()
    }

    mutating func drawHorizontalBars() {
        let scale = self.scale
        let rowHeight = 24.0, barHeight = 16.0
        let labelLimit = min(24, chart.categories.map(\.count).max() ?? 1)
        let left = 10 + Double(labelLimit) * Self.charWidth + 8
        let valueChars = chart.totals.map { (ChartScale.format($0) + chart.unit).count }.max() ?? 1
        let right = Self.width - 10 - Double(valueChars) * Self.charWidth - 6
        let plotTop = top + 4
        let plotBottom = plotTop + rowHeight * Double(chart.categories.count)
        let x = { (value: Double) in left + value / scale.maximum * (right - left) }

        var axis = ["<g class=\"axis\" aria-hidden=\"true\" font-size=\"12\" fill=\"\(Self.muted)\">"]
        for tick in scale.ticks {
            axis.append("<line x1=\"\(n(x(tick)))\" y1=\"\(n(plotTop))\" x2=\"\(n(x(tick)))\" y2=\"\(n(plotBottom))\" "
                + "stroke=\"\(tick == 0 ? Self.muted : Self.grid)\" stroke-width=\"1\"/>")
            axis.append("<text class=\"tick\" x=\"\(n(x(tick)))\" y=\"\(n(plotBottom + 16))\" text-anchor=\"middle\">"
                + SVGText.escape(ChartScale.format(tick) + chart.unit) + "</text>")
        }
        axis.append("</g>")
        body += axis

        let totals = chart.totals
        var labels = ["<g class=\"y-labels\" aria-hidden=\"true\" font-size=\"12\">"]
        var bars = ["<g class=\"bars\" stroke=\"#ffffff\" stroke-width=\"0.5\">"]
        for (index, label) in chart.categories.enumerated() {
            let rowTop = plotTop + Double(index) * rowHeight
            let barTop = rowTop + (rowHeight - barHeight) / 2
            labels.append("<text x=\"10\" y=\"\(n(rowTop + rowHeight / 2 + 4))\">"
                + SVGText.escape(SVGText.truncate(label, to: labelLimit)) + "</text>")
            var base = 0.0
            for (seriesIndex, series) in chart.series.enumerated() {
                let value = series.values[index]
                bars.append(bar(x: x(base), y: barTop, width: x(base + value) - x(base), height: barHeight,
                                seriesIndex: seriesIndex, category: index, value: value))
                base += value
            }
            labels.append("<text class=\"total\" x=\"\(n(x(totals[index]) + 5))\" "
                + "y=\"\(n(rowTop + rowHeight / 2 + 4))\">" + SVGText.escape(ChartScale.format(totals[index])
                + chart.unit) + "</text>")
        }
        labels.append("</g>")
        bars.append("</g>")
        body += bars + labels
        height = plotBottom + 26
        drawLegend()
    }

    mutating func drawLines() {
        let scale = self.scale
        let layout = columnLayout(scale: scale)
        var lines: [String] = []
        for (seriesIndex, series) in chart.series.enumerated() {
            let color = series.color.hex
            let points = series.values.enumerated().map { index, value in
                (layout.left + (Double(index) + 0.5) * layout.band, layout.y(value, maximum: scale.maximum))
            }
            lines.append("<g class=\"series\" data-series=\"\(seriesIndex)\">")
            lines.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.5\""
                + Self.dash(seriesIndex).map { " stroke-dasharray=\"\($0)\"" }.orEmpty + " points=\""
                + points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ") + "\"/>")
            for (index, point) in points.enumerated() {
                let value = series.values[index]
                lines.append("<circle class=\"point\" cx=\"\(n(point.0))\" cy=\"\(n(point.1))\" r=\"3.5\" "
                    + "fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"1\" data-series=\"\(seriesIndex)\" "
                    + "data-value=\"\(ChartScale.format(value))\"><title>"
                    + SVGText.escape(tooltip(series: series, category: index, value: value)) + "</title></circle>")
            }
            lines.append("</g>")
        }
        body += lines
        height = layout.bottom + 26
        drawLegend()
    }

    // MARK: Pieces

    func tooltip(series: ChartSeries, category: Int, value: Double) -> String {
        let number = ChartScale.format(value) + chart.unit
        return chart.series.count > 1
            ? "\(series.name), \(chart.categories[category]): \(number)"
            : "\(chart.categories[category]): \(number)"
    }

    mutating func bar(x: Double, y: Double, width: Double, height: Double, seriesIndex: Int, category: Int,
                      value: Double) -> String {
        let series = chart.series[seriesIndex]
        return "<rect class=\"bar\" x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" "
            + "height=\"\(n(max(0, height)))\" fill=\"\(fill(seriesIndex))\" data-series=\"\(seriesIndex)\" "
            + "data-value=\"\(ChartScale.format(value))\"><title>"
            + SVGText.escape(tooltip(series: series, category: category, value: value)) + "</title></rect>"
    }

    /// The fill of a bar series: its plain colour for the first, then the colour with a white texture
    /// (hatching, dots, stripes, cross-hatching, …), so series stay apart without colour.
    mutating func fill(_ seriesIndex: Int) -> String {
        let color = chart.series[seriesIndex].color.hex
        let texture = seriesIndex % 6
        guard texture != 0 else { return color }
        let patternID = "\(id)-p\(seriesIndex)"
        if !defs.contains(where: { $0.contains("id=\"\(patternID)\"") }) {
            let white = "fill=\"#ffffff\" fill-opacity=\"0.55\""
            let marks: String
            var transform = ""
            switch texture {
            case 1: marks = "<rect width=\"2\" height=\"6\" \(white)/>"; transform = " patternTransform=\"rotate(45)\""
            case 2: marks = "<circle cx=\"3\" cy=\"3\" r=\"1.2\" \(white)/>"
            case 3: marks = "<rect width=\"6\" height=\"2\" \(white)/>"
            case 4:
                marks = "<rect width=\"1.5\" height=\"6\" \(white)/><rect width=\"6\" height=\"1.5\" \(white)/>"
                transform = " patternTransform=\"rotate(45)\""
            default: marks = "<rect width=\"2\" height=\"6\" \(white)/>"; transform = " patternTransform=\"rotate(-45)\""
            }
            defs.append("<pattern id=\"\(patternID)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\""
                + "\(transform)><rect width=\"6\" height=\"6\" fill=\"\(color)\"/>\(marks)</pattern>")
        }
        return "url(#\(patternID))"
    }

    /// The dash pattern of a line series: solid, then dashed, dotted, dash-dot.
    static func dash(_ seriesIndex: Int) -> String? {
        switch seriesIndex % 4 {
        case 1: "8 4"
        case 2: "2 3"
        case 3: "8 3 2 3"
        default: nil
        }
    }

    /// The legend below the plot, one entry per series in stack order, wrapped to the width; none for one series.
    mutating func drawLegend() {
        guard chart.series.count > 1 else { return }
        var lines = ["<g class=\"legend\" font-size=\"12\">"]
        var x = 10.0, y = height + 14
        for (index, series) in chart.series.enumerated() {
            let name = SVGText.truncate(series.name, to: 30)
            let entryWidth = 22 + Double(name.count) * Self.charWidth + 14
            if x > 10, x + entryWidth > Self.width - 10 {
                x = 10
                y += 20
            }
            if chart.kind == .line {
                lines.append("<line x1=\"\(n(x))\" y1=\"\(n(y - 4))\" x2=\"\(n(x + 16))\" y2=\"\(n(y - 4))\" "
                    + "stroke=\"\(series.color.hex)\" stroke-width=\"2.5\""
                    + Self.dash(index).map { " stroke-dasharray=\"\($0)\"" }.orEmpty + "/>")
            } else {
                lines.append("<rect x=\"\(n(x))\" y=\"\(n(y - 11))\" width=\"14\" height=\"14\" "
                    + "fill=\"\(fill(index))\"/>")
            }
            lines.append("<text x=\"\(n(x + 20))\" y=\"\(n(y))\">\(SVGText.escape(name))</text>")
            x += entryWidth
        }
        lines.append("</g>")
        body += lines
        height = y + 10
    }

    func n(_ value: Double) -> String { ChartScale.format(value) }
}

extension Optional where Wrapped == String {
    fileprivate var orEmpty: String { self ?? "" }
}
