import CSAF
import Foundation
import OpenPGP
import Storage

/// What one sync of one source did.
public struct SyncReport: Sendable, Codable, Equatable {
    public var source: String
    public var seconds: Double = 0
    /// HTTP requests made, how many of them were answered `304 Not Modified`, and body bytes received.
    public var requests = 0
    public var notModified = 0
    public var bytes = 0
    /// Feeds (ROLIE feeds, changes.csv) read, and those unchanged since the last sync.
    public var feeds = 0
    public var feedsUnchanged = 0
    /// Documents the listings name, and those fetched because they were new, newer or failed before.
    public var listed = 0
    public var fetched = 0
    public var new = 0
    public var updated = 0
    public var unchanged = 0
    public var historical = 0
    public var conflicts = 0
    public var quarantined = 0
    /// Documents that could not be fetched (retried on the next sync).
    public var failed = 0
    /// Documents parsed (an idle poll parses none).
    public var parsed = 0
    /// Per-document problems: URL and sentence.
    public var problems: [Problem] = []
    /// The reason the sync could not run at all (metadata or keys unreachable), when it could not.
    public var error: String?
    /// What kind of failure `error` is, when the sync knows (not encoded: `error` is the sentence callers show).
    var failure: ProviderSync.SyncFailure.Kind?

    public struct Problem: Sendable, Codable, Equatable {
        public var url: String
        public var reason: String
    }

    public init(source: String) { self.source = source }

    enum CodingKeys: String, CodingKey {
        case source, seconds, requests, notModified, bytes, feeds, feedsUnchanged, listed, fetched, new, updated, unchanged,
             historical, conflicts, quarantined, failed, parsed, problems, error
    }
}

/// Syncs CSAF providers over HTTP: provider metadata, keys pinned by fingerprint, ROLIE feeds or `changes.csv`, and the
/// documents that are new or changed, each checked (hash and signature) before it is stored or quarantined.
public struct ProviderSync: Sendable {
    public struct Options: Sendable {
        /// Provider metadata (and keys) are fetched again after this long; in between a poll reads only the feeds.
        public var metadataRefresh: TimeInterval = 6 * 3600
        /// Documents fetched at once.
        public var concurrency = 8
        /// Seconds between polls while this process schedules the source (`vigil serve --poll-interval`); nil: the
        /// source's own interval. A source that fails backs off from this interval (`PollSchedule`).
        public var interval: Int?
        public var now: @Sendable () -> Date = { Date() }
        /// Where a source's credentials variable (`SourceRecord.credentialsVariable`) is looked up: the environment
        /// the caller passes (`vigil serve` the one its configuration read, `vigil sources sync` the process's).
        public var environment: [String: String] = [:]
        public init() {}
    }

    let store: any SourceStateStore
    let fetcher: HTTPFetcher
    let options: Options

    public init(store: any SourceStateStore, fetcher: HTTPFetcher, options: Options = Options()) {
        self.store = store
        self.fetcher = fetcher
        self.options = options
    }

    public typealias Progress = @Sendable (_ done: Int, _ total: Int) -> Void

    /// Syncs one source and records the outcome on it (last attempt, success or error, next poll).
    @discardableResult
    public func sync(_ source: SourceRecord, progress: Progress? = nil) async throws -> SyncReport {
        let started = ContinuousClock.now
        let counters = FetchCounters()
        var report = SyncReport(source: source.slug)
        // The attempt is recorded as it starts: if this process dies before the end, the next sync (here or on another
        // node) knows the last one did not finish and reads the cached listings again instead of trusting a 304.
        if var marked = try await store.source(slug: source.slug) {
            marked.lastAttempt = options.now()
            try await store.saveSource(marked)
        }
        var retryAfter: Double?
        do {
            try await run(source, report: &report, counters: counters, progress: progress)
        } catch let failure as SyncFailure {
            report.error = failure.message
            report.failure = failure.kind
            retryAfter = failure.retryAfter
        }
        report.requests = counters.requests
        report.notModified = counters.notModified
        report.bytes = counters.bytes
        report.seconds = (ContinuousClock.now - started).secondsValue

        let current = try await store.source(slug: source.slug) ?? source
        let schedule = PollSchedule(interval: options.interval ?? current.pollInterval)
        var updated: SourceRecord
        if let error = report.error {
            updated = schedule.failed(current, at: options.now(), error: error, retryAfter: retryAfter, jitter: .random(in: 0.9...1.1))
        } else {
            updated = schedule.succeeded(current, at: options.now(), jitter: .random(in: 0.9...1.1))
            updated.lastError = report.failed > 0
                ? "\(report.failed) listed document\(report.failed == 1 ? "" : "s") could not be fetched; \(report.problems.first.map { $0.reason } ?? "")"
                : nil
        }
        try await store.saveSource(updated)
        return report
    }

