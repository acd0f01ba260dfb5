/// A problem found by validation, at a JSON path. Errors break the CSAF 2.0 schema's structure and make a
/// document unusable; warnings break a format rule (a CPE pattern, a URI) that real providers sometimes miss, and
/// are kept with the document rather than losing it.
public struct ValidationIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var severity: Severity
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

/// Checks a decoded document against the parts of the CSAF 2.0 JSON schema that decoding alone does not enforce:
/// minimum item counts, patterns (IDs, versions, CVE and CWE IDs, CPE, PURL), date-time and URI formats, and the
/// required fields of the FIRST CVSS schemas. Required fields, types and closed enumerations are enforced by the
/// Codable model itself.
public enum CSAFValidator {
    public static func validate(_ csaf: CSAFDocument) -> [ValidationIssue] {
        var v = Collector()
        let doc = csaf.document
        v.check(doc.csafVersion == "2.0", "$.document.csaf_version", "must be \"2.0\", found \"\(doc.csafVersion)\"")
        v.check(!doc.category.isEmpty && !doc.category.first!.isWhitespace && !"-_.".contains(doc.category.first!)
                && !doc.category.last!.isWhitespace && !"-_.".contains(doc.category.last!),
                "$.document.category", "must not be empty or start or end with whitespace, '-', '_' or '.'")
        v.nonEmpty(doc.acknowledgments, "$.document.acknowledgments")
        for (i, ack) in (doc.acknowledgments ?? []).enumerated() { v.acknowledgment(ack, "$.document.acknowledgments[\(i)]") }
        v.nonEmpty(doc.notes, "$.document.notes")
        v.nonEmpty(doc.references, "$.document.references")
        for (i, reference) in (doc.references ?? []).enumerated() { v.uri(reference.url, "$.document.references[\(i)].url") }
        v.uri(doc.publisher.namespace, "$.document.publisher.namespace")

        let tracking = doc.tracking
        v.check(isTrimmedNonEmpty(tracking.id), "$.document.tracking.id", "must not be empty or start or end with whitespace")
        v.version(tracking.version, "$.document.tracking.version")
        v.dateTime(tracking.initialReleaseDate, "$.document.tracking.initial_release_date", severity: .error)
        v.dateTime(tracking.currentReleaseDate, "$.document.tracking.current_release_date", severity: .error)
        v.nonEmpty(tracking.aliases, "$.document.tracking.aliases")
        v.nonEmpty(tracking.revisionHistory, "$.document.tracking.revision_history")
        for (i, revision) in tracking.revisionHistory.enumerated() {
            v.version(revision.number, "$.document.tracking.revision_history[\(i)].number")
            v.dateTime(revision.date, "$.document.tracking.revision_history[\(i)].date", severity: .error)
        }

        if let tree = csaf.productTree {
            v.nonEmpty(tree.branches, "$.product_tree.branches")
            for (i, branch) in (tree.branches ?? []).enumerated() { v.branch(branch, "$.product_tree.branches[\(i)]", depth: 0) }
            v.nonEmpty(tree.fullProductNames, "$.product_tree.full_product_names")
            for (i, name) in (tree.fullProductNames ?? []).enumerated() { v.product(name, "$.product_tree.full_product_names[\(i)]") }
            v.nonEmpty(tree.productGroups, "$.product_tree.product_groups")
            for (i, group) in (tree.productGroups ?? []).enumerated() {
                v.check(group.productIDs.count >= 2, "$.product_tree.product_groups[\(i)].product_ids", "must list at least 2 products")
            }
            v.nonEmpty(tree.relationships, "$.product_tree.relationships")
            for (i, relationship) in (tree.relationships ?? []).enumerated() {
                v.product(relationship.fullProductName, "$.product_tree.relationships[\(i)].full_product_name")
            }
        }

        v.nonEmpty(csaf.vulnerabilities, "$.vulnerabilities")
        for (i, vulnerability) in (csaf.vulnerabilities ?? []).enumerated() {
            func base() -> String { "$.vulnerabilities[\(i)]" }
            if let cve = vulnerability.cve { v.check(isCVE(cve), "\(base()).cve", "\"\(cve)\" is not a CVE ID (CVE-YYYY-NNNN)") }
            if let cwe = vulnerability.cwe { v.check(isCWE(cwe.id), "\(base()).cwe.id", "\"\(cwe.id)\" is not a CWE ID (CWE-N)") }
            v.nonEmpty(vulnerability.acknowledgments, "\(base()).acknowledgments")
            v.nonEmpty(vulnerability.flags, "\(base()).flags")
            v.nonEmpty(vulnerability.ids, "\(base()).ids")
            v.nonEmpty(vulnerability.involvements, "\(base()).involvements")
            v.nonEmpty(vulnerability.notes, "\(base()).notes")
            v.nonEmpty(vulnerability.references, "\(base()).references")
            v.nonEmpty(vulnerability.remediations, "\(base()).remediations")
            v.nonEmpty(vulnerability.scores, "\(base()).scores")
            v.nonEmpty(vulnerability.threats, "\(base()).threats")
            if let status = vulnerability.productStatus {
                let lists: [(String, [String]?)] = [
                    ("first_affected", status.firstAffected), ("first_fixed", status.firstFixed), ("fixed", status.fixed),
                    ("known_affected", status.knownAffected), ("known_not_affected", status.knownNotAffected),
                    ("last_affected", status.lastAffected), ("recommended", status.recommended),
                    ("under_investigation", status.underInvestigation),
                ]
                for (name, list) in lists { v.nonEmpty(list, "\(base()).product_status.\(name)") }
            }
            for (k, score) in (vulnerability.scores ?? []).enumerated() {
                func path() -> String { "\(base()).scores[\(k)]" }
                v.check(!score.products.isEmpty, "\(path()).products", "must list at least 1 product")
                // The schema only asks for a second property: NI publishes score objects that hold just `cvss_v4`.
                v.check(score.cvssV2 != nil || score.cvssV3 != nil, path(),
                        "has no cvss_v2 or cvss_v3 (other scores, such as CVSS v4, are not read)", severity: .warning)
                if let v3 = score.cvssV3 {
                    v.check(v3.version == "3.0" || v3.version == "3.1", "\(path()).cvss_v3.version", "must be \"3.0\" or \"3.1\"")
                    v.check(v3.vectorString.hasPrefix("CVSS:3."), "\(path()).cvss_v3.vectorString", "must start with CVSS:3.")
                    v.check((0...10).contains(v3.baseScore), "\(path()).cvss_v3.baseScore", "must be between 0 and 10")
                    v.check(["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(v3.baseSeverity),
                            "\(path()).cvss_v3.baseSeverity", "must be NONE, LOW, MEDIUM, HIGH or CRITICAL")
                }
                if let v2 = score.cvssV2 {
                    v.check(v2.version == "2.0", "\(path()).cvss_v2.version", "must be \"2.0\"")
                    v.check((0...10).contains(v2.baseScore), "\(path()).cvss_v2.baseScore", "must be between 0 and 10")
                }
            }
            for (k, remediation) in (vulnerability.remediations ?? []).enumerated() {
                if let url = remediation.url { v.uri(url, "\(base()).remediations[\(k)].url") }
                v.nonEmpty(remediation.productIDs, "\(base()).remediations[\(k)].product_ids")
                v.nonEmpty(remediation.groupIDs, "\(base()).remediations[\(k)].group_ids")
            }
        }
        return v.issues
    }

    static func isTrimmedNonEmpty(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last else { return false }
        return !first.isWhitespace && !last.isWhitespace
    }

    static func isCVE(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "CVE" && parts[1].count == 4 && parts[1].allSatisfy(\.isASCIIDigit)
            && parts[2].count >= 4 && parts[2].allSatisfy(\.isASCIIDigit)
    }

    static func isCWE(_ s: String) -> Bool {
        guard s.hasPrefix("CWE-") else { return false }
        let number = s.dropFirst(4)
        return (1...6).contains(number.count) && number.first != "0" && number.allSatisfy(\.isASCIIDigit)
    }

    /// CSAF's `version_t`: integer versioning (`1`, `12`) or semantic versioning (`1.0.0`, `2.1.0-rc.1+build`).
    static func isVersion(_ s: String) -> Bool {
        func isNumber(_ part: Substring) -> Bool {
            !part.isEmpty && part.allSatisfy(\.isASCIIDigit) && (part == "0" || part.first != "0")
        }
        if isNumber(Substring(s)) { return true }
        var core = Substring(s)
        if let plus = core.firstIndex(of: "+") {
            let build = core[core.index(after: plus)...]
            guard !build.isEmpty, build.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({
                !$0.isEmpty && $0.allSatisfy { $0.isASCIILetterOrDigit || $0 == "-" }
            }) else { return false }
            core = core[..<plus]
        }
        if let dash = core.firstIndex(of: "-") {
            let pre = core[core.index(after: dash)...]
            guard !pre.isEmpty, pre.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({
                !$0.isEmpty && $0.allSatisfy { $0.isASCIILetterOrDigit || $0 == "-" }
                    && (!$0.allSatisfy(\.isASCIIDigit) || isNumber($0))
            }) else { return false }
            core = core[..<dash]
        }
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        return numbers.count == 3 && numbers.allSatisfy(isNumber)
    }

    static func isURI(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":"), colon != s.startIndex else { return false }
        let scheme = s[..<colon]
        // utf8.contains: String.contains(String) resolves to Foundation's CFStringFind, a tenth of validation time.
        return scheme.first!.isASCIILetter && scheme.allSatisfy { $0.isASCIILetterOrDigit || "+-.".contains($0) }
            && !s.utf8.contains(0x20)
    }

