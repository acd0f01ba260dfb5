/// A CSAF 2.0 document as published: the `document` metadata, the optional product tree and vulnerabilities.
///
/// Properties the schema requires are non-optional, so decoding a document that lacks one fails with the
/// JSON path of the missing field. Enumerations the schema closes are Swift enums for the same reason.
public struct CSAFDocument: Codable, Sendable, Equatable {
    public var document: DocumentMetadata
    public var productTree: ProductTree?
    public var vulnerabilities: [Vulnerability]?

    enum CodingKeys: String, CodingKey {
        case document
        case productTree = "product_tree"
        case vulnerabilities
    }

    public init(document: DocumentMetadata, productTree: ProductTree? = nil, vulnerabilities: [Vulnerability]? = nil) {
        self.document = document
        self.productTree = productTree
        self.vulnerabilities = vulnerabilities
    }
}

/// The `document` object: what the advisory is, who issued it, and its tracking information.
public struct DocumentMetadata: Codable, Sendable, Equatable {
    public var acknowledgments: [Acknowledgment]?
    public var aggregateSeverity: AggregateSeverity?
    public var category: String
    public var csafVersion: String
    public var distribution: Distribution?
    public var lang: String?
    public var notes: [Note]?
    public var publisher: Publisher
    public var references: [Reference]?
    public var sourceLang: String?
    public var title: String
    public var tracking: Tracking

    enum CodingKeys: String, CodingKey {
        case acknowledgments
        case aggregateSeverity = "aggregate_severity"
        case category
        case csafVersion = "csaf_version"
        case distribution, lang, notes, publisher, references
        case sourceLang = "source_lang"
        case title, tracking
    }
}

/// Who is thanked for their part in finding or fixing the issue.
public struct Acknowledgment: Codable, Sendable, Equatable {
    public var names: [String]?
    public var organization: String?
    public var summary: String?
    public var urls: [String]?
}

/// The publisher's overall rating of the document (free text, optionally with a namespace).
public struct AggregateSeverity: Codable, Sendable, Equatable {
    public var namespace: String?
    public var text: String
}

/// Distribution rules, including the Traffic Light Protocol marking.
public struct Distribution: Codable, Sendable, Equatable {
    public var text: String?
    public var tlp: TLP?
}

/// A TLP 1.0 marking as CSAF 2.0 defines it.
public struct TLP: Codable, Sendable, Equatable {
    public enum Label: String, Codable, Sendable, Equatable { case AMBER, GREEN, RED, WHITE }
    public var label: Label
    public var url: String?
}

/// A note: summary, details, legal text, or CISA's `other` notes that carry sectors, countries and headquarters.
public struct Note: Codable, Sendable, Equatable {
    public enum Category: String, Codable, Sendable, Equatable {
        case description, details, faq, general, other, summary
        case legalDisclaimer = "legal_disclaimer"
    }
    public var audience: String?
    public var category: Category
    public var text: String
    public var title: String?

    public init(category: Category, text: String, title: String? = nil, audience: String? = nil) {
        self.category = category
        self.text = text
        self.title = title
        self.audience = audience
    }
}

/// The issuing party.
public struct Publisher: Codable, Sendable, Equatable {
    public enum Category: String, Codable, Sendable, Equatable {
        case coordinator, discoverer, other, translator, user, vendor
    }
    public var category: Category
    public var contactDetails: String?
    public var issuingAuthority: String?
    public var name: String
    public var namespace: String

    enum CodingKeys: String, CodingKey {
        case category
        case contactDetails = "contact_details"
        case issuingAuthority = "issuing_authority"
        case name, namespace
    }
}

/// A link to related material; `self` references point at the document itself (JSON or a web page).
public struct Reference: Codable, Sendable, Equatable {
    public enum Category: String, Codable, Sendable, Equatable { case external, `self` }
    public var category: Category?
    public var summary: String
    public var url: String
}

/// Identity, versioning and lifecycle of the document.
public struct Tracking: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, Equatable { case draft, final, interim }
    public var aliases: [String]?
    public var currentReleaseDate: String
    public var generator: Generator?
    public var id: String
    public var initialReleaseDate: String
    public var revisionHistory: [Revision]
    public var status: Status
    public var version: String

    enum CodingKeys: String, CodingKey {
        case aliases
        case currentReleaseDate = "current_release_date"
        case generator, id
        case initialReleaseDate = "initial_release_date"
        case revisionHistory = "revision_history"
        case status, version
    }
}

/// The tool that produced the document.
public struct Generator: Codable, Sendable, Equatable {
    public struct Engine: Codable, Sendable, Equatable {
        public var name: String
        public var version: String?
    }
    public var date: String?
    public var engine: Engine
}

/// One entry of the revision history.
public struct Revision: Codable, Sendable, Equatable {
    public var date: String
    public var legacyVersion: String?
    public var number: String
    public var summary: String

    enum CodingKeys: String, CodingKey {
        case date
        case legacyVersion = "legacy_version"
        case number, summary
    }
}
