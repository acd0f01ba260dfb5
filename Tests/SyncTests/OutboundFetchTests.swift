import CSAF
import Foundation
import Sources
import Storage
import Testing
import VigilTestSupport

/// The fetcher under the outbound policy, against a provider mirror on loopback: each redirect hop is checked under
/// the source's access before anything is sent, so nothing here reaches a non-loopback address.
@Suite("Provider fetches under the outbound policy", .serialized)
struct OutboundFetchTests {
    static func policy() -> FetchPolicy {
        var policy = FetchPolicy()
        policy.backoff = 0.01
        policy.attempts = 1
        policy.timeout = 10
        policy.connectTimeout = 2
        policy.perHostRequestsPerSecond = nil
        return policy
    }

    @Test("HTTPFetcher.check: 127.attacker.example is not loopback; loopback literals keep working over plain HTTP")
    func check() {
        #expect(HTTPFetcher.check("http://127.attacker.example/provider-metadata.json")?.kind == .insecureURL)
        #expect(HTTPFetcher.check("http://127.0.0.1:8080/provider-metadata.json") == nil)
        #expect(HTTPFetcher.check("http://[::1]:8080/provider-metadata.json") == nil)
        let metadata = HTTPFetcher.check("https://169.254.169.254/latest/meta-data/")
        #expect(metadata?.kind == .forbiddenDestination)
        #expect(metadata?.description.contains("--allow-private-network") == true, "\(metadata?.description ?? "")")
        #expect(HTTPFetcher.check("https://10.0.0.1/x", access: .configured("https://10.0.0.1/x", allowPrivateNetwork: true)) == nil)
    }

    @Test("redirects to 127.attacker.example, to a private address or to link-local are refused before they are followed")
    func redirects() async throws {
        let mirror = try ProviderMirror.cisa()
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                for (target, kind) in [("http://127.attacker.example/provider-metadata.json", FetchFailure.Kind.insecureURL),
                                       ("https://10.0.0.1/provider-metadata.json", .forbiddenDestination),
                                       ("https://169.254.169.254/latest/meta-data/", .forbiddenDestination),
                                       ("https://[fe80::1]/x", .forbiddenDestination)] {
                    mirror.fault("provider-metadata.json", .redirect(target))
                    let counters = FetchCounters()
                    do {
                        _ = try await fetcher.get(mirror.metadataURL, maxBytes: 1 << 20, counters: counters)
                        Issue.record("the redirect to \(target) was followed")
                    } catch let error as FetchFailure {
                        #expect(error.kind == kind, "\(target): \(error)")
                        #expect(error.url == target)
                    }
                    // Only the mirror was asked: the refused hop was never requested.
                    #expect(counters.requests == 1, "\(target)")
                }
                // A mirror on this machine may redirect to another loopback literal.
                mirror.fault("provider-metadata.json", nil)
                mirror.fault("moved.json", .redirect(mirror.metadataURL))
                guard case .fetched = try await fetcher.get(mirror.base + "moved.json", maxBytes: 64 << 20) else {
                    Issue.record("a redirect from one loopback literal to another was not followed")
                    return
                }
            }
        }
    }

    @Test("the source's access governs, not the URL's own: a public source cannot reach a loopback URL it names")
    func sourceAccess() async throws {
        let mirror = try ProviderMirror.cisa()
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                let counters = FetchCounters()
                let publicSource = OutboundAccess.configured("https://provider.example/.well-known/csaf/provider-metadata.json")
                do {
                    _ = try await fetcher.get(mirror.metadataURL, maxBytes: 64 << 20, counters: counters, access: publicSource)
                    Issue.record("a public source fetched from loopback")
                } catch let error as FetchFailure {
                    #expect(error.kind == .forbiddenDestination, "\(error)")
                    #expect(error.description.contains("loopback"), "\(error)")
                }
                #expect(counters.requests == 0)
                // With the option the same fetch goes through.
                let allowed = OutboundAccess.configured("https://provider.example/x", allowPrivateNetwork: true)
                guard case .fetched = try await fetcher.get(mirror.metadataURL, maxBytes: 64 << 20, access: allowed) else {
                    Issue.record("not fetched with --allow-private-network")
                    return
                }
            }
        }
    }

    @Test("a loopback-literal source syncs as before; a public-name source is held to public addresses")
    func sourceRecordAccess() {
        #expect(SourceRecord(slug: "m", name: "M", url: "http://127.0.0.1:8080/provider-metadata.json").outboundAccess.loopback)
        #expect(!SourceRecord(slug: "p", name: "P", url: "https://127.attacker.example/provider-metadata.json").outboundAccess.loopback)
        var plant = SourceRecord(slug: "plant", name: "Plant", url: "https://10.1.2.3/provider-metadata.json")
        #expect(!plant.outboundAccess.privateNetwork)
        plant.allowPrivateNetwork = true
        #expect(plant.outboundAccess.privateNetwork)
    }
}
