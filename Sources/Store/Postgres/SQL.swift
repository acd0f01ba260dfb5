import Foundation
import Logging
import NIOCore
import PostgresNIO
import Storage

/// A value crossing into or out of PostgreSQL, in the few types Vigil's schema uses (BIGINT, DOUBLE PRECISION, TEXT,
/// BYTEA, BOOLEAN). Queries are written with `?` placeholders, as for SQLite, and bound in order.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case bool(Bool)
    /// A one-dimensional array bound to one placeholder, for `unnest(?, ?, …)`: one column of a multi-row INSERT.
    case array(SQLArray)
}

/// A column's values as one PostgreSQL array (`text[]`, `bigint[]`, `double precision[]`, `bytea[]`, `boolean[]`),
/// NULLs included. Rows bound as arrays cost the server one parameter per column to plan, not one per value.
public struct SQLArray: Sendable, Hashable {
    public enum Element: Sendable, Hashable { case text, integer, real, blob, bool }
    public let element: Element
    public let values: [SQLValue]

    /// `values` are NULLs and values of one kind (integers among reals are read as reals); nil when a column mixes
    /// other kinds, or holds only NULLs (its kind is then unknown).
    public init?(_ values: [SQLValue]) {
        var element: Element?
        for value in values {
            let kind: Element
            switch value {
            case .null: continue
            case .text: kind = .text
            case .integer: kind = .integer
            case .real: kind = .real
            case .blob: kind = .blob
            case .bool: kind = .bool
            case .array: return nil
            }
            switch (element, kind) {
            case (nil, _): element = kind
            case (.integer?, .real): element = .real
            case (.real?, .integer): break
            case (let known?, _) where known == kind: break
            default: return nil
            }
        }
        guard let element else { return nil }
        self.element = element
        self.values = values
    }

    init(element: Element, values: [SQLValue]) {
        self.element = element
        self.values = values
    }
}

extension SQLArray: PostgresDynamicTypeEncodable {
    public var psqlType: PostgresDataType {
        switch element {
        case .text: .textArray
        case .integer: .int8Array
        case .real: .float8Array
        case .blob: .byteaArray
        case .bool: .boolArray
        }
    }

    public var psqlFormat: PostgresFormat { .binary }

    var elementType: PostgresDataType {
        switch element {
        case .text: .text
        case .integer: .int8
        case .real: .float8
        case .blob: .bytea
        case .bool: .bool
        }
    }

    /// The binary array format (`array_recv`): dimensions, has-NULLs flag, element type, length and lower bound,
    /// then each element as a length (-1 for NULL) and its binary value.
    public func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let hasNull = values.contains { if case .null = $0 { true } else { false } }
        buffer.writeInteger(values.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(hasNull ? 1 : 0, as: Int32.self)
        buffer.writeInteger(elementType.rawValue)
        guard !values.isEmpty else { return }
        buffer.writeInteger(Int32(values.count))
        buffer.writeInteger(1, as: Int32.self)
        for value in values {
            switch value {
            case .null:
                buffer.writeInteger(-1, as: Int32.self)
            case .text(let text):
                let start = buffer.writerIndex
                buffer.writeInteger(0, as: Int32.self)
                let written = buffer.writeString(text)
                buffer.setInteger(Int32(written), at: start)
            case .integer(let v):
                buffer.writeInteger(8, as: Int32.self)
                if element == .real { buffer.writeInteger(Double(v).bitPattern) } else { buffer.writeInteger(v) }
            case .real(let v):
                buffer.writeInteger(8, as: Int32.self)
                buffer.writeInteger(v.bitPattern)
            case .blob(let bytes):
                buffer.writeInteger(Int32(bytes.count))
                buffer.writeBytes(bytes)
            case .bool(let v):
                buffer.writeInteger(1, as: Int32.self)
                buffer.writeInteger(v ? 1 : 0, as: UInt8.self)
            case .array:
                preconditionFailure("arrays of arrays are not bound")
            }
        }
    }
}

/// A Swift value that binds to a placeholder and reads back from a column.
public protocol SQLValueConvertible: Sendable {
    var sqlValue: SQLValue { get }
    /// nil when the column's value cannot be this type (a NULL for a non-optional, text for a number).
    init?(sqlValue: SQLValue)
}

extension Int64: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .integer(let v): self = v
        case .bool(let v): self = v ? 1 : 0
        case .real(let v) where v == v.rounded() && abs(v) < 9e18: self = Int64(v)
        default: return nil
        }
    }
}

extension Int: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public init?(sqlValue: SQLValue) {
        guard let v = Int64(sqlValue: sqlValue) else { return nil }
        self = Int(v)
    }
}

extension Int32: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public init?(sqlValue: SQLValue) {
        guard let v = Int64(sqlValue: sqlValue), let narrow = Int32(exactly: v) else { return nil }
        self = narrow
    }
}

extension Double: SQLValueConvertible {
    public var sqlValue: SQLValue { .real(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .real(let v): self = v
        case .integer(let v): self = Double(v)
        default: return nil
        }
    }
}

