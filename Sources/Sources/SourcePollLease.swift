import CSAF
import Foundation
import Storage

/// Runs work on one source under its poll lease (`SourceStateStore.claimSourcePoll`), renewed in the background while
/// the work runs, and gives the lease up however the work ends: returned, thrown or cancelled. A lease left behind
/// would keep every other holder (a `vigil serve` node, the next `vigil sources sync`) off the source until it lapsed.
public enum SourcePollLease {
    /// Runs `body` while `holder` holds the lease on `slug`; nil, without running it, when another holder has it.
    /// The lease lasts `duration` and is renewed every `duration / 5`.
    public static func run<T: Sendable>(slug: String, holder: String, store: any SourceStateStore, duration: TimeInterval = 300,
                                        _ body: () async throws -> T) async throws -> T? {
        guard try await store.claimSourcePoll(slug: slug, holder: holder, until: Date().addingTimeInterval(duration), now: Date()) else {
            return nil
        }
        let renewal = Task {
            while !Task.isCancelled {
                try await Task.sleep(nanoseconds: UInt64(duration / 5 * 1e9))
                _ = try await store.claimSourcePoll(slug: slug, holder: holder, until: Date().addingTimeInterval(duration), now: Date())
            }
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        renewal.cancel()
        // A renewal under way finishes first, so that it cannot take the lease again after the release.
        _ = await renewal.result
        // In a task of its own: when this one is cancelled the store may refuse to start work for it, and the lease
        // must be given up all the same.
        await Task { try? await store.releaseSourcePoll(slug: slug, holder: holder) }.value
        return try outcome.get()
    }
}
