// libFuzzer target: vers ranges and vendor range text (Sources/Versions: VersRange, VendorRange+Reading,
// NativeRange, the version schemes, FirmwareVersion).
// Input: `range text` LF `version` [LF `other version`]. Every reading must return; deciding must not trap.
import Versions

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size <= 4096 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let parts = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    let rangeText = parts[0]
    let version = parts.count > 1 ? parts[1] : "1.0"
    let other = parts.count > 2 ? parts[2] : "2.0"

    // Vendor range text, lenient reading and deciding.
    let range = VendorRange.read(rangeText)
    _ = range.normalized
    _ = range.reading
    _ = range.coversAllVersions
    _ = range.decide(version: version)
    _ = range.decide(version: version, serialNumber: other)
    let verdict = range.verdict(version: version, firmware: FirmwareVersion(version))
    _ = range.reason(for: verdict)

    // Strict vers.
    if let vers = try? VersRange.parse(rangeText) {
        _ = vers.description
        _ = try? vers.contains(version)
    }
    if let vers = try? VersRange.normalizing(rangeText) {
        _ = try? vers.contains(other)
    }

    // Native ranges and the scheme comparisons, for one scheme chosen by the input.
    let schemes = VersionSchemes.all
    let scheme = schemes[Int(size % schemes.count)]
    if let vers = try? NativeRange.vers(fromNative: rangeText, scheme: scheme.name) {
        _ = try? vers.contains(version)
    }
    for scheme in schemes {
        _ = scheme.isValid(version)
        _ = scheme.normalize(version)
        _ = scheme.compare(version, other)
    }

    // Firmware ordering.
    if let a = FirmwareVersion(version), let b = FirmwareVersion(other) {
        _ = FirmwareVersion.compare(a, b)
    }
    return 0
}
