import CSAF
import Foundation
import GRDB
import Storage

/// Moves an installation from a SQLite file into an empty PostgreSQL database (`vigil import --from sqlite:PATH`,
/// `vigil export --to postgres://…`): every table, row for row, with every ID kept, so links, alert numbers, API
/// tokens and sessions stay valid. One transaction: a copy that fails or is killed half-way leaves the target as it
/// was, and running it again starts over.
public struct StoreCopier: Sendable {
    /// Tables in an order that satisfies their foreign keys. `source_leases` is not copied: leases belong to running
    /// processes.
    static let tables: [(name: String, order: String)] = [
        ("documents", "rowid"), ("advisories", "rowid"), ("vulnerabilities", "advisory_seq, position"),
        ("vendors", "rowid"), ("advisory_vendors", "advisory_seq, vendor_id"), ("products", "advisory_seq, position"),
        ("remediations", "advisory_seq, position"), ("sectors", "advisory_seq, sector"),
        ("advisory_link_keys", "advisory_seq, kind, key"), ("conflicts", "rowid"),
        ("quarantine", "rowid"), ("sources", "rowid"), ("http_cache", "rowid"), ("remote_documents", "rowid"),
        ("kev", "cve"), ("organisations", "rowid"), ("assets", "rowid"), ("exposures", "asset_id, advisory_id"),
        ("vendor_aliases", "alias"), ("advisory_changes", "rowid"), ("watches", "rowid"), ("alerts", "rowid"),
        ("channels", "rowid"), ("deliveries", "rowid"), ("alert_events", "rowid"), ("report_settings", "organisation_id"), ("users", "rowid"),
        ("memberships", "rowid"), ("sessions", "rowid"), ("one_time_tokens", "rowid"), ("api_tokens", "rowid"),
    ]

    /// Columns whose identity sequence must continue after the copied IDs.
    static let identities: [(table: String, column: String)] = [
        ("documents", "id"), ("advisories", "seq"), ("vendors", "id"), ("conflicts", "id"), ("quarantine", "id"),
        ("organisations", "id"), ("assets", "id"), ("advisory_changes", "id"), ("watches", "id"), ("alerts", "id"),
        ("channels", "id"), ("deliveries", "id"), ("alert_events", "id"), ("users", "id"), ("api_tokens", "id"),
    ]

    public struct TableCount: Sendable, Equatable {
        public let table: String
        public let source: Int
        public let target: Int
    }

    public let source: SQLiteStore
    public let target: PostgresStore
    /// Called after each table with its name and rows copied.
    let progress: @Sendable (String, Int) -> Void

    public init(source: SQLiteStore, target: PostgresStore, progress: @escaping @Sendable (String, Int) -> Void = { _, _ in }) {
        self.source = source
        self.target = target
        self.progress = progress
    }

    /// Copies everything; returns each table's row count in the source and in the target afterwards.
    @discardableResult
    public func run() async throws -> [TableCount] {
        // The keys copy row for row: a store from before they were kept gets them first.
        try await source.ensureLinkKeys()
        try await target.transaction { db in
            // Only into an empty database: merging two installations would collide on IDs.
            for table in ["documents", "organisations", "users", "sources"] {
                if try await db.fetchValue("SELECT 1 FROM \(table) LIMIT 1", as: Int64.self) != nil {
                    throw StoreError.conflict("\(target.path) already holds data (its \(table) table is not empty); "
                                     + "copy into a new, empty database (createdb) instead")
                }
            }
            // Serialise against nodes writing: nothing else may change the target while it is filled.
            try await db.execute("LOCK TABLE documents, advisories, organisations, users, deliveries IN EXCLUSIVE MODE")
            for table in StoreCopier.tables {
                let rows = try await copy(table: table.name, order: table.order, into: db)
                progress(table.name, rows)
            }
            for (id, digest) in pendingDigestLinks.drain() {
                try await db.execute("UPDATE deliveries SET digest_id = ? WHERE id = ?", [digest, id])
            }
            try await db.execute("""
                UPDATE meta SET value = s.value FROM (VALUES ('generation', ?::bigint), ('assets_generation', ?::bigint)) AS s(key, value)
                WHERE meta.key = s.key
                """, [try await sqliteMeta("generation"), try await sqliteMeta("assets_generation")])
            try await copySearchText(into: db)
            try await db.execute("UPDATE documents SET document = vigil_jsonb(raw)")
            for identity in StoreCopier.identities {
                try await db.execute("""
                    SELECT setval(pg_get_serial_sequence('\(identity.table)', '\(identity.column)'),
                                  COALESCE((SELECT MAX(\(identity.column)) FROM \(identity.table)), 0) + 1, false)
                    """)
            }
            try await PostgresStore.bumpGeneration(db)
        }
        return try await counts()
    }

    /// Row counts of every copied table in both stores, for the report and for checking nothing was lost.
    public func counts() async throws -> [TableCount] {
        var result: [TableCount] = []
        for table in StoreCopier.tables {
            let inSource = try await source.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
            let inTarget = try await target.fetchValue("SELECT COUNT(*) FROM \(table.name)", as: Int.self) ?? 0
            result.append(TableCount(table: table.name, source: inSource, target: inTarget))
        }
        return result
    }

