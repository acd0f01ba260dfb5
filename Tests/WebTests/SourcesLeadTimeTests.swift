import CSAF
import Foundation
import Hummingbird
import HummingbirdTesting
import Revisions
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Lead time on `/sources`: each provider source tied to its publisher through the advisories it stored, with that
/// publisher's median lead on its row, and every publisher in "Lead time by publisher". Over `RelatedAdvisoryFixtures`
/// (Example ProductCERT first in both republished pairs, by 7 and 4 days).
@Suite("Web: lead time on the Sources page")
struct SourcesLeadTimeTests {
    /// The fixtures stored as three sources would have stored them: the vendor's provider, CISA's provider and an
    /// aggregator holding some of each.
    static func store() async throws -> (SQLiteStore, URL, [SourceRecord]) {
        let folder = try TemporaryFolder()
        let paths = try RelatedAdvisoryFixtures.write(to: folder.url)
        let (store, directory) = try await Fixtures.store(importing: paths)
        try await store.saveSource(SourceRecord(slug: "example", name: "Example <ProductCERT>", url: "https://example.com/.well-known/csaf/provider-metadata.json"))
        try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: "https://www.cisa.gov/.well-known/csaf/provider-metadata.json"))
        try await store.saveSource(SourceRecord(slug: "mixed", name: "Mixed aggregator", kind: .aggregator, url: "https://aggregator.example/aggregator.json"))
        try await store.saveSource(SourceRecord(slug: "other", name: "Other CERT", url: "https://other.example/.well-known/csaf/provider-metadata.json"))
        let held: [(String, [String])] = [
            ("example", ["EXSA-123456", "EXSA-123457"]),
            ("cisa", ["ICSA-26-100-01", "ICSA-26-125-02", "ICSA-26-130-03"]),
            ("mixed", ["EXSA-123456", "ICSA-26-100-01"]),
            ("other", ["OTHER-2026-0001"]),
        ]
        for (slug, ids) in held {
            for id in ids {
                try await store.saveRemoteDocument(RemoteDocumentState(url: "https://\(slug).example/\(id.lowercased()).json", source: slug,
                                                                       listedUpdate: "2026-05-10T00:00:00Z", status: .stored, advisoryID: id))
            }
        }
        // A failing document names no advisory and changes nothing.
        try await store.saveRemoteDocument(RemoteDocumentState(url: "https://example.example/broken.json", source: "example",
                                                               listedUpdate: "2026-05-10T00:00:00Z", status: .failed, detail: "HTTP 404"))
        folder.remove()
        return (store, directory, try await store.sources())
    }

    @Test("a provider source is tied to the publisher of its stored advisories; an aggregator and an unlinked publisher to none")
    func sourcesTiedToPublishers() async throws {
        let (store, directory, sources) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        // As the pages controller holds it.
        let served: any ServedStore = store
        let leads = try await SourceLeadTimes.load(store: served, sources: sources)
        #expect(leads.publisherBySource == ["example": "Example ProductCERT", "cisa": "CISA"])
        #expect(leads.leadTime(source: "example")?.medianLeadDays == 5.5)
        #expect(leads.leadTime(source: "cisa")?.medianLeadDays == -5.5)
        #expect(leads.leadTime(source: "mixed") == nil)
        #expect(leads.leadTime(source: "other") == nil)
        #expect(leads.publishers.map(\.publisher) == ["CISA", "Example ProductCERT"])
        await store.close()
    }

    @Test("the majority publisher of a source's linked advisories, or none without a majority")
    func mainPublisher() {
        let byAdvisory = ["A-1": "A", "A-2": "A", "B-1": "B", "C-1": "C"]
        #expect(SourceLeadTimes.mainPublisher(of: ["A-1", "A-2", "B-1", "UNLINKED-1", "UNLINKED-2"], publisherByAdvisory: byAdvisory) == "A")
        #expect(SourceLeadTimes.mainPublisher(of: ["A-1", "B-1"], publisherByAdvisory: byAdvisory) == nil)
        #expect(SourceLeadTimes.mainPublisher(of: ["A-1", "B-1", "C-1"], publisherByAdvisory: byAdvisory) == nil)
        #expect(SourceLeadTimes.mainPublisher(of: ["UNLINKED-1"], publisherByAdvisory: byAdvisory) == nil)
        #expect(SourceLeadTimes.mainPublisher(of: [], publisherByAdvisory: byAdvisory) == nil)
    }

    @Test("GET /sources serves the lead on each tied source's row and the publishers' table")
    func served() async throws {
        let (store, directory, _) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            try await client.execute(uri: "/sources", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("Lead time: Example ProductCERT: median 5.5 days earlier than CISA, first in 2 of 2 pairs"))
                #expect(html.contains("<h2 id=\"lead-time\">Lead time by publisher</h2>"))
            }
        }
        await store.close()
    }

    @Test("the page shows each tied source's median lead on its row and a table of every publisher's lead, escaped")
    func page() async throws {
        let (store, directory, sources) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let leads = try await SourceLeadTimes.load(store: store, sources: sources)
        let view = SourcesPageView(sources: sources, failures: [:], withoutFeed: [], leadTimes: leads)
        let html = try await TemplateRenderer.load().render(view, template: "sources")
        let sourcesTable = try #require(html.components(separatedBy: "</tbody>").first)
        let rows = sourcesTable.components(separatedBy: "<tr id=\"source-").dropFirst()
        func row(_ slug: String) -> String { rows.first { $0.hasPrefix(slug + "\"") } ?? "" }
        #expect(row("example").contains("Lead time: Example ProductCERT: median 5.5 days earlier than CISA, first in 2 of 2 pairs"), "\(html)")
        #expect(row("example").contains("Example &lt;ProductCERT&gt;"))
        #expect(row("cisa").contains("Lead time: CISA: median 5.5 days later than Example ProductCERT, first in 0 of 2 pairs"))
        #expect(!row("mixed").contains("Lead time"))
        #expect(!row("other").contains("Lead time"))

        let table = try #require(html.components(separatedBy: "<h2 id=\"lead-time\">Lead time by publisher</h2>").last)
        #expect(table.contains("<tr><td>CISA</td><td class=\"num\">2</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">2</td>"
                               + "<td class=\"lead-later\">5.5 days later</td><td>Example ProductCERT</td></tr>"), "\(table)")
        #expect(table.contains("<tr><td>Example ProductCERT</td><td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\">0</td>"
                               + "<td class=\"num\">0</td><td class=\"lead-earlier\">5.5 days earlier</td><td>CISA</td></tr>"))

        // Nothing linked: no lead line and no table.
        let plain = try await TemplateRenderer.load().render(SourcesPageView(sources: sources, failures: [:], withoutFeed: []), template: "sources")
        #expect(!plain.contains("Lead time"))
        await store.close()
    }
}