    /// Why a sync could not run at all: its kind, for code that reacts to it, and a sentence for people (which is what
    /// the source's `lastError` keeps).
    struct SyncFailure: Error {
        /// What kind of failure stopped the sync.
        enum Kind: Sendable, Hashable, CustomStringConvertible {
            /// The source names a credentials variable that is not set in this process's environment.
            case missingCredentials
            /// The host could not be reached: its name does not resolve, the connection was refused or closed, TLS
            /// failed, or it did not answer in time.
            case unreachable
            /// The server answered with this HTTP error status (429 is `rateLimited`).
            case httpStatus(Int)
            /// The server answered 429 Too Many Requests; the failure's `retryAfter` says how long it asked to wait.
            case rateLimited
            /// The URL may not be fetched: not HTTPS, an address the outbound policy forbids, or not a URL at all.
            case notAllowed
            /// The server answered, but with nothing usable: too large, not JSON, too many redirects, or 304 Not
            /// Modified to an unconditional request.
            case badResponse
            /// The provider metadata is not JSON, is not provider metadata, or lists a key without URL or fingerprint.
            case invalidMetadata
            /// A listing (a ROLIE feed, the KEV catalogue) is not JSON or not the shape it should be.
            case invalidFeed
            /// A key the provider metadata lists is not a readable OpenPGP public key.
            case invalidKey
            /// The key fetched is not the one whose fingerprint the provider metadata pins.
            case keyMismatch
            /// The fetch was cancelled (the process is shutting down): nothing about the source itself.
            case cancelled

            /// The kind of a failed fetch.
            init(_ failure: FetchFailure) {
                switch failure.kind {
                case .connection, .refused, .unresolvable, .timeout: self = .unreachable
                case .httpStatus: self = failure.status == 429 ? .rateLimited : .httpStatus(failure.status ?? 0)
                case .insecureURL, .forbiddenDestination, .badURL: self = .notAllowed
                case .tooLarge, .notJSON, .tooManyRedirects: self = .badResponse
                case .cancelled: self = .cancelled
                }
            }

            /// A short label for logs, e.g. `unreachable`, `http-404`, `rate-limited`.
            var description: String {
                switch self {
                case .missingCredentials: "missing-credentials"
                case .unreachable: "unreachable"
                case .httpStatus(let status): "http-\(status)"
                case .rateLimited: "rate-limited"
                case .notAllowed: "not-allowed"
                case .badResponse: "bad-response"
                case .invalidMetadata: "invalid-metadata"
                case .invalidFeed: "invalid-feed"
                case .invalidKey: "invalid-key"
                case .keyMismatch: "key-mismatch"
                case .cancelled: "cancelled"
                }
            }
        }

        var kind: Kind
        var message: String
        /// Seconds the server asked to wait before the next try (`Retry-After`).
        var retryAfter: Double?

        init(_ kind: Kind, message: String, retryAfter: Double? = nil) {
            self.kind = kind
            self.message = message
            self.retryAfter = retryAfter
        }

        /// A failed fetch, told as `message`: its kind and `Retry-After` come from the fetch.
        init(_ failure: FetchFailure, message: String) {
            self.init(Kind(failure), message: message, retryAfter: failure.retryAfter)
        }
    }

