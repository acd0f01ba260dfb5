import CSAF
import Foundation
import Storage

/// Users, memberships, sessions, one-time and API tokens: one implementation for both databases.
extension SQLStore {
    // MARK: Users

    public func hasUsers() async throws -> Bool {
        try await fetchValue("SELECT EXISTS (SELECT 1 FROM users)", as: Bool.self) ?? false
    }

    public func createUser(_ draft: UserAccount.Draft, now: Date) async throws -> UserAccount {
        let email = draft.email.trimmingCharacters(in: .whitespaces)
        guard !email.isEmpty else { throw StoreError.invalid("a user needs an email address", field: "email") }
        let name = draft.displayName.trimmingCharacters(in: .whitespaces)
        // The unique index on the email ignoring case decides, so two sign-ups with one address at once make one user.
        // The first user of an installation administers it (sources); later ones only when made so.
        guard let row = try await fetchOne("""
            INSERT INTO users(email, display_name, password_hash, email_verified_at, password_vouched_at, created_at, instance_admin)
            SELECT ?, ?, ?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM users) WHERE 1 = 1
            ON CONFLICT DO NOTHING RETURNING id, instance_admin
            """, [email, name, draft.passwordHash, draft.emailVerifiedAt.map(Timestamp.format),
                  draft.passwordVouchedAt.map(Timestamp.format), Timestamp.format(now)]) else {
            throw StoreError.conflict("a user with the email \(email) exists already")
        }
        var user = UserAccount(id: row["id"], email: email, displayName: name, passwordHash: draft.passwordHash,
                               emailVerifiedAt: draft.emailVerifiedAt, passwordVouchedAt: draft.passwordVouchedAt, createdAt: now, disabled: false)
        user.instanceAdmin = row["instance_admin"]
        return user
    }

    public func setInstanceAdmin(userID: Int64, _ on: Bool) async throws -> Bool {
        try await fetchOne("UPDATE users SET instance_admin = ? WHERE id = ? RETURNING id", [on, userID]) != nil
    }

    public func user(email: String) async throws -> UserAccount? {
        try await fetchOne("SELECT * FROM users WHERE \(dialect.sameText("email"))", [email.trimmingCharacters(in: .whitespaces)])
            .map(StoreRows.user(from:))
    }

    public func user(id: Int64) async throws -> UserAccount? {
        try await fetchOne("SELECT * FROM users WHERE id = ?", [id]).map(StoreRows.user(from:))
    }

    public func users(organisationID: Int64?) async throws -> [UserAccount] {
        // Emails are NOCASE in SQLite, so they sort ignoring ASCII case there.
        if let organisationID {
            return try await fetchAll("""
                SELECT u.* FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organisation_id = ?
                ORDER BY \(dialect.noCase("u.email"))
                """, [organisationID]).map(StoreRows.user(from:))
        }
        return try await fetchAll("SELECT * FROM users ORDER BY \(dialect.noCase("email"))").map(StoreRows.user(from:))
    }

    public func setPasswordHash(userID: Int64, hash: String, now: Date) async throws {
        try await transaction { db in
            try await db.execute("UPDATE users SET password_hash = ?, password_vouched_at = ? WHERE id = ?", [hash, Timestamp.format(now), userID])
            try await db.execute("DELETE FROM sessions WHERE user_id = ?", [userID])
            try await db.execute("DELETE FROM api_tokens WHERE user_id = ?", [userID])
        }
    }

    public func clearPassword(userID: Int64) async throws {
        try await transaction { db in
            try await db.execute("UPDATE users SET password_hash = NULL, password_vouched_at = NULL WHERE id = ?", [userID])
            try await db.execute("DELETE FROM sessions WHERE user_id = ?", [userID])
            try await db.execute("DELETE FROM api_tokens WHERE user_id = ?", [userID])
            try await db.execute("DELETE FROM one_time_tokens WHERE user_id = ? AND used_at IS NULL", [userID])
        }
    }

