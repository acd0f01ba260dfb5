import NIOCore
import PostgresNIO
import Storage

extension StoreError {
    /// The one place the PostgreSQL store turns driver errors into `StoreError`s. Errors that are not the database's
    /// (a `StoreError` thrown inside a transaction, a cancellation) and SQLSTATEs no kind fits (such as 42xxx, a
    /// statement the schema does not support) come back unchanged.
    static func classifying(postgres error: any Error, endpoint: String) -> any Error {
        switch error {
        case is StoreError:
            return error
        case let failure as PostgresFailure:
            return StoreError(postgres: failure, endpoint: endpoint) ?? error
        case let failure as PSQLError:
            return StoreError(postgres: PostgresFailure(failure, sql: nil), endpoint: endpoint) ?? error
        case is ChannelError, is IOError:
            return StoreError.unavailable("lost the connection to PostgreSQL at \(endpoint)", detail: "\(error)")
        default:
            return error
        }
    }

    /// One PostgreSQL failure, classified by its SQLSTATE (nil when no kind fits). No SQLSTATE means the connection
    /// itself failed. The server's words (with the statement's first line) go to `detail` only.
    init?(postgres failure: PostgresFailure, endpoint: String) {
        let detail = failure.message
        guard let state = failure.sqlState else {
            self = .unavailable("lost the connection to PostgreSQL at \(endpoint)", detail: detail)
            return
        }
        switch state.prefix(2) {
        case _ where state == "23505":
            self = StoreError(.conflict, "a record with this \(failure.column ?? "key") exists already", detail: detail)
        case "08", "53", "57":
            // Connection exceptions, insufficient resources (disk full, out of memory, too many connections), operator
            // intervention (shutdown, cannot connect now, statement timeout).
            self = .unavailable("PostgreSQL at \(endpoint) cannot serve requests right now", detail: detail)
        case "40", "55":
            // Serialisation failures and deadlocks still failing after the retries, locks not available.
            self = .unavailable("PostgreSQL at \(endpoint) is busy with conflicting writes; try again", detail: detail)
        case "22", "23":
            self = StoreError(.invalid(field: failure.column),
                              "the database refused the value\(failure.column.map { " of \($0)" } ?? "")", detail: detail)
        case "XX" where state == "XX001" || state == "XX002":
            self = .corrupt("PostgreSQL at \(endpoint) reports damaged data", detail: detail)
        default:
            return nil
        }
    }
}
