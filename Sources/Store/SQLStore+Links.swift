import CSAF
import Foundation
import Matching
import Revisions
import Storage

/// Links between advisories of different publishers (`AdvisoryLinker`'s rules), worked out from what the store keeps:
/// the advisory row (publisher, namespace, first vendor, initial release date), its vulnerabilities' CVEs, and the
/// document keys in `advisory_link_keys` (`self`: the ID and aliases it is known by; `names`: the IDs its references
/// name), written by the ingest beside the other rows. One advisory's links read its candidates through indexes (the
/// CVE and key lookups), never the documents, so an advisory page pays a few index lookups for them.
extension SQLStore {
    public func related(advisoryIDs: [String]) async throws -> [String: [AdvisoryLink]] {
        let ids = Array(Set(advisoryIDs))
        guard !ids.isEmpty else { return [:] }
        try await ensureLinkKeys()
        let vendors = VendorDirectory()
        return try await snapshot { db in
            var result: [String: [AdvisoryLink]] = [:]
            for chunk in ids.chunked(500) {
                let own = try await Self.linkFacts(where: "a.id IN (\(Self.placeholders(chunk.count)))", SQLArguments(chunk),
                                                   vendors: vendors, db: db)
                guard !own.isEmpty else { continue }
                // Candidates: advisories sharing a CVE, known by a key these name, or naming a key these are known by.
                let cves = Set(own.flatMap { $0.facts.cves })
                let named = Set(own.flatMap { $0.named })
                let identity = Set(own.flatMap { $0.identity })
                var seqs = Set<Int64>()
                for cveChunk in Array(cves).chunked(1_000) {
                    seqs.formUnion(try await db.fetchValues("""
                        SELECT DISTINCT advisory_seq FROM vulnerabilities WHERE cve IN (\(Self.placeholders(cveChunk.count)))
                        """, SQLArguments(cveChunk), as: Int64.self))
                }
                for (kind, keys) in [("self", named), ("names", identity)] {
                    for keyChunk in Array(keys).chunked(1_000) {
                        seqs.formUnion(try await db.fetchValues("""
                            SELECT advisory_seq FROM advisory_link_keys WHERE kind = ? AND key IN (\(Self.placeholders(keyChunk.count)))
                            """, [kind] + SQLArguments(keyChunk), as: Int64.self))
                    }
                }
                seqs.subtract(own.map(\.seq))
                var candidates: [AdvisoryLinkFacts] = own.map(\.facts)
                for seqChunk in Array(seqs).chunked(1_000) {
                    candidates += try await Self.linkFacts(where: "a.seq IN (\(Self.placeholders(seqChunk.count)))",
                                                           SQLArguments(seqChunk), vendors: vendors, db: db).map(\.facts)
                }
                for item in own {
                    let links = AdvisoryLinker.links(of: item.facts, among: candidates)
                    if !links.isEmpty { result[item.facts.id] = links }
                }
            }
            return result
        }
    }

    public func allLinks() async throws -> [String: [AdvisoryLink]] {
        try await ensureLinkKeys()
        let vendors = VendorDirectory()
        let facts = try await snapshot { db in try await Self.linkFacts(where: "1 = 1", [], vendors: vendors, db: db) }
        return AdvisoryLinker.link(facts: facts.map(\.facts))
    }

