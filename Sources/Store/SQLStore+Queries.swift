import CSAF
import Foundation
import Storage

/// Advisory pages, search, vendors, statistics, the quarantine and conflicts as read: one implementation for both
/// databases (full-text search is each one's own: FTS5 on SQLite, a tsvector on PostgreSQL). Text is ordered in byte
/// order (`SQLDialect.binary`) whatever PostgreSQL's collation; NULLs come first ascending and last descending on both.
extension SQLStore {
    public func advisory(id: String) async throws -> StoredAdvisory? {
        let loaded = try await snapshot { db -> ([UInt8], [StoredRevision], Int, [KnownExploitedVulnerability])? in
            guard let raw = try await db.fetchValue("""
                SELECT d.raw FROM advisories a JOIN documents d ON d.id = a.document_id WHERE a.id = ?
                """, [id], as: [UInt8].self) else { return nil }
            let revisions = try await Self.revisions(advisoryID: id, db: db)
            let conflicts = try await db.fetchValue("SELECT COUNT(*) FROM conflicts WHERE advisory_id = ?", [id], as: Int.self) ?? 0
            let known = try await db.fetchAll("""
                SELECT k.* FROM kev k
                WHERE k.cve IN (SELECT v.cve FROM advisories a JOIN vulnerabilities v ON v.advisory_seq = a.seq WHERE a.id = ?)
                ORDER BY \(dialect.binary("k.cve"))
                """, [id]).map { row in
                KnownExploitedVulnerability(cve: row["cve"], vendor: row["vendor"], product: row["product"], name: row["name"],
                                            dateAdded: row["date_added"], dueDate: row["due_date"],
                                            requiredAction: row["required_action"], ransomware: row["ransomware"])
            }
            return (raw, revisions, conflicts, known)
        }
        guard let (raw, revisions, conflicts, known) = loaded, let current = revisions.first(where: \.isCurrent) else { return nil }
        // The stored bytes are the source of truth: the page is built from them, never from a copy.
        guard case .csaf(let parsed) = try? CSAFDocumentReader.read(raw, maxBytes: Int.max, checkIdentifiers: false) else {
            throw StoreError.corrupt("the stored document of \(id) no longer parses (database \(path))")
        }
        var stored = StoredAdvisory(advisory: parsed.advisory, document: current, warnings: parsed.warnings,
                                    revisions: revisions, conflictCount: conflicts, knownExploited: known)
        // The findings are made again from the bytes (the store keeps their counts): the same tests, the same verdicts.
        stored.conformance = (try? CSAFConformance.check(bytes: raw)) ?? []
        return stored
    }

    /// A document row's §6 counts; nil when they were never counted.
    static func conformance(_ row: SQLRow) -> ConformanceSummary? {
        guard let mandatory = row["conformance_mandatory"] as Int?, let optional = row["conformance_optional"] as Int?,
              let informative = row["conformance_informative"] as Int? else { return nil }
        return ConformanceSummary(mandatory: mandatory, optional: optional, informative: informative)
    }

    public func revisions(advisoryID: String) async throws -> [StoredRevision] {
        try await snapshot { db in try await Self.revisions(advisoryID: advisoryID, db: db) }
    }