    struct Collector {
        var issues: [ValidationIssue] = []

        // Paths are autoclosures: building a path string for every node of every document only to throw it away
        // was a visible part of the import profile. They are made when an issue is found.
        mutating func check(_ condition: Bool, _ path: @autoclosure () -> String, _ message: @autoclosure () -> String,
                            severity: ValidationIssue.Severity = .error) {
            if !condition { issues.append(ValidationIssue(severity: severity, path: path(), message: message())) }
        }

        mutating func nonEmpty<T>(_ list: [T]?, _ path: @autoclosure () -> String) {
            if let list, list.isEmpty { issues.append(ValidationIssue(severity: .error, path: path(), message: "must not be an empty array")) }
        }

        mutating func version(_ s: String, _ path: @autoclosure () -> String) {
            check(isVersion(s), path(), "\"\(s)\" is neither integer nor semantic versioning")
        }

        mutating func dateTime(_ s: String, _ path: @autoclosure () -> String, severity: ValidationIssue.Severity) {
            check(Timestamp.parse(s) != nil, path(), "\"\(s)\" is not an RFC 3339 date-time", severity: severity)
        }

        mutating func uri(_ s: String, _ path: @autoclosure () -> String) {
            check(isURI(s), path(), "\"\(s)\" is not a URI", severity: .warning)
        }

