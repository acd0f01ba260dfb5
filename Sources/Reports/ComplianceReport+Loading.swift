import CSAF
import Foundation
import Matching
import Storage

extension ComplianceReport {
    /// What a report reads of a store: the alert log and its history, revisions, and exposures.
    public typealias Source = AlertStore & OutboxStore & AdvisoryStore & AssetStore

    /// Reads the organisation's alerts of `period` and the period before, with their history, when Vigil stored each
    /// alerting revision, and the assets each advisory affects (fixed and not affected left out), and makes the report.
    public static func load(from store: any Source, organisation: Organisation, period: ReportPeriod, framework: ReportFramework,
                            policy: DeadlinePolicy? = nil, madeAt: Date) async throws -> ComplianceReport {
        let earliest = period.previous.start
        let alerts = try await store.alerts(organisationID: organisation.id, status: nil, limit: 10_000_000)
            .filter { $0.createdAt >= earliest && $0.createdAt < period.end }
        var revisions: [String: [StoredRevision]] = [:]
        var assets: [String: [String]] = [:]
        var records: [AlertRecord] = []
        records.reserveCapacity(alerts.count)
        for alert in alerts {
            let advisoryID = alert.draft.advisoryID
            if revisions[advisoryID] == nil { revisions[advisoryID] = try await store.revisions(advisoryID: advisoryID) }
            if assets[advisoryID] == nil {
                let rows = try await store.exposures(organisationID: organisation.id, filter: ExposureFilter(advisoryID: advisoryID, limit: 100_000))
                assets[advisoryID] = rows.filter { $0.exposure.status != .fixed && $0.exposure.status != .notAffected }
                    .map { Self.assetName($0.asset) }
            }
            let seen = revisions[advisoryID]?.first { $0.version == alert.draft.advisoryVersion }?.importedAt
            let events = try await store.alertEvents(alertID: alert.id, organisationID: organisation.id)
            records.append(AlertRecord(alert: alert, events: events, seenAt: seen, assets: assets[advisoryID] ?? []))
        }
        return ComplianceReport(organisation: organisation.name, period: period, framework: framework, policy: policy,
                                records: records, madeAt: madeAt)
    }

    /// The summaries of several periods (the dashboard's months) from one reading of the alert log and its history:
    /// the same figures as `load(…).summary` for each period, without the assets and revisions only rows show.
    public static func summaries(from store: any Source, organisation: Organisation, periods: [ReportPeriod], framework: ReportFramework,
                                 policy: DeadlinePolicy? = nil, madeAt: Date) async throws -> [Summary] {
        guard let earliest = periods.map(\.start).min(), let latest = periods.map(\.end).max() else { return [] }
        let alerts = try await store.alerts(organisationID: organisation.id, status: nil, limit: 10_000_000)
            .filter { $0.createdAt >= earliest && $0.createdAt < latest }
        var records: [AlertRecord] = []
        records.reserveCapacity(alerts.count)
        for alert in alerts {
            let events = try await store.alertEvents(alertID: alert.id, organisationID: organisation.id)
            records.append(AlertRecord(alert: alert, events: events, seenAt: nil, assets: []))
        }
        let policy = policy ?? framework.defaultPolicy
        return periods.map { period in
            summarise(records.filter { period.contains($0.alert.createdAt) }.map { row($0, policy: policy, madeAt: madeAt) })
        }
    }

    /// `PLC-7 (Hamburg)`: the inventory's ID (else vendor, product and version), and the site when there is one.
    static func assetName(_ asset: AssetDraft) -> String {
        let id = asset.externalID?.trimmingCharacters(in: .whitespaces)
        let name = id.flatMap { $0.isEmpty ? nil : $0 }
            ?? [asset.vendor, asset.product, asset.version ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        guard let site = asset.site?.trimmingCharacters(in: .whitespaces), !site.isEmpty else { return name }
        return "\(name) (\(site))"
    }
}
