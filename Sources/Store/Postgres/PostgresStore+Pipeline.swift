import CSAF
import Foundation
import Storage
import Synchronization

extension PostgresStore {
    /// A bulk import's batches on two connections at once: while batch n finishes (vendors, child rows, exposures,
    /// commit), batch n + 1 takes its locks, is probed and stores its documents' rows (the bytes and their jsonb copy,
    /// the largest part of the work) and its advisory rows (with their search vectors). Everything whose order shows (document IDs, advisory seqs, vendor
    /// IDs and slugs, journal entries) is still written in the batches' order: n + 1 stores its documents and
    /// advisories only once n's are stored, and goes on to the rest only once n has committed.
    public func batchPipeline() -> (any BatchPipeline)? { PostgresIngestPipeline(store: self) }
}

/// See `PostgresStore.batchPipeline()`. One per import; batches arrive numbered 0, 1, 2, ….
final class PostgresIngestPipeline: BatchPipeline, Sendable {
    let store: PostgresStore

    private struct State {
        /// Batches whose documents' rows are stored (or that will store none in a pipelined transaction).
        var prefixed: Set<Int> = []
        /// Batches done: committed, or failed and stored again one document at a time.
        var finished: Set<Int> = []
        /// Batches that ended with an error: the import stops there, so no later batch is stored.
        var failed: Set<Int> = []
        /// A batch whose transaction failed and that waits for the next one to let go of its locks before storing its
        /// documents one at a time (which may need those locks).
        var failing: Int?
        /// Batches holding a pipelined transaction that has not reached its commit.
        var holding: Set<Int> = []
        var waiters: [(condition: @Sendable (State) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let state = Mutex(State())

    init(store: PostgresStore) { self.store = store }

    /// Suspends until `condition` holds.
    private func until(_ condition: @escaping @Sendable (State) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if condition(state) { return true }
                state.waiters.append((condition, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Changes the state and wakes the waiters whose condition now holds.
    private func update(_ change: (inout State) -> Void) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            change(&state)
            let waiters = state.waiters
            state.waiters = []
            var ready: [CheckedContinuation<Void, Never>] = []
            for waiter in waiters {
                if waiter.condition(state) { ready.append(waiter.continuation) } else { state.waiters.append(waiter) }
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    func ingest(batch documents: [IncomingDocument], number n: Int) async throws -> [IngestOutcome] {
        // However this batch ends, it is done: the next may go on.
        defer {
            update { state in
                state.finished.insert(n)
                state.prefixed.insert(n)
                state.holding.remove(n)
                if state.failing == n { state.failing = nil }
            }
        }
        // At most two batches at once (this one's prefix alongside the tail of the one before), so a failed batch
        // has only the next one to ask to let go of its locks.
        await until { (n < 1 || $0.prefixed.contains(n - 1)) && (n < 2 || $0.finished.contains(n - 2)) }
        let distinct = Set(documents.map(\.advisory.id)).count == documents.count
        let mayHold = state.withLock { state -> Bool in
            guard distinct, state.failing != n - 1 else { return false }
            state.holding.insert(n)
            return true
        }
        do {
            if mayHold, let outcomes = try await pipelinedTransaction(documents, number: n) { return outcomes }
            // Stored as if alone (its own transaction failed, or the one before failed while this one held its locks,
            // or it names an advisory twice): after the one before is done.
            await until { n == 0 || $0.finished.contains(n - 1) }
            if state.withLock({ $0.failed.contains(n - 1) }) { throw EarlierBatchFailed(number: n) }
            return try await store.ingest(batch: documents)
        } catch {
            update { $0.failed.insert(n) }
            throw error
        }
    }

    /// A batch after one that failed: not stored, as an import one batch at a time would have stopped before it.
    struct EarlierBatchFailed: Error, CustomStringConvertible {
        var number: Int
        var description: String { "batch \(number) was not stored: the batch before it failed" }
    }

    /// The batch in one transaction, its prefix alongside the batch before: its outcomes, or nil when it was rolled back
    /// (its own failure, or the one before failing) and is to be stored as if alone.
    private func pipelinedTransaction(_ documents: [IncomingDocument], number n: Int) async throws -> [IngestOutcome]? {
        let previous = n - 1
        // Not pipelined any more: the next batch waits until this one is done, so it cannot store documents before it.
        let withdraw: @Sendable (inout State) -> Void = { state in
            state.prefixed.remove(n)
            state.holding.remove(n)
        }
        /// Rolled back because the batch before failed while this one held its locks.
        struct Withdrawn: Error {}
        do {
            return try await store.withConnection { connection in
                try await connection.inTransaction {
                    let db = connection
                    let prefix = try await store.storePrefix(documents, db: db)
                    update { $0.prefixed.insert(n) }
                    // The rest waits for the batch before: committed, or failed (then this one lets go of its locks so
                    // that the one before can store its documents one at a time, and is stored after it).
                    await until { n == 0 || $0.finished.contains(previous) || $0.failing == previous }
                    let before = state.withLock { (finished: $0.finished.contains(previous), failed: $0.failed.contains(previous)) }
                    if n > 0, before.failed { throw EarlierBatchFailed(number: n) }
                    if n > 0, !before.finished { throw Withdrawn() }
                    let tail = try await store.storeTail(prefix, last: true, db: db)
                    if tail.changed && !tail.bumped { try await PostgresStore.bumpGeneration(db) }
                    return tail.outcomes
                }
            }
        } catch is Withdrawn {
            update(withdraw)
            return nil
        } catch {
            // Rolled back. The next batch may hold locks this one's documents need when stored one at a time: it is
            // told to let go, and this one waits until it has (or holds none).
            update { state in
                withdraw(&state)
                state.failing = n
            }
            await until { !$0.holding.contains(n + 1) }
            return nil
        }
    }
}