        mutating func acknowledgment(_ ack: Acknowledgment, _ path: @autoclosure () -> String) {
            nonEmpty(ack.names, "\(path()).names")
            nonEmpty(ack.urls, "\(path()).urls")
        }

        mutating func branch(_ branch: Branch, _ path: @autoclosure () -> String, depth: Int) {
            nonEmpty(branch.branches, "\(path()).branches")
            if let product = branch.product { self.product(product, "\(path()).product") }
            for (i, child) in (branch.branches ?? []).enumerated() { self.branch(child, "\(path()).branches[\(i)]", depth: depth + 1) }
        }

        mutating func product(_ product: FullProductName, _ path: @autoclosure () -> String) {
            guard let helper = product.productIdentificationHelper else { return }
            func base() -> String { "\(path()).product_identification_helper" }
            if let cpe = helper.cpe {
                check(cpe.hasPrefix("cpe:2.3:") || cpe.lowercased().hasPrefix("cpe:/"), "\(base()).cpe",
                      "\"\(cpe)\" is not a CPE 2.2 or 2.3 name", severity: .warning)
                check(!cpe.contains("(") && !cpe.contains(")") || cpe.contains("\\("), "\(base()).cpe",
                      "\"\(cpe)\" has unescaped characters the CPE 2.3 pattern forbids", severity: .warning)
            }
            if let purl = helper.purl { check(purl.hasPrefix("pkg:") && purl.contains("/"), "\(base()).purl", "\"\(purl)\" is not a package URL", severity: .warning) }
            nonEmpty(helper.hashes, "\(base()).hashes")
            nonEmpty(helper.modelNumbers, "\(base()).model_numbers")
            nonEmpty(helper.sbomURLs, "\(base()).sbom_urls")
            nonEmpty(helper.serialNumbers, "\(base()).serial_numbers")
            nonEmpty(helper.skus, "\(base()).skus")
            nonEmpty(helper.xGenericURIs, "\(base()).x_generic_uris")
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
    var isASCIILetterOrDigit: Bool { isASCII && (isLetter || isNumber) }
}
