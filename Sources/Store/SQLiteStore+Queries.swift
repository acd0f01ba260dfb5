import CSAF
import Foundation
import GRDB

extension SQLiteStore {
    public func advisory(id: String) async throws -> StoredAdvisory? {
        let loaded = try await writer.read { db -> (RawDocument, [StoredRevision], Int, [KnownExploitedVulnerability])? in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT d.raw, d.origin FROM advisories a JOIN documents d ON d.id = a.document_id WHERE a.id = ?
                """, arguments: [id]) else { return nil }
            let raw = RawDocument(bytes: [UInt8](row["raw"] as Data), fileName: "", sha256Sidecar: nil, sha512Sidecar: nil, signature: nil)
            let revisions = try SQLiteStore.revisions(advisoryID: id, db: db)
            let conflicts = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts WHERE advisory_id = ?", arguments: [id]) ?? 0
            let known = try Row.fetchAll(db, sql: """
                SELECT DISTINCT k.* FROM advisories a JOIN vulnerabilities v ON v.advisory_seq = a.seq JOIN kev k ON k.cve = v.cve
                WHERE a.id = ? ORDER BY k.cve
                """, arguments: [id]).map { row in
                KnownExploitedVulnerability(cve: row["cve"], vendor: row["vendor"], product: row["product"], name: row["name"],
                                            dateAdded: row["date_added"], dueDate: row["due_date"],
                                            requiredAction: row["required_action"], ransomware: row["ransomware"])
            }
            return (raw, revisions, conflicts, known)
        }
        guard let (raw, revisions, conflicts, known) = loaded, let current = revisions.first(where: \.isCurrent) else { return nil }
        // The stored bytes are the source of truth: the page is built from them, never from a second copy.
        guard case .csaf(let parsed) = try? CSAFDocumentReader.read(raw.bytes, maxBytes: Int.max, checkIdentifiers: false) else {
            throw StoreError.corrupt("the stored document of \(id) no longer parses (database \(path))")
        }
        return StoredAdvisory(advisory: parsed.advisory, document: current, warnings: parsed.warnings,
                              revisions: revisions, conflictCount: conflicts, knownExploited: known)
    }

    static func revisions(advisoryID: String, db: Database) throws -> [StoredRevision] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT d.id, d.version, d.current_release_date, d.current_release_date_raw, d.status, d.sha256, d.sha512, d.size,
              d.origin, d.imported_at, d.integrity, d.integrity_detail, d.sha256_sidecar IS NOT NULL AS has256,
              d.sha512_sidecar IS NOT NULL AS has512, d.signature IS NOT NULL AS hasSig, d.signer,
              d.id = (SELECT document_id FROM advisories WHERE id = ?) AS current
            FROM documents d WHERE d.advisory_id = ?
            """, arguments: [advisoryID, advisoryID])
        var revisions = rows.map { row in
            StoredRevision(
                documentID: row["id"], version: row["version"],
                currentReleaseDate: (row["current_release_date"] as String?).flatMap(Timestamp.parse),
                sha256: row["sha256"], sha512: row["sha512"], size: row["size"], origin: row["origin"],
                importedAt: Timestamp.parse(row["imported_at"]) ?? Date(timeIntervalSince1970: 0),
                integrity: IntegrityStatus(rawValue: row["integrity"]) ?? .unsigned, integrityDetail: row["integrity_detail"],
                hasSHA256Sidecar: row["has256"], hasSHA512Sidecar: row["has512"], hasSignature: row["hasSig"],
                signer: row["signer"], isCurrent: row["current"])
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
        try await writer.read { db in
            let row: Row?
            if let documentID {
                row = try Row.fetchOne(db, sql: """
                    SELECT raw, origin, sha256_sidecar, sha512_sidecar, signature FROM documents WHERE advisory_id = ? AND id = ?
                    """, arguments: [advisoryID, documentID])
            } else {
                row = try Row.fetchOne(db, sql: """
                    SELECT d.raw, d.origin, d.sha256_sidecar, d.sha512_sidecar, d.signature
                    FROM advisories a JOIN documents d ON d.id = a.document_id WHERE a.id = ?
                    """, arguments: [advisoryID])
            }
            guard let row else { return nil }
            let origin: String = row["origin"]
            return RawDocument(bytes: [UInt8](row["raw"] as Data),
                               fileName: origin.split(separator: "/").last.map(String.init) ?? "\(advisoryID).json",
                               sha256Sidecar: row["sha256_sidecar"], sha512Sidecar: row["sha512_sidecar"],
                               signature: (row["signature"] as Data?).map { [UInt8]($0) })
        }
    }

    public func search(_ query: AdvisoryQuery) async throws -> AdvisoryPage {
        try await writer.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            var from = "advisories a"
            var order = "a.current_release_date DESC, a.id DESC"
            if let text = query.text, let match = SQLiteStore.ftsQuery(text) {
                from = "advisories a JOIN advisories_fts f ON f.rowid = a.seq"
                conditions.append("advisories_fts MATCH ?")
                _ = arguments.append(contentsOf: [match])
                // Title and CVE hits first, then vendors, products and the risk summary.
                order = "bm25(advisories_fts, 0, 10.0, 2.0, 5.0, 3.0, 10.0), a.current_release_date DESC"
            }
            if let vendor = query.vendor {
                conditions.append("a.seq IN (SELECT av.advisory_seq FROM advisory_vendors av JOIN vendors v ON v.id = av.vendor_id WHERE v.slug = ?)")
                _ = arguments.append(contentsOf: [vendor])
            }
            if let sector = query.sector {
                conditions.append("a.seq IN (SELECT advisory_seq FROM sectors WHERE sector = ?)")
                _ = arguments.append(contentsOf: [sector])
            }
            if let severity = query.severity {
                conditions.append("a.severity = ?")
                _ = arguments.append(contentsOf: [severity.rawValue])
            }
            if let year = query.year {
                conditions.append("a.year = ?")
                _ = arguments.append(contentsOf: [year])
            }
            if let publisher = query.publisher {
                conditions.append("a.publisher = ?")
                _ = arguments.append(contentsOf: [publisher])
            }
            if query.knownExploited {
                conditions.append("EXISTS (SELECT 1 FROM vulnerabilities v JOIN kev k ON k.cve = v.cve WHERE v.advisory_seq = a.seq)")
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(from) \(whereClause)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT a.id, a.title, a.publisher, a.vendors, a.initial_release_date, a.current_release_date, a.version,
                  a.cvss_score, a.severity, a.cvss_vector, a.cve_count, d.integrity,
                  (SELECT COUNT(DISTINCT v.cve) FROM vulnerabilities v JOIN kev k ON k.cve = v.cve WHERE v.advisory_seq = a.seq) AS kev_count
                FROM \(from) JOIN documents d ON d.id = a.document_id \(whereClause)
                ORDER BY \(order) LIMIT ? OFFSET ?
                """, arguments: arguments + [query.perPage, (query.page - 1) * query.perPage])
            return AdvisoryPage(items: rows.map(SQLiteStore.summary), total: total, query: query)
        }
    }

    static func summary(_ row: Row) -> AdvisorySummary { StoreRows.summary(SQLRow(row)) }

    /// Turns what a person types into an FTS5 query: every word must occur (as a prefix), and FTS5's own syntax
    /// (quotes, `*`, `NEAR`, column filters) is neutralised so no input can make the query fail.
    static func ftsQuery(_ text: String) -> String? {
        let words = text.split(whereSeparator: { $0.isWhitespace }).compactMap { word -> String? in
            let cleaned = word.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." || $0 == "_" }
            let token = String(String.UnicodeScalarView(cleaned))
            guard token.unicodeScalars.contains(where: { CharacterSet.alphanumerics.contains($0) }) else { return nil }
            return "\"\(token)\"*"
        }
        return words.isEmpty ? nil : words.joined(separator: " ")
    }

    public func vendors() async throws -> [VendorSummary] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.name, v.slug, COUNT(*) AS n, MAX(a.current_release_date) AS latest
                FROM vendors v JOIN advisory_vendors av ON av.vendor_id = v.id JOIN advisories a ON a.seq = av.advisory_seq
                GROUP BY v.id ORDER BY v.name COLLATE NOCASE
                """).map(SQLiteStore.vendorSummary)
        }
    }

