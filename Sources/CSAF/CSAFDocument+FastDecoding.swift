/// A fast decoding path from a parsed `JSONValue` into the CSAF model, measured at several times the speed of the
/// generic `Decodable` path (whose existential containers and metadata lookups dominated the import profile).
///
/// It accepts exactly what the Codable model accepts: required fields present and non-null, types and closed
/// enumerations as declared, last duplicate key wins, unknown keys ignored. It does not track paths: when it
/// fails, `CSAFDocumentReader` decodes again through `Decodable`, which reports the JSON path of the problem.
/// Tests decode every real document both ways and require equal results.
protocol FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure)
}

/// The fast path could not decode a value; the reason is found by the `Decodable` path.
struct FastDecodingFailure: Error {}

/// Reads the members of one JSON object by key.
struct ObjectScanner {
    let members: [JSONMember]

    @inline(__always) init(_ value: JSONValue) throws(FastDecodingFailure) {
        guard case .object(let members) = value else { throw FastDecodingFailure() }
        self.members = members
    }

    @inline(__always) func find(_ key: String) -> JSONValue? {
        var index = members.count
        while index > 0 {
            index -= 1
            if members[index].key == key { return members[index].value }
        }
        return nil
    }

    @inline(__always) func required<T: FastDecodable>(_ key: String) throws(FastDecodingFailure) -> T {
        guard let value = find(key) else { throw FastDecodingFailure() }
        return try T(fast: value)
    }

    @inline(__always) func optional<T: FastDecodable>(_ key: String) throws(FastDecodingFailure) -> T? {
        guard let value = find(key), value != .null else { return nil }
        return try T(fast: value)
    }
}

extension String: FastDecodable {
    @inline(__always) init(fast value: JSONValue) throws(FastDecodingFailure) {
        guard case .string(let string) = value else { throw FastDecodingFailure() }
        self = string
    }
}

extension Double: FastDecodable {
    @inline(__always) init(fast value: JSONValue) throws(FastDecodingFailure) {
        guard case .number(let number) = value else { throw FastDecodingFailure() }
        self = number
    }
}

extension Array: FastDecodable where Element: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        guard case .array(let elements) = value else { throw FastDecodingFailure() }
        self.init()
        reserveCapacity(elements.count)
        for element in elements { append(try Element(fast: element)) }
    }
}

/// String-backed enumerations decode from their raw value.
protocol FastDecodableEnum: FastDecodable, RawRepresentable where RawValue == String {}

extension FastDecodableEnum {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        guard case .string(let string) = value, let decoded = Self(rawValue: string) else { throw FastDecodingFailure() }
        self = decoded
    }
}

extension TLP.Label: FastDecodableEnum {}
extension Note.Category: FastDecodableEnum {}
extension Publisher.Category: FastDecodableEnum {}
extension Reference.Category: FastDecodableEnum {}
extension Tracking.Status: FastDecodableEnum {}
extension Branch.Category: FastDecodableEnum {}
extension Relationship.Category: FastDecodableEnum {}
extension VulnerabilityFlag.Label: FastDecodableEnum {}
extension Involvement.Party: FastDecodableEnum {}
extension Involvement.Status: FastDecodableEnum {}
extension Remediation.Category: FastDecodableEnum {}
extension Remediation.RestartRequired.Category: FastDecodableEnum {}
extension Threat.Category: FastDecodableEnum {}

extension CSAFDocument: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        document = try o.required("document")
        productTree = try o.optional("product_tree")
        vulnerabilities = try o.optional("vulnerabilities")
    }
}

extension DocumentMetadata: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        acknowledgments = try o.optional("acknowledgments")
        aggregateSeverity = try o.optional("aggregate_severity")
        category = try o.required("category")
        csafVersion = try o.required("csaf_version")
        distribution = try o.optional("distribution")
        lang = try o.optional("lang")
        notes = try o.optional("notes")
        publisher = try o.required("publisher")
        references = try o.optional("references")
        sourceLang = try o.optional("source_lang")
        title = try o.required("title")
        tracking = try o.required("tracking")
    }
}

extension Acknowledgment: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        names = try o.optional("names")
        organization = try o.optional("organization")
        summary = try o.optional("summary")
        urls = try o.optional("urls")
    }
}

extension AggregateSeverity: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        namespace = try o.optional("namespace")
        text = try o.required("text")
    }
}

