import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Sources, their sync state, the HTTP cache and the KEV catalogue, alike on SQLite and PostgreSQL.
@Suite("Source store contract")
struct SourceContractTests {
    static let now = Date(timeIntervalSince1970: 1_760_000_000)

    @Test("sources are saved, updated, listed by name ignoring case and removed with their sync state", arguments: Backend.allCases)
    func sourcesCRUD(_ backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.sources().isEmpty)
            // Listed by name ignoring case: "cisa CSAF" before "Known Exploited", which bytewise order would swap.
            var cisa = SourceRecord(slug: "cisa", name: "cisa CSAF", url: "https://example.org/cisa/provider-metadata.json")
            var siemens = SourceRecord(slug: "siemens", name: "siemens ProductCERT", kind: .aggregator,
                                       url: "https://example.org/siemens/aggregator.json", enabled: false, pollInterval: 3_600,
                                       lastAttempt: Self.now, lastSuccess: Self.now.addingTimeInterval(-60),
                                       lastError: "HTTP 503 from example.org", nextPoll: Self.now.addingTimeInterval(3_600))
            siemens.mirrors = ["https://mirror-a.example/siemens", "https://mirror-b.example/siemens"]
            siemens.acceptsV3Signatures = true
            siemens.credentialsVariable = "SIEMENS_AUTH"
            let kev = SourceRecord(slug: "kev", name: "Known Exploited", kind: .kev, url: "https://example.org/kev.json")
            let generation = try await store.generation()
            for source in [siemens, cisa, kev] { try await store.saveSource(source) }
            #expect(try await store.generation() > generation)
            #expect(try await store.sources().map(\.slug) == ["cisa", "kev", "siemens"])
            #expect(try await store.source(slug: "siemens") == siemens)
            #expect(try await store.source(slug: "cisa") == cisa)
            #expect(try await store.source(slug: "nope") == nil)

            // Saving again replaces the configuration and status.
            cisa = PollSchedule(interval: 10).failed(cisa, at: Self.now, error: "timed out", jitter: 1.07)
            cisa.enabled = false
            cisa.mirrors = ["https://mirror.example/cisa"]
            try await store.saveSource(cisa)
            let saved = try #require(try await store.source(slug: "cisa"))
            #expect(saved.lastError == "timed out" && !saved.enabled && saved.mirrors == cisa.mirrors)
            #expect(saved.lastAttempt == Self.now)
            // The backoff state (failures in a row, since when, the interval in force) is kept by every store.
            #expect(saved.consecutiveFailures == 1 && saved.failingSince == Self.now && saved.scheduledInterval == 10)
            #expect(saved.health == .disabled)
            // Times are kept to the second, as text.
            #expect(abs(saved.nextPoll!.timeIntervalSince(cisa.nextPoll!)) < 1)
            #expect(try await store.sources().count == 3)

            // Document states are counted per source.
            for (index, status) in [RemoteDocumentState.Status.stored, .stored, .quarantined, .failed].enumerated() {
                try await store.saveRemoteDocument(RemoteDocumentState(url: "https://example.org/cisa/\(index).json", source: "cisa",
                                                                       listedUpdate: "2025-01-0\(index + 1)T00:00:00Z", status: status,
                                                                       detail: status == .stored ? nil : "reason \(index)",
                                                                       advisoryID: "ICSA-\(index)"))
            }
            try await store.saveRemoteDocument(RemoteDocumentState(url: "https://example.org/s/1.json", source: "siemens",
                                                                   listedUpdate: "x", status: .failed))
            let counted = try #require(try await store.source(slug: "cisa"))
            #expect(counted.documentsHeld == 2 && counted.documentsQuarantined == 1 && counted.documentsFailing == 1)
            #expect(try await store.sources().first { $0.slug == "siemens" }?.documentsFailing == 1)

