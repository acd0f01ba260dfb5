import CSAF
import Foundation
import Testing
import VigilTestSupport

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    /// 2022-06-21T00:00:00Z.
    static let midnight = 1_655_769_600.0

    @Test("0, 3 and 6 fraction digits", arguments: [
        ("2022-06-21T00:00:00Z", 0.0),
        ("2022-06-21T00:00:00.000Z", 0.0),
        ("2022-06-21T00:00:00.000000Z", 0.0),
        ("2022-06-21T00:00:00.123Z", 0.123),
        ("2022-06-21T00:00:00.123456Z", 0.123456),
        ("2022-06-21T00:00:00.5Z", 0.5),
        ("2022-06-21t00:00:00z", 0.0),
    ])
    func fractions(_ text: String, _ fraction: Double) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - (Self.midnight + fraction)) < 1e-6)
    }

    @Test("offsets are applied", arguments: [
        ("2022-06-21T01:00:00+01:00", 0),
        ("2022-06-20T19:00:00-05:00", 0),
        ("2022-06-21T05:30:00+05:30", 0),
        ("2022-06-21T00:00:00+00:00", 0),
        ("2022-06-21T00:00:00-00:00", 0),
        ("2024-01-09T08:00:00+01:00", 1_704_783_600 - 1_655_769_600),
    ])
    func offsets(_ text: String, _ delta: Int) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(date.timeIntervalSince1970 == Self.midnight + Double(delta))
    }

    @Test("civil(seconds:) gives the UTC date Foundation's calendar gives, before 1970 too")
    func civilDates() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        #expect(Timestamp.civil(seconds: 0) == (1970, 1, 1))
        #expect(Timestamp.civil(seconds: -1) == (1969, 12, 31))
        #expect(Timestamp.civil(seconds: 1_796_083_200) == (2026, 12, 1))
        for seconds in stride(from: -2_000_000_000, through: 4_000_000_000, by: 7_777_777) {
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(seconds)))
            let civil = Timestamp.civil(seconds: seconds)
            #expect(civil.year == parts.year && civil.month == parts.month && civil.day == parts.day, "\(seconds)")
        }
    }

    @Test("a bare date is midnight UTC; trailing spaces are tolerated")
    func bareDate() {
        #expect(Timestamp.parse("2022-06-21")?.timeIntervalSince1970 == Self.midnight)
        #expect(Timestamp.parse("2022-06-21T00:00:00Z  ")?.timeIntervalSince1970 == Self.midnight)
    }

    @Test("garbage is rejected", arguments: [
        "", "yesterday", "2022", "2022-6-21", "2022-13-01T00:00:00Z", "2022-00-10T00:00:00Z", "2022-06-32T00:00:00Z",
        "2022-06-21T24:00:00Z", "2022-06-21T00:60:00Z", "2022-06-21T00:00:00", "2022-06-21T00:00Z",
        "2022-06-21T00:00:00.Z", "2022-06-21T00:00:00+0100", "2022-06-21T00:00:00+01", "2022-06-21T00:00:00ZZ",
        "2022-06-21X00:00:00Z", " 2022-06-21T00:00:00Z", "2022-06-21T00:00:00Z garbage", "２０２２-06-21",
    ])
    func garbage(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("formatting is UTC, whole seconds, and round-trips")
    func format() throws {
        let date = try #require(Timestamp.parse("2024-02-29T23:59:59.999+02:00"))
        #expect(Timestamp.format(date) == "2024-02-29T21:59:59Z")
        #expect(Timestamp.formatDay(date) == "2024-02-29")
        #expect(Timestamp.year(date) == 2024)
        #expect(Timestamp.parse(Timestamp.format(date))?.timeIntervalSince1970 == date.timeIntervalSince1970.rounded(.down))
        #expect(Timestamp.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }

    @Test("every date the real CISA documents carry parses, and agrees with Foundation's ISO 8601 reading")
    func realDates() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        var checked = 0
        for path in try SharedData.jsonFiles(under: "providers/cisa/csaf_files/OT/white/2022").prefix(40) {
            guard case .csaf(let parsed) = try CSAFDocumentReader.read(try SharedData.bytes("providers/cisa/csaf_files/OT/white/2022/\(path)")) else { continue }
            let tracking = parsed.document.document.tracking
            for text in [tracking.initialReleaseDate, tracking.currentReleaseDate] + tracking.revisionHistory.map(\.date) {
                let ours = try #require(Timestamp.parse(text), "\(path): \(text)")
                // Foundation reads 3 fraction digits only; compare at second precision.
                let theirs = formatter.date(from: text) ?? plain.date(from: text)
                    ?? formatter.date(from: Self.threeFractionDigits(text))
                let reference = try #require(theirs, "Foundation could not read \(text)")
                #expect(abs(ours.timeIntervalSince1970 - reference.timeIntervalSince1970) < 0.001, "\(text)")
                checked += 1
            }
        }
        #expect(checked > 80)
    }

    static func threeFractionDigits(_ text: String) -> String {
        guard let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) else { return text }
        let digits = text[text.index(after: dot)..<end]
        return String(text[..<dot]) + "." + String((digits + "000").prefix(3)) + String(text[end...])
    }
}
