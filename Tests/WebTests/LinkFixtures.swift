import Foundation
import Sources
import Storage
import Testing

/// Small crafted CSAF documents of different publishers that are (or are not) the same advisory, for the pages and the
/// API that show links between advisories.
enum LinkFixtures {
    /// One crafted advisory.
    struct Document {
        var id: String
        var title: String
        var publisher: String
        var category = "vendor"
        var namespace: String
        /// Product vendors, the advisory's subject first (third-party components after it).
        var vendors: [String]
        var cves: [String]
        var date: String
        var references: [String] = []
    }

    /// Example ProductCERT's own advisory, first published 2026-04-03.
    static let vendorAdvisory = Document(
        id: "EXSA-123456", title: "Flowmeter gateway: authentication bypass", publisher: "Example ProductCERT",
        namespace: "https://example.com", vendors: ["Example"], cves: ["CVE-2026-1000", "CVE-2026-1001"],
        date: "2026-04-03T00:00:00Z")

    /// CISA's republication of it, 7 days later, naming it in its references.
    static let republication = Document(
        id: "ICSA-26-100-01", title: "Example Flowmeter Gateway", publisher: "CISA", category: "coordinator",
        namespace: "https://www.cisa.gov", vendors: ["Example"], cves: ["CVE-2026-1000", "CVE-2026-1001"],
        date: "2026-04-10T00:00:00Z", references: ["https://example.com/advisories/exsa-123456.json"])

    /// Another vendor's advisory for a device with Example's component inside: it shares a CVE, and is not the same
    /// advisory (the Other Corp devices need Other Corp's fix).
    static let thirdParty = Document(
        id: "OCSA-2026-0007", title: "Other Corp RTU: Example component vulnerabilities", publisher: "Other Corp PSIRT",
        namespace: "https://other.example", vendors: ["Other Corp", "Example"], cves: ["CVE-2026-1000", "CVE-2026-3000"],
        date: "2026-04-05T00:00:00Z")

    /// A coordinator's advisory for another Example product sharing one of the vendor advisory's CVEs among several of
    /// its own: a weak link.
    static let weaklyRelated = Document(
        id: "VDE-2026-0042", title: "Example Historian: several vulnerabilities", publisher: "Example Coordination Center",
        category: "coordinator", namespace: "https://coordination.example", vendors: ["Example"],
        cves: ["CVE-2026-1001", "CVE-2026-2000", "CVE-2026-2001", "CVE-2026-2002"], date: "2026-03-20T00:00:00Z")

    static let all = [vendorAdvisory, republication, thirdParty, weaklyRelated]

    static func json(_ document: Document) -> String {
        let encode = Fixtures.json
        let products = document.vendors.enumerated().map { index, vendor in
            """
            {"category":"vendor","name":\(encode(vendor)),"branches":[{"category":"product_name","name":\(encode(vendor + " Device")),
              "branches":[{"category":"product_version_range","name":"<V3.1","product":{"name":\(encode(vendor + " Device <V3.1")),"product_id":"P\(index + 1)"}}]}]}
            """
        }.joined(separator: ",")
        let ids = document.vendors.indices.map { "\"P\($0 + 1)\"" }.joined(separator: ",")
        let vulnerabilities = document.cves.map { cve in
            """
            {"cve":\(encode(cve)),"product_status":{"known_affected":[\(ids)]},
             "scores":[{"products":[\(ids)],"cvss_v3":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N","baseScore":9.1,"baseSeverity":"CRITICAL"}}],
             "remediations":[{"category":"vendor_fix","details":"Update to V3.1","product_ids":[\(ids)]}]}
            """
        }.joined(separator: ",")
        let references = ([(category: "self", url: document.namespace + "/advisories/" + document.id.lowercased() + ".json")]
            + document.references.map { (category: "external", url: $0) })
            .map { "{\"category\":\"\($0.category)\",\"summary\":\"Advisory\",\"url\":\(encode($0.url))}" }
            .joined(separator: ",")
        return """
            {"document":{"category":"csaf_security_advisory","csaf_version":"2.0","title":\(encode(document.title)),
              "publisher":{"category":\(encode(document.category)),"name":\(encode(document.publisher)),"namespace":\(encode(document.namespace))},
              "references":[\(references)],
              "tracking":{"id":\(encode(document.id)),"status":"final","version":"1",
                "initial_release_date":\(encode(document.date)),"current_release_date":\(encode(document.date)),
                "revision_history":[{"date":\(encode(document.date)),"number":"1","summary":"Published"}]}},
             "product_tree":{"branches":[\(products)]},
             "vulnerabilities":[\(vulnerabilities)]}
            """
    }

    /// Writes `documents` into `directory` and returns their paths.
    static func write(_ documents: [Document], to directory: URL) throws -> [String] {
        try documents.map { document in
            let file = directory.appendingPathComponent(document.id.lowercased() + ".json")
            try json(document).write(to: file, atomically: true, encoding: .utf8)
            return file.path
        }
    }

    /// Imports `documents` into `store` the way `vigil import` does.
    static func importing(_ documents: [Document], into store: any VigilStore, directory: URL) async throws {
        let summary = try await LocalImporter().run(paths: try write(documents, to: directory), into: store)
        #expect(summary.rejected == 0, "fixture import rejected: \(summary.errors)")
    }
}
