import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hosts on this machine: the one place plain HTTP is accepted, for provider mirrors, webhook receivers and tests.
public enum LoopbackHost {
    /// The name `localhost`, an IPv4 literal in 127.0.0.0/8 or the IPv6 literal `::1` (with or without brackets), in
    /// any case. A name such as `127.attacker.example` is not: what it resolves to is the DNS owner's choice.
    public static func contains(_ host: String) -> Bool {
        let bare = OutboundPolicy.bare(host)
        return bare == "localhost" || OutboundPolicy.scope(ofAddress: bare) == .loopback
    }
}

/// What kind of destination an IP address is.
public enum AddressScope: String, Sendable, Equatable {
    /// 127.0.0.0/8, ::1.
    case loopback
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7.
    case privateNetwork = "private"
    /// 169.254/16 (where clouds answer with instance metadata and credentials), fe80::/10.
    case linkLocal = "link-local"
    /// 0.0.0.0/8, ::, multicast, broadcast and other addresses nothing legitimate is fetched from.
    case reserved
    case `public`

    /// How a sentence names it.
    var phrase: String {
        switch self {
        case .loopback: "a loopback address (this machine)"
        case .privateNetwork: "a private-network address"
        case .linkLocal: "a link-local address (169.254.0.0/16 is where cloud instance metadata answers)"
        case .reserved: "a reserved address"
        case .public: "a public address"
        }
    }
}

/// Where the administrator allows Vigil to connect for one provider source or one webhook channel.
public struct OutboundAccess: Sendable, Equatable {
    /// Loopback addresses (127.0.0.0/8, ::1).
    public var loopback: Bool
    /// Private, link-local and loopback addresses: the explicit `--allow-private-network` option.
    public var privateNetwork: Bool
    /// Plain HTTP to any host: only for checking that a document's links resolve (`vigil validate --online`), never
    /// for fetching what Vigil reads.
    public var plainHTTP = false

    public init(loopback: Bool, privateNetwork: Bool) {
        self.loopback = loopback || privateNetwork
        self.privateNetwork = privateNetwork
    }

    /// What a URL the administrator configured allows: a loopback literal (`127.0.0.1`, `::1`, `localhost`) written
    /// by the administrator is consent for loopback (local mirrors, receivers on this machine, tests); private and
    /// link-local networks need the explicit option. A redirect or a URL named by a provider's documents gets the
    /// access of the configured URL, never its own.
    public static func configured(_ url: String, allowPrivateNetwork: Bool = false) -> OutboundAccess {
        let host = URLComponents(string: url)?.host ?? ""
        return OutboundAccess(loopback: !host.isEmpty && LoopbackHost.contains(host), privateNetwork: allowPrivateNetwork)
    }
}