            let before = try await store.generation()
            #expect(try await store.removeSource(slug: "cisa"))
            #expect(try await store.generation() > before)
            #expect(try await store.removeSource(slug: "cisa") == false)
            #expect(try await store.remoteDocuments(source: "cisa").isEmpty)
            #expect(try await store.remoteDocuments(source: "siemens").count == 1)
            #expect(try await store.sources().map(\.slug) == ["kev", "siemens"])
        }
    }

    @Test("the built-in catalogue is added once: removed or changed sources stay as they were left", arguments: Backend.allCases)
    func seedOnce(_ backend: Backend) async throws {
        let catalogue = [
            SourceRecord(slug: "cisa", name: "CISA", url: "https://example.org/cisa.json"),
            SourceRecord(slug: "siemens", name: "Siemens", url: "https://example.org/siemens.json", enabled: false),
            SourceRecord(slug: "cisa", name: "CISA again", url: "https://example.org/cisa2.json"),
        ]
        try await backend.withStore { store in
            try await store.saveSource(SourceRecord(slug: "siemens", name: "My Siemens", url: "https://mine.example/siemens.json"))
            let generation = try await store.generation()
            #expect(try await store.seedSourcesOnce(catalogue) == 1)
            #expect(try await store.generation() > generation)
            #expect(try await store.source(slug: "siemens")?.name == "My Siemens")
            #expect(try await store.source(slug: "cisa")?.name == "CISA")
            #expect(try await store.removeSource(slug: "cisa"))
            let settled = try await store.generation()
            #expect(try await store.seedSourcesOnce(catalogue) == 0)
            #expect(try await store.source(slug: "cisa") == nil)
            #expect(try await store.generation() == settled)
        }
    }

    @Test("the HTTP cache keeps the last response per URL", arguments: Backend.allCases)
    func httpCache(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let url = "https://example.org/provider-metadata.json"
            #expect(try await store.cachedResponse(for: url) == nil)
            let first = CachedResponse(validators: HTTPValidators(etag: "\"v1\"", lastModified: "Tue, 01 Jul 2025 10:00:00 GMT"),
                                       body: Array("{\"a\": 1}".utf8) + [0, 255, 10], fetchedAt: Self.now)
            try await store.saveCachedResponse(first, for: url)
            #expect(try await store.cachedResponse(for: url) == first)
            let second = CachedResponse(validators: HTTPValidators(), body: [], fetchedAt: Self.now.addingTimeInterval(60))
            try await store.saveCachedResponse(second, for: url)
            #expect(try await store.cachedResponse(for: url) == second)
            #expect(try await store.cachedResponse(for: url + "?other") == nil)
        }
    }

    @Test("remote document states are replaced per URL; failing ones are listed newest first", arguments: Backend.allCases)
    func remoteDocuments(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let a = RemoteDocumentState(url: "https://e.org/a.json", source: "p", listedUpdate: "1", status: .failed, detail: "HTTP 404")
            let b = RemoteDocumentState(url: "https://e.org/b.json", source: "p", listedUpdate: "1", status: .quarantined,
                                        detail: "SHA-512 mismatch", advisoryID: "ICSA-1")
            let c = RemoteDocumentState(url: "https://e.org/c.json", source: "p", listedUpdate: "1", status: .stored, advisoryID: "ICSA-2")
            let other = RemoteDocumentState(url: "https://e.org/o.json", source: "q", listedUpdate: "1", status: .failed)
            for state in [a, b, c, other] { try await store.saveRemoteDocument(state) }
            #expect(try await store.remoteDocuments(source: "p") == [a.url: a, b.url: b, c.url: c])
            let failing = try await store.failingDocuments(source: "p", limit: 10)
            #expect(Set(failing.map(\.url)) == [a.url, b.url])
            #expect(try await store.failingDocuments(source: "p", limit: 1).count == 1)
            // Fixed on the next sync: no longer failing.
            var fixed = a
            fixed.status = .stored
            fixed.detail = nil
            fixed.listedUpdate = "2"
            try await store.saveRemoteDocument(fixed)
            #expect(try await store.remoteDocuments(source: "p")[a.url] == fixed)
            #expect(try await store.failingDocuments(source: "p", limit: 10) == [b])
            // The most recently checked first (within one second, by URL).
            try await store.saveRemoteDocument(a)
            #expect(try await store.failingDocuments(source: "p", limit: 10).map(\.url) == [a.url, b.url])
        }
    }

    @Test("replacing the KEV catalogue counts added and removed CVEs and journals newly listed ones", arguments: Backend.allCases)
    func knownExploited(_ backend: Backend) async throws {
        func entry(_ cve: String, _ name: String = "an exploited flaw") -> KnownExploitedVulnerability {
            KnownExploitedVulnerability(cve: cve, vendor: "Phoenix Contact", product: "ProConOS", name: name, dateAdded: "2025-01-02",
                                        dueDate: "2025-01-23", requiredAction: "Apply updates.", ransomware: "Unknown")
        }
        try await backend.withStore { store in
            #expect(try await store.ingest(try Incoming.document(Corpus.proconos)) == .new)
            let journalled = try await Journal.entries(store).count
            // The first catalogue is history: nothing journalled.
            #expect(try await store.replaceKnownExploited([entry("CVE-2000-0001"), entry("CVE-2000-0002")], catalogVersion: "1") == (2, 0))
            #expect(try await Journal.entries(store).count == journalled)
            #expect(try await store.search(AdvisoryQuery(knownExploited: true)).total == 0)

            // Then the advisory's CVE is listed (twice: the last entry wins), one old entry dropped.
            let generation = try await store.generation()
            let replaced = try await store.replaceKnownExploited([entry("CVE-2000-0001"), entry("CVE-2022-31801", "first"),
                                                                  entry("CVE-2022-31801", "second")], catalogVersion: "2")
            #expect(replaced == (1, 1))
            #expect(try await store.generation() > generation)
            let stored = try #require(try await store.advisory(id: "ICSA-22-172-04"))
            #expect(stored.knownExploited == [entry("CVE-2022-31801", "second")])
            let journal = try await Journal.entries(store)
            #expect(journal.count == journalled + 1)
            #expect(journal.last == .init(advisoryID: "ICSA-22-172-04", documentID: stored.document.documentID,
                                          previousDocumentID: stored.document.documentID, knownExploited: "CVE-2022-31801"))
            let page = try await store.search(AdvisoryQuery(knownExploited: true))
            #expect(page.items.map(\.id) == ["ICSA-22-172-04"])
            #expect(page.items.first?.knownExploitedCount == 1)

            // Listed already: nothing new to journal.
            #expect(try await store.replaceKnownExploited([entry("CVE-2022-31801")], catalogVersion: "3") == (0, 1))
            #expect(try await Journal.entries(store).count == journalled + 1)
            #expect(try await store.replaceKnownExploited([], catalogVersion: "4") == (0, 1))
            #expect(try await store.advisory(id: "ICSA-22-172-04")?.knownExploited.isEmpty == true)
        }
    }
}
