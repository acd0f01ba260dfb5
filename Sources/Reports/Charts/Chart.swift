import CSAF

/// A chart for the dashboard, drawn by Vigil as SVG (`svg()`) and shown beside its numbers (`table`).
///
/// Values are cleaned when the chart is made: a negative, NaN or infinite value is clamped to 0 (and counted in
/// `clampedValues`, so the page can say so); a series shorter than `categories` is padded with 0 and a longer one cut.
public struct Chart: Sendable, Equatable {
    /// How the values are drawn.
    public enum Kind: String, Sendable, Equatable {
        /// One vertical bar per category, the series stacked bottom up (advisories per month by severity).
        case stackedBars
        /// One horizontal bar per category, top down in the given order, the series stacked left to right (top
        /// vendors or sites).
        case horizontalBars
        /// One line per series over the categories (deadline compliance per month).
        case line
    }

    public var kind: Kind
    /// Short, shown above the chart and read first by screen readers (`<title>`).
    public var title: String
    /// A sentence on what the chart shows (`<desc>`); a summary of the numbers is appended.
    public var summary: String
    /// What the categories are (`Month`, `Vendor`): the first header of the table.
    public var categoryName: String
    /// The x labels (vertical bars, line) or row labels (horizontal bars).
    public var categories: [String]
    public var series: [ChartSeries]
    /// Appended to every number shown (`%`).
    public var unit: String
    /// The value axis' top, when the scale is fixed (100 for a percentage); nil to fit the data.
    public var fixedMaximum: Double?
    /// Prefix of the SVG's element IDs, unique on its page; letters, digits, `-` and `_` (others are dropped).
    public var id: String
    /// How many values were negative, NaN or infinite and are drawn as 0.
    public private(set) var clampedValues: Int

    public init(kind: Kind, title: String, summary: String = "", categoryName: String, categories: [String],
                series: [ChartSeries], unit: String = "", fixedMaximum: Double? = nil, id: String = "chart") {
        self.kind = kind
        self.title = title
        self.summary = summary
        self.categoryName = categoryName
        self.categories = categories
        self.unit = unit
        self.fixedMaximum = fixedMaximum.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        let cleanID = id.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        self.id = cleanID.first?.isLetter == true ? cleanID : "chart" + cleanID
        var clamped = 0
        self.series = series.map { series in
            var series = series
            var values = Array(series.values.prefix(categories.count))
            values += Array(repeating: 0, count: categories.count - values.count)
            series.values = values.map { value in
                guard value.isFinite, value >= 0 else { clamped += 1; return 0 }
                return value
            }
            return series
        }
        self.clampedValues = clamped
    }

    /// Whether there is nothing to draw: no categories or no series.
    public var isEmpty: Bool { categories.isEmpty || series.isEmpty }

    /// The sum of the series for each category.
    public var totals: [Double] { categories.indices.map { index in series.reduce(0) { $0 + $1.values[index] } } }
}

/// One named row of values of a chart, one value per category.
public struct ChartSeries: Sendable, Equatable {
    public var name: String
    public var values: [Double]
    public var color: ChartColor

    public init(name: String, values: [Double], color: ChartColor) {
        self.name = name
        self.values = values
        self.color = color
    }

    /// A series named after a severity, coloured like its badge.
    public init(severity: Severity, values: [Double]) {
        self.init(name: severity.rawValue.capitalized, values: values, color: .severity(severity))
    }
}

/// The colour of a series: a severity's (the site's badge colours) or one of a fixed palette.
public enum ChartColor: Sendable, Equatable {
    case severity(Severity)
    /// The n-th colour of `ChartColor.palette`, modulo its length.
    case palette(Int)

    /// The severity badge colours of `Sources/Web/Resources/static/vigil.css` (`--critical` … `--none`); each has a
    /// contrast of at least 4.5:1 with white, so white hatching and white gaps between segments stay visible.
    public static func hex(for severity: Severity) -> String {
        switch severity {
        case .critical: "#7a0b0b"
        case .high: "#c2410c"
        case .medium: "#a16207"
        case .low: "#1d6f42"
        case .none: "#4b5563"
        }
    }

    /// Dark colours for series that are not severities: the site's brand blue and link blue first.
    public static let palette = ["#1f3a5f", "#0b57a4", "#7b1d14", "#1d6f42", "#6b21a8", "#4b5563"]

    /// `#rrggbb`.
    public var hex: String {
        switch self {
        case let .severity(severity): Self.hex(for: severity)
        case let .palette(index): Self.palette[((index % Self.palette.count) + Self.palette.count) % Self.palette.count]
        }
    }
}
