import Foundation
import Logging
import Synchronization
import Testing
@testable import Web

/// `--log-format json`: one JSON object per log event, whatever the message or metadata hold.
@Suite("JSON log lines")
struct JSONLogLineTests {
    /// Parses one rendered line: exactly one newline, at its end, and a JSON object before it.
    func parse(_ line: [UInt8]) throws -> [String: Any] {
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        #expect(!line.dropLast().contains { $0 < 0x20 }, "no raw control character")
        let object = try JSONSerialization.jsonObject(with: Data(line.dropLast()))
        return try #require(object as? [String: Any])
    }

    @Test("messages with newlines, quotes, control characters, separators and repaired invalid UTF-8 stay on one line, intact")
    func escaping() throws {
        let invalid = String(decoding: [0x61, 0xFF, 0xC3, 0x28, 0x62], as: UTF8.self)
        let messages = ["two\nlines\r\nand a tab\t", #"quote " and backslash \ "#, "nul \u{0} bell \u{7} escape \u{1B}[31m del \u{7F}",
                        "separators \u{2028} \u{2029}", "Zürich 東京 🚨", invalid, ""]
        for message in messages {
            let object = try parse(JSONLogLine.render(date: Date(), level: .warning, label: "vigil.sources", message: message, metadata: [:]))
            #expect(object["message"] as? String == message)
            #expect(object["level"] as? String == "warning")
            #expect(object["logger"] as? String == "vigil.sources")
        }
        #expect(invalid == "a\u{FFFD}\u{FFFD}(b")
        // Keys and metadata values are escaped the same way.
        let object = try parse(JSONLogLine.render(date: Date(), level: .info, label: "a\nb", message: "m",
                                                  metadata: ["k\"ey\n": "v\u{0}\nw"]))
        #expect(object["k\"ey\n"] as? String == "v\u{0}\nw")
        #expect(object["logger"] as? String == "a\nb")
    }

    @Test("metadata is flattened: values as strings, dictionaries as dotted keys, lists as lists of strings, clashing keys prefixed")
    func flattening() throws {
        let metadata: Logger.Metadata = [
            "source": "cisa", "failures": .stringConvertible(3),
            "limits": .dictionary(["connections": "64", "timeouts": .dictionary(["idle": "2s"])]),
            "hosts": .array(["a.example", .stringConvertible(2), .dictionary(["x": "y"])]),
            "message": "clash", "ts": "clash too", "empty": .dictionary([:]),
        ]
        let object = try parse(JSONLogLine.render(date: Date(), level: .error, label: "vigil", message: "the message", metadata: metadata))
        #expect(object["source"] as? String == "cisa")
        #expect(object["failures"] as? String == "3")
        #expect(object["limits.connections"] as? String == "64")
        #expect(object["limits.timeouts.idle"] as? String == "2s")
        #expect(object["hosts"] as? [String] == ["a.example", "2", "[\"x\": \"y\"]"])
        #expect(object["message"] as? String == "the message")
        #expect(object["metadata.message"] as? String == "clash")
        #expect(object["metadata.ts"] as? String == "clash too")
        #expect(object["empty"] as? String == "[:]")
        #expect(object.values.allSatisfy { $0 is String || $0 is [String] })
    }

    @Test("ts is RFC 3339 in UTC with milliseconds, the same instant a date formatter writes")
    func timestamps() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 0.123), Date(timeIntervalSince1970: 951_868_799.999),
                     Date(timeIntervalSince1970: 1_709_251_199.5), Date(timeIntervalSince1970: 4_102_444_800), Date(timeIntervalSince1970: -1.25)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 { dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_102_444_800_000, using: &generator)) / 1000)) }
        for date in dates {
            let ts = try #require(try parse(JSONLogLine.render(date: date, level: .info, label: "l", message: "m", metadata: [:]))["ts"] as? String)
            #expect(ts.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(ts)")
            let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000
            #expect(ts == formatter.string(from: Date(timeIntervalSince1970: milliseconds)), "\(date.timeIntervalSince1970)")
        }
        #expect(try parse(JSONLogLine.render(date: Date(timeIntervalSince1970: 951_868_799.999), level: .info, label: "l", message: "m",
                                             metadata: [:]))["ts"] as? String == "2000-02-29T23:59:59.999Z")
    }

    @Test("the handler writes one line per event with the logger's, the provider's and the call's metadata; hb.request.id becomes request")
    func handler() throws {
        let lines = Mutex<[[UInt8]]>([])
        var logger = Logger(label: "vigil") { label in
            ServerLogHandler(label: label, format: .json, output: .lines { line in lines.withLock { $0.append(line) } })
        }
        logger.logLevel = .debug
        logger[metadataKey: "hb.request.id"] = "r-17"
        logger[metadataKey: "source"] = "siemens"
        logger.debug("first\nsecond", metadata: ["path": "/advisories"])
        logger.trace("below the level")
        logger.info("plain", metadata: ["source": "cisa"])
        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        let first = try parse(written[0]), second = try parse(written[1])
        #expect(first["message"] as? String == "first\nsecond")
        #expect(first["request"] as? String == "r-17")
        #expect(first["hb.request.id"] == nil)
        #expect(first["source"] as? String == "siemens")
        #expect(first["path"] as? String == "/advisories")
        #expect(first["level"] as? String == "debug")
        #expect(second["source"] as? String == "cisa", "the call's metadata wins over the logger's")
    }

    @Test("text format keeps swift-log's line, with the request ID as request")
    func textFormat() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "vigil") { label in
            ServerLogHandler(label: label, format: .text, output: .lines { line in lines.withLock { $0.append(String(decoding: line, as: UTF8.self)) } })
        }
        logger[metadataKey: "hb.request.id"] = "r-18"
        logger.info("hello", metadata: ["source": "cisa"])
        #expect(lines.withLock { $0 } == ["info vigil: request=r-18 source=cisa hello\n"])
    }
}