    static func revisions(advisoryID: String, db: some SQLExecutor) async throws -> [StoredRevision] {
        let rows = try await db.fetchAll("""
            SELECT d.id, d.version, d.current_release_date, d.current_release_date_raw, d.status, d.sha256, d.sha512, d.size,
              d.origin, d.imported_at, d.integrity, d.integrity_detail, d.sha256_sidecar IS NOT NULL AS has256,
              d.sha512_sidecar IS NOT NULL AS has512, d.signature IS NOT NULL AS has_sig, d.signer,
              d.conformance_mandatory, d.conformance_optional, d.conformance_informative,
              COALESCE(d.id = (SELECT document_id FROM advisories WHERE id = ?), FALSE) AS current
            FROM documents d WHERE d.advisory_id = ?
            """, [advisoryID, advisoryID])
        var revisions = rows.map { row in
            StoredRevision(
                documentID: row["id"], version: row["version"],
                currentReleaseDate: (row["current_release_date"] as String?).flatMap(Timestamp.parse),
                sha256: row["sha256"], sha512: row["sha512"], size: row["size"], origin: row["origin"],
                importedAt: Timestamp.parse(row["imported_at"]) ?? Date(timeIntervalSince1970: 0),
                integrity: IntegrityStatus(rawValue: row["integrity"]) ?? .unsigned, integrityDetail: row["integrity_detail"],
                hasSHA256Sidecar: row["has256"], hasSHA512Sidecar: row["has512"], hasSignature: row["has_sig"],
                signer: row["signer"], isCurrent: row["current"], conformance: Self.conformance(row))
        }
        let raws = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"] as Int64, $0["current_release_date_raw"] as String) })
        let statuses = Dictionary(uniqueKeysWithValues: rows.map {
            ($0["id"] as Int64, ($0["status"] as String?).flatMap(Tracking.Status.init(rawValue:)))
        })
        revisions.sort {
            RevisionOrder.compare(version: $0.version, date: raws[$0.documentID]!, status: statuses[$0.documentID]!,
                                  to: $1.version, date: raws[$1.documentID]!, status: statuses[$1.documentID]!) > 0
        }
        return revisions
    }

    public func rawDocument(advisoryID: String, documentID: Int64?) async throws -> RawDocument? {
        let row: SQLRow?
        if let documentID {
            row = try await fetchOne("""
                SELECT raw, origin, sha256_sidecar, sha512_sidecar, signature FROM documents WHERE advisory_id = ? AND id = ?
                """, [advisoryID, documentID])
        } else {
            row = try await fetchOne("""
                SELECT d.raw, d.origin, d.sha256_sidecar, d.sha512_sidecar, d.signature
                FROM advisories a JOIN documents d ON d.id = a.document_id WHERE a.id = ?
                """, [advisoryID])
        }
        guard let row else { return nil }
        let origin: String = row["origin"]
        return RawDocument(bytes: row["raw"],
                           fileName: origin.split(separator: "/").last.map(String.init) ?? "\(advisoryID).json",
                           sha256Sidecar: row["sha256_sidecar"], sha512Sidecar: row["sha512_sidecar"],
                           signature: row["signature"])
    }

