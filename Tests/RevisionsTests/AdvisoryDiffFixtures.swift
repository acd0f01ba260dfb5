import CSAF
import Foundation
import VigilTestSupport

/// Advisories for the AdvisoryDiff tests: the ISDuBA revisions from ../shared/data, and small crafted ones.
enum AdvisoryDiffFixture {
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// One of the ISDuBA revisions of `avendor-advisory-0004` (`2`, `3-interim`, `3-final`).
    static func isduba(_ revision: String) throws -> Advisory {
        try advisory(SharedData.bytes("revisions-isduba/\(revision)/avendor-advisory-0004.json"))
    }

    /// The advisory a CSAF document normalises to.
    static func advisory(_ bytes: [UInt8]) throws -> Advisory {
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes) else {
            throw Unreadable(description: "not a CSAF document")
        }
        return parsed.advisory
    }

    /// A product for a crafted CSAF document.
    struct Product {
        var id: String
        var vendor = "Example Vendor"
        var name: String
        var version: String
        /// `known_affected`, `fixed`, …
        var status = "known_affected"
    }

    /// A remediation for a crafted CSAF document.
    struct Remediation {
        var category = "vendor_fix"
        var details: String
        var productIDs: [String]
        var url: String?
    }

    /// A crafted CSAF document with one vulnerability (`CVE-2024-1234`) over the products, each under its own
    /// vendor / product name / version branch (`product_version_range` when the text starts with a comparator or
    /// `vers:`).
    static func csaf(version: String = "1", status: String = "final", products: [Product],
                     remediations: [Remediation] = []) throws -> Advisory {
        var branches: [[String: Any]] = []
        for product in products {
            let isRange = product.version.hasPrefix("vers:") || product.version.first.map { "<>=".contains($0) } == true
            branches.append([
                "category": "vendor", "name": product.vendor,
                "branches": [[
                    "category": "product_name", "name": product.name,
                    "branches": [[
                        "category": isRange ? "product_version_range" : "product_version", "name": product.version,
                        "product": ["name": "\(product.vendor) \(product.name) \(product.version)", "product_id": product.id],
                    ] as [String: Any]],
                ] as [String: Any]],
            ])
        }
        var statuses: [String: [String]] = [:]
        for product in products { statuses[product.status, default: []].append(product.id) }
        var vulnerability: [String: Any] = ["cve": "CVE-2024-1234"]
        if !statuses.isEmpty { vulnerability["product_status"] = statuses }
        if !remediations.isEmpty {
            vulnerability["remediations"] = remediations.map { remediation -> [String: Any] in
                var object: [String: Any] = ["category": remediation.category, "details": remediation.details,
                                             "product_ids": remediation.productIDs]
                if let url = remediation.url { object["url"] = url }
                return object
            }
        }
        var document: [String: Any] = [
            "document": [
                "category": "csaf_security_advisory", "csaf_version": "2.0",
                "publisher": ["category": "vendor", "name": "Example Vendor", "namespace": "https://example.com"],
                "title": "Crafted advisory",
                "references": [["category": "self", "summary": "page", "url": "https://example.com/advisory"]],
                "notes": [["category": "summary", "title": "Summary", "text": "A crafted advisory."]],
                "tracking": [
                    "current_release_date": "2024-01-0\(min(9, Int(version) ?? 1))T00:00:00Z",
                    "id": "EXAMPLE-2024-0001",
                    "initial_release_date": "2024-01-01T00:00:00Z",
                    "revision_history": (1...(Int(version) ?? 1)).map {
                        ["date": "2024-01-0\(min(9, $0))T00:00:00Z", "number": "\($0)", "summary": "Revision \($0)"]
                    },
                    "status": status, "version": version,
                ] as [String: Any],
            ] as [String: Any],
            "vulnerabilities": [vulnerability],
        ]
        if !branches.isEmpty { document["product_tree"] = ["branches": branches] }
        return try advisory([UInt8](JSONSerialization.data(withJSONObject: document)))
    }

    /// A plain advisory with no products, vulnerabilities, notes or references, to edit field by field.
    static func plain() throws -> Advisory {
        var advisory = try csaf(products: [])
        advisory.vulnerabilities = []
        advisory.remediations = []
        advisory.notes = []
        advisory.references = []
        return advisory
    }

    /// A vulnerability with a CVSS v3.1 score (none when `score` is nil).
    static func vulnerability(_ cve: String?, score: Double? = nil, vector: String = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                              title: String? = nil, cwe: String? = nil, summary: String? = nil,
                              ids: [String] = []) throws -> AdvisoryVulnerability {
        var object: [String: Any] = ["ids": ids]
        if let cve { object["cve"] = cve }
        if let title { object["title"] = title }
        if let cwe { object["cweID"] = cwe }
        if let summary { object["summary"] = summary }
        if let score {
            object["score"] = ["score": score, "severity": Severity(score: score).rawValue, "vector": vector, "version": "3.1"]
        }
        return try decode(object)
    }

    static func note(_ category: String, _ title: String?, _ text: String) throws -> AdvisoryNote {
        var object: [String: Any] = ["category": category, "text": text]
        if let title { object["title"] = title }
        return try decode(object)
    }

    static func reference(_ url: String, summary: String = "a reference") throws -> AdvisoryReference {
        try decode(["category": "external", "summary": summary, "url": url])
    }

    static func product(_ id: String, _ name: String, _ version: String?, status: ProductStatusKind = .knownAffected,
                        vendor: String = "Siemens") -> AffectedProduct {
        AffectedProduct(productID: id, vendor: vendor, product: name, version: version,
                        fullName: [name, version].compactMap { $0 }.joined(separator: " "), status: status)
    }

    private static func decode<Value: Decodable>(_ object: [String: Any]) throws -> Value {
        try JSONDecoder().decode(Value.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// The encoder the JSON API uses (`JSONResponse.encoder()` in Web): snake_case keys, ISO 8601 dates, sorted keys.
    static func apiEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func apiDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
