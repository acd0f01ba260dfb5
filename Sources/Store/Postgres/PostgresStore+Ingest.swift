import CSAF
import Foundation

extension PostgresStore {
    // MARK: Ingest

    public func ingest(_ document: IncomingDocument) async throws -> IngestOutcome {
        try await transaction { db in
            let (outcome, changed) = try await storeDocument(document, db: db)
            if changed { try await PostgresStore.bumpGeneration(db) }
            return outcome
        }
    }

    /// Stores the documents in one transaction, as SQLite does: one commit per batch. When any document fails, the
    /// transaction is rolled back and the batch is stored again one document per transaction, so the outcome is that of
    /// storing them one at a time (the documents before the failing one kept, its error thrown).
    public func ingest(batch documents: [IncomingDocument]) async throws -> [IngestOutcome] {
        if documents.count > 1 {
            do {
                return try await transaction { db in
                    var outcomes: [IngestOutcome] = []
                    outcomes.reserveCapacity(documents.count)
                    var changed = false
                    for document in documents {
                        let (outcome, wrote) = try await storeDocument(document, db: db)
                        outcomes.append(outcome)
                        changed = changed || wrote
                    }
                    if changed { try await PostgresStore.bumpGeneration(db) }
                    return outcomes
                }
            } catch {
                // Rolled back; fall through to one transaction per document.
            }
        }
        var outcomes: [IngestOutcome] = []
        outcomes.reserveCapacity(documents.count)
        for document in documents { outcomes.append(try await ingest(document)) }
        return outcomes
    }

