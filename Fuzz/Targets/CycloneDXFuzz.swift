// libFuzzer target: the CycloneDX inventory reader (Sources/Matching/CycloneDXReader.swift), and the format sniffing
// in InventoryReader. Every input must give a result (assets and/or problems), never a trap.
import Matching

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = CycloneDXReader.read(bytes)
    _ = CycloneDXReader.read(bytes, limits: InventoryLimits(maxBytes: 4096, maxAssets: 3, maxFieldLength: 16, maxListedProblems: 2))
    _ = InventoryReader.read(bytes, fileName: nil)
    return 0
}
