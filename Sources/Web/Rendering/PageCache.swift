import NIOCore
import Synchronization

/// Rendered responses, kept until the store's generation changes.
///
/// Advisory pages are read far more often than advisories change; rendering one costs a parse of the stored
/// document and a template pass, serving a cached one costs a dictionary lookup. Requests that miss the cache while
/// the same page is being rendered for the same generation wait for that rendering instead of starting their own:
/// after a change, every connection asking for a hot page otherwise rendered it at once, and the requests queued
/// behind them waited hundreds of milliseconds.
final class PageCache: Sendable {
    private struct Entry {
        let generation: Int64
        let body: ByteBuffer
    }
    private struct Rendering {
        let generation: Int64
        let task: Task<ByteBuffer, any Error>
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var rendering: [String: Rendering] = [:]
    }
    private enum Lookup {
        case cached(ByteBuffer)
        case rendering(Task<ByteBuffer, any Error>)
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 2048) {
        self.capacity = capacity
    }

    func get(_ key: String, generation: Int64) -> ByteBuffer? {
        state.withLock { state in
            guard let entry = state.entries[key], entry.generation == generation else { return nil }
            return entry.body
        }
    }

    /// The page for `key` at `generation`: cached, being rendered by another request, or rendered now by `render`
    /// (which runs in its own task, so a request that gives up does not cancel the rendering others wait for).
    /// A rendering that throws is not cached; every request waiting for it gets the error.
    func body(_ key: String, generation: Int64, render: @escaping @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        let lookup = state.withLock { state -> Lookup in
            if let entry = state.entries[key], entry.generation == generation { return .cached(entry.body) }
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
            if let body { Self.store(key, generation: generation, body: body, in: &state.entries, capacity: capacity) }
        }
    }

    private static func store(_ key: String, generation: Int64, body: ByteBuffer, in entries: inout [String: Entry], capacity: Int) {
        // Stale or too many: start over rather than track recency; a full re-render of hot pages is cheap.
        if entries.count >= capacity || entries.values.first.map({ $0.generation != generation }) == true {
            entries.removeAll(keepingCapacity: true)
        }
        entries[key] = Entry(generation: generation, body: body)
    }
}
