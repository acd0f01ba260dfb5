/// The products an advisory talks about: a tree of branches (vendor → product → version), flat product names,
/// relationships between products, and named groups of products.
public struct ProductTree: Codable, Sendable, Equatable {
    public var branches: [Branch]?
    public var fullProductNames: [FullProductName]?
    public var productGroups: [ProductGroup]?
    public var relationships: [Relationship]?

    enum CodingKeys: String, CodingKey {
        case branches
        case fullProductNames = "full_product_names"
        case productGroups = "product_groups"
        case relationships
    }
}

/// One node of the product tree; leaves carry a `product`.
public struct Branch: Codable, Sendable, Equatable {
    public enum Category: String, Codable, Sendable, Equatable {
        case architecture, language, legacy, specification, vendor
        case hostName = "host_name"
        case patchLevel = "patch_level"
        case productFamily = "product_family"
        case productName = "product_name"
        case productVersion = "product_version"
        case productVersionRange = "product_version_range"
        case servicePack = "service_pack"
    }
    public var branches: [Branch]?
    public var category: Category
    public var name: String
    public var product: FullProductName?
}

/// A product with its ID, which status lists, scores and remediations refer to.
public struct FullProductName: Codable, Sendable, Equatable {
    public var name: String
    public var productID: String
    public var productIdentificationHelper: ProductIdentificationHelper?

    enum CodingKeys: String, CodingKey {
        case name
        case productID = "product_id"
        case productIdentificationHelper = "product_identification_helper"
    }
}

/// Machine-readable identifiers of a product: CPE, PURL, model and serial numbers, SKUs, hashes, other URIs.
public struct ProductIdentificationHelper: Codable, Sendable, Equatable {
    public var cpe: String?
    public var hashes: [ProductHashes]?
    public var modelNumbers: [String]?
    public var purl: String?
    public var sbomURLs: [String]?
    public var serialNumbers: [String]?
    public var skus: [String]?
    public var xGenericURIs: [GenericURI]?

    enum CodingKeys: String, CodingKey {
        case cpe, hashes
        case modelNumbers = "model_numbers"
        case purl
        case sbomURLs = "sbom_urls"
        case serialNumbers = "serial_numbers"
        case skus
        case xGenericURIs = "x_generic_uris"
    }
}

/// Cryptographic hashes of one file belonging to a product.
public struct ProductHashes: Codable, Sendable, Equatable {
    public struct FileHash: Codable, Sendable, Equatable {
        public var algorithm: String
        public var value: String
    }
    public var fileHashes: [FileHash]
    public var filename: String

    enum CodingKeys: String, CodingKey {
        case fileHashes = "file_hashes"
        case filename
    }
}

/// An identifier in a namespace CSAF does not define itself.
public struct GenericURI: Codable, Sendable, Equatable {
    public var namespace: String
    public var uri: String
}

/// Several products referred to by one ID.
public struct ProductGroup: Codable, Sendable, Equatable {
    public var groupID: String
    public var productIDs: [String]
    public var summary: String?

    enum CodingKeys: String, CodingKey {
        case groupID = "group_id"
        case productIDs = "product_ids"
        case summary
    }
}

/// A product that exists by combining two others (a component installed on a platform, say).
public struct Relationship: Codable, Sendable, Equatable {
    public enum Category: String, Codable, Sendable, Equatable {
        case defaultComponentOf = "default_component_of"
        case externalComponentOf = "external_component_of"
        case installedOn = "installed_on"
        case installedWith = "installed_with"
        case optionalComponentOf = "optional_component_of"
    }
    public var category: Category
    public var fullProductName: FullProductName
    public var productReference: String
    public var relatesToProductReference: String

    enum CodingKeys: String, CodingKey {
        case category
        case fullProductName = "full_product_name"
        case productReference = "product_reference"
        case relatesToProductReference = "relates_to_product_reference"
    }
}
