import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// The two stores the contract tests run against: every `@Test(arguments: Backend.allCases)` case runs once on a new
/// SQLite file and once on a new PostgreSQL database of the throwaway cluster (`PostgresServer`).
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// A new, empty store of this kind, closed (and its files removed) after `body`.
    func withStore<T>(_ body: (any VigilStore) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let store = try SQLiteStore(path: folder.url.appendingPathComponent("contract.sqlite").path)
            return try await body(store)
        case .postgres:
            let store = try await PostgresStore(url: try PostgresServer.shared().makeDatabase())
            do {
                let result = try await body(store)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }
}
