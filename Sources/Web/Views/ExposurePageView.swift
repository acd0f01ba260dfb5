import CSAF
import Foundation
import Matching
import Storage

/// One exposure row as the exposure dashboard, the asset page and the advisory page show it.
struct ExposureRowView {
    let status: String
    let statusClass: String
    let knownExploited: Bool
    let advisoryID: String
    let advisoryHref: String
    let title: String
    let badge: SeverityBadge
    let asset: String
    let version: String
    let place: String
    let confidence: String
    let reason: String
    let firstSeen: String

    init(_ row: ExposureRow) {
        status = row.exposure.status.label
        statusClass = "exposure-" + row.exposure.status.rawValue
        knownExploited = row.knownExploitedCount > 0
        advisoryID = row.exposure.advisoryID
        advisoryHref = Format.advisoryHref(row.exposure.advisoryID)
        title = row.advisoryTitle
        badge = SeverityBadge(severity: Severity(rawValue: row.severity) ?? .none, score: row.cvssScore)
        asset = "\(row.asset.vendor) \(row.asset.product)" + (row.asset.externalID.map { " (\($0))" } ?? "")
        version = row.asset.version ?? "unknown"
        place = [row.asset.site, row.asset.area].compactMap { $0 }.joined(separator: " · ")
        confidence = row.exposure.confidence.rawValue
        reason = row.exposure.reason
        firstSeen = Format.day(row.firstSeen) ?? ""
    }
}

/// The exposure dashboard: the organisation's assets affected by advisories, worst and known-exploited first.
struct ExposurePageView {
    struct Count { let label: String; let count: String; let cssClass: String }
    struct SiteCount { let site: String; let affected: String; let unknown: String }
    let pageTitle = "Exposure"
    let text = ""
    let organisation: String
    let hasOrganisation: Bool
    let counts: [Count]
    let sites: [SiteCount]
    struct SeverityCount { let badge: SeverityBadge; let assets: String }
    /// Affected assets by the advisory's severity (an asset counts once per severity, under its worst advisory).
    let severities: [SeverityCount]
    let hasSeverities: Bool
    let hasSites: Bool
    let rows: [ExposureRowView]
    let hasRows: Bool
    let assetCount: String

    init(organisation: String?, rows: [ExposureRow], assetCount: Int) {
        self.organisation = organisation ?? ""
        hasOrganisation = organisation != nil
        var byStatus: [ExposureStatus: Int] = [:]
        // Sites count assets, not (asset, advisory) pairs: an asset affected by five advisories is one asset to patch.
        var bySite: [String: (Set<Int64>, Set<Int64>)] = [:]
        for row in rows {
            byStatus[row.exposure.status, default: 0] += 1
            let site = row.asset.site ?? "(no site)"
            if row.exposure.status == .affected { bySite[site, default: ([], [])].0.insert(row.exposure.assetID) }
            if row.exposure.status == .unknown { bySite[site, default: ([], [])].1.insert(row.exposure.assetID) }
        }
        counts = ExposureStatus.allCases.filter { $0 != .notAffected }.map {
            Count(label: $0.label, count: (byStatus[$0] ?? 0).formatted(), cssClass: "exposure-" + $0.rawValue)
        }
        sites = bySite.map { (site: $0.key, affected: $0.value.0.count, unknown: $0.value.1.count) }
            .sorted { ($1.affected, $0.site) < ($0.affected, $1.site) }
            .map { SiteCount(site: $0.site, affected: $0.affected.formatted(), unknown: $0.unknown.formatted()) }
        var assetsBySeverity: [Severity: Set<Int64>] = [:]
        for row in rows where row.exposure.status == .affected {
            assetsBySeverity[Severity(rawValue: row.severity) ?? .none, default: []].insert(row.exposure.assetID)
        }
        severities = Severity.allCases.sorted { $0.rank > $1.rank }.compactMap { severity in
            assetsBySeverity[severity].map {
                SeverityCount(badge: SeverityBadge(severity: severity, score: nil),
                              assets: $0.count == 1 ? "1 asset" : "\($0.count.formatted()) assets")
            }
        }
        hasSeverities = !severities.isEmpty
        hasSites = !sites.isEmpty
        self.rows = rows.map(ExposureRowView.init)
        hasRows = !rows.isEmpty
        self.assetCount = assetCount.formatted()
    }
}

/// The asset list with how many advisories affect each asset.
struct AssetListPageView {
    struct Row {
        let vendor: String, product: String, version: String, model: String, place: String, owner: String
        let criticality: String, affected: Int, unknown: Int
    }
    let pageTitle = "Assets"
    let text = ""
    let organisation: String
    let hasOrganisation: Bool
    let rows: [Row]
    let hasRows: Bool
    let count: String

    init(organisation: String?, assets: [StoredAsset]) {
        self.organisation = organisation ?? ""
        hasOrganisation = organisation != nil
        rows = assets.map { stored in
            let a = stored.asset
            return Row(vendor: a.vendor, product: a.product, version: a.version ?? "unknown", model: a.modelNumber ?? "",
                       place: [a.site, a.area].compactMap { $0 }.joined(separator: " · "), owner: a.owner ?? "",
                       criticality: a.criticality?.rawValue ?? "", affected: stored.affectedCount, unknown: stored.unknownCount)
        }
        hasRows = !assets.isEmpty
        count = assets.count.formatted()
    }
}