    public func search(_ query: AdvisoryQuery) async throws -> AdvisoryPage {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        var from = "advisories a"
        let newest = "\(dialect.binary("a.current_release_date")) DESC NULLS LAST"
        // Full text: the matches that pass the filters, the most recently stored first, at most
        // `AdvisoryPage.rankedMatches` of them (`hits`), then ranked: title and CVE hits first, then vendors, products
        // and the risk summary (FTS5's bm25 on SQLite, ts_rank over the weighted tsvector on PostgreSQL). Walking the
        // matches newest first stops at the limit, so neither the relevance scores nor the sort grow with the corpus.
        var ranked: RankedSearch?
        // An advisory's own ID (as typed, or in capitals) finds that advisory: IDs are not in the word index, and
        // someone pasting one wants the advisory, not the documents that happen to share its numbers.
        var text = query.text
        if let typed = text?.trimmed, !typed.isEmpty, !typed.contains(where: \.isWhitespace),
           let id = try await fetchValue("SELECT id FROM advisories WHERE id IN (?, ?)", [typed, typed.uppercased()], as: String.self) {
            conditions.append("a.id = ?")
            arguments.append(id)
            text = nil
        }
        if let text {
            switch dialect {
            case .sqlite:
                if let match = SQLiteStore.ftsQuery(text) {
                    // FTS5 walks its matches in descending rowid (= seq) order itself; bm25 can only be computed there.
                    from = "advisories_fts f JOIN advisories a ON a.seq = f.rowid"
                    ranked = RankedSearch(match: "advisories_fts MATCH ?", newestStored: "f.rowid DESC",
                                          innerScore: "bm25(advisories_fts, 0, 10.0, 2.0, 5.0, 3.0, 10.0)", outerJoin: "",
                                          outerArguments: [], score: "h.score")
                    arguments.append(match)
                }
            case .postgres:
                switch FullText.query(text) {
                case .none: break
                case .nothing: conditions.append("FALSE")
                case .tsquery(let tsquery):
                    // Ranked in the outer query, for the kept matches only (PostgreSQL would rank every match before
                    // the sort otherwise).
                    from = "advisories a CROSS JOIN to_tsquery('simple', ?) AS q"
                    ranked = RankedSearch(match: "a.search @@ q", newestStored: "a.seq DESC", innerScore: "0",
                                          outerJoin: "CROSS JOIN to_tsquery('simple', ?) AS q", outerArguments: [tsquery],
                                          score: "-ts_rank('{0.2,0.3,0.5,1.0}', a.search, q)")
                    arguments.append(tsquery)
                }
            }
        }
        if let ranked { conditions.append(ranked.match) }
        // The list's order, from the table whose index keeps it: `advisories`, or a vendor's or sector's range.
        var listed = (date: "a.current_release_date", id: "a.id")
        if let vendor = query.vendor {
            if ranked == nil {
                // Listed from the vendor's range of `advisory_vendors`, which keeps each advisory's date and ID in
                // the list's order: a vendor's page reads its 25 rows, however many advisories the vendor has.
                from = "advisory_vendors av JOIN advisories a ON a.seq = av.advisory_seq"
                conditions.append("av.vendor_id = (SELECT id FROM vendors WHERE slug = ?)")
                listed = ("av.current_release_date", "av.advisory_id")
            } else {
                conditions.append("a.seq IN (SELECT av.advisory_seq FROM advisory_vendors av JOIN vendors v ON v.id = av.vendor_id WHERE v.slug = ?)")
            }
            arguments.append(vendor)
        }
        if let sector = query.sector {
            if ranked == nil, query.vendor == nil {
                // Listed from the sector's range of `sectors`, kept in the list's order as `advisory_vendors` is.
                from = "sectors s JOIN advisories a ON a.seq = s.advisory_seq"
                conditions.append("s.sector = ?")
                listed = ("s.current_release_date", "s.advisory_id")
            } else {
                conditions.append("a.seq IN (SELECT advisory_seq FROM sectors WHERE sector = ?)")
            }
            arguments.append(sector)
        }
        if let severity = query.severity {
            conditions.append("a.severity = ?")
            arguments.append(severity.rawValue)
        }
        if let year = query.year {
            conditions.append("a.year = ?")
            arguments.append(year)
        }
        if let publisher = query.publisher {
            conditions.append("a.publisher = ?")
            arguments.append(publisher)
        }
        if query.knownExploited {
            conditions.append("EXISTS (SELECT 1 FROM vulnerabilities v JOIN kev k ON k.cve = v.cve WHERE v.advisory_seq = a.seq)")
        }
        let order = "\(dialect.binary(listed.date)) DESC NULLS LAST, \(dialect.binary(listed.id)) DESC"
        func whereClause(_ extra: [String] = []) -> String {
            let all = conditions + extra
            return all.isEmpty ? "" : "WHERE " + all.joined(separator: " AND ")
        }
        // The page's advisories are chosen first (`page`: their seq and rank, sorted, limited), then their columns,
        // the document's integrity and the KEV count read for those rows alone. In one query with the sort, SQLite
        // computed both subqueries for every row entering the sort, and the integrity lies in the document's row after
        // its raw bytes: each read walked the document's overflow pages, 3 to 4 s for a sector of 7,000 advisories.
        let columns = """
            a.id, a.title, a.publisher, a.vendors, a.initial_release_date, a.current_release_date, a.version,
              a.cvss_score, a.severity, a.cvss_vector, a.cve_count, a.category,
              (SELECT d.integrity FROM documents d \(dialect == .sqlite ? "INDEXED BY documents_integrity" : "") WHERE d.id = a.document_id) AS integrity,
              (SELECT COUNT(DISTINCT v.cve) FROM vulnerabilities v JOIN kev k ON k.cve = v.cve WHERE v.advisory_seq = a.seq) AS kev_count
            """
        let pageRows = """
            SELECT \(columns) FROM page p JOIN advisories a ON a.seq = p.seq
            ORDER BY p.score, \(newest), \(dialect.binary("a.id")) DESC
            """
        // One row more than the page says whether another page follows (`nextAfter`); with a cursor, `page` counts
        // from it.
        let skipped = (query.page - 1) * query.perPage
        let window: SQLArguments = [query.perPage + 1, skipped]
        // The advisories chosen for the page: by offset, or by key after `query.after` (not for a ranked search).
        // By key, the dated advisories after the cursor are one index range, entered at the cursor by a row-value
        // comparison (an OR of date and ID comparisons is walked from the list's top on SQLite); the undated ones,
        // listed last, are a second range, read only as far as the page needs.
        let chosen: (sql: String, arguments: SQLArguments)
        if let after = query.after, ranked == nil {
            let keyed = "SELECT a.seq AS seq, \(listed.date) AS d, \(listed.id) AS i FROM \(from)"
            let undatedOrder = "ORDER BY \(dialect.binary(listed.id)) DESC LIMIT ?"
            let more = skipped + query.perPage + 1
            var sql = "SELECT k.seq AS seq, 0 AS score FROM ("
            var bound: SQLArguments
            if let date = after.currentReleaseDate {
                let pair = "(\(dialect.binary(listed.date)), \(dialect.binary(listed.id)))"
                sql += """
                    SELECT seq, d, i FROM (\(keyed) \(whereClause(["\(pair) < (?, ?)"])) ORDER BY \(order) LIMIT ?) AS dated
                    UNION ALL SELECT seq, d, i FROM (\(keyed) \(whereClause(["\(listed.date) IS NULL"])) \(undatedOrder)) AS undated
                    """
                bound = arguments + [date, after.id, more] + arguments + [more]
            } else {
                sql += """
                    SELECT seq, d, i FROM (\(keyed)
                      \(whereClause(["\(listed.date) IS NULL", "\(dialect.binary(listed.id)) < ?"])) \(undatedOrder)) AS undated
                    """
                bound = arguments + [after.id, more]
            }
            sql += ") AS k ORDER BY \(dialect.binary("k.d")) DESC NULLS LAST, \(dialect.binary("k.i")) DESC LIMIT ? OFFSET ?"
            chosen = (sql, bound + window)
        } else {
            chosen = ("SELECT a.seq AS seq, 0 AS score FROM \(from) \(whereClause()) ORDER BY \(order) LIMIT ? OFFSET ?",
                      arguments + window)
        }
        // Filtered by vendor and sector alone, the count comes from their tables' indexes, without reading each
        // advisory's row (7,000 row reads for a sector of 7,000). The arguments are in the same order.
        var countQuery: String?
        if query.text == nil, query.severity == nil, query.year == nil, query.publisher == nil, !query.knownExploited {
            let inSector = "advisory_seq IN (SELECT advisory_seq FROM sectors WHERE sector = ?)"
            if query.vendor != nil {
                countQuery = "SELECT COUNT(*) FROM advisory_vendors WHERE vendor_id = (SELECT id FROM vendors WHERE slug = ?)"
                    + (query.sector != nil ? " AND " + inSector : "")
            } else if query.sector != nil {
                countQuery = "SELECT COUNT(*) FROM sectors WHERE sector = ?"
            }
        }
        let limit = AdvisoryPage.rankedMatches
        let (total, rows) = try await snapshot { db in
            guard let ranked else {
                // Counted once per store generation: a count reads every match (67,897 index entries for the critical
                // advisories of 250,000, 8 ms), the page only its rows.
                let count = countQuery ?? "SELECT COUNT(*) FROM \(from) \(whereClause())"
                let total = try await facetCache.count(generation: try await Self.corpusGeneration(db),
                                                       key: count + "\n\(arguments.values)") {
                    try await db.fetchValue(count, arguments, as: Int.self) ?? 0
                }
                let rows = try await db.fetchAll("WITH page AS (\(chosen.sql))\n\(pageRows)", chosen.arguments)
                return (total, rows)
            }
            // One more than the limit says whether there are more.
            let total = try await db.fetchValue("""
                SELECT COUNT(*) FROM (SELECT 1 FROM \(from) \(whereClause()) ORDER BY \(ranked.newestStored) LIMIT ?) AS matches
                """, arguments + [limit + 1], as: Int.self) ?? 0
            let rows = try await db.fetchAll("""
                WITH hits AS (SELECT a.seq AS seq, \(ranked.innerScore) AS score FROM \(from) \(whereClause())
                              ORDER BY \(ranked.newestStored) LIMIT ?),
                page AS (SELECT h.seq AS seq, \(ranked.score) AS score FROM hits h JOIN advisories a ON a.seq = h.seq \(ranked.outerJoin)
                         ORDER BY 2, \(newest), \(dialect.binary("a.id")) DESC LIMIT ? OFFSET ?)
                \(pageRows)
                """, arguments + [limit] + ranked.outerArguments + window)
            return (total, rows)
        }
        let moreMatches = ranked != nil && total > limit
        let kept = rows.prefix(query.perPage)
        // A ranked search pages by `page` alone: its order is the relevance of at most 1,000 matches, not a key.
        let nextAfter = rows.count > query.perPage && ranked == nil ? kept.last.map {
            ListCursor(currentReleaseDate: $0["current_release_date"], id: $0["id"])
        } : nil
        return AdvisoryPage(items: kept.map(StoreRows.summary), total: moreMatches ? limit : total, query: query,
                            moreMatches: moreMatches, nextAfter: nextAfter)
    }

