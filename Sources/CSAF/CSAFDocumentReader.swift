/// What a JSON file found in a provider's folder is, judged by its content rather than its name.
public enum JSONDocumentKind: String, Sendable, Equatable {
    case csaf = "CSAF document"
    case providerMetadata = "CSAF provider metadata"
    case aggregator = "CSAF aggregator list"
    case rolieFeed = "ROLIE feed"
    case rolieService = "ROLIE service document"
    case rolieCategory = "ROLIE category document"
    case other = "JSON that is not CSAF"

    /// Recognises CSAF documents and the distribution files that sit beside them (CSAF 2.0 §7).
    public static func classify(_ value: JSONValue) -> JSONDocumentKind {
        guard case .object(let members) = value else { return .other }
        let keys = Set(members.map(\.key))
        if keys.contains("document") { return .csaf }
        if keys.contains("aggregator"), keys.contains("csaf_providers") || keys.contains("csaf_publishers") { return .aggregator }
        if keys.contains("canonical_url"), keys.contains("publisher") || keys.contains("metadata_version") { return .providerMetadata }
        if keys.contains("feed") { return .rolieFeed }
        if keys.contains("service") { return .rolieService }
        if keys.contains("categories") { return .rolieCategory }
        return .other
    }
}

/// Why a file could not be read as a CSAF document, and where in it. Every message says what to fix.
public struct CSAFReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case syntax, notCSAF, schema, tooLarge
    }
    public let code: Code
    public let message: String
    /// The JSON path of the offending field (`$.document.tracking.id`), when there is one.
    public let path: String?

    public init(code: Code, message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { message }
}

/// A CSAF document read from bytes: the full model, its normalised advisory, and validation warnings that did not
/// warrant rejecting it.
public struct ParsedCSAF: Sendable {
    public var document: CSAFDocument
    public var advisory: Advisory
    public var warnings: [ValidationIssue]
    /// The §6 findings by group, when `read` was asked to run the tests.
    public var conformance: ConformanceSummary? = nil
}

/// The result of reading one JSON file.
public enum JSONFileContent: Sendable {
    case csaf(ParsedCSAF)
    /// A CSAF distribution file (provider metadata, aggregator, ROLIE): recognised, not an advisory.
    case distribution(JSONDocumentKind)
}

/// Reads JSON bytes into a CSAF document: parse, classify, decode, validate, normalise.
public enum CSAFDocumentReader {
    /// Default size limit for one document. The largest real advisory seen is 0.7 MB.
    public static let defaultMaxBytes = 16 * 1024 * 1024

    /// Text that Vigil keys and indexes (the advisory's ID and version, publisher, vendor names, CVE IDs, sectors) may
    /// be at most this many UTF-8 bytes: a genuine document never comes near it, and PostgreSQL cannot index much
    /// longer text (about 2,700 bytes), so a hostile document would otherwise fail to store there while SQLite took it.
    public static let maxIdentifierBytes = 1_000

    /// `checkIdentifiers`: reject a document whose keyed text is over `maxIdentifierBytes` (on import; documents
    /// already stored are read without it).
    /// With `conformance`, the CSAF 2.0 §6 tests run over the same parsed JSON and their counts come back in
    /// `ParsedCSAF.conformance`; their findings never refuse a document.
    public static func read(_ bytes: [UInt8], maxBytes: Int = defaultMaxBytes,
                            checkIdentifiers: Bool = true, conformance: Bool = false) throws(CSAFReadError) -> JSONFileContent {
        guard bytes.count <= maxBytes else {
            throw CSAFReadError(code: .tooLarge, message: "the file is \(bytes.count) bytes, over the limit of \(maxBytes) bytes (raise it with --max-size if the document is genuine)")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw CSAFReadError(code: .syntax, message: error.description)
        }
        let kind = JSONDocumentKind.classify(value)
        switch kind {
        case .csaf: break
        case .other:
            throw CSAFReadError(code: .notCSAF, message: "not a CSAF document: the top level has no \"document\" object (\(describeTopLevel(value)))")
        default:
            return .distribution(kind)
        }
        let document: CSAFDocument
        do {
            document = try CSAFDocument(fast: value)
        } catch {
            // The fast path says only that something is wrong; the Decodable path says what and where.
            do {
                document = try JSONValueDecoder().decode(CSAFDocument.self, from: value)
            } catch let error as DecodingError {
                throw schemaError(error)
            } catch {
                throw CSAFReadError(code: .schema, message: "the document could not be decoded")
            }
        }
        let issues = CSAFValidator.validate(document)
        if let first = issues.first(where: { $0.severity == .error }) {
            let count = issues.filter { $0.severity == .error }.count
            let more = count > 1 ? " (and \(count - 1) more)" : ""
            throw CSAFReadError(code: .schema, message: "\(first.path): \(first.message)\(more)", path: first.path)
        }
        let advisory = AdvisoryNormalizer.normalize(document)
        if checkIdentifiers { try checkLengths(advisory, version: document.document.tracking.version) }
        return .csaf(ParsedCSAF(document: document, advisory: advisory, warnings: issues.filter { $0.severity == .warning },
                                conformance: conformance ? CSAFConformance.summary(value) : nil))
    }

