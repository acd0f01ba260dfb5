import CSAF
import Foundation
import Storage

extension PostgresStore {
    // MARK: Ingest

    public func ingest(_ document: IncomingDocument) async throws -> IngestOutcome {
        try await transaction { db in try await storeDocuments([document], db: db)[0] }
    }

    /// Stores the documents in one transaction, as SQLite does: one commit per batch. When any document fails, the
    /// transaction is rolled back and the batch is stored again one document per transaction, so the outcome is that of
    /// storing them one at a time (the documents before the failing one kept, its error thrown).
    public func ingest(batch documents: [IncomingDocument]) async throws -> [IngestOutcome] {
        if documents.count > 1 {
            do {
                return try await transaction { db in try await storeDocuments(documents, db: db) }
            } catch {
                // Rolled back; fall through to one transaction per document.
            }
        }
        var outcomes: [IngestOutcome] = []
        outcomes.reserveCapacity(documents.count)
        for document in documents { outcomes.append(try await ingest(document)) }
        return outcomes
    }

    /// The documents' rows and exposures inside the caller's transaction, with the outcome of storing them one after
    /// the other; the generation is bumped once when anything was written, after the last advisory lock is taken (the
    /// `meta` row is then locked only briefly, and never by a transaction still waiting for an advisory lock, which
    /// would let two batches deadlock on it).
    ///
    /// A batch costs a handful of statements, not a handful per document: a run of documents with distinct advisory
    /// IDs is probed in one query and written with one multi-row INSERT per table. (Sent one statement at a time, a
    /// bulk import spent most of its time on round trips and on planning the same statements again.) A document whose
    /// advisory is already in the run starts the next run, so it sees its predecessor's rows, as it would one at a time.
    func storeDocuments(_ documents: [IncomingDocument], db: SQLConnection) async throws -> [IngestOutcome] {
        var outcomes: [IngestOutcome] = []
        outcomes.reserveCapacity(documents.count)
        var changed = false
        var bumped = false
        var start = 0
        while start < documents.count {
            var seen: Set<String> = []
            var end = start
            while end < documents.count, seen.insert(documents[end].advisory.id).inserted { end += 1 }
            let run = try await storeRun(documents[start..<end], last: end == documents.count, db: db)
            outcomes += run.outcomes
            changed = changed || run.changed
            bumped = run.bumped
            start = end
        }
        if changed && !bumped { try await PostgresStore.bumpGeneration(db) }
        return outcomes
    }

    /// What storing one document does, decided from the probe (SQLite's rules, case for case).
    enum Plan {
        case unchanged
        /// The same bytes again, checked further this time (a key became known and the signature verified).
        case raiseIntegrity
        /// Same version and status already stored with other bytes: recorded, never an overwrite.
        case conflict(storedSHA256: String)
        case new
        case update(seq: Int64, previousDocumentID: Int64?)
        case historical

        var outcome: IngestOutcome {
            switch self {
            case .unchanged, .raiseIntegrity: .unchanged
            case .conflict: .conflict
            case .new: .new
            case .update: .updated
            case .historical: .historical
            }
        }
    }

    /// Documents with distinct advisory IDs, stored as if one after the other.
    /// `last`: no run follows, so the generation may be bumped in this run's last statement (`bumped` says it was).
    func storeRun(_ run: ArraySlice<IncomingDocument>, last: Bool, db: SQLConnection) async throws
        -> (outcomes: [IngestOutcome], changed: Bool, bumped: Bool) {
        let prefix = try await storePrefix(Array(run), db: db)
        return try await storeTail(prefix, last: last, db: db)
    }

    /// What a run's first part (`storePrefix`) leaves for its second (`storeTail`).
    struct RunPrefix {
        var documents: [IncomingDocument]
        var plans: [Plan]
        var changed: Bool
        var documentIDs: [String: Int64]
        var seqs: [String: Int64]
        var outcomes: [IngestOutcome] { plans.map(\.outcome) }
    }