    /// Every vendor with its advisory count: an aggregate over every advisory, so it is kept per generation of the
    /// corpus (`FacetCache`) and read again only after a document arrives.
    public func vendors() async throws -> [VendorSummary] {
        try await snapshot { db in
            try await facetCache.vendors(generation: try await Self.corpusGeneration(db)) {
                try await db.fetchAll("""
                    SELECT v.name, v.slug, COUNT(*) AS n, MAX(av.current_release_date) AS latest
                    FROM vendors v JOIN advisory_vendors av ON av.vendor_id = v.id
                    GROUP BY v.id ORDER BY \(dialect.noCase("v.name")), v.id
                    """).map(StoreRows.vendorSummary)
            }
        }
    }

    /// The store's generation (`meta.generation`, which every ingest bumps in its transaction and cached pages are
    /// kept by), read in the snapshot the aggregate is computed in. One row, however large the corpus.
    static func corpusGeneration(_ db: Session) async throws -> Int64 {
        try await db.fetchValue("SELECT value FROM meta WHERE key = 'generation'", as: Int64.self) ?? 0
    }

    public func vendor(slug: String) async throws -> VendorSummary? {
        try await fetchOne("""
            SELECT v.name, v.slug, COUNT(av.advisory_seq) AS n, MAX(av.current_release_date) AS latest
            FROM vendors v LEFT JOIN advisory_vendors av ON av.vendor_id = v.id WHERE v.slug = ? GROUP BY v.id
            """, [slug]).map(StoreRows.vendorSummary)
    }

