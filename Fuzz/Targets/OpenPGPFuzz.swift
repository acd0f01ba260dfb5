// libFuzzer target: OpenPGP armor, packets, certificates and signatures (Sources/OpenPGP: Armor, Packet,
// Certificate.read, Signature, Keyring). The input is read as armor, as binary packets, as signature packet bodies
// and as certificates; then, when it holds a "-----BEGIN PGP SIGNATURE-----" block, the text before it is the
// keyring and the block the detached signature of "Vigil fuzz\n" (the key-and-sig seeds verify), otherwise the
// whole input is tried as both. With VIGIL_FUZZ_VERBOSE=1 the verification outcome is printed.
import OpenPGP
#if canImport(Glibc)
import Glibc
#endif

private let verbose = getenv("VIGIL_FUZZ_VERBOSE") != nil
private let signedText = Array("Vigil fuzz\n".utf8)
private let signatureMarker = Array("-----BEGIN PGP SIGNATURE-----".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = Armor.looksArmored(bytes)
    if let blocks = try? Armor.decode(bytes) {
        for block in blocks { _ = Armor.crc24(block.data) }
    }
    if let packets = try? Packet.readArmoredOrBinary(bytes) {
        for packet in packets where packet.tag == 2 {
            _ = try? Signature(packetBody: packet.body)
        }
    }
    _ = try? Signature(packetBody: bytes)

    var keyBytes = bytes
    var signatureBytes = bytes
    if let start = firstIndex(of: signatureMarker, in: bytes) {
        keyBytes = Array(bytes[..<start])
        signatureBytes = Array(bytes[start...])
    }
    do {
        let certificates = try Certificate.read(keyBytes)
        for certificate in certificates {
            _ = certificate.primary.fingerprintHex
            _ = certificate.subkeys.map(\.canSign)
        }
        let keyring = try Keyring(keyFiles: [keyBytes])
        let outcome = keyring.verify(signature: signatureBytes, of: signedText)
        if verbose { print("\(certificates.count) certificate(s); verification: \(outcome)") }
    } catch {
        if verbose { print("refused: \(error)") }
    }
    return 0
}

private func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
    }
    return nil
}