/// The one outbound policy for provider fetches and webhook posts: HTTPS anywhere public; plain HTTP only to a
/// loopback host written as such (an IP literal or `localhost`), and only when every address it resolves to is
/// loopback; private, link-local and loopback destinations (checked on the resolved addresses, so a public name
/// pointing at 10.0.0.1 or 127.0.0.1 is caught) only where the administrator allowed them; redirects checked hop by hop.
public enum OutboundPolicy {
    /// A refusal, and whether it is about the URL itself (scheme, syntax) or its destination.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable { case badURL, insecure, destination }
        public var kind: Kind
        public var message: String
        public var description: String { message }
    }

    /// The host without brackets, lower-cased.
    public static func bare(_ host: String) -> String {
        var bare = Substring(host.lowercased())
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        return String(bare)
    }

    /// The scope of an IP address literal; nil when `address` is not one.
    public static func scope(ofAddress address: String) -> AddressScope? {
        let text = bare(address)
        var v4 = in_addr(), v6 = in6_addr()
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            let bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return scope(ipv4: bytes)
        }
        // Zone identifiers (fe80::1%eth0) are not accepted by inet_pton: judge the address before the `%`.
        let unzoned = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        guard unzoned.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 else { return nil }
        let b = withUnsafeBytes(of: &v6) { Array($0) }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? .loopback : .reserved }  // ::1, ::
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses are judged as the IPv4 address.
        if b[0..<10].allSatisfy({ $0 == 0 }), (b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0) {
            return scope(ipv4: Array(b[12..<16]))
        }
        if b[0] & 0xfe == 0xfc { return .privateNetwork }  // fc00::/7
        if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return .linkLocal }  // fe80::/10
        if b[0] == 0xfe, b[1] & 0xc0 == 0xc0 { return .privateNetwork }  // fec0::/10, deprecated site-local
        if b[0] == 0xff { return .reserved }  // multicast
        return .public
    }

    static func scope(ipv4 b: [UInt8]) -> AddressScope {
        switch (b[0], b[1]) {
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168): return .privateNetwork
        case (100, 64...127): return .privateNetwork
        case (169, 254): return .linkLocal
        case (0, _), (224...255, _): return .reserved
        default: return .public
        }
    }

    /// Whether `url` may be requested at all, before any lookup: a valid URL, HTTPS, or plain HTTP to a loopback host
    /// written as such; and when the host is an IP literal, whether `access` allows its scope. `option` names what
    /// allows private destinations (`vigil sources add --allow-private-network`), `what` the thing refused.
    public static func check(_ url: String, access: OutboundAccess, option: String, what: String = "request") -> Refusal? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            return Refusal(kind: .badURL, message: "\(url) is not a valid URL (expected https://…)")
        }
        switch scheme {
        case "https": break
        case "http" where LoopbackHost.contains(host) || access.plainHTTP: break
        case "http":
            return Refusal(kind: .insecure, message: "\(url) uses plain HTTP, which is accepted only for a host on this machine written as 127.0.0.1, ::1 or localhost; use https://")
        default:
            return Refusal(kind: .badURL, message: "\(url): only https:// URLs are accepted")
        }
        if scope(ofAddress: host) != nil {
            return checkDestination(url: url, host: host, addresses: [bare(host)], access: access, option: option, what: what)
        }
        return nil
    }

    /// Whether the addresses `host` resolved to may be connected to under `access`. Loopback addresses need loopback
    /// access; and a plain-HTTP URL's host, accepted as being on this machine, must resolve to loopback only.
    public static func checkDestination(url: String, host: String, addresses: [String], access: OutboundAccess,
                                        option: String, what: String = "request") -> Refusal? {
        let plainHTTP = URLComponents(string: url)?.scheme?.lowercased() == "http" && !access.plainHTTP
        for address in addresses {
            let scope = scope(ofAddress: address) ?? .reserved
            let named = bare(host) == bare(address) ? "\(host) is" : "\(host) resolves to \(address),"
            switch scope {
            case .public:
                if plainHTTP {
                    return Refusal(kind: .insecure, message: "\(url) uses plain HTTP but \(named) not on this machine; use https://")
                }
            case .loopback:
                if !access.loopback {
                    return Refusal(kind: .destination, message: "refused to \(what) \(url): \(named) \(scope.phrase); "
                                   + "only a URL written with 127.0.0.1, ::1 or localhost, or \(option), allows that")
                }
            case .privateNetwork, .linkLocal, .reserved:
                if !access.privateNetwork || scope == .reserved {
                    let allow = scope == .reserved ? "nothing allows that" : "\(option) allows that"
                    return Refusal(kind: .destination, message: "refused to \(what) \(url): \(named) \(scope.phrase); \(allow)")
                }
                if plainHTTP {
                    return Refusal(kind: .insecure, message: "\(url) uses plain HTTP but \(named) not on this machine; use https://")
                }
            }
        }
        return nil
    }

    /// Whether a redirect from `from` to `to` may be followed (the target is checked like any URL besides): an HTTPS
    /// URL is never redirected to plain HTTP, except from a loopback host to a loopback host (a mirror on this machine).
    public static func checkRedirect(from: String, to: String) -> Refusal? {
        guard let source = URLComponents(string: from), let target = URLComponents(string: to) else {
            return Refusal(kind: .badURL, message: "\(from) redirected to \(to), which is not a valid URL")
        }
        if source.scheme?.lowercased() == "https", target.scheme?.lowercased() == "http",
           !(LoopbackHost.contains(source.host ?? "") && LoopbackHost.contains(target.host ?? "")) {
            return Refusal(kind: .insecure, message: "\(from) redirected to \(to): an HTTPS URL is not followed to plain HTTP "
                           + "(only a mirror on this machine may redirect from one loopback address to another)")
        }
        return nil
    }

    /// The addresses `host` resolves to (getaddrinfo on a thread of its own, never the caller's), or why it does not
    /// resolve within `timeout`. An IP literal is its own answer.
    public static func resolve(_ host: String, timeout: TimeInterval) async -> Result<[String], Refusal> {
        let name = bare(host)
        if scope(ofAddress: name) != nil { return .success([name]) }
        let once = Mutex<CheckedContinuation<Result<[String], Refusal>, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            once.withLock { $0 = continuation }
            DispatchQueue.global(qos: .utility).async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                let code = getaddrinfo(name, nil, &hints, &result)
                var addresses: [String] = []
                var next = result
                while let entry = next {
                    if let address = numeric(entry.pointee.ai_addr, length: entry.pointee.ai_addrlen) { addresses.append(address) }
                    next = entry.pointee.ai_next
                }
                if let result { freeaddrinfo(result) }
                let answer: Result<[String], Refusal> = code == 0 && !addresses.isEmpty
                    ? .success(addresses)
                    : .failure(Refusal(kind: .destination, message: "the host name \(host) does not resolve (\(code == 0 ? "no addresses" : String(cString: gai_strerror(code)))); check the URL and this machine's DNS"))
                once.withLock { $0.take() }?.resume(returning: answer)
            }
            DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + timeout) {
                let seconds = timeout == timeout.rounded() ? "\(Int(timeout)) s" : String(format: "%.1f s", timeout)
                once.withLock { $0.take() }?.resume(returning: .failure(Refusal(
                    kind: .destination, message: "looking up the host name \(host) took over \(seconds) (DNS does not answer); check this machine's DNS")))
            }
        }
    }

    private static func numeric(_ address: UnsafeMutablePointer<sockaddr>?, length: socklen_t) -> String? {
        guard let address else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else { return nil }
        return String(cString: buffer)
    }
}
