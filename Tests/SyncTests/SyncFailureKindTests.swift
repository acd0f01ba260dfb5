import Foundation
@testable import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// A sync that cannot run says what kind of failure stopped it, beside the sentence the source keeps as its last error.
@Suite("Sync failure kinds", .serialized)
struct SyncFailureKindTests {
    /// Syncs the source `slug` once and returns its report and the source as saved afterwards.
    static func syncOnce(_ store: SQLiteStore, _ fetcher: HTTPFetcher, slug: String,
                         options: ProviderSync.Options = .init()) async throws -> (SyncReport, SourceRecord) {
        let source = try #require(try await store.source(slug: slug))
        let report = try await ProviderSync(store: store, fetcher: fetcher, options: options).sync(source)
        return (report, try #require(try await store.source(slug: slug)))
    }

    @Test("a host that refuses the connection is unreachable; the source keeps the sentence and the log names the kind")
    func unreachable() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let refusing = try LoopbackPort.refusing()
        let captured = CapturedLog()
        try await HTTPFetcher.with(policy: ProviderSyncTests.policy()) { fetcher in
            try await store.saveSource(SourceRecord(slug: "down", name: "Down", url: "http://127.0.0.1:\(refusing.port)/provider-metadata.json"))
            let (report, record) = try await Self.syncOnce(store, fetcher, slug: "down")
            #expect(report.failure == .unreachable)
            #expect(report.error?.contains("connection refused") == true, "\(report.error ?? "")")
            #expect(record.lastError == report.error)

            // The scheduler logs the kind beside the sentence.
            let scheduler = SourceScheduler(store: store, fetcher: fetcher, logger: captured.logger(), pollInterval: 10)
            let polled = try #require(await scheduler.poll("down", dueBy: .distantFuture))
            #expect(polled.failure == .unreachable)
            let logged = try #require(captured.events.first { $0.metadata["source"] == "down" && $0.metadata["error"] != nil })
            #expect(logged.metadata["failure"] == "unreachable", "\(logged.metadata)")
        }
        withExtendedLifetime(refusing) {}
    }

