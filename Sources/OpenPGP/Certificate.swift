import Foundation

/// A transferable public key (RFC 4880 §11.1): the primary key, its user IDs and subkeys, with every self-signature
/// checked, so that expiry, revocation and signing capability are known.
public struct Certificate: Sendable {
    public struct Subkey: Sendable {
        public var key: PublicKey
        /// Seconds after the subkey's creation when it expires, from its newest valid binding signature.
        public var lifetime: UInt32?
        public var flags: UInt8?
        public var revocation: Revocation?
        /// Whether a valid binding signature (with its back-signature, for signing subkeys) was found.
        public var isBound: Bool
        public var canSign: Bool { isBound && (flags.map { $0 & 0x02 != 0 } ?? false) }
    }

    public struct Revocation: Sendable {
        public var created: UInt32
        public var reason: Signature.RevocationReason?
        public var text: String?

        public init(created: UInt32, reason: Signature.RevocationReason?, text: String?) {
            self.created = created
            self.reason = reason
            self.text = text
        }

        /// Key superseded or retired: signatures made before the revocation stay valid. Any other reason (or none,
        /// or "compromised") invalidates every signature.
        public var isSoft: Bool { reason == .superseded || reason == .retired }

        /// Whether a signature made at `time` (seconds since 1970) is invalid because of this revocation.
        public func invalidates(signatureMadeAt time: UInt32) -> Bool {
            !isSoft || time >= created
        }

        var sentence: String {
            let date = Certificate.format(created)
            let why: String = switch reason {
            case .superseded?: "superseded"
            case .retired?: "retired"
            case .compromised?: "compromised"
            default: "no reason given"
            }
            let text = (self.text?.isEmpty == false) ? ": \"\(self.text!)\"" : ""
            return "revoked on \(date) (\(why)\(text))"
        }
    }

    public var primary: PublicKey
    public var userIDs: [String]
    public var subkeys: [Subkey]
    /// Seconds after the primary key's creation when it expires, from its newest valid self-signature.
    public var lifetime: UInt32?
    public var flags: UInt8?
    public var revocation: Revocation?
    /// Whether at least one valid self-signature (certification of a user ID or direct key signature) was found.
    public var isSelfCertified: Bool
    /// Problems found while checking the self-signatures, for diagnostics (bad self-signatures are ignored).
    public var notes: [String]

    public var fingerprintHex: String { primary.fingerprintHex }

