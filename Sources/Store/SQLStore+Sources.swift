import CSAF
import Foundation
import Storage

/// Sources, their poll leases, the HTTP cache, remote documents and the known-exploited catalogue: one implementation
/// for both databases.
extension SQLStore {
    public func sources() async throws -> [SourceRecord] {
        try await fetchAll("\(Self.sourceSelect) ORDER BY \(dialect.noCase("s.name")), s.slug").map(StoreRows.sourceRecord)
    }

    public func source(slug: String) async throws -> SourceRecord? {
        try await fetchOne("\(Self.sourceSelect) WHERE s.slug = ?", [slug]).map(StoreRows.sourceRecord)
    }

    public func saveSource(_ source: SourceRecord) async throws {
        try await transaction { db in
            try await db.execute("""
                INSERT INTO sources(slug, name, kind, url, enabled, poll_interval, last_attempt, last_success, last_error, next_poll,
                  mirrors, accept_v3, credentials_variable, consecutive_failures, failing_since, scheduled_interval,
                  allow_private_network)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (slug) DO UPDATE SET name = excluded.name, kind = excluded.kind, url = excluded.url,
                  enabled = excluded.enabled, poll_interval = excluded.poll_interval, last_attempt = excluded.last_attempt,
                  last_success = excluded.last_success, last_error = excluded.last_error, next_poll = excluded.next_poll,
                  mirrors = excluded.mirrors, accept_v3 = excluded.accept_v3, credentials_variable = excluded.credentials_variable,
                  consecutive_failures = excluded.consecutive_failures, failing_since = excluded.failing_since,
                  scheduled_interval = excluded.scheduled_interval, allow_private_network = excluded.allow_private_network
                """, [source.slug, source.name, source.kind.rawValue, source.url, source.enabled, source.pollInterval,
                      source.lastAttempt.map(Timestamp.format), source.lastSuccess.map(Timestamp.format),
                      source.lastError, source.nextPoll.map(Timestamp.format), source.mirrors.joined(separator: "\n"),
                      source.acceptsV3Signatures, source.credentialsVariable, source.consecutiveFailures,
                                 source.failingSince.map(Timestamp.format), source.scheduledInterval, source.allowPrivateNetwork])
            try await Self.bumpGeneration(db)
        }
    }

    public func saveSourceQuality(slug: String, quality: SourceQuality) async throws -> Bool {
        try await transaction { db in
            let saved = !(try await db.fetchAll("""
                UPDATE sources SET quality_checked_at = ?, quality_role = ?, quality_summary = ?, quality_report = ?
                WHERE slug = ? RETURNING slug
                """, [Timestamp.format(quality.checkedAt), quality.role, quality.summary, quality.report, slug])).isEmpty
            if saved { try await Self.bumpGeneration(db) }
            return saved
        }
    }

    public func removeSource(slug: String) async throws -> Bool {
        try await transaction { db in
            let removed = !(try await db.fetchAll("DELETE FROM sources WHERE slug = ? RETURNING slug", [slug])).isEmpty
            try await db.execute("DELETE FROM remote_documents WHERE source = ?", [slug])
            try await Self.bumpGeneration(db)
            return removed
        }
    }

    public func seedSourcesOnce(_ sources: [SourceRecord]) async throws -> Int {
        try await transaction { db in
            // The marker is claimed first: a second node seeding at the same moment waits for this commit, then finds
            // the marker taken and adds nothing.
            guard try await db.fetchValue("""
                INSERT INTO meta(key, value) VALUES ('sources_seeded', 1) ON CONFLICT (key) DO NOTHING RETURNING value
                """, as: Int64.self) != nil else { return 0 }
            let before = try await db.fetchValue("SELECT COUNT(*) FROM sources", as: Int.self) ?? 0
            try await insertRows("sources", ["slug", "name", "kind", "url", "enabled", "poll_interval"],
                                 sources.map { [$0.slug, $0.name, $0.kind.rawValue, $0.url, $0.enabled, $0.pollInterval] },
                                 suffix: "ON CONFLICT (slug) DO NOTHING", in: db)
            let added = (try await db.fetchValue("SELECT COUNT(*) FROM sources", as: Int.self) ?? 0) - before
            try await Self.bumpGeneration(db)
            return added
        }
    }

    public func cachedResponse(for url: String) async throws -> CachedResponse? {
        try await fetchOne("SELECT etag, last_modified, body, fetched_at FROM http_cache WHERE url = ?", [url]).map { row in
            CachedResponse(validators: HTTPValidators(etag: row["etag"], lastModified: row["last_modified"]),
                           body: row["body"], fetchedAt: Timestamp.parse(row["fetched_at"]) ?? Date(timeIntervalSince1970: 0))
        }
    }

    public func saveCachedResponse(_ response: CachedResponse, for url: String) async throws {
        try await execute("""
            INSERT INTO http_cache(url, etag, last_modified, body, fetched_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
              body = excluded.body, fetched_at = excluded.fetched_at
            """, [url, response.validators.etag, response.validators.lastModified, response.body,
                  Timestamp.format(response.fetchedAt)])
    }

    public func remoteDocuments(source: String) async throws -> [String: RemoteDocumentState] {
        var result: [String: RemoteDocumentState] = [:]
        for row in try await fetchAll("""
            SELECT url, source, listed_update, status, detail, advisory_id FROM remote_documents WHERE source = ?
            """, [source]) {
            let state = Self.remoteDocument(row)
            result[state.url] = state
        }
        return result
    }

