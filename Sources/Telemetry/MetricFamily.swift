import Synchronization

/// A named set of time series that renders itself in the Prometheus text exposition format (version 0.0.4).
public protocol MetricFamily: Sendable {
    var name: String { get }
    /// Appends `# HELP`, `# TYPE` and one line per sample.
    func render(into text: inout String)
}

/// A value that only goes up (`vigil_…_total`), one series per combination of label values.
public final class CounterFamily: MetricFamily {
    public let name: String
    public let help: String
    public let labelNames: [String]
    private let series = Mutex<[[String]: Double]>([:])

    public init(name: String, help: String, labelNames: [String] = []) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        // A counter without labels exists from the start (at 0), so a rate over it is defined before its first event.
        if labelNames.isEmpty { series.withLock { $0[[]] = 0 } }
    }

    /// Adds `amount` (negative amounts are ignored: a counter never goes down).
    public func increment(_ labels: [String] = [], by amount: Double = 1) {
        precondition(labels.count == labelNames.count, "\(name) takes the labels \(labelNames)")
        guard amount >= 0 else { return }
        series.withLock { $0[labels, default: 0] += amount }
    }

    /// Makes the series exist at 0, so it is scraped before its first event.
    public func declare(_ labels: [String]) {
        precondition(labels.count == labelNames.count, "\(name) takes the labels \(labelNames)")
        series.withLock { if $0[labels] == nil { $0[labels] = 0 } }
    }

    /// The current value of one series (0 when it has none yet).
    public func value(_ labels: [String] = []) -> Double { series.withLock { $0[labels] ?? 0 } }

    public func render(into text: inout String) {
        PrometheusText.family(name, help: help, type: "counter", labelNames: labelNames, series: series.withLock { $0 }, into: &text)
    }
}

/// A value that goes up and down, one series per combination of label values.
public final class GaugeFamily: MetricFamily {
    public let name: String
    public let help: String
    public let labelNames: [String]
    private let series = Mutex<[[String]: Double]>([:])

    public init(name: String, help: String, labelNames: [String] = []) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    public func set(_ labels: [String], _ value: Double) {
        precondition(labels.count == labelNames.count, "\(name) takes the labels \(labelNames)")
        series.withLock { $0[labels] = value }
    }

    /// Sets a gauge without labels.
    public func set(_ value: Double) { set([], value) }

    /// Replaces every series at once: a series left out (a source removed) disappears rather than keeping its last value.
    public func replaceAll(_ values: [[String]: Double]) {
        precondition(values.keys.allSatisfy { $0.count == labelNames.count }, "\(name) takes the labels \(labelNames)")
        series.withLock { $0 = values }
    }

    /// The current value of one series; nil when it is not set.
    public func value(_ labels: [String] = []) -> Double? { series.withLock { $0[labels] } }

    public func render(into text: inout String) {
        PrometheusText.family(name, help: help, type: "gauge", labelNames: labelNames, series: series.withLock { $0 }, into: &text)
    }
}

/// Observations counted into upper-bounded buckets (`le`), with their sum and count, one series per combination of
/// label values. Rendered cumulatively, ending with `le="+Inf"`, as Prometheus expects.
public final class HistogramFamily: MetricFamily {
    public let name: String
    public let help: String
    public let labelNames: [String]
    /// Upper bounds, ascending, without +Inf (always added).
    public let buckets: [Double]

    struct Series {
        /// Observations per bucket (not cumulative); the last slot is above every bound.
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }
    private let series = Mutex<[[String]: Series]>([:])

    public init(name: String, help: String, labelNames: [String] = [], buckets: [Double]) {
        precondition(!labelNames.contains("le"), "le is the histogram's own label")
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = Array(Set(buckets.filter(\.isFinite))).sorted()
        if labelNames.isEmpty { series.withLock { $0[[]] = Series(counts: Array(repeating: 0, count: self.buckets.count + 1)) } }
    }

    public func observe(_ labels: [String] = [], _ value: Double) {
        precondition(labels.count == labelNames.count, "\(name) takes the labels \(labelNames)")
        guard !value.isNaN else { return }
        let slot = buckets.firstIndex { value <= $0 } ?? buckets.count
        let empty = Series(counts: Array(repeating: 0, count: buckets.count + 1))
        series.withLock { all in
            all[labels, default: empty].counts[slot] += 1
            all[labels, default: empty].sum += value
            all[labels, default: empty].count += 1
        }
    }

    /// How many observations a series has.
    public func count(_ labels: [String] = []) -> UInt64 { series.withLock { $0[labels]?.count ?? 0 } }

    public func render(into text: inout String) {
        PrometheusText.header(name: name, help: help, type: "histogram", into: &text)
        let bucketNames = labelNames + ["le"]
        for (labels, entry) in series.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var cumulative: UInt64 = 0
            for (index, bound) in (buckets + [.infinity]).enumerated() {
                cumulative += entry.counts[index]
                PrometheusText.sample(name + "_bucket", labelNames: bucketNames, labels: labels + [PrometheusText.number(bound)],
                                      value: Double(cumulative), into: &text)
            }
            PrometheusText.sample(name + "_sum", labelNames: labelNames, labels: labels, value: entry.sum, into: &text)
            PrometheusText.sample(name + "_count", labelNames: labelNames, labels: labels, value: Double(entry.count), into: &text)
        }
    }
}

/// The pieces of the Prometheus text format: escaping, numbers, lines.
public enum PrometheusText {
    /// The Content-Type of a scrape's answer.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A counter's or gauge's family: its header, then one sample per series, in label order.
    static func family(_ name: String, help: String, type: String, labelNames: [String], series: [[String]: Double],
                       into text: inout String) {
        header(name: name, help: help, type: type, into: &text)
        for (labels, value) in series.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            sample(name, labelNames: labelNames, labels: labels, value: value, into: &text)
        }
    }

    /// A label value as written between its quotes: backslash, double quote and line feed escaped.
    public static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// HELP text: backslash and line feed escaped (quotes stay as they are).
    public static func escapeHelp(_ value: String) -> String {
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// A sample value or bucket bound: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func header(name: String, help: String, type: String, into text: inout String) {
        text += "# HELP \(name) \(escapeHelp(help))\n# TYPE \(name) \(type)\n"
    }

    static func sample(_ name: String, labelNames: [String], labels: [String], value: Double, into text: inout String) {
        text += name
        if !labelNames.isEmpty {
            text += "{"
            text += zip(labelNames, labels).map { "\($0)=\"\(escapeLabelValue($1))\"" }.joined(separator: ",")
            text += "}"
        }
        text += " \(number(value))\n"
    }
}

/// The families one process exposes, in the order they are rendered.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])

    public init() {}

    /// Adds a family; its name must be new.
    @discardableResult
    public func register<Family: MetricFamily>(_ family: Family) -> Family {
        families.withLock { all in
            precondition(!all.contains { $0.name == family.name }, "\(family.name) is registered twice")
            all.append(family)
        }
        return family
    }

    /// Every family in the text exposition format.
    public func render() -> String {
        var text = ""
        for family in families.withLock({ $0 }) { family.render(into: &text) }
        return text
    }
}