    public func setEmailVerified(userID: Int64, at: Date) async throws {
        try await execute("UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?) WHERE id = ?",
                          [Timestamp.format(at), userID])
    }

    public func removeUser(id: Int64) async throws -> Bool {
        try await fetchOne("DELETE FROM users WHERE id = ? RETURNING id", [id]) != nil
    }

    // MARK: Memberships

    public func setMembership(userID: Int64, organisationID: Int64, role: MemberRole,
                              delivery: NotificationChannel.Schedule) async throws -> Membership {
        guard let orgName = try await fetchValue("SELECT name FROM organisations WHERE id = ?", [organisationID], as: String.self) else {
            throw StoreError.notFound("organisation \(organisationID) does not exist")
        }
        // RETURNING gives the membership's first creation time, whether this made it or changed it.
        let createdAt = try await fetchValue("""
            INSERT INTO memberships(user_id, organisation_id, role, delivery, created_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (user_id, organisation_id) DO UPDATE SET role = excluded.role, delivery = excluded.delivery
            RETURNING created_at
            """, [userID, organisationID, role.rawValue, delivery.rawValue, Timestamp.format(Date())], as: String.self)
        return Membership(userID: userID, organisation: Organisation(id: organisationID, name: orgName), role: role, delivery: delivery,
                          createdAt: createdAt.flatMap(Timestamp.parse) ?? Date())
    }

    public func setDeliveryPreference(userID: Int64, organisationID: Int64, delivery: NotificationChannel.Schedule) async throws -> Bool {
        try await fetchOne("""
            UPDATE memberships SET delivery = ? WHERE user_id = ? AND organisation_id = ? RETURNING user_id
            """, [delivery.rawValue, userID, organisationID]) != nil
    }

    public func removeMembership(userID: Int64, organisationID: Int64) async throws -> Bool {
        try await transaction { db in
            let removed = try await db.fetchOne("DELETE FROM memberships WHERE user_id = ? AND organisation_id = ? RETURNING user_id",
                                                [userID, organisationID]) != nil
            try await db.execute("DELETE FROM sessions WHERE user_id = ? AND organisation_id = ?", [userID, organisationID])
            try await db.execute("DELETE FROM api_tokens WHERE user_id = ? AND organisation_id = ?", [userID, organisationID])
            return removed
        }
    }

    public func memberships(userID: Int64) async throws -> [Membership] {
        // Organisation names are NOCASE in SQLite, so they sort ignoring ASCII case there.
        try await fetchAll("""
            SELECT m.*, o.name AS organisation_name FROM memberships m JOIN organisations o ON o.id = m.organisation_id
            WHERE m.user_id = ? ORDER BY \(dialect.noCase("o.name"))
            """, [userID]).map(StoreRows.membership(from:))
    }

    public func membership(userID: Int64, organisationID: Int64) async throws -> Membership? {
        try await fetchOne("""
            SELECT m.*, o.name AS organisation_name FROM memberships m JOIN organisations o ON o.id = m.organisation_id
            WHERE m.user_id = ? AND m.organisation_id = ?
            """, [userID, organisationID]).map(StoreRows.membership(from:))
    }

    // MARK: Sessions

