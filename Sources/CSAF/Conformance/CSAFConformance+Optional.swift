import Foundation

/// The optional tests of CSAF 2.0 §6.2 and the informative ones of §6.3: what a good document avoids, and what is
/// worth a look. Real providers fail some of them; none makes a document invalid.
extension CSAFConformance {
    static let optionalTests: [ConformanceTest] = [
        test("6.2.1", "Unused definition of product ID") { doc, report in
            guard doc.category != "csaf_informational_advisory" else { return }
            let used = Set(doc.productReferences.map(\.id))
            for product in doc.definedProducts where !used.contains(product.id) {
                report.fail(product.path, "the product \(product.id) is defined but nothing in the document refers to it")
            }
        },
        test("6.2.2", "Missing remediation") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                var remedied = Set<String>()
                for remediation in vulnerability["remediations"]?.arrayValue ?? [] {
                    remedied.formUnion(doc.products(ids: remediation["product_ids"], groupIDs: remediation["group_ids"]))
                }
                for list in ["first_affected", "known_affected", "last_affected", "under_investigation"] {
                    for (j, id) in (vulnerability["product_status"]?[list]?.arrayValue ?? []).enumerated() {
                        if let id = id.stringValue, !remedied.contains(id) {
                            report.fail("$.vulnerabilities[\(i)].product_status.\(list)[\(j)]",
                                        "the product \(id) is \(list.replacingOccurrences(of: "_", with: " ")) but no remediation names it (none_available or no_fix_planned say so)")
                        }
                    }
                }
            }
        },
        test("6.2.3", "Missing score") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                let scored = Set((vulnerability["scores"]?.arrayValue ?? []).flatMap { ($0["products"]?.arrayValue ?? []).compactMap(\.stringValue) })
                for list in ["first_affected", "known_affected", "last_affected"] {
                    for (j, id) in (vulnerability["product_status"]?[list]?.arrayValue ?? []).enumerated() {
                        if let id = id.stringValue, !scored.contains(id) {
                            report.fail("$.vulnerabilities[\(i)].product_status.\(list)[\(j)]", "the product \(id) is affected but no score covers it")
                        }
                    }
                }
            }
        },
        test("6.2.4", "Build metadata in revision history") { doc, report in
            for (i, revision) in revisions(doc).enumerated() {
                if let number = revision["number"]?.stringValue, let build = DocumentVersion(number)?.build {
                    report.fail("$.document.tracking.revision_history[\(i)].number", "the revision number \(number) carries build metadata (+\(build))")
                }
            }
        },
        test("6.2.5", "Older initial release date than revision history") { doc, report in
            guard let text = doc.document?["tracking"]?["initial_release_date"]?.stringValue, let initial = Timestamp.parse(text),
                  let oldest = revisions(doc).compactMap({ $0["date"]?.stringValue.flatMap(Timestamp.parse) }).min(), initial < oldest else { return }
            report.fail("$.document.tracking.initial_release_date", "the initial release date \(text) is older than the oldest revision (\(Timestamp.format(oldest)))")
        },
        test("6.2.6", "Older current release date than revision history") { doc, report in
            guard let text = doc.document?["tracking"]?["current_release_date"]?.stringValue, let current = Timestamp.parse(text),
                  let newest = revisions(doc).compactMap({ $0["date"]?.stringValue.flatMap(Timestamp.parse) }).max(), current < newest else { return }
            report.fail("$.document.tracking.current_release_date", "the current release date \(text) is older than the newest revision (\(Timestamp.format(newest)))")
        },
        test("6.2.7", "Missing date in involvements") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                for (j, involvement) in (vulnerability["involvements"]?.arrayValue ?? []).enumerated() where involvement["date"] == nil {
                    report.fail("$.vulnerabilities[\(i)].involvements[\(j)]", "the involvement has no date")
                }
            }
        },
        test("6.2.8", "Use of MD5 as the only hash algorithm") { doc, report in onlyHash("md5", doc, &report) },
        test("6.2.9", "Use of SHA-1 as the only hash algorithm") { doc, report in onlyHash("sha1", doc, &report) },
        test("6.2.10", "Missing TLP label") { doc, report in
            let label = doc.document?["distribution"]?["tlp"]?["label"]?.stringValue
            if !["AMBER", "GREEN", "RED", "WHITE"].contains(label ?? "") {
                report.fail("$.document.distribution.tlp.label", label.map { "the TLP label \($0) is not one of WHITE, GREEN, AMBER and RED" } ?? "the document has no TLP label")
            }
        },
        test("6.2.11", "Missing canonical URL") { doc, report in
            let filename = doc.document?["tracking"]?["id"]?.stringValue.map(CSAFFilename.name(forTrackingID:)) ?? ""
            let selves = (doc.document?["references"]?.arrayValue ?? []).filter { $0["category"]?.stringValue == "self" }.compactMap { $0["url"]?.stringValue }
            if !selves.contains(where: { $0.hasPrefix("https://") && $0.hasSuffix("/" + filename) }) {
                report.fail("$.document.references", "no reference of category self gives the document's https URL ending in /\(filename)")
            }
        },
        test("6.2.12", "Missing document language") { doc, report in
            if doc.document?["lang"]?.stringValue?.isEmpty ?? true { report.fail("$.document.lang", "the document does not say its language (lang)") }
        },
        test("6.2.13", "Sorting") { doc, report in
            var trail = JSONTrail(recording: !report.countOnly)
            func walk(_ value: JSONValue) {
                switch value {
                case .object(let members):
                    // Byte order: the schema's keys are ASCII, and comparing bytes is what "alphabetically" needs here.
                    if let index = members.indices.dropLast().first(where: { members[$0 + 1].key.utf8.lexicographicallyPrecedes(members[$0].key.utf8) }) {
                        report.fail(trail.path, "the keys are not sorted alphabetically: \(members[index + 1].key) comes after \(members[index].key)")
                    }
                    for member in members {
                        trail.push(member.key)
                        walk(member.value)
                        trail.pop()
                    }
                case .array(let items):
                    for (i, item) in items.enumerated() {
                        trail.push(i)
                        walk(item)
                        trail.pop()
                    }
                default:
                    break
                }
            }
            walk(doc.root)
        },
        test("6.2.14", "Use of private language") { doc, report in
            for key in ["lang", "source_lang"] {
                if let tag = doc.document?[key]?.stringValue, let reason = LanguageTag.privateUse(tag) {
                    report.fail("$.document.\(key)", "the language \(tag) is not for public documents: \(reason)")
                }
            }
        },
        test("6.2.15", "Use of default language") { doc, report in
            for key in ["lang", "source_lang"] where doc.document?[key]?.stringValue?.lowercased() == "i-default" {
                report.fail("$.document.\(key)", "i-default names no language; give the document's real language")
            }
        },
        test("6.2.16", "Missing product identification helper") { doc, report in
            for name in doc.fullProductNames where name.value["product_identification_helper"] == nil {
                report.fail(name.path, "the product \(name.value["product_id"]?.stringValue ?? "") has no product_identification_helper (CPE, PURL, hashes, model or serial numbers…)")
            }
        },
        test("6.2.17", "CVE in field IDs") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                for (j, id) in (vulnerability["ids"]?.arrayValue ?? []).enumerated() {
                    if let text = id["text"]?.stringValue, isCVE(text) {
                        report.fail("$.vulnerabilities[\(i)].ids[\(j)].text", "\(text) is a CVE ID: put it in cve, not in ids")
                    }
                }
            }
        },
        test("6.2.18", "Product version range without vers") { doc, report in
            for branch in doc.allBranches where branch.value["category"]?.stringValue == "product_version_range" {
                guard let name = branch.value["name"]?.stringValue, !isVers(name) else { continue }
                report.fail(branch.path + ".name", "the version range \(name) is not in the vers format (vers:generic/<4.2)")
            }
        },
        test("6.2.19", "CVSS for fixed products") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                let scores = vulnerability["scores"]?.arrayValue ?? []
                for list in ["first_fixed", "fixed"] {
                    for (j, id) in (vulnerability["product_status"]?[list]?.arrayValue ?? []).enumerated() {
                        guard let id = id.stringValue else { continue }
                        for score in scores where (score["products"]?.arrayValue ?? []).contains(.string(id)) {
                            for key in ["cvss_v3", "cvss_v2"] {
                                guard let cvss = score[key], cvss.members != nil else { continue }
                                if environmentalScore(cvss) != 0 {
                                    report.fail("$.vulnerabilities[\(i)].product_status.\(list)[\(j)]",
                                                "the product \(id) is fixed but its \(key) score has no environmental score of 0 saying so")
                                }
                            }
                        }
                    }
                }
            }
        },
        test("6.2.20", "Additional properties") { doc, report in
            // The schema's keys for each object (CSAFSchemaKeys, generated from the schema); arrays are looked through.
            var trail = JSONTrail(recording: !report.countOnly)
            func walk(_ value: JSONValue, _ keys: [String: String]) {
                switch value {
                case .array(let items):
                    for (i, item) in items.enumerated() {
                        trail.push(i)
                        walk(item, keys)
                        trail.pop()
                    }
                case .object(let members):
                    for member in members {
                        guard let child = keys[member.key] else {
                            report.fail(trail.path + "." + member.key, "\(member.key) is not a property the CSAF 2.0 schema defines here")
                            continue
                        }
                        if !child.isEmpty, let childKeys = CSAFSchemaKeys.shapes[child] {
                            trail.push(member.key)
                            walk(member.value, childKeys)
                            trail.pop()
                        }
                    }
                default:
                    break
                }
            }
            walk(doc.root, CSAFSchemaKeys.shapes[CSAFSchemaKeys.root] ?? [:])
        },
    ]

    static let informativeTests: [ConformanceTest] = [
        test("6.3.1", "Use of CVSS v2 as the only scoring system") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                for (j, score) in (vulnerability["scores"]?.arrayValue ?? []).enumerated() where score["cvss_v2"] != nil && score["cvss_v3"] == nil {
                    report.fail("$.vulnerabilities[\(i)].scores[\(j)]", "only a CVSS v2 score is given; add CVSS v3.1")
                }
            }
        },
        test("6.3.2", "Use of CVSS v3.0") { doc, report in
            for object in doc.cvssObjects where object.key == "cvss_v3" {
                if object.value["version"]?.stringValue == "3.0" || object.value["vectorString"]?.stringValue?.hasPrefix("CVSS:3.0/") == true {
                    report.fail(object.path, "CVSS v3.0 is used; CVSS v3.1 is recommended")
                }
            }
        },
        test("6.3.3", "Missing CVE") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() where vulnerability["cve"] == nil {
                report.fail("$.vulnerabilities[\(i)]", "the vulnerability has no CVE ID")
            }
        },
        test("6.3.4", "Missing CWE") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() where vulnerability["cwe"] == nil {
                report.fail("$.vulnerabilities[\(i)]", "the vulnerability has no CWE")
            }
        },
        test("6.3.5", "Use of short hash") { doc, report in
            for name in doc.fullProductNames {
                for (i, hash) in (name.value["product_identification_helper"]?["hashes"]?.arrayValue ?? []).enumerated() {
                    for (j, fileHash) in (hash["file_hashes"]?.arrayValue ?? []).enumerated() {
                        if let value = fileHash["value"]?.stringValue, value.count < 64 {
                            report.fail("\(name.path).product_identification_helper.hashes[\(i)].file_hashes[\(j)].value",
                                        "the hash is \(value.count) characters long; use one of at least 64 (SHA-256 or stronger)")
                        }
                    }
                }
            }
        },
        test("6.3.9", "Branch categories") { doc, report in
            func walk(_ branches: JSONValue?, _ path: String, _ categories: [String]) {
                for (i, branch) in (branches?.arrayValue ?? []).enumerated() {
                    let at = "\(path)[\(i)]"
                    let trail = categories + [branch["category"]?.stringValue ?? ""]
                    if let product = branch["product"] {
                        var expected = ["vendor", "product_name", "product_version"][...]
                        for category in trail where category == expected.first { expected.removeFirst() }
                        if let missing = expected.first {
                            report.fail(at + ".product", "the product \(product["product_id"]?.stringValue ?? "") has no \(missing) branch on its path (vendor → product_name → product_version)")
                        }
                    }
                    walk(branch["branches"], at + ".branches", trail)
                }
            }
            walk(doc.root["product_tree"]?["branches"], "$.product_tree.branches", [])
        },
        test("6.3.10", "Usage of product version range") { doc, report in
            for branch in doc.allBranches where branch.value["category"]?.stringValue == "product_version_range" {
                report.fail(branch.path + ".category", "a version range is used; listing the versions lets machines match them")
            }
        },
        test("6.3.11", "Usage of V as version indicator") { doc, report in
            for branch in doc.allBranches where branch.value["category"]?.stringValue == "product_version" {
                guard let name = branch.value["name"]?.stringValue, let first = name.first, first == "v" || first == "V",
                      name.dropFirst().first?.isASCII == true, name.dropFirst().first?.isNumber == true else { continue }
                report.fail(branch.path + ".name", "the version \(name) starts with \(first); give the version alone")
            }
        },
    ]

    /// 6.2.8 and 6.2.9: an item of hashes whose only algorithm is `algorithm`.
    static func onlyHash(_ algorithm: String, _ doc: ConformanceDocument, _ report: inout ConformanceReport) {
        for name in doc.fullProductNames {
            for (i, hash) in (name.value["product_identification_helper"]?["hashes"]?.arrayValue ?? []).enumerated() {
                let algorithms = Set((hash["file_hashes"]?.arrayValue ?? []).compactMap { $0["algorithm"]?.stringValue?.lowercased() })
                if algorithms == [algorithm] {
                    report.fail("\(name.path).product_identification_helper.hashes[\(i)].file_hashes",
                                "\(algorithm) is the only hash given; add a stronger one (SHA-256) beside it")
                }
            }
        }
    }

    /// `^CVE-[0-9]{4}-[0-9]{4,}$`.
    static func isCVE(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "CVE" && parts[1].count == 4 && parts[2].count >= 4
            && (parts[1] + parts[2]).utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `^vers:[a-z\.\-\+][a-z0-9\.\-\+]*/.+` (§6.2.18).
    static func isVers(_ text: String) -> Bool {
        guard text.hasPrefix("vers:"), let slash = text.dropFirst(5).firstIndex(of: "/") else { return false }
        let scheme = text[text.index(text.startIndex, offsetBy: 5)..<slash]
        guard let first = scheme.utf8.first, (first >= 0x61 && first <= 0x7A) || first == 0x2E || first == 0x2D || first == 0x2B else { return false }
        return scheme.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B }
            && text.index(after: slash) < text.endIndex
    }

    /// A CVSS object's environmental score: as given, else computed from its vector and the properties that add
    /// metrics the vector leaves out (`modifiedIntegrityImpact: NONE`), when any environmental metric is set.
    static func environmentalScore(_ cvss: JSONValue) -> Double? {
        if case .number(let score)? = cvss["environmentalScore"] { return score }
        guard var vector = cvss["vectorString"]?.stringValue, let parsed = CVSSVectorScores.parsed(vector) else { return nil }
        let properties = parsed.version == .v2 ? v2Properties : v3Properties
        for (metric, property, words) in properties where parsed.metrics[metric] == nil {
            if let given = cvss[property]?.stringValue, let code = words.first(where: { $0.value == given })?.key { vector += "/\(metric):\(code)" }
        }
        guard let scores = CVSSVectorScores.parsed(vector) else { return nil }
        let environmental = ["CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA", "CDP", "TD"]
        guard environmental.contains(where: { key in scores.metrics[key].map { $0 != "X" && $0 != "ND" } ?? false }) else { return nil }
        return scores.environmentalScore
    }
}