    /// When the primary key expires, if it does.
    public var expires: Date? {
        guard let lifetime, lifetime > 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(primary.created) + TimeInterval(lifetime))
    }

    /// Every certificate in armored or binary key material (a key file may hold several).
    public static func read(_ bytes: [UInt8]) throws -> [Certificate] {
        let packets = try Packet.readArmoredOrBinary(bytes)
        var groups: [[Packet]] = []
        for packet in packets {
            switch packet.tag {
            case Packet.Tag.publicKey.rawValue:
                groups.append([packet])
            case Packet.Tag.trust.rawValue, Packet.Tag.marker.rawValue:
                continue
            case 5, 7:
                throw OpenPGPError("the key material holds a secret key; give Vigil the public key only")
            default:
                guard !groups.isEmpty else {
                    throw OpenPGPError("the key material does not start with a public key packet (it starts with packet type \(packet.tag))")
                }
                groups[groups.count - 1].append(packet)
            }
        }
        guard !groups.isEmpty else { throw OpenPGPError("the key material holds no public key") }
        return try groups.map(Certificate.init(packets:))
    }

    init(packets: [Packet]) throws {
        primary = try PublicKey(packetBody: packets[0].body)
        userIDs = []
        subkeys = []
        isSelfCertified = false
        notes = []

        enum Component {
            case primary
            case userID([UInt8])
            case subkey(Int)
            case other
        }
        var component = Component.primary
        var newestSelfSignature: Signature?
        var subkeyBindings: [Int: Signature] = [:]

        for packet in packets.dropFirst() {
            switch packet.tag {
            case Packet.Tag.userID.rawValue:
                userIDs.append(String(decoding: packet.body, as: UTF8.self))
                component = .userID(packet.body)
            case Packet.Tag.userAttribute.rawValue:
                component = .other
            case Packet.Tag.publicSubkey.rawValue:
                do {
                    subkeys.append(Subkey(key: try PublicKey(packetBody: packet.body), isBound: false))
                    component = .subkey(subkeys.count - 1)
                } catch {
                    notes.append("a subkey was skipped: \(error)")
                    component = .other
                }
            case Packet.Tag.signature.rawValue:
                guard let signature = try? Signature(packetBody: packet.body), signature.version == 4 else {
                    notes.append("an unreadable or non-v4 signature at byte \(packet.offset) was ignored")
                    continue
                }
                // Only self-signatures matter here; certifications by other keys are not a trust model Vigil uses.
                guard signature.names(primary) else { continue }
                switch component {
                case .primary where signature.type == 0x20:
                    if case .success = check(signature, over: [primary.hashPrefix, primary.body], by: primary) {
                        revocation = Revocation(created: signature.created ?? 0, reason: signature.revocationReason, text: signature.revocationText)
                    }
                case .primary where signature.type == 0x1F:
                    if case .success = check(signature, over: [primary.hashPrefix, primary.body], by: primary) {
                        isSelfCertified = true
                        newestSelfSignature = Certificate.newer(newestSelfSignature, signature)
                    }
                case .userID(let uid) where (0x10...0x13).contains(signature.type):
                    let uidPrefix: [UInt8] = [0xB4, UInt8(uid.count >> 24 & 0xFF), UInt8(uid.count >> 16 & 0xFF), UInt8(uid.count >> 8 & 0xFF), UInt8(uid.count & 0xFF)]
                    switch check(signature, over: [primary.hashPrefix, primary.body, uidPrefix, uid], by: primary) {
                    case .success:
                        isSelfCertified = true
                        newestSelfSignature = Certificate.newer(newestSelfSignature, signature)
                    case .failure(let error):
                        notes.append("a self-signature on user ID \"\(String(decoding: uid, as: UTF8.self))\" does not verify: \(error)")
                    }
                case .subkey(let index) where signature.type == 0x18:
                    let subkey = subkeys[index].key
                    let parts = [primary.hashPrefix, primary.body, subkey.hashPrefix, subkey.body]
                    guard case .success = check(signature, over: parts, by: primary) else {
                        notes.append("a binding signature of subkey \(subkey.fingerprintHex) does not verify")
                        continue
                    }
                    if let flags = signature.keyFlags, flags & 0x02 != 0 {
                        // A signing subkey must sign the primary back (RFC 4880 §5.2.1, 0x19), or anyone could
                        // claim someone else's signing key as their own subkey.
                        let backSigned = signature.embeddedSignatures.contains { embedded in
                            guard embedded.type == 0x19 else { return false }
                            if case .success = check(embedded, over: parts, by: subkey) { return true }
                            return false
                        }
                        guard backSigned else {
                            notes.append("signing subkey \(subkey.fingerprintHex) has no valid back-signature and is not used")
                            continue
                        }
                    }
                    if let current = subkeyBindings[index], (current.created ?? 0) > (signature.created ?? 0) { continue }
                    subkeyBindings[index] = signature
                case .subkey(let index) where signature.type == 0x28:
                    let subkey = subkeys[index].key
                    if case .success = check(signature, over: [primary.hashPrefix, primary.body, subkey.hashPrefix, subkey.body], by: primary) {
                        subkeys[index].revocation = Revocation(created: signature.created ?? 0, reason: signature.revocationReason, text: signature.revocationText)
                    }
                default:
                    continue
                }
            default:
                continue
            }
        }
        if let newestSelfSignature {
            lifetime = newestSelfSignature.keyLifetime
            flags = newestSelfSignature.keyFlags
        }
        for (index, binding) in subkeyBindings {
            subkeys[index].isBound = true
            subkeys[index].lifetime = binding.keyLifetime
            subkeys[index].flags = binding.keyFlags
        }
    }

    private static func newer(_ a: Signature?, _ b: Signature) -> Signature {
        guard let a else { return b }
        // Prefer the newest; on a tie prefer the one that marks the primary user ID.
        if (b.created ?? 0) != (a.created ?? 0) { return (b.created ?? 0) > (a.created ?? 0) ? b : a }
        return b.isPrimaryUserID ? b : a
    }

    /// Verifies a key signature made by `key` over `parts`.
    func check(_ signature: Signature, over parts: [[UInt8]], by key: PublicKey) -> Result<Void, OpenPGPError> {
        guard signature.unknownCritical.isEmpty else {
            return .failure(OpenPGPError("it has critical subpackets Vigil does not understand (\(signature.unknownCritical))"))
        }
        switch signature.digest(over: parts) {
        case .failure(let error): return .failure(error)
        case .success(let digest): return key.verify(signature, digest: digest)
        }
    }

    /// `YYYY-MM-DD` in UTC for an OpenPGP time field (days-from-civil inverse, H. Hinnant); no formatter objects,
    /// which cost more than a verification.
    static func format(_ time: UInt32) -> String {
        let days = Int(time) / 86_400 + 719_468
        let era = days / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPart = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPart + 2) / 5 + 1
        let month = monthPart < 10 ? monthPart + 3 : monthPart - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }
}
