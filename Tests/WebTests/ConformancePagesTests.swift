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

/// The CSAF 2.0 §6 verdicts kept per document at import and shown on the advisory page and in the API: a document
/// that fails a mandatory test is still stored and shown (a provider's mistake must not hide a vulnerability), with
/// its findings.
@Suite("Conformance on advisory pages and in the API")
struct ConformancePagesTests {
    /// NI's remediations name product IDs its product tree never defines (6.1.1); CISA's ICSA-22-172-04 passes
    /// every mandatory test.
    static let failing = "providers/ni/csaf/advisories/2024/ni_cve-2024-5602.json"

    @Test("a document failing a mandatory test is imported, counted, shown with its findings; a passing one says so", arguments: Backend.allCases)
    func importedAndShown(backend: Backend) async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.data(Self.failing), try Fixtures.cisaAdvisory], backend: backend)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await store.quarantined(limit: 10).isEmpty, "a mandatory failure is not a reason for quarantine")
        let niID = "ni_CVE-2024-5602"
        let ni = try #require(try await store.advisory(id: niID), "the failing document is stored as an advisory")
        // The counts stored at import match the findings made again from the stored bytes.
        let counted = try #require(ni.document.conformance)
        #expect(counted == ConformanceSummary(ni.conformance))
        #expect(counted.mandatory == 1)
        #expect(ni.conformance.contains { $0.test == "6.1.1" && $0.path == "$.vulnerabilities[0].remediations[0].product_ids[0]" })
        let cisa = try #require(try await store.advisory(id: "ICSA-22-172-04"))
        #expect(cisa.document.conformance?.mandatory == 0)

        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/advisories/\(niID)", method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("<p id=\"conformance\" class=\"warn\">Conformance: "))
            #expect(html.contains("1 mandatory") && html.contains("not valid CSAF 2.0, shown because it is authentic and readable"))
            #expect(html.contains("<li><strong>6.1.1</strong> (mandatory) <code>$.vulnerabilities[0].remediations[0].product_ids[0]</code>: the product ID "))

            let passing = String(buffer: try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get).body)
            #expect(passing.contains("<p id=\"conformance\">Conformance: ") && !passing.contains("(mandatory)"))

            let api = try await client.execute(uri: "/api/v1/advisories/\(niID)", method: .get)
            #expect(api.status == .ok)
            struct Detail: Decodable {
                struct Conformance: Decodable {
                    struct Finding: Decodable { var test: String; var group: String; var path: String; var message: String }
                    struct NotRun: Decodable { var test: String; var reason: String }
                    var mandatory: Int
                    var optional: Int
                    var informative: Int
                    var findings: [Finding]
                    var not_run: [NotRun]
                }
                var conformance: Conformance
            }
            let detail = try JSONDecoder().decode(Detail.self, from: Data(buffer: api.body))
            #expect(detail.conformance.mandatory == 1)
            #expect(detail.conformance.findings.count == counted.total)
            #expect(detail.conformance.findings.contains { $0.test == "6.1.1" && $0.group == "mandatory" })
            #expect(detail.conformance.not_run.map(\.test).contains("6.3.8"))
        }
    }

    @Test("an informational advisory is shown as such on its page and in the list, never as 0 CVEs of severity none")
    func informationalAdvisory() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("vigil-info-0001.json").path
        try Data(#"""
            {"document": {"category": "csaf_informational_advisory", "csaf_version": "2.0", "lang": "en",
              "title": "Hardening guide for Widget PLCs",
              "publisher": {"category": "vendor", "name": "Acme", "namespace": "https://acme.example"},
              "notes": [{"category": "summary", "text": "Segment the control network and disable the web server."}],
              "references": [{"category": "external", "summary": "Guide", "url": "https://acme.example/guide"}],
              "tracking": {"id": "VIGIL-INFO-0001", "status": "final", "version": "1",
                "initial_release_date": "2026-11-02T10:00:00Z", "current_release_date": "2026-11-02T10:00:00Z",
                "revision_history": [{"date": "2026-11-02T10:00:00Z", "number": "1", "summary": "Published"}]}}}
            """#.utf8).write(to: URL(fileURLWithPath: path))
        let (store, directory) = try await Fixtures.store(importing: [path, try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            let page = String(buffer: try await client.execute(uri: "/advisories/VIGIL-INFO-0001", method: .get).body)
            #expect(page.contains("<span class=\"badge big sev-info\">INFORMATIONAL</span>"), "\(page)")
            #expect(page.contains("An informational advisory: it describes no vulnerability"))
            #expect(!page.contains("CVEs (0)") && !page.contains("NOT SCORED") && !page.contains("No vulnerabilities are listed"))
            // Valid (notes and an external reference, no vulnerabilities): optional findings only (no TLP label, no
            // canonical URL, keys not sorted).
            #expect(page.contains("<p id=\"conformance\">Conformance: ") && !page.contains("(mandatory)"))

            let list = String(buffer: try await client.execute(uri: "/", method: .get).body)
            let row = try #require(list.components(separatedBy: "VIGIL-INFO-0001").dropFirst().first?.components(separatedBy: "</li>").first)
            #expect(list.contains("sev-info\">INFORMATIONAL</span>"), "\(row)")
            // The CISA advisory beside it keeps its severity.
            #expect(list.contains("ICSA-22-172-04") && list.contains("CRITICAL"))
        }
    }
}
