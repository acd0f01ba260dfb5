import Foundation
import Hummingbird
import HummingbirdTesting
import Matching
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// The exposure dashboard, the asset list, the CSV export and "Your affected assets", over a real SQLite store.
@Suite("Exposure pages")
struct ExposurePagesTests {
    @Test("pages show the configured organisation's exposures, escaped, and never another organisation's")
    func exposurePagesAreEscapedAndIsolated() async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let plant = try #require(try await store.organisation(named: "Plant A", create: true))
        let other = try #require(try await store.organisation(named: "Utility B", create: true))
        _ = try await store.importAssets([
            AssetDraft(externalID: "ENG-1", vendor: "Phoenix Contact GmbH & Co. KG", product: "MULTIPROG <script>alert(1)</script>",
                       version: "5.51", site: "<b>Hall 1</b>", criticality: .high),
        ], organisationID: plant.id, replace: false)
        _ = try await store.importAssets([
            AssetDraft(vendor: "Phoenix Contact", product: "MULTIPROG", version: "5.0", site: "Secret Site B"),
        ], organisationID: other.id, replace: false)
        let app = Application(router: try await buildRouter(store: store, organisation: "Plant A"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/exposures", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("Exposure of Plant A"))
                #expect(html.contains("MULTIPROG &lt;script&gt;alert(1)&lt;/script&gt;"))
                #expect(html.contains("&lt;b&gt;Hall 1&lt;/b&gt;"))
                #expect(!html.contains("<script>"), "asset text reached the page unescaped")
                #expect(html.contains("ICSA-22-172-04"))
                #expect(html.contains("Affected assets by severity"))
                #expect(html.contains("By site"))
                #expect(!html.contains("Secret Site B"), "another organisation's asset is shown")
            }
            try await client.execute(uri: "/assets", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("1 assets"))
                #expect(!html.contains("Secret Site B"))
            }
            try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Your affected assets (Plant A)"))
                #expect(html.contains("MULTIPROG &lt;script&gt;"))
                #expect(!html.contains("Secret Site B"))
            }
            try await client.execute(uri: "/exposures.csv", method: .get) { response in
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                let csv = String(buffer: response.body)
                let lines = csv.split(separator: "\r\n")
                #expect(lines.first?.hasPrefix("status,confidence,advisory,") == true)
                #expect(lines.count == 2, "one exposure of Plant A: \(csv)")
                #expect(csv.contains("affected,"))
                #expect(!csv.contains("Secret Site B"))
            }
        }
        // Without a configured organisation the pages say how to get one, and the export is not found.
        let bare = Application(router: try await buildRouter(store: store))
        try await bare.test(.router) { client in
            try await client.execute(uri: "/exposures", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("No asset inventory yet"))
                #expect(!html.contains("MULTIPROG &lt;script"))
            }
            try await client.execute(uri: "/exposures.csv", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