    struct Listing {
        var url: String
        var update: String
        var hashURLs: [String]
        var signatureURL: String?
        /// Whether the listing names its sidecars (ROLIE) or they are guessed from the name (directory): a listed
        /// sidecar must be there, a guessed one may be missing.
        var hashesListed: Bool
        var signatureListed: Bool
    }

    private func run(_ source: SourceRecord, report: inout SyncReport, counters: FetchCounters, progress: Progress?) async throws {
        // Credentials: named by the source, read from the environment, sent to the source's host only.
        var credentials: Credentials?
        if let variable = source.credentialsVariable {
            guard let value = options.environment[variable], !value.isEmpty else {
                throw SyncFailure(.missingCredentials, message: "the credentials for this source are expected in the environment variable \(variable), which is not set for this process")
            }
            credentials = Credentials(host: URLComponents(string: source.url)?.host ?? "", authorization: value)
        }
        let context = Context(credentials: credentials, access: source.outboundAccess)

        // 1. Provider metadata, from the cache unless it is due for a refresh; mirrors only when the provider
        // cannot be reached and nothing is cached.
        let metadataBytes: [UInt8]
        let metadataChanged: Bool
        do {
            (metadataBytes, metadataChanged) = try await fetchCached(source.url, maxAge: options.metadataRefresh, counters: counters,
                                                                     what: "the provider metadata", context: context)
        } catch let failure as SyncFailure where !source.mirrors.isEmpty {
            var found: ([UInt8], Bool)?
            for mirror in source.mirrors {
                if let fetched = try? await fetchCached(mirror, maxAge: options.metadataRefresh, counters: counters, what: "the mirror metadata",
                                                        context: Context(credentials: nil, access: .configured(mirror, allowPrivateNetwork: source.allowPrivateNetwork))) {
                    found = fetched
                    report.problems.append(.init(url: source.url, reason: "unreachable (\(failure.message)); synced from the mirror \(mirror)"))
                    break
                }
            }
            guard let found else { throw failure }
            (metadataBytes, metadataChanged) = found
        }
        let metadata: JSONValue
        do {
            metadata = try JSONParser.parse(metadataBytes)
        } catch {
            throw SyncFailure(.invalidMetadata, message: "the provider metadata at \(source.url) is not valid JSON: \(error)")
        }
        guard JSONDocumentKind.classify(metadata) == .providerMetadata else {
            throw SyncFailure(.invalidMetadata, message: "\(source.url) is not CSAF provider metadata (it has no canonical_url and publisher); check the URL")
        }

        // 2. Keys, pinned by the fingerprints the metadata lists.
        var keyring = try await keys(from: metadata, refresh: metadataChanged, counters: counters, context: context)
        keyring?.acceptsV3Signatures = source.acceptsV3Signatures

        // 3. Listings: ROLIE feeds (TLP:WHITE/CLEAR) or changes.csv of directory distributions.
        // Unchanged feeds are read again from the cache only when documents failed before and must be retried; the
        // counts on the source say so without loading every document's state.
        let counts = try await store.source(slug: source.slug)
        // So are they when the last sync did not finish (a node killed mid-sync, or a failure): its feeds were cached
        // when fetched, but the documents after the point it reached were never looked at.
        let interrupted = counts.map { record in
            record.lastAttempt.map { attempt in record.lastSuccess.map { $0 < attempt } ?? true } ?? false
        } ?? false
        let retrying = interrupted || (counts?.documentsQuarantined ?? 0) + (counts?.documentsFailing ?? 0) > 0
        var listings: [Listing] = []
        var seen = Set<String>()
        for distribution in metadata["distributions"].arrayValue {
            for feed in distribution["rolie"]?["feeds"].arrayValue ?? [] {
                guard let url = feed["url"]?.stringValue else { continue }
                let tlp = (feed["tlp_label"]?.stringValue ?? "").uppercased()
                // TLP:WHITE/CLEAR is public; other labels only for a source with credentials configured.
                guard tlp == "WHITE" || tlp == "CLEAR" || credentials != nil else { continue }
                report.feeds += 1
                guard let body = try await fetchListing(url, counters: counters, retrying: retrying, report: &report, context: context) else { continue }
                for entry in try ProviderSync.rolieEntries(body, feedURL: url) where seen.insert(entry.url).inserted {
                    listings.append(entry)
                }
            }
            if let directory = distribution["directory_url"]?.stringValue {
                let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
                report.feeds += 1
                guard let body = try await fetchListing(base + "/changes.csv", counters: counters, retrying: retrying, report: &report, context: context) else { continue }
                for entry in ProviderSync.changesEntries(body, base: base) where seen.insert(entry.url).inserted {
                    listings.append(entry)
                }
            }
        }
        report.listed = listings.count

        // 4. What is new, newer, or failed before (an idle poll has no listing to compare and loads nothing).
        let known = listings.isEmpty ? [:] : try await store.remoteDocuments(source: source.slug)
        let due = listings.filter { listing in
            guard let state = known[listing.url] else { return true }
            return state.status != .stored || state.listedUpdate != listing.update
        }
        report.fetched = due.count
        try await fetchDocuments(due, source: source.slug, keyring: keyring, report: &report, counters: counters, progress: progress,
                                 context: context)
    }

