import CSAF
import Foundation
import Testing

/// The outbound policy shared by provider fetches and webhooks, as decisions: no packet leaves this machine here.
@Suite("Outbound policy")
struct OutboundPolicyTests {
    static let option = "--allow-private-network"
    static let none = OutboundAccess(loopback: false, privateNetwork: false)
    static let loopbackOnly = OutboundAccess(loopback: true, privateNetwork: false)
    static let privateNetwork = OutboundAccess(loopback: false, privateNetwork: true)

    @Test("loopback is 127.0.0.0/8, ::1 or the name localhost; a name that starts with 127. is not")
    func loopbackHosts() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "[0:0:0:0:0:0:0:1]", "::ffff:127.0.0.1"] {
            #expect(LoopbackHost.contains(host), "\(host)")
        }
        for host in ["127.attacker.example", "127.0.0.1.nip.io", "localhost.", "localhost.attacker.example", "128.0.0.1",
                     "10.0.0.1", "example.com", "0.0.0.0", "::", "1127.0.0.1", ""] {
            #expect(!LoopbackHost.contains(host), "\(host)")
        }
    }

    @Test("address scopes: private, link-local, loopback, reserved and public, IPv4 and IPv6")
    func scopes() {
        let expected: [(String, AddressScope?)] = [
            ("127.0.0.1", .loopback), ("::1", .loopback), ("::ffff:127.0.0.2", .loopback),
            ("10.0.0.1", .privateNetwork), ("172.16.0.1", .privateNetwork), ("172.31.255.255", .privateNetwork),
            ("192.168.1.1", .privateNetwork), ("fc00::1", .privateNetwork), ("fd12:3456::1", .privateNetwork),
            ("::ffff:10.1.2.3", .privateNetwork),
            ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal), ("fe80::1%eth0", .linkLocal), ("[fe80::1]", .linkLocal),
            ("::ffff:169.254.169.254", .linkLocal),
            ("0.0.0.0", .reserved), ("::", .reserved), ("224.0.0.1", .reserved), ("255.255.255.255", .reserved), ("ff02::1", .reserved),
            ("172.15.0.1", .public), ("172.32.0.1", .public), ("192.169.0.1", .public), ("8.8.8.8", .public), ("2001:db8::1", .public),
            ("example.com", nil), ("127.attacker.example", nil),
        ]
        for (address, scope) in expected {
            #expect(OutboundPolicy.scope(ofAddress: address) == scope, "\(address)")
        }
    }

    @Test("plain HTTP only to a loopback host written as such; 127.attacker.example is refused")
    func plainHTTP() {
        let refusal = OutboundPolicy.check("http://127.attacker.example/hook", access: .configured("http://127.attacker.example/hook"), option: Self.option)
        #expect(refusal?.kind == .insecure)
        #expect(refusal?.message.contains("plain HTTP") == true)
        #expect(!OutboundAccess.configured("https://127.attacker.example/").loopback)
        #expect(OutboundPolicy.check("http://127.0.0.1:8080/x", access: .configured("http://127.0.0.1:8080/x"), option: Self.option) == nil)
        #expect(OutboundPolicy.check("http://[::1]:8080/x", access: .configured("http://[::1]:8080/x"), option: Self.option) == nil)
        #expect(OutboundPolicy.check("http://localhost/x", access: .configured("http://localhost/x"), option: Self.option) == nil)
        #expect(OutboundPolicy.check("http://10.0.0.1/x", access: Self.privateNetwork, option: Self.option)?.kind == .insecure)
        #expect(OutboundPolicy.check("ftp://example.com/x", access: Self.none, option: Self.option)?.kind == .badURL)
        #expect(OutboundPolicy.check("not a url", access: Self.none, option: Self.option)?.kind == .badURL)
    }

    @Test("private, link-local and loopback literals need the access; the refusal names the option")
    func literals() {
        for url in ["https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook", "https://[fe80::1]/hook", "https://192.168.0.10/",
                    "https://[fd00::5]/"] {
            let refusal = OutboundPolicy.check(url, access: Self.none, option: Self.option)
            #expect(refusal?.kind == .destination, "\(url)")
            #expect(refusal?.message.contains(Self.option) == true, "\(refusal?.message ?? "")")
            #expect(OutboundPolicy.check(url, access: Self.privateNetwork, option: Self.option) == nil, "\(url)")
        }
        #expect(OutboundPolicy.check("https://169.254.169.254/", access: Self.none, option: Self.option)?.message.contains("link-local") == true)
        #expect(OutboundPolicy.check("https://127.0.0.1/", access: Self.none, option: Self.option)?.kind == .destination)
        #expect(OutboundPolicy.check("https://127.0.0.1/", access: Self.loopbackOnly, option: Self.option) == nil)
        // Loopback access is not private-network access.
        #expect(OutboundPolicy.check("https://10.0.0.1/", access: Self.loopbackOnly, option: Self.option)?.kind == .destination)
        // 0.0.0.0 reaches this machine on Linux: nothing allows it.
        #expect(OutboundPolicy.check("https://0.0.0.0/", access: Self.privateNetwork, option: Self.option)?.kind == .destination)
        #expect(OutboundPolicy.check("https://8.8.8.8/", access: Self.none, option: Self.option) == nil)
    }

    @Test("the resolved addresses decide: a public name resolving to 127.0.0.1, 10.x or 169.254.169.254 is refused")
    func resolved() {
        func decide(_ url: String, _ addresses: [String], _ access: OutboundAccess) -> OutboundPolicy.Refusal? {
            OutboundPolicy.checkDestination(url: url, host: URLComponents(string: url)?.host ?? "", addresses: addresses,
                                            access: access, option: Self.option)
        }
        // https://127.0.0.1.nip.io/ resolving to 127.0.0.1: not loopback by name, so no loopback access from its URL.
        let nip = "https://127.0.0.1.nip.io/provider-metadata.json"
        let refusal = decide(nip, ["127.0.0.1"], .configured(nip))
        #expect(refusal?.kind == .destination)
        #expect(refusal?.message.contains("resolves to 127.0.0.1") == true, "\(refusal?.message ?? "")")
        #expect(decide(nip, ["127.0.0.1"], .configured(nip, allowPrivateNetwork: true)) == nil)
        // A plain-HTTP name that is not literally localhost is refused before any lookup; localhost must resolve to loopback.
        #expect(OutboundPolicy.check("http://localhost./x", access: .configured("http://localhost./x"), option: Self.option)?.kind == .insecure)
        #expect(decide("http://localhost/x", ["127.0.0.1", "::1"], .configured("http://localhost/x")) == nil)
        #expect(decide("http://localhost/x", ["93.184.216.34"], .configured("http://localhost/x"))?.kind == .insecure)
        #expect(decide("http://localhost/x", ["10.0.0.1"], .configured("http://localhost/x"))?.kind == .destination)
        // Any one bad address among several refuses the name (the client may connect to any of them).
        let hook = "https://siem.plant.example/hook"
        #expect(decide(hook, ["93.184.216.34"], .configured(hook)) == nil)
        #expect(decide(hook, ["93.184.216.34", "10.0.0.1"], .configured(hook))?.kind == .destination)
        #expect(decide(hook, ["169.254.169.254"], .configured(hook))?.message.contains("169.254.169.254") == true)
        #expect(decide(hook, ["10.0.0.1", "fe80::1"], .configured(hook, allowPrivateNetwork: true)) == nil)
        #expect(decide(hook, ["::ffff:169.254.169.254"], .configured(hook))?.kind == .destination)
    }

    @Test("redirects: HTTPS never to plain HTTP, except one loopback literal to another")
    func redirects() {
        let refusal = OutboundPolicy.checkRedirect(from: "https://provider.example/provider-metadata.json", to: "http://127.0.0.1:6379/")
        #expect(refusal?.kind == .insecure)
        #expect(refusal?.message.contains("not followed to plain HTTP") == true)
        #expect(OutboundPolicy.checkRedirect(from: "https://127.attacker.example/", to: "http://127.0.0.1/")?.kind == .insecure)
        #expect(OutboundPolicy.checkRedirect(from: "https://127.0.0.1:8443/a", to: "http://127.0.0.1:8080/a") == nil)
        #expect(OutboundPolicy.checkRedirect(from: "https://provider.example/a", to: "https://mirror.example/a") == nil)
        #expect(OutboundPolicy.checkRedirect(from: "http://127.0.0.1/a", to: "http://127.0.0.1:81/a") == nil)
        // Each hop is also checked under the source's access: a public source redirected to a loopback literal over
        // HTTPS is refused (the access is the source's, not the hop's own).
        let access = OutboundAccess.configured("https://provider.example/provider-metadata.json")
        #expect(OutboundPolicy.check("https://127.0.0.1/x", access: access, option: Self.option)?.kind == .destination)
    }

    @Test("a configured loopback literal is consent for loopback only; the option is consent for private networks")
    func configuredAccess() {
        #expect(OutboundAccess.configured("http://127.0.0.1:8080/provider-metadata.json") == Self.loopbackOnly)
        #expect(OutboundAccess.configured("http://localhost/x") == Self.loopbackOnly)
        #expect(OutboundAccess.configured("https://provider.example/x") == Self.none)
        #expect(OutboundAccess.configured("https://10.0.0.1/x") == Self.none)
        let allowed = OutboundAccess.configured("https://10.0.0.1/x", allowPrivateNetwork: true)
        #expect(allowed.privateNetwork && allowed.loopback)
    }
}
