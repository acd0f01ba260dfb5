import CSAF
import Foundation
import GRDB
import Matching

extension SQLiteStore: AssetStore {
    public func organisation(named name: String, create: Bool) async throws -> Organisation? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw StoreError.invalid("an organisation needs a name", field: "name") }
        return try await writer.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT id, name FROM organisations WHERE name = ?", arguments: [trimmed]) {
                return Organisation(id: row["id"], name: row["name"])
            }
            guard create else { return nil }
            try db.execute(sql: "INSERT INTO organisations(name, created_at) VALUES (?, ?)",
                           arguments: [trimmed, Timestamp.format(Date())])
            return Organisation(id: db.lastInsertedRowID, name: trimmed)
        }
    }

    public func organisations() async throws -> [Organisation] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM organisations ORDER BY name").map {
                Organisation(id: $0["id"], name: $0["name"])
            }
        }
    }

    public func importAssets(_ drafts: [AssetDraft], organisationID: Int64, replace: Bool) async throws -> AssetImportSummary {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM organisations WHERE id = ?", arguments: [organisationID]) == true else {
                throw StoreError.notFound("organisation \(organisationID) does not exist")
            }
            var summary = AssetImportSummary()
            var existing: [String: (id: Int64, asset: AssetDraft)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM assets WHERE organisation_id = ?", arguments: [organisationID]) {
                existing[row["merge_key"]] = (row["id"], Self.asset(from: row))
            }
            let now = Timestamp.format(Date())
            var seen = Set<String>()
            for draft in drafts {
                // Identical assets without ids or serial numbers (five alike PLCs in one cell) are numbered in file order.
                var key = Self.mergeKey(draft)
                var ordinal = 1
                while seen.contains(key) {
                    ordinal += 1
                    key = Self.mergeKey(draft) + "#\(ordinal)"
                }
                seen.insert(key)
                let values: [(any DatabaseValueConvertible)?] = [
                    draft.externalID, draft.vendor, draft.product, draft.version, draft.modelNumber, draft.serialNumber,
                    draft.cpe, draft.purl, draft.site, draft.area, draft.owner, draft.criticality?.rawValue,
                    draft.tags.joined(separator: "\n"),
                ]
                if let current = existing[key] {
                    if current.asset == draft { summary.unchanged += 1; continue }
                    try db.execute(sql: """
                        UPDATE assets SET external_id = ?, vendor = ?, product = ?, version = ?, model_number = ?,
                          serial_number = ?, cpe = ?, purl = ?, site = ?, area = ?, owner = ?, criticality = ?, tags = ?,
                          updated_at = ? WHERE id = ?
                        """, arguments: StatementArguments(values + [now, current.id]))
                    summary.updated += 1
                } else {
                    try db.execute(sql: """
                        INSERT INTO assets(external_id, vendor, product, version, model_number, serial_number, cpe, purl,
                          site, area, owner, criticality, tags, organisation_id, merge_key, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: StatementArguments(values + [organisationID, key, now, now]))
                    summary.added += 1
                }
            }
            if replace {
                for (key, current) in existing where !seen.contains(key) {
                    try db.execute(sql: "DELETE FROM assets WHERE id = ?", arguments: [current.id])
                    summary.removed += 1
                }
            }
            try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'assets_generation'")
            try Self.recomputeExposures(organisationID: organisationID, db: db)
            try Self.bumpGeneration(db)
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM exposures WHERE organisation_id = ? GROUP BY status",
                                        arguments: [organisationID]) {
                summary.exposures[row["status"]] = row["n"]
            }
            return summary
        }
    }

    public func assets(organisationID: Int64) async throws -> [StoredAsset] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.*,
                  (SELECT COUNT(*) FROM exposures e WHERE e.asset_id = a.id AND e.status = 'affected') AS affected_count,
                  (SELECT COUNT(*) FROM exposures e WHERE e.asset_id = a.id AND e.status = 'unknown') AS unknown_count
                FROM assets a WHERE a.organisation_id = ? ORDER BY a.site, a.area, a.vendor, a.product, a.id
                """, arguments: [organisationID]).map {
                StoredAsset(id: $0["id"], asset: Self.asset(from: $0), affectedCount: $0["affected_count"],
                            unknownCount: $0["unknown_count"])
            }
        }
    }

    public func exposures(organisationID: Int64, filter: ExposureFilter) async throws -> [ExposureRow] {
        try await writer.read { db in
            var conditions = ["e.organisation_id = ?"]
            var arguments: StatementArguments = [organisationID]
            if let advisoryID = filter.advisoryID { conditions.append("e.advisory_id = ?"); _ = arguments.append(contentsOf: [advisoryID]) }
            if let assetID = filter.assetID { conditions.append("e.asset_id = ?"); _ = arguments.append(contentsOf: [assetID]) }
            if !filter.includeNotAffected { conditions.append("e.status <> 'not_affected'") }
            _ = arguments.append(contentsOf: [filter.limit])
            // Known-exploited first, then the worst status, the highest severity, the newest.
            return try Row.fetchAll(db, sql: """
                SELECT e.*, a.*, ad.title AS advisory_title, ad.severity AS advisory_severity, ad.cvss_score AS advisory_score,
                  (SELECT COUNT(DISTINCT v.cve) FROM vulnerabilities v JOIN kev k ON k.cve = v.cve
                     WHERE v.advisory_seq = ad.seq) AS kev_count
                FROM exposures e JOIN assets a ON a.id = e.asset_id JOIN advisories ad ON ad.id = e.advisory_id
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY (kev_count > 0) DESC, e.status_rank, ad.severity_rank DESC, e.first_seen DESC, e.advisory_id DESC, a.id
                LIMIT ?
                """, arguments: arguments).map { row in
                ExposureRow(
                    exposure: Exposure(assetID: row["asset_id"], advisoryID: row["advisory_id"],
                                       status: ExposureStatus(rawValue: row["status"]) ?? .unknown,
                                       confidence: MatchConfidence(rawValue: row["confidence"]) ?? .low,
                                       reason: row["reason"],
                                       productIDs: (row["product_ids"] as String).split(separator: "\n").map(String.init)),
                    asset: Self.asset(from: row), advisoryTitle: row["advisory_title"],
                    severity: row["advisory_severity"], cvssScore: row["advisory_score"],
                    knownExploitedCount: row["kev_count"],
                    firstSeen: Timestamp.parse(row["first_seen"]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    public func recomputeExposures() async throws -> Int {
        try await writer.write { db in
            let organisations = try Int64.fetchAll(db, sql: "SELECT id FROM organisations")
            for id in organisations { try Self.recomputeExposures(organisationID: id, db: db) }
            try Self.bumpGeneration(db)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exposures") ?? 0
        }
    }

    public func vendorAliases() async throws -> [String: String] {
        try await writer.read { db in try Self.vendorAliases(db) }
    }

    public func setVendorAlias(_ alias: String, canonical: String?) async throws {
        try await writer.write { db in
            let key = VendorDirectory.key(alias)
            guard !key.isEmpty else { throw StoreError.invalid("the alias \"\(alias)\" has no letters or digits", field: "alias") }
            if let canonical, !canonical.trimmingCharacters(in: .whitespaces).isEmpty {
                try db.execute(sql: "INSERT OR REPLACE INTO vendor_aliases(alias, canonical) VALUES (?, ?)", arguments: [key, canonical])
            } else {
                try db.execute(sql: "DELETE FROM vendor_aliases WHERE alias = ?", arguments: [key])
            }
            try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'assets_generation'")
        }
    }

    // MARK: Recomputation

    static func vendorAliases(_ db: Database) throws -> [String: String] {
        var aliases: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT alias, canonical FROM vendor_aliases") { aliases[row["alias"]] = row["canonical"] }
        return aliases
    }

    /// One organisation's exposures to every current advisory, replacing what was stored; first_seen is kept.
    static func recomputeExposures(organisationID: Int64, db: Database) throws {
        let calculator = ExposureCalculator(directory: VendorDirectory(custom: try vendorAliases(db)))
        let assets = try Row.fetchAll(db, sql: "SELECT * FROM assets WHERE organisation_id = ?", arguments: [organisationID])
            .map { MatchAsset(id: $0["id"], asset: asset(from: $0)) }
        var exposures: [Exposure] = []
        if !assets.isEmpty {
            let index = calculator.index(advisories: try matchAdvisories(advisoryID: nil, db: db))
            for asset in assets { exposures += calculator.exposures(of: asset, in: index) }
        }
        try replaceExposures(exposures, organisationID: organisationID, advisoryID: nil, db: db)
    }

    /// Every organisation's exposures to one advisory, after it arrived or changed.
    static func recomputeExposures(advisoryID: String, db: Database, cache: AssetIndexCache) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM assets)")) == true else { return }
        let generation = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'assets_generation'")) ?? 0
        let (calculator, index, organisationOf) = try cache.assetIndex(generation: generation) {
            let calculator = ExposureCalculator(directory: VendorDirectory(custom: try vendorAliases(db)))
            var organisationOf: [Int64: Int64] = [:]
            let assets = try Row.fetchAll(db, sql: "SELECT * FROM assets").map { row -> MatchAsset in
                organisationOf[row["id"]] = row["organisation_id"]
                return MatchAsset(id: row["id"], asset: asset(from: row))
            }
            return (calculator, calculator.index(assets: assets), organisationOf)
        }
        var exposures: [Exposure] = []
        for advisory in try matchAdvisories(advisoryID: advisoryID, db: db) {
            exposures += calculator.exposures(to: advisory, in: index)
        }
        for organisationID in Set(organisationOf.values) {
            try replaceExposures(exposures.filter { organisationOf[$0.assetID] == organisationID },
                                 organisationID: organisationID, advisoryID: advisoryID, db: db)
        }
    }

    static func replaceExposures(_ exposures: [Exposure], organisationID: Int64, advisoryID: String?, db: Database) throws {
        var firstSeen: [String: String] = [:]
        let scope = advisoryID == nil ? "" : " AND advisory_id = ?"
        let scopeArguments: StatementArguments = advisoryID.map { [organisationID, $0] } ?? [organisationID]
        for row in try Row.fetchAll(db, sql: "SELECT asset_id, advisory_id, first_seen FROM exposures WHERE organisation_id = ?\(scope)",
                                    arguments: scopeArguments) {
            firstSeen["\(row["asset_id"] as Int64)|\(row["advisory_id"] as String)"] = row["first_seen"]
        }
        try db.execute(sql: "DELETE FROM exposures WHERE organisation_id = ?\(scope)", arguments: scopeArguments)
        let now = Timestamp.format(Date())
        let insert = try db.cachedStatement(sql: """
            INSERT INTO exposures(asset_id, advisory_id, organisation_id, status, status_rank, confidence, reason,
              product_ids, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for exposure in exposures {
            try insert.execute(arguments: [
                exposure.assetID, exposure.advisoryID, organisationID, exposure.status.rawValue,
                exposure.status.rank, exposure.confidence.rawValue, exposure.reason,
                exposure.productIDs.joined(separator: "\n"),
                firstSeen["\(exposure.assetID)|\(exposure.advisoryID)"] ?? now,
            ])
        }
    }

    /// Current advisories' products as matching reads them (all advisories, or one).
    static func matchAdvisories(advisoryID: String?, db: Database) throws -> [MatchAdvisory] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.id, p.product_id, p.vendor, p.product, p.version_text, p.full_name, p.status, p.cpe, p.purl, p.model_numbers
            FROM products p JOIN advisories a ON a.seq = p.advisory_seq
            \(advisoryID == nil ? "" : "WHERE a.id = ?") ORDER BY a.seq, p.position
            """, arguments: advisoryID.map { [$0] } ?? [])
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

    static func asset(from row: Row) -> AssetDraft { StoreRows.asset(from: SQLRow(row)) }

    /// The inventory's asset id when it has one; else what tells two physical assets apart.
    static func mergeKey(_ draft: AssetDraft) -> String {
        if let id = draft.externalID?.trimmingCharacters(in: .whitespaces), !id.isEmpty { return "id:" + id }
        return "at:" + [draft.vendor, draft.product, draft.modelNumber ?? "", draft.serialNumber ?? "", draft.site ?? "",
                        draft.area ?? ""].map { $0.lowercased().trimmingCharacters(in: .whitespaces) }.joined(separator: "|")
    }
}

/// The index of every organisation's assets, kept between ingests while the inventories and aliases are unchanged,
/// so a bulk import does not rebuild it for each document.
final class AssetIndexCache: @unchecked Sendable {
    typealias Entry = (ExposureCalculator, ExposureCalculator.AssetIndex, [Int64: Int64])
    private let lock = NSLock()
    private var generation: Int64 = -1
    private var entry: Entry?

    func assetIndex(generation: Int64, build: () throws -> Entry) throws -> Entry {
        lock.lock()
        defer { lock.unlock() }
        if let entry, self.generation == generation { return entry }
        let built = try build()
        entry = built
        self.generation = generation
        return built
    }

    /// The index kept for this generation, if any: for a store that reads the assets asynchronously.
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
