// libFuzzer target: the CSV inventory reader (Sources/Matching/InventoryCSVReader.swift). Every input must give a
// result (assets and/or problems), never a trap; small limits exercise the limit paths on the same input.
import Matching

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = InventoryCSVReader.read(bytes)
    _ = InventoryCSVReader.read(bytes, limits: InventoryLimits(maxBytes: 4096, maxAssets: 3, maxFieldLength: 16, maxListedProblems: 2))
    _ = InventoryReader.read(bytes, fileName: "inventory.csv")
    return 0
}