    /// A run's locks, its probe, the rare cases, its documents' rows and its advisory rows: what depends only on the
    /// run's own advisories (their locks make another writer of the same advisories wait), so that a pipeline may do it
    /// while the batch before is finishing.
    func storePrefix(_ documents: [IncomingDocument], db: SQLConnection) async throws -> RunPrefix {
        // Two nodes storing the same advisory take turns: the second sees the first one's rows once it commits. The
        // locks are taken in one order (by key), so two batches that share advisories cannot deadlock. The shared
        // inventory lock keeps an inventory import (which takes it exclusively) from computing exposures against
        // advisories it cannot see yet while this one computes them against assets it cannot see.
        try await db.execute("""
            SELECT pg_advisory_xact_lock_shared(?), (SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT
              hashtextextended(v.id, 0) AS k FROM (VALUES \(PostgresStore.tuples(documents.count, width: 1))) AS v(id) ORDER BY k) AS keys)
            """, [PostgresStore.inventoryLock] + SQLArguments(documents.map(\.advisory.id)))

        // What SQLite asks in three queries per document, for every document in one round trip (after the locks, so it
        // sees what the other node committed): the same bytes stored?, a stored revision with this version and status?,
        // the current revision.
        var probeArguments = SQLArguments()
        for (n, document) in documents.enumerated() {
            probeArguments.append(Int64(n))
            probeArguments.append(document.advisory.id)
            probeArguments.append(document.integrity.sha256)
            probeArguments.append(document.tracking.version)
            probeArguments.append(document.tracking.status.rawValue)
        }
        let probes = try await db.fetchAll("""
            SELECT v.n, (SELECT integrity FROM documents WHERE advisory_id = v.id AND sha256 = v.sha256) AS stored_integrity,
              (SELECT sha256 FROM documents WHERE advisory_id = v.id AND version = v.version AND (status IS NULL OR status = v.status)
               ORDER BY id LIMIT 1) AS clash,
              a.seq, d.id AS document_id, d.version AS current_version, d.current_release_date_raw, d.status AS current_status
            FROM (VALUES \(PostgresStore.tuples(documents.count, width: 5))) AS v(n, id, sha256, version, status)
            LEFT JOIN advisories a ON a.id = v.id LEFT JOIN documents d ON d.id = a.document_id
            """, probeArguments)
        var plans = [Plan](repeating: .unchanged, count: documents.count)
        for probe in probes {
            let n = Int(probe["n"] as Int64)
            plans[n] = PostgresStore.plan(documents[n], probe: probe)
        }

        var changed = false
        // The rare cases, one statement each.
        for (document, plan) in zip(documents, plans) {
            let integrity = document.integrity
            switch plan {
            case .raiseIntegrity:
                try await db.execute("""
                    UPDATE documents SET integrity = ?, integrity_detail = ?, signer = ?,
                      signature = COALESCE(?, signature), sha256_sidecar = COALESCE(?, sha256_sidecar),
                      sha512_sidecar = COALESCE(?, sha512_sidecar)
                    WHERE advisory_id = ? AND sha256 = ?
                    """, [integrity.status.rawValue, integrity.detail, integrity.signer, integrity.signature,
                          integrity.sha256Sidecar, integrity.sha512Sidecar, document.advisory.id, integrity.sha256])
                changed = true
            case .conflict(let storedSHA):
                try await db.execute("""
                    INSERT INTO conflicts(advisory_id, version, stored_sha256, incoming_sha256, origin, raw, detected_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (advisory_id, version, incoming_sha256) DO NOTHING
                    """, [document.advisory.id, document.tracking.version, storedSHA, integrity.sha256, document.origin,
                          document.bytes, Timestamp.format(Date())])
                changed = true
            default:
                break
            }
        }

        let stored = zip(documents, plans).filter {
            switch $0.1 { case .new, .update, .historical: true; default: false }
        }
        let applied = stored.filter {
            switch $0.1 { case .new, .update: true; default: false }
        }
        // The advisory rows' values (their search texts cut into words) are worked out on another thread while the
        // server stores the documents.
        let changing = applied.map(\.0.advisory)
        let advisoryValues = Task.detached { changing.map(PostgresStore.advisoryArguments) }
        defer { advisoryValues.cancel() }

        // Every new revision's document row, in order, in one statement.
        let documentIDs = stored.isEmpty ? [:] : try await PostgresStore.insertDocuments(stored.map(\.0), db: db)

        // The rewritten and the new advisory rows (their seqs are the order that shows, like the documents' IDs).
        var values: [String: SQLArguments] = [:]
        for (advisory, arguments) in zip(changing, await advisoryValues.value) { values[advisory.id] = arguments }
        var seqs: [String: Int64] = [:]
        for (document, plan) in applied {
            guard case .update(let seq, _) = plan else { continue }
            try await db.execute("""
                WITH v AS (DELETE FROM vulnerabilities WHERE advisory_seq = ?), p AS (DELETE FROM products WHERE advisory_seq = ?),
                  r AS (DELETE FROM remediations WHERE advisory_seq = ?), s AS (DELETE FROM sectors WHERE advisory_seq = ?)
                DELETE FROM advisory_vendors WHERE advisory_seq = ?
                """, [seq, seq, seq, seq, seq])
            try await db.execute("""
                UPDATE advisories SET document_id = ?, title = ?, publisher = ?, publisher_namespace = ?,
                  publisher_category = ?, category = ?, status = ?, tlp = ?, version = ?, initial_release_date = ?,
                  current_release_date = ?, year = ?, cvss_score = ?, severity = ?, severity_rank = ?, cvss_vector = ?,
                  risk_summary = ?, source_url = ?, vendors = ?, cve_count = ?, search = \(PostgresStore.searchVector)
                WHERE seq = ?
                """, [documentIDs[document.advisory.id]!] + values[document.advisory.id]! + [seq])
            seqs[document.advisory.id] = seq
        }
        let fresh = applied.filter { if case .new = $0.1 { true } else { false } }.map(\.0.advisory)
        if !fresh.isEmpty {
            var insert = MultiRowInsert()
            insert.add("advisories", PostgresStore.advisoryColumns, values: fresh.map { advisory in
                [.text(advisory.id), .integer(documentIDs[advisory.id]!)] + values[advisory.id]!.values
            }, suffix: "RETURNING seq, id", computed: [("search", PostgresStore.searchVector(from: "u"))],
               inputOnly: ["search_a", "search_b", "search_c", "search_d"], ordered: true)
            for row in try await insert.runReturningEveryRow(db) { seqs[row["id"]] = row["seq"] }
        }
        return RunPrefix(documents: documents, plans: plans, changed: changed || !stored.isEmpty, documentIDs: documentIDs,
                         seqs: seqs)
    }

