import CSAF
import Foundation

/// Storage of people who sign in: users, their memberships of organisations, sessions, one-time tokens (email
/// verification, password reset, invitation) and personal API tokens.
///
/// Secrets never reach the store in the clear: sessions, one-time tokens and API tokens are stored as the SHA-256 of
/// the token (the caller hashes), and passwords as a bcrypt hash. Every read that concerns an organisation's data
/// names the organisation.
public protocol AccountStore: Sendable {
    /// Whether any user exists: with none, the web pages keep the single organisation of `vigil serve --org`.
    func hasUsers() async throws -> Bool
    /// Adds a user; throws when the email (compared case-insensitively) is taken.
    func createUser(_ draft: UserAccount.Draft, now: Date) async throws -> UserAccount
    func user(email: String) async throws -> UserAccount?
    func user(id: Int64) async throws -> UserAccount?
    /// Every user, by email; with an organisation, only its members.
    func users(organisationID: Int64?) async throws -> [UserAccount]
    /// Replaces the password hash with one set through a one-time link or by an administrator, which signs in before
    /// the email address is verified (`passwordVouchedAt` becomes `now`). Every session and API token of the user ends,
    /// so a reset or change locks out whoever knew the old password.
    func setPasswordHash(userID: Int64, hash: String, now: Date) async throws
    /// Removes the password (and its vouching), every session, API token and unused one-time link of the user: what an
    /// account made by a sign-up whose address was never confirmed loses before it joins an organisation, so that only
    /// whoever follows a fresh set-password link can use it.
    func clearPassword(userID: Int64) async throws
    /// Makes the user an instance administrator, or no longer one; false when there is no such user.
    func setInstanceAdmin(userID: Int64, _ on: Bool) async throws -> Bool
    func setEmailVerified(userID: Int64, at: Date) async throws
    /// Removes the user, their memberships, sessions and tokens.
    func removeUser(id: Int64) async throws -> Bool

    /// Adds or changes the user's membership of the organisation.
    func setMembership(userID: Int64, organisationID: Int64, role: MemberRole, delivery: NotificationChannel.Schedule) async throws -> Membership
    func setDeliveryPreference(userID: Int64, organisationID: Int64, delivery: NotificationChannel.Schedule) async throws -> Bool
    /// Ends the membership and the sessions and API tokens it granted.
    func removeMembership(userID: Int64, organisationID: Int64) async throws -> Bool
    /// The user's memberships, by organisation name.
    func memberships(userID: Int64) async throws -> [Membership]
    func membership(userID: Int64, organisationID: Int64) async throws -> Membership?

    func createSession(_ session: SessionRecord) async throws
    /// The session with this token hash when it has neither expired nor been idle longer than `idleTimeout`; its
    /// last-seen time moves to `now`.
    func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> SessionRecord?
    func deleteSession(tokenHash: String) async throws
    /// Moves the session to another organisation of its user; false when the user is not a member of it.
    func setSessionOrganisation(tokenHash: String, organisationID: Int64) async throws -> Bool

    func createOneTimeToken(_ token: OneTimeToken) async throws
    /// The unused, unexpired token of this purpose, without using it (to show the form it opens).
    func oneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken?
    /// Marks the token used and returns it, once: a second call, an expired token or another purpose give nil.
    func consumeOneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken?

    func createAPIToken(hash: String, name: String, userID: Int64, organisationID: Int64, now: Date) async throws -> APITokenRecord
    /// The user's tokens for the organisation, newest first (never the secret: only its hash is stored).
    func apiTokens(userID: Int64, organisationID: Int64) async throws -> [APITokenRecord]
    func revokeAPIToken(id: Int64, userID: Int64, organisationID: Int64) async throws -> Bool
    /// The token with this hash, when its user is enabled and still a member; its last use moves to `now`.
    func apiToken(hash: String, now: Date) async throws -> APITokenRecord?
}

/// What a member may do in an organisation: admins manage members, members work alerts and watches, viewers read.
public enum MemberRole: String, Sendable, Codable, CaseIterable, Comparable {
    case admin, member, viewer

    /// True for admins and members: they may change alerts and watches.
    public var canEdit: Bool { self != .viewer }

    var rank: Int {
        switch self {
        case .admin: 2
        case .member: 1
        case .viewer: 0
        }
    }

    public static func < (lhs: MemberRole, rhs: MemberRole) -> Bool { lhs.rank < rhs.rank }
}

