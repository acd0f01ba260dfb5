import CSAF
import Foundation
import Matching

// Scaffolding: each method is replaced by its PostgreSQL implementation; this file goes when all are.
extension PostgresStore {
    public func organisation(named name: String, create: Bool) async throws -> Organisation? { throw StoreError("PostgreSQL: not yet") }
    public func organisations() async throws -> [Organisation] { throw StoreError("PostgreSQL: not yet") }
    public func importAssets(_ drafts: [AssetDraft], organisationID: Int64, replace: Bool) async throws -> AssetImportSummary { throw StoreError("PostgreSQL: not yet") }
    public func assets(organisationID: Int64) async throws -> [StoredAsset] { throw StoreError("PostgreSQL: not yet") }
    public func exposures(organisationID: Int64, filter: ExposureFilter) async throws -> [ExposureRow] { throw StoreError("PostgreSQL: not yet") }
    public func recomputeExposures() async throws -> Int { throw StoreError("PostgreSQL: not yet") }
    public func vendorAliases() async throws -> [String: String] { throw StoreError("PostgreSQL: not yet") }
    public func setVendorAlias(_ alias: String, canonical: String?) async throws { throw StoreError("PostgreSQL: not yet") }
}
