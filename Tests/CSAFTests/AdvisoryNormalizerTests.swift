import CSAF
import Foundation
import Testing
import VigilTestSupport

@Suite("Advisory normalisation")
struct AdvisoryNormalizerTests {
    static func read(_ relative: String) throws -> ParsedCSAF {
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(try SharedData.bytes(relative)) else {
            throw NotCSAF(path: relative)
        }
        return parsed
    }

    struct NotCSAF: Error { var path: String }

    @Test("ICSA-22-172-04 normalises to its CVE, CWE, CVSS, remediations, products, sector and links")
    func phoenixContactProConOS() throws {
        let parsed = try Self.read("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")
        let advisory = parsed.advisory
        #expect(parsed.warnings.isEmpty)

        #expect(advisory.id == "ICSA-22-172-04")
        #expect(advisory.title == "Phoenix Contact ProConOS and MULTIPROG")
        #expect(advisory.publisher.name == "CISA")
        #expect(advisory.publisher.category == "coordinator")
        #expect(advisory.publisher.namespace == "https://www.cisa.gov/")
        #expect(advisory.version == "1")
        #expect(advisory.tlp == "WHITE")
        #expect(advisory.initialReleaseDate.map(Timestamp.format) == "2022-06-21T00:00:00Z")

        #expect(advisory.cves == ["CVE-2022-31801"])
        #expect(advisory.vulnerabilities.count == 1)
        let vulnerability = try #require(advisory.vulnerabilities.first)
        #expect(vulnerability.cweID == "CWE-345")
        #expect(vulnerability.cweName == "Insufficient Verification of Data Authenticity")

        let score = try #require(advisory.highestScore)
        #expect(score.score == 9.8)
        #expect(score.severity == .critical)
        #expect(score.vector == "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        #expect(score.version == "3.0")
        #expect(vulnerability.score == score)
        #expect(advisory.severity == .critical)
        #expect(advisory.severity.label == "CRITICAL")

        #expect(advisory.remediations.count == 7)
        for remediation in advisory.remediations {
            #expect(remediation.category == "mitigation")
            #expect(remediation.productIDs == ["CSAFPID-0001", "CSAFPID-0002", "CSAFPID-0003"])
            #expect(remediation.cves == ["CVE-2022-31801"])
        }
        #expect(advisory.remediations[0].products == [
            "Phoenix Contact · MULTIPROG vers:all/*", "Phoenix Contact · ProConoS vers:all/*",
            "Phoenix Contact · ProConoS eCLR vers:all/*",
        ])

        #expect(advisory.vendors == ["Phoenix Contact"])
        #expect(advisory.products.map(\.product) == ["MULTIPROG", "ProConoS", "ProConoS eCLR"])
        #expect(advisory.products.map(\.productID) == ["CSAFPID-0001", "CSAFPID-0002", "CSAFPID-0003"])
        #expect(advisory.products.map(\.fullName) == ["MULTIPROG: All versions", "ProConoS: All versions", "ProConoS eCLR: All versions"])
        for product in advisory.products {
            #expect(product.vendor == "Phoenix Contact")
            #expect(product.version == "vers:all/*")
            #expect(product.status == .knownAffected)
        }

        #expect(advisory.sectors == ["Multiple Sectors"])
        #expect(advisory.countries == ["Worldwide"])
        #expect(advisory.headquarters == "Germany")
        #expect(advisory.sourceURL == "https://www.cisa.gov/news-events/ics-advisories/icsa-22-172-04")
        #expect(advisory.documentURL == "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/2022/icsa-22-172-04.json")
        #expect(advisory.riskSummary == "Successful exploitation of this vulnerability could allow an attacker to upload arbitrary malicious code after gaining access to the communication to products utilizing ProConOS/ProConOS eCLR or MULTIPROG.")

        // The notes consumed by fields are not repeated as notes; the others are kept, none dropped.
        let titles = advisory.notes.compactMap(\.title)
        #expect(!titles.contains("Risk evaluation"))
        #expect(!titles.contains("Critical infrastructure sectors"))
        #expect(!titles.contains("Company headquarters location"))
        #expect(advisory.notes.count == 10 - 4)
        #expect(titles.filter { $0 == "Recommended Practices" }.count == 3)
    }

    @Test("a product that no vulnerability mentions is kept with status unlisted, not dropped")
    func unlistedProductKept() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(CraftedDocument.minimal.utf8)) as? [String: Any])
        json["product_tree"] = [
            "branches": [[
                "category": "vendor", "name": "Example Vendor",
                "branches": [[
                    "category": "product_name", "name": "Widget",
                    "branches": [
                        ["category": "product_version", "name": "1.0", "product": ["name": "Widget 1.0", "product_id": "P1"]],
                        ["category": "product_version", "name": "2.0", "product": ["name": "Widget 2.0", "product_id": "P2"]],
                    ],
                ]],
            ]],
        ]
        json["vulnerabilities"] = [["cve": "CVE-2024-0001", "product_status": ["known_affected": ["P1"]]]]
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: json))
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes) else { Issue.record("not read as CSAF"); return }
        #expect(parsed.advisory.products.map(\.status) == [.knownAffected, .unlisted])
        #expect(parsed.advisory.products.map(\.version) == ["1.0", "2.0"])
        #expect(parsed.advisory.vendors == ["Example Vendor"])
    }
}
