import CSAF
import Foundation
import Matching
import Reports
import Storage

/// "What to patch first" (issue 17): an organisation's open exposures in `PatchPriority`'s order.
struct PatchPriorityPageView {
    struct Row {
        let rank: Int
        let decision: String
        let decisionClass: String
        let assetName: String
        let site: String
        let criticality: String
        let advisoryID: String
        let advisoryHref: String
        let advisoryTitle: String
        let knownExploited: Bool
        let reasons: [String]
        let missingInputs: [String]
        let hasMissingInputs: Bool
    }
    let pageTitle = "What to patch first"
    let text = ""
    let organisation: String
    let hasOrganisation: Bool
    let rows: [Row]
    let hasRows: Bool
    let count: String

    /// Reads the organisation's open exposures and the highest-scoring CVSS vector of each advisory they name.
    static func load(store: any ServedStore, organisation: Organisation, now: Date) async throws -> PatchPriorityPageView {
        let exposures = try await store.exposures(organisationID: organisation.id, filter: ExposureFilter(limit: 1_000_000))
            .filter { $0.exposure.status != .fixed && $0.exposure.status != .notAffected }
        // Each distinct advisory's document is read once: the vector and CVEs are not kept beside the exposure.
        var advisories: [String: Advisory] = [:]
        for advisoryID in Set(exposures.map(\.exposure.advisoryID)) {
            if let stored = try await store.advisory(id: advisoryID) { advisories[advisoryID] = stored.advisory }
        }
        let candidates = exposures.map { row in
            let advisory = advisories[row.exposure.advisoryID]
            return PatchCandidate(
                assetID: row.exposure.assetID, assetName: assetName(row.asset), site: row.asset.site,
                criticality: row.asset.criticality, advisoryID: row.exposure.advisoryID,
                cves: advisory?.vulnerabilities.compactMap(\.cve) ?? [], kevListed: row.knownExploitedCount > 0,
                cvssScore: advisory?.highestScore?.score ?? row.cvssScore, cvssVector: advisory?.highestScore?.vector,
                status: row.exposure.status, confidence: row.exposure.confidence, firstSeen: row.firstSeen)
        }
        let titles = Dictionary(exposures.map { ($0.exposure.advisoryID, $0.advisoryTitle) }, uniquingKeysWith: { first, _ in first })
        return PatchPriorityPageView(organisation: organisation.name, priority: PatchPriority(candidates: candidates, now: now),
                                     titles: titles)
    }

    init(organisation: String?, priority: PatchPriority, titles: [String: String]) {
        self.organisation = organisation ?? ""
        hasOrganisation = organisation != nil
        rows = priority.items.map { item in
            let candidate = item.candidate
            return Row(rank: item.rank, decision: item.ssvc.decision.label,
                       decisionClass: Self.decisionClass(item.ssvc.decision),
                       assetName: candidate.assetName, site: candidate.site ?? "", criticality: candidate.criticality?.rawValue ?? "not stated",
                       advisoryID: candidate.advisoryID, advisoryHref: Format.advisoryHref(candidate.advisoryID),
                       advisoryTitle: titles[candidate.advisoryID] ?? "", knownExploited: candidate.kevListed,
                       reasons: item.reasons, missingInputs: item.missingInputs, hasMissingInputs: !item.missingInputs.isEmpty)
        }
        hasRows = !rows.isEmpty
        count = rows.count.formatted()
    }

    static func decisionClass(_ decision: SSVC.Decision) -> String {
        switch decision {
        case .act: "decision-act"
        case .attend: "decision-attend"
        case .trackStar: "decision-track-star"
        case .track: "decision-track"
        }
    }

    /// `PLC-7`: the inventory's ID, else vendor, product and version.
    static func assetName(_ asset: AssetDraft) -> String {
        let id = asset.externalID?.trimmingCharacters(in: .whitespaces)
        return id.flatMap { $0.isEmpty ? nil : $0 }
            ?? [asset.vendor, asset.product, asset.version ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
    }
}
