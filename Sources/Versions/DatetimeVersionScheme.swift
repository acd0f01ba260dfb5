/// The generic `datetime` scheme: RFC 3339 timestamps (`2024-01-01T12:00:00.5+02:00`, uppercase `T` and `Z`),
/// ordered by the instant they denote.
struct DatetimeVersionScheme: VersionScheme {
    let name = "datetime"

    func isValid(_ version: String) -> Bool { Timestamp(version) != nil }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard let left = Timestamp(lhs), let right = Timestamp(rhs) else { return nil }
        if left.seconds != right.seconds { return VersionOrder(left.seconds, right.seconds) }
        // Fractions compare digit by digit once padded to the same length.
        let length = max(left.fraction.count, right.fraction.count)
        let a = left.fraction + Array(repeating: UInt8(ascii: "0"), count: length - left.fraction.count)
        let b = right.fraction + Array(repeating: UInt8(ascii: "0"), count: length - right.fraction.count)
        if a == b { return .same }
        return a.lexicographicallyPrecedes(b) ? .ascending : .descending
    }

    /// A timestamp as whole seconds since 1970-01-01T00:00:00Z and the fraction's digits.
    private struct Timestamp {
        var seconds: Int
        var fraction: [UInt8]

        init?(_ text: String) {
            let bytes = Array(text.utf8)
            // YYYY-MM-DDTHH:MM:SS is 19 bytes; then an optional fraction and the zone.
            guard bytes.count >= 20 else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                let slice = bytes[range]
                return slice.allDigits ? Int(slice.text) : nil
            }
            func byte(_ index: Int, is character: Unicode.Scalar) -> Bool { bytes[index] == UInt8(ascii: character) }
            guard let year = number(0..<4), byte(4, is: "-"), let month = number(5..<7), byte(7, is: "-"),
                  let day = number(8..<10), byte(10, is: "T"), let hour = number(11..<13), byte(13, is: ":"),
                  let minute = number(14..<16), byte(16, is: ":"), let second = number(17..<19)
            else { return nil }
            var index = 19
            fraction = []
            if byte(index, is: ".") {
                index += 1
                while index < bytes.count, bytes[index].isDigit {
                    fraction.append(bytes[index])
                    index += 1
                }
                guard !fraction.isEmpty else { return nil }
            }
            var offset = 0
            guard index < bytes.count else { return nil }
            if byte(index, is: "Z"), index + 1 == bytes.count {
                offset = 0
            } else if byte(index, is: "+") || byte(index, is: "-"), index + 6 == bytes.count,
                      let zoneHour = number((index + 1)..<(index + 3)), byte(index + 3, is: ":"),
                      let zoneMinute = number((index + 4)..<(index + 6)), zoneHour <= 23, zoneMinute <= 59 {
                offset = (zoneHour * 3600 + zoneMinute * 60) * (byte(index, is: "-") ? -1 : 1)
            } else {
                return nil
            }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            guard (1...12).contains(month), (1...monthDays[month - 1]).contains(day), hour <= 23, minute <= 59,
                  second <= 60 else { return nil }
            seconds = Self.days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
        }

        /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
        private static func days(year: Int, month: Int, day: Int) -> Int {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146097 + dayOfEra - 719468
        }
    }
}