    /// The rest of a run: vendors (created in the documents' order, as one at a time would, so after the run before has
    /// committed), every child row and journal entry in one statement, and the exposures.
    func storeTail(_ prefix: RunPrefix, last: Bool, db: SQLConnection) async throws -> (outcomes: [IngestOutcome], changed: Bool, bumped: Bool) {
        let documentIDs = prefix.documentIDs
        let seqs = prefix.seqs
        let applied = zip(prefix.documents, prefix.plans).filter {
            switch $0.1 { case .new, .update: true; default: false }
        }
        guard !applied.isEmpty else { return (prefix.outcomes, prefix.changed, false) }
        let vendorIDs = try await PostgresStore.vendorIDs(applied.flatMap(\.0.advisory.vendors), db: db)
        var insert = MultiRowInsert()
        for (document, plan) in applied {
            let advisory = document.advisory
            var previous: Int64?
            if case .update(_, let previousDocumentID) = plan { previous = previousDocumentID }
            PostgresStore.queueAdvisoryRows(advisory, seq: seqs[advisory.id]!, documentID: documentIDs[advisory.id]!,
                                            previousDocumentID: previous, vendorIDs: vendorIDs, into: &insert)
        }
        // The same round trip says whether there are assets to compute exposures for (see `recomputeExposures`), and
        // when there are none and this is the last run, bumps the generation (with assets, after their exposures).
        if last { insert.alsoRun("UPDATE meta SET value = value + 1 WHERE key = 'generation' AND NOT EXISTS (SELECT 1 FROM assets)") }
        let inventory = try await insert.run(db, then: PostgresStore.inventoryState).first!
        // Exposures follow each advisory in the same transaction: an alert never sees a half-updated picture.
        for (document, _) in applied {
            try await recomputeExposures(advisoryID: document.advisory.id, inventory: inventory, db: db, cache: assetIndexCache)
        }
        return (prefix.outcomes, true, last && !(inventory["has_assets"] as Bool))
    }