    /// Writes the link keys of the advisories stored before the keys were kept (the migration that added the table marks
    /// the store `link_keys_pending` when it held advisories), from their current documents, once. Two nodes starting
    /// together: the second waits on the first's row lock on the mark and then finds nothing to do.
    public func ensureLinkKeys() async throws {
        guard try await fetchValue("SELECT value FROM meta WHERE key = 'link_keys_pending'", as: Int64.self) == 1 else { return }
        try await transaction { db in
            guard !(try await db.fetchAll("""
                UPDATE meta SET value = 0 WHERE key = 'link_keys_pending' AND value = 1 RETURNING key
                """, [])).isEmpty else { return }
            var after: Int64 = 0
            while true {
                let rows = try await db.fetchAll("""
                    SELECT a.seq, d.raw FROM advisories a JOIN documents d ON d.id = a.document_id
                    WHERE a.seq > ? ORDER BY a.seq LIMIT 200
                    """, [after])
                guard let last = rows.last else { break }
                after = last["seq"]
                var keys: [[(any SQLValueConvertible)?]] = []
                for row in rows {
                    let raw: [UInt8] = row["raw"]
                    // A stored document that no longer parses keeps no keys: its page says so when it is opened.
                    guard case .csaf(let parsed) = try? CSAFDocumentReader.read(raw, maxBytes: Int.max, checkIdentifiers: false)
                    else { continue }
                    keys += Self.linkKeyRows(parsed.advisory, seq: row["seq"])
                }
                var insert = MultiRowInsert()
                insert.add("advisory_link_keys", Self.linkKeyColumns, rows: keys, suffix: "ON CONFLICT DO NOTHING")
                try await insert.run(db, dialect: dialect)
            }
        }
    }

    static var linkKeyColumns: [String] { ["advisory_seq", "kind", "key"] }

    /// The `advisory_link_keys` rows of an advisory stored as `seq`.
    static func linkKeyRows(_ advisory: Advisory, seq: Int64) -> [[(any SQLValueConvertible)?]] {
        let identity = AdvisoryLinkFacts.identityKeys(of: advisory)
        let named = AdvisoryLinkFacts.namedKeys(of: advisory, identity: identity)
        return identity.sorted().map { [seq, "self", $0] } + named.sorted().map { [seq, "names", $0] }
    }

    /// The link facts of the advisories `condition` (over `advisories a`) selects, with their seqs and keys.
    static func linkFacts(where condition: String, _ arguments: SQLArguments, vendors: VendorDirectory,
                          db: some SQLExecutor) async throws -> [(seq: Int64, facts: AdvisoryLinkFacts, identity: Set<String>, named: Set<String>)] {
        let rows = try await db.fetchAll("""
            SELECT a.seq, a.id, a.publisher, a.publisher_namespace, a.vendors, a.initial_release_date FROM advisories a
            WHERE \(condition)
            """, arguments)
        guard !rows.isEmpty else { return [] }
        let filter = condition == "1 = 1" ? "" : "WHERE advisory_seq IN (SELECT a.seq FROM advisories a WHERE \(condition))"
        var cves: [Int64: [String]] = [:]
        for row in try await db.fetchAll("""
            SELECT advisory_seq, cve FROM vulnerabilities \(filter.isEmpty ? "WHERE" : filter + " AND") cve IS NOT NULL
            """, arguments) {
            cves[row["advisory_seq"], default: []].append(row["cve"])
        }
        var identity: [Int64: Set<String>] = [:]
        var named: [Int64: Set<String>] = [:]
        for row in try await db.fetchAll("SELECT advisory_seq, kind, key FROM advisory_link_keys \(filter)", arguments) {
            let seq: Int64 = row["advisory_seq"]
            if (row["kind"] as String) == "self" { identity[seq, default: []].insert(row["key"]) } else { named[seq, default: []].insert(row["key"]) }
        }
        return rows.map { row in
            let seq: Int64 = row["seq"]
            let vendorList: String = row["vendors"]
            let principal = vendorList.split(separator: "\n", maxSplits: 1).first.map(String.init)
            let facts = AdvisoryLinkFacts(
                id: row["id"], publisherName: row["publisher"], publisherNamespace: row["publisher_namespace"],
                principalVendor: principal, cves: cves[seq] ?? [], identityKeys: identity[seq] ?? [], namedKeys: named[seq] ?? [],
                initialReleaseDate: (row["initial_release_date"] as String?).flatMap(Timestamp.parse), vendors: vendors)
            return (seq, facts, identity[seq] ?? [], named[seq] ?? [])
        }
    }
}

extension Array {
    /// The array in consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
