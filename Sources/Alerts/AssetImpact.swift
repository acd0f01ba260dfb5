import CSAF
import Foundation
import Matching

/// What one advisory, against another (its previous revision, or another publisher's advisory of the same
/// vulnerabilities), changes for an organisation's assets: which become affected, which become fixed. Pure: the caller
/// gives the organisation's indexed assets.
public struct AssetImpact: Sendable, Equatable {
    /// Assets affected (known affected or under investigation) by the new advisory and not by the old one.
    public var newlyAffected: [String]
    /// Assets the old advisory listed as affected and the new one lists as fixed or not affected.
    public var newlyFixed: [String]
    /// Assets affected by both.
    public var stillAffected: Int

    public init(newlyAffected: [String] = [], newlyFixed: [String] = [], stillAffected: Int = 0) {
        self.newlyAffected = newlyAffected
        self.newlyFixed = newlyFixed
        self.stillAffected = stillAffected
    }

    /// Nothing changed for the assets.
    public var isUnchanged: Bool { newlyAffected.isEmpty && newlyFixed.isEmpty }

    /// In words, for an alert's changes: `your assets: 2 newly affected (PLC-7, PLC-9); 1 now fixed (HMI-1)`, or
    /// `no change for your assets (3 still affected)`.
    public var summary: String {
        guard !isUnchanged else {
            return "no change for your assets" + (stillAffected > 0 ? " (\(stillAffected) still affected)" : "")
        }
        var parts: [String] = []
        if !newlyAffected.isEmpty { parts.append("\(newlyAffected.count) newly affected (\(AdvisoryChange.named(newlyAffected)))") }
        if !newlyFixed.isEmpty { parts.append("\(newlyFixed.count) now fixed (\(AdvisoryChange.named(newlyFixed)))") }
        return "your assets: " + parts.joined(separator: "; ")
    }

    /// An organisation's assets, indexed once for every advisory a pass of alert creation compares.
    public struct Assets: Sendable {
        let index: ExposureCalculator.AssetIndex
        let names: [Int64: String]
        let calculator: ExposureCalculator

        public init(_ assets: [(id: Int64, asset: AssetDraft)], calculator: ExposureCalculator) {
            index = calculator.index(assets: assets.map { MatchAsset(id: $0.id, asset: $0.asset) })
            var names: [Int64: String] = [:]
            for (id, asset) in assets { names[id] = Self.name(asset) }
            self.names = names
            self.calculator = calculator
        }

        /// The inventory's ID, else vendor, product and version.
        static func name(_ asset: AssetDraft) -> String {
            if let id = asset.externalID?.trimmingCharacters(in: .whitespaces), !id.isEmpty { return id }
            return [asset.vendor, asset.product, asset.version ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        }

        /// Each asset's status under `advisory` (assets it does not concern are absent).
        func statuses(_ advisory: Advisory) -> [Int64: ExposureStatus] {
            var statuses: [Int64: ExposureStatus] = [:]
            for exposure in calculator.exposures(to: MatchAdvisory(id: advisory.id, products: advisory.products), in: index) {
                if let held = statuses[exposure.assetID], held <= exposure.status { continue }
                statuses[exposure.assetID] = exposure.status
            }
            return statuses
        }
    }

    /// What `new` changes for `assets` against `old` (nil: nothing was known, every affected asset is newly affected).
    public static func between(_ old: Advisory?, _ new: Advisory, assets: Assets) -> AssetImpact {
        let before = old.map(assets.statuses) ?? [:]
        let after = assets.statuses(new)
        func affected(_ status: ExposureStatus?) -> Bool { status == .affected || status == .underInvestigation }
        func fixed(_ status: ExposureStatus?) -> Bool { status == .fixed || status == .notAffected }
        var impact = AssetImpact()
        for id in Set(before.keys).union(after.keys).sorted() {
            let name = assets.names[id] ?? "asset \(id)"
            switch (affected(before[id]), affected(after[id])) {
            case (false, true): impact.newlyAffected.append(name)
            case (true, true): impact.stillAffected += 1
            case (true, false) where fixed(after[id]): impact.newlyFixed.append(name)
            default: break
            }
        }
        return impact
    }
}