    /// `(?, ?), (?, ?)`: `count` rows of `width` placeholders, for a VALUES list.
    static func tuples(_ count: Int, width: Int) -> String {
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        return Array(repeating: tuple, count: count).joined(separator: ", ")
    }

    /// What storing `incoming` does, from its row of the probe.
    static func plan(_ incoming: IncomingDocument, probe: SQLRow) -> Plan {
        let tracking = incoming.tracking
        if let stored = probe["stored_integrity"] as String? {
            // The same bytes again. When this time the check got further, record that; a weaker check never
            // overwrites a stronger one.
            let rank = SQLiteStore.integrityRank(incoming.integrity.status)
            return rank > SQLiteStore.integrityRank(IntegrityStatus(rawValue: stored) ?? .unsigned) ? .raiseIntegrity : .unchanged
        }
        let currentSeq: Int64? = probe["seq"]
        let order: Int? = currentSeq.map { _ in
            RevisionOrder.compare(version: tracking.version, date: tracking.currentReleaseDate, status: tracking.status,
                                  to: probe["current_version"], date: probe["current_release_date_raw"],
                                  status: (probe["current_status"] as String?).flatMap(Tracking.Status.init(rawValue:)))
        }
        // Same version and status already stored with other bytes (current or in history): a conflict, never an
        // overwrite. The same version with another status (interim made final) is another revision.
        if let storedSHA = probe["clash"] as String?, (order ?? 0) <= 0 { return .conflict(storedSHA256: storedSHA) }
        guard let currentSeq, let order else { return .new }
        return order > 0 ? .update(seq: currentSeq, previousDocumentID: probe["document_id"]) : .historical
    }

    /// The documents' rows in one statement; each document's id by advisory ID (the documents have distinct advisory
    /// IDs). The bytes go once: the jsonb copy is made from the raw column's array element.
    static func insertDocuments(_ documents: [IncomingDocument], db: some SQLExecutor) async throws -> [String: Int64] {
        var insert = MultiRowInsert()
        insert.add("documents", ["raw", "advisory_id", "version", "current_release_date", "current_release_date_raw", "status",
                                 "sha256", "sha512", "size", "origin", "integrity", "integrity_detail", "sha256_sidecar",
                                 "sha512_sidecar", "signature", "imported_at", "signer"],
                   rows: documents.map { incoming in
                       let tracking = incoming.tracking
                       let integrity = incoming.integrity
                       return [incoming.bytes, incoming.advisory.id, tracking.version, incoming.advisory.currentReleaseDate.map(Timestamp.format),
                               tracking.currentReleaseDate, tracking.status.rawValue, integrity.sha256, integrity.sha512,
                               incoming.bytes.count, incoming.origin, integrity.status.rawValue, integrity.detail,
                               integrity.sha256Sidecar, integrity.sha512Sidecar, integrity.signature, Timestamp.format(Date()),
                               integrity.signer]
                   },
                   suffix: "RETURNING id, advisory_id", computed: [("document", "vigil_jsonb(u.raw)")], ordered: true)
        var ids: [String: Int64] = [:]
        for row in try await insert.runReturningEveryRow(db) { ids[row["advisory_id"]] = row["id"] }
        return ids
    }

