/// Lists of numbers, each stored once end to end and numbered in the order first seen, found again by a hash of their
/// elements in an open-addressing table: what matching one advisory uses to number sets of cells (and lists of such
/// sets), so that assets whose chosen cells are the same share their product IDs, without an array or a `Hasher` per
/// lookup.
struct NumberSets {
    private var elements: [Int32] = []
    /// Where each list starts in `elements`, and one more at the end.
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// List numbers by hash, -1 where empty; the size is a power of two, at least twice the lists.
    private var table: [Int32]

    init(expecting count: Int = 0) {
        var size = 16
        while size < 2 * count { size *= 2 }
        table = [Int32](repeating: -1, count: size)
    }

    /// How many distinct lists have been seen.
    var count: Int { hashes.count }

    /// The list numbered `number`.
    func list(_ number: Int32) -> ArraySlice<Int32> {
        elements[starts[Int(number)]..<starts[Int(number) + 1]]
    }

    /// The number of `list`, and whether it was new (then it is numbered `count - 1`).
    mutating func number(of list: [Int32]) -> (number: Int32, isNew: Bool) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in list { hash = (hash ^ UInt64(UInt32(bitPattern: value))) &* 0x0000_0100_0000_01B3 }
        let mask = table.count - 1
        var slot = Self.slot(hash, mask)
        while true {
            let entry = table[slot]
            if entry < 0 { break }
            if hashes[Int(entry)] == hash {
                let start = starts[Int(entry)]
                let end = starts[Int(entry) + 1]
                if end - start == list.count, Self.equal(elements, start, list) { return (entry, false) }
            }
            slot = (slot + 1) & mask
        }
        let number = Int32(hashes.count)
        elements += list
        starts.append(elements.count)
        hashes.append(hash)
        table[slot] = number
        if 2 * hashes.count > table.count { grow() }
        return (number, true)
    }

    /// Whether `list` is stored in `elements` from `start` (a plain loop: `elementsEqual` over a slice was not inlined).
    private static func equal(_ elements: [Int32], _ start: Int, _ list: [Int32]) -> Bool {
        for offset in list.indices where elements[start + offset] != list[offset] { return false }
        return true
    }

    /// Where probing for `hash` starts. FNV's low bits mix poorly: the slot comes from a multiplied hash's high bits.
    private static func slot(_ hash: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private mutating func grow() {
        table = [Int32](repeating: -1, count: table.count * 2)
        let mask = table.count - 1
        for (number, hash) in hashes.enumerated() {
            var slot = Self.slot(hash, mask)
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(number)
        }
    }
}