    public func saveRemoteDocument(_ state: RemoteDocumentState) async throws {
        try await execute("""
            INSERT INTO remote_documents(url, source, listed_update, status, detail, advisory_id, checked_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (url) DO UPDATE SET source = excluded.source, listed_update = excluded.listed_update,
              status = excluded.status, detail = excluded.detail, advisory_id = excluded.advisory_id,
              checked_at = excluded.checked_at
            """, [state.url, state.source, state.listedUpdate, state.status.rawValue, state.detail, state.advisoryID,
                  Timestamp.format(Date())])
    }

    /// Documents that failed on the last sync of a source, newest first: for the Sources page and the CLI.
    public func failingDocuments(source: String, limit: Int = 50) async throws -> [RemoteDocumentState] {
        try await fetchAll("""
            SELECT url, source, listed_update, status, detail, advisory_id FROM remote_documents
            WHERE source = ? AND status IN ('quarantined', 'failed') ORDER BY \(dialect.binary("checked_at")) DESC, \(dialect.binary("url")) LIMIT ?
            """, [source, limit]).map(Self.remoteDocument)
    }

    public func replaceKnownExploited(_ entries: [KnownExploitedVulnerability], catalogVersion: String) async throws -> (added: Int, removed: Int) {
        try await transaction { db in
            let before = Set(try await db.fetchValues("SELECT cve FROM kev", as: String.self))
            let after = Set(entries.map(\.cve))
            try await db.execute("DELETE FROM kev")
            // A CVE listed twice keeps its last entry; one multi-row INSERT cannot hold the same key twice.
            var last: [String: Int] = [:]
            for (index, entry) in entries.enumerated() { last[entry.cve] = index }
            try await insertRows("kev", ["cve", "vendor", "product", "name", "date_added", "due_date", "required_action", "ransomware"],
                                 entries.enumerated().filter { last[$0.element.cve] == $0.offset }.map { _, e in
                                     [e.cve, e.vendor, e.product, e.name, e.dateAdded, e.dueDate, e.requiredAction, e.ransomware]
                                 }, in: db)
            try await db.execute("""
                INSERT INTO meta(key, value) VALUES ('kev_entries', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, [entries.count])
            // CVEs newly listed are news for the advisories naming them: journal one change per advisory for alert
            // creation. The first catalogue loaded is history (thousands of old listings) and alerts nobody.
            let added = after.subtracting(before)
            if !before.isEmpty, !added.isEmpty {
                let now = Timestamp.format(Date())
                let cves = added.sorted()
                let rows = try await db.fetchAll("""
                    SELECT a.id, a.document_id, v.cve FROM advisories a JOIN vulnerabilities v ON v.advisory_seq = a.seq
                    WHERE v.cve IN (\(Self.placeholders(cves.count))) ORDER BY \(dialect.binary("a.id")), \(dialect.binary("v.cve"))
                    """, SQLArguments(cves))
                var byAdvisory: [(id: String, document: Int64, cves: [String])] = []
                for row in rows {
                    let id: String = row["id"], cve: String = row["cve"]
                    if byAdvisory.last?.id == id {
                        if byAdvisory[byAdvisory.count - 1].cves.last != cve { byAdvisory[byAdvisory.count - 1].cves.append(cve) }
                    } else {
                        byAdvisory.append((id, row["document_id"], [cve]))
                    }
                }
                try await insertRows("advisory_changes", ["advisory_id", "document_id", "previous_document_id", "recorded_at", "known_exploited"],
                                     byAdvisory.map { [$0.id, $0.document, $0.document, now, $0.cves.joined(separator: ",")] }, in: db)
            }
            try await Self.bumpGeneration(db)
            return (after.subtracting(before).count, before.subtracting(after).count)
        }
    }

    static var sourceSelect: String { """
        SELECT s.*,
          (SELECT COUNT(*) FROM remote_documents r WHERE r.source = s.slug AND r.status = 'stored') AS held,
          (SELECT COUNT(*) FROM remote_documents r WHERE r.source = s.slug AND r.status = 'quarantined') AS quarantined,
          (SELECT COUNT(*) FROM remote_documents r WHERE r.source = s.slug AND r.status = 'failed') AS failing
        FROM sources s
        """
    }

    static func remoteDocument(_ row: SQLRow) -> RemoteDocumentState {
        RemoteDocumentState(url: row["url"], source: row["source"], listedUpdate: row["listed_update"],
                            status: RemoteDocumentState.Status(rawValue: row["status"]) ?? .failed,
                            detail: row["detail"], advisoryID: row["advisory_id"])
    }
}

/// Poll leases (more specific than `SourceStateStore`'s default of no lease, which a single process may use).
extension SQLStore where Self: SourceStateStore {
    public func claimSourcePoll(slug: String, holder: String, until: Date, now: Date) async throws -> Bool {
        try await fetchOne(SourceLeaseSQL.claim, [slug, holder, Timestamp.format(until), Timestamp.format(now)]) != nil
    }

    public func releaseSourcePoll(slug: String, holder: String) async throws {
        try await execute(SourceLeaseSQL.release, [slug, holder])
    }
}

/// The lease statements, the same on both stores: a free or lapsed lease is taken, the holder's own is renewed, and a
/// live lease of another holder is left alone (no row returned).
enum SourceLeaseSQL {
    static let claim = """
        INSERT INTO source_leases(slug, holder, lease_until) VALUES (?, ?, ?)
        ON CONFLICT (slug) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
        WHERE source_leases.lease_until < ? OR source_leases.holder = excluded.holder
        RETURNING holder
        """
    static let release = "DELETE FROM source_leases WHERE slug = ? AND holder = ?"
}

extension SQLiteStore: SourceStateStore {}
extension PostgresStore: SourceStateStore {}
