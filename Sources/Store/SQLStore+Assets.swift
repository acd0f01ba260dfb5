import CSAF
import Foundation
import Matching
import Storage

/// Organisations, asset inventories, exposures and their recomputation, vendor aliases: one implementation for both
/// databases.
extension SQLStore {
    public func organisation(named name: String, create: Bool) async throws -> Organisation? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw StoreError.invalid("an organisation needs a name", field: "name") }
        return try await transaction { db in
            // Names are unique ignoring case.
            let find = "SELECT id, name FROM organisations WHERE \(dialect.sameText("name"))"
            if let row = try await db.fetchOne(find, [trimmed]) { return Organisation(id: row["id"], name: row["name"]) }
            guard create else { return nil }
            // Another node creating it at the same moment: the insert does nothing and its row is read.
            if let id = try await db.fetchValue("""
                INSERT INTO organisations(name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING id
                """, [trimmed, Timestamp.format(Date())], as: Int64.self) {
                return Organisation(id: id, name: trimmed)
            }
            return try await db.fetchOne(find, [trimmed]).map { Organisation(id: $0["id"], name: $0["name"]) }
        }
    }

    public func organisations() async throws -> [Organisation] {
        try await fetchAll("SELECT id, name FROM organisations ORDER BY \(dialect.noCase("name")), id").map {
            Organisation(id: $0["id"], name: $0["name"])
        }
    }

    public func organisationSettings(organisationID: Int64) async throws -> OrganisationSettings? {
        try await fetchOne("""
            SELECT name, time_zone, digest_hour, base_url, settings_updated_at, settings_updated_by FROM organisations WHERE id = ?
            """, [organisationID]).map { row in
            OrganisationSettings(name: row["name"], timeZone: row["time_zone"], digestHour: row["digest_hour"], baseURL: row["base_url"],
                                 updatedAt: (row["settings_updated_at"] as String?).flatMap(Timestamp.parse), updatedBy: row["settings_updated_by"])
        }
    }

    public func saveOrganisationSettings(_ settings: OrganisationSettings, organisationID: Int64, actor: String, at: Date) async throws {
        let settings = try settings.validated()
        try await transaction { db in
            guard try await db.fetchValue("SELECT 1 FROM organisations WHERE id = ?", [organisationID], as: Int.self) != nil else {
                throw StoreError.notFound("organisation \(organisationID) does not exist")
            }
            // Names are unique ignoring case; the unique index stays the last word when two renames race.
            if try await db.fetchValue("SELECT 1 FROM organisations WHERE \(dialect.sameText("name")) AND id <> ?",
                                       [settings.name, organisationID], as: Int.self) != nil {
                throw StoreError.conflict("Another organisation is called “\(settings.name)”: choose another name.")
            }
            try await db.execute("""
                UPDATE organisations SET name = ?, time_zone = ?, digest_hour = ?, base_url = ?, settings_updated_at = ?,
                  settings_updated_by = ? WHERE id = ?
                """, [settings.name, settings.timeZone, settings.digestHour, settings.baseURL, Timestamp.format(at), actor, organisationID])
            // Pages name the organisation, and are cached by generation.
            try await Self.bumpGeneration(db)
        }
    }

    public func importAssets(_ drafts: [AssetDraft], organisationID: Int64, replace: Bool) async throws -> AssetImportSummary {
        try await transaction { db in
            // Exclusive against ingests' shared hold: the exposures computed here see every advisory committed before.
            try await lock(Self.inventoryLock, in: db)
            guard try await db.fetchValue("SELECT 1 FROM organisations WHERE id = ?", [organisationID], as: Int.self) != nil else {
                throw StoreError.notFound("organisation \(organisationID) does not exist")
            }
            var summary = AssetImportSummary()
            var existing: [String: (id: Int64, asset: AssetDraft)] = [:]
            for row in try await db.fetchAll("SELECT * FROM assets WHERE organisation_id = ?", [organisationID]) {
                existing[row["merge_key"]] = (row["id"], StoreRows.asset(from: row))
            }
            let now = Timestamp.format(Date())
            var seen = Set<String>()
            var added: [[(any SQLValueConvertible)?]] = []
            for draft in drafts {
                // Identical assets without ids or serial numbers (five alike PLCs in one cell) are numbered in file order.
                var key = Self.mergeKey(draft)
                var ordinal = 1
                while seen.contains(key) {
                    ordinal += 1
                    key = Self.mergeKey(draft) + "#\(ordinal)"
                }
                seen.insert(key)
                let values: [(any SQLValueConvertible)?] = [
                    draft.externalID, draft.vendor, draft.product, draft.version, draft.modelNumber, draft.serialNumber,
                    draft.cpe, draft.purl, draft.site, draft.area, draft.owner, draft.criticality?.rawValue,
                    draft.tags.joined(separator: "\n"),
                ]
                if let current = existing[key] {
                    if current.asset == draft { summary.unchanged += 1; continue }
                    try await db.execute("""
                        UPDATE assets SET external_id = ?, vendor = ?, product = ?, version = ?, model_number = ?,
                          serial_number = ?, cpe = ?, purl = ?, site = ?, area = ?, owner = ?, criticality = ?, tags = ?,
                          updated_at = ? WHERE id = ?
                        """, SQLArguments((values + [now, current.id]).map { $0?.sqlValue ?? .null }))
                    summary.updated += 1
                } else {
                    added.append(values + [organisationID, key, now, now])
                    summary.added += 1
                }
            }
            try await insertRows("assets", ["external_id", "vendor", "product", "version", "model_number", "serial_number", "cpe",
                                            "purl", "site", "area", "owner", "criticality", "tags", "organisation_id", "merge_key",
                                            "created_at", "updated_at"], added, in: db)
            if replace {
                let removed = existing.filter { !seen.contains($0.key) }.map(\.value.id)
                for start in stride(from: 0, to: removed.count, by: 30_000) {
                    let chunk = Array(removed[start..<min(removed.count, start + 30_000)])
                    try await db.execute("DELETE FROM assets WHERE id IN (\(Self.placeholders(chunk.count)))", SQLArguments(chunk))
                }
                summary.removed = removed.count
            }
            try await db.execute("UPDATE meta SET value = value + 1 WHERE key = 'assets_generation'")
            try await recomputeExposures(organisationID: organisationID, db: db)
            try await Self.bumpGeneration(db)
            for row in try await db.fetchAll("""
                SELECT status, COUNT(*) AS n FROM exposures WHERE organisation_id = ? GROUP BY status
                """, [organisationID]) {
                summary.exposures[row["status"]] = row["n"]
            }
            return summary
        }
    }

    public func assets(organisationID: Int64) async throws -> [StoredAsset] {
        try await fetchAll("""
            SELECT a.*,
              (SELECT COUNT(*) FROM exposures e WHERE e.asset_id = a.id AND e.status = 'affected') AS affected_count,
              (SELECT COUNT(*) FROM exposures e WHERE e.asset_id = a.id AND e.status = 'unknown') AS unknown_count
            FROM assets a WHERE a.organisation_id = ?
            ORDER BY \(dialect.binary("a.site")) NULLS FIRST, \(dialect.binary("a.area")) NULLS FIRST, \(dialect.binary("a.vendor")),
              \(dialect.binary("a.product")), a.id
            """, [organisationID]).map {
            StoredAsset(id: $0["id"], asset: StoreRows.asset(from: $0), affectedCount: $0["affected_count"],
                        unknownCount: $0["unknown_count"])
        }
    }

    public func exposures(organisationID: Int64, filter: ExposureFilter) async throws -> [ExposureRow] {
        var conditions = ["e.organisation_id = ?"]
        var arguments: SQLArguments = [organisationID]
        if let advisoryID = filter.advisoryID { conditions.append("e.advisory_id = ?"); arguments.append(advisoryID) }
        if let assetID = filter.assetID { conditions.append("e.asset_id = ?"); arguments.append(assetID) }
        if !filter.includeNotAffected { conditions.append("e.status <> 'not_affected'") }
        arguments.append(filter.limit)
        // Each advisory's count of known-exploited CVEs: a LATERAL join on PostgreSQL (its ORDER BY cannot use a select
        // list's alias inside an expression), a correlated subquery on SQLite (which has no LATERAL).
        let kev = "SELECT COUNT(DISTINCT v.cve) FROM vulnerabilities v JOIN kev ON kev.cve = v.cve WHERE v.advisory_seq = ad.seq"
        let (kevColumn, kevJoin) = dialect == .postgres ? ("k.kev_count", "CROSS JOIN LATERAL (\(kev)) AS k(kev_count)")
                                                        : ("(\(kev)) AS kev_count", "")
        // Known-exploited first, then the worst status, the highest severity, the newest.
        return try await fetchAll("""
            SELECT e.*, a.*, ad.title AS advisory_title, ad.severity AS advisory_severity, ad.cvss_score AS advisory_score,
              \(kevColumn)
            FROM exposures e JOIN assets a ON a.id = e.asset_id JOIN advisories ad ON ad.id = e.advisory_id \(kevJoin)
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY (kev_count > 0) DESC, e.status_rank, ad.severity_rank DESC, \(dialect.binary("e.first_seen")) DESC,
              \(dialect.binary("e.advisory_id")) DESC, a.id
            LIMIT ?
            """, arguments).map { row in
            ExposureRow(
                exposure: Exposure(assetID: row["asset_id"], advisoryID: row["advisory_id"],
                                   status: ExposureStatus(rawValue: row["status"]) ?? .unknown,
                                   confidence: MatchConfidence(rawValue: row["confidence"]) ?? .low,
                                   reason: row["reason"],
                                   productIDs: (row["product_ids"] as String).split(separator: "\n").map(String.init)),
                asset: StoreRows.asset(from: row), advisoryTitle: row["advisory_title"],
                severity: row["advisory_severity"], cvssScore: row["advisory_score"],
                knownExploitedCount: row["kev_count"],
                firstSeen: Timestamp.parse(row["first_seen"]) ?? Date(timeIntervalSince1970: 0))
        }
    }

    public func recomputeExposures() async throws -> Int {
        try await transaction { db in
            try await lock(Self.inventoryLock, in: db)
            for id in try await db.fetchValues("SELECT id FROM organisations", as: Int64.self) {
                try await recomputeExposures(organisationID: id, db: db)
            }
            try await Self.bumpGeneration(db)
            return try await db.fetchValue("SELECT COUNT(*) FROM exposures") ?? 0
        }
    }

    public func vendorAliases() async throws -> [String: String] {
        try await Self.vendorAliases(self)
    }

    public func setVendorAlias(_ alias: String, canonical: String?) async throws {
        let key = VendorDirectory.key(alias)
        guard !key.isEmpty else { throw StoreError.invalid("the alias \"\(alias)\" has no letters or digits", field: "alias") }
        try await transaction { db in
            if let canonical, !canonical.trimmingCharacters(in: .whitespaces).isEmpty {
                try await db.execute("""
                    INSERT INTO vendor_aliases(alias, canonical) VALUES (?, ?)
                    ON CONFLICT (alias) DO UPDATE SET canonical = excluded.canonical
                    """, [key, canonical])
            } else {
                try await db.execute("DELETE FROM vendor_aliases WHERE alias = ?", [key])
            }
            try await db.execute("UPDATE meta SET value = value + 1 WHERE key = 'assets_generation'")
        }
    }

    // MARK: Recomputation

    static func vendorAliases(_ db: some SQLExecutor) async throws -> [String: String] {
        var aliases: [String: String] = [:]
        for row in try await db.fetchAll("SELECT alias, canonical FROM vendor_aliases") { aliases[row["alias"]] = row["canonical"] }
        return aliases
    }

    /// One organisation's exposures to every current advisory, replacing what was stored; first_seen is kept.
    func recomputeExposures(organisationID: Int64, db: Session) async throws {
        let calculator = ExposureCalculator(directory: VendorDirectory(custom: try await Self.vendorAliases(db)))
        let assets = try await db.fetchAll("SELECT * FROM assets WHERE organisation_id = ?", [organisationID])
            .map { MatchAsset(id: $0["id"], asset: StoreRows.asset(from: $0)) }
        var exposures: [Exposure] = []
        if !assets.isEmpty {
            let index = calculator.index(advisories: try await Self.matchAdvisories(advisoryID: nil, db: db))
            for asset in assets { exposures += calculator.exposures(of: asset, in: index) }
            let statements = try await Self.vexStatements(cves: nil, db: db)
            if !statements.isEmpty {
                exposures = VEXOverlay.apply(exposures, context: exposures, statements: statements,
                                             cves: try await Self.advisoryCVEs(advisoryID: nil, db: db)).exposures
            }
        }
        try await replaceExposures(exposures, organisationIDs: [organisationID], advisoryID: nil, db: db) { _ in organisationID }
    }

    /// Whether any organisation has assets, and the inventories' generation.
    static var inventoryState: String {
        "SELECT EXISTS (SELECT 1 FROM assets) AS has_assets, (SELECT value FROM meta WHERE key = 'assets_generation') AS generation"
    }

    /// Every organisation's exposures to one advisory, after it arrived or changed; `state` is `inventoryState`'s row.
    func recomputeExposures(advisoryID: String, inventory state: SQLRow, db: Session,
                                   cache: AssetIndexCache) async throws {
        guard state["has_assets"] as Bool else { return }
        // The generation is the database's, so an inventory changed by another node rebuilds this node's index too.
        let generation: Int64 = state["generation"] ?? 0
        let entry: AssetIndexCache.Entry
        if let cached = cache.cached(generation: generation) {
            entry = cached
        } else {
            let calculator = ExposureCalculator(directory: VendorDirectory(custom: try await Self.vendorAliases(db)))
            var organisationOf: [Int64: Int64] = [:]
            let assets = try await db.fetchAll("SELECT * FROM assets").map { row -> MatchAsset in
                organisationOf[row["id"]] = row["organisation_id"]
                return MatchAsset(id: row["id"], asset: StoreRows.asset(from: row))
            }
            entry = (calculator, calculator.index(assets: assets), organisationOf)
            cache.keep(entry, generation: generation)
        }
        let (calculator, index, organisationOf) = entry
        var exposures: [Exposure] = []
        for advisory in try await Self.matchAdvisories(advisoryID: advisoryID, db: db) {
            exposures += calculator.exposures(to: advisory, in: index)
        }
        // VEX (CSAF's csaf_vex profile): a VEX document's known_not_affected closes exposures that other advisories of
        // the same CVEs open; an advisory arriving after the VEX document is read against it.
        let isVEX = try await db.fetchValue("SELECT category FROM advisories WHERE id = ?", [advisoryID], as: String.self) == "csaf_vex"
        // Most advisories concern no asset: their CVEs are read only when a VEX document or an exposure needs them.
        let cves = isVEX || !exposures.isEmpty ? try await Self.advisoryCVEs(advisoryID: advisoryID, db: db) : [:]
        if !isVEX, let own = cves[advisoryID], !exposures.isEmpty {
            let statements = try await Self.vexStatements(cves: Set(own), db: db)
            if !statements.isEmpty {
                let documents = Array(Set(statements.map(\.advisoryID)))
                let context = try await db.fetchAll("""
                    SELECT asset_id, advisory_id, confidence, product_ids FROM exposures
                    WHERE status = 'not_affected' AND advisory_id IN (\(Self.placeholders(documents.count)))
                    """, SQLArguments(documents)).map { row in
                    Exposure(assetID: row["asset_id"], advisoryID: row["advisory_id"], status: .notAffected,
                             confidence: MatchConfidence(rawValue: row["confidence"]) ?? .low, reason: "",
                             productIDs: (row["product_ids"] as String).components(separatedBy: "\n"))
                }
                exposures = VEXOverlay.apply(exposures, context: context, statements: statements, cves: cves).exposures
            }
        }
        try await replaceExposures(exposures, organisationIDs: Array(Set(organisationOf.values)), advisoryID: advisoryID, db: db) {
            organisationOf[$0.assetID]!
        }
        // A VEX document: the other advisories of its CVEs are read against it again (it may close, or no longer
        // close, their exposures).
        if isVEX, let own = cves[advisoryID], !own.isEmpty {
            let others = try await db.fetchAll("""
                SELECT DISTINCT a.id FROM vulnerabilities v JOIN advisories a ON a.seq = v.advisory_seq
                WHERE v.cve IN (\(Self.placeholders(own.count))) AND a.category <> 'csaf_vex'
                """, SQLArguments(own)).map { $0["id"] as String }
            for other in others {
                try await recomputeExposures(advisoryID: other, inventory: state, db: db, cache: cache)
            }
        }
    }

    /// Each advisory's CVEs (one advisory's, or all).
    static func advisoryCVEs(advisoryID: String?, db: some SQLExecutor) async throws -> [String: [String]] {
        var cves: [String: [String]] = [:]
        for row in try await db.fetchAll("""
            SELECT a.id, v.cve FROM vulnerabilities v JOIN advisories a ON a.seq = v.advisory_seq
            WHERE v.cve IS NOT NULL\(advisoryID == nil ? "" : " AND a.id = ?") ORDER BY a.seq, v.position
            """, advisoryID.map { [$0] } ?? []) {
            cves[row["id"], default: []].append(row["cve"])
        }
        return cves
    }

    /// The statements of the current VEX documents that speak of these CVEs (of all, when nil), read from their
    /// stored bytes: VEX documents are few, and what they say per CVE and product is not kept in columns.
    static func vexStatements(cves: Set<String>?, db: some SQLExecutor) async throws -> [VEXStatement] {
        var sql = "SELECT a.id, d.raw FROM advisories a JOIN documents d ON d.id = a.document_id WHERE a.category = 'csaf_vex'"
        var arguments = SQLArguments()
        if let cves {
            guard !cves.isEmpty else { return [] }
            sql += " AND a.seq IN (SELECT advisory_seq FROM vulnerabilities WHERE cve IN (\(Self.placeholders(cves.count))))"
            arguments = SQLArguments(Array(cves).sorted())
        }
        var statements: [VEXStatement] = []
        for row in try await db.fetchAll(sql, arguments) {
            let raw: [UInt8] = row["raw"]
            guard case .csaf(let parsed) = try? CSAFDocumentReader.read(raw, maxBytes: Int.max, checkIdentifiers: false) else { continue }
            var names: [String: String] = [:]
            for product in parsed.advisory.products { names[product.productID] = product.fullName }
            statements += VEXStatement.statements(in: parsed.document, advisoryID: row["id"], names: names).filter { cves?.contains($0.cve) ?? true }
        }
        return statements
    }

    /// Replaces the organisations' exposures (to one advisory, or to all) in three statements, keeping first_seen.
    func replaceExposures(_ exposures: [Exposure], organisationIDs: [Int64], advisoryID: String?, db: Session,
                                 organisation: (Exposure) -> Int64) async throws {
        guard !organisationIDs.isEmpty else { return }
        var scope = "organisation_id IN (\(Self.placeholders(organisationIDs.count)))"
        var scopeArguments = SQLArguments(organisationIDs)
        if let advisoryID {
            scope += " AND advisory_id = ?"
            scopeArguments.append(advisoryID)
        }
        var firstSeen: [String: String] = [:]
        for row in try await db.fetchAll("SELECT asset_id, advisory_id, first_seen FROM exposures WHERE \(scope)", scopeArguments) {
            firstSeen["\(row["asset_id"] as Int64)|\(row["advisory_id"] as String)"] = row["first_seen"]
        }
        try await db.execute("DELETE FROM exposures WHERE \(scope)", scopeArguments)
        let now = Timestamp.format(Date())
        try await insertRows("exposures", ["asset_id", "advisory_id", "organisation_id", "status", "status_rank", "confidence",
                                           "reason", "product_ids", "first_seen"],
                             exposures.map { exposure in
                                 [exposure.assetID, exposure.advisoryID, organisation(exposure), exposure.status.rawValue,
                                  exposure.status.rank, exposure.confidence.rawValue, exposure.reason,
                                  exposure.productIDs.joined(separator: "\n"),
                                  firstSeen["\(exposure.assetID)|\(exposure.advisoryID)"] ?? now]
                             }, in: db)
    }

    /// Current advisories' products as matching reads them (all advisories, or one).
    static func matchAdvisories(advisoryID: String?, db: some SQLExecutor) async throws -> [MatchAdvisory] {
        let rows = try await db.fetchAll("""
            SELECT a.id, p.product_id, p.vendor, p.product, p.version_text, p.full_name, p.status, p.cpe, p.purl, p.model_numbers
            FROM products p JOIN advisories a ON a.seq = p.advisory_seq
            \(advisoryID == nil ? "" : "WHERE a.id = ?") ORDER BY a.seq, p.position
            """, advisoryID.map { [$0] } ?? [])
        var advisories: [MatchAdvisory] = []
        for row in rows {
            let id: String = row["id"]
            let product = AffectedProduct(
                productID: row["product_id"], vendor: row["vendor"], product: row["product"], version: row["version_text"],
                fullName: row["full_name"], status: ProductStatusKind(rawValue: row["status"]) ?? .unlisted,
                cpe: row["cpe"], purl: row["purl"],
                modelNumbers: (row["model_numbers"] as String?)?.split(separator: "\n").map(String.init) ?? [])
            if advisories.last?.id == id {
                advisories[advisories.count - 1].products.append(product)
            } else {
                advisories.append(MatchAdvisory(id: id, products: [product]))
            }
        }
        return advisories
    }

    /// The inventory's asset id when it has one; else what tells two physical assets apart.
    static func mergeKey(_ draft: AssetDraft) -> String {
        if let id = draft.externalID?.trimmingCharacters(in: .whitespaces), !id.isEmpty { return "id:" + id }
        return "at:" + [draft.vendor, draft.product, draft.modelNumber ?? "", draft.serialNumber ?? "", draft.site ?? "",
                        draft.area ?? ""].map { $0.lowercased().trimmingCharacters(in: .whitespaces) }.joined(separator: "|")
    }

    /// Key of the lock that orders inventory changes against ingests (PostgreSQL; see `storeDocument`).
    static var inventoryLock: Int64 { 0x5649_4749_4C00_0002 }
}

/// The index of every organisation's assets, kept between ingests while the inventories and aliases are unchanged,
/// so a bulk import does not rebuild it for each document.
public final class AssetIndexCache: @unchecked Sendable {
    typealias Entry = (ExposureCalculator, ExposureCalculator.AssetIndex, [Int64: Int64])
    private let lock = NSLock()
    private var generation: Int64 = -1
    private var entry: Entry?

    /// The index kept for this generation, if any.
    func cached(generation: Int64) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return self.generation == generation ? entry : nil
    }

    func keep(_ entry: Entry, generation: Int64) {
        lock.lock()
        defer { lock.unlock() }
        self.entry = entry
        self.generation = generation
    }
}

extension SQLiteStore: AssetStore {}
extension PostgresStore: AssetStore {}
