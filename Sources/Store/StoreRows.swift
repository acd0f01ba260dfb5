import CSAF
import Foundation
import GRDB
import Matching
import Storage

/// Records read from result rows, the same for both stores: SQLite's GRDB rows are read through `SQLRow(_:)`, so one
/// mapping serves both and the two stores cannot drift apart in how a column becomes a field.
enum StoreRows {
    static func alert(from row: SQLRow) -> StoredAlert {
        let decoder = JSONDecoder()
        let draft = StoredAlert.Draft(
            organisationID: row["organisation_id"], advisoryID: row["advisory_id"],
            advisoryVersion: row["advisory_version"], idempotencyKey: row["idempotency_key"],
            changes: (try? decoder.decode([String].self, from: Data((row["changes"] as String).utf8))) ?? [],
            matches: (try? decoder.decode([AlertMatch].self, from: Data((row["matches"] as String).utf8))) ?? [])
        var alert = StoredAlert(id: row["id"], draft: draft, status: row["status"], advisoryTitle: row["title"],
                                createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
                                owner: row["owner"], dueDate: row["due_date"])
        alert.severity = row["severity"]
        alert.cvssScore = row["cvss_score"]
        return alert
    }

    static func apiToken(from row: SQLRow) -> APITokenRecord {
        APITokenRecord(id: row["id"], name: row["name"], userID: row["user_id"], organisationID: row["organisation_id"],
                       createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
                       lastUsedAt: (row["last_used_at"] as String?).flatMap(Timestamp.parse))
    }

    static func asset(from row: SQLRow) -> AssetDraft {
        AssetDraft(externalID: row["external_id"], vendor: row["vendor"], product: row["product"], version: row["version"],
                   modelNumber: row["model_number"], serialNumber: row["serial_number"], cpe: row["cpe"], purl: row["purl"],
                   site: row["site"], area: row["area"], owner: row["owner"],
                   criticality: (row["criticality"] as String?).flatMap(AssetCriticality.init(rawValue:)),
                   tags: (row["tags"] as String? ?? "").split(separator: "\n").map(String.init))
    }

