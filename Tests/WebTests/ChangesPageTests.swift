import CSAF
import Foundation
import Hummingbird
import HummingbirdTesting
import Sources
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// `/advisories/{id}/changes`: what changed between two stored revisions, on both stores.
@Suite("Web: revision changes")
struct ChangesPageTests {
    /// Two revisions of a crafted advisory: the product renamed, the title reworded, the note's text changed.
    static func revisions(in directory: URL) throws -> [String] {
        let first = directory.appendingPathComponent("v1.json")
        try Fixtures.craftedDocument(title: "Widget controller", product: "Widget PLC", version: "1")
            .write(to: first, atomically: true, encoding: .utf8)
        let second = directory.appendingPathComponent("v2.json")
        let revised = Fixtures.craftedDocument(title: "Widget controller <updated>", product: "Widget PLC Pro", version: "2",
                                               date: "2024-04-01T10:00:00Z")
            .replacingOccurrences(of: "Risky <script>alert(1)</script> text", with: "Risky <script>alert(2)</script> text, now exploited")
        try revised.write(to: second, atomically: true, encoding: .utf8)
        return [first.path, second.path]
    }

    @Test("the page names each change, shows note text as a word diff, escapes document text, and is linked from the history",
          arguments: Backend.allCases)
    func changesPage(backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let paths = try Self.revisions(in: folder.url)
        let (store, directory) = try await Fixtures.store(importing: [paths[0]], backend: backend)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await LocalImporter().run(paths: [paths[1]], into: store).updated == 1)
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            try await client.execute(uri: "/advisories/VIGIL-TEST-0001", method: .get) { response in
                #expect(String(buffer: response.body).contains("<a href=\"/advisories/VIGIL-TEST-0001/changes?from=1&amp;to=2\">what changed</a>"))
            }
            for uri in ["/advisories/VIGIL-TEST-0001/changes", "/advisories/VIGIL-TEST-0001/changes?from=1&to=2"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    let html = String(buffer: response.body)
                    #expect(html.contains("What changed in VIGIL-TEST-0001: version 1 → 2"))
                    #expect(html.contains("<li>title changed: &quot;Widget controller&quot; → &quot;Widget controller &lt;updated&gt;&quot;</li>"), "\(html)")
                    // Renamed: one product added, one removed, each named by vendor, product and version.
                    #expect(html.contains("<li><strong>added</strong>: Acme &amp; Sons &lt;Industrial&gt; Widget PLC Pro &lt;V2.14.1"))
                    #expect(html.contains("<li><strong>removed</strong>: Acme &amp; Sons &lt;Industrial&gt; Widget PLC &lt;V2.14.1"))
                    // The risk summary as words: the old ones struck out, the new ones marked, all escaped.
                    #expect(html.contains("<p class=\"word-diff\">Risky <del>&lt;script&gt;alert(1)&lt;/script&gt; text</del> "
                                          + "<ins>&lt;script&gt;alert(2)&lt;/script&gt; text, now exploited</ins> </p>"), "\(html)")
                    #expect(!html.contains("<script>alert"))
                    #expect(html.contains("Widget controller &lt;updated&gt;"))
                }
            }
            // Backwards works too; an unknown version and an advisory with one revision are 404s that say why.
            try await client.execute(uri: "/advisories/VIGIL-TEST-0001/changes?from=2&to=1", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("version 2 → 1"))
            }
            try await client.execute(uri: "/advisories/VIGIL-TEST-0001/changes?from=9", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("no stored revision 9 (stored: 2, 1)"))
            }
            try await client.execute(uri: "/advisories/NOPE-1/changes", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        await store.close()
    }

    @Test("an advisory stored once has nothing to compare: 404 with the reason, on the page and in the API")
    func singleRevision() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let paths = try Self.revisions(in: folder.url)
        let (store, directory) = try await Fixtures.store(importing: [paths[0]])
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            for uri in ["/advisories/VIGIL-TEST-0001/changes", "/api/v1/advisories/VIGIL-TEST-0001/changes"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(String(buffer: response.body).contains("one stored revision"), "\(uri)")
                }
            }
        }
        await store.close()
    }
}