    /// One document's rows and its exposures inside the caller's transaction; says whether anything was written, so the
    /// caller bumps the generation once, just before its commit (the `meta` row is then locked only briefly, and never
    /// by a transaction still waiting for an advisory lock, which would let two batches deadlock on it).
    func storeDocument(_ document: IncomingDocument, db: SQLConnection) async throws -> (IngestOutcome, changed: Bool) {
        // Two nodes storing the same advisory take turns: the second sees the first one's rows once it commits. The
        // shared inventory lock keeps an inventory import (which takes it exclusively) from computing exposures against
        // advisories it cannot see yet while this one computes them against assets it cannot see.
        let db = TextSafe(base: db)
        try await db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0)), pg_advisory_xact_lock_shared(?)",
                             [document.advisory.id, PostgresStore.inventoryLock])
        let (outcome, changed, inventory) = try await PostgresStore.ingest(document, db: db)
        // Exposures follow the advisory in the same transaction: an alert never sees a half-updated picture.
        if let inventory {
            try await PostgresStore.recomputeExposures(advisoryID: document.advisory.id, inventory: inventory, db: db,
                                                       cache: assetIndexCache)
        }
        return (outcome, outcome != .unchanged || changed)
    }

    public func quarantine(_ document: RejectedDocument) async throws {
        try await transaction { connection in
            let db = TextSafe(base: connection)
            try await db.execute("""
                INSERT INTO quarantine(origin, reason, code, advisory_id, sha256, size, raw, detected_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (origin, sha256) DO UPDATE SET reason = excluded.reason, code = excluded.code
                """, [document.origin, document.reason, document.code, document.advisoryID, document.sha256 ?? "",
                      document.bytes?.count, document.bytes, Timestamp.format(Date())])
            try await PostgresStore.bumpGeneration(db)
        }
    }

    /// The outcome of storing one document (SQLite's rules, case for case), whether an unchanged one had its integrity
    /// raised, and for a new or updated one `inventoryState`'s row.
    static func ingest(_ incoming: IncomingDocument, db: some SQLExecutor) async throws -> (IngestOutcome, Bool, SQLRow?) {
        let advisory = incoming.advisory
        let tracking = incoming.tracking
        let sha256 = incoming.integrity.sha256

        // What SQLite asks in three queries, in one round trip: the same bytes stored?, a stored revision with this
        // version and status?, the current revision.
        let probe = try await db.fetchOne("""
            SELECT (SELECT integrity FROM documents WHERE advisory_id = ? AND sha256 = ?) AS stored_integrity,
              (SELECT sha256 FROM documents WHERE advisory_id = ? AND version = ? AND (status IS NULL OR status = ?)
               ORDER BY id LIMIT 1) AS clash,
              a.seq, d.id AS document_id, d.version, d.current_release_date_raw, d.status
            FROM (SELECT 1) AS one LEFT JOIN advisories a ON a.id = ? LEFT JOIN documents d ON d.id = a.document_id
            """, [advisory.id, sha256, advisory.id, tracking.version, tracking.status.rawValue, advisory.id])!

        if let stored = probe["stored_integrity"] as String? {
            // The same bytes again. When this time the check got further (a key became known and the signature
            // verified), record that; a weaker check never overwrites a stronger one.
            let integrity = incoming.integrity
            guard SQLiteStore.integrityRank(integrity.status) > SQLiteStore.integrityRank(IntegrityStatus(rawValue: stored) ?? .unsigned) else {
                return (.unchanged, false, nil)
            }
            try await db.execute("""
                UPDATE documents SET integrity = ?, integrity_detail = ?, signer = ?,
                  signature = COALESCE(?, signature), sha256_sidecar = COALESCE(?, sha256_sidecar),
                  sha512_sidecar = COALESCE(?, sha512_sidecar)
                WHERE advisory_id = ? AND sha256 = ?
                """, [integrity.status.rawValue, integrity.detail, integrity.signer, integrity.signature,
                      integrity.sha256Sidecar, integrity.sha512Sidecar, advisory.id, sha256])
            return (.unchanged, true, nil)
        }
        let currentSeq: Int64? = probe["seq"]
        let order: Int? = currentSeq.map { _ in
            RevisionOrder.compare(version: tracking.version, date: tracking.currentReleaseDate, status: tracking.status,
                                  to: probe["version"], date: probe["current_release_date_raw"],
                                  status: (probe["status"] as String?).flatMap(Tracking.Status.init(rawValue:)))
        }
        // Same version and status already stored with other bytes (current or in history): a conflict, never an
        // overwrite. The same version with another status (interim made final) is another revision.
        if let storedSHA = probe["clash"] as String?, (order ?? 0) <= 0 {
            try await db.execute("""
                INSERT INTO conflicts(advisory_id, version, stored_sha256, incoming_sha256, origin, raw, detected_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (advisory_id, version, incoming_sha256) DO NOTHING
                """, [advisory.id, tracking.version, storedSHA, sha256, incoming.origin, incoming.bytes, Timestamp.format(Date())])
            return (.conflict, true, nil)
        }
        let documentID = try await insertDocument(incoming, db: db)
        guard let currentSeq, let order else {
            let seq = try await insertAdvisory(advisory, documentID: documentID, seq: nil, db: db)
            let inventory = try await insertAdvisoryRows(advisory, seq: seq, documentID: documentID, previousDocumentID: nil, db: db)
            return (.new, true, inventory)
        }
        if order > 0 {
            try await db.execute("""
                WITH v AS (DELETE FROM vulnerabilities WHERE advisory_seq = ?), p AS (DELETE FROM products WHERE advisory_seq = ?),
                  r AS (DELETE FROM remediations WHERE advisory_seq = ?), s AS (DELETE FROM sectors WHERE advisory_seq = ?)
                DELETE FROM advisory_vendors WHERE advisory_seq = ?
                """, [currentSeq, currentSeq, currentSeq, currentSeq, currentSeq])
            _ = try await insertAdvisory(advisory, documentID: documentID, seq: currentSeq, db: db)
            let inventory = try await insertAdvisoryRows(advisory, seq: currentSeq, documentID: documentID,
                                                         previousDocumentID: probe["document_id"], db: db)
            return (.updated, true, inventory)
        }
        return (.historical, true, nil)
    }

    static func insertDocument(_ incoming: IncomingDocument, db: some SQLExecutor) async throws -> Int64 {
        let tracking = incoming.tracking
        let integrity = incoming.integrity
        // The bytes go once: `$1` is the raw column's placeholder, read again for the jsonb copy.
        return try await db.fetchValue("""
            INSERT INTO documents(raw, document, advisory_id, version, current_release_date, current_release_date_raw, status,
              sha256, sha512, size, origin, integrity, integrity_detail, sha256_sidecar, sha512_sidecar, signature,
              imported_at, signer)
            VALUES (?, vigil_jsonb($1), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING id
            """, [incoming.bytes, incoming.advisory.id, tracking.version,
                  incoming.advisory.currentReleaseDate.map(Timestamp.format), tracking.currentReleaseDate,
                  tracking.status.rawValue, integrity.sha256, integrity.sha512, incoming.bytes.count, incoming.origin,
                  integrity.status.rawValue, integrity.detail, integrity.sha256Sidecar, integrity.sha512Sidecar,
                  integrity.signature, Timestamp.format(Date()), integrity.signer])!
    }

    /// Inserts (or, with `seq`, rewrites) the advisory's row with its search vector; returns its seq.
    /// An advisory's search vector from four bound texts (`searchArguments`), weighted as SQLite's bm25 weights rank:
    /// title and CVEs, vendors, products, the risk summary.
    static let searchVector = """
        setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B')
          || setweight(to_tsvector('simple', ?), 'C') || setweight(to_tsvector('simple', ?), 'D')
        """

    /// The four texts `searchVector` binds; the same texts SQLite's FTS columns hold (which is how a copied store gets
    /// the vector ingest would have made).
    static func searchArguments(title: String, cves: String, vendors: String, products: String, summary: String) -> SQLArguments {
        [FullText.indexText(title + " " + cves), FullText.indexText(vendors), FullText.indexText(products), FullText.indexText(summary)]
    }

    static func insertAdvisory(_ a: Advisory, documentID: Int64, seq existingSeq: Int64?, db: some SQLExecutor) async throws -> Int64 {
        let year = (a.initialReleaseDate ?? a.currentReleaseDate).map(Timestamp.year)
        let score = a.highestScore
        var productText = ""
        for p in a.products {
            productText += p.product
            if let version = p.version { productText += " " + version }
            for model in p.modelNumbers { productText += " " + model }
            productText += "\n"
        }
        let arguments: SQLArguments = [
            documentID, a.title, a.publisher.name, a.publisher.namespace, a.publisher.category, a.category,
            a.status, a.tlp, a.version, a.initialReleaseDate.map(Timestamp.format),
            a.currentReleaseDate.map(Timestamp.format), year, score?.score, a.severity.rawValue, a.severity.rank,
            score?.vector, a.riskSummary, a.sourceURL, a.vendors.joined(separator: "\n"), a.vulnerabilities.count,
        ] + PostgresStore.searchArguments(title: a.title, cves: a.cves.joined(separator: " "), vendors: a.vendors.joined(separator: " "),
                                          products: productText, summary: a.riskSummary ?? "")
        let search = PostgresStore.searchVector
        if let existingSeq {
            try await db.execute("""
                UPDATE advisories SET document_id = ?, title = ?, publisher = ?, publisher_namespace = ?,
                  publisher_category = ?, category = ?, status = ?, tlp = ?, version = ?, initial_release_date = ?,
                  current_release_date = ?, year = ?, cvss_score = ?, severity = ?, severity_rank = ?, cvss_vector = ?,
                  risk_summary = ?, source_url = ?, vendors = ?, cve_count = ?, search = \(search)
                WHERE seq = ?
                """, arguments + [existingSeq])
            return existingSeq
        }
        return try await db.fetchValue("""
            INSERT INTO advisories(id, document_id, title, publisher, publisher_namespace, publisher_category,
              category, status, tlp, version, initial_release_date, current_release_date, year, cvss_score,
              severity, severity_rank, cvss_vector, risk_summary, source_url, vendors, cve_count, search)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(search))
            RETURNING seq
            """, [a.id] + arguments)!
    }

    /// The advisory's vulnerabilities, products, remediations, sectors and vendors, and the journal row for alert
    /// creation: each table's rows in one multi-row INSERT, all of them in as few statements as the parameter limit allows.
    /// Returns `inventoryState`'s row, read after the inserts.
    static func insertAdvisoryRows(_ a: Advisory, seq: Int64, documentID: Int64, previousDocumentID: Int64?,
                                   db: some SQLExecutor) async throws -> SQLRow {
        var insert = MultiRowInsert()
        insert.add("vulnerabilities", ["advisory_seq", "position", "cve", "title", "cwe_id", "cwe_name", "cvss_score", "severity",
                                       "cvss_vector", "summary"],
                   rows: a.vulnerabilities.enumerated().map { position, v in
                       [seq, position, v.cve, v.title, v.cweID, v.cweName, v.score?.score, v.score?.severity.rawValue,
                        v.score?.vector, v.summary]
                   })
        insert.add("products", ["advisory_seq", "position", "product_id", "vendor", "product", "version_text", "full_name", "status",
                                "cpe", "purl", "model_numbers"],
                   rows: a.products.enumerated().map { position, p in
                       [seq, position, p.productID, p.vendor, p.product, p.version, p.fullName, p.status.rawValue, p.cpe, p.purl,
                        p.modelNumbers.isEmpty ? nil : p.modelNumbers.joined(separator: "\n")]
                   })
        insert.add("remediations", ["advisory_seq", "position", "category", "details", "url", "product_ids", "cves"],
                   rows: a.remediations.enumerated().map { position, r in
                       [seq, position, r.category, r.details, r.url, r.productIDs.joined(separator: "\n"), r.cves.joined(separator: "\n")]
                   })
        insert.add("sectors", ["advisory_seq", "sector"], rows: a.sectors.map { [seq, $0] }, suffix: "ON CONFLICT DO NOTHING")
        let vendorIDs = try await vendorIDs(a.vendors, db: db)
        insert.add("advisory_vendors", ["advisory_seq", "vendor_id"], rows: a.vendors.map { [seq, vendorIDs[TextSafe.clean($0)]!] },
                   suffix: "ON CONFLICT DO NOTHING")
        insert.add("advisory_changes", ["advisory_id", "document_id", "previous_document_id", "recorded_at"],
                   rows: [[a.id, documentID, previousDocumentID, Timestamp.format(Date())]])
        // The same round trip says whether there are assets to compute exposures for (see `recomputeExposures`).
        return try await insert.run(db, then: PostgresStore.inventoryState).first!
    }

    /// Each vendor's id (keyed by `TextSafe.clean(name)`), creating the vendors not stored yet with a slug no other vendor has. Another node may create
    /// the same vendor (or take the same slug) at the same moment: the insert then does nothing and it is looked up, or
    /// the next slug is tried.
    static func vendorIDs(_ names: [String], db: some SQLExecutor) async throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        // In the advisory's order, as SQLite creates them: two new names with the same slug get theirs in that order.
        var unique: [String] = []
        for name in names.map(TextSafe.clean) where !unique.contains(name) { unique.append(name) }
        guard !unique.isEmpty else { return ids }
        for row in try await db.fetchAll("SELECT id, name FROM vendors WHERE name IN (\(placeholders(unique.count)))",
                                         SQLArguments(unique)) {
            ids[row["name"]] = row["id"]
        }
        for name in unique where ids[name] == nil {
            let base = Slug.make(name)
            var suffix = 1
            while ids[name] == nil {
                var slug = suffix == 1 ? base : "\(base)-\(suffix)"
                while try await db.fetchValue("SELECT 1 FROM vendors WHERE slug = ?", [slug], as: Int.self) != nil {
                    suffix += 1
                    slug = "\(base)-\(suffix)"
                }
                if let id = try await db.fetchValue("""
                    INSERT INTO vendors(name, slug) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING id
                    """, [name, slug], as: Int64.self) {
                    ids[name] = id
                } else if let id = try await db.fetchValue("SELECT id FROM vendors WHERE name = ?", [name], as: Int64.self) {
                    ids[name] = id
                } else {
                    suffix += 1
                }
            }
        }
        return ids
    }

    /// `?, ?, ?` for an IN list.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Key of the advisory lock that orders inventory changes against ingests (see `storeDocument`).
    static let inventoryLock: Int64 = 0x5649_4749_4C00_0002
}

