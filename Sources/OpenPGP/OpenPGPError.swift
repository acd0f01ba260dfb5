/// Why OpenPGP material could not be read or a signature could not be checked, as a sentence a person can act on.
public struct OpenPGPError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Bounds-checked reading of packet bodies: every read either yields the bytes or throws, naming what was being read.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    mutating func byte(_ what: @autoclosure () -> String) throws -> UInt8 {
        guard offset < end else { throw OpenPGPError("truncated: \(what()) is missing") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw OpenPGPError("truncated: \(what()) needs \(count) bytes, \(max(remaining, 0)) are left")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func uint16(_ what: @autoclosure () -> String) throws -> Int {
        let b = try take(2, what())
        return Int(b[0]) << 8 | Int(b[1])
    }

    mutating func uint32(_ what: @autoclosure () -> String) throws -> UInt32 {
        let b = try take(4, what())
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    /// A multiprecision integer (RFC 4880 §3.2): a two-octet bit count, then the big-endian value.
    mutating func mpi(_ what: @autoclosure () -> String) throws -> [UInt8] {
        let bits = try uint16("the bit count of \(what())")
        var value = try take((bits + 7) / 8, what())
        // Normalise: OpenPGP values carry no leading zero bytes, but be lenient with writers that add them.
        if let first = value.firstIndex(where: { $0 != 0 }) {
            value.removeFirst(first)
        } else {
            value = []
        }
        return value
    }

    mutating func rest() -> [UInt8] {
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// Left-pads a big-endian value with zero bytes to `length` (OpenPGP strips leading zeros from MPIs; signature and
/// key formats elsewhere are fixed-width).
func leftPad(_ value: [UInt8], to length: Int) -> [UInt8]? {
    guard value.count <= length else { return nil }
    return [UInt8](repeating: 0, count: length - value.count) + value
}

func hexString(_ bytes: some Sequence<UInt8>, uppercase: Bool = true) -> String {
    let table: [UInt8] = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(table[Int(byte >> 4)])
        out.append(table[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