extension Distribution: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        text = try o.optional("text")
        tlp = try o.optional("tlp")
    }
}

extension TLP: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        label = try o.required("label")
        url = try o.optional("url")
    }
}

extension Note: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        audience = try o.optional("audience")
        category = try o.required("category")
        text = try o.required("text")
        title = try o.optional("title")
    }
}

extension Publisher: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        category = try o.required("category")
        contactDetails = try o.optional("contact_details")
        issuingAuthority = try o.optional("issuing_authority")
        name = try o.required("name")
        namespace = try o.required("namespace")
    }
}

extension Reference: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        category = try o.optional("category")
        summary = try o.required("summary")
        url = try o.required("url")
    }
}

extension Tracking: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        aliases = try o.optional("aliases")
        currentReleaseDate = try o.required("current_release_date")
        generator = try o.optional("generator")
        id = try o.required("id")
        initialReleaseDate = try o.required("initial_release_date")
        revisionHistory = try o.required("revision_history")
        status = try o.required("status")
        version = try o.required("version")
    }
}

extension Generator: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        date = try o.optional("date")
        engine = try o.required("engine")
    }
}

extension Generator.Engine: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        name = try o.required("name")
        version = try o.optional("version")
    }
}

extension Revision: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        date = try o.required("date")
        legacyVersion = try o.optional("legacy_version")
        number = try o.required("number")
        summary = try o.required("summary")
    }
}

extension ProductTree: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        branches = try o.optional("branches")
        fullProductNames = try o.optional("full_product_names")
        productGroups = try o.optional("product_groups")
        relationships = try o.optional("relationships")
    }
}

extension Branch: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        branches = try o.optional("branches")
        category = try o.required("category")
        name = try o.required("name")
        product = try o.optional("product")
    }
}

extension FullProductName: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        name = try o.required("name")
        productID = try o.required("product_id")
        productIdentificationHelper = try o.optional("product_identification_helper")
    }
}

extension ProductIdentificationHelper: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        cpe = try o.optional("cpe")
        hashes = try o.optional("hashes")
        modelNumbers = try o.optional("model_numbers")
        purl = try o.optional("purl")
        sbomURLs = try o.optional("sbom_urls")
        serialNumbers = try o.optional("serial_numbers")
        skus = try o.optional("skus")
        xGenericURIs = try o.optional("x_generic_uris")
    }
}

extension ProductHashes: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        fileHashes = try o.required("file_hashes")
        filename = try o.required("filename")
    }
}

extension ProductHashes.FileHash: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        algorithm = try o.required("algorithm")
        self.value = try o.required("value")
    }
}

extension GenericURI: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        namespace = try o.required("namespace")
        uri = try o.required("uri")
    }
}

extension ProductGroup: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        groupID = try o.required("group_id")
        productIDs = try o.required("product_ids")
        summary = try o.optional("summary")
    }
}

extension Relationship: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        category = try o.required("category")
        fullProductName = try o.required("full_product_name")
        productReference = try o.required("product_reference")
        relatesToProductReference = try o.required("relates_to_product_reference")
    }
}

extension Vulnerability: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        acknowledgments = try o.optional("acknowledgments")
        cve = try o.optional("cve")
        cwe = try o.optional("cwe")
        discoveryDate = try o.optional("discovery_date")
        flags = try o.optional("flags")
        ids = try o.optional("ids")
        involvements = try o.optional("involvements")
        notes = try o.optional("notes")
        productStatus = try o.optional("product_status")
        references = try o.optional("references")
        releaseDate = try o.optional("release_date")
        remediations = try o.optional("remediations")
        scores = try o.optional("scores")
        threats = try o.optional("threats")
        title = try o.optional("title")
    }
}

extension CWE: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        id = try o.required("id")
        name = try o.required("name")
    }
}

extension VulnerabilityFlag: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        date = try o.optional("date")
        groupIDs = try o.optional("group_ids")
        label = try o.required("label")
        productIDs = try o.optional("product_ids")
    }
}

extension VulnerabilityID: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        systemName = try o.required("system_name")
        text = try o.required("text")
    }
}

extension Involvement: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        date = try o.optional("date")
        party = try o.required("party")
        status = try o.required("status")
        summary = try o.optional("summary")
    }
}