/// Runs statements with U+0000 removed from every text argument: JSON may carry it (`\u0000`), PostgreSQL text cannot
/// (SQLite can). The document's bytes keep it; only the columns extracted for lists and search lose it.
struct TextSafe: SQLExecutor {
    let base: SQLConnection

    func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        try await base.fetchAll(sql, SQLArguments(arguments.values.map { value in
            if case .text(let text) = value, text.utf8.contains(0) { return .text(TextSafe.clean(text)) }
            return value
        }))
    }

    static func clean(_ text: String) -> String {
        text.utf8.contains(0) ? String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{0}" })) : text
    }
}

/// Rows for several tables, inserted with one `INSERT … VALUES (…), (…)` per table, the tables joined into one statement
/// through data-modifying `WITH` clauses: a CISA advisory's hundreds of rows cost one round trip instead of hundreds.
/// A statement stays under 60,000 parameters (PostgreSQL's limit is 65,535); a larger table is split across statements.
struct MultiRowInsert {
    static let parameterLimit = 60_000
    private var parts: [(sql: String, arguments: [SQLValue])] = []

    /// Queues `rows` for `table`; every row has one value per column. `suffix` follows the VALUES list (`ON CONFLICT …`).
    mutating func add(_ table: String, _ columns: [String], rows: [[(any SQLValueConvertible)?]], suffix: String = "") {
        guard !rows.isEmpty else { return }
        let rowsPerChunk = max(1, MultiRowInsert.parameterLimit / columns.count)
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + rowsPerChunk)]
            var arguments: [SQLValue] = []
            arguments.reserveCapacity(chunk.count * columns.count)
            for row in chunk {
                precondition(row.count == columns.count, "a row for \(table) needs \(columns.count) values")
                for value in row { arguments.append(value?.sqlValue ?? .null) }
            }
            let values = Array(repeating: tuple, count: chunk.count).joined(separator: ",")
            parts.append(("INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES \(values) \(suffix)", arguments))
            start += rowsPerChunk
        }
    }

    /// Runs what was queued, in as few statements as the parameter limit allows. With `then`, a query without
    /// parameters that the last statement answers after its inserts (saving a round trip); its rows are returned.
    @discardableResult
    func run(_ db: some SQLExecutor, then query: String? = nil) async throws -> [SQLRow] {
        var pending: [(sql: String, arguments: [SQLValue])] = []
        var count = 0
        var rows: [SQLRow] = []
        func flush(final: Bool) async throws {
            var statements = pending.map(\.sql)
            if final, let query { statements.append(query) }
            guard let last = statements.popLast() else { return }
            // Placeholders are numbered in text order, so the WITH clauses' arguments come first, the last statement's
            // last. Data-modifying WITH clauses run to completion whether or not the last statement reads them.
            let with = statements.enumerated().map { "i\($0.offset) AS (\($0.element))" }
            let sql = with.isEmpty ? last : "WITH " + with.joined(separator: ", ") + " " + last
            rows = try await db.fetchAll(sql, SQLArguments(pending.flatMap(\.arguments)))
            pending = []
            count = 0
        }
        for part in parts {
            if count + part.arguments.count > MultiRowInsert.parameterLimit { try await flush(final: false) }
            pending.append(part)
            count += part.arguments.count
        }
        try await flush(final: true)
        return rows
    }
}