    /// What every request of one sync shares.
    struct Context: Sendable {
        var credentials: Credentials?
        /// Where the source may connect: every URL its documents name and every redirect is held to it.
        var access: OutboundAccess
    }

    /// A listing's body when it changed (or when earlier failures must be retried from it); nil when unchanged.
    private func fetchListing(_ url: String, counters: FetchCounters, retrying: Bool, report: inout SyncReport, context: Context) async throws -> [UInt8]? {
        let cached = try await store.cachedResponse(for: url)
        let result: FetchResult
        do throws(FetchFailure) {
            result = try await fetcher.get(url, validators: cached?.validators, maxBytes: fetcher.policy.maxListingBytes,
                                           expectJSON: url.hasSuffix(".json"), counters: counters, credentials: context.credentials,
                                           access: context.access)
        } catch {
            throw SyncFailure(error, message: "could not read the listing \(url): \(error.message)")
        }
        switch result {
        case .notModified:
            report.feedsUnchanged += 1
            return retrying ? cached?.body : nil
        case .fetched(let body, let validators, _):
            try await store.saveCachedResponse(CachedResponse(validators: validators, body: body, fetchedAt: options.now()), for: url)
            return body
        }
    }

    /// A small resource (metadata, key) from the cache while it is fresh, else fetched conditionally.
    private func fetchCached(_ url: String, maxAge: TimeInterval, counters: FetchCounters, what: String, context: Context) async throws -> ([UInt8], changed: Bool) {
        let cached = try await store.cachedResponse(for: url)
        if let cached, options.now().timeIntervalSince(cached.fetchedAt) < maxAge { return (cached.body, false) }
        let result: FetchResult
        do throws(FetchFailure) {
            result = try await fetcher.get(url, validators: cached?.validators, maxBytes: fetcher.policy.maxListingBytes,
                                           expectJSON: url.hasSuffix(".json"), counters: counters, credentials: context.credentials,
                                           access: context.access)
        } catch {
            // Unreachable now, but known from before: go on with what was fetched last time.
            if let cached { return (cached.body, false) }
            throw SyncFailure(error, message: "could not read \(what) (\(error.message))")
        }
        switch result {
        case .notModified:
            guard var cached else { throw SyncFailure(.badResponse, message: "\(url) answered 304 Not Modified to an unconditional request") }
            cached.fetchedAt = options.now()
            try await store.saveCachedResponse(cached, for: url)
            return (cached.body, false)
        case .fetched(let body, let validators, _):
            try await store.saveCachedResponse(CachedResponse(validators: validators, body: body, fetchedAt: options.now()), for: url)
            return (body, body != cached?.body)
        }
    }

