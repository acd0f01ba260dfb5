import Foundation
import GRDB
import GRDBSQLite
import Storage

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

/// Rows for several tables, written with as few statements as each database allows.
///
/// On PostgreSQL each table's rows are bound as one array per column and inserted with
/// `INSERT … SELECT … FROM unnest(?, ?, …)`, the tables joined into one statement through data-modifying `WITH` clauses:
/// a batch of advisories' hundred thousand values cost one round trip and a few dozen parameters to plan (a VALUES
/// list with a placeholder per value made the server copy and fold an expression tree the size of the batch). On
/// SQLite, which has no round trips to save, each row goes through one cached statement. Rows added for
/// a table again (the next advisory's) join its rows, in the order added.
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

    /// Queues `rows` for `table`; every row has one value per column. `suffix` follows the rows (`ON CONFLICT …`,
    /// `RETURNING …`). `computed` columns (PostgreSQL only) are expressions over the input columns as `u.name`;
    /// `inputOnly` columns feed them and are not inserted. `ordered`: rows are inserted in the order added (for identity columns whose order
    /// shows); otherwise in the order the server reads the arrays, which is the same in practice.
    mutating func add(_ table: String, _ columns: [String], rows: [[(any SQLValueConvertible)?]], suffix: String = "",
                      computed: [(column: String, expression: String)] = [], inputOnly: Set<String> = [], ordered: Bool = false) {
        guard !rows.isEmpty else { return }
        let index = queue(table, columns, suffix: suffix, computed: computed, inputOnly: inputOnly, ordered: ordered, adding: rows.count)
        for row in rows {
            precondition(row.count == columns.count, "a row for \(table) needs \(columns.count) values")
            for (column, value) in row.enumerated() { tables[index].values[column].append(value?.sqlValue ?? .null) }
        }
        tables[index].rowCount += rows.count
    }

    mutating func add(_ table: String, _ columns: [String], values rows: [[SQLValue]], suffix: String = "",
                      computed: [(column: String, expression: String)] = [], inputOnly: Set<String> = [], ordered: Bool = false) {
        guard !rows.isEmpty else { return }
        let index = queue(table, columns, suffix: suffix, computed: computed, inputOnly: inputOnly, ordered: ordered, adding: rows.count)
        for row in rows {
            precondition(row.count == columns.count, "a row for \(table) needs \(columns.count) values")
            for (column, value) in row.enumerated() { tables[index].values[column].append(value) }
        }
        tables[index].rowCount += rows.count
    }

    /// The index of `table`'s queue (created on first use), with room for `adding` more rows.
    private mutating func queue(_ table: String, _ columns: [String], suffix: String, computed: [(column: String, expression: String)],
                                inputOnly: Set<String>, ordered: Bool, adding: Int) -> Int {
        let index: Int
        if let found = tables.firstIndex(where: { $0.name == table }) {
            precondition(tables[found].columns.count == columns.count && tables[found].suffix == suffix, "\(table) is queued with other columns")
            index = found
        } else {
            tables.append(Table(name: table, columns: columns, suffix: suffix, computed: computed, inputOnly: inputOnly,
                                ordered: ordered, values: Array(repeating: [], count: columns.count)))
            index = tables.count - 1
        }
        for column in 0..<columns.count { tables[index].values[column].reserveCapacity(tables[index].rowCount + adding) }
        return index
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

    /// Runs what was queued: on PostgreSQL in one statement, on SQLite one statement per table and chunk, then the
    /// `alsoRun` statements. With `then`, a query without parameters answered after the inserts (on PostgreSQL in
    /// the same statement, saving a round trip); its rows are returned.
    @discardableResult
    func run(_ db: some SQLExecutor, dialect: SQLDialect, then query: String? = nil) async throws -> [SQLRow] {
        if dialect == .sqlite {
            for table in tables { _ = try await Self.insertValues(table, db: db) }
            for statement in alsoStatements { try await db.execute(statement) }
            guard let query else { return [] }
            return try await db.fetchAll(query)
        }
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

    /// Runs each queued INSERT as a statement (or, on SQLite, statements) of its own and returns every row they
    /// return (`RETURNING` in a `WITH` clause other than the last would be lost).
    func runReturningEveryRow(_ db: some SQLExecutor, dialect: SQLDialect) async throws -> [SQLRow] {
        precondition(alsoStatements.isEmpty, "alsoRun statements need run(_:dialect:then:)")
        var rows: [SQLRow] = []
        if dialect == .sqlite {
            for table in tables { rows += try await Self.insertValues(table, db: db) }
            return rows
        }
        for part in try parts() { rows += try await db.fetchAll(part.sql, SQLArguments(part.arguments)) }
        return rows
    }

    /// SQLite: the table's rows one by one through one cached statement, in one synchronous stretch on the writer
    /// connection (SQLite has no round trips to save, and a multi-row VALUES list would be parsed afresh each time).
    private static func insertValues(_ table: Table, db: some SQLExecutor) async throws -> [SQLRow] {
        precondition(table.computed.isEmpty && table.inputOnly.isEmpty, "computed columns are PostgreSQL's")
        let width = table.columns.count
        let sql = "INSERT INTO \(table.name)(\(table.columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: width).joined(separator: ", ") + ") \(table.suffix)"
        // Always inside a transaction on the writer connection: the ingest and every insertRows caller run in one.
        guard let session = db as? SQLiteSession else { preconditionFailure("SQLite rows are written in a transaction (SQLiteSession)") }
        let returns = table.suffix.contains("RETURNING")
        return try session.run { db in
            let statement = try db.cachedStatement(sql: sql)
            // The values are bound straight from the rows (GRDB's StatementArguments would box each value and cost a
            // generic conversion per row); GRDB then resets and steps the statement without binding anything again.
            statement.setUncheckedArguments(StatementArguments())
            let handle = statement.sqliteStatement
            defer { sqlite3_clear_bindings(handle) }
            var rows: [SQLRow] = []
            for row in 0..<table.rowCount {
                sqlite3_reset(handle)
                for column in 0..<width {
                    let code = table.values[column][row].bind(to: handle, at: Int32(column + 1))
                    guard code == SQLITE_OK else {
                        throw StoreError.invalid("could not bind \(table.name).\(table.columns[column]): SQLite result \(code)")
                    }
                }
                if returns {
                    rows += try Row.fetchAll(statement).map(SQLRow.init)
                } else {
                    try statement.execute()
                }
            }
            return rows
        }
    }
}

extension SQLValue {
    /// Binds the value to parameter `index` of a prepared SQLite statement (text and blobs copied by SQLite).
    func bind(to handle: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let value):
            return sqlite3_bind_int64(handle, index, value)
        case .real(let value):
            return sqlite3_bind_double(handle, index, value)
        case .bool(let value):
            return sqlite3_bind_int64(handle, index, value ? 1 : 0)
        case .text(var text):
            return text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    guard let start = chars.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, SQLValue.transient) }
                    return sqlite3_bind_text(handle, index, start, Int32(chars.count), SQLValue.transient)
                }
            }
        case .blob(let bytes):
            return bytes.withUnsafeBytes { raw in
                raw.count == 0 ? sqlite3_bind_zeroblob(handle, index, 0)
                    : sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), SQLValue.transient)
            }
        case .array:
            preconditionFailure("arrays are bound for PostgreSQL's unnest only")
        }
    }

    /// SQLite's SQLITE_TRANSIENT: it copies the bytes before the bind call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

