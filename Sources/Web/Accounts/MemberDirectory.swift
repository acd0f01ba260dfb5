import Foundation
import Storage

/// Adds people to organisations and keeps what follows from a membership in step: each member has an email channel
/// of their own (`member:EMAIL`, scheduled by their delivery preference), made with the membership and changed with it.
/// Used by `vigil users` and the web pages alike.
public struct MemberDirectory: Sendable {
    public typealias Backing = AccountStore & OutboxStore & AssetStore
    let store: any Backing

    public init(store: any Backing) {
        self.store = store
    }

    /// The outcome of `addMember`.
    public struct Added: Sendable {
        /// The user as they are after the change (without a password when `needsPassword`).
        public var user: UserAccount
        public var membership: Membership
        /// False when the user existed and only the membership is new or changed.
        public var userCreated: Bool
        /// True when the user existed with a password chosen at a sign-up (confirmed or not): that password, its
        /// sessions and API tokens are gone, and the user needs a set-password link like a new user.
        public var unconfirmedSignupReset: Bool = false
        /// Whether the user has no password yet and needs a set-password link (`issueToken(.invitation, …)`).
        public var needsPassword: Bool { user.passwordHash == nil }
    }

    /// Creates the user if needed and makes them a member of the organisation with `role`. `passwordHash` is one an
    /// administrator chose (`--password-stdin`); it replaces any password the user had.
    ///
    /// An existing user made by a sign-up may not be who the address belongs to: anyone can sign up with any address,
    /// and the owner may confirm it by following a link they never asked for. Such a user never joins an organisation
    /// with the password chosen at the sign-up: without `passwordHash`, the password, sessions, API tokens and unused
    /// links are removed, and only whoever follows the set-password link the caller issues can sign in. A password
    /// set by an administrator or through a one-time link (vouched) is kept.
    public func addMember(email: String, displayName: String?, organisation: Organisation, role: MemberRole,
                          passwordHash: String?, now: Date = Date()) async throws -> Added {
        let email = email.trimmingCharacters(in: .whitespaces)
        guard Self.looksLikeEmail(email) else { throw AccountError("\(email) is not an email address (expected name@example.org)") }
        var created = false
        var reset = false
        var user: UserAccount
        if let existing = try await store.user(email: email) {
            user = existing
            if let passwordHash {
                try await store.setPasswordHash(userID: existing.id, hash: passwordHash, now: now)
            } else if existing.passwordHash != nil, existing.passwordVouchedAt == nil,
                      try await store.membership(userID: existing.id, organisationID: organisation.id) == nil {
                // Chosen at a sign-up, by whoever filled in the form: even when the address was confirmed since (its
                // owner may have clicked a link they never asked for), it does not open an organisation's data.
                try await store.clearPassword(userID: existing.id)
                reset = true
            }
            user = try await store.user(id: existing.id) ?? existing
        } else {
            user = try await store.createUser(.init(email: email, displayName: displayName ?? "", passwordHash: passwordHash,
                                                    passwordVouchedAt: passwordHash == nil ? nil : now), now: now)
            created = true
        }
        let previous = try await store.membership(userID: user.id, organisationID: organisation.id)
        let membership = try await store.setMembership(userID: user.id, organisationID: organisation.id, role: role,
                                                       delivery: previous?.delivery ?? .immediate)
        try await ensureChannel(for: user, membership: membership)
        return Added(user: user, membership: membership, userCreated: created, unconfirmedSignupReset: reset)
    }

    /// Changes how the member's email alerts arrive, in the membership and in their channel.
    public func setDelivery(_ delivery: NotificationChannel.Schedule, user: UserAccount, organisationID: Int64) async throws {
        guard try await store.setDeliveryPreference(userID: user.id, organisationID: organisationID, delivery: delivery),
              let membership = try await store.membership(userID: user.id, organisationID: organisationID) else {
            throw AccountError("\(user.email) is not a member of that organisation")
        }
        try await ensureChannel(for: user, membership: membership)
    }

    /// Ends the membership and removes the member's channel; the user stays (they may belong elsewhere).
    public func removeMember(user: UserAccount, organisationID: Int64) async throws -> Bool {
        let removed = try await store.removeMembership(userID: user.id, organisationID: organisationID)
        if let channel = try await store.channels(organisationID: organisationID).first(where: { $0.name == Self.channelName(user.email) }) {
            _ = try await store.removeChannel(id: channel.id, organisationID: organisationID)
        }
        return removed
    }

    /// Issues a one-time link (set the first password, reset it, verify the email) and returns the token to put in it.
    public func issueToken(_ purpose: OneTimeToken.Purpose, userID: Int64, lifetime: TimeInterval = 24 * 3600, now: Date = Date()) async throws -> String {
        let token = AccountTokens.random()
        try await store.createOneTimeToken(OneTimeToken(hash: AccountTokens.hash(token), purpose: purpose, userID: userID,
                                                        createdAt: now, expiresAt: now.addingTimeInterval(lifetime)))
        return token
    }

    /// `https://vigil.example.org/password/TOKEN`: where a one-time link for setting a password points.
    public static func passwordLink(baseURL: String, token: String) -> String {
        (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/password/" + token
    }

    /// The name of a member's own channel.
    public static func channelName(_ email: String) -> String { "member:" + email.lowercased() }

    /// One `@` with something either side and a dot in the domain: enough to catch typos, without pretending to
    /// validate deliverability (the verification email does that).
    public static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
    }

    private func ensureChannel(for user: UserAccount, membership: Membership) async throws {
        let name = Self.channelName(user.email)
        let orgID = membership.organisation.id
        if let channel = try await store.channels(organisationID: orgID).first(where: { $0.name == name }) {
            if channel.draft.schedule != membership.delivery {
                _ = try await store.setChannelSchedule(id: channel.id, organisationID: orgID, schedule: membership.delivery)
            }
        } else {
            _ = try await store.addChannel(.init(name: name, kind: .email, target: user.email, schedule: membership.delivery), organisationID: orgID)
        }
    }
}

/// A problem with an account request, in words for the person who made it.
public struct AccountError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
