import CSAF
import Foundation
import Logging
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// `vigil serve --poll-interval`: every source polled that often while the server runs, KEV at most hourly, nothing
/// stored.
struct PollIntervalTests {
    @Test("with --poll-interval a source is due one interval after its last attempt, whatever its own schedule says")
    func overrideSchedulesFromTheLastAttempt() async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var source = SourceRecord(slug: "cisa", name: "CISA", kind: .provider, url: "https://example.org/provider-metadata.json")
        source.pollInterval = 300
        source.lastAttempt = now.addingTimeInterval(-60)
        source.nextPoll = now.addingTimeInterval(240)
        var kev = SourceRecord(slug: "cisa-kev", name: "KEV", kind: .kev, url: "https://example.org/kev.json")
        kev.lastAttempt = now.addingTimeInterval(-60)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await HTTPFetcher.with { fetcher in
            let own = SourceScheduler(store: store, fetcher: fetcher, logger: Logger(label: "test"))
            #expect(own.nextPoll(source) == now.addingTimeInterval(240))
            let fast = SourceScheduler(store: store, fetcher: fetcher, logger: Logger(label: "test"), pollInterval: 30)
            #expect(fast.nextPoll(source) == now.addingTimeInterval(-30))
            #expect(fast.nextPoll(kev) == now.addingTimeInterval(3600 - 60))
            var never = source
            never.lastAttempt = nil
            #expect(fast.nextPoll(never) == .distantPast)
            // Under ten seconds is raised to ten: a typo must not hammer a provider.
            let tiny = SourceScheduler(store: store, fetcher: fetcher, logger: Logger(label: "test"), pollInterval: 1)
            #expect(tiny.nextPoll(source) == now.addingTimeInterval(-50))
        }
    }
}
