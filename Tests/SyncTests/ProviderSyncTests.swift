import CSAF
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import OpenPGP
import Sources
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Syncing providers over HTTP from a real server on loopback that serves CISA's published folder.
@Suite("Provider sync over loopback", .serialized)
struct ProviderSyncTests {
    static let otFeed = "csaf_files/OT/white/cisa-csaf-ot-feed-tlp-white.json"
    static let cisaKey = "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"

    /// The fetch policy of these tests. The whole-request timeout is generous by default: these tests count requests
    /// and documents, and a loopback answer that a loaded CI machine delays past a short timeout says nothing about
    /// Vigil (the tests of timeouts pass a short one).
    static func policy(timeout: TimeInterval = 60) -> FetchPolicy {
        var policy = FetchPolicy()
        policy.backoff = 0.01
        policy.attempts = 2
        policy.timeout = timeout
        policy.connectTimeout = 2
        // Loopback: no politeness cap (the rate limiter has a test of its own).
        policy.perHostRequestsPerSecond = nil
        return policy
    }

    static func sha512Sidecar(_ bytes: [UInt8], name: String) -> [UInt8] {
        Array((SHA512.hash(data: bytes).map { String(format: "%02x", $0) }.joined() + "  " + name + "\n").utf8)
    }

    @Test("CISA over loopback: a first sync imports all, an idle poll costs one 304 per feed, new, revised and tampered documents are picked up")
    func cisaLifecycle() async throws {
        let mirror = try ProviderMirror.cisa()
        let late: Set<String> = ["csaf_files/OT/white/2024/icsa-24-298-03.json", "csaf_files/OT/white/2024/icsa-24-298-02.json"]
        mirror.hide(late)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let gpg = try GnuPG()
        let testKey = try gpg.generateKey("Vigil test provider key <keys@example.invalid>", algorithm: "ed25519")

        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL))
                let sync = ProviderSync(store: store, fetcher: fetcher)

                // First sync: everything listed is fetched, checked and stored.
                let source = try #require(try await store.source(slug: "cisa"))
                let first = try await sync.sync(source)
                #expect(first.error == nil, "\(first.error ?? "")")
                #expect(first.feeds == 2)
                #expect(first.listed == 2_381)
                #expect(first.new == 2_381)
                #expect(first.quarantined == 0)
                #expect(first.failed == 0, "\(first.problems.prefix(3))")
                #expect(first.parsed == 2_381)
                // Metadata, key, two feeds, then each document with its .sha512 and .asc: nothing fetched twice.
                #expect(first.requests == 4 + 2_381 * 3)
                print("First sync of CISA over loopback: \(first.listed) documents, \(first.requests) requests, \(first.bytes) bytes in \(String(format: "%.2f", first.seconds)) s")
                let stats = try await store.statistics()
                #expect(stats.advisories == 2_381)
                let phoenix = try #require(try await store.advisory(id: "ICSA-22-172-04"))
                #expect(phoenix.document.integrity == .verified)
                #expect(phoenix.document.signer == Self.cisaKey)
                #expect(phoenix.document.origin == mirror.base + "csaf_files/OT/white/2022/icsa-22-172-04.json")
                let afterFirst = try #require(try await store.source(slug: "cisa"))
                #expect(afterFirst.documentsHeld == 2_381)
                #expect(afterFirst.lastError == nil)
                #expect(afterFirst.lastSuccess != nil)
                #expect(try #require(afterFirst.nextPoll) > Date().addingTimeInterval(200))

                // An idle poll: one conditional request per feed, each answered 304, nothing parsed.
                mirror.resetLog()
                let idle = try await sync.sync(afterFirst)
                #expect(idle.requests == 2)
                #expect(idle.notModified == 2)
                #expect(idle.feedsUnchanged == 2)
                #expect(idle.fetched == 0)
                #expect(idle.parsed == 0)
                #expect(mirror.log.map(\.status) == [304, 304])
                print("Idle poll: \(idle.requests) requests, \(idle.notModified) not modified, \(idle.parsed) parsed in \(String(format: "%.3f", idle.seconds)) s")

                // The provider publishes two advisories, revises one (signed with a second key it now lists), and
                // one published file is altered after signing (its hash sidecar altered to match).
                mirror.hide([])
                let revisedPath = "csaf_files/OT/white/2022/icsa-22-172-04.json"
                let originalBytes = try #require(mirror.content(revisedPath))
                var document = try #require(try JSONSerialization.jsonObject(with: Data(originalBytes)) as? [String: Any])
                var head = try #require(document["document"] as? [String: Any])
                var tracking = try #require(head["tracking"] as? [String: Any])
                tracking["version"] = "2"
                tracking["current_release_date"] = "2024-11-01T00:00:00.000000Z"
                var history = try #require(tracking["revision_history"] as? [[String: Any]])
                history.append(["number": "2", "date": "2024-11-01T00:00:00.000000Z", "summary": "Fixed firmware added"])
                tracking["revision_history"] = history
                head["tracking"] = tracking
                document["document"] = head
                let revised = [UInt8](try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
                mirror.set(revisedPath, revised)
                mirror.set(revisedPath + ".sha512", Self.sha512Sidecar(revised, name: "icsa-22-172-04.json"))
                mirror.set(revisedPath + ".asc", try gpg.sign(revised, with: testKey, armored: true, digest: "SHA512"))
                mirror.set("test-key.asc", try gpg.export(testKey, armored: true))
                mirror.addKey(fingerprint: testKey, path: "test-key.asc")
                try mirror.setUpdated(feed: Self.otFeed, document: "icsa-22-172-04.json", to: "2024-11-01T00:00:00.000000Z")

                let tamperedPath = "csaf_files/OT/white/2023/icsa-23-005-01.json"
                var tampered = try #require(mirror.content(tamperedPath))
                let digit = try #require(tampered.lastIndex(of: UInt8(ascii: "1")))
                tampered[digit] = UInt8(ascii: "7")
                mirror.set(tamperedPath, tampered)
                mirror.set(tamperedPath + ".sha512", Self.sha512Sidecar(tampered, name: "icsa-23-005-01.json"))
                try mirror.setUpdated(feed: Self.otFeed, document: "icsa-23-005-01.json", to: "2024-11-02T00:00:00.000000Z")

                var refresh = ProviderSync.Options()
                refresh.metadataRefresh = 0
                let next = try await ProviderSync(store: store, fetcher: fetcher, options: refresh).sync(try #require(try await store.source(slug: "cisa")))
                #expect(next.error == nil, "\(next.error ?? "")")
                #expect(next.fetched == 4)
                #expect(next.new == 2)
                #expect(next.updated == 1)
                #expect(next.quarantined == 1)
                #expect(next.failed == 0)
                #expect(next.problems.map(\.url) == [mirror.base + tamperedPath])
                #expect(next.problems.first?.reason.contains("the OpenPGP signature does not verify") == true, "\(next.problems)")

                let current = try #require(try await store.advisory(id: "ICSA-22-172-04"))
                #expect(current.document.version == "2")
                #expect(current.revisions.count == 2)
                #expect(current.document.integrity == .verified)
                #expect(current.document.signer == testKey)
                #expect(try await store.advisory(id: "ICSA-24-298-03") != nil)
                // The tampered document is quarantined; its stored advisory (from the first sync) stays as it was.
                let untouched = try #require(try await store.advisory(id: "ICSA-23-005-01"))
                #expect(untouched.revisions.count == 1)
                let quarantine = try await store.quarantined(limit: 10)
                #expect(quarantine.contains { $0.origin == mirror.base + tamperedPath && $0.code == .badSignature })

                let record = try #require(try await store.source(slug: "cisa"))
                #expect(record.documentsHeld == 2_382)
                #expect(record.documentsQuarantined == 1)

                // The Sources page shows the source, its counts and the quarantined document with its reason.
                let app = Application(router: try await buildRouter(store: store))
                try await app.test(.router) { client in
                    try await client.execute(uri: "/sources", method: .get) { response in
                        #expect(response.status == .ok)
                        let html = String(buffer: response.body)
                        #expect(html.contains("<strong>CISA</strong>"))
                        #expect(html.contains(">2,382<"))
                        #expect(html.contains("Documents quarantined or failing"))
                        #expect(html.contains("<code>\(mirror.base + tamperedPath)</code>: the OpenPGP signature does not verify"))
                    }
                    try await client.execute(uri: "/quarantine", method: .get) { response in
                        let html = String(buffer: response.body)
                        #expect(html.contains("<strong>Not trusted.</strong>"))
                        #expect(html.contains("<span class=\"integrity integrity-bad-signature\">bad-signature</span>"))
                        #expect(html.contains("<strong>ICSA-23-005-01</strong><br><code class=\"url\">\(mirror.base + tamperedPath)</code>"))
                    }
                }

                // A third poll retries only the quarantined document (still bad), through one 304 per feed.
                mirror.resetLog()
                let third = try await sync.sync(record)
                #expect(third.fetched == 1)
                #expect(third.quarantined == 1)
                #expect(third.notModified == 2)
                #expect(third.requests == 2 + 3)
            }
        }
    }

    /// Six documents of CISA's feed, each served with a different failure.
    static let sample = [
        "csaf_files/OT/white/2023/icsa-23-005-01.json", "csaf_files/OT/white/2023/icsa-23-005-02.json",
        "csaf_files/OT/white/2023/icsa-23-005-03.json", "csaf_files/OT/white/2022/icsa-22-172-04.json",
        "csaf_files/OT/white/2022/icsa-22-172-01.json", "csaf_files/OT/white/2024/icsa-24-298-03.json",
    ]

    @Test("a server that answers 500, 404, HTML, hangs or resets: each failure recorded per document, the rest goes on, the next poll retries")
    func survivesFaults() async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.only(Set(Self.sample))
        mirror.fault(Self.sample[0], .status(500))
        mirror.fault(Self.sample[1], .status(404))
        mirror.fault(Self.sample[2], .html)
        mirror.fault(Self.sample[3], .hang(3))
        mirror.fault(Self.sample[4], .reset)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy(timeout: 1)) { fetcher in
                try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL))
                let sync = ProviderSync(store: store, fetcher: fetcher)
                let report = try await sync.sync(try #require(try await store.source(slug: "cisa")))
                #expect(report.error == nil)
                #expect(report.listed == 6)
                #expect(report.new == 1)
                #expect(report.failed == 5)
                let reasons = Dictionary(uniqueKeysWithValues: report.problems.map { (String($0.url.dropFirst(mirror.base.count)), $0.reason) })
                #expect(reasons[Self.sample[0]]?.contains("HTTP 500") == true, "\(reasons)")
                #expect(reasons[Self.sample[1]]?.contains("HTTP 404") == true)
                #expect(reasons[Self.sample[2]]?.contains("HTML page instead of JSON") == true)
                #expect(reasons[Self.sample[3]]?.contains("did not answer in time") == true, "\(reasons[Self.sample[3]] ?? "")")
                #expect(reasons[Self.sample[4]] != nil)
                // A server error is retried before it counts as failed; a 404 is not.
                #expect(mirror.log.filter { $0.path == Self.sample[0] }.count == 2)
                #expect(mirror.log.filter { $0.path == Self.sample[1] }.count == 1)
                let record = try #require(try await store.source(slug: "cisa"))
                #expect(record.documentsFailing == 5)
                #expect(record.documentsHeld == 1)
                #expect(record.lastError?.hasPrefix("5 listed documents could not be fetched") == true, "\(record.lastError ?? "")")

                // The server recovers: the next poll fetches exactly the five, from the unchanged feeds.
                for path in Self.sample { mirror.fault(path, nil) }
                let retry = try await sync.sync(record)
                #expect(retry.fetched == 5)
                #expect(retry.new == 5)
                #expect(retry.failed == 0)
                #expect(retry.notModified == 2)
                let recovered = try #require(try await store.source(slug: "cisa"))
                #expect(recovered.documentsHeld == 6)
                #expect(recovered.lastError == nil)
            }
        }
    }

    @Test("a key whose fingerprint is not the one the metadata pins stops the sync before any document is fetched")
    func wrongPinnedKey() async throws {
        let mirror = try ProviderMirror.cisa()
        let metadata = String(decoding: try #require(mirror.content("provider-metadata.json")), as: UTF8.self)
            .replacingOccurrences(of: Self.cisaKey, with: "AAAA0A57BE7D4AE835D9D8CAC5AC4F74164B17AA")
        mirror.set("provider-metadata.json", Array(metadata.utf8))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                let source = SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL)
                try await store.saveSource(source)
                let report = try await ProviderSync(store: store, fetcher: fetcher).sync(source)
                #expect(report.error?.contains("has fingerprint \(Self.cisaKey), not the AAAA0A57BE7D4AE835D9D8CAC5AC4F74164B17AA the provider metadata pins") == true, "\(report.error ?? "")")
                #expect(report.fetched == 0)
                #expect(try await store.statistics().advisories == 0)
                #expect(try await store.source(slug: "cisa")?.lastError == report.error)
            }
        }
    }

    @Test("unreachable servers, plain HTTP to a public host and redirects to it are refused with a sentence that says why")
    func refusals() async throws {
        #expect(HTTPFetcher.check("https://example.com/a.json") == nil)
        #expect(HTTPFetcher.check("http://127.0.0.1:9/a.json") == nil)
        #expect(HTTPFetcher.check("http://localhost/a.json") == nil)
        #expect(HTTPFetcher.check("http://example.com/a.json")?.kind == .insecureURL)
        #expect(HTTPFetcher.check("ftp://example.com/a.json")?.kind == .badURL)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await HTTPFetcher.with(policy: Self.policy(timeout: 2)) { fetcher in
            let nowhere = SourceRecord(slug: "nowhere", name: "Nowhere", url: "http://127.0.0.1:1/provider-metadata.json")
            try await store.saveSource(nowhere)
            let report = try await ProviderSync(store: store, fetcher: fetcher).sync(nowhere)
            #expect(report.error?.contains("could not read the provider metadata") == true, "\(report.error ?? "")")
            let plain = SourceRecord(slug: "plain", name: "Plain", url: "http://example.com/.well-known/csaf/provider-metadata.json")
            let refused = try await ProviderSync(store: store, fetcher: fetcher).sync(plain)
            #expect(refused.error?.contains("uses plain HTTP; CSAF requires HTTPS") == true, "\(refused.error ?? "")")
            #expect(refused.requests == 0)
        }
        let mirror = try ProviderMirror.cisa()
        mirror.fault("provider-metadata.json", .redirect("http://example.com/provider-metadata.json"))
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                do {
                    _ = try await fetcher.get(mirror.metadataURL, maxBytes: 1 << 20)
                    Issue.record("a redirect to plain HTTP on a public host was followed")
                } catch let error as FetchFailure {
                    #expect(error.kind == .insecureURL)
                }
            }
        }
    }

    @Test("discovery: a domain's well-known path, its security.txt, and an aggregator's providers")
    func discovery() async throws {
        let mirror = try ProviderMirror.cisa()
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                let host = "127.0.0.1:\(mirror.port.withLock { $0 })"
                // Nothing there yet: the error names every place that was tried.
                do {
                    _ = try await SourceDiscovery.find(host, fetcher: fetcher)
                    Issue.record("discovery found a provider where there is none")
                } catch let error as SourceDiscovery.Failure {
                    #expect(error.message.contains("/.well-known/csaf/provider-metadata.json"))
                    #expect(error.message.contains("/.well-known/security.txt"))
                    #expect(error.message.contains("csaf.data.security.\(host)"))
                    // And why each failed, not just where.
                    #expect(error.message.contains("provider-metadata.json answered HTTP 404"), "\(error.message)")
                    #expect(error.message.contains("security.txt answered HTTP 404"), "\(error.message)")
                }
                // security.txt's CSAF field.
                mirror.set(".well-known/security.txt", Array("Contact: mailto:psirt@example.invalid\nCSAF: \(mirror.metadataURL)\n".utf8))
                #expect(try await SourceDiscovery.find(host, fetcher: fetcher) == .provider(url: mirror.metadataURL, name: "CISA"))
                // The well-known path comes first.
                mirror.set(".well-known/csaf/provider-metadata.json", try #require(mirror.content("provider-metadata.json")))
                #expect(try await SourceDiscovery.find(host, fetcher: fetcher) == .provider(url: mirror.base + ".well-known/csaf/provider-metadata.json", name: "CISA"))

                // An aggregator lists providers; syncing it adds those not followed yet.
                let aggregator = """
                    {"aggregator": {"category": "lister", "name": "Loopback aggregator", "namespace": "https://example.invalid"},
                     "aggregator_version": "2.0", "canonical_url": "\(mirror.base)aggregator.json", "last_updated": "2024-10-24T00:00:00Z",
                     "csaf_providers": [{"metadata": {"last_updated": "2024-07-19T15:17:34Z", "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov/"},
                       "url": "\(mirror.metadataURL)"}}]}
                    """
                mirror.set("aggregator.json", Array(aggregator.utf8))
                guard case .aggregator(_, let name, let providers) = try await SourceDiscovery.find(mirror.base + "aggregator.json", fetcher: fetcher) else {
                    Issue.record("the aggregator was not recognised")
                    return
                }
                #expect(name == "Loopback aggregator")
                #expect(providers.map(\.url) == [mirror.metadataURL])
                let source = SourceRecord(slug: "loopback-aggregator", name: name, kind: .aggregator, url: mirror.base + "aggregator.json")
                try await store.saveSource(source)
                let report = try await AggregatorSync(store: store, fetcher: fetcher).sync(source)
                #expect(report.new == 1)
                #expect(try await store.sources().map(\.slug) == ["cisa", "loopback-aggregator"])
                #expect(try await AggregatorSync(store: store, fetcher: fetcher).sync(source).new == 0)
            }
        }
    }

    @Test("CISA's KEV catalogue as a source: listed CVEs mark their advisories on the list, the page, the API and the filter")
    func knownExploitedCatalogue() async throws {
        let mirror = ProviderMirror(root: try SharedData.url("vectors/kev"), prefixes: [])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        let documents = ["providers/cisa/csaf_files/OT/white/2018/icsa-18-107-04.json", "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"]
        _ = try await LocalImporter().run(paths: try documents.map { try SharedData.url($0).path }, into: store)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                let source = SourceRecord(slug: "cisa-kev", name: "CISA KEV", kind: .kev, url: mirror.base + "known_exploited_vulnerabilities.json")
                try await store.saveSource(source)
                let scheduler = SourceScheduler(store: store, fetcher: fetcher, logger: .init(label: "test"))
                let first = try #require(await scheduler.pollDue().first)
                #expect(first.error == nil, "\(first.error ?? "")")
                #expect(first.listed == 1_404)
                #expect(first.new == 1_404)
                let again = try await KnownExploitedSync(store: store, fetcher: fetcher).sync(source)
                #expect(again.notModified == 1)
                #expect(again.requests == 1)
                #expect(again.parsed == 0)

                // A damaged catalogue is refused and the one stored stays.
                mirror.set("known_exploited_vulnerabilities.json", Array(#"{"title": "x", "vulnerabilities": [{"cveID": "CVE-1"}]}"#.utf8))
                let damaged = try await KnownExploitedSync(store: store, fetcher: fetcher).sync(source)
                #expect(damaged.error?.contains("lacks cveID, dateAdded or dueDate") == true, "\(damaged.error ?? "")")
                #expect(try await store.source(slug: "cisa-kev")?.lastError == damaged.error)
            }
        }
        let cisco = try #require(try await store.advisory(id: "ICSA-18-107-04"))
        #expect(cisco.knownExploited.count == 8)
        let app = Application(router: try await buildRouter(store: store))
        try await app.test(.router) { client in
            try await client.execute(uri: "/advisories/ICSA-18-107-04", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<strong>Known exploited.</strong> CISA lists"))
                let first = try #require(cisco.knownExploited.first)
                #expect(html.contains("<a href=\"#\(first.cve)\">\(first.cve)</a> (added \(first.dateAdded), remediation due \(first.dueDate)"))
                #expect(html.contains("KEV since \(first.dateAdded) · due \(first.dueDate)"))
            }
            try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get) { response in
                #expect(!String(buffer: response.body).contains("Known exploited"))
            }
            try await client.execute(uri: "/?kev=1", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("ICSA-18-107-04"))
                #expect(!html.contains("ICSA-22-172-04"))
                #expect(html.contains("8 KEV"))
                #expect(html.contains("name=\"kev\" value=\"1\" checked"))
            }
            try await client.execute(uri: "/api/v1/advisories?kev=true", method: .get) { response in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let items = try #require(object["items"] as? [[String: Any]])
                #expect(items.map { $0["id"] as? String } == ["ICSA-18-107-04"])
                #expect(items.first?["known_exploited_count"] as? Int == 8)
            }
            try await client.execute(uri: "/api/v1/advisories?kev=maybe", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/advisories/ICSA-18-107-04", method: .get) { response in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let known = try #require(object["known_exploited"] as? [[String: Any]])
                #expect(known.count == 8)
                #expect(known.allSatisfy { ($0["date_added"] as? String)?.count == 10 && ($0["due_date"] as? String)?.count == 10 })
            }
        }
    }

    @Test("credentials come from the environment, go to the source's host only, and open TLP:GREEN feeds")
    func credentials() async throws {
        let mirror = try ProviderMirror.cisa()
        var shown = Set<String>(Self.sample.prefix(2))
        shown.insert("csaf_files/IT/white/2024/va-24-254-02.json")
        mirror.only(shown)
        // The IT feed is relabelled TLP:GREEN: read only with credentials.
        let metadataBytes: [UInt8] = try #require(mirror.content("provider-metadata.json"))
        let parsedMetadata: Any = try JSONSerialization.jsonObject(with: Data(metadataBytes))
        var metadata: [String: Any] = try #require(parsedMetadata as? [String: Any])
        var distributions: [[String: Any]] = try #require(metadata["distributions"] as? [[String: Any]])
        var rolie: [String: Any] = try #require(distributions[0]["rolie"] as? [String: Any])
        var feeds: [[String: Any]] = try #require(rolie["feeds"] as? [[String: Any]])
        let itIndex: Int? = feeds.firstIndex { feed in (feed["url"] as? String)?.contains("/IT/") ?? false }
        let it: Int = try #require(itIndex)
        feeds[it]["tlp_label"] = "GREEN"
        rolie["feeds"] = feeds
        distributions[0]["rolie"] = rolie
        metadata["distributions"] = distributions
        let relabelled: Data = try JSONSerialization.data(withJSONObject: metadata, options: [.withoutEscapingSlashes])
        mirror.set("provider-metadata.json", [UInt8](relabelled))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                // Without credentials: the GREEN feed is skipped.
                let open = SourceRecord(slug: "open", name: "Open", url: mirror.metadataURL)
                try await store.saveSource(open)
                let publicSync = try await ProviderSync(store: store, fetcher: fetcher).sync(open)
                #expect(publicSync.feeds == 1)
                #expect(publicSync.new == 2)

                // With a variable that is not set: a sentence naming it.
                var locked = SourceRecord(slug: "locked", name: "Locked", url: mirror.metadataURL)
                locked.credentialsVariable = "VIGIL_TEST_UNSET_CREDENTIALS"
                try await store.saveSource(locked)
                let unset = try await ProviderSync(store: store, fetcher: fetcher).sync(locked)
                let unsetError: String = unset.error ?? ""
                #expect(unsetError.contains("environment variable VIGIL_TEST_UNSET_CREDENTIALS, which is not set"))

                // With the variable set in the environment passed, every request to the provider carries it and the
                // GREEN feed is read.
                var options = ProviderSync.Options()
                options.environment = ["VIGIL_TEST_CREDENTIALS": "Bearer s3cret-token"]
                mirror.state.withLock { $0.requiredAuthorization = "Bearer s3cret-token" }
                locked.credentialsVariable = "VIGIL_TEST_CREDENTIALS"
                try await store.saveSource(locked)
                let authorised = try await ProviderSync(store: store, fetcher: fetcher, options: options).sync(locked)
                #expect(authorised.error == nil, "\(authorised.error ?? "")")
                #expect(authorised.feeds == 2)
                // The WHITE feed is the one the first source read: 304, nothing to fetch. The GREEN one is new.
                #expect(authorised.feedsUnchanged == 1)
                #expect(authorised.new == 1)
                #expect(try await store.advisory(id: "VA-24-254-02") != nil)
                let received: [String] = mirror.state.withLock { Array($0.authorizations.values) }
                #expect(!received.isEmpty)
                #expect(received.allSatisfy { $0 == "Bearer s3cret-token" })

                // Credentials for another host are not sent here.
                mirror.state.withLock { $0.requiredAuthorization = nil; $0.authorizations = [:] }
                _ = try await fetcher.get(mirror.metadataURL, maxBytes: 1 << 20, credentials: Credentials(host: "other.example", authorization: "Bearer leak"))
                let leaked: Int = mirror.state.withLock { $0.authorizations.count }
                #expect(leaked == 0)
            }
        }
    }

    @Test("an unreachable provider is synced from an aggregator's mirror, and the report says so")
    func mirrorFallback() async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.only(Set<String>(Self.sample.prefix(2)))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy(timeout: 2)) { fetcher in
                var source = SourceRecord(slug: "cisa", name: "CISA", url: "http://127.0.0.1:1/provider-metadata.json")
                source.mirrors = [mirror.metadataURL]
                try await store.saveSource(source)
                #expect(try await store.source(slug: "cisa")?.mirrors == [mirror.metadataURL])
                let report = try await ProviderSync(store: store, fetcher: fetcher).sync(source)
                #expect(report.error == nil, "\(report.error ?? "")")
                #expect(report.new == 2)
                let reason: String = report.problems.first?.reason ?? ""
                #expect(reason.contains("synced from the mirror \(mirror.metadataURL)"), "\(report.problems)")
            }
        }
    }

    @Test("the scheduler syncs what is due and leaves the rest until its time")
    func scheduler() async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.only(Set(Self.sample.prefix(2)))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: Self.policy()) { fetcher in
                try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL, pollInterval: 60))
                try await store.saveSource(SourceRecord(slug: "off", name: "Disabled", url: "http://127.0.0.1:1/x.json", enabled: false))
                let scheduler = SourceScheduler(store: store, fetcher: fetcher, logger: .init(label: "test"))
                let reports = await scheduler.pollDue()
                #expect(reports.map(\.source) == ["cisa"])
                #expect(reports.first?.new == 2)
                let next = try #require(try await store.source(slug: "cisa")?.nextPoll)
                #expect(next > Date().addingTimeInterval(50) && next < Date().addingTimeInterval(70))
                #expect(await scheduler.pollDue().isEmpty)
                #expect(await scheduler.pollDue(now: next.addingTimeInterval(1)).map(\.source) == ["cisa"])
            }
        }
    }
}
