import CSAF
import Foundation
import Storage

/// Watches, the changes waiting to be turned into alerts, and the alerts: one implementation for both databases.

extension SQLStore {
    public func addWatch(_ watch: StoredWatch.Draft, organisationID: Int64) async throws -> StoredWatch {
        let now = Date()
        guard let id = try await fetchValue("""
            INSERT INTO watches(organisation_id, kind, value, minimum_severity, notify, created_at) VALUES (?, ?, ?, ?, ?, ?)
            RETURNING id
            """, [organisationID, watch.kind, watch.value, watch.minimumSeverity?.rawValue, watch.notify, Timestamp.format(now)],
            as: Int64.self) else { throw StoreError.corrupt("the watch was not stored: the database returned no row for the insert") }
        return StoredWatch(id: id, organisationID: organisationID, draft: watch, createdAt: now)
    }

    public func watches(organisationID: Int64) async throws -> [StoredWatch] {
        try await fetchAll("SELECT * FROM watches WHERE organisation_id = ? ORDER BY id", [organisationID]).map(StoreRows.watch(from:))
    }

    public func allWatches() async throws -> [StoredWatch] {
        try await fetchAll("SELECT * FROM watches ORDER BY id").map(StoreRows.watch(from:))
    }

    public func updateWatch(id: Int64, organisationID: Int64, draft: StoredWatch.Draft) async throws -> StoredWatch? {
        try await fetchOne("""
            UPDATE watches SET kind = ?, value = ?, minimum_severity = ?, notify = ? WHERE id = ? AND organisation_id = ?
            RETURNING *
            """, [draft.kind, draft.value, draft.minimumSeverity?.rawValue, draft.notify, id, organisationID]).map(StoreRows.watch(from:))
    }

    public func removeWatch(id: Int64, organisationID: Int64) async throws -> Bool {
        try await fetchOne("DELETE FROM watches WHERE id = ? AND organisation_id = ? RETURNING id", [id, organisationID]) != nil
    }