/// File names of CSAF documents (§5.1): the tracking ID in lower case, every character other than `+`, `-`, a–z
/// and 0–9 replaced by `_`, then `.json`.
public enum CSAFFilename {
    public static func name(forTrackingID id: String) -> String {
        String(id.lowercased().unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (scalar.isASCII && (c.isLetter || c.isNumber)) || c == "+" || c == "-" ? c : "_"
        }) + ".json"
    }
}

/// The way down a JSON tree during a walk, rendered as a path (`$.document.notes[2]`) only when a finding needs it.
struct JSONTrail {
    enum Step {
        case key(String)
        case index(Int)
    }

    private var steps: [Step] = []
    /// False when nothing will ask for a path (a count-only run, `ConformanceReport.countOnly`): the walk then keeps
    /// no steps.
    private let recording: Bool

    init(recording: Bool = true) {
        self.recording = recording
    }

    mutating func push(_ key: String) { if recording { steps.append(.key(key)) } }
    mutating func push(_ index: Int) { if recording { steps.append(.index(index)) } }
    mutating func pop() { if recording { steps.removeLast() } }

    var path: String {
        steps.reduce(into: "$") { path, step in
            switch step {
            case .key(let key): path += "." + key
            case .index(let index): path += "[\(index)]"
            }
        }
    }
}
