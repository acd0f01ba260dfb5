import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Hashes and checks passwords with bcrypt, off the event loops (a cost-12 hash takes a quarter of a second).
public struct PasswordHasher: Sendable {
    /// The cost every installation uses; only tests lower it, through `init(cost:)`.
    public static let defaultCost = 12
    public static let minimumLength = 12
    /// bcrypt reads 72 bytes; anything much longer is refused rather than hashed at length.
    public static let maximumLength = 256

    public let cost: Int
    /// Counts `verify` calls when given: a test or benchmark reads it to show that refused sign-ins cost no bcrypt.
    public let checks: PasswordCheckCounter?

    public init(cost: Int = PasswordHasher.defaultCost, checks: PasswordCheckCounter? = nil) {
        self.cost = min(max(cost, 4), 31)
        self.checks = checks
    }

    /// Why the password cannot be used, in words for the person choosing it; nil when it is acceptable.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "Choose a password of at least \(minimumLength) characters (a few words work well)." }
        if password.utf8.count > maximumLength { return "Choose a password of at most \(maximumLength) bytes." }
        return nil
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether the password matches the hash. Without a hash (no such user, or no password set yet) a hash is still
    /// computed, so the answer takes as long and does not reveal which accounts exist.
    public func verify(_ password: String, hash: String?) async -> Bool {
        checks?.increment()
        guard password.utf8.count <= Self.maximumLength else { return false }
        do {
            guard let hash else {
                _ = try await self.hash(password)
                return false
            }
            return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        } catch {
            return false
        }
    }
}

/// How many passwords a `PasswordHasher` checked.
public final class PasswordCheckCounter: Sendable {
    private let count = Mutex(0)

    public init() {}

    public var value: Int { count.withLock { $0 } }

    func increment() { count.withLock { $0 += 1 } }
}
