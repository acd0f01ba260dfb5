import Foundation

/// The mandatory tests about formats defined elsewhere: CVSS objects (6.1.8–6.1.10), language tags (6.1.12) and
/// package URLs (6.1.13), CWEs against MITRE's list (6.1.11, `CWECatalogue`, CWE 4.14).
extension CSAFConformance {
    static let formatTests: [ConformanceTest] = [
        test("6.1.8", "Invalid CVSS") { doc, report in
            for object in doc.cvssObjects {
                let key = object.key, cvss = object.value
                var path: String { object.path }
                let required = key == "cvss_v3" ? ["version", "vectorString", "baseScore", "baseSeverity"] : ["version", "vectorString", "baseScore"]
                for property in required where cvss[property] == nil {
                    report.fail(path, "the \(key) object lacks \(property), which the CVSS schema requires")
                }
                let versions = key == "cvss_v3" ? ["3.0", "3.1"] : ["2.0"]
                if let version = cvss["version"], !versions.contains(version.stringValue ?? "") {
                    report.fail(path + ".version", "\(key) has version \(describe(version)); it must be \(versions.joined(separator: " or "))")
                }
                if let vector = cvss["vectorString"] {
                    let parsed = object.scores
                    let expected = key == "cvss_v3" ? [CVSSVectorScores.Version.v30, .v31] : [.v2]
                    if parsed.map({ !expected.contains($0.version) }) ?? true {
                        report.fail(path + ".vectorString", "\(describe(vector)) is not a CVSS \(versions.joined(separator: "/")) vector")
                    } else if let parsed, let version = cvss["version"]?.stringValue, key == "cvss_v3", parsed.version.rawValue != version {
                        report.fail(path + ".vectorString", "the vector is CVSS \(parsed.version.rawValue) but version says \(version)")
                    }
                }
                for property in ["baseScore", "temporalScore", "environmentalScore"] {
                    guard let value = cvss[property] else { continue }
                    if case .number(let score) = value, (0...10).contains(score) { continue }
                    report.fail("\(path).\(property)", "\(property) is \(describe(value)); a CVSS score is a number from 0 to 10")
                }
                let properties = key == "cvss_v3" ? v3Words : v2Words
                for member in cvss.members ?? [] {
                    if let words = properties[member.key], !words.contains(member.value.stringValue ?? "") {
                        report.fail("\(path).\(member.key)", "\(member.key) is \(describe(member.value)); it must be one of \(words.sorted().joined(separator: ", "))")
                    }
                }
                if key == "cvss_v3" {
                    for property in ["baseSeverity", "temporalSeverity", "environmentalSeverity"] {
                        if let value = cvss[property], !["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(value.stringValue ?? "") {
                            report.fail("\(path).\(property)", "\(property) is \(describe(value)); it must be NONE, LOW, MEDIUM, HIGH or CRITICAL")
                        }
                    }
                }
            }
        },
        test("6.1.9", "Invalid CVSS computation") { doc, report in
            for object in doc.cvssObjects {
                let key = object.key, cvss = object.value
                var path: String { object.path }
                guard let text = cvss["vectorString"]?.stringValue, let scores = object.scores else { continue }
                let computed: [(String, Double?, String?)] = [("baseScore", scores.baseScore, "baseSeverity"),
                                                              ("temporalScore", scores.temporalScore, "temporalSeverity"),
                                                              ("environmentalScore", scores.environmentalScore, "environmentalSeverity")]
                for (property, value, severity) in computed {
                    if case .number(let given)? = cvss[property] {
                        // A score the vector does not define (no temporal metric) is the base score's.
                        let expected = value ?? (property == "environmentalScore" ? scores.temporalScore ?? scores.baseScore : scores.baseScore)
                        if abs(given - expected) > 0.001 {
                            report.fail("\(path).\(property)", "\(property) is \(format(given)) but the vector \(text) gives \(format(expected))")
                        }
                    }
                    if key == "cvss_v3", let severity, let given = cvss[severity]?.stringValue {
                        let score = value ?? (property == "environmentalScore" ? scores.temporalScore ?? scores.baseScore : scores.baseScore)
                        let expected = CVSSVectorScores.severity(score)
                        if given != expected {
                            report.fail("\(path).\(severity)", "\(severity) is \(given) but a score of \(format(score)) is \(expected)")
                        }
                    }
                }
            }
        },
        test("6.1.10", "Inconsistent CVSS") { doc, report in
            for object in doc.cvssObjects {
                let key = object.key, cvss = object.value
                var path: String { object.path }
                guard object.scores != nil, let scores = object.scores else { continue }
                let properties = key == "cvss_v3" ? v3Properties : v2Properties
                // A property for a metric the vector leaves out adds to it (an environmental property beside a base
                // vector): only a metric in both can contradict.
                for (metric, property, words) in properties {
                    guard let given = cvss[property]?.stringValue, let code = scores.metrics[metric] else { continue }
                    if let expected = words[code], expected != given {
                        report.fail("\(path).\(property)", "\(property) is \(given) but the vector says \(metric):\(code) (\(expected))")
                    }
                }
            }
        },
        test("6.1.11", "CWE") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                guard let cwe = vulnerability["cwe"], cwe.members != nil else { continue }
                let id = cwe["id"]?.stringValue ?? ""
                guard id.hasPrefix("CWE-"), let number = Int(id.dropFirst(4)), let name = CWECatalogue.names[number] else {
                    report.fail("$.vulnerabilities[\(i)].cwe.id", "\(describe(cwe["id"] ?? .null)) is not a CWE of MITRE's list (version \(CWECatalogue.version))")
                    continue
                }
                // A CWE deprecated since (CISA's 2017 advisories cite CWE-533) still exists: its name matches with or
                // without the list's "DEPRECATED: " prefix. Trimmed: MITRE's list has a trailing space in CWE-280's name.
                let listed = name.trimmingSpacesAndTabs
                let names = listed.hasPrefix("DEPRECATED: ") ? [listed, String(listed.dropFirst(12))] : [listed]
                if let given = cwe["name"]?.stringValue, !names.contains(given.trimmingSpacesAndTabs) {
                    report.fail("$.vulnerabilities[\(i)].cwe.name", "\(id) is named “\(name)” in MITRE's list (version \(CWECatalogue.version)), not “\(given)”")
                }
            }
        },
        test("6.1.12", "Language") { doc, report in
            for key in ["lang", "source_lang"] {
                guard let value = doc.document?[key] else { continue }
                if let problem = LanguageTag.problem(value.stringValue ?? "") {
                    report.fail("$.document.\(key)", "\(describe(value)) is not a valid language tag: \(problem)")
                }
            }
        },
        test("6.1.13", "PURL") { doc, report in
            for name in doc.fullProductNames {
                guard let purl = name.value["product_identification_helper"]?["purl"] else { continue }
                if let problem = PackageURLCheck.problem(purl.stringValue ?? "") {
                    report.fail(name.path + ".product_identification_helper.purl", "\(describe(purl)) is not a valid package URL: \(problem)")
                }
            }
        },
    ]

    /// The words each CVSS property may hold, by property name.
    static let v3Words: [String: Set<String>] = Dictionary(v3Properties.map { ($0.property, Set($0.words.values)) }, uniquingKeysWith: { a, _ in a })
    static let v2Words: [String: Set<String>] = Dictionary(v2Properties.map { ($0.property, Set($0.words.values)) }, uniquingKeysWith: { a, _ in a })

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "“\(text)”"
        case .number(let number): format(number)
        default: value.typeName
        }
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(format: "%.1f", number) : "\(number)"
    }

    /// CVSS v3 metrics, the properties that repeat them, and the words for each value.
    static let v3Properties: [(metric: String, property: String, words: [String: String])] = {
        let notDefined = ["X": "NOT_DEFINED"]
        let av = ["N": "NETWORK", "A": "ADJACENT_NETWORK", "L": "LOCAL", "P": "PHYSICAL"]
        let lowHigh = ["L": "LOW", "H": "HIGH"]
        let pr = ["N": "NONE", "L": "LOW", "H": "HIGH"]
        let ui = ["N": "NONE", "R": "REQUIRED"]
        let scope = ["U": "UNCHANGED", "C": "CHANGED"]
        let impact = ["H": "HIGH", "L": "LOW", "N": "NONE"]
        let requirement = ["X": "NOT_DEFINED", "H": "HIGH", "M": "MEDIUM", "L": "LOW"]
        func modified(_ words: [String: String]) -> [String: String] { words.merging(notDefined) { a, _ in a } }
        return [("AV", "attackVector", av), ("AC", "attackComplexity", lowHigh), ("PR", "privilegesRequired", pr), ("UI", "userInteraction", ui),
                ("S", "scope", scope), ("C", "confidentialityImpact", impact), ("I", "integrityImpact", impact), ("A", "availabilityImpact", impact),
                ("E", "exploitCodeMaturity", ["X": "NOT_DEFINED", "H": "HIGH", "F": "FUNCTIONAL", "P": "PROOF_OF_CONCEPT", "U": "UNPROVEN"]),
                ("RL", "remediationLevel", ["X": "NOT_DEFINED", "U": "UNAVAILABLE", "W": "WORKAROUND", "T": "TEMPORARY_FIX", "O": "OFFICIAL_FIX"]),
                ("RC", "reportConfidence", ["X": "NOT_DEFINED", "C": "CONFIRMED", "R": "REASONABLE", "U": "UNKNOWN"]),
                ("CR", "confidentialityRequirement", requirement), ("IR", "integrityRequirement", requirement), ("AR", "availabilityRequirement", requirement),
                ("MAV", "modifiedAttackVector", modified(av)), ("MAC", "modifiedAttackComplexity", modified(lowHigh)),
                ("MPR", "modifiedPrivilegesRequired", modified(pr)), ("MUI", "modifiedUserInteraction", modified(ui)), ("MS", "modifiedScope", modified(scope)),
                ("MC", "modifiedConfidentialityImpact", modified(impact)), ("MI", "modifiedIntegrityImpact", modified(impact)),
                ("MA", "modifiedAvailabilityImpact", modified(impact))]
    }()

    /// CVSS v2 metrics, the properties that repeat them, and the words for each value.
    static let v2Properties: [(metric: String, property: String, words: [String: String])] = {
        let impact = ["N": "NONE", "P": "PARTIAL", "C": "COMPLETE"]
        let requirement = ["L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": "NOT_DEFINED"]
        return [("AV", "accessVector", ["L": "LOCAL", "A": "ADJACENT_NETWORK", "N": "NETWORK"]),
                ("AC", "accessComplexity", ["H": "HIGH", "M": "MEDIUM", "L": "LOW"]),
                ("Au", "authentication", ["M": "MULTIPLE", "S": "SINGLE", "N": "NONE"]),
                ("C", "confidentialityImpact", impact), ("I", "integrityImpact", impact), ("A", "availabilityImpact", impact),
                ("E", "exploitability", ["U": "UNPROVEN", "POC": "PROOF_OF_CONCEPT", "F": "FUNCTIONAL", "H": "HIGH", "ND": "NOT_DEFINED"]),
                ("RL", "remediationLevel", ["OF": "OFFICIAL_FIX", "TF": "TEMPORARY_FIX", "W": "WORKAROUND", "U": "UNAVAILABLE", "ND": "NOT_DEFINED"]),
                ("RC", "reportConfidence", ["UC": "UNCONFIRMED", "UR": "UNCORROBORATED", "C": "CONFIRMED", "ND": "NOT_DEFINED"]),
                ("CDP", "collateralDamagePotential", ["N": "NONE", "L": "LOW", "LM": "LOW_MEDIUM", "MH": "MEDIUM_HIGH", "H": "HIGH", "ND": "NOT_DEFINED"]),
                ("TD", "targetDistribution", ["N": "NONE", "L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": "NOT_DEFINED"]),
                ("CR", "confidentialityRequirement", requirement), ("IR", "integrityRequirement", requirement), ("AR", "availabilityRequirement", requirement)]
    }()
}
