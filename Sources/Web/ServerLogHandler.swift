import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How log lines are written: `text` (swift-log's usual line) or `json` (one JSON object per line, for log shippers).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Vigil's log handler: swift-log's standard stream line, or one JSON object per line, with the metadata rendered only
/// when a message is logged.
///
/// Hummingbird gives every request's logger a request ID; `StreamLogHandler` renders all of a logger's metadata each
/// time any of it is set, which was a noticeable part of what serving a cached page cost. Text messages look the same
/// as `StreamLogHandler`'s. Hummingbird's `hb.request.id` is written as `request`, the key every request line has.
public struct ServerLogHandler: LogHandler {
    /// Where lines go.
    public enum Output: Sendable {
        case standardOutput, standardError
        /// Each finished line, newline included (tests).
        case lines(@Sendable ([UInt8]) -> Void)
    }

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat
    let output: Output

    public init(label: String, format: LogFormat = .text, output: Output = .standardOutput) {
        self.label = label
        self.format = format
        self.output = output
        metadataProvider = LoggingSystem.metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let request = merged.removeValue(forKey: "hb.request.id"), merged["request"] == nil { merged["request"] = request }
        switch format {
        case .text:
            var event = event
            event.metadata = merged
            switch output {
            case .standardOutput: StreamLogHandler.standardOutput(label: label, metadataProvider: nil).log(event: event)
            case .standardError: StreamLogHandler.standardError(label: label, metadataProvider: nil).log(event: event)
            case .lines(let write):
                let line = "\(event.level) \(label): \(merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) \(event.message)\n"
                write(Array(line.utf8))
            }
        case .json:
            if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
            let line = JSONLogLine.render(date: Date(), level: event.level, label: label, message: event.message.description, metadata: merged)
            switch output {
            case .standardOutput: LogStream.write(line, to: 1)
            case .standardError: LogStream.write(line, to: 2)
            case .lines(let write): write(line)
            }
        }
    }
}

/// Renders one log event as one line of JSON: `ts`, `level`, `logger`, `message`, then every metadata key.
public enum JSONLogLine {
    /// The JSON object, ending in a newline. Control characters, quotes, backslashes and the line and paragraph
    /// separators are escaped, so a message with newlines stays on one line. (A Swift string is always valid
    /// Unicode: bytes that were not valid UTF-8 became U+FFFD when the string was made.) Nested metadata is
    /// flattened: a dictionary's entries become `key.subkey`, a list becomes a JSON list of strings. Metadata keys
    /// that clash with the four fixed ones are written as `metadata.key`.
    public static func render(date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        out.append(contentsOf: #"{"ts":""#.utf8)
        appendTimestamp(date, to: &out)
        out.append(contentsOf: #"","level":"#.utf8)
        appendString(level.rawValue, to: &out)
        out.append(contentsOf: #","logger":"#.utf8)
        appendString(label, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        appendString(message, to: &out)
        var flat: [(String, FlatValue)] = []
        for (key, value) in metadata { flatten(key, value, into: &flat) }
        flat.sort { $0.0 < $1.0 }
        for (key, value) in flat {
            out.append(UInt8(ascii: ","))
            appendString(["ts", "level", "logger", "message"].contains(key) ? "metadata." + key : key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let text): appendString(text, to: &out)
            case .list(let items):
                out.append(UInt8(ascii: "["))
                for (index, item) in items.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    appendString(item, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    enum FlatValue {
        case string(String)
        case list([String])
    }

    static func flatten(_ key: String, _ value: Logger.MetadataValue, into flat: inout [(String, FlatValue)]) {
        switch value {
        case .string(let text): flat.append((key, .string(text)))
        case .stringConvertible(let convertible): flat.append((key, .string(convertible.description)))
        case .dictionary(let dictionary):
            if dictionary.isEmpty { flat.append((key, .string("[:]"))) }
            for (subkey, subvalue) in dictionary { flatten(key + "." + subkey, subvalue, into: &flat) }
        case .array(let items): flat.append((key, .list(items.map(\.description))))
        }
    }

    /// A JSON string literal, quotes included.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: #"\""#.utf8)
            case 0x5C: out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20, 0x7F, 0x2028, 0x2029:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u"#.utf8)
                for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int((scalar.value >> UInt32(shift)) & 0xF)]) }
            case 0x20..<0x80: out.append(UInt8(scalar.value))
            default: UTF8.encode(scalar) { out.append($0) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// RFC 3339 in UTC with milliseconds, `2026-01-02T03:04:05.678Z`, without a date formatter.
    static func appendTimestamp(_ date: Date, to out: inout [UInt8]) {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (days, inDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, millisecondOfDay) = inDay < 0 ? (days - 1, inDay + 86_400_000) : (days, inDay)
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4); out.append(UInt8(ascii: "-")); digits(month, 2); out.append(UInt8(ascii: "-")); digits(dayOfMonth, 2)
        out.append(UInt8(ascii: "T"))
        digits(millisecondOfDay / 3_600_000, 2); out.append(UInt8(ascii: ":"))
        digits(millisecondOfDay / 60_000 % 60, 2); out.append(UInt8(ascii: ":"))
        digits(millisecondOfDay / 1000 % 60, 2); out.append(UInt8(ascii: "."))
        digits(millisecondOfDay % 1000, 3); out.append(UInt8(ascii: "Z"))
    }
}

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Whole lines to standard output or error, one writer at a time, so lines from several threads never interleave.
enum LogStream {
    private static let lock = Mutex(())

    static func write(_ line: [UInt8], to descriptor: Int32) {
        lock.withLock { _ in
            line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return // the stream is closed or full of errors: a log line is not worth blocking or crashing for
                    }
                }
            }
        }
    }
}
