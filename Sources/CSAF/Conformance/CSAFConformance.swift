import Foundation

/// The groups of the CSAF 2.0 standard's tests (§6): a document that fails a mandatory test is not valid CSAF;
/// optional tests find what a good document avoids; informative ones what is worth a look.
public enum ConformanceGroup: String, Sendable, Codable, CaseIterable, Comparable {
    case mandatory, optional, informative

    public static func < (lhs: ConformanceGroup, rhs: ConformanceGroup) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One finding of a §6 test: the test's number (`6.1.1`), its group, where (a JSON path, `$.vulnerabilities[0].cve`)
/// and a sentence a document's author can act on.
public struct ConformanceFinding: Sendable, Equatable, Codable, CustomStringConvertible {
    public var test: String
    public var group: ConformanceGroup
    public var path: String
    public var message: String

    public init(test: String, group: ConformanceGroup, path: String, message: String) {
        self.test = test
        self.group = group
        self.path = path
        self.message = message
    }

    public var description: String { "\(test) (\(group.rawValue)) \(path): \(message)" }
}

/// How many §6 findings a document has in each group: what the store keeps per document (the findings themselves are
/// made again from its bytes when asked for; the tests are deterministic).
public struct ConformanceSummary: Sendable, Equatable, Codable {
    public var mandatory: Int
    public var optional: Int
    public var informative: Int

    public init(mandatory: Int, optional: Int, informative: Int) {
        self.mandatory = mandatory
        self.optional = optional
        self.informative = informative
    }

    public init(_ findings: [ConformanceFinding]) {
        self.init(mandatory: findings.count { $0.group == .mandatory }, optional: findings.count { $0.group == .optional },
                  informative: findings.count { $0.group == .informative })
    }

    public var total: Int { mandatory + optional + informative }
}

/// One test of §6: its number, group and title, and what it finds in a document.
public struct ConformanceTest: Sendable {
    public let id: String
    public let group: ConformanceGroup
    public let title: String
    let run: @Sendable (ConformanceDocument, inout ConformanceReport) -> Void
}

/// What the tests of one run found.
public struct ConformanceReport: Sendable {
    public private(set) var findings: [ConformanceFinding] = []
    /// Findings per group, kept in either mode.
    private(set) var counts = ConformanceSummary(mandatory: 0, optional: 0, informative: 0)
    /// Counting only (an import keeps the counts, not the findings): no path or sentence is built. CISA's documents
    /// average 21 findings each, and the strings were most of what an import spent on them.
    let countOnly: Bool
    var current: (id: String, group: ConformanceGroup) = ("", .mandatory)

    init(countOnly: Bool = false) {
        self.countOnly = countOnly
    }

    mutating func fail(_ path: @autoclosure () -> String, _ message: @autoclosure () -> String) {
        switch current.group {
        case .mandatory: counts.mandatory += 1
        case .optional: counts.optional += 1
        case .informative: counts.informative += 1
        }
        guard !countOnly else { return }
        findings.append(ConformanceFinding(test: current.id, group: current.group, path: path(), message: message()))
    }
}

/// The CSAF 2.0 standard's tests (§6) over a document's JSON, not its decoded model: they judge documents that the
/// model would refuse to read, and report the path of what they find.
public enum CSAFConformance {
    /// Every test implemented, in the standard's order.
    public static let tests: [ConformanceTest] = (mandatoryTests + formatTests + optionalTests + informativeTests).sorted { order($0.id).lexicographicallyPrecedes(order($1.id)) }

    /// Tests of §6 that Vigil does not run, with the reason, for reports to say so.
    public static let notRun: [(id: String, reason: String)] = [
        ("6.3.6", "non-self URLs resolving: needs the network (vigil validate --online runs it)"),
        ("6.3.7", "self URLs resolving: needs the network (vigil validate --online runs it)"),
        ("6.3.8", "spell check: no dictionary is installed"),
    ]

    /// The group a test number belongs to: 6.1 mandatory, 6.2 optional, 6.3 informative.
    public static func group(of id: String) -> ConformanceGroup {
        id.hasPrefix("6.1.") ? .mandatory : id.hasPrefix("6.2.") ? .optional : .informative
    }

    /// `6.1.27.10` as numbers, for sorting in the standard's order.
    public static func order(_ id: String) -> [Int] { id.split(separator: ".").map { Int($0) ?? 0 } }

