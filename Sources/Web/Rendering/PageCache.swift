import NIOCore
import Synchronization

/// Rendered responses, kept until the store's generation changes, within a memory budget.
///
/// Advisory pages are read far more often than advisories change; rendering one costs a parse of the stored
/// document and a template pass, serving a cached one costs a dictionary lookup. Requests that miss the cache while
/// the same page is being rendered for the same generation wait for that rendering instead of starting their own:
/// after a change, every connection asking for a hot page otherwise rendered it at once, and the requests queued
/// behind them waited hundreds of milliseconds.
///
/// Keys name what a page shows, never the raw URL (`PagesController` builds them from the parameters each page
/// reads), and the cache holds at most `byteLimit` bytes of pages: past it the least recently used pages go. Keyed on
/// the raw query, 2,048 requests for one advisory with distinct `?x=N` once took the server from 184 to 848 MB.
final class PageCache: Sendable {
    private struct Entry {
        let generation: Int64
        let body: ByteBuffer
        let cost: Int
        var lastUsed: UInt64
    }
    private struct Rendering {
        let generation: Int64
        let task: Task<ByteBuffer, any Error>
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var rendering: [String: Rendering] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }
    private enum Lookup {
        case cached(ByteBuffer)
        case rendering(Task<ByteBuffer, any Error>)
    }
    private let state = Mutex(State())
    /// The most the cached pages (bodies and keys) may take, in bytes.
    let byteLimit: Int

    /// Bookkeeping per entry beyond its body and key: dictionary slot, ByteBuffer storage header, strings.
    static let entryOverhead = 256

    init(byteLimit: Int = 64 * 1024 * 1024) {
        self.byteLimit = byteLimit
    }

    /// Pages held now, and the bytes they take (as counted against `byteLimit`).
    var count: Int { state.withLock { $0.entries.count } }
    var bytes: Int { state.withLock { $0.bytes } }

    func get(_ key: String, generation: Int64) -> ByteBuffer? {
        state.withLock { state in
            guard let index = state.entries.index(forKey: key), state.entries.values[index].generation == generation else { return nil }
            state.clock += 1
            state.entries.values[index].lastUsed = state.clock
            return state.entries.values[index].body
        }
    }

    /// The page for `key` at `generation`: cached, being rendered by another request, or rendered now by `render`
    /// (which runs in its own task, so a request that gives up does not cancel the rendering others wait for).
    /// A rendering that throws is not cached; every request waiting for it gets the error.
    func body(_ key: String, generation: Int64, render: @escaping @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        let lookup = state.withLock { state -> Lookup in
            if let index = state.entries.index(forKey: key), state.entries.values[index].generation == generation {
                state.clock += 1
                state.entries.values[index].lastUsed = state.clock
                return .cached(state.entries.values[index].body)
            }
            if let rendering = state.rendering[key], rendering.generation == generation { return .rendering(rendering.task) }
            let task = Task<ByteBuffer, any Error> {
                do {
                    let body = try await render()
                    self.finish(key, generation: generation, body: body)
                    return body
                } catch {
                    self.finish(key, generation: generation, body: nil)
                    throw error
                }
            }
            state.rendering[key] = Rendering(generation: generation, task: task)
            return .rendering(task)
        }
        switch lookup {
        case .cached(let body): return body
        case .rendering(let task): return try await task.value
        }
    }

    private func finish(_ key: String, generation: Int64, body: ByteBuffer?) {
        state.withLock { state in
            if state.rendering[key]?.generation == generation { state.rendering[key] = nil }
            if let body { Self.store(key, generation: generation, body: body, in: &state, byteLimit: byteLimit) }
        }
    }

    private static func store(_ key: String, generation: Int64, body: ByteBuffer, in state: inout State, byteLimit: Int) {
        // Pages of an older generation are never served again: drop them all at once.
        if let any = state.entries.values.first, any.generation != generation {
            if any.generation > generation { return }
            state.entries.removeAll(keepingCapacity: true)
            state.bytes = 0
        }
        let cost = body.readableBytes + key.utf8.count + entryOverhead
        guard cost <= byteLimit else { return }
        if let previous = state.entries[key] { state.bytes -= previous.cost }
        state.clock += 1
        state.entries[key] = Entry(generation: generation, body: body, cost: cost, lastUsed: state.clock)
        state.bytes += cost
        if state.bytes > byteLimit { evict(&state, downTo: byteLimit - byteLimit / 8) }
    }

    /// Drops the least recently used pages until at most `target` bytes remain: a batch at a time, so a cache kept
    /// full by many distinct pages sorts once per eighth of its budget rather than on every store.
    private static func evict(_ state: inout State, downTo target: Int) {
        let byAge = state.entries.map { (key: $0.key, lastUsed: $0.value.lastUsed, cost: $0.value.cost) }
            .sorted { $0.lastUsed < $1.lastUsed }
        for entry in byAge {
            guard state.bytes > target else { break }
            state.entries[entry.key] = nil
            state.bytes -= entry.cost
        }
    }
}