    /// Two nodes may read the same pending changes at once: both plan the same alerts, and the alerts' idempotency keys
    /// make the second node's inserts no-ops, so no lock is taken here.
    public func pendingChanges(limit: Int) async throws -> [AdvisoryChangeRecord] {
        let rows = try await fetchAll("""
            SELECT c.id, c.recorded_at, c.known_exploited, d.raw AS current_raw, p.raw AS previous_raw
            FROM advisory_changes c JOIN documents d ON d.id = c.document_id
            LEFT JOIN documents p ON p.id = c.previous_document_id
            WHERE c.processed_at IS NULL ORDER BY c.id LIMIT ?
            """, [limit])
        return try rows.map { row in
            func advisory(_ bytes: [UInt8]?) throws -> Advisory? {
                guard let bytes else { return nil }
                guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes, maxBytes: Int.max, checkIdentifiers: false) else {
                    throw StoreError.corrupt("a stored revision no longer parses as CSAF (change \(row["id"] as Int64))")
                }
                return parsed.advisory
            }
            guard let current = try advisory(row["current_raw"]) else { throw StoreError.corrupt("change without its revision") }
            let listed: String = row["known_exploited"] ?? ""
            return AdvisoryChangeRecord(id: row["id"], current: current, previous: try advisory(row["previous_raw"]),
                                        recordedAt: Timestamp.parse(row["recorded_at"]) ?? Date(),
                                        knownExploitedAdded: listed.split(separator: ",").map(String.init))
        }
    }

    public func alertContext(advisoryID: String) async throws -> (knownExploited: Set<String>, exposedAssets: [Int64: Int]) {
        let kev = try await fetchValues("""
            SELECT DISTINCT v.cve FROM advisories a JOIN vulnerabilities v ON v.advisory_seq = a.seq
            JOIN kev k ON k.cve = v.cve WHERE a.id = ?
            """, [advisoryID], as: String.self)
        var exposed: [Int64: Int] = [:]
        for row in try await fetchAll("""
            SELECT organisation_id, COUNT(*) AS n FROM exposures
            WHERE advisory_id = ? AND status IN ('affected', 'under_investigation', 'unknown') GROUP BY organisation_id
            """, [advisoryID]) {
            exposed[row["organisation_id"]] = row["n"]
        }
        return (Set(kev), exposed)
    }

    public func createAlert(_ alert: StoredAlert.Draft) async throws -> Bool {
        try await createAlerts([alert]).first ?? false
    }

    /// The alerts, each with a delivery per channel of its organisation that is enabled, in one transaction and a few
    /// statements whatever their number (one revision may alert a thousand organisations): an alert is never stored
    /// without its deliveries. An alert whose idempotency key is taken (by an earlier pass, another node, or an alert
    /// before it in `alerts`) is not created again.
    public func createAlerts(_ alerts: [StoredAlert.Draft]) async throws -> [Bool] {
        guard !alerts.isEmpty else { return [] }
        let encoder = JSONEncoder()
        let now = Timestamp.format(Date())
        let rows: [[(any SQLValueConvertible)?]] = try alerts.map { alert in
            [alert.organisationID, alert.advisoryID, alert.advisoryVersion, alert.idempotencyKey,
             String(decoding: try encoder.encode(alert.changes), as: UTF8.self),
             String(decoding: try encoder.encode(alert.matches), as: UTF8.self), now]
        }
        return try await transaction { db in
            // A node racing us with the same key waits on the unique index until we commit, then inserts nothing.
            var insert = MultiRowInsert()
            insert.add("alerts", ["organisation_id", "advisory_id", "advisory_version", "idempotency_key", "changes", "matches", "created_at"],
                       rows: rows, suffix: "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key", ordered: true)
            var ids: [String: Int64] = [:]
            for row in try await insert.runReturningEveryRow(db, dialect: dialect) { ids[row["idempotency_key"]] = row["id"] }
            var claimed: Set<String> = []
            let created = alerts.map { ids[$0.idempotencyKey] != nil && claimed.insert($0.idempotencyKey).inserted }
            guard created.contains(true) else { return created }

            // The channels the new alerts name, as they are now: an alert is delivered only to enabled channels of its
            // own organisation, held for a digest when the channel gathers one.
            var channels: [Int64: (organisationID: Int64, immediate: Bool)] = [:]
            let named = Array(Set(zip(alerts, created).filter(\.1).flatMap(\.0.channelIDs)))
            for start in stride(from: 0, to: named.count, by: 5_000) {
                let chunk = Array(named[start..<min(start + 5_000, named.count)])
                for row in try await db.fetchAll("""
                    SELECT id, organisation_id, schedule FROM channels WHERE enabled AND id IN (\(Self.placeholders(chunk.count)))
                    """, SQLArguments(chunk)) {
                    channels[row["id"]] = (row["organisation_id"], (row["schedule"] as String) == "immediate")
                }
            }
            var deliveries: [[(any SQLValueConvertible)?]] = []
            for (alert, isNew) in zip(alerts, created) where isNew {
                for id in Set(alert.channelIDs).sorted() {
                    guard let channel = channels[id], channel.organisationID == alert.organisationID else { continue }
                    deliveries.append([alert.organisationID, id, "alert", ids[alert.idempotencyKey]!,
                                       "alert:\(alert.idempotencyKey)|channel:\(id)", channel.immediate ? "pending" : "held", now, now])
                }
            }
            var queue = MultiRowInsert()
            queue.add("deliveries", ["organisation_id", "channel_id", "kind", "alert_id", "idempotency_key", "status", "next_attempt_at",
                                     "created_at"], rows: deliveries, suffix: "ON CONFLICT (idempotency_key) DO NOTHING", ordered: true)
            queue.alsoRun("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            try await queue.run(db, dialect: dialect)
            return created
        }
    }

    public func markProcessed(changeID: Int64) async throws {
        // COALESCE keeps the first node's time when two nodes processed the same change.
        try await execute("UPDATE advisory_changes SET processed_at = COALESCE(processed_at, ?) WHERE id = ?",
                          [Timestamp.format(Date()), changeID])
    }

    public func discardPendingChanges() async throws -> Int {
        try await fetchAll("UPDATE advisory_changes SET processed_at = ? WHERE processed_at IS NULL RETURNING id",
                           [Timestamp.format(Date())]).count
    }

    public func alerts(organisationID: Int64, status: AlertStatus?, limit: Int) async throws -> [StoredAlert] {
        try await fetchAll("""
            SELECT al.*, COALESCE(a.title, al.advisory_id) AS title, COALESCE(a.severity, 'none') AS severity, a.cvss_score
            FROM alerts al LEFT JOIN advisories a ON a.id = al.advisory_id
            WHERE al.organisation_id = ? AND (CAST(? AS TEXT) IS NULL OR al.status = ?)
            ORDER BY al.created_at DESC, al.id DESC LIMIT ?
            """, [organisationID, status?.rawValue, status?.rawValue, limit]).map(StoreRows.alert(from:))
    }

    public func alerts(advisoryIDs: [String]) async throws -> [StoredAlert] {
        guard !advisoryIDs.isEmpty else { return [] }
        return try await fetchAll("""
            SELECT al.*, COALESCE(a.title, al.advisory_id) AS title, COALESCE(a.severity, 'none') AS severity, a.cvss_score
            FROM alerts al LEFT JOIN advisories a ON a.id = al.advisory_id
            WHERE al.advisory_id IN (\(Self.placeholders(advisoryIDs.count)))
            ORDER BY al.organisation_id, al.created_at, al.id
            """, SQLArguments(advisoryIDs)).map(StoreRows.alert(from:))
    }

    /// `?, ?, ?` for an IN list.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}

extension SQLiteStore: AlertStore {}
extension PostgresStore: AlertStore {}