extension String: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(self) }
    public init?(sqlValue: SQLValue) {
        guard case .text(let v) = sqlValue else { return nil }
        self = v
    }
}

extension Bool: SQLValueConvertible {
    public var sqlValue: SQLValue { .bool(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .bool(let v): self = v
        case .integer(let v): self = v != 0
        default: return nil
        }
    }
}

extension Data: SQLValueConvertible {
    public var sqlValue: SQLValue { .blob([UInt8](self)) }
    public init?(sqlValue: SQLValue) {
        guard case .blob(let v) = sqlValue else { return nil }
        self = Data(v)
    }
}

extension Array: SQLValueConvertible where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
    public init?(sqlValue: SQLValue) {
        guard case .blob(let v) = sqlValue else { return nil }
        self = v
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
    public init?(sqlValue: SQLValue) {
        if case .null = sqlValue { self = .none; return }
        guard let value = Wrapped(sqlValue: sqlValue) else { return nil }
        self = .some(value)
    }
}

extension SQLValue: SQLValueConvertible {
    public var sqlValue: SQLValue { self }
    public init?(sqlValue: SQLValue) { self = sqlValue }
}

/// The values bound to a query's `?` placeholders, in order: `[id, title, nil]`.
public struct SQLArguments: ExpressibleByArrayLiteral, Sendable {
    public var values: [SQLValue]
    public init(_ values: [SQLValue] = []) { self.values = values }
    public init(arrayLiteral elements: (any SQLValueConvertible)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }
    public init<S: Sequence>(_ sequence: S) where S.Element: SQLValueConvertible {
        values = sequence.map(\.sqlValue)
    }
    public mutating func append(_ value: (any SQLValueConvertible)?) { values.append(value?.sqlValue ?? .null) }
    public mutating func append(contentsOf other: SQLArguments) { values += other.values }
    public static func + (lhs: SQLArguments, rhs: SQLArguments) -> SQLArguments { SQLArguments(lhs.values + rhs.values) }
    public var isEmpty: Bool { values.isEmpty }
}

/// One result row, decoded eagerly. `row["name"] as String` reads a column the way GRDB's rows do: a column the query
/// does not have reads as nil when an optional is asked for; reading it as a non-optional, or a value as a type it is
/// not, is a programming error and stops with the column's name.
public struct SQLRow: Sendable {
    let columns: [String: Int]
    public let values: [SQLValue]

    public subscript<T: SQLValueConvertible>(_ name: String) -> T {
        guard let index = columns[name] else {
            // As with GRDB's rows: a column the query does not select reads as NULL when an optional is asked for.
            if let absent = T(sqlValue: .null) { return absent }
            preconditionFailure("the query has no column \(name) (columns: \(columns.keys.sorted().joined(separator: ", ")))")
        }
        return self[index]
    }

    public subscript<T: SQLValueConvertible>(_ index: Int) -> T {
        guard let value = T(sqlValue: values[index]) else {
            let name = columns.first(where: { $0.value == index })?.key ?? "#\(index)"
            preconditionFailure("column \(name) holds \(values[index]), not a \(T.self)")
        }
        return value
    }

    /// The column's value, or nil when the query has no such column.
    public func value(named name: String) -> SQLValue? { columns[name].map { values[$0] } }
    public var columnNames: [String] { columns.sorted { $0.value < $1.value }.map(\.key) }
}

/// Something that runs SQL: the pool (each statement on whichever connection is free) or one connection inside a
/// transaction.
public protocol SQLExecutor: Sendable {
    func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow]
}

extension SQLExecutor {
    public func execute(_ sql: String, _ arguments: SQLArguments = []) async throws {
        _ = try await fetchAll(sql, arguments)
    }
    public func fetchAll(_ sql: String) async throws -> [SQLRow] { try await fetchAll(sql, []) }
    public func fetchOne(_ sql: String, _ arguments: SQLArguments = []) async throws -> SQLRow? {
        try await fetchAll(sql, arguments).first
    }
    /// The first column of the first row; nil when there is no row or its value is NULL.
    public func fetchValue<T: SQLValueConvertible>(_ sql: String, _ arguments: SQLArguments = [], as type: T.Type = T.self) async throws -> T? {
        guard let row = try await fetchAll(sql, arguments).first, let value = row.values.first, value != .null else { return nil }
        guard let decoded = T(sqlValue: value) else { preconditionFailure("\(value) is not a \(T.self) in: \(sql)") }
        return decoded
    }
    /// The first column of every row.
    public func fetchValues<T: SQLValueConvertible>(_ sql: String, _ arguments: SQLArguments = [], as type: T.Type = T.self) async throws -> [T] {
        try await fetchAll(sql, arguments).map { $0[0] }
    }
}