    private func sqliteMeta(_ key: String) async throws -> Int64 {
        try await source.writer.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) ?? 0 }
    }

    /// PostgreSQL's type for each column of a table, by name.
    private func targetColumns(_ table: String, db: SQLConnection) async throws -> [String: String] {
        let rows = try await db.fetchAll("""
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ?
            """, [table])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["column_name"] as String, $0["data_type"] as String) })
    }

    /// Copies one table in pages (bounded by rows and by bytes), keeping the columns both schemas have.
    private func copy(table: String, order: String, into db: SQLConnection) async throws -> Int {
        let targetTypes = try await targetColumns(table, db: db)
        let sourceColumns = try await source.writer.read { db in try db.columns(in: table).map(\.name) }
        let columns = sourceColumns.filter { targetTypes[$0] != nil }
        guard !columns.isEmpty else { return 0 }
        let types = columns.map { targetTypes[$0]! }
        let list = columns.joined(separator: ", ")
        var copied = 0
        var offset = 0
        let pageRows = 500
        while true {
            let start = offset
            let page: [[DatabaseValue]] = try await source.writer.read { sqlite in
                try Row.fetchAll(sqlite, sql: "SELECT \(list) FROM \(table) ORDER BY \(order) LIMIT ? OFFSET ?",
                                 arguments: [pageRows, start]).map { row in columns.indices.map { row[$0] as DatabaseValue } }
            }
            if page.isEmpty { break }
            offset += page.count
            var batch: [[SQLValue]] = []
            var bytes = 0
            for row in page {
                let values = try zip(row, types).enumerated().map { index, pair in
                    try StoreCopier.convert(pair.0, to: pair.1, table: table, column: columns[index])
                }
                bytes += values.reduce(0) { total, value in
                    if case .blob(let b) = value { return total + b.count }
                    if case .text(let t) = value { return total + t.utf8.count }
                    return total + 8
                }
                batch.append(values)
                if bytes > 8_000_000 || batch.count * columns.count > 30_000 {
                    try await insert(batch, table: table, columns: list, db: db)
                    batch = []
                    bytes = 0
                }
            }
            if !batch.isEmpty { try await insert(batch, table: table, columns: list, db: db) }
            copied += page.count
            if page.count < pageRows { break }
        }
        return copied
    }

    private func insert(_ rows: [[SQLValue]], table: String, columns: String, db: SQLConnection) async throws {
        guard let width = rows.first?.count else { return }
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        let sql = "INSERT INTO \(table) (\(columns)) VALUES " + Array(repeating: tuple, count: rows.count).joined(separator: ", ")
        // A digest's held alert rows point at a digest row copied after them: their digest_id is set once all are in.
        if table == "deliveries" {
            var deferred = rows
            let digestIndex = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.firstIndex(of: "digest_id")
            let idIndex = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.firstIndex(of: "id")
            var links: [(Int64, Int64)] = []
            if let digestIndex, let idIndex {
                for index in deferred.indices {
                    if case .integer(let digest) = deferred[index][digestIndex], case .integer(let id) = deferred[index][idIndex] {
                        links.append((id, digest))
                        deferred[index][digestIndex] = .null
                    }
                }
            }
            try await db.execute(sql, SQLArguments(deferred.flatMap { $0 }))
            pendingDigestLinks.append(contentsOf: links)
            return
        }
        try await db.execute(sql, SQLArguments(rows.flatMap { $0 }))
    }

    /// The search vector from the text SQLite's FTS index holds for each advisory, weighted as the PostgreSQL store
    /// weighs it at ingest.
    private func copySearchText(into db: SQLConnection) async throws {
        var offset = 0
        while true {
            let start = offset
            let page: [(Int64, SQLArguments)] = try await source.writer.read { sqlite in
                try Row.fetchAll(sqlite, sql: """
                    SELECT rowid, title, summary, vendors, products, cves FROM advisories_fts ORDER BY rowid LIMIT 500 OFFSET ?
                    """, arguments: [start]).map { row in
                    (row[0], PostgresStore.searchArguments(title: row[1] ?? "", cves: row[5] ?? "", vendors: row[3] ?? "",
                                                           products: row[4] ?? "", summary: row[2] ?? ""))
                }
            }
            if page.isEmpty { break }
            offset += page.count
            for (seq, texts) in page {
                try await db.execute("UPDATE advisories SET search = \(PostgresStore.searchVector) WHERE seq = ?", texts + [seq])
            }
            if page.count < 500 { break }
        }
    }

    private let pendingDigestLinks = LinkList()

    /// A SQLite value as the PostgreSQL column's type wants it.
    static func convert(_ value: DatabaseValue, to type: String, table: String, column: String) throws -> SQLValue {
        switch value.storage {
        case .null:
            return .null
        case .int64(let v):
            switch type {
            case "boolean": return .bool(v != 0)
            case "double precision", "real", "numeric": return .real(Double(v))
            case "text": return .text(String(v))
            default: return .integer(v)
            }
        case .double(let v):
            switch type {
            case "bigint", "integer", "smallint":
                guard v == v.rounded() else { throw StoreError.corrupt("\(table).\(column) holds \(v), not a whole number") }
                return .integer(Int64(v))
            case "text": return .text(String(v))
            default: return .real(v)
            }
        case .string(let v):
            switch type {
            case "bytea": return .blob(Array(v.utf8))
            case "bigint", "integer", "smallint":
                guard let number = Int64(v) else { throw StoreError.corrupt("\(table).\(column) holds \"\(v.prefix(40))\", not a number") }
                return .integer(number)
            case "boolean": return .bool(v == "1" || v.lowercased() == "true")
            default: return .text(v)
            }
        case .blob(let data):
            return type == "bytea" ? .blob([UInt8](data)) : .text(String(decoding: data, as: UTF8.self))
        }
    }
}

/// IDs collected while copying deliveries, applied once every row is in.
final class LinkList: @unchecked Sendable {
    private let lock = NSLock()
    private var links: [(Int64, Int64)] = []
    func append(contentsOf more: [(Int64, Int64)]) { lock.withLock { links += more } }
    func drain() -> [(Int64, Int64)] { lock.withLock { defer { links = [] }; return links } }
}