    /// The advisories columns `advisoryArguments` fills after the ID and the document's, then the four search texts.
    static let advisoryColumns = ["id", "document_id", "title", "publisher", "publisher_namespace", "publisher_category",
                                  "category", "status", "tlp", "version", "initial_release_date", "current_release_date", "year",
                                  "cvss_score", "severity", "severity_rank", "cvss_vector", "risk_summary", "source_url", "vendors",
                                  "cve_count", "search_a", "search_b", "search_c", "search_d"]

    /// `searchVector` over columns `search_a` … `search_d` of the row source `alias`.
    static func searchVector(from alias: String) -> String {
        """
        setweight(to_tsvector('simple', \(alias).search_a), 'A') || setweight(to_tsvector('simple', \(alias).search_b), 'B')
          || setweight(to_tsvector('simple', \(alias).search_c), 'C') || setweight(to_tsvector('simple', \(alias).search_d), 'D')
        """
    }

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

    /// The advisory row's values from `title` to `cve_count`, then `searchVector`'s four texts.
    static func advisoryArguments(_ a: Advisory) -> SQLArguments {
        let year = (a.initialReleaseDate ?? a.currentReleaseDate).map(Timestamp.year)
        let score = a.highestScore
        let productText = a.searchProductText
        let arguments: SQLArguments = [
            a.title, a.publisher.name, a.publisher.namespace, a.publisher.category, a.category,
            a.status, a.tlp, a.version, a.initialReleaseDate.map(Timestamp.format),
            a.currentReleaseDate.map(Timestamp.format), year, score?.score, a.severity.rawValue, a.severity.rank,
            score?.vector, a.riskSummary, a.sourceURL, a.vendors.joined(separator: "\n"), a.vulnerabilities.count,
        ]
        return arguments + PostgresStore.searchArguments(title: a.title, cves: a.cves.joined(separator: " "),
                                                         vendors: a.vendors.joined(separator: " "), products: productText,
                                                         summary: a.riskSummary ?? "")
    }

    /// Queues the advisory's vulnerabilities, products, remediations, sectors and vendors, and the journal row for
    /// alert creation; `vendorIDs` is `vendorIDs(_:db:)`'s answer for its vendors.
    static func queueAdvisoryRows(_ a: Advisory, seq: Int64, documentID: Int64, previousDocumentID: Int64?,
                                  vendorIDs: [String: Int64], into insert: inout MultiRowInsert) {
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
        insert.add("advisory_vendors", ["advisory_seq", "vendor_id"], rows: a.vendors.map { [seq, vendorIDs[TextSafe.clean($0)]!] },
                   suffix: "ON CONFLICT DO NOTHING")
        insert.add("advisory_changes", ["advisory_id", "document_id", "previous_document_id", "recorded_at"],
                   rows: [[a.id, documentID, previousDocumentID, Timestamp.format(Date())]], ordered: true)
    }

