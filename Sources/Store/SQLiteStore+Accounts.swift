import CSAF
import Foundation
import GRDB

extension SQLiteStore: AccountStore {
    // MARK: Users

    public func hasUsers() async throws -> Bool {
        try await writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM users)") ?? false }
    }

    public func createUser(_ draft: UserAccount.Draft, now: Date) async throws -> UserAccount {
        let email = draft.email.trimmingCharacters(in: .whitespaces)
        guard !email.isEmpty else { throw StoreError.invalid("a user needs an email address", field: "email") }
        let name = draft.displayName.trimmingCharacters(in: .whitespaces)
        return try await writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE email = ?", arguments: [email]) == true {
                throw StoreError.conflict("a user with the email \(email) exists already")
            }
            try db.execute(sql: """
                INSERT INTO users(email, display_name, password_hash, email_verified_at, password_vouched_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [email, name, draft.passwordHash, draft.emailVerifiedAt.map(Timestamp.format),
                                 draft.passwordVouchedAt.map(Timestamp.format), Timestamp.format(now)])
            return UserAccount(id: db.lastInsertedRowID, email: email, displayName: name, passwordHash: draft.passwordHash,
                               emailVerifiedAt: draft.emailVerifiedAt, passwordVouchedAt: draft.passwordVouchedAt, createdAt: now, disabled: false)
        }
    }

    public func user(email: String) async throws -> UserAccount? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email.trimmingCharacters(in: .whitespaces)])
                .map(Self.user(from:))
        }
    }

    public func user(id: Int64) async throws -> UserAccount? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map(Self.user(from:))
        }
    }

    public func users(organisationID: Int64?) async throws -> [UserAccount] {
        try await writer.read { db in
            if let organisationID {
                return try Row.fetchAll(db, sql: """
                    SELECT u.* FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organisation_id = ? ORDER BY u.email
                    """, arguments: [organisationID]).map(Self.user(from:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY email").map(Self.user(from:))
        }
    }

    public func setPasswordHash(userID: Int64, hash: String, now: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ?, password_vouched_at = ? WHERE id = ?",
                           arguments: [hash, Timestamp.format(now), userID])
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM api_tokens WHERE user_id = ?", arguments: [userID])
        }
    }

    public func clearPassword(userID: Int64) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = NULL, password_vouched_at = NULL WHERE id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM api_tokens WHERE user_id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM one_time_tokens WHERE user_id = ? AND used_at IS NULL", arguments: [userID])
        }
    }

    public func setEmailVerified(userID: Int64, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?) WHERE id = ?",
                           arguments: [Timestamp.format(at), userID])
        }
    }

    public func removeUser(id: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    // MARK: Memberships

    public func setMembership(userID: Int64, organisationID: Int64, role: MemberRole,
                              delivery: NotificationChannel.Schedule) async throws -> Membership {
        try await writer.write { db in
            guard let orgName = try String.fetchOne(db, sql: "SELECT name FROM organisations WHERE id = ?", arguments: [organisationID]) else {
                throw StoreError.notFound("organisation \(organisationID) does not exist")
            }
            try db.execute(sql: """
                INSERT INTO memberships(user_id, organisation_id, role, delivery, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(user_id, organisation_id) DO UPDATE SET role = excluded.role, delivery = excluded.delivery
                """, arguments: [userID, organisationID, role.rawValue, delivery.rawValue, Timestamp.format(Date())])
            let row = try Row.fetchOne(db, sql: "SELECT created_at FROM memberships WHERE user_id = ? AND organisation_id = ?",
                                       arguments: [userID, organisationID])
            return Membership(userID: userID, organisation: Organisation(id: organisationID, name: orgName), role: role, delivery: delivery,
                              createdAt: Timestamp.parse(row?["created_at"] ?? "") ?? Date())
        }
    }

    public func setDeliveryPreference(userID: Int64, organisationID: Int64, delivery: NotificationChannel.Schedule) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE memberships SET delivery = ? WHERE user_id = ? AND organisation_id = ?",
                           arguments: [delivery.rawValue, userID, organisationID])
            return db.changesCount > 0
        }
    }

    public func removeMembership(userID: Int64, organisationID: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM memberships WHERE user_id = ? AND organisation_id = ?", arguments: [userID, organisationID])
            let removed = db.changesCount > 0
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ? AND organisation_id = ?", arguments: [userID, organisationID])
            try db.execute(sql: "DELETE FROM api_tokens WHERE user_id = ? AND organisation_id = ?", arguments: [userID, organisationID])
            return removed
        }
    }

    public func memberships(userID: Int64) async throws -> [Membership] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.*, o.name AS organisation_name FROM memberships m JOIN organisations o ON o.id = m.organisation_id
                WHERE m.user_id = ? ORDER BY o.name
                """, arguments: [userID]).map(Self.membership(from:))
        }
    }

    public func membership(userID: Int64, organisationID: Int64) async throws -> Membership? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT m.*, o.name AS organisation_name FROM memberships m JOIN organisations o ON o.id = m.organisation_id
                WHERE m.user_id = ? AND m.organisation_id = ?
                """, arguments: [userID, organisationID]).map(Self.membership(from:))
        }
    }

    // MARK: Sessions

    public func createSession(_ session: SessionRecord) async throws {
        try await writer.write { db in
            // Expired sessions are swept here rather than by a timer: sign-ins are rare enough, and it keeps the table small.
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [Timestamp.format(session.createdAt)])
            try db.execute(sql: """
                INSERT INTO sessions(token_hash, user_id, organisation_id, csrf_token, created_at, expires_at, last_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [session.tokenHash, session.userID, session.organisationID, session.csrfToken,
                                 Timestamp.format(session.createdAt), Timestamp.format(session.expiresAt), Timestamp.format(session.lastSeenAt)])
        }
    }

    public func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> SessionRecord? {
        guard let record = try await writer.read({ db in
            try Row.fetchOne(db, sql: """
                SELECT s.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.disabled = 0
                """, arguments: [tokenHash]).map(Self.session(from:))
        }) else { return nil }
        guard record.expiresAt > now, record.lastSeenAt.addingTimeInterval(idleTimeout) > now else {
            try await deleteSession(tokenHash: tokenHash)
            return nil
        }
        var touched = record
        // Written at most once a minute: a page view should not cost a write each time.
        if now.timeIntervalSince(record.lastSeenAt) >= 60 {
            try await writer.write { db in
                try db.execute(sql: "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", arguments: [Timestamp.format(now), tokenHash])
            }
            touched.lastSeenAt = now
        }
        return touched
    }

    public func deleteSession(tokenHash: String) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
        }
    }

    public func setSessionOrganisation(tokenHash: String, organisationID: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE sessions SET organisation_id = ? WHERE token_hash = ?
                AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = sessions.user_id AND m.organisation_id = ?)
                """, arguments: [organisationID, tokenHash, organisationID])
            return db.changesCount > 0
        }
    }

    // MARK: One-time tokens

    public func createOneTimeToken(_ token: OneTimeToken) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO one_time_tokens(token_hash, purpose, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [token.hash, token.purpose.rawValue, token.userID, Timestamp.format(token.createdAt), Timestamp.format(token.expiresAt)])
        }
    }

    public func oneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM one_time_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
                """, arguments: [hash, purpose.rawValue, Timestamp.format(now)]).map(Self.oneTimeToken(from:))
        }
    }

    public func consumeOneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? {
        try await writer.write { db in
            let stamp = Timestamp.format(now)
            try db.execute(sql: """
                UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
                """, arguments: [stamp, hash, purpose.rawValue, stamp])
            guard db.changesCount > 0 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM one_time_tokens WHERE token_hash = ?", arguments: [hash]).map(Self.oneTimeToken(from:))
        }
    }

    // MARK: API tokens

    public func createAPIToken(hash: String, name: String, userID: Int64, organisationID: Int64, now: Date) async throws -> APITokenRecord {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw StoreError.invalid("an API token needs a name (what it is for, such as ticketing)", field: "name") }
        return try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO api_tokens(token_hash, name, user_id, organisation_id, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [hash, name, userID, organisationID, Timestamp.format(now)])
            return APITokenRecord(id: db.lastInsertedRowID, name: name, userID: userID, organisationID: organisationID, createdAt: now, lastUsedAt: nil)
        }
    }

    public func apiTokens(userID: Int64, organisationID: Int64) async throws -> [APITokenRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_tokens WHERE user_id = ? AND organisation_id = ? ORDER BY id DESC",
                             arguments: [userID, organisationID]).map(Self.apiToken(from:))
        }
    }

    public func revokeAPIToken(id: Int64, userID: Int64, organisationID: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM api_tokens WHERE id = ? AND user_id = ? AND organisation_id = ?",
                           arguments: [id, userID, organisationID])
            return db.changesCount > 0
        }
    }

    public func apiToken(hash: String, now: Date) async throws -> APITokenRecord? {
        guard var token = try await writer.read({ db in
            try Row.fetchOne(db, sql: """
                SELECT t.* FROM api_tokens t JOIN users u ON u.id = t.user_id
                JOIN memberships m ON m.user_id = t.user_id AND m.organisation_id = t.organisation_id
                WHERE t.token_hash = ? AND u.disabled = 0
                """, arguments: [hash]).map(Self.apiToken(from:))
        }) else { return nil }
        if token.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true {
            let id = token.id
            try await writer.write { db in
                try db.execute(sql: "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", arguments: [Timestamp.format(now), id])
            }
            token.lastUsedAt = now
        }
        return token
    }

    // MARK: Rows

    static func user(from row: Row) -> UserAccount { StoreRows.user(from: SQLRow(row)) }

    static func membership(from row: Row) -> Membership { StoreRows.membership(from: SQLRow(row)) }

    static func session(from row: Row) -> SessionRecord { StoreRows.session(from: SQLRow(row)) }

    static func oneTimeToken(from row: Row) -> OneTimeToken { StoreRows.oneTimeToken(from: SQLRow(row)) }

    static func apiToken(from row: Row) -> APITokenRecord { StoreRows.apiToken(from: SQLRow(row)) }
}
