/// One OpenPGP packet (RFC 4880 §4): its tag and body, from old- or new-format headers.
public struct Packet: Sendable, Equatable {
    public enum Tag: Int, Sendable {
        case signature = 2
        case publicKey = 6
        case userID = 13
        case publicSubkey = 14
        case userAttribute = 17
        case trust = 12
        case marker = 10
    }

    public var tag: Int
    public var body: [UInt8]
    /// Where the packet starts in the binary data, for error messages.
    public var offset: Int

    public init(tag: Int, body: [UInt8], offset: Int = 0) {
        self.tag = tag
        self.body = body
        self.offset = offset
    }

    /// The packet in new format with a five-octet length, as binary keyrings and detached signatures hold it.
    public var encoded: [UInt8] {
        let length = UInt32(body.count)
        return [0xC0 | UInt8(tag & 0x3F), 0xFF, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
                UInt8(length & 0xFF)] + body
    }

    /// Reads every packet of binary OpenPGP data.
    public static func readAll(_ data: [UInt8]) throws -> [Packet] {
        var packets: [Packet] = []
        var offset = 0
        while offset < data.count {
            let start = offset
            let ctb = data[offset]
            offset += 1
            guard ctb & 0x80 != 0 else {
                throw OpenPGPError("packet at byte \(start): \(ctb) is not a packet header (the data is not binary OpenPGP, or is damaged)")
            }
            var body: [UInt8] = []
            let tag: Int
            if ctb & 0x40 != 0 {
                tag = Int(ctb & 0x3F)
                // New format, possibly in partial body lengths.
                while true {
                    guard offset < data.count else { throw OpenPGPError("packet at byte \(start): truncated in its length") }
                    let first = Int(data[offset])
                    offset += 1
                    var length: Int
                    var partial = false
                    switch first {
                    case 0..<192:
                        length = first
                    case 192..<224:
                        guard offset < data.count else { throw OpenPGPError("packet at byte \(start): truncated in its length") }
                        length = ((first - 192) << 8) + Int(data[offset]) + 192
                        offset += 1
                    case 255:
                        guard offset + 4 <= data.count else { throw OpenPGPError("packet at byte \(start): truncated in its length") }
                        length = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
                        offset += 4
                    default:
                        length = 1 << (first & 0x1F)
                        partial = true
                    }
                    guard length <= data.count - offset else {
                        throw OpenPGPError("packet at byte \(start): its length says \(length) bytes, only \(data.count - offset) follow (the data is truncated)")
                    }
                    body += data[offset..<offset + length]
                    offset += length
                    if !partial { break }
                }
            } else {
                tag = Int((ctb >> 2) & 0x0F)
                let lengthType = ctb & 0x03
                let length: Int
                switch lengthType {
                case 0:
                    guard offset + 1 <= data.count else { throw OpenPGPError("packet at byte \(start): truncated in its length") }
                    length = Int(data[offset])
                    offset += 1
                case 1:
                    guard offset + 2 <= data.count else { throw OpenPGPError("packet at byte \(start): truncated in its length") }
                    length = Int(data[offset]) << 8 | Int(data[offset + 1])
                    offset += 2
                case 2:
                    guard offset + 4 <= data.count else { throw OpenPGPError("packet at byte \(start): truncated in its length") }
                    length = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
                    offset += 4
                default:
                    length = data.count - offset
                }
                guard length <= data.count - offset else {
                    throw OpenPGPError("packet at byte \(start): its length says \(length) bytes, only \(data.count - offset) follow (the data is truncated)")
                }
                body = Array(data[offset..<offset + length])
                offset += length
            }
            packets.append(Packet(tag: tag, body: body, offset: start))
        }
        return packets
    }

    /// Binary packets from bytes that are either binary OpenPGP or ASCII armor (every block's packets, in order).
    public static func readArmoredOrBinary(_ bytes: [UInt8]) throws -> [Packet] {
        if Armor.looksArmored(bytes) {
            let blocks = try Armor.decode(bytes)
            guard !blocks.isEmpty else { throw OpenPGPError("no \"-----BEGIN PGP …-----\" block was found in the text") }
            return try blocks.flatMap { try readAll($0.data) }
        }
        return try readAll(bytes)
    }
}
