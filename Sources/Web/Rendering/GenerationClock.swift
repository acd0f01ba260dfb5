import Store
import Synchronization

/// The store's generation, asked of the database at most once per `freshness` interval.
///
/// Cached pages are served without touching the database; a change made by another process (an import running
/// beside the server) shows within `freshness`.
final class GenerationClock: Sendable {
    private let store: any AdvisoryStore
    private let freshness: Duration
    private let state = Mutex<(value: Int64, checked: ContinuousClock.Instant)?>(nil)

    init(store: any AdvisoryStore, freshness: Duration) {
        self.store = store
        self.freshness = freshness
    }

    func current() async throws -> Int64 {
        let now = ContinuousClock.now
        if freshness > .zero, let known = state.withLock({ $0 }), now - known.checked < freshness {
            return known.value
        }
        let value = try await store.generation()
        state.withLock { $0 = (value, now) }
        return value
    }
}
