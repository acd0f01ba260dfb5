import Foundation

/// The mandatory tests of CSAF 2.0 §6.1. Each message names what is wrong and, where it is not obvious, what to do.
extension CSAFConformance {
    static let mandatoryTests: [ConformanceTest] = [
        test("6.1.1", "Missing definition of product ID") { doc, report in
            let defined = Set(doc.definedProducts.map(\.id))
            for reference in doc.productReferences where !defined.contains(reference.id) {
                report.fail(reference.path, "the product ID \(reference.id) is used here but no product in the product tree defines it")
            }
        },
        test("6.1.2", "Multiple definition of product ID") { doc, report in
            var first: [String: LocatedID] = [:]
            for product in doc.definedProducts {
                if let earlier = first[product.id] {
                    report.fail(product.path, "the product ID \(product.id) is defined again (first at \(earlier.path)); each product needs an ID of its own")
                } else {
                    first[product.id] = product
                }
            }
        },
        test("6.1.3", "Circular definition of product ID") { doc, report in
            // A relationship's new product may not, through the products it combines, depend on itself.
            var edges: [String: [String]] = [:]
            var firstIndex: [String: Int] = [:]
            for (i, relationship) in (doc.root["product_tree"]?["relationships"]?.arrayValue ?? []).enumerated() {
                guard let id = relationship["full_product_name"]?["product_id"]?.stringValue else { continue }
                edges[id, default: []] += ["product_reference", "relates_to_product_reference"].compactMap { relationship[$0]?.stringValue }
                firstIndex[id] = firstIndex[id] ?? i
            }
            for (id, index) in firstIndex.sorted(by: { $0.value < $1.value }) {
                let path = "$.product_tree.relationships[\(index)].full_product_name.product_id"
                var seen: Set<String> = []
                var queue = edges[id] ?? []
                while let next = queue.popLast() {
                    if next == id {
                        report.fail(path, "the product \(id) is defined through itself: a relationship that makes it refers back to it")
                        break
                    }
                    if seen.insert(next).inserted { queue += edges[next] ?? [] }
                }
            }
        },
        test("6.1.4", "Missing definition of product group ID") { doc, report in
            let defined = Set(doc.groups.map(\.id))
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                for list in ["remediations", "threats", "flags"] {
                    for (j, item) in (vulnerability[list]?.arrayValue ?? []).enumerated() {
                        for (k, id) in (item["group_ids"]?.arrayValue ?? []).enumerated() {
                            if let id = id.stringValue, !defined.contains(id) {
                                report.fail("$.vulnerabilities[\(i)].\(list)[\(j)].group_ids[\(k)]",
                                            "the product group \(id) is used here but the product tree defines no such group")
                            }
                        }
                    }
                }
            }
        },
        test("6.1.5", "Multiple definition of product group ID") { doc, report in
            var first: [String: LocatedGroup] = [:]
            for group in doc.groups {
                if let earlier = first[group.id] {
                    report.fail(group.path, "the product group ID \(group.id) is defined again (first at \(earlier.path))")
                } else {
                    first[group.id] = group
                }
            }
        },
        test("6.1.6", "Contradicting product status") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                guard let status = vulnerability["product_status"] else { continue }
                var groupOf: [String: String] = [:]
                for (name, lists) in StatusLists.contradictionGroups {
                    for list in lists {
                        for (j, id) in (status[list]?.arrayValue ?? []).enumerated() {
                            guard let id = id.stringValue else { continue }
                            if let other = groupOf[id], other != name {
                                report.fail("$.vulnerabilities[\(i)].product_status.\(list)[\(j)]",
                                            "the product \(id) is both \(other) and \(name) for this vulnerability: give it one status")
                            } else {
                                groupOf[id] = name
                            }
                        }
                    }
                }
            }
        },
        test("6.1.7", "Multiple scores with same version per product") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                var seen: Set<String> = []
                for (j, score) in (vulnerability["scores"]?.arrayValue ?? []).enumerated() {
                    let versions = ["cvss_v2", "cvss_v3"].compactMap { key in score[key]?["version"]?.stringValue.map { (key, $0) } }
                    for (k, product) in (score["products"]?.arrayValue ?? []).enumerated() {
                        guard let product = product.stringValue else { continue }
                        for (_, version) in versions where !seen.insert("\(product)|\(version)").inserted {
                            report.fail("$.vulnerabilities[\(i)].scores[\(j)].products[\(k)]",
                                        "the product \(product) has a second CVSS \(version) score for this vulnerability; keep one per version")
                        }
                    }
                }
            }
        },
        test("6.1.14", "Sorted revision history") { doc, report in
            let sorted = revisionsByDate(doc)
            for (earlier, later) in zip(sorted, sorted.dropFirst()) {
                guard let a = earlier.version, let b = later.version, a.isInteger == b.isInteger else { continue }
                if b < a {
                    report.fail("$.document.tracking.revision_history[\(later.index)].number",
                                "revision \(later.number) is dated after revision \(earlier.number) but numbered before it: sorted by date, the numbers must rise")
                }
            }
        },
        test("6.1.15", "Translator") { doc, report in
            if doc.document?["publisher"]?["category"]?.stringValue == "translator", doc.document?["source_lang"]?.stringValue == nil {
                report.fail("$.document.source_lang", "a translator publishes this document, so it must say the language it was translated from (source_lang)")
            }
        },
        test("6.1.16", "Latest document version") { doc, report in
            guard let tracking = doc.document?["tracking"], let versionText = tracking["version"]?.stringValue,
                  let version = DocumentVersion(versionText), let last = revisionsByDate(doc).last, let latest = last.version else { return }
            let draft = tracking["status"]?.stringValue == "draft"
            if version.comparable(dropPreRelease: draft) != latest.comparable(dropPreRelease: draft) {
                report.fail("$.document.tracking.version",
                            "the document's version is \(versionText) but its latest revision (by date) is \(last.number); they must be the same")
            }
        },
        test("6.1.17", "Document status draft") { doc, report in
            guard let tracking = doc.document?["tracking"], let text = tracking["version"]?.stringValue, let version = DocumentVersion(text),
                  version.isZero || version.hasPreRelease, let status = tracking["status"]?.stringValue, status != "draft" else { return }
            report.fail("$.document.tracking.status", "the version \(text) is a draft's (0, 0.y.z or a pre-release), but the status is \(status); make it draft")
        },
        test("6.1.18", "Released revision history") { doc, report in
            guard let status = doc.document?["tracking"]?["status"]?.stringValue, status == "final" || status == "interim" else { return }
            for (i, revision) in revisions(doc).enumerated() {
                if let number = revision["number"]?.stringValue, let version = DocumentVersion(number), version.isZero {
                    report.fail("$.document.tracking.revision_history[\(i)].number",
                                "the document is \(status) but its revision history has the draft version \(number) (0 or 0.y.z)")
                }
            }
        },
        test("6.1.19", "Revision history entries for pre-release versions") { doc, report in
            for (i, revision) in revisions(doc).enumerated() {
                if let number = revision["number"]?.stringValue, let version = DocumentVersion(number), version.hasPreRelease {
                    report.fail("$.document.tracking.revision_history[\(i)].number",
                                "the revision history has the pre-release version \(number); only released versions belong there")
                }
            }
        },
        test("6.1.20", "Non-draft document version") { doc, report in
            guard let tracking = doc.document?["tracking"], let status = tracking["status"]?.stringValue, status == "final" || status == "interim",
                  let text = tracking["version"]?.stringValue, let version = DocumentVersion(text), version.hasPreRelease else { return }
            report.fail("$.document.tracking.version", "the document is \(status) but its version \(text) has a pre-release part")
        },
        test("6.1.21", "Missing item in revision history") { doc, report in
            let sorted = revisionsByDate(doc).filter { $0.version != nil }
            guard let first = sorted.first, let firstVersion = first.version else { return }
            if firstVersion.major > 1 {
                report.fail("$.document.tracking.revision_history[\(first.index)].number",
                            "the first revision (by date) is \(first.number); a revision history starts at version 0 or 1")
            }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) {
                guard let a = earlier.version, let b = later.version, b.major > a.major + 1 else { continue }
                report.fail("$.document.tracking.revision_history[\(later.index)].number",
                            "the revision history goes from \(earlier.number) to \(later.number); the versions between are missing")
            }
        },
        test("6.1.22", "Multiple definition in revision history") { doc, report in
            var seen: [String: Int] = [:]
            for (i, revision) in revisions(doc).enumerated() {
                guard let number = revision["number"]?.stringValue else { continue }
                if let earlier = seen[number] {
                    report.fail("$.document.tracking.revision_history[\(i)].number",
                                "the revision number \(number) is used twice (first at revision_history[\(earlier)])")
                } else {
                    seen[number] = i
                }
            }
        },
        test("6.1.23", "Multiple use of same CVE") { doc, report in
            var seen: [String: Int] = [:]
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                guard let cve = vulnerability["cve"]?.stringValue else { continue }
                if let earlier = seen[cve] {
                    report.fail("$.vulnerabilities[\(i)].cve", "\(cve) is already described by vulnerabilities[\(earlier)]; describe each CVE once")
                } else {
                    seen[cve] = i
                }
            }
        },
        test("6.1.24", "Multiple definition in involvements") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                var seen: Set<String> = []
                for (j, involvement) in (vulnerability["involvements"]?.arrayValue ?? []).enumerated() {
                    guard let party = involvement["party"]?.stringValue else { continue }
                    let date = involvement["date"]?.stringValue.map { text in Timestamp.parse(text).map { "\($0.timeIntervalSince1970)" } ?? text } ?? ""
                    if !seen.insert("\(party)|\(date)").inserted {
                        report.fail("$.vulnerabilities[\(i)].involvements[\(j)]",
                                    "the party \(party) has a second involvement at the same date\(date.isEmpty ? " (none given)" : "")")
                    }
                }
            }
        },
        test("6.1.25", "Multiple use of same hash algorithm") { doc, report in
            for name in doc.fullProductNames {
                for (i, hash) in (name.value["product_identification_helper"]?["hashes"]?.arrayValue ?? []).enumerated() {
                    var seen: Set<String> = []
                    for (j, fileHash) in (hash["file_hashes"]?.arrayValue ?? []).enumerated() {
                        guard let algorithm = fileHash["algorithm"]?.stringValue else { continue }
                        if !seen.insert(algorithm.lowercased()).inserted {
                            report.fail("\(name.path).product_identification_helper.hashes[\(i)].file_hashes[\(j)].algorithm",
                                        "the hash algorithm \(algorithm) is given twice for the same file")
                        }
                    }
                }
            }
        },
        test("6.1.26", "Prohibited document category name") { doc, report in
            let category = doc.category
            guard !profileCategories.contains(category) else { return }
            let normalised = normalise(category)
            if category.lowercased().hasPrefix("csaf_") {
                report.fail("$.document.category", "the category \(category) uses the prefix csaf_, which is reserved for the standard's profiles")
            } else if let profile = profileNames.first(where: { normalise($0) == normalised }) {
                report.fail("$.document.category", "the category \(category) is too close to the profile \(profile): use that profile's value, or another name")
            }
        },
        test("6.1.27.1", "Document notes") { doc, report in
            guard ["csaf_informational_advisory", "csaf_security_incident_response"].contains(doc.category) else { return }
            let categories = (doc.document?["notes"]?.arrayValue ?? []).compactMap { $0["category"]?.stringValue }
            if !categories.contains(where: { ["description", "details", "general", "summary"].contains($0) }) {
                report.fail("$.document.notes", "a \(doc.category) needs a note of category description, details, general or summary")
            }
        },
        test("6.1.27.2", "Document references") { doc, report in
            guard ["csaf_informational_advisory", "csaf_security_incident_response"].contains(doc.category) else { return }
            let references = doc.document?["references"]?.arrayValue ?? []
            // A reference without a category is external: the schema's default.
            if !references.contains(where: { ($0["category"]?.stringValue ?? "external") == "external" }) {
                report.fail("$.document.references", "a \(doc.category) needs at least one reference to an external source")
            }
        },
        test("6.1.27.3", "Vulnerabilities") { doc, report in
            if doc.category == "csaf_informational_advisory", doc.root["vulnerabilities"] != nil {
                report.fail("$.vulnerabilities", "an informational advisory describes no vulnerability: use csaf_security_advisory, or remove vulnerabilities")
            }
        },
        test("6.1.27.4", "Product tree") { doc, report in
            if ["csaf_security_advisory", "csaf_vex"].contains(doc.category), doc.root["product_tree"] == nil {
                report.fail("$.product_tree", "a \(doc.category) needs a product tree naming the products it is about")
            }
        },
        test("6.1.27.5", "Vulnerability notes") { doc, report in
            guard ["csaf_security_advisory", "csaf_vex"].contains(doc.category) else { return }
            for (i, vulnerability) in doc.vulnerabilities.enumerated() where vulnerability["notes"] == nil {
                report.fail("$.vulnerabilities[\(i)]", "each vulnerability of a \(doc.category) needs notes describing it")
            }
        },
        test("6.1.27.6", "Product status") { doc, report in
            guard doc.category == "csaf_security_advisory" else { return }
            for (i, vulnerability) in doc.vulnerabilities.enumerated() where vulnerability["product_status"] == nil {
                report.fail("$.vulnerabilities[\(i)]", "each vulnerability of a security advisory needs a product_status saying which products it affects")
            }
        },
        test("6.1.27.7", "VEX product status") { doc, report in
            guard doc.category == "csaf_vex" else { return }
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                let status = vulnerability["product_status"]
                if !["fixed", "known_affected", "known_not_affected", "under_investigation"].contains(where: { status?[$0] != nil }) {
                    report.fail("$.vulnerabilities[\(i)].product_status",
                                "a VEX document gives each vulnerability fixed, known_affected, known_not_affected or under_investigation products")
                }
            }
        },
        test("6.1.27.8", "Vulnerability ID") { doc, report in
            guard doc.category == "csaf_vex" else { return }
            for (i, vulnerability) in doc.vulnerabilities.enumerated() where vulnerability["cve"] == nil && vulnerability["ids"] == nil {
                report.fail("$.vulnerabilities[\(i)]", "each vulnerability of a VEX document needs a cve or ids naming it")
            }
        },
        test("6.1.27.9", "Impact statement") { doc, report in
            guard doc.category == "csaf_vex" else { return }
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                var explained = Set<String>()
                for flag in vulnerability["flags"]?.arrayValue ?? [] {
                    explained.formUnion(doc.products(ids: flag["product_ids"], groupIDs: flag["group_ids"]))
                }
                for threat in vulnerability["threats"]?.arrayValue ?? [] where threat["category"]?.stringValue == "impact" {
                    explained.formUnion(doc.products(ids: threat["product_ids"], groupIDs: threat["group_ids"]))
                }
                for (j, id) in (vulnerability["product_status"]?["known_not_affected"]?.arrayValue ?? []).enumerated() {
                    if let id = id.stringValue, !explained.contains(id) {
                        report.fail("$.vulnerabilities[\(i)].product_status.known_not_affected[\(j)]",
                                    "the product \(id) is not affected, but no flag or impact threat says why (an impact statement)")
                    }
                }
            }
        },
        test("6.1.27.10", "Action statement") { doc, report in
            guard doc.category == "csaf_vex" else { return }
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                var covered = Set<String>()
                for remediation in vulnerability["remediations"]?.arrayValue ?? [] {
                    covered.formUnion(doc.products(ids: remediation["product_ids"], groupIDs: remediation["group_ids"]))
                }
                for (j, id) in (vulnerability["product_status"]?["known_affected"]?.arrayValue ?? []).enumerated() {
                    if let id = id.stringValue, !covered.contains(id) {
                        report.fail("$.vulnerabilities[\(i)].product_status.known_affected[\(j)]",
                                    "the product \(id) is affected, but no remediation says what to do (an action statement)")
                    }
                }
            }
        },
        test("6.1.27.11", "Vulnerabilities") { doc, report in
            if ["csaf_security_advisory", "csaf_vex"].contains(doc.category), doc.root["vulnerabilities"] == nil {
                report.fail("$.vulnerabilities", "a \(doc.category) needs vulnerabilities; a document without any is an informational advisory")
            }
        },
        test("6.1.28", "Translation") { doc, report in
            guard let lang = doc.document?["lang"]?.stringValue, let source = doc.document?["source_lang"]?.stringValue,
                  lang.lowercased() == source.lowercased() else { return }
            report.fail("$.document.source_lang", "the document's language and the language it was translated from are both \(lang)")
        },
        test("6.1.29", "Remediation without product reference") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                for (j, remediation) in (vulnerability["remediations"]?.arrayValue ?? []).enumerated()
                where remediation["product_ids"] == nil && remediation["group_ids"] == nil {
                    report.fail("$.vulnerabilities[\(i)].remediations[\(j)]", "the remediation names no product_ids or group_ids it applies to")
                }
            }
        },
        test("6.1.30", "Mixed integer and semantic versioning") { doc, report in
            guard let tracking = doc.document?["tracking"] else { return }
            var values: [(String, String)] = []
            if let version = tracking["version"]?.stringValue { values.append(("$.document.tracking.version", version)) }
            for (i, revision) in revisions(doc).enumerated() {
                if let number = revision["number"]?.stringValue { values.append(("$.document.tracking.revision_history[\(i)].number", number)) }
            }
            guard let first = values.first.flatMap({ DocumentVersion($0.1) }) else { return }
            for (path, value) in values.dropFirst() {
                if let version = DocumentVersion(value), version.isInteger != first.isInteger {
                    report.fail(path, "\(value) uses \(version.isInteger ? "integer" : "semantic") versioning but the document's version "
                                + "\(first.text) uses \(first.isInteger ? "integer" : "semantic") versioning: use one scheme throughout")
                }
            }
        },
        test("6.1.31", "Version range in product version") { doc, report in
            // The comparison signs anywhere; the words as words ("after-eight" is a name, "prior to 4.2" a range).
            let words: Set<String> = ["after", "all", "before", "earlier", "later", "prior", "versions"]
            for branch in doc.allBranches where branch.value["category"]?.stringValue == "product_version" {
                guard let name = branch.value["name"]?.stringValue else { continue }
                let lower = name.lowercased()
                let sign = ["<", ">"].first { lower.contains($0) }
                if let marker = sign ?? lower.split(whereSeparator: { $0.isWhitespace }).map(String.init).first(where: words.contains) {
                    report.fail(branch.path + ".name", "the product version \(name) reads as a range (“\(marker)”): use a product_version_range branch, ideally in vers")
                }
            }
        },
        test("6.1.32", "Flag without product reference") { doc, report in
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                for (j, flag) in (vulnerability["flags"]?.arrayValue ?? []).enumerated() where flag["product_ids"] == nil && flag["group_ids"] == nil {
                    report.fail("$.vulnerabilities[\(i)].flags[\(j)]", "the flag names no product_ids or group_ids it applies to")
                }
            }
        },
        test("6.1.33", "Multiple flags with VEX justification codes per product") { doc, report in
            let justifications: Set<String> = ["component_not_present", "inline_mitigations_already_exist", "vulnerable_code_cannot_be_controlled_by_adversary",
                                               "vulnerable_code_not_in_execute_path", "vulnerable_code_not_present"]
            for (i, vulnerability) in doc.vulnerabilities.enumerated() {
                var flagged: [String: Int] = [:]
                for (j, flag) in (vulnerability["flags"]?.arrayValue ?? []).enumerated() {
                    guard let label = flag["label"]?.stringValue, justifications.contains(label) else { continue }
                    for product in doc.products(ids: flag["product_ids"], groupIDs: flag["group_ids"]).sorted() {
                        if let earlier = flagged[product] {
                            report.fail("$.vulnerabilities[\(i)].flags[\(j)]",
                                        "the product \(product) has a second VEX justification (already in flags[\(earlier)]); give it one")
                        } else {
                            flagged[product] = j
                        }
                    }
                }
            }
        },
    ]

    /// The document categories of the standard's profiles, and their names (§4).
    static let profileCategories: Set<String> = ["csaf_base", "csaf_security_incident_response", "csaf_informational_advisory",
                                                 "csaf_security_advisory", "csaf_vex"]
    static let profileNames = ["Security incident response", "Informational Advisory", "Security Advisory", "VEX",
                               "csaf_security_incident_response", "csaf_informational_advisory", "csaf_security_advisory", "csaf_vex",
                               "security_incident_response", "informational_advisory", "security_advisory", "vex"]

    /// Lower case without dashes, whitespace and underscores (§6.1.26).
    static func normalise(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { $0 != "-" && $0 != "_" && !$0.properties.isWhitespace }.map(Character.init))
    }

    static func test(_ id: String, _ title: String, _ run: @escaping @Sendable (ConformanceDocument, inout ConformanceReport) -> Void) -> ConformanceTest {
        ConformanceTest(id: id, group: group(of: id), title: title, run: run)
    }

    static func revisions(_ doc: ConformanceDocument) -> [JSONValue] {
        doc.document?["tracking"]?["revision_history"]?.arrayValue ?? []
    }

    /// The revision history sorted by date, revisions of the same date by number (then by position), each with its
    /// index, number and parsed version.
    static func revisionsByDate(_ doc: ConformanceDocument) -> [(index: Int, number: String, version: DocumentVersion?)] {
        revisions(doc).enumerated().map { index, revision in
            let number = revision["number"]?.stringValue ?? ""
            return (index, number, revision["date"]?.stringValue.flatMap(Timestamp.parse), DocumentVersion(number))
        }
        .sorted { a, b in
            if let x = a.2, let y = b.2, x != y { return x < y }
            if let v = a.3, let w = b.3, v.isInteger == w.isInteger, v != w { return v < w }
            return a.0 < b.0
        }
        .map { ($0.0, $0.1, $0.3) }
    }
}