    public func createSession(_ session: SessionRecord) async throws {
        try await transaction { db in
            // Expired sessions are swept here rather than by a timer: sign-ins are rare enough, and it keeps the table small.
            try await db.execute("DELETE FROM sessions WHERE expires_at <= ?", [Timestamp.format(session.createdAt)])
            try await db.execute("""
                INSERT INTO sessions(token_hash, user_id, organisation_id, csrf_token, created_at, expires_at, last_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [session.tokenHash, session.userID, session.organisationID, session.csrfToken,
                      Timestamp.format(session.createdAt), Timestamp.format(session.expiresAt), Timestamp.format(session.lastSeenAt)])
            try await db.execute("UPDATE users SET last_sign_in_at = ? WHERE id = ?", [Timestamp.format(session.createdAt), session.userID])
        }
    }

    public func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> SessionRecord? {
        guard let record = try await fetchOne("""
            SELECT s.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND NOT u.disabled
            """, [tokenHash]).map(StoreRows.session(from:)) else { return nil }
        guard record.expiresAt > now, record.lastSeenAt.addingTimeInterval(idleTimeout) > now else {
            try await deleteSession(tokenHash: tokenHash)
            return nil
        }
        var touched = record
        // Written at most once a minute: a page view should not cost a write each time.
        if now.timeIntervalSince(record.lastSeenAt) >= 60 {
            try await execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [Timestamp.format(now), tokenHash])
            touched.lastSeenAt = now
        }
        return touched
    }

    public func deleteSession(tokenHash: String) async throws {
        try await execute("DELETE FROM sessions WHERE token_hash = ?", [tokenHash])
    }

    public func setSessionOrganisation(tokenHash: String, organisationID: Int64) async throws -> Bool {
        try await fetchOne("""
            UPDATE sessions SET organisation_id = ? WHERE token_hash = ?
            AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = sessions.user_id AND m.organisation_id = ?)
            RETURNING token_hash
            """, [organisationID, tokenHash, organisationID]) != nil
    }

    // MARK: One-time tokens

    public func createOneTimeToken(_ token: OneTimeToken) async throws {
        try await execute("""
            INSERT INTO one_time_tokens(token_hash, purpose, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
            """, [token.hash, token.purpose.rawValue, token.userID, Timestamp.format(token.createdAt), Timestamp.format(token.expiresAt)])
    }

    public func oneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? {
        try await fetchOne("""
            SELECT * FROM one_time_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
            """, [hash, purpose.rawValue, Timestamp.format(now)]).map(StoreRows.oneTimeToken(from:))
    }

    public func consumeOneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? {
        let stamp = Timestamp.format(now)
        // One statement: of two requests racing with one link, the second waits for the first's row lock, then finds
        // used_at set and returns nothing.
        return try await fetchOne("""
            UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
            RETURNING *
            """, [stamp, hash, purpose.rawValue, stamp]).map(StoreRows.oneTimeToken(from:))
    }

    // MARK: API tokens

    public func createAPIToken(hash: String, name: String, userID: Int64, organisationID: Int64, now: Date) async throws -> APITokenRecord {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw StoreError.invalid("an API token needs a name (what it is for, such as ticketing)", field: "name") }
        guard let id = try await fetchValue("""
            INSERT INTO api_tokens(token_hash, name, user_id, organisation_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id
            """, [hash, name, userID, organisationID, Timestamp.format(now)], as: Int64.self) else {
            throw StoreError.corrupt("the API token was not stored: the database returned no row for the insert")
        }
        return APITokenRecord(id: id, name: name, userID: userID, organisationID: organisationID, createdAt: now, lastUsedAt: nil)
    }

    public func apiTokens(userID: Int64, organisationID: Int64) async throws -> [APITokenRecord] {
        try await fetchAll("SELECT * FROM api_tokens WHERE user_id = ? AND organisation_id = ? ORDER BY id DESC",
                           [userID, organisationID]).map(StoreRows.apiToken(from:))
    }

    public func revokeAPIToken(id: Int64, userID: Int64, organisationID: Int64) async throws -> Bool {
        try await fetchOne("DELETE FROM api_tokens WHERE id = ? AND user_id = ? AND organisation_id = ? RETURNING id",
                           [id, userID, organisationID]) != nil
    }

    public func apiToken(hash: String, now: Date) async throws -> APITokenRecord? {
        guard var token = try await fetchOne("""
            SELECT t.* FROM api_tokens t JOIN users u ON u.id = t.user_id
            JOIN memberships m ON m.user_id = t.user_id AND m.organisation_id = t.organisation_id
            WHERE t.token_hash = ? AND NOT u.disabled
            """, [hash]).map(StoreRows.apiToken(from:)) else { return nil }
        if token.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true {
            try await execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [Timestamp.format(now), token.id])
            token.lastUsedAt = now
        }
        return token
    }

}

extension SQLiteStore: AccountStore {}
extension PostgresStore: AccountStore {}