/// Turns `?` placeholders into PostgreSQL's `$1, $2, …`, leaving quoted literals, quoted names and comments alone.
enum Placeholders {
    /// Works on the UTF-8 bytes (every character it looks for is ASCII, and no byte of a multi-byte character is):
    /// a multi-row INSERT's text runs to hundreds of kilobytes, and walking it by `Character` cost more than sending it.
    static func numbered(_ sql: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(sql.utf8.count + sql.utf8.count / 8 + 16)
        var number = 0
        var quote: UInt8 = 0
        var inComment = false
        var previous: UInt8 = 0x20
        for byte in sql.utf8 {
            if inComment {
                if byte == 0x0A { inComment = false }
            } else if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == 0x27 || byte == 0x22 {  // ' or "
                quote = byte
            } else if byte == 0x2D && previous == 0x2D {  // --
                inComment = true
            } else if byte == 0x3F {  // ?
                number += 1
                output.append(0x24)  // $
                var digits = number
                let first = output.count
                repeat {
                    output.append(UInt8(0x30 + digits % 10))
                    digits /= 10
                } while digits > 0
                output[first...].reverse()
                previous = byte
                continue
            }
            output.append(byte)
            previous = byte
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension PostgresBindings {
    mutating func append(_ value: SQLValue) {
        switch value {
        case .null: appendNull()
        case .integer(let v): append(v)
        case .real(let v): append(v)
        case .text(let v): append(v)
        case .blob(let v): append(ByteBuffer(bytes: v))
        case .bool(let v): append(v)
        case .array(let v): append(v)
        }
    }
}

extension SQLRow {
    /// Decodes a row the server sent, by the column types Vigil's schema uses.
    static func decode(_ row: PostgresRow, columns: inout [String: Int]?) throws -> SQLRow {
        var values: [SQLValue] = []
        if columns == nil {
            var names: [String: Int] = [:]
            for (index, cell) in row.enumerated() where names[cell.columnName] == nil { names[cell.columnName] = index }
            columns = names
        }
        for cell in row {
            guard cell.bytes != nil else { values.append(.null); continue }
            switch cell.dataType {
            case .int2, .int4, .int8, .oid: values.append(.integer(try cell.decode(Int64.self)))
            case .float4, .float8: values.append(.real(try cell.decode(Double.self)))
            case .numeric: values.append(.real(NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue))
            case .bool: values.append(.bool(try cell.decode(Bool.self)))
            // As a ByteBuffer: postgres-nio reads [UInt8] as an array of integers, not as bytea.
            case .bytea: values.append(.blob(Array(buffer: try cell.decode(ByteBuffer.self))))
            default: values.append(.text(try cell.decode(String.self)))
            }
        }
        return SQLRow(columns: columns ?? [:], values: values)
    }
}

/// Runs one statement on a connection and reads every row.
func runQuery(_ sql: String, _ arguments: SQLArguments, on connection: PostgresConnection, logger: Logger) async throws -> [SQLRow] {
    var bindings = PostgresBindings(capacity: arguments.values.count)
    for value in arguments.values { bindings.append(TextSafe.safe(value)) }
    let query = PostgresQuery(unsafeSQL: Placeholders.numbered(sql), binds: bindings)
    do {
        let sequence = try await connection.query(query, logger: logger)
        var rows: [SQLRow] = []
        var columns: [String: Int]?
        for try await row in sequence { rows.append(try SQLRow.decode(row, columns: &columns)) }
        return rows
    } catch let error as PSQLError {
        throw PostgresFailure(error, sql: sql)
    }
}

/// A PostgreSQL error in words: the server's message, detail and hint, its SQLSTATE, and the statement's first line.
/// (PSQLError's own description hides all of these.) Never includes bound values, which may be secrets.
public struct PostgresFailure: Error, CustomStringConvertible, Sendable {
    public let sqlState: String?
    public let message: String
    /// The column a data or constraint error concerns, when the server names one.
    public let column: String?
    public var description: String { message }

    init(_ error: PSQLError, sql: String?) {
        sqlState = error.serverInfo?[.sqlState]
        column = error.serverInfo?[.columnName]
        var text: String
        if let server = error.serverInfo?[.message] {
            text = "PostgreSQL: \(server)"
            if let detail = error.serverInfo?[.detail] { text += " (\(detail))" }
            if let hint = error.serverInfo?[.hint] { text += "; hint: \(hint)" }
            if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        } else if let underlying = error.underlying {
            text = "PostgreSQL connection: \(error.code): \(underlying)"
        } else {
            text = "PostgreSQL: \(error.code)"
        }
        if let sql, let first = sql.split(separator: "\n").first {
            text += " in: \(first.trimmingCharacters(in: .whitespaces).prefix(120))"
        }
        message = text
    }

    /// Serialization failures and deadlocks: the transaction may simply be run again.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
    var isUniqueViolation: Bool { sqlState == "23505" }
}

/// One connection inside a transaction.
public struct SQLConnection: SQLExecutor, @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    public func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        try await runQuery(sql, arguments, on: connection, logger: logger)
    }

    /// Runs `body` between `begin` and COMMIT; rolls back and rethrows when it throws.
    func inTransaction<T>(_ begin: String = "BEGIN", _ body: () async throws -> T) async throws -> T {
        try await execute(begin)
        do {
            let result = try await body()
            try await execute("COMMIT")
            return result
        } catch {
            try? await execute("ROLLBACK")
            throw error
        }
    }
}