    @Test("provider metadata answered with an HTTP error status: the kind carries the status", arguments: [404, 500])
    func httpStatus(_ status: Int) async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.fault("provider-metadata.json", .status(status))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: ProviderSyncTests.policy()) { fetcher in
                try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL))
                let (report, record) = try await Self.syncOnce(store, fetcher, slug: "cisa")
                #expect(report.failure == .httpStatus(status))
                #expect(report.error?.contains("answered HTTP \(status)") == true, "\(report.error ?? "")")
                #expect(record.lastError == report.error)
                #expect(record.consecutiveFailures == 1)
            }
        }
    }

    @Test("429 with Retry-After is rate-limited, and the next poll waits as long as the server asked")
    func rateLimited() async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.fault("provider-metadata.json", .rateLimited(retryAfter: 3600))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: ProviderSyncTests.policy()) { fetcher in
                try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL, pollInterval: 60))
                let started = Date()
                let (report, record) = try await Self.syncOnce(store, fetcher, slug: "cisa")
                #expect(report.failure == .rateLimited)
                #expect(report.error?.contains("429") == true, "\(report.error ?? "")")
                #expect(record.lastError == report.error)
                // Retry-After is over the fetcher's longest wait: asked once, not retried, and the next poll is pushed back.
                #expect(mirror.requests(for: "provider-metadata.json") == 1)
                let next = try #require(record.nextPoll)
                #expect(next.timeIntervalSince(started) > 3000, "next poll \(next), started \(started)")
            }
        }
    }

    @Test("metadata that is not provider metadata, a feed that is not a feed, and missing credentials each have their kind")
    func contentKinds() async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.only(Set(ProviderSyncTests.sample.prefix(1)))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: ProviderSyncTests.policy()) { fetcher in
                try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL))
                mirror.set(ProviderSyncTests.otFeed, Array(#"{"entries": []}"#.utf8))
                let (badFeed, _) = try await Self.syncOnce(store, fetcher, slug: "cisa")
                #expect(badFeed.failure == .invalidFeed, "\(badFeed.error ?? "")")

                mirror.set("provider-metadata.json", Array(#"{"feed": {}}"#.utf8))
                var options = ProviderSync.Options()
                options.metadataRefresh = 0
                let (badMetadata, _) = try await Self.syncOnce(store, fetcher, slug: "cisa", options: options)
                #expect(badMetadata.failure == .invalidMetadata, "\(badMetadata.error ?? "")")

                var record = try #require(try await store.source(slug: "cisa"))
                record.credentialsVariable = "VIGIL_TEST_UNSET_TOKEN"
                try await store.saveSource(record)
                options.environment = [:]
                let (noCredentials, _) = try await Self.syncOnce(store, fetcher, slug: "cisa", options: options)
                #expect(noCredentials.failure == .missingCredentials)
                #expect(noCredentials.error?.contains("VIGIL_TEST_UNSET_TOKEN") == true)
                #expect(mirror.requests(for: "provider-metadata.json") == 2, "nothing is fetched without the credentials")
            }
        }
    }

    @Test("documents a feed lists that are not advisories are quarantined with their code")
    func feedRejections() async throws {
        let mirror = try ProviderMirror.cisa()
        let listed = Array(ProviderSyncTests.sample.prefix(3))
        mirror.only(Set(listed))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            // One listed document is the provider's metadata, one is cut short, one is not CSAF at all.
            mirror.set(listed[0], try #require(mirror.served("provider-metadata.json")))
            mirror.set(listed[1], Array(#"{"document": {"#.utf8))
            mirror.set(listed[2], Array(#"{"name": "left-pad"}"#.utf8))
            try await HTTPFetcher.with(policy: ProviderSyncTests.policy()) { fetcher in
                try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL))
                let (report, _) = try await Self.syncOnce(store, fetcher, slug: "cisa")
                #expect(report.failure == nil && report.error == nil, "\(report.error ?? "")")
                #expect(report.quarantined == 3)
                let codes = Dictionary(uniqueKeysWithValues: try await store.quarantined(limit: 10).map { ($0.origin, $0.code) })
                #expect(codes == [mirror.base + listed[0]: .distributionFile, mirror.base + listed[1]: .syntax,
                                  mirror.base + listed[2]: .notCSAF])
            }
        }
    }

    @Test("a successful sync has no failure kind, and the kind is not part of the report's JSON")
    func successAndJSON() async throws {
        var report = SyncReport(source: "cisa")
        #expect(report.failure == nil)
        report.error = "could not read the provider metadata"
        report.failure = .httpStatus(503)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(!json.contains("failure"), "\(json)")
        let decoded = try JSONDecoder().decode(SyncReport.self, from: Data(json.utf8))
        #expect(decoded.error == report.error && decoded.failure == nil)
    }

    @Test("every kind of failed fetch maps to a sync failure kind")
    func fetchKinds() {
        func kind(_ kind: FetchFailure.Kind, status: Int? = nil) -> ProviderSync.SyncFailure.Kind {
            .init(FetchFailure(url: "https://example.invalid/", kind: kind, status: status, message: ""))
        }
        for unreachable: FetchFailure.Kind in [.connection, .refused, .unresolvable, .timeout] {
            #expect(kind(unreachable) == .unreachable, "\(unreachable)")
        }
        #expect(kind(.httpStatus, status: 404) == .httpStatus(404))
        #expect(kind(.httpStatus, status: 503) == .httpStatus(503))
        #expect(kind(.httpStatus, status: 429) == .rateLimited)
        for refused: FetchFailure.Kind in [.insecureURL, .forbiddenDestination, .badURL] {
            #expect(kind(refused) == .notAllowed, "\(refused)")
        }
        for unusable: FetchFailure.Kind in [.tooLarge, .notJSON, .tooManyRedirects] {
            #expect(kind(unusable) == .badResponse, "\(unusable)")
        }
        #expect(kind(.cancelled) == .cancelled)
        let failure = ProviderSync.SyncFailure(FetchFailure(url: "https://example.invalid/", kind: .httpStatus, status: 429, message: "",
                                                            retryAfter: 120), message: "could not read the provider metadata")
        #expect(failure.kind == .rateLimited && failure.retryAfter == 120)
        #expect(ProviderSync.SyncFailure.Kind.httpStatus(404).description == "http-404")
    }
}
