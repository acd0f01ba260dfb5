import Foundation

/// The value axis of a chart: "nice" tick values in steps of 1, 2 or 5 times a power of ten, and number text.
public struct ChartScale: Sendable, Equatable {
    /// The tick values from 0 up to the axis' top, evenly spaced.
    public var ticks: [Double]
    /// The axis' top: the last tick.
    public var maximum: Double { ticks.last ?? 1 }

    /// Ticks from 0 covering `maximum` in about `targetCount` steps; whole steps only when `integral` (counts).
    /// A maximum of 0 (or less, or not finite) gives the axis 0…1.
    public init(maximum: Double, targetCount: Int = 5, integral: Bool) {
        guard maximum.isFinite, maximum > 0 else {
            ticks = [0, 1]
            return
        }
        var (mantissa, exponent) = Self.niceStepParts(maximum / Double(max(1, targetCount)))
        if integral, exponent < 0 { (mantissa, exponent) = (1, 0) }
        let step = Self.decimal(mantissa, exponent)
        let count = max(1, Int((maximum / step - 1e-9).rounded(.up)))
        ticks = (0...count).map { Self.decimal($0 * mantissa, exponent) }
    }

    /// The smallest 1, 2 or 5 × 10ⁿ that is at least `raw` (1 for a value that is not positive).
    public static func niceStep(_ raw: Double) -> Double {
        let (mantissa, exponent) = niceStepParts(raw)
        return decimal(mantissa, exponent)
    }

    static func niceStepParts(_ raw: Double) -> (mantissa: Int, exponent: Int) {
        guard raw.isFinite, raw > 0 else { return (1, 0) }
        var exponent = Int(log10(raw).rounded(.down))
        // log10 near an exact power of ten can land a hair on either side of it.
        if decimal(1, exponent) > raw * (1 + 1e-12) { exponent -= 1 }
        if decimal(10, exponent) <= raw * (1 - 1e-12) { exponent += 1 }
        for mantissa in [1, 2, 5] where decimal(mantissa, exponent) >= raw * (1 - 1e-12) {
            return (mantissa, exponent)
        }
        return (1, exponent + 1)
    }

    /// `mantissa` × 10^`exponent`, as the nearest double to that decimal (so 3 × 10⁻¹ is exactly `0.3`).
    static func decimal(_ mantissa: Int, _ exponent: Int) -> Double {
        var power = 1.0
        for _ in 0..<abs(exponent) { power *= 10 }
        return exponent >= 0 ? Double(mantissa) * power : Double(mantissa) / power
    }

    /// A number as shown: whole numbers without a point, others with at most two decimals (`2.5`, `0.05`), no
    /// grouping and no locale, so output is the same everywhere.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        guard abs(value) < 1e13 else { return String(format: "%.0f", value) }
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let whole = magnitude / 100, fraction = magnitude % 100
        if fraction == 0 { return sign + String(whole) }
        if fraction % 10 == 0 { return sign + "\(whole).\(fraction / 10)" }
        return sign + "\(whole)." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}
