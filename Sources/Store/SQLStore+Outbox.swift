import CSAF
import Foundation
import Storage

/// Channels, the outbox of deliveries, digests and the alert log: one implementation for both databases.

extension SQLStore {
    // MARK: Channels

    public func addChannel(_ channel: NotificationChannel.Draft, organisationID: Int64) async throws -> NotificationChannel {
        let name = channel.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw StoreError.invalid("a channel needs a name", field: "name") }
        let secret = channel.kind == .webhook ? Self.randomToken() : ""
        let token = Self.randomToken()
        let now = Date()
        // ON CONFLICT rather than a check first: two nodes adding the same name at once get one channel and one error.
        guard let id = try await fetchValue("""
            INSERT INTO channels(organisation_id, name, kind, target, secret, schedule, unsubscribe_token, created_at,
                                 allow_private_network)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (organisation_id, name) DO NOTHING RETURNING id
            """, [organisationID, name, channel.kind.rawValue, channel.target, secret, channel.schedule.rawValue, token,
                  Timestamp.format(now), channel.allowPrivateNetwork], as: Int64.self) else {
            throw StoreError.conflict("the organisation already has a channel named \(name): remove it first or choose another name")
        }
        var draft = channel
        draft.name = name
        return NotificationChannel(id: id, organisationID: organisationID, draft: draft, secret: secret,
                                   unsubscribeToken: token, enabled: true, disabledReason: nil, createdAt: now)
    }

    public func channels(organisationID: Int64) async throws -> [NotificationChannel] {
        // In byte order, whatever PostgreSQL's locale.
        try await fetchAll("SELECT * FROM channels WHERE organisation_id = ? ORDER BY \(dialect.binary("name"))", [organisationID])
            .map(StoreRows.channel(from:))
    }

    public func removeChannel(id: Int64, organisationID: Int64) async throws -> Bool {
        try await fetchOne("DELETE FROM channels WHERE id = ? AND organisation_id = ? RETURNING id", [id, organisationID]) != nil
    }

    public func setChannelEnabled(id: Int64, organisationID: Int64, enabled: Bool, reason: String?) async throws -> Bool {
        try await transaction { db in
            let changed = try await db.fetchOne("""
                UPDATE channels SET enabled = ?, disabled_reason = ? WHERE id = ? AND organisation_id = ? RETURNING id
                """, [enabled, enabled ? nil : reason, id, organisationID]) != nil
            if changed, !enabled {
                // Nothing more goes to a channel that was turned off, including what was waiting for it.
                try await db.execute("""
                    UPDATE deliveries SET status = 'failed', last_error = ?, lease_until = NULL
                    WHERE channel_id = ? AND status IN ('pending', 'held')
                    """, ["not sent: the channel was turned off (\(reason ?? "by an administrator"))", id])
                try await Self.bumpGeneration(db)
            }
            return changed
        }
    }

    public func rotateChannelSecret(id: Int64, organisationID: Int64) async throws -> String? {
        let secret = Self.randomToken()
        return try await fetchOne("""
            UPDATE channels SET secret = ? WHERE id = ? AND organisation_id = ? AND kind = 'webhook' RETURNING id
            """, [secret, id, organisationID]) == nil ? nil : secret
    }

    public func retryDelivery(id: Int64, organisationID: Int64, now: Date) async throws -> Bool {
        // A digest's held alerts stay folded into it; a turned-off channel's deliveries stay failed.
        try await fetchOne("""
            UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_until = NULL
            WHERE id = ? AND organisation_id = ? AND status = 'failed'
              AND channel_id IN (SELECT id FROM channels WHERE organisation_id = ? AND enabled = ?)
            RETURNING id
            """, [Timestamp.format(now), id, organisationID, organisationID, true]) != nil
    }

    public func channel(unsubscribeToken token: String) async throws -> NotificationChannel? {
        guard !token.isEmpty else { return nil }
        return try await fetchOne("SELECT * FROM channels WHERE unsubscribe_token = ?", [token]).map(StoreRows.channel(from:))
    }

    // MARK: Outbox

    public func enqueueTest(channelID: Int64, organisationID: Int64, now: Date) async throws -> Int64 {
        let stamp = Timestamp.format(now)
        guard let id = try await fetchValue("""
            INSERT INTO deliveries(organisation_id, channel_id, kind, idempotency_key, status, next_attempt_at, created_at)
            SELECT organisation_id, id, 'test', ?, 'pending', ?, ? FROM channels WHERE id = ? AND organisation_id = ?
            RETURNING id
            """, ["test:\(channelID)|\(Self.randomToken())", stamp, stamp, channelID, organisationID], as: Int64.self) else {
            throw StoreError.notFound("the organisation has no channel \(channelID)")
        }
        return id
    }

    public func channelsWithHeldAlerts() async throws -> [HeldChannel] {
        try await fetchAll("""
            SELECT c.*, h.oldest, o.time_zone AS org_time_zone, o.digest_hour AS org_digest_hour FROM channels c
            JOIN (SELECT channel_id, MIN(created_at) AS oldest FROM deliveries WHERE status = 'held' GROUP BY channel_id) h
              ON h.channel_id = c.id
            JOIN organisations o ON o.id = c.organisation_id
            ORDER BY c.id
            """).map { row in
                HeldChannel(channel: StoreRows.channel(from: row), oldest: Timestamp.parse(row["oldest"]) ?? Date(timeIntervalSince1970: 0),
                            timeZone: row["org_time_zone"], digestHour: Int(row["org_digest_hour"] as Int64))
            }
    }

    public func composeDigest(channelID: Int64, periodEnd boundary: Date, now: Date) async throws -> Int {
        try await transaction { db in
            // Two nodes composing the same channel at once take turns: the second finds the held rows already folded.
            try await lock(Self.digestLockSpace << 32 | (channelID & 0xFFFF_FFFF), in: db)
            let end = Timestamp.format(boundary)
            let held = try await db.fetchValue("""
                SELECT COUNT(*) FROM deliveries WHERE channel_id = ? AND status = 'held' AND created_at < ?
                """, [channelID, end], as: Int.self) ?? 0
            guard held > 0 else { return 0 }
            let stamp = Timestamp.format(now)
            let key = "digest:\(channelID)|\(end)"
            // One digest per channel and period, however often this runs: the key names both.
            try await db.execute("""
                INSERT INTO deliveries(organisation_id, channel_id, kind, idempotency_key, status, next_attempt_at, period_end, created_at)
                SELECT organisation_id, id, 'digest', ?, 'pending', ?, ?, ? FROM channels WHERE id = ?
                ON CONFLICT (idempotency_key) DO NOTHING
                """, [key, stamp, end, stamp, channelID])
            guard let digestID = try await db.fetchValue("SELECT id FROM deliveries WHERE idempotency_key = ?", [key], as: Int64.self) else {
                return 0
            }
            return try await db.fetchAll("""
                UPDATE deliveries SET status = 'digested', digest_id = ?
                WHERE channel_id = ? AND status = 'held' AND created_at < ? RETURNING id
                """, [digestID, channelID, end]).count
        }
    }

    public func claimDeliveries(now: Date, lease: TimeInterval, limit: Int, only: Int64?,
                                kinds: Set<NotificationChannel.Kind>?) async throws -> [ClaimedDelivery] {
        let stamp = Timestamp.format(now)
        let kindCondition = NotificationChannel.Kind.channelCondition(kinds)
        // Most passes find nothing due: find that out with a read, without taking a write lock or a connection for
        // a transaction.
        let condition = "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?)) \(kindCondition)"
        guard try await fetchValue("SELECT 1 FROM deliveries WHERE \(condition) LIMIT 1", [stamp, stamp], as: Int.self) != nil else {
            return []
        }
        // The due rows are leased in one statement. On PostgreSQL they are locked FOR UPDATE SKIP LOCKED, so a row
        // another node is claiming at this moment is left to it (no two nodes claim one row, and neither waits); SQLite
        // has one writer. A lease that expired without an outcome makes its row due again.
        return try await transaction { db in
            let ids = try await db.fetchValues("""
                UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?
                WHERE id IN (
                  SELECT id FROM deliveries WHERE \(condition) AND (CAST(? AS BIGINT) IS NULL OR id = ?)
                  ORDER BY next_attempt_at, id LIMIT ? \(dialect.skipLocked))
                RETURNING id
                """, [Timestamp.format(now.addingTimeInterval(lease)), stamp, stamp, only, only, limit], as: Int64.self)
            guard !ids.isEmpty else { return [] }
            return try await db.fetchAll("""
                SELECT d.id AS delivery_id, d.kind AS delivery_kind, d.idempotency_key AS delivery_key, d.attempts,
                       d.created_at AS delivery_created_at, d.period_end, d.alert_id AS delivery_alert_id, c.*
                FROM deliveries d JOIN channels c ON c.id = d.channel_id
                WHERE d.id IN (\(Self.placeholders(ids.count))) ORDER BY d.id
                """, SQLArguments(ids)).map { row in
                ClaimedDelivery(id: row["delivery_id"], organisationID: row["organisation_id"],
                                kind: DeliveryKind(rawValue: row["delivery_kind"]) ?? .alert, channel: StoreRows.channel(from: row),
                                idempotencyKey: row["delivery_key"], attempts: row["attempts"],
                                createdAt: Timestamp.parse(row["delivery_created_at"]) ?? now,
                                periodEnd: (row["period_end"] as String?).flatMap(Timestamp.parse),
                                alertID: row["delivery_alert_id"])
            }
        }
    }

    public func deliveryContent(_ delivery: ClaimedDelivery, cache: AdvisoryCache) async throws -> DeliveryContent {
        guard let organisation = try await fetchOne("SELECT name, base_url, time_zone FROM organisations WHERE id = ?", [delivery.organisationID]) else {
            throw StoreError.notFound("organisation \(delivery.organisationID) of delivery \(delivery.id) no longer exists")
        }
        let name: String = organisation["name"]
        let condition = delivery.kind == .digest ? "d.digest_id = ?" : "d.id = ?"
        let alerts = try await fetchAll("""
            SELECT al.*, COALESCE(a.title, al.advisory_id) AS title, COALESCE(a.severity, 'none') AS severity, a.cvss_score
            FROM deliveries d JOIN alerts al ON al.id = d.alert_id LEFT JOIN advisories a ON a.id = al.advisory_id
            WHERE \(condition) AND al.organisation_id = ? ORDER BY COALESCE(a.severity_rank, 0) DESC, al.created_at, al.id
            """, [delivery.id, delivery.organisationID]).map(StoreRows.alert(from:))
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
        return DeliveryContent(organisation: Organisation(id: delivery.organisationID, name: name), notices: notices,
                               baseURL: organisation["base_url"], timeZone: organisation["time_zone"])
    }

    public func markDelivered(deliveryID: Int64, at: Date, detail: String) async throws {
        try await recordOutcomes([.delivered(deliveryID: deliveryID, at: at, detail: detail)])
    }

    public func markFailed(deliveryID: Int64, error: String, retryAt: Date?) async throws {
        try await recordOutcomes([.failed(deliveryID: deliveryID, error: error, retryAt: retryAt)])
    }

    public func recordOutcomes(_ outcomes: [DeliveryOutcome]) async throws {
        guard !outcomes.isEmpty else { return }
        // A delivery named twice in one batch takes its last outcome.
        var last: [Int64: DeliveryOutcome] = [:]
        var order: [Int64] = []
        for outcome in outcomes {
            if last.updateValue(outcome, forKey: outcome.deliveryID) == nil { order.append(outcome.deliveryID) }
        }
        // One statement for the whole batch: the outcomes as rows, each applied by its kind.
        var arguments = SQLArguments()
        for id in order {
            switch last[id]! {
            case let .delivered(id, at, detail):
                arguments.append(contentsOf: [id, "delivered", Timestamp.format(at), detail, nil, nil])
            case let .failed(id, error, retryAt?):
                arguments.append(contentsOf: [id, "pending", nil, nil, error, Timestamp.format(retryAt)])
            case let .failed(id, error, nil):
                arguments.append(contentsOf: [id, "failed", nil, nil, error, nil])
            }
        }
        let row = "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT))"
        let rows = Array(repeating: row, count: order.count).joined(separator: ", ")
        try await transaction { db in
            try await db.execute("""
                WITH o(id, status, delivered_at, detail, last_error, next_attempt_at) AS (VALUES \(rows))
                UPDATE deliveries SET status = o.status,
                  delivered_at = CASE WHEN o.status = 'delivered' THEN o.delivered_at ELSE deliveries.delivered_at END,
                  detail = CASE WHEN o.status = 'delivered' THEN o.detail ELSE deliveries.detail END,
                  last_error = o.last_error,
                  next_attempt_at = COALESCE(o.next_attempt_at, deliveries.next_attempt_at),
                  lease_until = NULL
                FROM o WHERE deliveries.id = o.id
                """, arguments)
            try await Self.bumpGeneration(db)
        }
    }

    public func deliveries(organisationID: Int64, status: DeliveryStatus?, limit: Int) async throws -> [DeliveryRecord] {
        try await fetchAll("""
            SELECT d.*, c.name AS channel_name, c.kind AS channel_kind, c.target AS channel_target
            FROM deliveries d JOIN channels c ON c.id = d.channel_id
            WHERE d.organisation_id = ? AND (CAST(? AS TEXT) IS NULL OR d.status = ?) ORDER BY d.created_at DESC, d.id DESC LIMIT ?
            """, [organisationID, status?.rawValue, status?.rawValue, limit]).map(StoreRows.delivery(from:))
    }

    // MARK: Alert log

    public func alert(id: Int64, organisationID: Int64) async throws -> StoredAlert? {
        try await Self.alert(id: id, organisationID: organisationID, db: self)
    }

    static func alert(id: Int64, organisationID: Int64, db: some SQLExecutor) async throws -> StoredAlert? {
        try await db.fetchOne("""
            SELECT al.*, COALESCE(a.title, al.advisory_id) AS title, COALESCE(a.severity, 'none') AS severity, a.cvss_score
            FROM alerts al LEFT JOIN advisories a ON a.id = al.advisory_id WHERE al.id = ? AND al.organisation_id = ?
            """, [id, organisationID]).map(StoreRows.alert(from:))
    }

    public func updateAlert(id: Int64, organisationID: Int64, update: AlertUpdate, actor: String, at: Date) async throws -> StoredAlert? {
        if let due = update.dueDate, !due.isEmpty, Timestamp.parse(due + "T00:00:00Z") == nil || due.count != 10 {
            throw StoreError.invalid("the due date \(due) is not a date: write it as YYYY-MM-DD", field: "due")
        }
        return try await transaction { db -> StoredAlert? in
            // FOR UPDATE: two people changing one alert at once each record the value they actually replaced.
            guard let row = try await db.fetchOne("""
                SELECT status, owner, due_date FROM alerts WHERE id = ? AND organisation_id = ? \(dialect.forUpdate)
                """, [id, organisationID]) else { return nil }
            let stamp = Timestamp.format(at)
            var events: [(field: String, old: String?, new: String?)] = []
            var assignments: [String] = []
            var values = SQLArguments()
            if let status = update.status, status.rawValue != row["status"] as String {
                assignments.append("status = ?")
                values.append(status.rawValue)
                events.append(("status", row["status"], status.rawValue))
            }
            if let owner = update.owner, owner != (row["owner"] as String? ?? "") {
                assignments.append("owner = ?")
                values.append(owner.isEmpty ? nil : owner)
                events.append(("owner", row["owner"], owner.isEmpty ? nil : owner))
            }
            if let due = update.dueDate, due != (row["due_date"] as String? ?? "") {
                assignments.append("due_date = ?")
                values.append(due.isEmpty ? nil : due)
                events.append(("due_date", row["due_date"], due.isEmpty ? nil : due))
            }
            if let note = update.note?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty {
                events.append(("note", nil, note))
            }
            if !assignments.isEmpty {
                values.append(id)
                try await db.execute("UPDATE alerts SET \(assignments.joined(separator: ", ")) WHERE id = ?", values)
            }
            if !events.isEmpty {
                var arguments = SQLArguments()
                for event in events { arguments.append(contentsOf: [id, stamp, actor, event.field, event.old, event.new]) }
                let rows = events.indices.map { _ in "(?, ?, ?, ?, ?, ?)" }.joined(separator: ", ")
                try await db.execute("INSERT INTO alert_events(alert_id, at, actor, field, old_value, new_value) VALUES \(rows)", arguments)
            }
            try await Self.bumpGeneration(db)
            return try await Self.alert(id: id, organisationID: organisationID, db: db)
        }
    }

    public func alertEvents(alertID: Int64, organisationID: Int64) async throws -> [AlertEvent] {
        try await fetchAll("""
            SELECT e.* FROM alert_events e JOIN alerts al ON al.id = e.alert_id
            WHERE e.alert_id = ? AND al.organisation_id = ? ORDER BY e.id
            """, [alertID, organisationID]).map { row in
            AlertEvent(at: Timestamp.parse(row["at"]) ?? Date(timeIntervalSince1970: 0), actor: row["actor"],
                       field: row["field"], oldValue: row["old_value"], newValue: row["new_value"])
        }
    }

    public func alertDeliveries(alertID: Int64, organisationID: Int64) async throws -> [DeliveryRecord] {
        try await fetchAll("""
            SELECT d.*, c.name AS channel_name, c.kind AS channel_kind, c.target AS channel_target
            FROM deliveries d JOIN channels c ON c.id = d.channel_id
            WHERE d.organisation_id = ? AND (d.alert_id = ? OR d.id IN (SELECT digest_id FROM deliveries WHERE alert_id = ?))
            ORDER BY d.id
            """, [organisationID, alertID, alertID]).map(StoreRows.delivery(from:))
    }

    /// The high half of the lock key for digest composition (the channel's ID is the low half): apart from the other
    /// keys (`migrationLock`, ingest's); channel IDs beyond 32 bits share keys, which only serialises more.
    static var digestLockSpace: Int64 { 0x5649_4701 }

    /// 32 random bytes as lowercase hex: webhook secrets and unsubscribe tokens.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    public func setChannelSchedule(id: Int64, organisationID: Int64, schedule: NotificationChannel.Schedule) async throws -> Bool {
        try await transaction { db in
            guard try await db.fetchOne("UPDATE channels SET schedule = ? WHERE id = ? AND organisation_id = ? RETURNING id",
                                        [schedule.rawValue, id, organisationID]) != nil else { return false }
            if schedule == .immediate {
                // An immediate channel has no digest to wait for: what was held goes out at the next dispatch.
                try await db.execute("UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE channel_id = ? AND status = 'held'",
                                     [Timestamp.format(Date()), id])
            }
            return true
        }
    }
}

extension SQLiteStore: OutboxStore {}
extension PostgresStore: OutboxStore {}

extension NotificationChannel.Kind {
    /// An SQL condition on `deliveries.channel_id` keeping channels of `kinds` (always true for nil). The values are
    /// this enum's own raw values (lower-case letters), never user text, so they are written into the SQL.
    static func channelCondition(_ kinds: Set<NotificationChannel.Kind>?) -> String {
        guard let kinds else { return "" }
        let list = kinds.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
        return kinds.isEmpty ? "AND FALSE" : "AND channel_id IN (SELECT id FROM channels WHERE kind IN (\(list)))"
    }
}