    /// The tests of `groups` (all unless given), or only those numbered in `only`, run over `document`.
    public static func check(_ document: JSONValue, groups: Set<ConformanceGroup> = Set(ConformanceGroup.allCases),
                             only: Set<String>? = nil) -> [ConformanceFinding] {
        let context = ConformanceDocument(document)
        var report = ConformanceReport()
        for test in tests where groups.contains(test.group) && (only?.contains(test.id) ?? true) {
            report.current = (test.id, test.group)
            test.run(context, &report)
        }
        return report.findings
    }

    /// How many findings each group has: every test run as `check` runs it, without building the findings.
    public static func summary(_ document: JSONValue) -> ConformanceSummary {
        let context = ConformanceDocument(document)
        var report = ConformanceReport(countOnly: true)
        for test in tests {
            report.current = (test.id, test.group)
            test.run(context, &report)
        }
        return report.counts
    }

    /// Parses and checks a document's bytes.
    public static func check(bytes: some ContiguousBytes, groups: Set<ConformanceGroup> = Set(ConformanceGroup.allCases)) throws(JSONSyntaxError) -> [ConformanceFinding] {
        check(try JSONParser.parse(bytes), groups: groups)
    }
}

/// Where something is in a document, kept as indices and rendered as a JSON path (`$.vulnerabilities[0].cve`) only
/// when a finding needs it: most of what the tests collect is never reported, and building a path string for each
/// product, reference and branch of a large product tree cost more than the tests themselves.
enum Location: Sendable {
    /// `$.product_tree.branches[i].branches[j]…`
    case branch([Int])
    case fullProductName(Int)
    /// `$.product_tree.relationships[i]`
    case relationship(Int)
    /// `$.product_tree.product_groups[i]`
    case group(Int)
    /// `$.vulnerabilities[i].product_status.<list>[j]`
    case status(Int, String, Int)
    /// `$.vulnerabilities[i].<list>[j].<key>[k]`
    case listItem(Int, String, Int, String, Int)

    var path: String {
        switch self {
        case .branch(let indices): "$.product_tree" + indices.map { ".branches[\($0)]" }.joined()
        case .fullProductName(let i): "$.product_tree.full_product_names[\(i)]"
        case .relationship(let i): "$.product_tree.relationships[\(i)]"
        case .group(let i): "$.product_tree.product_groups[\(i)]"
        case .status(let i, let list, let j): "$.vulnerabilities[\(i)].product_status.\(list)[\(j)]"
        case .listItem(let i, let list, let j, let key, let k): "$.vulnerabilities[\(i)].\(list)[\(j)].\(key)[\(k)]"
        }
    }
}

/// A value found in a document, with where it is (`path` rendered when asked).
struct Located: Sendable {
    let value: JSONValue
    let location: Location
    /// After the location's path: `.product`, `.full_product_name`, `.product_id`, `.product_ids[3]`.
    let suffix: String
    var path: String { location.path + suffix }
}

/// A product ID where it is defined or used.
struct LocatedID: Sendable {
    let id: String
    let location: Location
    let suffix: String
    var path: String { location.path + suffix }
}

/// A CVSS object (`cvss_v2` or `cvss_v3`) of a score, with its vector parsed (nil when it is not a valid vector).
struct CVSSObject: Sendable {
    let key: String
    let value: JSONValue
    let vulnerability: Int
    let score: Int
    let scores: CVSSVectorScores?
    var path: String { "$.vulnerabilities[\(vulnerability)].scores[\(score)].\(key)" }
}

/// A product group: its ID, where it is, the product IDs it holds.
struct LocatedGroup: Sendable {
    let id: String
    let index: Int
    let products: [String]
    var path: String { Location.group(index).path + ".group_id" }
}

/// A document prepared for the tests: its JSON with the product IDs and groups it defines and the places that
/// reference them, collected once.
struct ConformanceDocument: Sendable {
    let root: JSONValue
    /// `product_id` of every Full Product Name, where it is defined.
    let definedProducts: [LocatedID]
    /// Every place a product ID is referenced (§6.1.1's paths).
    let productReferences: [LocatedID]
    /// Every product group.
    let groups: [LocatedGroup]
    /// Every Full Product Name in the product tree: in branches, `full_product_names` and relationships.
    let fullProductNames: [Located]
    /// Every branch, however deep.
    let allBranches: [Located]
    /// Every CVSS object of every score, its vector parsed once.
    let cvssObjects: [CVSSObject]

