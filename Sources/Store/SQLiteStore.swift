import CSAF
import Foundation
import GRDB
import Storage

/// The embedded store: one SQLite file in WAL mode, opened through GRDB.
///
/// Each document is stored atomically: in its own transaction, or with others in one transaction when an import
/// hands over a batch. An import killed half-way leaves every document either fully stored or absent (the batch
/// being written is absent), and a re-run completes it.
public struct SQLiteStore: AdvisoryStore, SQLStore {
    let writer: SQLiteWriter
    let readers: SQLiteSnapshotReaders
    let assetIndexCache = AssetIndexCache()
    /// Where the database lives, for messages.
    public let path: String
    /// The shared hold on `<path>.lock` while this store is in use, which `vigil restore` respects.
    let hold: SQLiteStoreLock?

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // Transactions span awaits (`SQLiteWriter.transaction`): BEGIN and COMMIT run in separate writer accesses.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL: commits survive a killed process; only an OS crash may lose the last ones.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A larger page cache for the writer keeps the FTS and index pages of a bulk import in memory.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // Checkpoint every 32 MB of WAL rather than every 4 MB: per-document commits of a bulk import otherwise
            // spend a tenth of the writer's time copying pages back into the database file.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
        }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                throw StoreError.unavailable("the folder \(directory) for the database does not exist")
            }
            // Held before the file is opened: a restore under way finishes before this process reads the store.
            self.hold = try SQLiteStoreLock.shared(storePath: path)
            let pool = try DatabasePool(path: path, configuration: configuration)
            try SQLiteStore.migrator.migrate(pool)
            self.writer = SQLiteWriter(base: pool, path: path)
            self.readers = SQLiteSnapshotReaders(path: path)
            self.path = path
        } catch let error as DatabaseError {
            // A schema the migrations cannot apply to (SQLITE_ERROR) is damage as far as this build can tell.
            var classified = StoreError(sqlite: error, path: path) ?? .corrupt("")
            classified.message = "could not open the database \(path): \(error.message ?? "\(error.resultCode)")"
            classified.detail = nil  // the message already carries SQLite's words; the CLI prints it as before
            throw classified
        }
    }

    // MARK: Ingest

    public func ingest(_ document: IncomingDocument) async throws -> IngestOutcome {
        try await transaction { db in try await storeDocument(document, db: db) }
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
                return try await transaction { db in
                    var outcomes: [IngestOutcome] = []
                    outcomes.reserveCapacity(documents.count)
                    for document in documents { outcomes.append(try await storeDocument(document, db: db)) }
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

    /// One document's rows, its exposures and the generation, inside the caller's transaction. The rows are written
    /// in one synchronous stretch on the writer connection (cached statements, no thread hop per row).
    func storeDocument(_ document: IncomingDocument, db: SQLiteSession) async throws -> IngestOutcome {
        let (outcome, changed, inventory) = try db.run { db in
            let changesBefore = db.totalChangesCount
            let outcome = try SQLiteStore.ingest(document, db: db)
            let inventory = outcome == .new || outcome == .updated
                ? try Row.fetchOne(db.cachedStatement(sql: Self.inventoryState)).map(SQLRow.init) : nil
            return (outcome, db.totalChangesCount != changesBefore, inventory)
        }
        // Exposures follow the advisory in the same transaction: an alert never sees a half-updated picture.
        if let inventory {
            try await recomputeExposures(advisoryID: document.advisory.id, inventory: inventory, db: db, cache: assetIndexCache)
        }
        // An unchanged document may still have had its integrity raised: pages showing it must be rendered anew.
        if outcome != .unchanged || changed { try await Self.bumpGeneration(db) }
        return outcome
    }

    static func recordChange(advisoryID: String, documentID: Int64, previousDocumentID: Int64?, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO advisory_changes(advisory_id, document_id, previous_document_id, recorded_at) VALUES (?, ?, ?, ?)
            """).execute(arguments: [advisoryID, documentID, previousDocumentID, Timestamp.format(Date())])
    }


    static func ingest(_ incoming: IncomingDocument, db: Database) throws -> IngestOutcome {
        let advisory = incoming.advisory
        let tracking = incoming.tracking
        let sha256 = incoming.integrity.sha256

        // Cached statements throughout: an import runs these thousands of times.
        if let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT integrity FROM documents WHERE advisory_id = ? AND sha256 = ?"),
                                            arguments: [advisory.id, sha256]) {
            // The same bytes again. When this time the check got further (a key became known and the signature
            // verified), record that; a weaker check never overwrites a stronger one.
            let integrity = incoming.integrity
            if integrityRank(integrity.status) > integrityRank(IntegrityStatus(rawValue: stored) ?? .unsigned) {
                try db.cachedStatement(sql: """
                    UPDATE documents SET integrity = ?, integrity_detail = ?, signer = ?,
                      signature = COALESCE(?, signature), sha256_sidecar = COALESCE(?, sha256_sidecar),
                      sha512_sidecar = COALESCE(?, sha512_sidecar)
                    WHERE advisory_id = ? AND sha256 = ?
                    """).execute(arguments: [integrity.status.rawValue, integrity.detail, integrity.signer,
                                             integrity.signature.map { Data($0) }, integrity.sha256Sidecar,
                                             integrity.sha512Sidecar, advisory.id, sha256])
            }
            return .unchanged
        }
        let current = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.seq, d.id AS document_id, d.version, d.current_release_date_raw, d.status, d.sha256
            FROM advisories a JOIN documents d ON d.id = a.document_id WHERE a.id = ?
            """), arguments: [advisory.id])
        // Same version and status already stored with other bytes (current or in history): a conflict, never an
        // overwrite. The same version with another status (interim made final) is another revision.
        if let clash = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT sha256 FROM documents WHERE advisory_id = ? AND version = ? AND (status IS NULL OR status = ?)
            """), arguments: [advisory.id, tracking.version, tracking.status.rawValue]) {
            let storedSHA: String = clash["sha256"]
            let newer = current.map { row in
                RevisionOrder.compare(version: tracking.version, date: tracking.currentReleaseDate, status: tracking.status,
                                      to: row["version"], date: row["current_release_date_raw"],
                                      status: (row["status"] as String?).flatMap(Tracking.Status.init(rawValue:))) > 0
            } ?? false
            if !newer {
                try db.execute(sql: """
                    INSERT INTO conflicts(advisory_id, version, stored_sha256, incoming_sha256, origin, raw, detected_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(advisory_id, version, incoming_sha256) DO NOTHING
                    """, arguments: [advisory.id, tracking.version, storedSHA, sha256, incoming.origin,
                                     Data(incoming.bytes), Timestamp.format(Date())])
                return .conflict
            }
        }
        let documentID = try insertDocument(incoming, db: db)
        guard let current else {
            try insertAdvisory(advisory, documentID: documentID, seq: nil, db: db)
            try recordChange(advisoryID: advisory.id, documentID: documentID, previousDocumentID: nil, db: db)
            return .new
        }
        let order = RevisionOrder.compare(version: tracking.version, date: tracking.currentReleaseDate, status: tracking.status,
                                          to: current["version"], date: current["current_release_date_raw"],
                                          status: (current["status"] as String?).flatMap(Tracking.Status.init(rawValue:)))
        if order > 0 {
            let seq: Int64 = current["seq"]
            try deleteAdvisoryRows(seq: seq, id: advisory.id, db: db)
            try insertAdvisory(advisory, documentID: documentID, seq: seq, db: db)
            try recordChange(advisoryID: advisory.id, documentID: documentID, previousDocumentID: current["document_id"], db: db)
            return .updated
        }
        return .historical
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

    static func insertDocument(_ incoming: IncomingDocument, db: Database) throws -> Int64 {
        let tracking = incoming.tracking
        let integrity = incoming.integrity
        let statement = try db.cachedStatement(sql: """
            INSERT INTO documents(advisory_id, version, current_release_date, current_release_date_raw, status, sha256,
              sha512, size, raw, origin, integrity, integrity_detail, sha256_sidecar, sha512_sidecar, signature, imported_at,
              signer)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [
            incoming.advisory.id, tracking.version,
            incoming.advisory.currentReleaseDate.map(Timestamp.format), tracking.currentReleaseDate,
            tracking.status.rawValue,
            integrity.sha256, integrity.sha512, incoming.bytes.count, Data(incoming.bytes), incoming.origin,
            integrity.status.rawValue, integrity.detail, integrity.sha256Sidecar, integrity.sha512Sidecar,
            integrity.signature.map { Data($0) }, Timestamp.format(Date()), integrity.signer,
        ])
        return db.lastInsertedRowID
    }

    static func deleteAdvisoryRows(seq: Int64, id: String, db: Database) throws {
        for table in ["vulnerabilities", "products", "remediations", "sectors", "advisory_vendors"] {
            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE advisory_seq = ?").execute(arguments: [seq])
        }
        try db.cachedStatement(sql: "DELETE FROM advisories_fts WHERE rowid = ?").execute(arguments: [seq])
    }

    static func insertAdvisory(_ a: Advisory, documentID: Int64, seq existingSeq: Int64?, db: Database) throws {
        let year = (a.initialReleaseDate ?? a.currentReleaseDate).map(Timestamp.year)
        let score = a.highestScore
        let arguments: StatementArguments = [
            a.id, documentID, a.title, a.publisher.name, a.publisher.namespace, a.publisher.category, a.category,
            a.status, a.tlp, a.version, a.initialReleaseDate.map(Timestamp.format),
            a.currentReleaseDate.map(Timestamp.format), year, score?.score, a.severity.rawValue, a.severity.rank,
            score?.vector, a.riskSummary, a.sourceURL, a.vendors.joined(separator: "\n"), a.vulnerabilities.count,
        ]
        let seq: Int64
        if let existingSeq {
            try db.cachedStatement(sql: """
                UPDATE advisories SET id = ?, document_id = ?, title = ?, publisher = ?, publisher_namespace = ?,
                  publisher_category = ?, category = ?, status = ?, tlp = ?, version = ?, initial_release_date = ?,
                  current_release_date = ?, year = ?, cvss_score = ?, severity = ?, severity_rank = ?, cvss_vector = ?,
                  risk_summary = ?, source_url = ?, vendors = ?, cve_count = ?
                WHERE seq = ?
                """).execute(arguments: arguments + [existingSeq])
            seq = existingSeq
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO advisories(id, document_id, title, publisher, publisher_namespace, publisher_category,
                  category, status, tlp, version, initial_release_date, current_release_date, year, cvss_score,
                  severity, severity_rank, cvss_vector, risk_summary, source_url, vendors, cve_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: arguments)
            seq = db.lastInsertedRowID
        }

        let vulnerability = try db.cachedStatement(sql: """
            INSERT INTO vulnerabilities(advisory_seq, position, cve, title, cwe_id, cwe_name, cvss_score, severity,
              cvss_vector, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (position, v) in a.vulnerabilities.enumerated() {
            try vulnerability.execute(arguments: [seq, position, v.cve, v.title, v.cweID, v.cweName, v.score?.score,
                                                  v.score?.severity.rawValue, v.score?.vector, v.summary])
        }
        let product = try db.cachedStatement(sql: """
            INSERT INTO products(advisory_seq, position, product_id, vendor, product, version_text, full_name, status,
              cpe, purl, model_numbers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (position, p) in a.products.enumerated() {
            try product.execute(arguments: [seq, position, p.productID, p.vendor, p.product, p.version, p.fullName,
                                            p.status.rawValue, p.cpe, p.purl,
                                            p.modelNumbers.isEmpty ? nil : p.modelNumbers.joined(separator: "\n")])
        }
        let remediation = try db.cachedStatement(sql: """
            INSERT INTO remediations(advisory_seq, position, category, details, url, product_ids, cves)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for (position, r) in a.remediations.enumerated() {
            try remediation.execute(arguments: [seq, position, r.category, r.details, r.url,
                                                r.productIDs.joined(separator: "\n"), r.cves.joined(separator: "\n")])
        }
        let sector = try db.cachedStatement(sql: "INSERT OR IGNORE INTO sectors(advisory_seq, sector) VALUES (?, ?)")
        for name in a.sectors { try sector.execute(arguments: [seq, name]) }
        let link = try db.cachedStatement(sql: "INSERT OR IGNORE INTO advisory_vendors(advisory_seq, vendor_id) VALUES (?, ?)")
        for name in a.vendors {
            try link.execute(arguments: [seq, try vendorID(name, db: db)])
        }
        let productText = a.searchProductText
        try db.cachedStatement(sql: """
            INSERT INTO advisories_fts(rowid, id, title, summary, vendors, products, cves) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [seq, a.id, a.title, a.riskSummary ?? "", a.vendors.joined(separator: " "),
                                     productText, a.cves.joined(separator: " ")])
    }

    static func vendorID(_ name: String, db: Database) throws -> Int64 {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM vendors WHERE name = ?"), arguments: [name]) {
            return id
        }
        let base = Slug.make(name)
        var slug = base
        var suffix = 2
        while try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM vendors WHERE slug = ?"), arguments: [slug]) == true {
            slug = "\(base)-\(suffix)"
            suffix += 1
        }
        try db.cachedStatement(sql: "INSERT INTO vendors(name, slug) VALUES (?, ?)").execute(arguments: [name, slug])
        return db.lastInsertedRowID
    }
}