    /// Throws for the first keyed text over `maxIdentifierBytes`, naming where it is and how long.
    static func checkLengths(_ advisory: Advisory, version: String) throws(CSAFReadError) {
        func check(_ text: String, _ what: String, path: String) throws(CSAFReadError) {
            let length = text.utf8.count
            guard length > maxIdentifierBytes else { return }
            throw CSAFReadError(code: .schema, message: "\(what) is \(length) bytes long; Vigil keeps text it indexes (IDs, "
                                + "versions, names) to \(maxIdentifierBytes) bytes, which no genuine advisory needs", path: path)
        }
        try check(advisory.id, "$.document.tracking.id", path: "$.document.tracking.id")
        try check(version, "$.document.tracking.version", path: "$.document.tracking.version")
        try check(advisory.publisher.name, "$.document.publisher.name", path: "$.document.publisher.name")
        for vendor in advisory.vendors { try check(vendor, "a vendor name in $.product_tree", path: "$.product_tree") }
        for cve in advisory.cves { try check(cve, "a CVE ID in $.vulnerabilities", path: "$.vulnerabilities") }
        for sector in advisory.sectors { try check(sector, "a sector name", path: "$.document.notes") }
    }

    static func describeTopLevel(_ value: JSONValue) -> String {
        guard case .object(let members) = value else { return "the top level is \(value.typeName)" }
        let keys = members.prefix(5).map { "\"\($0.key)\"" }.joined(separator: ", ")
        return members.isEmpty ? "the object is empty" : "its keys are \(keys)\(members.count > 5 ? ", …" : "")"
    }

    /// Turns a decoding error into a message with the JSON path, e.g.
    /// `$.document.tracking: required field "id" is missing`.
    static func schemaError(_ error: DecodingError) -> CSAFReadError {
        switch error {
        case .keyNotFound(let key, let context):
            let path = JSONPath.string(context.codingPath + [key])
            return CSAFReadError(code: .schema, message: "\(path): required field is missing", path: path)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = JSONPath.string(context.codingPath)
            return CSAFReadError(code: .schema, message: "\(path): \(context.debugDescription)", path: path)
        case .dataCorrupted(let context):
            let path = JSONPath.string(context.codingPath)
            var message = context.debugDescription
            // Swift's message for a closed enumeration is about Swift types; say it in CSAF's terms.
            if message.hasPrefix("Cannot initialize"), let range = message.range(of: "invalid String value ") {
                message = "\"\(message[range.upperBound...])\" is not one of the values the CSAF schema allows here"
            }
            return CSAFReadError(code: .schema, message: "\(path): \(message)", path: path)
        @unknown default:
            return CSAFReadError(code: .schema, message: "the document does not match the CSAF schema")
        }
    }
}

/// Renders coding paths as JSONPath (`$.vulnerabilities[0].cve`).
public enum JSONPath {
    public static func string(_ keys: [any CodingKey]) -> String {
        var result = "$"
        for key in keys {
            if let index = key.intValue { result += "[\(index)]" } else { result += ".\(key.stringValue)" }
        }
        return result
    }
}
