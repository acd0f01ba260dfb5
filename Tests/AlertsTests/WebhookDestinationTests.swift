import Alerts
import AsyncHTTPClient
import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Where webhooks may go: the outbound policy's decisions for channels, the option stored with the channel (and with
/// a source) in both stores, and the channel command. No packet is sent to a non-loopback address here.
@Suite("Webhook destinations", .serialized)
struct WebhookDestinationTests {
    @Test("127.attacker.example is not loopback: plain HTTP to it is refused")
    func notLoopback() {
        let problem = WebhookSender.check("http://127.attacker.example/hook")
        #expect(problem?.contains("plain HTTP") == true, "\(problem ?? "")")
        #expect(WebhookSender.check("http://127.0.0.1:9000/hook") == nil)
        #expect(WebhookSender.check("http://localhost:9000/hook") == nil)
        #expect(WebhookSender.check("https://hooks.example.org/x") == nil)
    }

    @Test("169.254.169.254 and 10.0.0.1 are refused without the channel option and allowed with it")
    func privateDestinations() {
        for url in ["https://169.254.169.254/latest/meta-data/iam/", "https://10.0.0.1/hook", "https://[fe80::1]/hook",
                    "https://172.20.1.1/hook", "https://[fd00::1]/hook"] {
            let problem = WebhookSender.check(url)
            #expect(problem?.contains("--allow-private-network") == true, "\(url): \(problem ?? "")")
            #expect(problem?.hasPrefix("refused to post a webhook to \(url)") == true, "\(problem ?? "")")
            #expect(WebhookSender.check(url, allowPrivateNetwork: true) == nil, "\(url)")
        }
        // Plain HTTP stays loopback-only, option or not.
        #expect(WebhookSender.check("http://10.0.0.1/hook", allowPrivateNetwork: true)?.contains("plain HTTP") == true)
    }

    @Test("a public name resolving to 127.0.0.1, 10.x or link-local is refused without the option (decided on the addresses)")
    func resolvedAddresses() {
        let url = "https://siem.plant.example/hook"
        #expect(WebhookSender.check(url, resolvedTo: ["93.184.216.34"]) == nil)
        for address in ["127.0.0.1", "10.0.0.1", "169.254.169.254", "fe80::1", "::1"] {
            let problem = WebhookSender.check(url, resolvedTo: [address])
            #expect(problem?.contains("resolves to \(address)") == true, "\(address): \(problem ?? "")")
            #expect(WebhookSender.check(url, resolvedTo: [address], allowPrivateNetwork: true) == nil, "\(address)")
        }
        #expect(WebhookSender.check("https://127.0.0.1.nip.io/hook", resolvedTo: ["127.0.0.1"]) != nil)
    }

    @Test("post refuses a private destination before any connection")
    func postRefuses() async throws {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let sender = WebhookSender(client: client)
        do {
            for url in ["https://169.254.169.254/hook", "https://10.0.0.1/hook"] {
                do {
                    _ = try await sender.post(url, body: Array("{}".utf8), headers: [])
                    Issue.record("posted to \(url)")
                } catch {
                    #expect(!error.isTransient)
                    #expect(error.message.contains("--allow-private-network"), "\(error.message)")
                }
            }
        }
        try await client.shutdown()
    }

    @Test("the option is stored with the channel and the source", arguments: Backend.allCases)
    func stored(_ backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await backend.withStore(in: folder) { store, _ in
            let org = try #require(try await store.organisation(named: "Plant", create: true))
            _ = try await store.addChannel(.init(name: "siem", kind: .webhook, target: "https://10.0.0.5/hook", allowPrivateNetwork: true),
                                           organisationID: org.id)
            _ = try await store.addChannel(.init(name: "public", kind: .webhook, target: "https://hooks.example.org/x"), organisationID: org.id)
            let channels = try await store.channels(organisationID: org.id)
            #expect(channels.first { $0.name == "siem" }?.draft.allowPrivateNetwork == true)
            #expect(channels.first { $0.name == "public" }?.draft.allowPrivateNetwork == false)

            var source = SourceRecord(slug: "plant-mirror", name: "Plant mirror", url: "https://10.0.0.7/provider-metadata.json")
            source.allowPrivateNetwork = true
            try await store.saveSource(source)
            try await store.saveSource(SourceRecord(slug: "public", name: "Public", url: "https://provider.example/provider-metadata.json"))
            #expect(try await store.source(slug: "plant-mirror")?.allowPrivateNetwork == true)
            #expect(try await store.source(slug: "public")?.allowPrivateNetwork == false)
            #expect(try await store.source(slug: "plant-mirror")?.outboundAccess.privateNetwork == true)
        }
    }

    @Test("vigil channel add refuses 10.0.0.1 and 169.254.169.254 without --allow-private-network and stores it with")
    func command() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        func vigil(_ arguments: String...) async throws -> Executables.Output {
            try await Executables.runVigil(arguments + ["--db", db])
        }
        let refused = try await vigil("channel", "add", "--org", "Plant", "siem", "webhook:https://10.0.0.1/hook")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--allow-private-network"), "\(refused.stderr)")
        let metadata = try await vigil("channel", "add", "--org", "Plant", "meta", "webhook:https://169.254.169.254/latest/")
        #expect(metadata.status != 0)
        #expect(metadata.stderr.contains("link-local"), "\(metadata.stderr)")
        let spoof = try await vigil("channel", "add", "--org", "Plant", "spoof", "webhook:http://127.attacker.example/hook")
        #expect(spoof.status != 0)
        #expect(spoof.stderr.contains("plain HTTP"), "\(spoof.stderr)")
        let allowed = try await vigil("channel", "add", "--org", "Plant", "siem", "webhook:https://10.0.0.1/hook", "--allow-private-network")
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("private-network destinations allowed"), "\(allowed.stdout)")
        let listed = try await vigil("channel", "list", "--org", "Plant")
        #expect(listed.stdout.contains("private network allowed"), "\(listed.stdout)")
    }
}
