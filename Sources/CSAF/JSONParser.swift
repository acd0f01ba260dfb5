import Foundation

/// Why a byte sequence is not acceptable JSON, and where: the line and column a person can open the file at.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    public var offset: Int

    public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 JSON parser over bytes.
///
/// It rejects what hostile or broken files contain: trailing data, invalid UTF-8, control characters in strings,
/// lone surrogates, and nesting deeper than `maxDepth` (so a 10,000-deep document fails cleanly instead of
/// exhausting the stack).
public struct JSONParser {
    public static let defaultMaxDepth = 256

    public static func parse(_ bytes: some ContiguousBytes, maxDepth: Int = defaultMaxDepth) throws(JSONSyntaxError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError> = bytes.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self), maxDepth: maxDepth)
            do throws(JSONSyntaxError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var position = 0
        var depth = 0
        var scratch: [UInt8] = []

        init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
            // A UTF-8 byte order mark is not JSON, but some producers write one; RFC 8259 lets parsers ignore it.
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
            skipWhitespace()
            guard position < bytes.count else { throw error("the file is empty", at: position) }
            let value = try parseValue()
            skipWhitespace()
            if position < bytes.count { throw error("unexpected data after the end of the JSON value", at: position) }
            return value
        }

        func error(_ message: String, at offset: Int) -> JSONSyntaxError {
            var line = 1, column = 1
            var i = 0
            let end = min(offset, bytes.count)
            while i < end {
                if bytes[i] == 0x0A { line += 1; column = 1 } else if bytes[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
            }
            return JSONSyntaxError(message: message, line: line, column: column, offset: offset)
        }

        @inline(__always) mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x0A, 0x0D, 0x09: position += 1
                default: return
                }
            }
        }

        mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
            guard position < bytes.count else { throw error("unexpected end of file: the JSON is truncated", at: position) }
            switch bytes[position] {
            case 0x7B: return try parseObject()
            case 0x5B: return try parseArray()
            case 0x22: return .string(try parseString())
            case 0x74: try literal("true"); return .bool(true)
            case 0x66: try literal("false"); return .bool(false)
            case 0x6E: try literal("null"); return .null
            case 0x2D, 0x30...0x39: return .number(try parseNumber())
            default: throw error("unexpected character \(describe(bytes[position]))", at: position)
            }
        }

        func describe(_ byte: UInt8) -> String {
            byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "0x%02X", byte)
        }

        mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { throw error("unexpected end of file: the JSON is truncated", at: position) }
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
            for k in 0..<count where bytes[position + k] != expected[k] {
                throw error("unexpected character \(describe(bytes[position + k]))", at: position + k)
            }
            position += count
        }

        mutating func enter() throws(JSONSyntaxError) {
            depth += 1
            if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels", at: position) }
        }

        mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
            try enter()
            position += 1
            var members: [JSONMember] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == 0x7D {
                position += 1
                depth -= 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of file inside an object: the JSON is truncated", at: position) }
                guard bytes[position] == 0x22 else { throw error("expected a member name in double quotes, found \(describe(bytes[position]))", at: position) }
                let key = try parseString()
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of file inside an object: the JSON is truncated", at: position) }
                guard bytes[position] == 0x3A else { throw error("expected ':' after member name \"\(key)\"", at: position) }
                position += 1
                skipWhitespace()
                let value = try parseValue()
                members.append(JSONMember(key: key, value: value))
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of file inside an object: the JSON is truncated", at: position) }
                switch bytes[position] {
                case 0x2C: position += 1
                case 0x7D:
                    position += 1
                    depth -= 1
                    return .object(members)
                default: throw error("expected ',' or '}' in an object, found \(describe(bytes[position]))", at: position)
                }
            }
        }

        mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
            try enter()
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == 0x5D {
                position += 1
                depth -= 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue())
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of file inside an array: the JSON is truncated", at: position) }
                switch bytes[position] {
                case 0x2C: position += 1
                case 0x5D:
                    position += 1
                    depth -= 1
                    return .array(elements)
                default: throw error("expected ',' or ']' in an array, found \(describe(bytes[position]))", at: position)
                }
            }
        }

        mutating func parseString() throws(JSONSyntaxError) -> String {
            let start = position
            position += 1
            let contentStart = position
            // Fast path: no escapes. Validation of UTF-8 happens once, when the String is made.
            while position < bytes.count {
                let c = bytes[position]
                if c == 0x22 {
                    let slice = UnsafeBufferPointer(rebasing: bytes[contentStart..<position])
                    position += 1
                    guard isValidUTF8(slice) else { throw error("the string is not valid UTF-8", at: start) }
                    return String(decoding: slice, as: UTF8.self)
                }
                if c == 0x5C { break }
                if c < 0x20 { throw error("control character \(describe(c)) inside a string (write it escaped)", at: position) }
                position += 1
            }
            guard position < bytes.count else { throw error("unexpected end of file inside a string: the JSON is truncated", at: start) }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<position]))
            while position < bytes.count {
                let c = bytes[position]
                switch c {
                case 0x22:
                    position += 1
                    let valid = scratch.withUnsafeBufferPointer { isValidUTF8($0) }
                    guard valid else { throw error("the string is not valid UTF-8", at: start) }
                    return String(decoding: scratch, as: UTF8.self)
                case 0x5C:
                    position += 1
                    guard position < bytes.count else { break }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case 0x22: scratch.append(0x22)
                    case 0x5C: scratch.append(0x5C)
                    case 0x2F: scratch.append(0x2F)
                    case 0x62: scratch.append(0x08)
                    case 0x66: scratch.append(0x0C)
                    case 0x6E: scratch.append(0x0A)
                    case 0x72: scratch.append(0x0D)
                    case 0x74: scratch.append(0x09)
                    case 0x75:
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard position + 1 < bytes.count, bytes[position] == 0x5C, bytes[position + 1] == 0x75 else {
                                throw error("a lone UTF-16 surrogate in a \\u escape", at: position)
                            }
                            position += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error("an invalid UTF-16 surrogate pair", at: position) }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw error("a lone UTF-16 surrogate in a \\u escape", at: position)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw error("an invalid \\u escape", at: position) }
                        scratch.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default:
                        throw error("invalid escape \\\(Character(Unicode.Scalar(escape)))", at: position - 2)
                    }
                default:
                    if c < 0x20 { throw error("control character \(describe(c)) inside a string (write it escaped)", at: position) }
                    scratch.append(c)
                    position += 1
                }
            }
            throw error("unexpected end of file inside a string: the JSON is truncated", at: start)
        }

        /// RFC 3629 validation: `String(decoding:)` would silently repair bad bytes, and the generic
        /// `String(validating:)` takes a slow transcoding path.
        @inline(__always) func isValidUTF8(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
            var i = 0
            let n = buffer.count
            while i < n {
                let b0 = buffer[i]
                if b0 < 0x80 { i += 1; continue }
                let length: Int
                var minimum: UInt32
                var scalar: UInt32
                switch b0 {
                case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(b0 & 0x1F)
                case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(b0 & 0x0F)
                case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(b0 & 0x07)
                default: return false
                }
                guard i + length <= n else { return false }
                for k in 1..<length {
                    let b = buffer[i + k]
                    guard b & 0xC0 == 0x80 else { return false }
                    scalar = scalar << 6 | UInt32(b & 0x3F)
                }
                if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return false }
                i += length
            }
            return true
        }

        mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("unexpected end of file in a \\u escape", at: position) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[position]
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                default: throw error("invalid hexadecimal digit in a \\u escape", at: position)
                }
                value = value << 4 | digit
                position += 1
            }
            return value
        }

        mutating func parseNumber() throws(JSONSyntaxError) -> Double {
            let start = position
            if bytes[position] == 0x2D { position += 1 }
            func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
            guard isDigit(position) else { throw error("invalid number", at: start) }
            if bytes[position] == 0x30 {
                position += 1
                if isDigit(position) { throw error("invalid number: leading zero", at: start) }
            } else {
                while isDigit(position) { position += 1 }
            }
            if position < bytes.count, bytes[position] == 0x2E {
                position += 1
                guard isDigit(position) else { throw error("invalid number: no digits after the decimal point", at: start) }
                while isDigit(position) { position += 1 }
            }
            if position < bytes.count, bytes[position] == 0x65 || bytes[position] == 0x45 {
                position += 1
                if position < bytes.count, bytes[position] == 0x2B || bytes[position] == 0x2D { position += 1 }
                guard isDigit(position) else { throw error("invalid number: no digits in the exponent", at: start) }
                while isDigit(position) { position += 1 }
            }
            let length = position - start
            guard length < 64 else { throw error("number too long", at: start) }
            // strtod needs a NUL-terminated copy; numbers are short and rare in CSAF (scores only).
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
                for k in 0..<length { buffer[k] = CChar(bitPattern: bytes[start + k]) }
                buffer[length] = 0
                return strtod(buffer.baseAddress!, nil)
            }
        }
    }
}
