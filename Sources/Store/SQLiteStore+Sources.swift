import CSAF
import Foundation
import GRDB

extension SQLiteStore: SourceStateStore {
    public func sources() async throws -> [SourceRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "\(SQLiteStore.sourceSelect) ORDER BY s.name COLLATE NOCASE").map(SQLiteStore.sourceRecord)
        }
    }

    public func source(slug: String) async throws -> SourceRecord? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "\(SQLiteStore.sourceSelect) WHERE s.slug = ?", arguments: [slug]).map(SQLiteStore.sourceRecord)
        }
    }

    public func saveSource(_ source: SourceRecord) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO sources(slug, name, kind, url, enabled, poll_interval, last_attempt, last_success, last_error, next_poll,
                  mirrors, accept_v3, credentials_variable, consecutive_failures, failing_since, scheduled_interval,
                  allow_private_network)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(slug) DO UPDATE SET name = excluded.name, kind = excluded.kind, url = excluded.url,
                  enabled = excluded.enabled, poll_interval = excluded.poll_interval, last_attempt = excluded.last_attempt,
                  last_success = excluded.last_success, last_error = excluded.last_error, next_poll = excluded.next_poll,
                  mirrors = excluded.mirrors, accept_v3 = excluded.accept_v3, credentials_variable = excluded.credentials_variable,
                  consecutive_failures = excluded.consecutive_failures, failing_since = excluded.failing_since,
                  scheduled_interval = excluded.scheduled_interval, allow_private_network = excluded.allow_private_network
                """, arguments: [source.slug, source.name, source.kind.rawValue, source.url, source.enabled, source.pollInterval,
                                 source.lastAttempt.map(Timestamp.format), source.lastSuccess.map(Timestamp.format),
                                 source.lastError, source.nextPoll.map(Timestamp.format), source.mirrors.joined(separator: "\n"),
                                 source.acceptsV3Signatures, source.credentialsVariable, source.consecutiveFailures,
                                 source.failingSince.map(Timestamp.format), source.scheduledInterval, source.allowPrivateNetwork])
            try SQLiteStore.bumpGeneration(db)
        }
    }

    public func removeSource(slug: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM sources WHERE slug = ?", arguments: [slug])
            let removed = db.changesCount > 0
            try db.execute(sql: "DELETE FROM remote_documents WHERE source = ?", arguments: [slug])
            try SQLiteStore.bumpGeneration(db)
            return removed
        }
    }

    public func seedSourcesOnce(_ sources: [SourceRecord]) async throws -> Int {
        try await writer.write { db in
            guard try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'sources_seeded'") == nil else { return 0 }
            var added = 0
            for source in sources {
                try db.execute(sql: """
                    INSERT INTO sources(slug, name, kind, url, enabled, poll_interval) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(slug) DO NOTHING
                    """, arguments: [source.slug, source.name, source.kind.rawValue, source.url, source.enabled, source.pollInterval])
                added += db.changesCount
            }
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('sources_seeded', 1)")
            try SQLiteStore.bumpGeneration(db)
            return added
        }
    }

    public func cachedResponse(for url: String) async throws -> CachedResponse? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT etag, last_modified, body, fetched_at FROM http_cache WHERE url = ?", arguments: [url])
                .map { row in
                    CachedResponse(validators: HTTPValidators(etag: row["etag"], lastModified: row["last_modified"]),
                                   body: [UInt8](row["body"] as Data),
                                   fetchedAt: Timestamp.parse(row["fetched_at"]) ?? Date(timeIntervalSince1970: 0))
                }
        }
    }

    public func saveCachedResponse(_ response: CachedResponse, for url: String) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO http_cache(url, etag, last_modified, body, fetched_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                  body = excluded.body, fetched_at = excluded.fetched_at
                """, arguments: [url, response.validators.etag, response.validators.lastModified, Data(response.body),
                                 Timestamp.format(response.fetchedAt)])
        }
    }

    public func remoteDocuments(source: String) async throws -> [String: RemoteDocumentState] {
        try await writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT url, source, listed_update, status, detail, advisory_id FROM remote_documents WHERE source = ?
                """, arguments: [source])
            var result: [String: RemoteDocumentState] = [:]
            for row in rows {
                let url: String = row["url"]
                result[url] = RemoteDocumentState(url: url, source: row["source"], listedUpdate: row["listed_update"],
                                                  status: RemoteDocumentState.Status(rawValue: row["status"]) ?? .failed,
                                                  detail: row["detail"], advisoryID: row["advisory_id"])
            }
            return result
        }
    }

    public func saveRemoteDocument(_ state: RemoteDocumentState) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO remote_documents(url, source, listed_update, status, detail, advisory_id, checked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(url) DO UPDATE SET source = excluded.source, listed_update = excluded.listed_update,
                  status = excluded.status, detail = excluded.detail, advisory_id = excluded.advisory_id,
                  checked_at = excluded.checked_at
                """).execute(arguments: [state.url, state.source, state.listedUpdate, state.status.rawValue, state.detail,
                                         state.advisoryID, Timestamp.format(Date())])
        }
    }

    /// Documents that failed on the last sync of a source, newest first: for the Sources page and the CLI.
    public func failingDocuments(source: String, limit: Int = 50) async throws -> [RemoteDocumentState] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT url, source, listed_update, status, detail, advisory_id FROM remote_documents
                WHERE source = ? AND status IN ('quarantined', 'failed') ORDER BY checked_at DESC, url LIMIT ?
                """, arguments: [source, limit]).map { row in
                RemoteDocumentState(url: row["url"], source: row["source"], listedUpdate: row["listed_update"],
                                    status: RemoteDocumentState.Status(rawValue: row["status"]) ?? .failed,
                                    detail: row["detail"], advisoryID: row["advisory_id"])
            }
        }
    }

    public func replaceKnownExploited(_ entries: [KnownExploitedVulnerability], catalogVersion: String) async throws -> (added: Int, removed: Int) {
        try await writer.write { db in
            let before = Set(try String.fetchAll(db, sql: "SELECT cve FROM kev"))
            let after = Set(entries.map(\.cve))
            try db.execute(sql: "DELETE FROM kev")
            let insert = try db.makeStatement(sql: """
                INSERT OR REPLACE INTO kev(cve, vendor, product, name, date_added, due_date, required_action, ransomware)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for e in entries {
                try insert.execute(arguments: [e.cve, e.vendor, e.product, e.name, e.dateAdded, e.dueDate, e.requiredAction, e.ransomware])
            }
            try db.execute(sql: """
                INSERT INTO meta(key, value) VALUES ('kev_entries', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value
                """, arguments: [entries.count])
            // CVEs newly listed are news for the advisories naming them: journal one change per advisory for alert
            // creation. The first catalogue loaded is history (thousands of old listings) and alerts nobody.
            let added = after.subtracting(before)
            if !before.isEmpty, !added.isEmpty {
                let now = Timestamp.format(Date())
                let rows = try Row.fetchAll(db, sql: """
                    SELECT a.id, a.document_id, v.cve FROM advisories a JOIN vulnerabilities v ON v.advisory_seq = a.seq
                    WHERE v.cve IN (SELECT value FROM json_each(?)) ORDER BY a.id, v.cve
                    """, arguments: [String(decoding: try JSONEncoder().encode(added.sorted()), as: UTF8.self)])
                var byAdvisory: [(id: String, document: Int64, cves: [String])] = []
                for row in rows {
                    let id: String = row["id"], cve: String = row["cve"]
                    if byAdvisory.last?.id == id {
                        if byAdvisory[byAdvisory.count - 1].cves.last != cve { byAdvisory[byAdvisory.count - 1].cves.append(cve) }
                    } else {
                        byAdvisory.append((id, row["document_id"], [cve]))
                    }
                }
                for entry in byAdvisory {
                    try db.execute(sql: """
                        INSERT INTO advisory_changes(advisory_id, document_id, previous_document_id, recorded_at, known_exploited)
                        VALUES (?, ?, ?, ?, ?)
                        """, arguments: [entry.id, entry.document, entry.document, now, entry.cves.joined(separator: ",")])
                }
            }
            try SQLiteStore.bumpGeneration(db)
            return (after.subtracting(before).count, before.subtracting(after).count)
        }
    }

    static let sourceSelect = """
        SELECT s.*,
          (SELECT COUNT(*) FROM remote_documents r WHERE r.source = s.slug AND r.status = 'stored') AS held,
          (SELECT COUNT(*) FROM remote_documents r WHERE r.source = s.slug AND r.status = 'quarantined') AS quarantined,
          (SELECT COUNT(*) FROM remote_documents r WHERE r.source = s.slug AND r.status = 'failed') AS failing
        FROM sources s
        """

    static func sourceRecord(_ row: Row) -> SourceRecord { StoreRows.sourceRecord(SQLRow(row)) }
}

extension SQLiteStore {
    public func claimSourcePoll(slug: String, holder: String, until: Date, now: Date) async throws -> Bool {
        try await writer.write { db in
            try Row.fetchOne(db, sql: SourceLeaseSQL.claim,
                             arguments: [slug, holder, Timestamp.format(until), Timestamp.format(now)]) != nil
        }
    }

    public func releaseSourcePoll(slug: String, holder: String) async throws {
        try await writer.write { db in try db.execute(sql: SourceLeaseSQL.release, arguments: [slug, holder]) }
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
