import CSAF
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reports

/// Reads a rendered SVG with Foundation's XMLParser: whether it is well formed, and its elements in document order.
struct SVGReader {
    struct Element: Equatable { var name: String; var attributes: [String: String]; var text: String }
    let parsed: Bool
    let elements: [Element]
    var rootAttributes: [String: String] { elements.first?.attributes ?? [:] }

    init(_ svg: String) {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        parsed = parser.parse()
        elements = collector.elements
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var open: [Int] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append(Element(name: name, attributes: attributes, text: ""))
            open.append(elements.count - 1)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let last = open.last { elements[last].text += string }
        }
    }

    func all(_ name: String, class className: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (className == nil || $0.attributes["class"] == className) }
    }

    /// The text of the `<title>` inside `element` (its tooltip).
    func tooltip(of element: Element) -> String? {
        guard let index = elements.firstIndex(of: element) else { return nil }
        let next = index + 1
        return next < elements.count && elements[next].name == "title" ? elements[next].text : nil
    }
}

@Suite("Charts")
struct ChartTests {
    static let months = ["2024-01", "2024-02", "2024-03", "2024-04"]

    static var monthly: Chart {
        Chart(kind: .stackedBars, title: "Advisories per month by severity",
              summary: "Advisories published per month over the last 4 months", categoryName: "Month",
              categories: months,
              series: [ChartSeries(severity: .critical, values: [1, 0, 3, 2]),
                       ChartSeries(severity: .high, values: [4, 2, 5, 0]),
                       ChartSeries(severity: .medium, values: [2, 2, 1, 7])],
              id: "monthly")
    }

    @Test("a stacked bar chart parses as XML with role, title and description tied by aria-labelledby")
    func accessibleDocument() throws {
        let svg = Self.monthly.svg()
        let reader = SVGReader(svg)
        #expect(reader.parsed)
        let root = try #require(reader.elements.first)
        #expect(root.name == "svg")
        #expect(root.attributes["role"] == "img")
        #expect(root.attributes["width"] == "100%")
        #expect(root.attributes["viewBox"]?.hasPrefix("0 0 480 ") == true)
        #expect(root.attributes["aria-labelledby"] == "monthly-title monthly-desc")
        let title = try #require(reader.elements.first { $0.attributes["id"] == "monthly-title" })
        #expect(title.name == "title" && title.text == "Advisories per month by severity")
        let desc = try #require(reader.elements.first { $0.attributes["id"] == "monthly-desc" })
        #expect(desc.name == "desc")
        #expect(desc.text.contains("Advisories published per month over the last 4 months."))
        #expect(desc.text.contains("Series in stack order: Critical, High, Medium."))
        #expect(desc.text.contains("Highest: 9 for 2024-03."), "the first of equal totals")
    }

    @Test("one bar per category and series, each carrying its number in data-value and its tooltip")
    func barsMatchInput() {
        let chart = Self.monthly
        let reader = SVGReader(chart.svg())
        let bars = reader.all("rect", class: "bar")
        #expect(bars.count == 12)
        for (seriesIndex, series) in chart.series.enumerated() {
            for (index, value) in series.values.enumerated() {
                let bar = bars.filter { $0.attributes["data-series"] == "\(seriesIndex)" }[index]
                #expect(bar.attributes["data-value"] == ChartScale.format(value))
                #expect(reader.tooltip(of: bar) == "\(series.name), \(Self.months[index]): \(ChartScale.format(value))")
            }
        }
        // Heights are proportional: the axis runs 0…10 (ticks of 2) over 200 units, so 7 is 140 high.
        let sevenHigh = bars.first { $0.attributes["data-series"] == "2" && $0.attributes["data-value"] == "7" }
        #expect(sevenHigh?.attributes["height"] == "140")
        let ticks = reader.all("text", class: "tick").map(\.text)
        #expect(ticks == ["0", "2", "4", "6", "8", "10"])
    }

    @Test("severity series use the site's badge colours; later series carry a texture as well")
    func severityColours() {
        #expect(ChartColor.hex(for: .critical) == "#7a0b0b")
        #expect(ChartColor.hex(for: .high) == "#c2410c")
        #expect(ChartColor.hex(for: .medium) == "#a16207")
        #expect(ChartColor.hex(for: .low) == "#1d6f42")
        #expect(ChartColor.hex(for: .none) == "#4b5563")
        let svg = Self.monthly.svg()
        #expect(svg.contains("fill=\"#7a0b0b\" data-series=\"0\""))
        #expect(svg.contains("<pattern id=\"monthly-p1\""))
        #expect(svg.contains("<rect width=\"6\" height=\"6\" fill=\"#c2410c\"/>"))
        #expect(svg.contains("fill=\"url(#monthly-p2)\""))
        // The legend lists every series, in stack order.
        let reader = SVGReader(svg)
        let legend = reader.elements.drop { $0.attributes["class"] != "legend" }.filter { $0.name == "text" }
        #expect(legend.map(\.text) == ["Critical", "High", "Medium"])
    }