    public func vendorSlugs(for names: [String]) async throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        var slugs: [String: String] = [:]
        // IN lists in chunks: a page may name more vendors than one statement takes parameters.
        for start in stride(from: 0, to: names.count, by: 30_000) {
            let chunk = Array(names[start..<min(names.count, start + 30_000)])
            for row in try await fetchAll("SELECT name, slug FROM vendors WHERE name IN (\(Self.placeholders(chunk.count)))",
                                          SQLArguments(chunk)) {
                slugs[row["name"]] = row["slug"]
            }
        }
        return slugs
    }


    /// The search form's choices (publishers, sectors by use, years): aggregates over every advisory, kept per
    /// generation of the corpus like `vendors()`, so the home page and every search page do not read them all.
    public func filterOptions() async throws -> FilterOptions {
        try await snapshot { db in
            try await facetCache.filterOptions(generation: try await Self.corpusGeneration(db)) {
                FilterOptions(
                    publishers: try await db.fetchValues("SELECT DISTINCT \(dialect.binary("publisher")) FROM advisories ORDER BY 1"),
                    sectors: try await db.fetchValues("""
                        SELECT sector FROM sectors GROUP BY sector ORDER BY COUNT(*) DESC, \(dialect.binary("sector"))
                        """),
                    years: try await db.fetchValues("SELECT DISTINCT year FROM advisories WHERE year IS NOT NULL ORDER BY year DESC"))
            }
        }
    }

    public func statistics() async throws -> StoreStatistics {
        try await snapshot { db in
            func counts(_ sql: String) async throws -> [StoreStatistics.Count] {
                try await db.fetchAll(sql).map { StoreStatistics.Count(name: $0[0] ?? "", count: $0[1]) }
            }
            return StoreStatistics(
                advisories: try await db.fetchValue("SELECT COUNT(*) FROM advisories") ?? 0,
                documents: try await db.fetchValue("SELECT COUNT(*) FROM documents") ?? 0,
                quarantined: try await db.fetchValue("SELECT COUNT(*) FROM quarantine") ?? 0,
                conflicts: try await db.fetchValue("SELECT COUNT(*) FROM conflicts") ?? 0,
                byPublisher: try await counts("""
                    SELECT publisher, COUNT(*) FROM advisories GROUP BY publisher ORDER BY 2 DESC, \(dialect.binary("publisher"))
                    """),
                byVendor: try await counts("""
                    SELECT v.name, COUNT(*) FROM advisory_vendors av JOIN vendors v ON v.id = av.vendor_id
                    GROUP BY v.id ORDER BY 2 DESC, \(dialect.binary("v.name"))
                    """),
                byYear: try await counts("""
                    SELECT CAST(year AS TEXT), COUNT(*) FROM advisories GROUP BY year ORDER BY year DESC NULLS LAST
                    """),
                bySeverity: try await counts("""
                    SELECT severity, COUNT(*) FROM advisories GROUP BY severity ORDER BY MAX(severity_rank) DESC
                    """))
        }
    }

    public func quarantined(limit: Int) async throws -> [QuarantinedDocument] {
        try await fetchAll("""
            SELECT id, origin, reason, code, advisory_id, sha256, size, detected_at FROM quarantine
            ORDER BY \(dialect.binary("detected_at")) DESC, id DESC LIMIT ?
            """, [limit]).map { row in
            let sha: String = row["sha256"]
            return QuarantinedDocument(id: row["id"], origin: row["origin"], reason: row["reason"],
                                       code: QuarantineCode(rawValue: row["code"]),
                                       advisoryID: row["advisory_id"], sha256: sha.isEmpty ? nil : sha, size: row["size"],
                                       detectedAt: Timestamp.parse(row["detected_at"]) ?? Date(timeIntervalSince1970: 0))
        }
    }

    public func conflicts(advisoryID: String?) async throws -> [RevisionConflict] {
        let filter = advisoryID == nil ? "" : "WHERE advisory_id = ?"
        return try await fetchAll("""
            SELECT advisory_id, version, stored_sha256, incoming_sha256, origin, detected_at FROM conflicts \(filter)
            ORDER BY \(dialect.binary("detected_at")) DESC, id DESC
            """, advisoryID.map { [$0] } ?? []).map { row in
            RevisionConflict(advisoryID: row["advisory_id"], version: row["version"], storedSHA256: row["stored_sha256"],
                             incomingSHA256: row["incoming_sha256"], origin: row["origin"],
                             detectedAt: Timestamp.parse(row["detected_at"]) ?? Date(timeIntervalSince1970: 0))
        }
    }
}