    public func vendor(slug: String) async throws -> VendorSummary? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT v.name, v.slug, COUNT(a.seq) AS n, MAX(a.current_release_date) AS latest
                FROM vendors v LEFT JOIN advisory_vendors av ON av.vendor_id = v.id
                LEFT JOIN advisories a ON a.seq = av.advisory_seq WHERE v.slug = ? GROUP BY v.id
                """, arguments: [slug]).map(SQLiteStore.vendorSummary)
        }
    }

    public func vendorSlugs(for names: [String]) async throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        return try await writer.read { db in
            let placeholders = Array(repeating: "?", count: names.count).joined(separator: ",")
            let rows = try Row.fetchAll(db, sql: "SELECT name, slug FROM vendors WHERE name IN (\(placeholders))",
                                        arguments: StatementArguments(names))
            return Dictionary(rows.map { ($0["name"] as String, $0["slug"] as String) }, uniquingKeysWith: { a, _ in a })
        }
    }

    static func vendorSummary(_ row: Row) -> VendorSummary { StoreRows.vendorSummary(SQLRow(row)) }

    public func filterOptions() async throws -> FilterOptions {
        try await writer.read { db in
            FilterOptions(
                publishers: try String.fetchAll(db, sql: "SELECT DISTINCT publisher FROM advisories ORDER BY publisher"),
                sectors: try String.fetchAll(db, sql: "SELECT sector FROM sectors GROUP BY sector ORDER BY COUNT(*) DESC, sector"),
                years: try Int.fetchAll(db, sql: "SELECT DISTINCT year FROM advisories WHERE year IS NOT NULL ORDER BY year DESC"))
        }
    }

    public func statistics() async throws -> StoreStatistics {
        try await writer.read { db in
            func counts(_ sql: String) throws -> [StoreStatistics.Count] {
                try Row.fetchAll(db, sql: sql).map { StoreStatistics.Count(name: $0[0] ?? "", count: $0[1]) }
            }
            return StoreStatistics(
                advisories: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisories") ?? 0,
                documents: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? 0,
                quarantined: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM quarantine") ?? 0,
                conflicts: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts") ?? 0,
                byPublisher: try counts("SELECT publisher, COUNT(*) FROM advisories GROUP BY publisher ORDER BY 2 DESC, 1"),
                byVendor: try counts("""
                    SELECT v.name, COUNT(*) FROM advisory_vendors av JOIN vendors v ON v.id = av.vendor_id
                    GROUP BY v.id ORDER BY 2 DESC, 1
                    """),
                byYear: try counts("SELECT CAST(year AS TEXT), COUNT(*) FROM advisories GROUP BY year ORDER BY year DESC"),
                bySeverity: try counts("SELECT severity, COUNT(*) FROM advisories GROUP BY severity ORDER BY MAX(severity_rank) DESC"))
        }
    }

    public func quarantined(limit: Int) async throws -> [QuarantinedDocument] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, origin, reason, code, advisory_id, sha256, size, detected_at FROM quarantine
                ORDER BY detected_at DESC, id DESC LIMIT ?
                """, arguments: [limit]).map { row in
                let sha: String = row["sha256"]
                return QuarantinedDocument(id: row["id"], origin: row["origin"], reason: row["reason"], code: row["code"],
                                           advisoryID: row["advisory_id"], sha256: sha.isEmpty ? nil : sha, size: row["size"],
                                           detectedAt: Timestamp.parse(row["detected_at"]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    public func conflicts(advisoryID: String?) async throws -> [RevisionConflict] {
        try await writer.read { db in
            let filter = advisoryID == nil ? "" : "WHERE advisory_id = ?"
            return try Row.fetchAll(db, sql: """
                SELECT advisory_id, version, stored_sha256, incoming_sha256, origin, detected_at FROM conflicts \(filter)
                ORDER BY detected_at DESC, id DESC
                """, arguments: advisoryID.map { [$0] } ?? []).map { row in
                RevisionConflict(advisoryID: row["advisory_id"], version: row["version"], storedSHA256: row["stored_sha256"],
                                 incomingSHA256: row["incoming_sha256"], origin: row["origin"],
                                 detectedAt: Timestamp.parse(row["detected_at"]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }
}
