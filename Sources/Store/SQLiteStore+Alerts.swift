import CSAF
import Foundation
import GRDB

extension SQLiteStore: AlertStore {
    static func recordChange(advisoryID: String, documentID: Int64, previousDocumentID: Int64?, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO advisory_changes(advisory_id, document_id, previous_document_id, recorded_at) VALUES (?, ?, ?, ?)
            """).execute(arguments: [advisoryID, documentID, previousDocumentID, Timestamp.format(Date())])
    }

    public func addWatch(_ watch: StoredWatch.Draft, organisationID: Int64) async throws -> StoredWatch {
        try await writer.write { db in
            let now = Date()
            try db.execute(sql: """
                INSERT INTO watches(organisation_id, kind, value, minimum_severity, notify, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [organisationID, watch.kind, watch.value, watch.minimumSeverity?.rawValue, watch.notify,
                                 Timestamp.format(now)])
            return StoredWatch(id: db.lastInsertedRowID, organisationID: organisationID, draft: watch, createdAt: now)
        }
    }

    public func watches(organisationID: Int64) async throws -> [StoredWatch] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM watches WHERE organisation_id = ? ORDER BY id", arguments: [organisationID])
                .map(Self.watch(from:))
        }
    }

    public func allWatches() async throws -> [StoredWatch] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM watches ORDER BY id").map(Self.watch(from:)) }
    }

    public func removeWatch(id: Int64, organisationID: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM watches WHERE id = ? AND organisation_id = ?", arguments: [id, organisationID])
            return db.changesCount > 0
        }
    }

    public func pendingChanges(limit: Int) async throws -> [AdvisoryChangeRecord] {
        let rows = try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.recorded_at, c.known_exploited, d.raw AS current_raw, p.raw AS previous_raw
                FROM advisory_changes c JOIN documents d ON d.id = c.document_id
                LEFT JOIN documents p ON p.id = c.previous_document_id
                WHERE c.processed_at IS NULL ORDER BY c.id LIMIT ?
                """, arguments: [limit])
        }
        return try rows.map { row in
            func advisory(_ data: Data?) throws -> Advisory? {
                guard let data else { return nil }
                guard case .csaf(let parsed) = try CSAFDocumentReader.read([UInt8](data), maxBytes: Int.max, checkIdentifiers: false) else {
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
        try await writer.read { db in
            let kev = try String.fetchAll(db, sql: """
                SELECT DISTINCT v.cve FROM advisories a JOIN vulnerabilities v ON v.advisory_seq = a.seq
                JOIN kev k ON k.cve = v.cve WHERE a.id = ?
                """, arguments: [advisoryID])
            var exposed: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT organisation_id, COUNT(*) AS n FROM exposures
                WHERE advisory_id = ? AND status IN ('affected', 'under_investigation', 'unknown') GROUP BY organisation_id
                """, arguments: [advisoryID]) {
                exposed[row["organisation_id"]] = row["n"]
            }
            return (Set(kev), exposed)
        }
    }

    public func createAlert(_ alert: StoredAlert.Draft) async throws -> Bool {
        try await createAlerts([alert]).first ?? false
    }

    public func createAlerts(_ alerts: [StoredAlert.Draft]) async throws -> [Bool] {
        let encoder = JSONEncoder()
        let encoded = try alerts.map { alert in
            (String(decoding: try encoder.encode(alert.changes), as: UTF8.self), String(decoding: try encoder.encode(alert.matches), as: UTF8.self))
        }
        return try await writer.write { db in
            let now = Timestamp.format(Date())
            var created: [Bool] = []
            for (alert, (changes, matches)) in zip(alerts, encoded) {
                try db.cachedStatement(sql: """
                    INSERT INTO alerts(organisation_id, advisory_id, advisory_version, idempotency_key, changes, matches, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(idempotency_key) DO NOTHING
                    """).execute(arguments: [alert.organisationID, alert.advisoryID, alert.advisoryVersion, alert.idempotencyKey,
                                             changes, matches, now])
                let inserted = db.changesCount > 0
                created.append(inserted)
                guard inserted else { continue }
                // The deliveries are queued in the alert's own transaction: an alert is never stored without them.
                let alertID = db.lastInsertedRowID
                for channelID in Set(alert.channelIDs).sorted() {
                    try db.cachedStatement(sql: """
                        INSERT INTO deliveries(organisation_id, channel_id, kind, alert_id, idempotency_key, status, next_attempt_at, created_at)
                        SELECT organisation_id, id, 'alert', ?, ?, CASE schedule WHEN 'immediate' THEN 'pending' ELSE 'held' END, ?, ?
                        FROM channels WHERE id = ? AND organisation_id = ? AND enabled = 1
                        ON CONFLICT(idempotency_key) DO NOTHING
                        """).execute(arguments: [alertID, "alert:\(alert.idempotencyKey)|channel:\(channelID)", now, now,
                                                 channelID, alert.organisationID])
                }
            }
            if created.contains(true) { try Self.bumpGeneration(db) }
            return created
        }
    }

    public func markProcessed(changeID: Int64) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE advisory_changes SET processed_at = ? WHERE id = ?",
                           arguments: [Timestamp.format(Date()), changeID])
        }
    }

    public func discardPendingChanges() async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "UPDATE advisory_changes SET processed_at = ? WHERE processed_at IS NULL",
                           arguments: [Timestamp.format(Date())])
            return db.changesCount
        }
    }

    public func alerts(organisationID: Int64, status: AlertStatus?, limit: Int) async throws -> [StoredAlert] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT al.*, COALESCE(a.title, al.advisory_id) AS title, COALESCE(a.severity, 'none') AS severity, a.cvss_score
                FROM alerts al LEFT JOIN advisories a ON a.id = al.advisory_id
                WHERE al.organisation_id = ? AND (? IS NULL OR al.status = ?)
                ORDER BY al.created_at DESC, al.id DESC LIMIT ?
                """, arguments: [organisationID, status?.rawValue, status?.rawValue, limit]).map(Self.alert(from:))
        }
    }

    static func alert(from row: Row) -> StoredAlert { StoreRows.alert(from: SQLRow(row)) }

    static func watch(from row: Row) -> StoredWatch { StoreRows.watch(from: SQLRow(row)) }
}