    private func keys(from metadata: JSONValue, refresh: Bool, counters: FetchCounters, context: Context) async throws -> Keyring? {
        let listed = metadata["public_openpgp_keys"].arrayValue
        guard !listed.isEmpty else { return nil }
        var certificates: [Certificate] = []
        // Mirrors and aggregators keep a key beside the metadata they publish, under its fingerprint, when the listed
        // URL is not theirs: tried when that URL cannot be read. The fingerprint pins the key wherever it comes from.
        let folder = metadata["canonical_url"]?.stringValue.flatMap { url in url.lastIndex(of: "/").map { String(url[..<$0]) } }
        for entry in listed {
            guard let listedURL = entry["url"]?.stringValue, let fingerprint = entry["fingerprint"]?.stringValue else {
                throw SyncFailure(.invalidMetadata, message: "the provider metadata lists an OpenPGP key without url or fingerprint; fix public_openpgp_keys")
            }
            let pinned = Keyring.normalise(fingerprint)
            let maxAge = refresh ? 0 : options.metadataRefresh
            var url = listedURL
            var bytes: [UInt8]
            do {
                (bytes, _) = try await fetchCached(url, maxAge: maxAge, counters: counters, what: "the OpenPGP key \(pinned) at \(url)", context: context)
            } catch let failure as SyncFailure {
                let beside = folder.map { [$0 + "/" + pinned + ".asc", $0 + "/openpgp/" + pinned + ".asc"] } ?? []
                var found: (url: String, bytes: [UInt8])?
                for candidate in beside where candidate != listedURL {
                    if let fetched = try? await fetchCached(candidate, maxAge: maxAge, counters: counters, what: "the OpenPGP key \(pinned) at \(candidate)",
                                                            context: context) {
                        found = (candidate, fetched.0)
                        break
                    }
                }
                guard let found else {
                    throw beside.isEmpty ? failure : SyncFailure(failure.kind, message: failure.message + "; nor is it beside the metadata at " + beside.joined(separator: " or "),
                                                                 retryAfter: failure.retryAfter)
                }
                (url, bytes) = found
            }
            let read: [Certificate]
            do {
                read = try Certificate.read(bytes)
            } catch {
                throw SyncFailure(.invalidKey, message: "the key at \(url) is not a readable OpenPGP public key (\(error)); documents were not fetched")
            }
            let matching = read.filter { $0.fingerprintHex == pinned }
            guard !matching.isEmpty else {
                throw SyncFailure(.keyMismatch, message: "the key at \(url) has fingerprint \(read.map(\.fingerprintHex).joined(separator: ", ")), not the \(pinned) the provider metadata pins; documents were not fetched")
            }
            certificates += matching
        }
        return Keyring(certificates: certificates)
    }

    private func fetchDocuments(_ due: [Listing], source: String, keyring: Keyring?, report: inout SyncReport,
                                counters: FetchCounters, progress: Progress?, context: Context) async throws {
        let fetcher = self.fetcher
        let maxBytes = fetcher.policy.maxDocumentBytes
        let health = HostHealth()
        var pending: [Task<DocumentResult, Never>] = []
        var next = 0
        func schedule() {
            while next < due.count, pending.count < options.concurrency {
                let listing = due[next]
                pending.append(Task {
                    await ProviderSync.fetchDocument(listing, fetcher: fetcher, keyring: keyring, maxBytes: maxBytes, counters: counters,
                                                     health: health, credentials: context.credentials, access: context.access)
                })
                next += 1
            }
        }
        schedule()
        var done = 0
        while !pending.isEmpty {
            let result = await pending.removeFirst().value
            schedule()
            let listing = result.listing
            switch result.outcome {
            case .document(let document):
                report.parsed += 1
                let outcome = try await store.ingest(document)
                switch outcome {
                case .new: report.new += 1
                case .updated: report.updated += 1
                case .unchanged: report.unchanged += 1
                case .historical: report.historical += 1
                case .conflict: report.conflicts += 1
                }
                try await store.saveRemoteDocument(RemoteDocumentState(url: listing.url, source: source, listedUpdate: listing.update,
                                                                       status: .stored, detail: outcome.rawValue, advisoryID: document.advisory.id))
            case .rejected(let rejected, let parsed):
                if parsed { report.parsed += 1 }
                report.quarantined += 1
                try await store.quarantine(rejected)
                report.problems.append(.init(url: listing.url, reason: rejected.reason))
                try await store.saveRemoteDocument(RemoteDocumentState(url: listing.url, source: source, listedUpdate: listing.update,
                                                                       status: .quarantined, detail: rejected.reason, advisoryID: rejected.advisoryID))
            case .failed(let reason):
                report.failed += 1
                report.problems.append(.init(url: listing.url, reason: reason))
                try await store.saveRemoteDocument(RemoteDocumentState(url: listing.url, source: source, listedUpdate: listing.update,
                                                                       status: .failed, detail: reason))
            }
            done += 1
            progress?(done, due.count)
        }
    }

