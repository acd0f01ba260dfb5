import Foundation

/// Reads and writes the RFC 3339 timestamps CSAF uses (`2022-06-21T00:00:00.000000Z`, `2024-01-09T08:00:00+01:00`).
///
/// Foundation's ISO 8601 formatter is strict about the number of fraction digits; CSAF producers are not.
public enum Timestamp {
    /// Parses an RFC 3339 date-time with any number of fraction digits and a `Z` or `±hh:mm` offset.
    /// A bare date (`2022-06-21`) is read as midnight UTC, as some producers write it. Returns nil for anything else.
    public static func parse(_ text: String) -> Date? {
        var text = text
        // withUTF8 reads a native string's bytes in place: no array per date (they are parsed by the thousand).
        return text.withUTF8 { parse(utf8: $0) }
    }

    static func parse(utf8 whole: UnsafeBufferPointer<UInt8>) -> Date? {
        var end = whole.count
        while end > 0, whole[end - 1] == 0x20 { end -= 1 }
        let utf8 = UnsafeBufferPointer(rebasing: whole[0..<end])
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= utf8.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = utf8[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < utf8.count, utf8[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var offset = 0
        if i < utf8.count {
            guard utf8[i] == 0x54 || utf8[i] == 0x74 || utf8[i] == 0x20 else { return nil }
            i += 1
            guard let h = digits(2), expect(0x3A), let m = digits(2), expect(0x3A), let s = digits(2),
                  h < 24, m < 60, s <= 60 else { return nil }
            hour = h; minute = m; second = s
            if i < utf8.count, utf8[i] == 0x2E {
                i += 1
                var scale = 0.1
                let start = i
                while i < utf8.count, utf8[i] >= 0x30, utf8[i] <= 0x39 {
                    fraction += Double(utf8[i] - 0x30) * scale
                    scale /= 10
                    i += 1
                }
                guard i > start else { return nil }
            }
            guard i < utf8.count else { return nil }
            switch utf8[i] {
            case 0x5A, 0x7A: i += 1
            case 0x2B, 0x2D:
                let sign = utf8[i] == 0x2B ? 1 : -1
                i += 1
                guard let oh = digits(2), expect(0x3A), let om = digits(2), oh < 24, om < 60 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            default: return nil
            }
            guard i == utf8.count else { return nil }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Formats a date as `2022-06-21T00:00:00Z` (UTC, whole seconds): sortable as text.
    public static func format(_ date: Date) -> String {
        let (y, mo, d, h, mi, s) = components(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        append(y, width: 4, to: &bytes); bytes.append(0x2D)
        append(mo, width: 2, to: &bytes); bytes.append(0x2D)
        append(d, width: 2, to: &bytes); bytes.append(0x54)
        append(h, width: 2, to: &bytes); bytes.append(0x3A)
        append(mi, width: 2, to: &bytes); bytes.append(0x3A)
        append(s, width: 2, to: &bytes); bytes.append(0x5A)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Formats a date as `2022-06-21` (UTC).
    public static func formatDay(_ date: Date) -> String {
        String(format(date).prefix(10))
    }

    /// Zero-padded decimal digits, written by hand: `String(format:)` goes through Foundation and showed in profiles.
    static func append(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var digits = [UInt8](repeating: 0x30, count: width)
        var rest = abs(value)
        var index = width - 1
        while index >= 0 {
            digits[index] = UInt8(0x30 + rest % 10)
            rest /= 10
            index -= 1
        }
        if value < 0 { bytes.append(0x2D) }
        if rest > 0 { bytes.append(contentsOf: Array(String(abs(value)).utf8)) } else { bytes.append(contentsOf: digits) }
    }

    /// The UTC calendar year of a date.
    public static func year(_ date: Date) -> Int { components(date).0 }

    static func components(_ date: Date) -> (Int, Int, Int, Int, Int, Int) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        var days = total / 86_400
        var rest = total % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        return (y, m, d, rest / 3600, (rest % 3600) / 60, rest % 60)
    }

    // Howard Hinnant's days-from-civil algorithms: exact for the proleptic Gregorian calendar, no Calendar needed.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month and day (UTC) of `seconds` since 1970.
    public static func civil(seconds: Int) -> (year: Int, month: Int, day: Int) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (year, month, day) = civilFromDays(days)
        return (year, month, day)
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