    @Test("hostile labels are escaped: the document stays well formed and has no script or external reference")
    func hostileLabels() throws {
        let hostile = "<script>alert('x')</script> & \"quoted\" \u{0}"
        let chart = Chart(kind: .horizontalBars, title: "Top vendors <b>&</b>", summary: "a \"summary\" 'here'",
                          categoryName: "Vendor", categories: [hostile, "R&D <GmbH>", "http://evil.example/x"],
                          series: [ChartSeries(name: "Exposures </title>", values: [5, 3, 1], color: .palette(0)),
                                   ChartSeries(name: "KEV <img src=x>", values: [1, 0, 1], color: .palette(2))],
                          id: "top\"><script>")
        let svg = chart.svg()
        let reader = SVGReader(svg)
        #expect(reader.parsed)
        #expect(!svg.lowercased().contains("<script"))
        #expect(!svg.lowercased().contains("href"))
        // A label may read "http://…" as text; no attribute may point anywhere but inside the document.
        for element in reader.elements {
            for (name, value) in element.attributes where name != "xmlns" {
                #expect(!value.contains("http") && !value.contains("//"), "\(element.name) \(name)=\(value)")
                if value.contains("url(") { #expect(value.hasPrefix("url(#")) }
            }
        }
        #expect(!svg.contains("<img") && !svg.contains("<b>") && !svg.contains("\u{0}"))
        #expect(svg.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        #expect(reader.all("title").first?.text == "Top vendors <b>&</b>")
        #expect(reader.all("rect", class: "bar").count == 6)
        let firstBar = try #require(reader.all("rect", class: "bar").first)
        #expect(reader.tooltip(of: firstBar) == "Exposures </title>, \(hostile.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")): 5")
        #expect(reader.rootAttributes["aria-labelledby"] == "topscript-title topscript-desc")
        #expect(chart.table.rows[0][0] == hostile)
    }

    @Test("no chart of any kind contains a script, a link, an external reference or a style sheet")
    func noActiveContent() {
        for kind in [Chart.Kind.stackedBars, .horizontalBars, .line] {
            let chart = Chart(kind: kind, title: "t", categoryName: "c", categories: ["a", "b"],
                              series: [ChartSeries(name: "s", values: [1, 2], color: .palette(1)),
                                       ChartSeries(name: "u", values: [2, 1], color: .palette(3))])
            let svg = chart.svg()
            #expect(SVGReader(svg).parsed)
            for banned in ["<script", "href", "<style", "@import", "<image", "<foreignObject", "on" + "load", "onclick"] {
                #expect(!svg.contains(banned), "\(kind) contains \(banned)")
            }
            #expect(svg.components(separatedBy: "http").count == 2, "only the SVG namespace names a URL")
        }
    }

    @Test("empty data draws a 'No data' chart with its title and description")
    func emptyData() {
        for chart in [Chart(kind: .stackedBars, title: "Nothing yet", categoryName: "Month", categories: [],
                            series: [ChartSeries(severity: .high, values: [])]),
                      Chart(kind: .line, title: "Nothing yet", categoryName: "Month", categories: ["2024-01"],
                            series: []),
                      Chart(kind: .horizontalBars, title: "Nothing yet", categoryName: "Site", categories: [],
                            series: [])] {
            let reader = SVGReader(chart.svg())
            #expect(reader.parsed)
            #expect(reader.all("text", class: "no-data").map(\.text) == ["No data"])
            #expect(reader.all("rect", class: "bar").isEmpty)
            #expect(reader.all("desc").first?.text == "No data to show.")
            #expect(reader.rootAttributes["role"] == "img")
            #expect(chart.table.rows.isEmpty)
        }
    }

    @Test("negative, NaN and infinite values are clamped to 0 and counted; short series are padded")
    func clamping() {
        let chart = Chart(kind: .stackedBars, title: "t", categoryName: "Month", categories: ["a", "b", "c", "d"],
                          series: [ChartSeries(name: "s", values: [-3, .nan, .infinity, 2, 9], color: .palette(0)),
                                   ChartSeries(name: "u", values: [1], color: .palette(1))])
        #expect(chart.series[0].values == [0, 0, 0, 2])
        #expect(chart.series[1].values == [1, 0, 0, 0])
        #expect(chart.clampedValues == 3)
        let svg = chart.svg()
        #expect(SVGReader(svg).parsed)
        #expect(svg.contains("3 values were negative or not a number and are shown as 0."))
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test("a line chart draws one point per value on a fixed 0–100 % axis, with dashes telling series apart")
    func lineChart() {
        let chart = Chart(kind: .line, title: "Deadline compliance", categoryName: "Month",
                          categories: ["2024-01", "2024-02", "2024-03"],
                          series: [ChartSeries(name: "Met", values: [50, 75, 100], color: .palette(0)),
                                   ChartSeries(name: "Met (KEV)", values: [25, 12.5, 80], color: .palette(2))],
                          unit: "%", fixedMaximum: 100, id: "compliance")
        let reader = SVGReader(chart.svg())
        #expect(reader.parsed)
        let points = reader.all("circle", class: "point")
        #expect(points.map { $0.attributes["data-value"] } == ["50", "75", "100", "25", "12.5", "80"])
        #expect(reader.tooltip(of: points[4]) == "Met (KEV), 2024-02: 12.5%")
        #expect(reader.all("text", class: "tick").map(\.text) == ["0%", "20%", "40%", "60%", "80%", "100%"])
        #expect(reader.all("polyline").count == 2)
        #expect(reader.all("polyline")[1].attributes["stroke-dasharray"] == "8 4")
        #expect(chart.table.headers == ["Month", "Met", "Met (KEV)"])
        #expect(chart.table.rows[1] == ["2024-02", "75%", "12.5%"])
    }

    @Test("horizontal bars list the categories top down with their totals written beside them")
    func horizontalBars() {
        let chart = Chart(kind: .horizontalBars, title: "Exposures by site", categoryName: "Site",
                          categories: ["Plant North", "Plant South", "Lab"],
                          series: [ChartSeries(name: "Exposures", values: [12, 7, 1], color: .palette(0))])
        let reader = SVGReader(chart.svg())
        let bars = reader.all("rect", class: "bar")
        #expect(bars.map { $0.attributes["data-value"] } == ["12", "7", "1"])
        #expect(bars.map { reader.tooltip(of: $0) } == ["Plant North: 12", "Plant South: 7", "Lab: 1"])
        let ys = bars.compactMap { $0.attributes["y"].flatMap(Double.init) }
        #expect(ys == ys.sorted())
        #expect(reader.all("text", class: "total").map(\.text) == ["12", "7", "1"])
        #expect(reader.all("g", class: "legend").isEmpty, "one series needs no legend")
        #expect(chart.table == ChartTable(caption: "Exposures by site", headers: ["Site", "Exposures"],
                                          rows: [["Plant North", "12"], ["Plant South", "7"], ["Lab", "1"]]))
    }

