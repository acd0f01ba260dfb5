import GRDB
import Storage

extension StoreError {
    /// The one place the SQLite store turns GRDB's errors into `StoreError`s. Errors that are not the database's (a
    /// `StoreError` thrown inside a transaction, a cancellation) and result codes no kind fits (SQLITE_ERROR: a
    /// statement the schema does not support) come back unchanged.
    static func classifying(sqlite error: any Error, path: String) -> any Error {
        switch error {
        case is StoreError: error
        case let failure as DatabaseError: StoreError(sqlite: failure, path: path) ?? error
        case let failure as RowDecodingError: StoreError.corrupt("a row of the database \(path) no longer decodes", detail: "\(failure)")
        default: error
        }
    }

    /// One SQLite failure, classified by its result code (nil when no kind fits). The driver's text (with the SQL)
    /// goes to `detail` only.
    init?(sqlite error: DatabaseError, path: String) {
        let detail = error.description
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self = .unavailable("the database \(path) stayed locked by another writer beyond the busy timeout; try again", detail: detail)
        case .SQLITE_FULL:
            self = .unavailable("the disk holding the database \(path) is full", detail: detail)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_NOMEM, .SQLITE_AUTH, .SQLITE_NOLFS, .SQLITE_PROTOCOL:
            self = .unavailable("could not read or write the database \(path)", detail: detail)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT:
            self = .corrupt("the database \(path) is damaged: SQLite cannot read it (restore it from a backup)", detail: detail)
        case .SQLITE_CONSTRAINT:
            let column = StoreError.constrainedColumn(error.message)
            switch error.extendedResultCode {
            case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
                self = StoreError(.conflict, "a record with this \(column ?? "key") exists already", detail: detail)
            default:
                self = StoreError(.invalid(field: column), "the database refused the value\(column.map { " of \($0)" } ?? "")", detail: detail)
            }
        case .SQLITE_TOOBIG, .SQLITE_MISMATCH, .SQLITE_RANGE:
            self = StoreError(.invalid(field: nil), "the database refused a value as too large or of the wrong type", detail: detail)
        default:
            return nil
        }
    }

    /// The column of `UNIQUE constraint failed: users.email` (the last one when several are listed).
    static func constrainedColumn(_ message: String?) -> String? {
        guard let message, let colon = message.range(of: "constraint failed: ") else { return nil }
        let columns = message[colon.upperBound...].split(separator: ",")
        guard let last = columns.last?.trimmingCharacters(in: .whitespaces), !last.isEmpty else { return nil }
        return String(last.split(separator: ".").last ?? Substring(last))
    }
}
