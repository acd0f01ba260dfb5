import CSAF
import Foundation
import Testing
import VigilTestSupport

/// Every JSON file the real providers publish, read the way an import reads it.
@Suite("Real provider documents")
struct ProviderDocumentTests {
    /// What reading every JSON file under one provider folder gave, by path relative to the folder.
    struct Scan {
        var advisories: [String: Advisory] = [:]
        var distribution: [String: JSONDocumentKind] = [:]
        var errors: [String: CSAFReadError] = [:]
    }

    static func scan(_ folder: String) throws -> Scan {
        var scan = Scan()
        for path in try SharedData.jsonFiles(under: folder) {
            let bytes = try SharedData.bytes("\(folder)/\(path)")
            do {
                switch try CSAFDocumentReader.read(bytes) {
                case .csaf(let parsed):
                    #expect(parsed.advisory.id == parsed.document.document.tracking.id, "\(path)")
                    #expect(!parsed.advisory.title.isEmpty, "\(path)")
                    #expect(parsed.advisory.revisions.count == parsed.document.document.tracking.revisionHistory.count, "\(path)")
                    #expect(parsed.advisory.currentReleaseDate != nil, "\(path): current_release_date did not parse")
                    scan.advisories[path] = parsed.advisory
                case .distribution(let kind):
                    scan.distribution[path] = kind
                }
            } catch {
                scan.errors[path] = error
            }
        }
        return scan
    }

    @Test("all 2,383 CISA documents (2,379 OT, 4 IT) decode and normalise; feeds and metadata are recognised")
    func cisa() throws {
        let scan = try Self.scan("providers/cisa")
        #expect(scan.errors.isEmpty, "rejected: \(scan.errors.map { "\($0.key): \($0.value.message)" }.sorted().prefix(10))")
        let ot = scan.advisories.keys.filter { $0.hasPrefix("csaf_files/OT/white/") }
        let it = scan.advisories.keys.filter { $0.hasPrefix("csaf_files/IT/white/") }
        #expect(ot.count == 2_379)
        #expect(it.count == 4)
        #expect(scan.advisories.count == 2_383)
        #expect(scan.distribution == [
            "provider-metadata.json": .providerMetadata,
            "csaf_files/OT/white/cisa-csaf-ot-feed-tlp-white.json": .rolieFeed,
            "csaf_files/IT/white/cisa-csaf-it-feed-tlp-white.json": .rolieFeed,
        ])
        // CISA names each file after the advisory: icsa-22-172-04.json holds ICSA-22-172-04.
        for (path, advisory) in scan.advisories {
            #expect(advisory.id.lowercased() + ".json" == path.split(separator: "/").last.map(String.init), "\(path)")
            #expect(advisory.publisher.name == "CISA", "\(path)")
            #expect(!advisory.products.isEmpty, "\(path): no products")
            #expect(!advisory.vendors.isEmpty, "\(path): no vendor")
        }
        #expect(Set(scan.advisories.values.map(\.id)).count == 2_383)
    }

    @Test("all 90 NI documents decode and normalise")
    func nationalInstruments() throws {
        let scan = try Self.scan("providers/ni")
        #expect(scan.errors.isEmpty, "rejected: \(scan.errors.map { "\($0.key): \($0.value.message)" }.sorted().prefix(10))")
        #expect(scan.advisories.count == 90)
        #expect(scan.advisories.keys.allSatisfy { $0.hasPrefix("csaf/advisories/") })
        #expect(scan.distribution == ["csaf/provider-metadata.json": .providerMetadata])
        for (path, advisory) in scan.advisories {
            #expect(!advisory.products.isEmpty, "\(path): no products")
        }
        // Score objects holding only `cvss_v4` are schema-valid; the CVSS v3 score beside them is the one shown.
        let withV4 = try #require(scan.advisories["csaf/advisories/2025/ni_cve-2025-30419.json"])
        #expect(withV4.highestScore?.vector == "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H")
        #expect(withV4.severity == .high)
    }

    @Test("all 23 Stackable documents decode and normalise")
    func stackable() throws {
        let scan = try Self.scan("providers/stackable")
        #expect(scan.advisories.count == 23)
        #expect(scan.advisories.keys.allSatisfy { $0.hasPrefix("csaf/v2/advisories/") })
        // Stackable serves its metadata at the well-known path and under csaf/v2; whether the copy here is a file or a
        // link to the other, both read as the same provider metadata.
        #expect(scan.distribution == [
            "csaf/v2/provider-metadata.json": .providerMetadata, ".well-known/csaf/provider-metadata.json": .providerMetadata,
        ])
        #expect(scan.errors.isEmpty, "\(scan.errors.mapValues(\.message))")
        #expect(try SharedData.bytes("providers/stackable/.well-known/csaf/provider-metadata.json")
                == SharedData.bytes("providers/stackable/csaf/v2/provider-metadata.json"))
    }

    @Test("gocsaf: the valid documents are accepted, trailing garbage and the templated ROLIE feed are syntax errors")
    func gocsaf() throws {
        let scan = try Self.scan("providers/gocsaf-testdata")
        #expect(Set(scan.advisories.keys) == [
            "csaf-documents/valid/advisory-tracking-generator-no-version.json",
            "csaf-documents/valid/avendor-advisory-0004.json",
            "simple-directory-provider/white/avendor-advisory-0004-not-listed.json",
            "simple-directory-provider/white/avendor-advisory-0004.json",
            "simple-rolie-provider/white/avendor-advisory-0004.json",
        ])
        #expect(scan.distribution == [
            "simple-directory-provider/provider-metadata.json": .providerMetadata,
            "simple-rolie-provider/provider-metadata.json": .providerMetadata,
            "simple-rolie-provider/service.json": .rolieService,
        ])

        // The document is complete and valid up to line 170; line 171 says "invalid data".
        let garbage = try #require(scan.errors["csaf-documents/trailing-garbage-data/avendor-advisory-0004.json"])
        #expect(garbage.code == .syntax)
        #expect(garbage.message == "invalid JSON at line 171, column 1: unexpected data after the end of the JSON value")

        // The feed is a Go template: `{{if .EnableSha256}}` where an object member should start.
        let feed = try #require(scan.errors["simple-rolie-provider/white/white-feed.json"])
        #expect(feed.code == .syntax)
        #expect(feed.message.hasPrefix("invalid JSON at line 31, column 12: "), "\(feed.message)")

        // The processor requirement files are JSON arrays, not CSAF: rejected with a reason, not crashed on.
        let requirements = scan.errors.filter { $0.key.hasPrefix("processor-requirements/") }
        #expect(requirements.count == 11)
        for (path, error) in requirements {
            #expect(error.code == .notCSAF, "\(path)")
            #expect(error.message.contains("the top level is an array"), "\(path): \(error.message)")
        }
        #expect(scan.errors.count == 13)
    }
}
