import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Source-poll leases: one holder at a time, renewable by its holder, taken over once lapsed, given up by the holder only.
@Suite struct SourceLeaseContractTests {
    @Test(arguments: Backend.allCases)
    func oneHolderAtATime(backend: Backend) async throws {
        try await backend.withStore { store in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let later = now.addingTimeInterval(120)
            #expect(try await store.claimSourcePoll(slug: "cisa", holder: "node-a", until: later, now: now))
            #expect(try await !store.claimSourcePoll(slug: "cisa", holder: "node-b", until: later, now: now.addingTimeInterval(60)))
            // Another source is free.
            #expect(try await store.claimSourcePoll(slug: "siemens", holder: "node-b", until: later, now: now))
            // The holder renews; the other node still cannot take it before the renewed end.
            #expect(try await store.claimSourcePoll(slug: "cisa", holder: "node-a", until: later.addingTimeInterval(120), now: now.addingTimeInterval(100)))
            #expect(try await !store.claimSourcePoll(slug: "cisa", holder: "node-b", until: later, now: now.addingTimeInterval(150)))
            // Only the holder can give it up.
            try await store.releaseSourcePoll(slug: "cisa", holder: "node-b")
            #expect(try await !store.claimSourcePoll(slug: "cisa", holder: "node-b", until: later, now: now.addingTimeInterval(150)))
            // Lapsed (node-a died): node-b takes it over, and node-a cannot come back while node-b holds it.
            let lapsed = later.addingTimeInterval(121)
            #expect(try await store.claimSourcePoll(slug: "cisa", holder: "node-b", until: lapsed.addingTimeInterval(120), now: lapsed))
            #expect(try await !store.claimSourcePoll(slug: "cisa", holder: "node-a", until: lapsed.addingTimeInterval(120), now: lapsed))
            try await store.releaseSourcePoll(slug: "cisa", holder: "node-b")
            #expect(try await store.claimSourcePoll(slug: "cisa", holder: "node-a", until: lapsed.addingTimeInterval(120), now: lapsed))
        }
    }

    @Test func concurrentClaimsOnPostgreSQLHaveOneWinner() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let stores = [try await PostgresStore(url: url), try await PostgresStore(url: url), try await PostgresStore(url: url)]
        let now = Date()
        for round in 0..<20 {
            let slug = "source-\(round)"
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (index, store) in stores.enumerated() {
                    group.addTask { try await store.claimSourcePoll(slug: slug, holder: "node-\(index)", until: now.addingTimeInterval(60), now: now) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1, "round \(round)")
        }
        for store in stores { await store.close() }
    }
}
