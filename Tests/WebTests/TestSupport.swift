import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// The two stores the page tests run on.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// Paths to the real provider data beside the repository (`../shared/data`), and temporary stores built from it.
enum Fixtures {
    static func data(_ relative: String) throws -> String {
        try SharedData.url(relative).path
    }

    static var cisaAdvisory: String {
        get throws { try data("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json") }
    }

    static func temporaryDirectory() throws -> URL {
        try TemporaryFolder().url
    }

    /// A fresh SQLite store holding the given files, imported the way `vigil import` does.
    static func store(importing paths: [String]) async throws -> (SQLiteStore, URL) {
        let directory = try temporaryDirectory()
        let store = try SQLiteStore(path: directory.appendingPathComponent("vigil.sqlite").path)
        let summary = try await LocalImporter().run(paths: paths, into: store)
        #expect(summary.rejected == 0, "fixture import rejected: \(summary.errors)")
        return (store, directory)
    }

    /// A fresh store of either kind holding the given files: the page tests that run on both stores use it.
    static func store(importing paths: [String], backend: Backend) async throws -> (any VigilStore, URL) {
        switch backend {
        case .sqlite:
            let (store, directory) = try await store(importing: paths)
            return (store, directory)
        case .postgres:
            let directory = try temporaryDirectory()
            let store = try await PostgresStore(url: try PostgresServer.shared().makeDatabase(prefix: "web"))
            let summary = try await LocalImporter().run(paths: paths, into: store)
            #expect(summary.rejected == 0, "fixture import rejected: \(summary.errors)")
            return (store, directory)
        }
    }

    /// A small valid CSAF document with the given title and product name (for escaping and revision tests).
    static func craftedDocument(id: String = "VIGIL-TEST-0001", title: String, product: String = "Widget <b>PLC</b>",
                                version: String = "1", date: String = "2024-03-01T10:00:00Z") -> String {
        """
        {"document":{"category":"csaf_security_advisory","csaf_version":"2.0","title":\(json(title)),
          "publisher":{"category":"vendor","name":"Acme & Sons <Industrial>","namespace":"https://acme.example"},
          "notes":[{"category":"summary","title":"Risk evaluation","text":"Risky <script>alert(1)</script> text"}],
          "references":[{"category":"self","summary":"Web page","url":"https://acme.example/advisories/\(id)"}],
          "tracking":{"id":\(json(id)),"status":"final","version":\(json(version)),
            "initial_release_date":"2024-03-01T10:00:00Z","current_release_date":\(json(date)),
            "revision_history":[{"date":\(json(date)),"number":\(json(version)),"summary":"Published"}]}},
         "product_tree":{"branches":[{"category":"vendor","name":"Acme & Sons <Industrial>","branches":[
           {"category":"product_name","name":\(json(product)),"branches":[
             {"category":"product_version_range","name":"<V2.14.1","product":{"name":"widget","product_id":"P1"}}]}]}]},
         "vulnerabilities":[{"cve":"CVE-2024-0001","product_status":{"known_affected":["P1"]},
           "scores":[{"products":["P1"],"cvss_v3":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N","baseScore":9.1,"baseSeverity":"CRITICAL"}}],
           "remediations":[{"category":"vendor_fix","details":"Update to V2.14.1 <now>","product_ids":["P1"]}]}]}
        """
    }

    static func json(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}