    struct DocumentResult: Sendable {
        enum Outcome: Sendable {
            case document(IncomingDocument)
            case rejected(RejectedDocument, parsed: Bool)
            case failed(String)
        }
        var listing: Listing
        var outcome: Outcome
    }

    static func fetchDocument(_ listing: Listing, fetcher: HTTPFetcher, keyring: Keyring?, maxBytes: Int,
                              counters: FetchCounters, health: HostHealth, credentials: Credentials?,
                              access: OutboundAccess) async -> DocumentResult {
        func failed(_ reason: String) -> DocumentResult { DocumentResult(listing: listing, outcome: .failed(reason)) }
        let host = URLComponents(string: listing.url)?.host ?? ""
        if await health.isDown(host) {
            return failed("not tried: \(host) stopped answering during this sync (unreachable, refused or timing out); it will be tried again on the next sync")
        }
        let bytes: [UInt8]
        do {
            guard case .fetched(let body, _, _) = try await fetcher.get(listing.url, maxBytes: maxBytes, expectJSON: true, counters: counters,
                                                                        credentials: credentials, access: access) else {
                return failed("\(listing.url) answered 304 to an unconditional request")
            }
            bytes = body
            await health.succeeded(host)
        } catch {
            if error.hostUnreachable { await health.failed(host, at: error.kind == .timeout ? 1 : HostHealth.threshold) }
            return failed(error.message)
        }
        // Sidecars: those the listing names must be there; guessed ones may be missing.
        var sidecars = IntegrityChecker.Sidecars()
        for url in listing.hashURLs {
            do {
                guard case .fetched(let body, _, _) = try await fetcher.get(url, maxBytes: 1 << 16, counters: counters, credentials: credentials, access: access) else { continue }
                let text = String(decoding: body, as: UTF8.self)
                if url.hasSuffix(".sha512") { sidecars.sha512 = text } else if url.hasSuffix(".sha256") { sidecars.sha256 = text }
                // One guessed hash is enough: do not ask for the other.
                if !listing.hashesListed { break }
            } catch {
                if listing.hashesListed || error.status != 404 { return failed("its hash \(url) could not be fetched: \(error.message)") }
            }
        }
        if let url = listing.signatureURL {
            do {
                if case .fetched(let body, _, _) = try await fetcher.get(url, maxBytes: 1 << 16, counters: counters, credentials: credentials, access: access) { sidecars.signature = body }
            } catch {
                if listing.signatureListed || error.status != 404 { return failed("its signature \(url) could not be fetched: \(error.message)") }
            }
        }
        let fileName = URL(string: listing.url)?.lastPathComponent ?? listing.url
        let found = sidecars
        let outcome: DocumentResult.Outcome = await withCheckedContinuation { continuation in
            // Hashing, signature checking and parsing are CPU work: off the cooperative pool.
            DispatchQueue.global(qos: .utility).async {
                let (integrity, failure) = IntegrityChecker.check(bytes: bytes, fileName: fileName, sidecars: found, keyring: keyring)
                let content: JSONFileContent
                do throws(CSAFReadError) {
                    content = try CSAFDocumentReader.read(bytes, maxBytes: maxBytes, conformance: true)
                } catch {
                    continuation.resume(returning: .rejected(RejectedDocument(origin: listing.url, reason: error.message, code: QuarantineCode(error.code),
                                                                              bytes: bytes, sha256: integrity.sha256), parsed: true))
                    return
                }
                guard case .csaf(let parsed) = content else {
                    continuation.resume(returning: .rejected(RejectedDocument(origin: listing.url, reason: "the feed lists it as a CSAF document, but it is a \(JSONDocumentKindName(content))",
                                                                              code: .distributionFile, bytes: bytes, sha256: integrity.sha256), parsed: true))
                    return
                }
                if let failure {
                    continuation.resume(returning: .rejected(RejectedDocument(origin: listing.url, reason: failure, code: QuarantineCode(integrity.status), bytes: bytes,
                                                                              sha256: integrity.sha256, advisoryID: parsed.advisory.id), parsed: true))
                    return
                }
                continuation.resume(returning: .document(IncomingDocument(origin: listing.url, bytes: bytes, parsed: parsed, integrity: integrity)))
            }
        }
        return DocumentResult(listing: listing, outcome: outcome)
    }

