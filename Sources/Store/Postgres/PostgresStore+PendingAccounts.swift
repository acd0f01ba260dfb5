import CSAF
import Foundation
import Matching

// Scaffolding: each method is replaced by its PostgreSQL implementation; this file goes when all are.
extension PostgresStore {
    public func hasUsers() async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func createUser(_ draft: UserAccount.Draft, now: Date) async throws -> UserAccount { throw StoreError("PostgreSQL: not yet") }
    public func user(email: String) async throws -> UserAccount? { throw StoreError("PostgreSQL: not yet") }
    public func user(id: Int64) async throws -> UserAccount? { throw StoreError("PostgreSQL: not yet") }
    public func users(organisationID: Int64?) async throws -> [UserAccount] { throw StoreError("PostgreSQL: not yet") }
    public func setPasswordHash(userID: Int64, hash: String) async throws { throw StoreError("PostgreSQL: not yet") }
    public func setEmailVerified(userID: Int64, at: Date) async throws { throw StoreError("PostgreSQL: not yet") }
    public func removeUser(id: Int64) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func setMembership(userID: Int64, organisationID: Int64, role: MemberRole, delivery: NotificationChannel.Schedule) async throws -> Membership { throw StoreError("PostgreSQL: not yet") }
    public func setDeliveryPreference(userID: Int64, organisationID: Int64, delivery: NotificationChannel.Schedule) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func removeMembership(userID: Int64, organisationID: Int64) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func memberships(userID: Int64) async throws -> [Membership] { throw StoreError("PostgreSQL: not yet") }
    public func membership(userID: Int64, organisationID: Int64) async throws -> Membership? { throw StoreError("PostgreSQL: not yet") }
    public func createSession(_ session: SessionRecord) async throws { throw StoreError("PostgreSQL: not yet") }
    public func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> SessionRecord? { throw StoreError("PostgreSQL: not yet") }
    public func deleteSession(tokenHash: String) async throws { throw StoreError("PostgreSQL: not yet") }
    public func setSessionOrganisation(tokenHash: String, organisationID: Int64) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func createOneTimeToken(_ token: OneTimeToken) async throws { throw StoreError("PostgreSQL: not yet") }
    public func oneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? { throw StoreError("PostgreSQL: not yet") }
    public func consumeOneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? { throw StoreError("PostgreSQL: not yet") }
    public func createAPIToken(hash: String, name: String, userID: Int64, organisationID: Int64, now: Date) async throws -> APITokenRecord { throw StoreError("PostgreSQL: not yet") }
    public func apiTokens(userID: Int64, organisationID: Int64) async throws -> [APITokenRecord] { throw StoreError("PostgreSQL: not yet") }
    public func revokeAPIToken(id: Int64, userID: Int64, organisationID: Int64) async throws -> Bool { throw StoreError("PostgreSQL: not yet") }
    public func apiToken(hash: String, now: Date) async throws -> APITokenRecord? { throw StoreError("PostgreSQL: not yet") }
}
