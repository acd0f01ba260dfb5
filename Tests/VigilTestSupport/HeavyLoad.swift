/// One heavy test at a time: tests that load both cores for a long time (an import of the whole CISA folder in another
/// process, two dozen hostile servers) and tests whose assertions rely on the machine not being saturated (a healthy
/// provider fetching every document within short per-phase timeouts) take turns. Swift Testing runs suites in
/// parallel; on a two-core machine two such tests at once starve each other's timeouts, which says nothing about Vigil.
public actor HeavyLoad {
    static let shared = HeavyLoad()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    /// Runs `body` when no other heavy test is running.
    public static func exclusive<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let result = try await body()
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }
}