extension SQLiteStore {
    /// Turns what a person types into an FTS5 query: every word must occur (as a prefix), and FTS5's own syntax
    /// (quotes, `*`, `NEAR`, column filters) is neutralised so no input can make the query fail.
    static func ftsQuery(_ text: String) -> String? {
        let words = text.split(whereSeparator: { $0.isWhitespace }).compactMap { word -> String? in
            let cleaned = word.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." || $0 == "_" }
            let token = String(String.UnicodeScalarView(cleaned))
            guard token.unicodeScalars.contains(where: { CharacterSet.alphanumerics.contains($0) }) else { return nil }
            return "\"\(token)\"" + (FullTextPrefix.applies(lastToken: FullTextPrefix.lastToken(token)) ? "*" : "")
        }
        return words.isEmpty ? nil : words.joined(separator: " ")
    }
}

extension PostgresStore: AdvisoryStore {}

/// Aggregates over the whole corpus (the vendor list, the search form's choices, the lists' counts), kept for one generation of it
/// (`SQLStore.corpusGeneration`): computed once after the store changes, then served from memory, so the search pages
/// that show them cost the same at 2,000 advisories as at 250,000 (the page cache keeps a page per query; these are
/// shared by every query). Each process keeps its own; the generation is the database's, so other processes' and
/// other nodes' documents count.
public final class FacetCache: @unchecked Sendable {
    private let lock = NSLock()
    private var vendorList: (generation: Int64, value: [VendorSummary])?
    private var options: (generation: Int64, value: FilterOptions)?
    /// List counts by their query and arguments, for one generation; emptied at `countLimit` entries.
    private var counts: (generation: Int64, value: [String: Int]) = (-1, [:])
    static let countLimit = 1_024

