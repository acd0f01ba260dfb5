import Foundation

/// A small CSAF 2.0 security advisory written for a test: one publisher, products of one vendor (each a product name
/// with versions), vulnerabilities with CVEs whose products are known affected (or fixed), and reference URLs. The
/// bytes parse and pass the schema; only what a test sets differs between two of them.
public struct CraftedAdvisory: Sendable {
    public struct Publisher: Sendable {
        public var name: String
        public var category: String
        public var namespace: String
        public init(name: String, category: String, namespace: String) {
            self.name = name
            self.category = category
            self.namespace = namespace
        }
        public static let cisa = Publisher(name: "CISA", category: "coordinator", namespace: "https://www.cisa.gov/")
        public static let example = Publisher(name: "Example ProductCERT", category: "vendor", namespace: "https://example.com")
    }

    /// A product version and whether it is affected (`known_affected`) or the fixed one (`fixed`).
    public struct Product: Sendable {
        public var name: String
        public var version: String
        public var fixed: Bool
        public init(_ name: String, _ version: String, fixed: Bool = false) {
            self.name = name
            self.version = version
            self.fixed = fixed
        }
    }

    public var id: String
    public var publisher: Publisher
    public var vendor: String
    public var products: [Product]
    public var cves: [String]
    public var references: [String]
    /// `YYYY-MM-DD`: the initial release date; each later version adds a day to the current release date.
    public var released: String
    public var version: Int
    public var title: String
    public var cvss: Double
    /// When set, a VEX document (`csaf_vex`): its products are `known_not_affected` by every CVE, with this flag label
    /// (`vulnerable_code_not_present`, …) as the justification.
    public var notAffectedBecause: String?

    public init(id: String, publisher: Publisher = .cisa, vendor: String = "Example", products: [Product] = [Product("Example PLC", "< V2.0")],
                cves: [String] = ["CVE-2026-0001"], references: [String] = [], released: String = "2026-03-02", version: Int = 1,
                title: String? = nil, cvss: Double = 7.5) {
        self.id = id
        self.publisher = publisher
        self.vendor = vendor
        self.products = products
        self.cves = cves
        self.references = references
        self.released = released
        self.version = version
        self.title = title ?? "\(vendor) \(products.first?.name ?? "products")"
        self.cvss = cvss
    }

    /// The document's bytes.
    public var bytes: [UInt8] {
        let initial = "\(released)T10:00:00Z"
        let base = ISO8601DateFormatter().date(from: initial) ?? Date(timeIntervalSince1970: 0)
        let current = ISO8601DateFormatter().string(from: base.addingTimeInterval(Double(version - 1) * 86_400))
        let history: [[String: Any]] = (1...max(version, 1)).map { number in
            ["date": ISO8601DateFormatter().string(from: base.addingTimeInterval(Double(number - 1) * 86_400)),
             "number": "\(number)", "summary": number == 1 ? "Initial version" : "Revision \(number)"]
        }
        var productBranches: [[String: Any]] = []
        var grouped: [(String, [(Int, Product)])] = []
        for (index, product) in products.enumerated() {
            if let at = grouped.firstIndex(where: { $0.0 == product.name }) {
                grouped[at].1.append((index, product))
            } else {
                grouped.append((product.name, [(index, product)]))
            }
        }
        for (name, versions) in grouped {
            productBranches.append([
                "category": "product_name", "name": name,
                "branches": versions.map { index, product in
                    ["category": "product_version_range", "name": product.version,
                     "product": ["product_id": "CSAFPID-\(index + 1)", "name": "\(vendor) \(name) \(product.version)"]] as [String: Any]
                },
            ])
        }
        let affected = notAffectedBecause != nil ? [] : products.indices.filter { !products[$0].fixed }.map { "CSAFPID-\($0 + 1)" }
        let notAffected = notAffectedBecause != nil ? products.indices.map { "CSAFPID-\($0 + 1)" } : []
        let fixed = products.indices.filter { products[$0].fixed }.map { "CSAFPID-\($0 + 1)" }
        var status: [String: Any] = [:]
        if !affected.isEmpty { status["known_affected"] = affected }
        if !fixed.isEmpty, notAffectedBecause == nil { status["fixed"] = fixed }
        if !notAffected.isEmpty { status["known_not_affected"] = notAffected }
        let vulnerabilities: [[String: Any]] = cves.map { cve in
            var vulnerability: [String: Any] = ["cve": cve, "title": "A flaw (\(cve))", "product_status": status,
                                                "notes": [["category": "summary", "text": "Details of \(cve)."]]]
            if let notAffectedBecause { vulnerability["flags"] = [["label": notAffectedBecause, "product_ids": notAffected]] }
            if !affected.isEmpty {
                vulnerability["scores"] = [["products": affected, "cvss_v3": [
                    "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "baseScore": cvss,
                    "baseSeverity": cvss >= 9 ? "CRITICAL" : cvss >= 7 ? "HIGH" : cvss >= 4 ? "MEDIUM" : "LOW",
                ] as [String: Any]]]
                vulnerability["remediations"] = [["category": "vendor_fix", "details": "Update to the latest version.",
                                                  "product_ids": affected]]
            }
            return vulnerability
        }
        var header: [String: Any] = [
                "category": notAffectedBecause == nil ? "csaf_security_advisory" : "csaf_vex", "csaf_version": "2.0", "title": title, "lang": "en-US",
                "distribution": ["tlp": ["label": "WHITE"]],
                "publisher": ["category": publisher.category, "name": publisher.name, "namespace": publisher.namespace],
                "notes": [["category": "summary", "text": "Crafted advisory \(id)."]],
                "tracking": [
                    "id": id, "status": "final", "version": "\(version)", "initial_release_date": initial,
                    "current_release_date": current, "revision_history": history,
                ] as [String: Any],
        ]
        if !references.isEmpty {
            header["references"] = references.map { ["category": "external", "summary": "Related advisory", "url": $0] }
        }
        let document: [String: Any] = [
            "document": header,
            "product_tree": ["branches": [["category": "vendor", "name": vendor, "branches": productBranches]]],
            "vulnerabilities": vulnerabilities,
        ]
        // Sorted keys: the same advisory always has the same bytes.
        return [UInt8]((try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data())
    }
}
