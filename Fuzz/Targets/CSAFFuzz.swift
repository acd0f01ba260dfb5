// libFuzzer target: the CSAF reader (Sources/CSAF/CSAFDocumentReader.swift): JSON, classification, CSAF decoding,
// validation, identifier checks and normalisation into an advisory, and the CSAF 2.0 §6 tests (Conformance/) as
// imports run them and as `vigil validate` runs them on any JSON. Any input must be read or refused with
// CSAFReadError. With VIGIL_FUZZ_VERBOSE=1 each input's outcome is printed (to check what a seed reaches).
import CSAF
#if canImport(Glibc)
import Glibc
#endif

private let verbose = getenv("VIGIL_FUZZ_VERBOSE") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let content = try CSAFDocumentReader.read(bytes, conformance: true)
        if verbose {
            switch content {
            case .csaf(let parsed):
                print("read: \(parsed.advisory.id), vendors \(parsed.advisory.vendors), cves \(parsed.advisory.cves)")
            default:
                print("read: \(content)")
            }
        }
    } catch {
        if verbose { print("refused: \(error)") }
    }
    _ = try? CSAFDocumentReader.read(bytes, checkIdentifiers: false)
    // The tests on whatever parses, CSAF or not: vigil validate runs them on any JSON with a document member.
    if let value = try? JSONParser.parse(bytes) { _ = CSAFConformance.check(value) }
    return 0
}
