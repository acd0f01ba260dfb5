/// A chart's numbers as a table, for the page to show beside (or instead of) the picture.
public struct ChartTable: Sendable, Equatable {
    /// The chart's title.
    public var caption: String
    /// The category name, each series' name, and `Total` when there are several series to stack.
    public var headers: [String]
    /// One row per category: its label and the numbers as shown in the chart; none when the chart has no data.
    public var rows: [[String]]
}

extension Chart {
    /// The numbers of the chart, one row per category, formatted as the chart's tooltips show them.
    public var table: ChartTable {
        let stacked = kind != .line && series.count > 1
        var headers = [categoryName] + series.map(\.name)
        if stacked { headers.append("Total") }
        guard !isEmpty else { return ChartTable(caption: title, headers: headers, rows: []) }
        let totals = self.totals
        let rows = categories.indices.map { index in
            var row = [categories[index]] + series.map { ChartScale.format($0.values[index]) + unit }
            if stacked { row.append(ChartScale.format(totals[index]) + unit) }
            return row
        }
        return ChartTable(caption: title, headers: headers, rows: rows)
    }
}