    static func channel(from row: SQLRow) -> NotificationChannel {
        NotificationChannel(
            id: row["id"], organisationID: row["organisation_id"],
            draft: .init(name: row["name"], kind: NotificationChannel.Kind(rawValue: row["kind"]) ?? .email, target: row["target"],
                         schedule: NotificationChannel.Schedule(rawValue: row["schedule"]) ?? .immediate,
                         allowPrivateNetwork: row["allow_private_network"]),
            secret: row["secret"], unsubscribeToken: row["unsubscribe_token"], enabled: row["enabled"],
            disabledReason: row["disabled_reason"], createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0))
    }

    static func delivery(from row: SQLRow) -> DeliveryRecord {
        let status = DeliveryStatus(rawValue: row["status"]) ?? .pending
        return DeliveryRecord(
            id: row["id"], kind: DeliveryKind(rawValue: row["kind"]) ?? .alert, channelName: row["channel_name"],
            channelSpec: "\(row["channel_kind"] as String):\(row["channel_target"] as String)", alertID: row["alert_id"],
            status: status, attempts: row["attempts"],
            nextAttemptAt: status == .pending ? (row["next_attempt_at"] as String?).flatMap(Timestamp.parse) : nil,
            lastError: row["last_error"], detail: row["detail"],
            createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
            deliveredAt: (row["delivered_at"] as String?).flatMap(Timestamp.parse), idempotencyKey: row["idempotency_key"])
    }

    static func membership(from row: SQLRow) -> Membership {
        Membership(userID: row["user_id"], organisation: Organisation(id: row["organisation_id"], name: row["organisation_name"]),
                   role: MemberRole(rawValue: row["role"]) ?? .viewer,
                   delivery: NotificationChannel.Schedule(rawValue: row["delivery"]) ?? .immediate,
                   createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0))
    }

    static func oneTimeToken(from row: SQLRow) -> OneTimeToken {
        OneTimeToken(hash: row["token_hash"], purpose: OneTimeToken.Purpose(rawValue: row["purpose"]) ?? .emailVerification,
                     userID: row["user_id"], createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
                     expiresAt: Timestamp.parse(row["expires_at"]) ?? Date(timeIntervalSince1970: 0),
                     usedAt: (row["used_at"] as String?).flatMap(Timestamp.parse))
    }

    static func session(from row: SQLRow) -> SessionRecord {
        SessionRecord(tokenHash: row["token_hash"], userID: row["user_id"], organisationID: row["organisation_id"], csrfToken: row["csrf_token"],
                      createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
                      expiresAt: Timestamp.parse(row["expires_at"]) ?? Date(timeIntervalSince1970: 0),
                      lastSeenAt: Timestamp.parse(row["last_seen_at"]) ?? Date(timeIntervalSince1970: 0))
    }

    static func sourceRecord(_ row: SQLRow) -> SourceRecord {
        var record = SourceRecord(slug: row["slug"], name: row["name"], kind: SourceRecord.Kind(rawValue: row["kind"]) ?? .provider,
                     url: row["url"], enabled: row["enabled"], pollInterval: row["poll_interval"],
                     lastAttempt: (row["last_attempt"] as String?).flatMap(Timestamp.parse),
                     lastSuccess: (row["last_success"] as String?).flatMap(Timestamp.parse),
                     lastError: row["last_error"], nextPoll: (row["next_poll"] as String?).flatMap(Timestamp.parse),
                     documentsHeld: row["held"], documentsQuarantined: row["quarantined"], documentsFailing: row["failing"])
        let mirrors: String = row["mirrors"] ?? ""
        record.mirrors = mirrors.isEmpty ? [] : mirrors.components(separatedBy: "\n")
        record.acceptsV3Signatures = row["accept_v3"] ?? false
        record.credentialsVariable = row["credentials_variable"]
        record.consecutiveFailures = row["consecutive_failures"] ?? 0
        record.failingSince = (row["failing_since"] as String?).flatMap(Timestamp.parse)
        record.scheduledInterval = row["scheduled_interval"]
        record.allowPrivateNetwork = row["allow_private_network"] ?? false
        if let checked = (row["quality_checked_at"] as String?).flatMap(Timestamp.parse) {
            record.quality = SourceQuality(checkedAt: checked, role: row["quality_role"], summary: row["quality_summary"] ?? "",
                                           report: row["quality_report"] ?? "{}")
        }
        return record
    }

    static func summary(_ row: SQLRow) -> AdvisorySummary {
        let vendors: String = row["vendors"]
        return AdvisorySummary(
            id: row["id"], title: row["title"], publisher: row["publisher"],
            vendors: vendors.isEmpty ? [] : vendors.components(separatedBy: "\n"),
            initialReleaseDate: (row["initial_release_date"] as String?).flatMap(Timestamp.parse),
            currentReleaseDate: (row["current_release_date"] as String?).flatMap(Timestamp.parse),
            version: row["version"], score: row["cvss_score"],
            severity: Severity(rawValue: row["severity"]) ?? .none, vector: row["cvss_vector"],
            cveCount: row["cve_count"], integrity: IntegrityStatus(rawValue: row["integrity"]) ?? .unsigned,
            knownExploitedCount: row["kev_count"] ?? 0, category: row["category"])
    }

    static func user(from row: SQLRow) -> UserAccount {
        UserAccount(id: row["id"], email: row["email"], displayName: row["display_name"], passwordHash: row["password_hash"],
                    emailVerifiedAt: (row["email_verified_at"] as String?).flatMap(Timestamp.parse),
                    passwordVouchedAt: (row["password_vouched_at"] as String?).flatMap(Timestamp.parse),
                    createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0), disabled: row["disabled"],
                    lastSignInAt: (row["last_sign_in_at"] as String?).flatMap(Timestamp.parse), instanceAdmin: row["instance_admin"])
    }

    static func vendorSummary(_ row: SQLRow) -> VendorSummary {
        VendorSummary(name: row["name"], slug: row["slug"], advisoryCount: row["n"],
                      latest: (row["latest"] as String?).flatMap(Timestamp.parse))
    }

    static func watch(from row: SQLRow) -> StoredWatch {
        StoredWatch(id: row["id"], organisationID: row["organisation_id"],
                    draft: .init(kind: row["kind"], value: row["value"],
                                 minimumSeverity: (row["minimum_severity"] as String?).flatMap(Severity.init(rawValue:)),
                                 notify: row["notify"]),
                    createdAt: Timestamp.parse(row["created_at"]) ?? Date(timeIntervalSince1970: 0))
    }

}

extension SQLRow {
    /// A GRDB row as an `SQLRow`, for the mappings in `StoreRows`.
    init(_ row: Row) {
        var columns: [String: Int] = [:]
        var values: [SQLValue] = []
        values.reserveCapacity(row.count)
        for (index, (name, value)) in row.enumerated() {
            if columns[name] == nil { columns[name] = index }
            switch value.storage {
            case .null: values.append(.null)
            case .int64(let v): values.append(.integer(v))
            case .double(let v): values.append(.real(v))
            case .string(let v): values.append(.text(v))
            case .blob(let v): values.append(.blob([UInt8](v)))
            }
        }
        self.init(columns: columns, values: values)
    }
}

extension Advisory {
    /// The products' text the full-text index holds, the same in both stores: each product's name, version and model
    /// numbers, a line per product.
    var searchProductText: String {
        var text = ""
        for p in products {
            text += p.product
            if let version = p.version { text += " " + version }
            for model in p.modelNumbers { text += " " + model }
            text += "\n"
        }
        return text
    }
}