/// Full-text search as SQLite's FTS5 `unicode61 remove_diacritics 2` tokenizer sees text: runs of letters and digits,
/// lower-cased, Latin diacritics removed. The text indexed and the words searched are both cut this way in Swift, so
/// PostgreSQL's own parser (which would keep `-2022` or `v2.13.0` as one token) finds what SQLite finds.
enum FullText {
    static func tokens(_ text: String) -> [String] {
        var folded = text.lowercased()
        if !folded.utf8.allSatisfy({ $0 < 0x80 }) { folded = folded.folding(options: .diacriticInsensitive, locale: nil) }
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            if isTokenCharacter(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse: return true
        default: return false
        }
    }

    /// Text for `to_tsvector('simple', …)`: the tokens, space-separated. Words longer than PostgreSQL indexes
    /// (2,047 bytes) are left out; no search word could match them anyway.
    static func indexText(_ text: String) -> String {
        tokens(text).filter { $0.utf8.count < 2_000 }.joined(separator: " ")
    }

    enum Query: Equatable {
        /// No word to search for: the text does not filter (SQLite's `ftsQuery` returns nil).
        case none
        /// A word that cannot occur in the index: nothing matches.
        case nothing
        case tsquery(String)
    }

    /// What a person typed as a `to_tsquery('simple', …)` argument, built from the same cleaned words as SQLite's
    /// `ftsQuery`: every word must occur, each as a phrase of its tokens whose last token is a prefix (FTS5's `"…"*`).
    /// Only letters and digits reach the query, each inside quotes, so no input can make it fail.
    static func query(_ text: String) -> Query {
        var terms: [String] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }) {
            let cleaned = word.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." || $0 == "_" }
            guard cleaned.contains(where: { CharacterSet.alphanumerics.contains($0) }) else { continue }
            let tokens = FullText.tokens(String(String.UnicodeScalarView(cleaned)))
            guard !tokens.isEmpty, tokens.allSatisfy({ $0.utf8.count < 2_000 }) else { return .nothing }
            terms.append("(" + tokens.map { "'\($0)'" }.joined(separator: " <-> ") + ":*)")
        }
        return terms.isEmpty ? .none : .tsquery(terms.joined(separator: " & "))
    }
}