    /// Each vendor's id (keyed by `TextSafe.clean(name)`), creating the vendors not stored yet with a slug no other vendor has. Another node may create
    /// the same vendor (or take the same slug) at the same moment: the insert then does nothing and it is looked up, or
    /// the next slug is tried.
    static func vendorIDs(_ names: [String], db: some SQLExecutor) async throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        // In the advisories' order, as SQLite creates them: two new names with the same slug get theirs in that order.
        var unique: [String] = []
        var seen: Set<String> = []
        for name in names.map(TextSafe.clean) where seen.insert(name).inserted { unique.append(name) }
        guard !unique.isEmpty else { return ids }
        for row in try await db.fetchAll("SELECT id, name FROM vendors WHERE name IN (\(placeholders(unique.count)))",
                                         SQLArguments(unique)) {
            ids[row["name"]] = row["id"]
        }
        let missing = unique.filter { ids[$0] == nil }
        guard !missing.isEmpty else { return ids }
        // The new vendors in one statement: the slugs already taken by a base or a numbered variant of it (`siemens`,
        // `siemens-2`) in one query, each new name given the first free one in order, as one lookup at a time would.
        let bases = missing.map(Slug.make)
        let distinctBases = Array(Set(bases))
        var taken = Set(try await db.fetchValues("""
            SELECT slug FROM vendors WHERE slug IN (\(placeholders(distinctBases.count)))
              OR EXISTS (SELECT 1 FROM (VALUES \(tuples(distinctBases.count, width: 1))) AS b(base) WHERE starts_with(slug, b.base || '-'))
            """, SQLArguments(distinctBases + distinctBases), as: String.self))
        var rows: [[(any SQLValueConvertible)?]] = []
        for (name, base) in zip(missing, bases) {
            var slug = base
            var suffix = 1
            while taken.contains(slug) {
                suffix += 1
                slug = "\(base)-\(suffix)"
            }
            taken.insert(slug)
            rows.append([name, slug])
        }
        var insert = MultiRowInsert()
        insert.add("vendors", ["name", "slug"], rows: rows, suffix: "ON CONFLICT DO NOTHING RETURNING id, name", ordered: true)
        for row in try await insert.runReturningEveryRow(db) { ids[row["name"]] = row["id"] }
        // Another node created one of these names, or took one of the slugs, since the query: those one at a time.
        for name in missing where ids[name] == nil {
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

    /// Key of the advisory lock that orders inventory changes against ingests (see `storeDocument`).
    static let inventoryLock: Int64 = 0x5649_4749_4C00_0002
}

/// U+0000 removed from text arguments: JSON may carry it (`\u0000`), PostgreSQL text cannot (SQLite can). Every
/// statement's arguments pass through here (`runQuery`); a document's bytes keep it, as a blob.
enum TextSafe {
    static func safe(_ value: SQLValue) -> SQLValue {
        switch value {
        case .text(let text) where text.utf8.contains(0):
            return .text(clean(text))
        case .array(let array) where array.element == .text && array.values.contains(where: { if case .text(let t) = $0 { t.utf8.contains(0) } else { false } }):
            return .array(SQLArray(element: .text, values: array.values.map(safe)))
        default:
            return value
        }
    }

    static func clean(_ text: String) -> String {
        text.utf8.contains(0) ? String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{0}" })) : text
    }
}

/// Rows for several tables, each table's rows bound as one array per column and inserted with
/// `INSERT … SELECT … FROM unnest(?, ?, …)`, the tables joined into one statement through data-modifying `WITH` clauses:
/// a batch of advisories' hundred thousand values cost one round trip and a few dozen parameters to plan (a VALUES
/// list with a placeholder per value made the server copy and fold an expression tree the size of the batch). Rows
/// added for a table again (the next advisory's) join its arrays, in the order added.
struct MultiRowInsert {
    static let parameterLimit = 60_000
    private struct Table {
        var name: String
        var columns: [String]
        var suffix: String
        var computed: [(column: String, expression: String)]
        var inputOnly: Set<String>
        var ordered: Bool
        var values: [[SQLValue]]
        var rowCount = 0
    }
    private var tables: [Table] = []
    private var alsoStatements: [String] = []

    /// A statement without parameters that runs with the last of the inserts, as one more `WITH` clause.
    mutating func alsoRun(_ sql: String) { alsoStatements.append(sql) }

    /// Queues `rows` for `table`; every row has one value per column. `suffix` follows the SELECT (`ON CONFLICT …`,
    /// `RETURNING …`). `computed` columns are expressions over the input columns as `u.name`; `inputOnly` columns feed
    /// them and are not inserted. `ordered`: rows are inserted in the order added (for identity columns whose order
    /// shows); otherwise in the order the server reads the arrays, which is the same in practice.
    mutating func add(_ table: String, _ columns: [String], rows: [[(any SQLValueConvertible)?]], suffix: String = "",
                      computed: [(column: String, expression: String)] = [], inputOnly: Set<String> = [], ordered: Bool = false) {
        add(table, columns, values: rows.map { row in row.map { $0?.sqlValue ?? .null } }, suffix: suffix, computed: computed,
            inputOnly: inputOnly, ordered: ordered)
    }

