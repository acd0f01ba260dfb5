import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// `vigil sources sync` holds each source's poll lease while it syncs it, and gives it up however the sync ends.
@Suite struct SourcePollLeaseTests {
    struct InjectedFailure: Error {}

    /// A new store in a new folder (remove the folder after the test).
    static func makeStore() throws -> (TemporaryFolder, SQLiteStore) {
        let folder = try TemporaryFolder()
        return (folder, try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path))
    }

    /// Whether another holder can take the source's lease right now.
    static func claimable(_ store: SQLiteStore) async throws -> Bool {
        try await store.claimSourcePoll(slug: "cisa", holder: "vigil serve node-b", until: Date().addingTimeInterval(300), now: Date())
    }

    @Test("a sync that throws leaves the source claimable at once by another holder")
    func releasedWhenTheSyncThrows() async throws {
        let (folder, store) = try Self.makeStore()
        defer { folder.remove() }
        do {
            await #expect(throws: InjectedFailure.self) {
                _ = try await SourcePollLease.run(slug: "cisa", holder: "vigil sources sync node-a", store: store) { () async throws -> Int in
                    // While the sync runs, the lease is held.
                    #expect(try await !Self.claimable(store))
                    throw InjectedFailure()
                }
            }
            #expect(try await Self.claimable(store))
        }
    }

    @Test("a cancelled sync leaves the source claimable at once by another holder")
    func releasedWhenTheSyncIsCancelled() async throws {
        let (folder, store) = try Self.makeStore()
        defer { folder.remove() }
        do {
            let started = AsyncStream<Void>.makeStream()
            let sync = Task {
                try await SourcePollLease.run(slug: "cisa", holder: "vigil sources sync node-a", store: store) { () async throws -> Int in
                    started.continuation.yield()
                    try await Task.sleep(for: .seconds(3600))
                    return 0
                }
            }
            for await _ in started.stream { break }
            #expect(try await !Self.claimable(store))
            sync.cancel()
            await #expect(throws: CancellationError.self) { try await sync.value }
            #expect(try await Self.claimable(store))
        }
    }

    @Test("a sync that succeeds gives the lease up; a source another holder has is skipped without running the sync")
    func releasedOnSuccessAndSkippedWhenHeld() async throws {
        let (folder, store) = try Self.makeStore()
        defer { folder.remove() }
        do {
            let value = try await SourcePollLease.run(slug: "cisa", holder: "vigil sources sync node-a", store: store) { 7 }
            #expect(value == 7)
            #expect(try await Self.claimable(store))
            // node-b holds it now.
            let skipped = try await SourcePollLease.run(slug: "cisa", holder: "vigil sources sync node-a", store: store) { () async throws -> Int in
                Issue.record("the sync ran while another holder had the lease")
                return 0
            }
            #expect(skipped == nil)
        }
    }
}
