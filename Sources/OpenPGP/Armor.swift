/// ASCII armor (RFC 4880 §6): `-----BEGIN PGP …-----`, optional headers, base64 data, an optional CRC-24 checksum.
public enum Armor {
    public struct Block: Sendable, Equatable {
        /// What the header line names, e.g. `PGP SIGNATURE` or `PGP PUBLIC KEY BLOCK`.
        public var label: String
        public var headers: [String: String]
        public var data: [UInt8]

        public init(label: String, headers: [String: String], data: [UInt8]) {
            self.label = label
            self.headers = headers
            self.data = data
        }
    }

    /// Whether the bytes start like armor (after optional whitespace) rather than like a binary packet.
    public static func looksArmored(_ bytes: [UInt8]) -> Bool {
        // A binary packet's first octet always has its top bit set; armor is ASCII text.
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return false }
        return first & 0x80 == 0
    }

    /// Every armored block in the text, in order. Text outside the blocks is ignored, as in a key file with a comment.
    ///
    /// Works on bytes, line by line: a signature is checked for every document, and string processing here once
    /// cost more than the SHA-512 of the document.
    public static func decode(_ bytes: [UInt8]) throws -> [Block] {
        let begin = Array("-----BEGIN ".utf8), dashes = Array("-----".utf8), end = Array("-----END ".utf8)
        var blocks: [Block] = []
        var lines = LineIterator(bytes)
        while let line = lines.next() {
            guard line.count > 16, bytes[line].starts(with: begin), bytes[line].reversed().starts(with: dashes) else { continue }
            let labelBytes = bytes[(line.lowerBound + 11)..<(line.upperBound - 5)]
            let label = String(decoding: labelBytes, as: UTF8.self)
            let beginLine = lines.lineNumber
            var headers: [String: String] = [:]
            var base64 = Base64Decoder()
            var checksum: ArraySlice<UInt8>?
            var inHeaders = true
            var ended = false
            while let next = lines.next() {
                let content = bytes[next]
                if content.starts(with: end) {
                    guard content.dropFirst(end.count).elementsEqual(labelBytes + dashes) else {
                        throw OpenPGPError("armor: line \(lines.lineNumber) ends another block than the \"\(label)\" that begins on line \(beginLine)")
                    }
                    ended = true
                    break
                }
                if content.starts(with: dashes) {
                    throw OpenPGPError("armor: line \(lines.lineNumber) is \"\(String(decoding: content.prefix(40), as: UTF8.self))\" where \"-----END \(label)-----\" was expected")
                }
                if inHeaders {
                    if content.isEmpty { inHeaders = false; continue }
                    if let colon = content.firstIndex(of: UInt8(ascii: ":")), colon + 1 < content.endIndex, content[colon + 1] == 0x20 {
                        headers[String(decoding: content[..<colon], as: UTF8.self)] = String(decoding: content[(colon + 2)...], as: UTF8.self)
                        continue
                    }
                    // No blank line after the BEGIN line: some writers omit it; the data starts here.
                    inHeaders = false
                }
                if content.isEmpty { continue }
                if content.first == UInt8(ascii: "="), content.count == 5 {
                    checksum = content.dropFirst()
                    continue
                }
                try base64.add(content, what: "the \(label) block that begins on line \(beginLine)")
            }
            guard ended else {
                throw OpenPGPError("armor: the block \"\(label)\" that begins on line \(beginLine) has no END line (the file is truncated)")
            }
            let data = try base64.finish(what: "the \(label) block that begins on line \(beginLine)")
            if let checksum {
                var decoder = Base64Decoder()
                try decoder.add(checksum, what: "the armor checksum")
                let expected = try decoder.finish(what: "the armor checksum")
                let value = expected.count == 3 ? UInt32(expected[0]) << 16 | UInt32(expected[1]) << 8 | UInt32(expected[2]) : nil
                guard value == crc24(data) else {
                    throw OpenPGPError("armor: the checksum of the \(label) block that begins on line \(beginLine) does not match its data (the armor was altered or damaged)")
                }
            }
            blocks.append(Block(label: label, headers: headers, data: data))
        }
        return blocks
    }

    /// Lines of a byte buffer as index ranges, without their line break (LF, CR LF or CR) or trailing blanks.
    struct LineIterator {
        let bytes: [UInt8]
        var position = 0
        var lineNumber = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func next() -> Range<Int>? {
            guard position < bytes.count else { return nil }
            let start = position
            var stop = start
            while stop < bytes.count, bytes[stop] != 0x0A, bytes[stop] != 0x0D { stop += 1 }
            position = stop
            if position < bytes.count {
                if bytes[position] == 0x0D, position + 1 < bytes.count, bytes[position + 1] == 0x0A { position += 2 } else { position += 1 }
            }
            lineNumber += 1
            while stop > start, bytes[stop - 1] == 0x20 || bytes[stop - 1] == 0x09 { stop -= 1 }
            return start..<stop
        }
    }

    /// Streaming base64 (RFC 4648) with padding; blanks inside lines are skipped.
    struct Base64Decoder {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0

        static let table: [UInt8] = {
            var table = [UInt8](repeating: 0xFF, count: 256)
            for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { table[Int(c)] = UInt8(i) }
            table[Int(UInt8(ascii: "="))] = 0xFE
            table[0x20] = 0xFD
            table[0x09] = 0xFD
            return table
        }()

        mutating func add(_ chunk: ArraySlice<UInt8>, what: @autoclosure () -> String) throws {
            let table = Base64Decoder.table
            for c in chunk {
                let value = table[Int(c)]
                switch value {
                case 0xFD: continue
                case 0xFE: padding += 1; continue
                case 0xFF: throw OpenPGPError("armor: \(what()) holds a character that is not base64 (byte \(c))")
                default: break
                }
                guard padding == 0 else { throw OpenPGPError("armor: \(what()) has base64 data after its padding") }
                accumulator = accumulator << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                }
            }
        }

        func finish(what: @autoclosure () -> String) throws -> [UInt8] {
            guard padding <= 2, bits < 6 else { throw OpenPGPError("armor: \(what()) is not whole base64 (it was cut off)") }
            return out
        }
    }

    /// The CRC-24 of RFC 4880 §6.1.
    public static func crc24(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xB704CE
        let table = crcTable
        for byte in data {
            crc = (crc << 8 ^ table[Int((crc >> 16 ^ UInt32(byte)) & 0xFF)]) & 0xFFFFFF
        }
        return crc
    }

    /// The CRC-24 of each byte value, for table-driven computation.
    static let crcTable: [UInt32] = (0..<256).map { (value: Int) -> UInt32 in
        var crc = UInt32(value) << 16
        for _ in 0..<8 {
            crc <<= 1
            if crc & 0x1000000 != 0 { crc ^= 0x1864CFB }
        }
        return crc & 0xFFFFFF
    }
}