    /// Entries of a ROLIE feed: the document URL (`self` link or content source), its update time, and its sidecars.
    static func rolieEntries(_ body: [UInt8], feedURL: String) throws -> [Listing] {
        let feed: JSONValue
        do {
            feed = try JSONParser.parse(body)
        } catch {
            throw SyncFailure(.invalidFeed, message: "the ROLIE feed \(feedURL) is not valid JSON: \(error)")
        }
        guard let entries = feed["feed"]?["entry"] else {
            throw SyncFailure(.invalidFeed, message: "\(feedURL) is not a ROLIE feed (no feed.entry)")
        }
        return entries.arrayValue.compactMap { entry in
            let links = entry["link"].arrayValue
            // "ref" for "rel" is a typo seen in CISA's own IT feed: read it rather than lose the sidecars.
            func link(_ rel: String) -> [String] {
                links.filter { ($0["rel"] ?? $0["ref"])?.stringValue == rel }.compactMap { $0["href"]?.stringValue }
            }
            guard let url = link("self").first ?? entry["content"]?["src"]?.stringValue else { return nil }
            let update = entry["updated"]?.stringValue ?? entry["published"]?.stringValue ?? ""
            let hashes = link("hash"), signature = link("signature").first
            // Sidecars sit beside the document (CSAF 2.0 §7.1.18): when the entry does not name them, try there.
            return Listing(url: url, update: update, hashURLs: hashes.isEmpty ? [url + ".sha512", url + ".sha256"] : hashes,
                           signatureURL: signature ?? url + ".asc", hashesListed: !hashes.isEmpty, signatureListed: signature != nil)
        }
    }

    /// Lines of `changes.csv` (CSAF 2.0 §7.1.13): `"path","timestamp"`, relative to the directory URL.
    static func changesEntries(_ body: [UInt8], base: String) -> [Listing] {
        String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \t")) }
            guard fields.count == 2, fields[0].hasSuffix(".json") else { return nil }
            let url = fields[0].contains("://") ? fields[0] : base + "/" + fields[0]
            return Listing(url: url, update: fields[1], hashURLs: [url + ".sha512", url + ".sha256"], signatureURL: url + ".asc",
                           hashesListed: false, signatureListed: false)
        }
    }
}

/// Hosts that stopped answering during one sync: after `threshold` timeouts or connection failures in a row, or one
/// name that does not resolve or connection refused, the remaining documents on that host are not tried (each would
/// wait for its own timeout); the next sync tries again.
actor HostHealth {
    static let threshold = 3
    private var failures: [String: Int] = [:]
    func isDown(_ host: String) -> Bool { failures[host, default: 0] >= HostHealth.threshold }
    /// Counts a failure as `weight` (a refused connection or a name that does not resolve counts as `threshold`).
    func failed(_ host: String, at weight: Int = 1) { failures[host, default: 0] += weight }
    func succeeded(_ host: String) { failures[host] = 0 }
}

private func JSONDocumentKindName(_ content: JSONFileContent) -> String {
    if case .distribution(let kind) = content { return kind.rawValue }
    return "JSON file that is not CSAF"
}

extension FetchFailure {
    var message: String { description }
}

extension Optional where Wrapped == JSONValue {
    /// The elements when this is an array; none otherwise.
    var arrayValue: [JSONValue] {
        if case .array(let items)? = self { return items }
        return []
    }
}

extension JSONValue {
    var arrayValue: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}

extension Duration {
    var secondsValue: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