    mutating func add(_ table: String, _ columns: [String], values rows: [[SQLValue]], suffix: String = "",
                      computed: [(column: String, expression: String)] = [], inputOnly: Set<String> = [], ordered: Bool = false) {
        guard !rows.isEmpty else { return }
        let index: Int
        if let found = tables.firstIndex(where: { $0.name == table }) {
            precondition(tables[found].columns == columns && tables[found].suffix == suffix, "\(table) is queued with other columns")
            index = found
        } else {
            tables.append(Table(name: table, columns: columns, suffix: suffix, computed: computed, inputOnly: inputOnly,
                                ordered: ordered, values: Array(repeating: [], count: columns.count)))
            index = tables.count - 1
        }
        for column in 0..<columns.count { tables[index].values[column].reserveCapacity(tables[index].rowCount + rows.count) }
        for row in rows {
            precondition(row.count == columns.count, "a row for \(table) needs \(columns.count) values")
            for (column, value) in row.enumerated() { tables[index].values[column].append(value) }
        }
        tables[index].rowCount += rows.count
    }

    /// The queued INSERTs, one per table, each with one array argument per column.
    private func parts() throws -> [(sql: String, arguments: [SQLValue])] {
        try tables.map { table in
            var arguments: [SQLValue] = []
            var allNull: Set<String> = []
            for (column, values) in zip(table.columns, table.values) {
                if let array = SQLArray(values) {
                    arguments.append(.array(array))
                } else {
                    // Only NULLs (of no known type): text[], and a plain NULL where it is inserted.
                    guard values.allSatisfy({ $0 == .null }) else {
                        throw StoreError.invalid("\(table.name).\(column) was given values of different kinds (a programming error)", field: "\(table.name).\(column)")
                    }
                    arguments.append(.array(SQLArray(element: .text, values: values)))
                    allNull.insert(column)
                }
            }
            let targets = table.columns.filter { !table.inputOnly.contains($0) }
            let select = targets.map { allNull.contains($0) ? "NULL" : "u.\($0)" } + table.computed.map(\.expression)
            let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
            let source = table.ordered
                ? "unnest(\(placeholders)) WITH ORDINALITY AS u(\(table.columns.joined(separator: ", ")), ordinal) ORDER BY u.ordinal"
                : "unnest(\(placeholders)) AS u(\(table.columns.joined(separator: ", ")))"
            let sql = "INSERT INTO \(table.name)(\((targets + table.computed.map(\.column)).joined(separator: ", "))) "
                + "SELECT \(select.joined(separator: ", ")) FROM \(source) \(table.suffix)"
            return (sql, arguments)
        }
    }

    /// Runs what was queued in one statement. With `then`, a query without parameters that the statement answers after
    /// its inserts (saving a round trip); its rows are returned.
    @discardableResult
    func run(_ db: some SQLExecutor, then query: String? = nil) async throws -> [SQLRow] {
        let parts = try self.parts()
        var statements = parts.map(\.sql) + alsoStatements
        if let query { statements.append(query) }
        guard let last = statements.popLast() else { return [] }
        // Placeholders are numbered in text order, so the WITH clauses' arguments come first, the last statement's
        // last. Data-modifying WITH clauses run to completion whether or not the last statement reads them.
        let with = statements.enumerated().map { "i\($0.offset) AS (\($0.element))" }
        let sql = with.isEmpty ? last : "WITH " + with.joined(separator: ", ") + " " + last
        return try await db.fetchAll(sql, SQLArguments(parts.flatMap(\.arguments)))
    }

    /// Runs each queued INSERT as a statement of its own and returns every row they return (`RETURNING` in a
    /// `WITH` clause other than the last would be lost).
    func runReturningEveryRow(_ db: some SQLExecutor) async throws -> [SQLRow] {
        precondition(alsoStatements.isEmpty, "alsoRun statements need run(_:then:)")
        var rows: [SQLRow] = []
        for part in try parts() { rows += try await db.fetchAll(part.sql, SQLArguments(part.arguments)) }
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
