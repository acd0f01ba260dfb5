import CSAF

/// What a VEX document (CSAF 2.0 profile `csaf_vex`) says is *not* affected by one CVE: the products it lists as
/// `known_not_affected`, each with the reason it gives (a flag's justification, else an impact statement).
public struct VEXStatement: Sendable, Equatable {
    public var advisoryID: String
    public var publisher: String
    public var cve: String
    /// Product ID → "vulnerable code not in execute path" (or the impact statement's text).
    public var products: [String: String]
    /// Product ID → its full name, where known ("Example PLC <= 1.9").
    public var names: [String: String]

    public init(advisoryID: String, publisher: String, cve: String, products: [String: String], names: [String: String] = [:]) {
        self.advisoryID = advisoryID
        self.publisher = publisher
        self.cve = cve
        self.products = products
        self.names = names
    }

    /// The statements of a VEX document: one per vulnerability with a CVE and `known_not_affected` products. Other
    /// profiles give none: only a VEX document speaks for products it does not call affected.
    /// `names`: full product names by ID (the normalised advisory's products).
    public static func statements(in csaf: CSAFDocument, advisoryID: String, names: [String: String] = [:]) -> [VEXStatement] {
        guard csaf.document.category == "csaf_vex" else { return [] }
        var groups: [String: [String]] = [:]
        for group in csaf.productTree?.productGroups ?? [] { groups[group.groupID] = group.productIDs }
        func expand(_ products: [String]?, _ groupIDs: [String]?) -> [String] {
            (products ?? []) + (groupIDs ?? []).flatMap { groups[$0] ?? [] }
        }
        return (csaf.vulnerabilities ?? []).compactMap { vulnerability in
            guard let cve = vulnerability.cve, let listed = vulnerability.productStatus?.knownNotAffected, !listed.isEmpty else { return nil }
            var reasons: [String: String] = [:]
            for flag in vulnerability.flags ?? [] {
                for id in expand(flag.productIDs, flag.groupIDs) where reasons[id] == nil {
                    reasons[id] = flag.label.rawValue.replacingOccurrences(of: "_", with: " ")
                }
            }
            for threat in vulnerability.threats ?? [] where threat.category == .impact {
                for id in expand(threat.productIDs, threat.groupIDs) where reasons[id] == nil {
                    reasons[id] = threat.details.count > 200 ? String(threat.details.prefix(200)) + "…" : threat.details
                }
            }
            var products: [String: String] = [:]
            for id in listed { products[id] = reasons[id] ?? "no justification given" }
            return VEXStatement(advisoryID: advisoryID, publisher: csaf.document.publisher.name, cve: cve, products: products,
                                names: names.filter { products[$0.key] != nil })
        }
    }
}

/// Applies VEX statements to exposures: an asset that a VEX document names as not affected by a CVE (its exposure to
/// that document is "not affected", through a `known_not_affected` product) is not affected by that CVE in any other
/// advisory either. An exposure whose every CVE is so covered is closed (not affected), with the VEX document and its
/// justification in the reason; one with some CVEs covered keeps its status and says which are covered and which are
/// still open. Advisories without CVEs are left alone: a VEX statement speaks of a CVE.
public enum VEXOverlay {
    /// What the overlay changed, for the alert log and tests.
    public struct Change: Sendable, Equatable {
        public var assetID: Int64
        public var advisoryID: String
        public var before: ExposureStatus
        public var after: ExposureStatus
        public var note: String
    }

    /// `exposures`: those to adjust. `context`: exposures to the VEX documents (may overlap `exposures`). `cves`: each
    /// advisory's CVEs.
    public static func apply(_ exposures: [Exposure], context: [Exposure], statements: [VEXStatement],
                             cves: [String: [String]]) -> (exposures: [Exposure], changes: [Change]) {
        guard !statements.isEmpty else { return (exposures, []) }
        let byDocument = Dictionary(grouping: statements, by: \.advisoryID)
        // Per asset and CVE: the VEX documents that clear it, with the product and reason.
        var cleared: [Int64: [String: [(document: String, publisher: String, product: String, reason: String, confidence: MatchConfidence)]]] = [:]
        func named(_ statement: VEXStatement, _ id: String) -> String { statement.names[id].map { "\($0) (\(id))" } ?? id }
        for exposure in context where exposure.status == .notAffected {
            guard let documentStatements = byDocument[exposure.advisoryID] else { continue }
            for statement in documentStatements {
                guard let product = exposure.productIDs.first(where: { statement.products[$0] != nil }) else { continue }
                cleared[exposure.assetID, default: [:]][statement.cve, default: []]
                    .append((statement.advisoryID, statement.publisher, named(statement, product), statement.products[product] ?? "", exposure.confidence))
            }
        }
        guard !cleared.isEmpty else { return (exposures, []) }
        var changes: [Change] = []
        let adjusted = exposures.map { exposure -> Exposure in
            guard [.affected, .underInvestigation, .unknown].contains(exposure.status), byDocument[exposure.advisoryID] == nil,
                  let byCVE = cleared[exposure.assetID], let advisoryCVEs = cves[exposure.advisoryID], !advisoryCVEs.isEmpty else {
                return exposure
            }
            let covered = advisoryCVEs.filter { byCVE[$0] != nil }
            guard !covered.isEmpty else { return exposure }
            let said = covered.map { cve -> String in
                let first = byCVE[cve]![0]
                return "\(first.document) (VEX by \(first.publisher)) lists \(first.product) as known not affected by \(cve): \(first.reason)"
            }.joined(separator: "; ")
            var result = exposure
            let open = advisoryCVEs.filter { byCVE[$0] == nil }
            if open.isEmpty {
                result.status = .notAffected
                // As sure as the weaker of the two matches.
                let vexConfidence = covered.compactMap { byCVE[$0]?.map(\.confidence).max() }.min() ?? exposure.confidence
                result.confidence = min(exposure.confidence, vexConfidence)
                result.explanation = .text(exposure.reason + "; closed by VEX: " + said)
            } else {
                result.explanation = .text(exposure.reason + "; VEX: " + said + "; still open for " + open.joined(separator: ", "))
            }
            changes.append(Change(assetID: exposure.assetID, advisoryID: exposure.advisoryID, before: exposure.status, after: result.status,
                                  note: open.isEmpty ? "closed by VEX: " + said : "VEX: " + said + "; still open for " + open.joined(separator: ", ")))
            return result
        }
        return (adjusted, changes)
    }
}
