import CSAF
import Foundation

extension PostgresStore {
    public func claimSourcePoll(slug: String, holder: String, until: Date, now: Date) async throws -> Bool {
        try await fetchOne(SourceLeaseSQL.claim, [slug, holder, Timestamp.format(until), Timestamp.format(now)]) != nil
    }

    public func releaseSourcePoll(slug: String, holder: String) async throws {
        try await execute(SourceLeaseSQL.release, [slug, holder])
    }
}