extension ProductStatus: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        firstAffected = try o.optional("first_affected")
        firstFixed = try o.optional("first_fixed")
        fixed = try o.optional("fixed")
        knownAffected = try o.optional("known_affected")
        knownNotAffected = try o.optional("known_not_affected")
        lastAffected = try o.optional("last_affected")
        recommended = try o.optional("recommended")
        underInvestigation = try o.optional("under_investigation")
    }
}

extension Remediation: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        category = try o.required("category")
        date = try o.optional("date")
        details = try o.required("details")
        entitlements = try o.optional("entitlements")
        groupIDs = try o.optional("group_ids")
        productIDs = try o.optional("product_ids")
        restartRequired = try o.optional("restart_required")
        url = try o.optional("url")
    }
}

extension Remediation.RestartRequired: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        category = try o.required("category")
        details = try o.optional("details")
    }
}

extension Score: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        cvssV2 = try o.optional("cvss_v2")
        cvssV3 = try o.optional("cvss_v3")
        products = try o.required("products")
    }
}

extension CVSSV3: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        version = try o.required("version")
        vectorString = try o.required("vectorString")
        baseScore = try o.required("baseScore")
        baseSeverity = try o.required("baseSeverity")
        attackVector = try o.optional("attackVector")
        attackComplexity = try o.optional("attackComplexity")
        privilegesRequired = try o.optional("privilegesRequired")
        userInteraction = try o.optional("userInteraction")
        scope = try o.optional("scope")
        confidentialityImpact = try o.optional("confidentialityImpact")
        integrityImpact = try o.optional("integrityImpact")
        availabilityImpact = try o.optional("availabilityImpact")
        exploitCodeMaturity = try o.optional("exploitCodeMaturity")
        remediationLevel = try o.optional("remediationLevel")
        reportConfidence = try o.optional("reportConfidence")
        temporalScore = try o.optional("temporalScore")
        temporalSeverity = try o.optional("temporalSeverity")
        confidentialityRequirement = try o.optional("confidentialityRequirement")
        integrityRequirement = try o.optional("integrityRequirement")
        availabilityRequirement = try o.optional("availabilityRequirement")
        modifiedAttackVector = try o.optional("modifiedAttackVector")
        modifiedAttackComplexity = try o.optional("modifiedAttackComplexity")
        modifiedPrivilegesRequired = try o.optional("modifiedPrivilegesRequired")
        modifiedUserInteraction = try o.optional("modifiedUserInteraction")
        modifiedScope = try o.optional("modifiedScope")
        modifiedConfidentialityImpact = try o.optional("modifiedConfidentialityImpact")
        modifiedIntegrityImpact = try o.optional("modifiedIntegrityImpact")
        modifiedAvailabilityImpact = try o.optional("modifiedAvailabilityImpact")
        environmentalScore = try o.optional("environmentalScore")
        environmentalSeverity = try o.optional("environmentalSeverity")
    }
}

extension CVSSV2: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        version = try o.required("version")
        vectorString = try o.required("vectorString")
        baseScore = try o.required("baseScore")
        accessVector = try o.optional("accessVector")
        accessComplexity = try o.optional("accessComplexity")
        authentication = try o.optional("authentication")
        confidentialityImpact = try o.optional("confidentialityImpact")
        integrityImpact = try o.optional("integrityImpact")
        availabilityImpact = try o.optional("availabilityImpact")
        exploitability = try o.optional("exploitability")
        remediationLevel = try o.optional("remediationLevel")
        reportConfidence = try o.optional("reportConfidence")
        temporalScore = try o.optional("temporalScore")
        collateralDamagePotential = try o.optional("collateralDamagePotential")
        targetDistribution = try o.optional("targetDistribution")
        confidentialityRequirement = try o.optional("confidentialityRequirement")
        integrityRequirement = try o.optional("integrityRequirement")
        availabilityRequirement = try o.optional("availabilityRequirement")
        environmentalScore = try o.optional("environmentalScore")
    }
}

extension Threat: FastDecodable {
    init(fast value: JSONValue) throws(FastDecodingFailure) {
        let o = try ObjectScanner(value)
        category = try o.required("category")
        date = try o.optional("date")
        details = try o.required("details")
        groupIDs = try o.optional("group_ids")
        productIDs = try o.optional("product_ids")
    }
}
