import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// The two stores alert creation and delivery run against: a SQLite file in the test's folder, or a new database of
/// the throwaway PostgreSQL cluster. (StoreTests has the same enum for its contract tests; test targets cannot share it.)
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// A new, empty store, and what `--db` names it by for a `vigil` process; closed after `body` (a PostgreSQL
    /// store's connections must be closed before it goes).
    func withStore<T>(in folder: TemporaryFolder, _ body: (any VigilStore, String) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let path = folder.url.appendingPathComponent("vigil.sqlite").path
            return try await body(try SQLiteStore(path: path), path)
        case .postgres:
            let url = try PostgresServer.shared().makeDatabase(prefix: "alerts")
            let store = try await PostgresStore(url: url)
            do {
                let result = try await body(store, url)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }
}
