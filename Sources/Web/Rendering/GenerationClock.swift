import Storage
import Synchronization

/// The store's generation, asked of the database at most once per `freshness` interval.
///
/// Cached pages are served without touching the database; a change made by another process (an import running
/// beside the server) shows within `freshness`. When the interval has passed, one request asks the store and the
/// requests arriving meanwhile wait for its answer rather than each asking again.
final class GenerationClock: Sendable {
    private struct State {
        var known: (value: Int64, checked: ContinuousClock.Instant)?
        var asking: (task: Task<Int64, any Error>, started: ContinuousClock.Instant)?
    }
    private enum Lookup {
        case known(Int64)
        case asking(Task<Int64, any Error>, started: ContinuousClock.Instant)
    }
    private let store: any AdvisoryStore
    private let freshness: Duration
    private let state = Mutex(State())

    init(store: any AdvisoryStore, freshness: Duration) {
        self.store = store
        self.freshness = freshness
    }

    func current() async throws -> Int64 {
        guard freshness > .zero else { return try await store.generation() }
        let now = ContinuousClock.now
        let lookup = state.withLock { state -> Lookup in
            if let known = state.known, now - known.checked < freshness { return .known(known.value) }
            if let asking = state.asking { return .asking(asking.task, started: asking.started) }
            let store = self.store
            let task = Task<Int64, any Error> { try await store.generation() }
            state.asking = (task, now)
            return .asking(task, started: now)
        }
        switch lookup {
        case .known(let value):
            return value
        case .asking(let task, let started):
            let result = await task.result
            state.withLock { state in
                guard state.asking?.task == task else { return }
                state.asking = nil
                // Dated from when the question was asked: a change committed during the read shows next time.
                if case .success(let value) = result { state.known = (value, started) }
            }
            return try result.get()
        }
    }
}
