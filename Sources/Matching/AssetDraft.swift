/// One thing an organisation runs, as read from an inventory file or entered in the UI, before it is stored.
public struct AssetDraft: Sendable, Equatable, Hashable, Codable {
    /// The inventory's own identifier for the asset (a CSV `asset id` column, a CycloneDX `bom-ref`), if any.
    public var externalID: String?
    public var vendor: String
    public var product: String
    /// The version or firmware the asset runs, exactly as the inventory gives it (`V2.13.0`, `4.1 SP2`).
    public var version: String?
    public var modelNumber: String?
    public var serialNumber: String?
    public var cpe: String?
    public var purl: String?
    public var site: String?
    public var area: String?
    public var owner: String?
    public var criticality: AssetCriticality?
    public var tags: [String]

    public init(externalID: String? = nil, vendor: String, product: String, version: String? = nil,
                modelNumber: String? = nil, serialNumber: String? = nil, cpe: String? = nil, purl: String? = nil,
                site: String? = nil, area: String? = nil, owner: String? = nil,
                criticality: AssetCriticality? = nil, tags: [String] = []) {
        self.externalID = externalID
        self.vendor = vendor
        self.product = product
        self.version = version
        self.modelNumber = modelNumber
        self.serialNumber = serialNumber
        self.cpe = cpe
        self.purl = purl
        self.site = site
        self.area = area
        self.owner = owner
        self.criticality = criticality
        self.tags = tags
    }
}

/// How much an asset matters to the plant, used to order exposures.
public enum AssetCriticality: String, Sendable, Codable, CaseIterable, Comparable {
    case low, medium, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}
