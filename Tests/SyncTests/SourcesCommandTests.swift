import Foundation
import Testing
import VigilTestSupport

/// `vigil sources …` as a user runs it, against a provider on loopback.
@Suite("vigil sources", .serialized)
struct SourcesCommandTests {
    static func vigil(_ arguments: [String]) async throws -> Executables.Output {
        try await Executables.runVigil(arguments)
    }

    @Test("list shows the catalogue on first use; add discovers a loopback provider; sync imports it; disable, remove")
    func lifecycle() async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.only(Set(ProviderSyncTests.sample.prefix(3)))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path

        let list = try await Self.vigil(["sources", "list", "--db", db])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("cisa"))
        #expect(list.stdout.contains("https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json"))
        #expect(list.stdout.contains("No machine-readable feed"))
        #expect(list.stdout.contains("Rockwell Automation"))

        try await mirror.run { mirror in
            let host = "127.0.0.1:\(mirror.port.withLock { $0 })"
            mirror.set(".well-known/csaf/provider-metadata.json", try #require(mirror.content("provider-metadata.json")))
            let add = try await Self.vigil(["sources", "add", "--db", db, "--slug", "mirror", "--interval", "1m", host])
            #expect(add.status == 0, "\(add.stderr)")
            #expect(add.stdout.contains("Added CISA as mirror: http://\(host)/.well-known/csaf/provider-metadata.json"), "\(add.stdout)")

            let sync = try await Self.vigil(["sources", "sync", "--db", db, "--source", "mirror", "--json"])
            #expect(sync.status == 0, "\(sync.stderr)")
            let reports = try #require(try JSONSerialization.jsonObject(with: Data(sync.stdout.utf8)) as? [[String: Any]])
            #expect(reports.first?["new"] as? Int == 3)
            #expect(reports.first?["quarantined"] as? Int == 0)

            let again = try await Self.vigil(["sources", "sync", "--db", db, "--source", "mirror"])
            #expect(again.status == 0)
            #expect(again.stdout.contains("0 fetched"), "\(again.stdout)")
            #expect(again.stdout.contains("2 requests (2 not modified)"), "\(again.stdout)")
        }

        let json = try await Self.vigil(["sources", "list", "--db", db, "--json"])
        let sources = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let mirrorSource = try #require(sources.first { $0["slug"] as? String == "mirror" })
        #expect(mirrorSource["documentsHeld"] as? Int == 3)
        #expect(mirrorSource["pollInterval"] as? Int == 60)

        #expect(try await Self.vigil(["sources", "disable", "--db", db, "mirror"]).status == 0)
        let disabled = try await Self.vigil(["sources", "list", "--db", db, "--json"])
        #expect(disabled.stdout.contains("\"enabled\" : false"))
        #expect(try await Self.vigil(["sources", "remove", "--db", db, "mirror"]).status == 0)
        let gone = try await Self.vigil(["sources", "remove", "--db", db, "mirror"])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("no source \"mirror\""))
        let bad = try await Self.vigil(["sources", "add", "--db", db, "http://example.com/provider-metadata.json"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("uses plain HTTP"), "\(bad.stderr)")
    }
}