/// A person who signs in.
public struct UserAccount: Sendable, Equatable {
    /// What `createUser` takes.
    public struct Draft: Sendable, Equatable {
        public var email: String
        public var displayName: String
        /// A bcrypt hash, or nil until the user sets a password through a one-time link.
        public var passwordHash: String?
        public var emailVerifiedAt: Date?
        /// Set when an administrator chose the password (`vigil users add --password-stdin`); nil for a sign-up's.
        public var passwordVouchedAt: Date?
        public init(email: String, displayName: String, passwordHash: String? = nil, emailVerifiedAt: Date? = nil,
                    passwordVouchedAt: Date? = nil) {
            self.email = email
            self.displayName = displayName
            self.passwordHash = passwordHash
            self.emailVerifiedAt = emailVerifiedAt
            self.passwordVouchedAt = passwordVouchedAt
        }
    }

    public var id: Int64
    public var email: String
    public var displayName: String
    public var passwordHash: String?
    public var emailVerifiedAt: Date?
    /// When the current password was set by an administrator or through a one-time link (an invitation, or a reset
    /// link printed by `vigil users reset-password` or mailed to the address); nil for a password chosen at sign-up.
    /// Signing in needs a verified email address or a vouched password: a stranger who signs up with someone else's
    /// address never has either.
    public var passwordVouchedAt: Date?
    public var createdAt: Date
    public var disabled: Bool
    /// When a session was last started for the user; nil if never.
    public var lastSignInAt: Date?
    /// Administers the installation (its sources): the first user created, or one made so by
    /// `vigil users add … --instance-admin`.
    public var instanceAdmin: Bool

    /// Whether the password may sign in: the address is confirmed, or the password was not merely chosen at a sign-up.
    public var mayUsePassword: Bool { emailVerifiedAt != nil || passwordVouchedAt != nil }

    public init(id: Int64, email: String, displayName: String, passwordHash: String? = nil, emailVerifiedAt: Date? = nil, passwordVouchedAt: Date? = nil, createdAt: Date, disabled: Bool, lastSignInAt: Date? = nil, instanceAdmin: Bool = false) {
        self.lastSignInAt = lastSignInAt
        self.instanceAdmin = instanceAdmin
        self.id = id
        self.email = email
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.emailVerifiedAt = emailVerifiedAt
        self.passwordVouchedAt = passwordVouchedAt
        self.createdAt = createdAt
        self.disabled = disabled
    }
}

/// A user's place in one organisation.
public struct Membership: Sendable, Equatable {
    public var userID: Int64
    public var organisation: Organisation
    public var role: MemberRole
    /// How the member's own email alerts arrive: each at once, or a daily or weekly digest.
    public var delivery: NotificationChannel.Schedule
    public var createdAt: Date

    public init(userID: Int64, organisation: Organisation, role: MemberRole, delivery: NotificationChannel.Schedule, createdAt: Date) {
        self.userID = userID
        self.organisation = organisation
        self.role = role
        self.delivery = delivery
        self.createdAt = createdAt
    }
}

/// A signed-in browser. The token itself lives only in the cookie; the store keeps its SHA-256.
public struct SessionRecord: Sendable, Equatable {
    public var tokenHash: String
    public var userID: Int64
    public var organisationID: Int64?
    /// The token every form of this session carries.
    public var csrfToken: String
    public var createdAt: Date
    /// The absolute end of the session, however active it is.
    public var expiresAt: Date
    public var lastSeenAt: Date
    public init(tokenHash: String, userID: Int64, organisationID: Int64?, csrfToken: String, createdAt: Date, expiresAt: Date, lastSeenAt: Date) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.organisationID = organisationID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastSeenAt = lastSeenAt
    }
}

/// A link sent or printed once: verify an email address, reset a password, or accept an invitation (which sets the
/// first password). Stored as the SHA-256 of the token.
public struct OneTimeToken: Sendable, Equatable {
    public enum Purpose: String, Sendable, Codable, CaseIterable {
        case emailVerification = "email_verification"
        case passwordReset = "password_reset"
        case invitation
    }

    public var hash: String
    public var purpose: Purpose
    public var userID: Int64
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?
    public init(hash: String, purpose: Purpose, userID: Int64, createdAt: Date, expiresAt: Date, usedAt: Date? = nil) {
        self.hash = hash
        self.purpose = purpose
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// A personal API token: it acts for its user in one organisation. Only the SHA-256 of the secret is stored.
public struct APITokenRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var userID: Int64
    public var organisationID: Int64
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(id: Int64, name: String, userID: Int64, organisationID: Int64, createdAt: Date, lastUsedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.userID = userID
        self.organisationID = organisationID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}
