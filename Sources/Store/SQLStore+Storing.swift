import CSAF
import Foundation
import Storage

/// What storing one document does, decided from what the store holds for its advisory (`IngestPlan.decide`).
enum IngestPlan {
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

    /// Whether the document's bytes are stored as a revision.
    var storesDocument: Bool {
        switch self { case .new, .update, .historical: true; default: false }
    }

    /// Whether the document becomes its advisory's current revision.
    var appliesAdvisory: Bool {
        switch self { case .new, .update: true; default: false }
    }

    /// The rules of ingest, from the document and its row of the probe (`storePrefix`).
    static func decide(_ incoming: IncomingDocument, probe: SQLRow) -> IngestPlan {
        let tracking = incoming.tracking
        if let stored = probe["stored_integrity"] as String? {
            // The same bytes again. When this time the check got further, record that; a weaker check never
            // overwrites a stronger one.
            let rank = integrityRank(incoming.integrity.status)
            return rank > integrityRank(IntegrityStatus(rawValue: stored) ?? .unsigned) ? .raiseIntegrity : .unchanged
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

    /// How far an accepted document's check got: a stored status is only replaced by a higher one.
    static func integrityRank(_ status: IntegrityStatus) -> Int {
        switch status {
        case .verified: 3
        case .hashOnly: 2
        case .signatureUnchecked: 1
        case .unsigned, .hashMismatch, .badSignature, .unknownKey: 0
        }
    }
}

/// What a run's first part (`storePrefix`) leaves for its second (`storeTail`).
struct IngestRunPrefix {
    var documents: [IncomingDocument]
    var plans: [IngestPlan]
    var changed: Bool
    var documentIDs: [String: Int64]
    var seqs: [String: Int64]
    var outcomes: [IngestOutcome] { plans.map(\.outcome) }
}

/// Storing documents, written once for both databases: the probe, the rules (`IngestPlan`), the rows, the journal, the
/// exposures and the generation. What differs is the dialect's: PostgreSQL's advisory locks, its search vector (a
/// column of `advisories`, where SQLite has the FTS5 table `advisories_fts`) and the jsonb copy of each document.
extension SQLStore {
    public func ingest(_ document: IncomingDocument) async throws -> IngestOutcome {
        try await transaction { db in try await storeDocuments([document], db: db)[0] }
    }

    /// Stores the documents in one transaction: a bulk import commits once per batch instead of once per document
    /// (each commit rewrites the index and search pages it touched, so per-document commits wrote several times the
    /// database's size). A process killed before the commit leaves none of the batch, and a re-run stores it.
    ///
    /// When any document fails, the whole transaction is rolled back and the batch is stored again one document per
    /// transaction, so the outcome is that of storing them one at a time: the documents before the failing one are
    /// kept, it and the ones after it are not, and its error is thrown. No savepoints: SQLite copies every page a
    /// savepoint changes into a sub-journal, and FTS5 writes its pending index at each savepoint, which together cost
    /// more than the commits they replaced.
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
    /// the other; the generation is bumped once when anything was written (on PostgreSQL after the last advisory lock
    /// is taken: the `meta` row is then locked only briefly, and never by a transaction still waiting for an advisory
    /// lock, which would let two batches deadlock on it).
    ///
    /// A batch costs a handful of statements, not a handful per document: a run of documents with distinct advisory
    /// IDs is probed in one query and written with one multi-row INSERT per table. (Sent one statement at a time, a
    /// bulk import into PostgreSQL spent most of its time on round trips and on planning the same statements again.)
    /// A document whose advisory is already in the run starts the next run, so it sees its predecessor's rows, as it
    /// would one at a time.
    func storeDocuments(_ documents: [IncomingDocument], db: Session) async throws -> [IngestOutcome] {
        var outcomes: [IngestOutcome] = []
        outcomes.reserveCapacity(documents.count)
        var changed = false
        var bumped = false
        var start = 0
        while start < documents.count {
            var seen: Set<String> = []
            var end = start
            while end < documents.count, seen.insert(documents[end].advisory.id).inserted { end += 1 }
            let prefix = try await storePrefix(Array(documents[start..<end]), db: db)
            let run = try await storeTail(prefix, last: end == documents.count, db: db)
            outcomes += run.outcomes
            changed = changed || run.changed
            bumped = run.bumped
            start = end
        }
        if changed && !bumped { try await Self.bumpGeneration(db) }
        return outcomes
    }

    /// A run's locks, its probe, the rare cases, its documents' rows and its advisory rows: what depends only on the
    /// run's own advisories (their locks make another writer of the same advisories wait), so that PostgreSQL's
    /// pipeline may do it while the batch before is finishing. The documents have distinct advisory IDs.
    func storePrefix(_ documents: [IncomingDocument], db: Session) async throws -> IngestRunPrefix {
        if dialect == .postgres {
            // Two nodes storing the same advisory take turns: the second sees the first one's rows once it commits.
            // The locks are taken in one order (by key), so two batches that share advisories cannot deadlock. The
            // shared inventory lock keeps an inventory import (which takes it exclusively) from computing exposures
            // against advisories it cannot see yet while this one computes them against assets it cannot see.
            try await db.execute("""
                SELECT pg_advisory_xact_lock_shared(?), (SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT
                  hashtextextended(v.id, 0) AS k FROM (VALUES \(Self.tuples(documents.count, width: 1))) AS v(id) ORDER BY k) AS keys)
                """, [Self.inventoryLock] + SQLArguments(documents.map(\.advisory.id)))
        }

        // For every document in one query (after the locks, so it sees what another node committed): the same bytes
        // stored?, a stored revision with this version and status?, the current revision.
        var probeArguments = SQLArguments()
        for (n, document) in documents.enumerated() {
            probeArguments.append(Int64(n))
            probeArguments.append(document.advisory.id)
            probeArguments.append(document.integrity.sha256)
            probeArguments.append(document.tracking.version)
            probeArguments.append(document.tracking.status.rawValue)
        }
        let probes = try await db.fetchAll("""
            WITH v(n, id, sha256, version, status) AS (VALUES \(Self.tuples(documents.count, width: 5)))
            SELECT v.n, (SELECT integrity FROM documents WHERE advisory_id = v.id AND sha256 = v.sha256) AS stored_integrity,
              (SELECT sha256 FROM documents WHERE advisory_id = v.id AND version = v.version AND (status IS NULL OR status = v.status)
               ORDER BY id LIMIT 1) AS clash,
              a.seq, d.id AS document_id, d.version AS current_version, d.current_release_date_raw, d.status AS current_status
            FROM v LEFT JOIN advisories a ON a.id = v.id LEFT JOIN documents d ON d.id = a.document_id
            """, probeArguments)
        var plans = [IngestPlan](repeating: .unchanged, count: documents.count)
        for probe in probes {
            let n = Int(probe["n"] as Int64)
            plans[n] = IngestPlan.decide(documents[n], probe: probe)
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

        let stored = zip(documents, plans).filter { $0.1.storesDocument }
        let applied = stored.filter { $0.1.appliesAdvisory }
        // The advisory rows' values: on PostgreSQL, with their search texts cut into words, worked out on another thread
        // while the server stores the documents (SQLite has no words to cut and no server to wait for).
        let changing = applied.map(\.0.advisory)
        let dialect = self.dialect
        let advisoryValues = dialect == .postgres ? Task.detached { changing.map { Self.advisoryValues($0, dialect: dialect) } } : nil
        defer { advisoryValues?.cancel() }

        // Every new revision's document row, in order.
        let documentIDs = stored.isEmpty ? [:] : try await insertDocuments(stored.map(\.0), db: db)

        // The rewritten and the new advisory rows (their seqs are the order that shows, like the documents' IDs).
        var values: [String: SQLArguments] = [:]
        let computed = await advisoryValues?.value ?? changing.map { Self.advisoryValues($0, dialect: dialect) }
        for (advisory, arguments) in zip(changing, computed) { values[advisory.id] = arguments }
        var seqs: [String: Int64] = [:]
        var replaced: [Int64] = []
        for (document, plan) in applied {
            guard case .update(let seq, _) = plan else { continue }
            replaced.append(seq)
            seqs[document.advisory.id] = seq
        }
        if !replaced.isEmpty {
            let list = Self.placeholders(replaced.count)
            for table in ["vulnerabilities", "products", "remediations", "sectors", "advisory_vendors", "advisory_link_keys"] {
                try await db.execute("DELETE FROM \(table) WHERE advisory_seq IN (\(list))", SQLArguments(replaced))
            }
            if dialect == .sqlite { try await db.execute("DELETE FROM advisories_fts WHERE rowid IN (\(list))", SQLArguments(replaced)) }
        }
        let search = dialect == .postgres ? ", search = \(PostgresStore.searchVector)" : ""
        for (document, plan) in applied {
            guard case .update(let seq, _) = plan else { continue }
            try await db.execute("""
                UPDATE advisories SET document_id = ?, title = ?, publisher = ?, publisher_namespace = ?,
                  publisher_category = ?, category = ?, status = ?, tlp = ?, version = ?, initial_release_date = ?,
                  current_release_date = ?, year = ?, cvss_score = ?, severity = ?, severity_rank = ?, cvss_vector = ?,
                  risk_summary = ?, source_url = ?, vendors = ?, cve_count = ?\(search)
                WHERE seq = ?
                """, [documentIDs[document.advisory.id]!] + values[document.advisory.id]! + [seq])
        }
        let fresh = applied.filter { if case .new = $0.1 { true } else { false } }.map(\.0.advisory)
        if !fresh.isEmpty {
            var insert = MultiRowInsert()
            let rows = fresh.map { advisory in [.text(advisory.id), .integer(documentIDs[advisory.id]!)] + values[advisory.id]!.values }
            if dialect == .postgres {
                insert.add("advisories", Self.advisoryColumns + Self.searchColumns, values: rows, suffix: "RETURNING seq, id",
                           computed: [("search", PostgresStore.searchVector(from: "u"))], inputOnly: Set(Self.searchColumns), ordered: true)
            } else {
                insert.add("advisories", Self.advisoryColumns, values: rows, suffix: "RETURNING seq, id", ordered: true)
            }
            for row in try await insert.runReturningEveryRow(db, dialect: dialect) { seqs[row["id"]] = row["seq"] }
        }
        if dialect == .sqlite && !applied.isEmpty {
            // SQLite's search index is a table of its own, keyed by the advisory's seq.
            var insert = MultiRowInsert()
            insert.add("advisories_fts", ["rowid", "id", "title", "summary", "vendors", "products", "cves"],
                       rows: applied.map { document, _ in
                           let a = document.advisory
                           return [seqs[a.id]!, a.id, a.title, a.riskSummary ?? "", a.vendors.joined(separator: " "),
                                   a.searchProductText, a.cves.joined(separator: " ")]
                       })
            try await insert.run(db, dialect: dialect)
        }
        return IngestRunPrefix(documents: documents, plans: plans, changed: changed || !stored.isEmpty, documentIDs: documentIDs,
                               seqs: seqs)
    }

    /// The rest of a run: vendors (created in the documents' order, as one at a time would, so after the run before has
    /// committed), every child row and journal entry, and the exposures. `last`: no run follows, so the generation may
    /// be bumped here (`bumped` says it was).
    func storeTail(_ prefix: IngestRunPrefix, last: Bool, db: Session) async throws -> (outcomes: [IngestOutcome], changed: Bool, bumped: Bool) {
        let applied = zip(prefix.documents, prefix.plans).filter { $0.1.appliesAdvisory }
        guard !applied.isEmpty else { return (prefix.outcomes, prefix.changed, false) }
        let vendorIDs = try await vendorIDs(applied.flatMap(\.0.advisory.vendors), db: db)
        var insert = MultiRowInsert()
        for (document, plan) in applied {
            let advisory = document.advisory
            var previous: Int64?
            if case .update(_, let previousDocumentID) = plan { previous = previousDocumentID }
            Self.queueAdvisoryRows(advisory, seq: prefix.seqs[advisory.id]!, documentID: prefix.documentIDs[advisory.id]!,
                                   previousDocumentID: previous, vendorIDs: vendorIDs, into: &insert)
        }
        // The same round trip says whether there are assets to compute exposures for (see `recomputeExposures`), and
        // when there are none and this is the last run, bumps the generation (with assets, after their exposures).
        if last { insert.alsoRun("UPDATE meta SET value = value + 1 WHERE key = 'generation' AND NOT EXISTS (SELECT 1 FROM assets)") }
        let inventory = try await insert.run(db, dialect: dialect, then: Self.inventoryState).first!
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

    /// The documents' rows in one statement (PostgreSQL; SQLite's parameter limit may cut it into a few); each
    /// document's id by advisory ID (the documents have distinct advisory IDs). On PostgreSQL the bytes go once: the
    /// jsonb copy is made from the raw column's array element.
    func insertDocuments(_ documents: [IncomingDocument], db: Session) async throws -> [String: Int64] {
        var insert = MultiRowInsert()
        insert.add("documents", ["raw", "advisory_id", "version", "current_release_date", "current_release_date_raw", "status",
                                 "sha256", "sha512", "size", "origin", "integrity", "integrity_detail", "sha256_sidecar",
                                 "sha512_sidecar", "signature", "imported_at", "signer", "conformance_mandatory", "conformance_optional",
                                 "conformance_informative"],
                   rows: documents.map { incoming in
                       let tracking = incoming.tracking
                       let integrity = incoming.integrity
                       return [incoming.bytes, incoming.advisory.id, tracking.version, incoming.advisory.currentReleaseDate.map(Timestamp.format),
                               tracking.currentReleaseDate, tracking.status.rawValue, integrity.sha256, integrity.sha512,
                               incoming.bytes.count, incoming.origin, integrity.status.rawValue, integrity.detail,
                               integrity.sha256Sidecar, integrity.sha512Sidecar, integrity.signature, Timestamp.format(Date()),
                               integrity.signer, incoming.conformance?.mandatory, incoming.conformance?.optional,
                               incoming.conformance?.informative]
                   },
                   suffix: "RETURNING id, advisory_id", computed: dialect == .postgres ? [("document", "vigil_jsonb(u.raw)")] : [],
                   ordered: true)
        var ids: [String: Int64] = [:]
        for row in try await insert.runReturningEveryRow(db, dialect: dialect) { ids[row["advisory_id"]] = row["id"] }
        return ids
    }

    /// The advisories columns `advisoryValues` fills, after the ID and the document's.
    static var advisoryColumns: [String] {
        ["id", "document_id", "title", "publisher", "publisher_namespace", "publisher_category", "category", "status", "tlp",
         "version", "initial_release_date", "current_release_date", "year", "cvss_score", "severity", "severity_rank",
         "cvss_vector", "risk_summary", "source_url", "vendors", "cve_count"]
    }

    /// PostgreSQL: the four texts `searchVector` weighs, which follow the advisory's values.
    static var searchColumns: [String] { ["search_a", "search_b", "search_c", "search_d"] }

    /// The advisory row's values from `title` to `cve_count`; on PostgreSQL then `searchVector`'s four texts.
    static func advisoryValues(_ a: Advisory, dialect: SQLDialect) -> SQLArguments {
        let year = (a.initialReleaseDate ?? a.currentReleaseDate).map(Timestamp.year)
        let score = a.highestScore
        let arguments: SQLArguments = [
            a.title, a.publisher.name, a.publisher.namespace, a.publisher.category, a.category,
            a.status, a.tlp, a.version, a.initialReleaseDate.map(Timestamp.format),
            a.currentReleaseDate.map(Timestamp.format), year, score?.score, a.severity.rawValue, a.severity.rank,
            score?.vector, a.riskSummary, a.sourceURL, a.vendors.joined(separator: "\n"), a.vulnerabilities.count,
        ]
        guard dialect == .postgres else { return arguments }
        return arguments + PostgresStore.searchArguments(title: a.title, cves: a.cves.joined(separator: " "),
                                                         vendors: a.vendors.joined(separator: " "), products: a.searchProductText,
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
        // The advisory's date and ID beside each sector and vendor: a sector's or vendor's advisories are listed and
        // counted from that table's index alone (`SchemaText.scaleIndexes`).
        let released = a.currentReleaseDate.map(Timestamp.format)
        insert.add("sectors", ["advisory_seq", "sector", "current_release_date", "advisory_id"],
                   rows: a.sectors.map { [seq, $0, released, a.id] }, suffix: "ON CONFLICT DO NOTHING")
        insert.add("advisory_vendors", ["advisory_seq", "vendor_id", "current_release_date", "advisory_id"],
                   rows: a.vendors.map { [seq, vendorIDs[TextSafe.clean($0)]!, released, a.id] }, suffix: "ON CONFLICT DO NOTHING")
        insert.add("advisory_link_keys", linkKeyColumns, rows: linkKeyRows(a, seq: seq))
        insert.add("advisory_changes", ["advisory_id", "document_id", "previous_document_id", "recorded_at"],
                   rows: [[a.id, documentID, previousDocumentID, Timestamp.format(Date())]], ordered: true)
    }

    /// Each vendor's id (keyed by `TextSafe.clean(name)`), creating the vendors not stored yet with a slug no other
    /// vendor has. Another node may create the same vendor (or take the same slug) at the same moment: the insert then
    /// does nothing and it is looked up, or the next slug is tried.
    func vendorIDs(_ names: [String], db: Session) async throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        // In the advisories' order: two new names with the same slug get theirs in that order.
        var unique: [String] = []
        var seen: Set<String> = []
        for name in names.map(TextSafe.clean) where seen.insert(name).inserted { unique.append(name) }
        guard !unique.isEmpty else { return ids }
        for row in try await db.fetchAll("SELECT id, name FROM vendors WHERE name IN (\(Self.placeholders(unique.count)))",
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
            WITH b(base) AS (VALUES \(Self.tuples(distinctBases.count, width: 1)))
            SELECT slug FROM vendors WHERE slug IN (\(Self.placeholders(distinctBases.count)))
              OR EXISTS (SELECT 1 FROM b WHERE substr(slug, 1, length(b.base) + 1) = b.base || '-')
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
        for row in try await insert.runReturningEveryRow(db, dialect: dialect) { ids[row["name"]] = row["id"] }
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
}
