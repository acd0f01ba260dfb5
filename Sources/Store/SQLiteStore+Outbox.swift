import CSAF
import Foundation
import GRDB

extension SQLiteStore: OutboxStore {
    // MARK: Channels

    public func addChannel(_ channel: NotificationChannel.Draft, organisationID: Int64) async throws -> NotificationChannel {
        let name = channel.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw StoreError.invalid("a channel needs a name", field: "name") }
        let secret = channel.kind == .webhook ? Self.randomToken() : ""
        let token = Self.randomToken()
        return try await writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM channels WHERE organisation_id = ? AND name = ?",
                                 arguments: [organisationID, name]) == true {
                throw StoreError.conflict("the organisation already has a channel named \(name): remove it first or choose another name")
            }
            let now = Date()
            try db.execute(sql: """
                INSERT INTO channels(organisation_id, name, kind, target, secret, schedule, unsubscribe_token, created_at,
                                     allow_private_network)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [organisationID, name, channel.kind.rawValue, channel.target, secret,
                                 channel.schedule.rawValue, token, Timestamp.format(now), channel.allowPrivateNetwork])
            var draft = channel
            draft.name = name
            return NotificationChannel(id: db.lastInsertedRowID, organisationID: organisationID, draft: draft, secret: secret,
                                       unsubscribeToken: token, enabled: true, disabledReason: nil, createdAt: now)
        }
    }

    public func channels(organisationID: Int64) async throws -> [NotificationChannel] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM channels WHERE organisation_id = ? ORDER BY name", arguments: [organisationID])
                .map(Self.channel(from:))
        }
    }

    public func removeChannel(id: Int64, organisationID: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM channels WHERE id = ? AND organisation_id = ?", arguments: [id, organisationID])
            return db.changesCount > 0
        }
    }

    public func setChannelEnabled(id: Int64, organisationID: Int64, enabled: Bool, reason: String?) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE channels SET enabled = ?, disabled_reason = ? WHERE id = ? AND organisation_id = ?",
                           arguments: [enabled, enabled ? nil : reason, id, organisationID])
            let changed = db.changesCount > 0
            if changed, !enabled {
                // Nothing more goes to a channel that was turned off, including what was waiting for it.
                try db.execute(sql: """
                    UPDATE deliveries SET status = 'failed', last_error = ?, lease_until = NULL
                    WHERE channel_id = ? AND status IN ('pending', 'held')
                    """, arguments: ["not sent: the channel was turned off (\(reason ?? "by an administrator"))", id])
                try Self.bumpGeneration(db)
            }
            return changed
        }
    }

    public func channel(unsubscribeToken token: String) async throws -> NotificationChannel? {
        guard !token.isEmpty else { return nil }
        return try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM channels WHERE unsubscribe_token = ?", arguments: [token]).map(Self.channel(from:))
        }
    }

    // MARK: Outbox

    public func enqueueTest(channelID: Int64, organisationID: Int64, now: Date) async throws -> Int64 {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM channels WHERE id = ? AND organisation_id = ?",
                                    arguments: [channelID, organisationID]) == true else {
                throw StoreError.notFound("the organisation has no channel \(channelID)")
            }
            let stamp = Timestamp.format(now)
            try db.execute(sql: """
                INSERT INTO deliveries(organisation_id, channel_id, kind, idempotency_key, status, next_attempt_at, created_at)
                VALUES (?, ?, 'test', ?, 'pending', ?, ?)
                """, arguments: [organisationID, channelID, "test:\(channelID)|\(Self.randomToken())", stamp, stamp])
            return db.lastInsertedRowID
        }
    }

    public func channelsWithHeldAlerts() async throws -> [(channel: NotificationChannel, oldest: Date)] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.*, MIN(d.created_at) AS oldest FROM deliveries d JOIN channels c ON c.id = d.channel_id
                WHERE d.status = 'held' GROUP BY c.id ORDER BY c.id
                """).map { (Self.channel(from: $0), Timestamp.parse($0["oldest"]) ?? Date(timeIntervalSince1970: 0)) }
        }
    }

    public func composeDigest(channelID: Int64, periodEnd boundary: Date, now: Date) async throws -> Int {
        try await writer.write { db in
            let end = Timestamp.format(boundary)
            let held = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE channel_id = ? AND status = 'held' AND created_at < ?",
                                        arguments: [channelID, end]) ?? 0
            guard held > 0 else { return 0 }
            let stamp = Timestamp.format(now)
            // One digest per channel and period, however often this runs: the key names both.
            try db.execute(sql: """
                INSERT INTO deliveries(organisation_id, channel_id, kind, idempotency_key, status, next_attempt_at, period_end, created_at)
                SELECT organisation_id, id, 'digest', ?, 'pending', ?, ?, ? FROM channels WHERE id = ?
                ON CONFLICT(idempotency_key) DO NOTHING
                """, arguments: ["digest:\(channelID)|\(end)", stamp, end, stamp, channelID])
            guard let digestID = try Int64.fetchOne(db, sql: "SELECT id FROM deliveries WHERE idempotency_key = ?",
                                                    arguments: ["digest:\(channelID)|\(end)"]) else { return 0 }
            try db.execute(sql: """
                UPDATE deliveries SET status = 'digested', digest_id = ? WHERE channel_id = ? AND status = 'held' AND created_at < ?
                """, arguments: [digestID, channelID, end])
            return db.changesCount
        }
    }

    public func claimDeliveries(now: Date, lease: TimeInterval, limit: Int, only: Int64?,
                                kinds: Set<NotificationChannel.Kind>?) async throws -> [ClaimedDelivery] {
        let stamp = Timestamp.format(now)
        let kindCondition = NotificationChannel.Kind.channelCondition(kinds)
        // Most passes find nothing due: find that out with a read, without taking the write lock.
        let due = try await writer.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT 1 FROM deliveries
                WHERE ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?)) \(kindCondition) LIMIT 1
                """, arguments: [stamp, stamp]) ?? false
        }
        guard due else { return [] }
        return try await writer.write { db in
            let rows = try Row.fetchAll(db, sql: """
                UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?
                WHERE id IN (
                  SELECT id FROM deliveries
                  WHERE ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?))
                    AND (? IS NULL OR id = ?) \(kindCondition)
                  ORDER BY next_attempt_at, id LIMIT ?)
                RETURNING id
                """, arguments: [Timestamp.format(now.addingTimeInterval(lease)), stamp, stamp, only, only, limit])
            guard !rows.isEmpty else { return [] }
            let ids = rows.map { $0["id"] as Int64 }
            return try Row.fetchAll(db, sql: """
                SELECT d.id AS delivery_id, d.kind AS delivery_kind, d.idempotency_key AS delivery_key, d.attempts,
                       d.created_at AS delivery_created_at, d.period_end, d.alert_id AS delivery_alert_id, c.*
                FROM deliveries d JOIN channels c ON c.id = d.channel_id
                WHERE d.id IN (\(ids.map { _ in "?" }.joined(separator: ","))) ORDER BY d.id
                """, arguments: StatementArguments(ids)).map { row in
                ClaimedDelivery(id: row["delivery_id"], organisationID: row["organisation_id"],
                                kind: DeliveryKind(rawValue: row["delivery_kind"]) ?? .alert, channel: Self.channel(from: row),
                                idempotencyKey: row["delivery_key"], attempts: row["attempts"],
                                createdAt: Timestamp.parse(row["delivery_created_at"]) ?? now,
                                periodEnd: (row["period_end"] as String?).flatMap(Timestamp.parse),
                                alertID: row["delivery_alert_id"])
            }
        }
    }

    public func deliveryContent(_ delivery: ClaimedDelivery, cache: AdvisoryCache) async throws -> DeliveryContent {
        let (organisation, alerts) = try await writer.read { db -> (Organisation, [StoredAlert]) in
            guard let name = try String.fetchOne(db, sql: "SELECT name FROM organisations WHERE id = ?", arguments: [delivery.organisationID]) else {
                throw StoreError.notFound("organisation \(delivery.organisationID) of delivery \(delivery.id) no longer exists")
            }
            let condition = delivery.kind == .digest ? "d.digest_id = ?" : "d.id = ?"
            let alerts = try Row.fetchAll(db, sql: """
                SELECT al.*, COALESCE(a.title, al.advisory_id) AS title, COALESCE(a.severity, 'none') AS severity, a.cvss_score
                FROM deliveries d JOIN alerts al ON al.id = d.alert_id LEFT JOIN advisories a ON a.id = al.advisory_id
                WHERE \(condition) AND al.organisation_id = ? ORDER BY COALESCE(a.severity_rank, 0) DESC, al.created_at, al.id
                """, arguments: [delivery.id, delivery.organisationID]).map(Self.alert(from:))
            return (Organisation(id: delivery.organisationID, name: name), alerts)
        }
        var notices: [AlertNotice] = []
        for alert in alerts {
            var advisory = cache.advisory(alert.draft.advisoryID)
            if advisory == nil, let loaded = try await self.advisory(id: alert.draft.advisoryID)?.advisory {
                cache.store(loaded)
                advisory = loaded
            }
            let exposures = try await self.exposures(organisationID: delivery.organisationID,
                                                     filter: ExposureFilter(advisoryID: alert.draft.advisoryID, limit: 200))
            notices.append(AlertNotice(alert: alert, advisory: advisory, exposures: exposures))
        }
        return DeliveryContent(organisation: organisation, notices: notices)
    }

    public func markDelivered(deliveryID: Int64, at: Date, detail: String) async throws {
        try await recordOutcomes([.delivered(deliveryID: deliveryID, at: at, detail: detail)])
    }

    public func markFailed(deliveryID: Int64, error: String, retryAt: Date?) async throws {
        try await recordOutcomes([.failed(deliveryID: deliveryID, error: error, retryAt: retryAt)])
    }

    public func recordOutcomes(_ outcomes: [DeliveryOutcome]) async throws {
        guard !outcomes.isEmpty else { return }
        try await writer.write { db in
            for outcome in outcomes {
                switch outcome {
                case let .delivered(id, at, detail):
                    try db.cachedStatement(sql: """
                        UPDATE deliveries SET status = 'delivered', delivered_at = ?, detail = ?, last_error = NULL, lease_until = NULL
                        WHERE id = ?
                        """).execute(arguments: [Timestamp.format(at), detail, id])
                case let .failed(id, error, retryAt?):
                    try db.cachedStatement(sql: """
                        UPDATE deliveries SET status = 'pending', next_attempt_at = ?, last_error = ?, lease_until = NULL WHERE id = ?
                        """).execute(arguments: [Timestamp.format(retryAt), error, id])
                case let .failed(id, error, nil):
                    try db.cachedStatement(sql: "UPDATE deliveries SET status = 'failed', last_error = ?, lease_until = NULL WHERE id = ?")
                        .execute(arguments: [error, id])
                }
            }
            try Self.bumpGeneration(db)
        }
    }

    public func deliveries(organisationID: Int64, status: DeliveryStatus?, limit: Int) async throws -> [DeliveryRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.*, c.name AS channel_name, c.kind AS channel_kind, c.target AS channel_target
                FROM deliveries d JOIN channels c ON c.id = d.channel_id
                WHERE d.organisation_id = ? AND (? IS NULL OR d.status = ?) ORDER BY d.created_at DESC, d.id DESC LIMIT ?
                """, arguments: [organisationID, status?.rawValue, status?.rawValue, limit]).map(Self.delivery(from:))
        }
    }

    // MARK: Alert log

    public func alert(id: Int64, organisationID: Int64) async throws -> StoredAlert? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT al.*, COALESCE(a.title, al.advisory_id) AS title, COALESCE(a.severity, 'none') AS severity, a.cvss_score
                FROM alerts al LEFT JOIN advisories a ON a.id = al.advisory_id WHERE al.id = ? AND al.organisation_id = ?
                """, arguments: [id, organisationID]).map(Self.alert(from:))
        }
    }

    public func updateAlert(id: Int64, organisationID: Int64, update: AlertUpdate, actor: String, at: Date) async throws -> StoredAlert? {
        if let due = update.dueDate, !due.isEmpty, Timestamp.parse(due + "T00:00:00Z") == nil || due.count != 10 {
            throw StoreError.invalid("the due date \(due) is not a date: write it as YYYY-MM-DD", field: "due")
        }
        let found = try await writer.write { db -> Bool in
            guard let row = try Row.fetchOne(db, sql: "SELECT status, owner, due_date FROM alerts WHERE id = ? AND organisation_id = ?",
                                             arguments: [id, organisationID]) else { return false }
            let stamp = Timestamp.format(at)
            func record(_ field: String, _ old: String?, _ new: String?) throws {
                try db.execute(sql: "INSERT INTO alert_events(alert_id, at, actor, field, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [id, stamp, actor, field, old, new])
            }
            if let status = update.status, status.rawValue != row["status"] as String {
                try db.execute(sql: "UPDATE alerts SET status = ? WHERE id = ?", arguments: [status.rawValue, id])
                try record("status", row["status"], status.rawValue)
            }
            if let owner = update.owner, owner != (row["owner"] as String? ?? "") {
                try db.execute(sql: "UPDATE alerts SET owner = ? WHERE id = ?", arguments: [owner.isEmpty ? nil : owner, id])
                try record("owner", row["owner"], owner.isEmpty ? nil : owner)
            }
            if let due = update.dueDate, due != (row["due_date"] as String? ?? "") {
                try db.execute(sql: "UPDATE alerts SET due_date = ? WHERE id = ?", arguments: [due.isEmpty ? nil : due, id])
                try record("due_date", row["due_date"], due.isEmpty ? nil : due)
            }
            if let note = update.note?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty {
                try record("note", nil, note)
            }
            try Self.bumpGeneration(db)
            return true
        }
        return found ? try await alert(id: id, organisationID: organisationID) : nil
    }

    public func alertEvents(alertID: Int64, organisationID: Int64) async throws -> [AlertEvent] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.* FROM alert_events e JOIN alerts al ON al.id = e.alert_id
                WHERE e.alert_id = ? AND al.organisation_id = ? ORDER BY e.id
                """, arguments: [alertID, organisationID]).map { row in
                AlertEvent(at: Timestamp.parse(row["at"]) ?? Date(timeIntervalSince1970: 0), actor: row["actor"],
                           field: row["field"], oldValue: row["old_value"], newValue: row["new_value"])
            }
        }
    }

    public func alertDeliveries(alertID: Int64, organisationID: Int64) async throws -> [DeliveryRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.*, c.name AS channel_name, c.kind AS channel_kind, c.target AS channel_target
                FROM deliveries d JOIN channels c ON c.id = d.channel_id
                WHERE d.organisation_id = ? AND (d.alert_id = ? OR d.id IN (SELECT digest_id FROM deliveries WHERE alert_id = ?))
                ORDER BY d.id
                """, arguments: [organisationID, alertID, alertID]).map(Self.delivery(from:))
        }
    }

    // MARK: Rows

    static func channel(from row: Row) -> NotificationChannel { StoreRows.channel(from: SQLRow(row)) }

    static func delivery(from row: Row) -> DeliveryRecord { StoreRows.delivery(from: SQLRow(row)) }

    /// 32 random bytes as lowercase hex: webhook secrets and unsubscribe tokens.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