    public init() {}

    func count(generation: Int64, key: String, compute: () async throws -> Int) async throws -> Int {
        if let kept = lock.withLock({ counts.generation == generation ? counts.value[key] : nil }) { return kept }
        let value = try await compute()
        lock.withLock {
            // A count of an older generation than the one kept (another reader saw newer documents) is not kept.
            guard generation >= counts.generation else { return }
            if generation > counts.generation || counts.value.count >= Self.countLimit { counts = (generation, [:]) }
            counts.value[key] = value
        }
        return value
    }

    func vendors(generation: Int64, compute: () async throws -> [VendorSummary]) async throws -> [VendorSummary] {
        if let kept = lock.withLock({ vendorList }), kept.generation == generation { return kept.value }
        let value = try await compute()
        lock.withLock { vendorList = (generation, value) }
        return value
    }

    func filterOptions(generation: Int64, compute: () async throws -> FilterOptions) async throws -> FilterOptions {
        if let kept = lock.withLock({ options }), kept.generation == generation { return kept.value }
        let value = try await compute()
        lock.withLock { options = (generation, value) }
        return value
    }
}

/// How a full-text search finds, keeps and ranks its matches on one database (`SQLStore.search`).
private struct RankedSearch {
    /// The condition that selects the matches.
    var match: String
    /// The order that walks them most recently stored first, which the database can follow without sorting.
    var newestStored: String
    /// The relevance computed as each kept match is found (SQLite: bm25 exists only there), lower first.
    var innerScore: String
    /// What the outer query joins to rank the kept matches (PostgreSQL), and its arguments.
    var outerJoin: String
    var outerArguments: SQLArguments
    /// The rank of a kept match, best lowest.
    var score: String
}

/// When a search word's last token is matched as a prefix (`"plc"*`, `'plc':*`): from three characters. A shorter
/// prefix stands for thousands of indexed words, whose lists of advisories the database would merge (186 ms for "s"
/// over 250,000 advisories); "s7" or "ab" is matched as the word itself.
enum FullTextPrefix {
    static let minimumLength = 3

    static func applies(lastToken: Substring) -> Bool { lastToken.unicodeScalars.count >= minimumLength }

    /// The last run of letters and digits in `word`, as both databases' tokenisers split it.
    static func lastToken(_ word: String) -> Substring {
        word.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).last ?? ""
    }
}