    init(_ root: JSONValue) {
        self.root = root
        var defined: [LocatedID] = []
        var references: [LocatedID] = []
        var groups: [LocatedGroup] = []
        var names: [Located] = []
        var branchList: [Located] = []
        let tree = root["product_tree"]
        func fullProductName(_ value: JSONValue?, _ location: Location, _ suffix: String) {
            guard let value else { return }
            names.append(Located(value: value, location: location, suffix: suffix))
            if let id = value["product_id"]?.stringValue { defined.append(LocatedID(id: id, location: location, suffix: suffix + ".product_id")) }
        }
        func branches(_ value: JSONValue?, _ indices: [Int]) {
            guard case .array(let items)? = value else { return }
            for (i, branch) in items.enumerated() {
                let at = indices + [i]
                branchList.append(Located(value: branch, location: .branch(at), suffix: ""))
                fullProductName(branch["product"], .branch(at), ".product")
                branches(branch["branches"], at)
            }
        }
        branches(tree?["branches"], [])
        for (i, name) in (tree?["full_product_names"]?.arrayValue ?? []).enumerated() {
            fullProductName(name, .fullProductName(i), "")
        }
        for (i, relationship) in (tree?["relationships"]?.arrayValue ?? []).enumerated() {
            fullProductName(relationship["full_product_name"], .relationship(i), ".full_product_name")
            for key in ["product_reference", "relates_to_product_reference"] {
                if let id = relationship[key]?.stringValue { references.append(LocatedID(id: id, location: .relationship(i), suffix: "." + key)) }
            }
        }
        for (i, group) in (tree?["product_groups"]?.arrayValue ?? []).enumerated() {
            let ids = group["product_ids"]?.arrayValue ?? []
            for (j, id) in ids.enumerated() {
                if let id = id.stringValue { references.append(LocatedID(id: id, location: .group(i), suffix: ".product_ids[\(j)]")) }
            }
            if let id = group["group_id"]?.stringValue { groups.append(LocatedGroup(id: id, index: i, products: ids.compactMap(\.stringValue))) }
        }
        for (i, vulnerability) in (root["vulnerabilities"]?.arrayValue ?? []).enumerated() {
            if let status = vulnerability["product_status"] {
                for list in StatusLists.all {
                    for (j, id) in (status[list]?.arrayValue ?? []).enumerated() {
                        if let id = id.stringValue { references.append(LocatedID(id: id, location: .status(i, list, j), suffix: "")) }
                    }
                }
            }
            for (list, key) in [("remediations", "product_ids"), ("scores", "products"), ("threats", "product_ids"), ("flags", "product_ids")] {
                for (j, item) in (vulnerability[list]?.arrayValue ?? []).enumerated() {
                    for (k, id) in (item[key]?.arrayValue ?? []).enumerated() {
                        if let id = id.stringValue { references.append(LocatedID(id: id, location: .listItem(i, list, j, key, k), suffix: "")) }
                    }
                }
            }
        }
        definedProducts = defined
        productReferences = references
        self.groups = groups
        fullProductNames = names
        allBranches = branchList
        var cvss: [CVSSObject] = []
        for (i, vulnerability) in (root["vulnerabilities"]?.arrayValue ?? []).enumerated() {
            for (j, score) in (vulnerability["scores"]?.arrayValue ?? []).enumerated() {
                for key in ["cvss_v2", "cvss_v3"] {
                    guard let value = score[key], value.members != nil else { continue }
                    cvss.append(CVSSObject(key: key, value: value, vulnerability: i, score: j,
                                           scores: value["vectorString"]?.stringValue.flatMap(CVSSVectorScores.parsed)))
                }
            }
        }
        cvssObjects = cvss
    }

    var document: JSONValue? { root["document"] }
    var category: String { document?["category"]?.stringValue ?? "" }
    var vulnerabilities: [JSONValue] { root["vulnerabilities"]?.arrayValue ?? [] }

    /// The products a list of product IDs and a list of group IDs name together.
    func products(ids: JSONValue?, groupIDs: JSONValue?) -> Set<String> {
        var products = Set((ids?.arrayValue ?? []).compactMap(\.stringValue))
        for groupID in (groupIDs?.arrayValue ?? []).compactMap(\.stringValue) {
            for group in groups where group.id == groupID { products.formUnion(group.products) }
        }
        return products
    }
}

/// The product status lists of a vulnerability.
enum StatusLists {
    static let all = ["first_affected", "first_fixed", "fixed", "known_affected", "known_not_affected", "last_affected", "recommended",
                      "under_investigation"]
    /// §6.1.6's groups: a product in two of them contradicts itself.
    static let contradictionGroups: [(name: String, lists: [String])] = [
        ("affected", ["first_affected", "known_affected", "last_affected"]),
        ("not affected", ["known_not_affected"]),
        ("fixed", ["first_fixed", "fixed"]),
        ("under investigation", ["under_investigation"]),
    ]
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var members: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
