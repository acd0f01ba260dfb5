import CSAF

/// Writes a `JSONValue` (CSAF's reader's tree) back as JSON bytes, pretty-printed with two spaces as CISA and most
/// providers publish their documents, members in the order the tree holds them.
///
/// For `vigil-bench corpus`, which rewrites real documents into new ones: Foundation's `JSONSerialization` would
/// reorder keys, escape slashes and cost several times more per document.
enum JSONWriter {
    static func write(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 * 1024)
        write(value, into: &out, indent: 0)
        out.append(0x0A)
        return out
    }

    private static func newline(_ out: inout [UInt8], indent: Int) {
        out.append(0x0A)
        for _ in 0..<indent { out.append(0x20) }
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8], indent: Int) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let flag):
            out.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case .number(let number):
            writeNumber(number, into: &out)
        case .string(let text):
            writeString(text, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out += [0x5B, 0x5D]; return }
            out.append(0x5B)
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(0x2C) }
                newline(&out, indent: indent + 2)
                write(item, into: &out, indent: indent + 2)
            }
            newline(&out, indent: indent)
            out.append(0x5D)
        case .object(let members):
            guard !members.isEmpty else { out += [0x7B, 0x7D]; return }
            out.append(0x7B)
            for (position, member) in members.enumerated() {
                if position > 0 { out.append(0x2C) }
                newline(&out, indent: indent + 2)
                writeString(member.key, into: &out)
                out += [0x3A, 0x20]
                write(member.value, into: &out, indent: indent + 2)
            }
            newline(&out, indent: indent)
            out.append(0x7D)
        }
    }

    /// Integers as integers (`5`, not `5.0`); other values in Swift's shortest round-trip form (`9.8`, `1e-05`), which
    /// is valid JSON.
    private static func writeNumber(_ number: Double, into out: inout [UInt8]) {
        if number.isFinite, number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(number)).utf8)
        } else if number.isFinite {
            out.append(contentsOf: "\(number)".utf8)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string: quotes, backslashes and control characters escaped; everything else as its UTF-8 bytes.
    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x08: out += [0x5C, 0x62]
            case 0x0C: out += [0x5C, 0x66]
            case 0..<0x20: out += [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}

extension JSONValue {
    /// The members of an object (none for anything else).
    var members: [JSONMember] {
        if case .object(let members) = self { return members }
        return []
    }

    /// The items of an array (none for anything else).
    var items: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    /// Sets `key` in an object, in place of its value if it has one, else at the end. Does nothing to non-objects.
    mutating func set(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        self = .null // drop the enum's reference, so `members` is uniquely held and changed in place
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = value
        } else {
            members.append(JSONMember(key: key, value: value))
        }
        self = .object(members)
    }

    /// Removes `key` from an object.
    mutating func remove(_ key: String) {
        guard case .object(var members) = self else { return }
        self = .null
        members.removeAll { $0.key == key }
        self = .object(members)
    }
}
