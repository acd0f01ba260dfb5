import NIOCore
import Synchronization

/// Rendered responses, kept until the store's generation changes.
///
/// Advisory pages are read far more often than advisories change; rendering one costs a parse of the stored
/// document and a template pass, serving a cached one costs a dictionary lookup.
final class PageCache: Sendable {
    private struct Entry {
        let generation: Int64
        let body: ByteBuffer
    }
    private let entries = Mutex<[String: Entry]>([:])
    let capacity: Int

    init(capacity: Int = 2048) {
        self.capacity = capacity
    }

    func get(_ key: String, generation: Int64) -> ByteBuffer? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.generation == generation else { return nil }
            return entry.body
        }
    }

    func put(_ key: String, generation: Int64, body: ByteBuffer) {
        entries.withLock { entries in
            // Stale or too many: start over rather than track recency; a full re-render of hot pages is cheap.
            if entries.count >= capacity || entries.values.first.map({ $0.generation != generation }) == true {
                entries.removeAll(keepingCapacity: true)
            }
            entries[key] = Entry(generation: generation, body: body)
        }
    }
}
