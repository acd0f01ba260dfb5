import Foundation
import Hummingbird
import Synchronization
import Testing
@testable import Web

@Suite("Page cache")
struct PageCacheTests {
    final class Counter: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test("requests missing the cache together share one rendering; a new generation renders again")
    func oneRenderingPerGeneration() async throws {
        let cache = PageCache()
        let renders = Counter()
        let render: @Sendable () async throws -> ByteBuffer = {
            renders.add()
            // Long enough for every request below to arrive while it runs.
            try await Task.sleep(for: .milliseconds(200))
            return ByteBuffer(string: "page")
        }
        let bodies = try await withThrowingTaskGroup(of: ByteBuffer.self) { group in
            for _ in 0..<50 { group.addTask { try await cache.body("/a", generation: 1, render: render) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(bodies.count == 50)
        #expect(bodies.allSatisfy { $0 == ByteBuffer(string: "page") })
        #expect(renders.value == 1)
        #expect(cache.get("/a", generation: 1) == ByteBuffer(string: "page"))

        _ = try await cache.body("/a", generation: 2, render: render)
        #expect(renders.value == 2)
        #expect(cache.get("/a", generation: 1) == nil)
    }

    @Test("a rendering that fails is not cached, and the next request renders again")
    func failureNotCached() async throws {
        struct Failure: Error {}
        let cache = PageCache()
        await #expect(throws: Failure.self) { try await cache.body("/b", generation: 1) { throw Failure() } }
        #expect(cache.get("/b", generation: 1) == nil)
        let body = try await cache.body("/b", generation: 1) { ByteBuffer(string: "ok") }
        #expect(body == ByteBuffer(string: "ok"))
    }
}