    @Test("the table gives each series and the stacked total per category")
    func table() {
        let table = Self.monthly.table
        #expect(table.caption == "Advisories per month by severity")
        #expect(table.headers == ["Month", "Critical", "High", "Medium", "Total"])
        #expect(table.rows == [["2024-01", "1", "4", "2", "7"], ["2024-02", "0", "2", "2", "4"],
                               ["2024-03", "3", "5", "1", "9"], ["2024-04", "2", "0", "7", "9"]])
    }

    @Test("tick values step by 1, 2 or 5 times a power of ten", arguments: [
        (0.0, true, [0.0, 1]),
        (3, true, [0, 1, 2, 3]),
        (7, true, [0, 2, 4, 6, 8]),
        (10, true, [0, 2, 4, 6, 8, 10]),
        (37, true, [0, 10, 20, 30, 40]),
        (1234, true, [0, 500, 1000, 1500]),
        (100, false, [0, 20, 40, 60, 80, 100]),
        (0.9, false, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0.9, true, [0, 1]),
        (0.13, false, [0, 0.05, 0.1, 0.15]),
    ])
    func ticks(maximum: Double, integral: Bool, expected: [Double]) {
        #expect(ChartScale(maximum: maximum, integral: integral).ticks == expected)
    }

    @Test("nice steps and number text")
    func niceSteps() {
        #expect(ChartScale.niceStep(1) == 1)
        #expect(ChartScale.niceStep(1.01) == 2)
        #expect(ChartScale.niceStep(2.2) == 5)
        #expect(ChartScale.niceStep(6) == 10)
        #expect(ChartScale.niceStep(0.03) == 0.05)
        #expect(ChartScale.niceStep(1000) == 1000)
        #expect(ChartScale.format(3) == "3")
        #expect(ChartScale.format(12.5) == "12.5")
        #expect(ChartScale.format(0.05) == "0.05")
        #expect(ChartScale.format(-1.25) == "-1.25")
    }

    @Test("the same chart renders to the same text; many months thin out their labels")
    func deterministic() {
        let months = (1...24).map { "2024-\($0 < 10 ? "0" : "")\($0)" }
        let chart = Chart(kind: .stackedBars, title: "Advisories", categoryName: "Month", categories: months,
                          series: Severity.allCases.reversed().map { severity in
                              ChartSeries(severity: severity, values: months.indices.map { Double(($0 * 7) % 5) })
                          })
        #expect(chart.svg() == chart.svg())
        let reader = SVGReader(chart.svg())
        #expect(reader.parsed)
        #expect(reader.all("rect", class: "bar").count == 24 * 5)
        let labels = reader.elements.drop { $0.attributes["class"] != "x-labels" }.dropFirst()
            .prefix { $0.name == "text" }
        #expect(labels.count < 24 && labels.count >= 6)
        #expect(labels.first?.text == "2024-01")
    }
}
