import CSAF
import HTTPTypes
import Foundation
import Hummingbird
import Revisions
import Storage

/// The JSON API under `/api/v1`: the advisory list with the page filters, one advisory, vendors, and the OpenAPI
/// document describing them.
struct APIController<Context: RequestContext>: Sendable {
    let store: any AdvisoryStore

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/advisories", use: list)
        routes.get("/advisories/{id}", use: advisory)
        routes.get("/advisories/{id}/changes", use: changes)
        routes.get("/vendors", use: vendors)
        routes.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        return routes
    }

    struct ListResponse: Encodable {
        let total: Int
        let page: Int
        let perPage: Int
        let pageCount: Int
        let moreMatches: Bool
        /// The `after` of the next page; absent on the last page and for a full-text search.
        let nextAfter: String?
        let items: [Item]
    }

    struct Item: Encodable {
        let id: String
        let title: String
        let publisher: String
        let vendors: [String]
        let initialReleaseDate: Date?
        let currentReleaseDate: Date?
        let version: String
        let cvssScore: Double?
        let severity: Severity
        let cvssVector: String?
        let cveCount: Int
        let integrity: IntegrityStatus
        /// CVEs of the advisory in CISA's Known Exploited Vulnerabilities catalogue.
        let knownExploitedCount: Int
        let url: String
        /// With `?group=vulnerability`: the advisories of this page folded into this row (`VulnerabilityGroups`),
        /// earliest first; absent otherwise.
        let alsoPublishedAs: [Publication]?
    }

    /// An advisory folded into another's row of the list.
    struct Publication: Encodable {
        let id: String
        let publisher: String
        let initialReleaseDate: Date?
        let url: String
    }

    /// Another publisher's advisory describing the same vulnerabilities (`AdvisoryLink`, `AdvisoryLinker`'s rules).
    struct Related: Encodable {
        let id: String
        let publisher: String
        let reason: AdvisoryLink.Reason
        let strength: AdvisoryLink.Strength
        let sharedCVEs: [String]
        let initialReleaseDate: Date?
        let reference: AdvisoryLink.ReferenceDirection?
        let url: String

        init(_ link: AdvisoryLink) {
            id = link.id
            publisher = link.publisher
            reason = link.reason
            strength = link.strength
            sharedCVEs = link.sharedCVEs
            initialReleaseDate = link.initialReleaseDate
            reference = link.reference
            url = "/api/v1/advisories/\(Format.pathSegment(link.id))"
        }

        // Spelled out: the snake_case strategy would split "CVEs" into "cv_es".
        enum CodingKeys: String, CodingKey {
            case id, publisher, reason, strength, sharedCVEs = "sharedCves", initialReleaseDate, reference, url
        }
    }

    struct AdvisoryResponse: Encodable {
        let advisory: Advisory
        let integrity: Integrity
        let revisions: [Revision]
        let validationWarnings: [ValidationIssue]
        /// The CSAF 2.0 §6 tests over the current document.
        let conformance: Conformance
        let conflicts: Int
        let knownExploited: [KnownExploitedVulnerability]
        let links: Links
        /// Other publishers' advisories linked to this one, strongest first; empty when there are none.
        let related: [Related]
    }

    struct Conformance: Encodable {
        struct NotRun: Encodable {
            let test: String
            let reason: String
        }
        let mandatory: Int
        let optional: Int
        let informative: Int
        let findings: [ConformanceFinding]
        let notRun: [NotRun]

        init(_ findings: [ConformanceFinding]) {
            let summary = ConformanceSummary(findings)
            mandatory = summary.mandatory
            optional = summary.optional
            informative = summary.informative
            self.findings = findings
            notRun = CSAFConformance.notRun.map { NotRun(test: $0.id, reason: $0.reason) }
        }
    }

    struct Integrity: Encodable {
        let status: IntegrityStatus
        let explanation: String
        let detail: String
        /// The primary key fingerprint of the verified signer.
        let signer: String?
        let sha256: String
        let sha512: String
    }

    struct Revision: Encodable {
        let version: String
        let currentReleaseDate: Date?
        let sha256: String
        let size: Int
        let current: Bool
        let importedAt: Date
        let raw: String
    }

    struct Links: Encodable {
        let html: String
        let raw: String
        let source: String?
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        var query: AdvisoryQuery
        do {
            try APIParameters.check(request)
            query = try ListQuery.parse(from: request, strict: true)
            query.after = request.uri.queryParameters.get("after").flatMap(ListCursor.init(token:))
        } catch let invalid as ListQuery.Invalid {
            throw HTTPError(.badRequest, message: invalid.message)
        }
        let grouping = ListQuery.grouping(from: request, default: .advisory)
        let page = try await store.search(query)
        let rows = try await VulnerabilityGroups.rows(of: page, grouping: grouping, store: store)
        func url(_ id: String) -> String { "/api/v1/advisories/\(Format.pathSegment(id))" }
        var response = JSONResponse.make(ListResponse(
            total: page.total, page: query.page, perPage: query.perPage, pageCount: page.pageCount, moreMatches: page.moreMatches,
            nextAfter: page.nextAfter?.token,
            items: rows.map { row in
                let item = row.item
                return Item(id: item.id, title: item.title, publisher: item.publisher, vendors: item.vendors,
                            initialReleaseDate: item.initialReleaseDate, currentReleaseDate: item.currentReleaseDate, version: item.version,
                            cvssScore: item.score, severity: item.severity, cvssVector: item.vector, cveCount: item.cveCount,
                            integrity: item.integrity, knownExploitedCount: item.knownExploitedCount, url: url(item.id),
                            alsoPublishedAs: grouping == .vulnerability ? row.alsoPublishedAs.map {
                                Publication(id: $0.id, publisher: $0.publisher, initialReleaseDate: $0.initialReleaseDate, url: url($0.id))
                            } : nil)
            }))
        // RFC 8288: the next page's address, the same query with `after` in place of `page`.
        if let next = page.nextAfter {
            var parameters = request.uri.queryParameters.filter { $0.key != "after" && $0.key != "page" }
                .map { "\(Format.queryValue(String($0.key)))=\(Format.queryValue(String($0.value)))" }
            parameters.append("after=\(next.token)")
            response.headers[HTTPField.Name("Link")!] = "</api/v1/advisories?\(parameters.joined(separator: "&"))>; rel=\"next\""
        }
        return response
    }

    @Sendable func advisory(_ request: Request, context: Context) async throws -> Response {
        let raw = try context.parameters.require("id")
        let id = raw.removingPercentEncoding ?? raw
        guard let stored = try await store.advisory(id: id) else {
            throw HTTPError(.notFound, message: "no advisory with the ID \"\(id)\" is stored")
        }
        let encoded = Format.pathSegment(id)
        let related = try await store.related(advisoryID: id)
        return JSONResponse.make(AdvisoryResponse(
            advisory: stored.advisory,
            integrity: Integrity(status: stored.document.integrity, explanation: stored.document.integrity.explanation,
                                 detail: stored.document.integrityDetail, signer: stored.document.signer, sha256: stored.document.sha256, sha512: stored.document.sha512),
            revisions: stored.revisions.map {
                Revision(version: $0.version, currentReleaseDate: $0.currentReleaseDate, sha256: $0.sha256, size: $0.size,
                         current: $0.isCurrent, importedAt: $0.importedAt,
                         raw: $0.isCurrent ? "/advisories/\(encoded).json" : "/advisories/\(encoded)/revisions/\($0.documentID).json")
            },
            validationWarnings: stored.warnings, conformance: Conformance(stored.conformance), conflicts: stored.conflictCount, knownExploited: stored.knownExploited,
            links: Links(html: "/advisories/\(encoded)", raw: "/advisories/\(encoded).json", source: stored.advisory.sourceURL),
            related: related.map(Related.init)))
    }

    /// What changed between two stored revisions (`from` and `to`, as `RevisionComparison.reference` names them; by
    /// default the current revision against the one before it).
    @Sendable func changes(_ request: Request, context: Context) async throws -> Response {
        let raw = try context.parameters.require("id")
        let id = raw.removingPercentEncoding ?? raw
        let parameters = request.uri.queryParameters
        for name in ["from", "to"] {
            for value in parameters.getAll(name) where value.isEmpty || value.unicodeScalars.count > 200 {
                throw HTTPError(.badRequest, message: "\(name) must be a stored revision's version (1 to 200 characters)")
            }
        }
        guard let comparison = try await store.changes(advisoryID: id, from: parameters.get("from"), to: parameters.get("to")) else {
            throw HTTPError(.notFound, message: "no advisory with the ID \"\(id)\" is stored")
        }
        return JSONResponse.make(ChangesResponse(comparison))
    }

    struct ChangesResponse: Encodable {
        let advisoryID: String
        let from: String
        let to: String
        let summary: [String]
        let diff: AdvisoryDiff
        let links: ChangesLinks

        init(_ comparison: RevisionComparison) {
            let encoded = Format.pathSegment(comparison.advisoryID)
            advisoryID = comparison.advisoryID
            from = RevisionComparison.reference(comparison.from, among: comparison.revisions)
            to = RevisionComparison.reference(comparison.to, among: comparison.revisions)
            summary = comparison.diff.summary
            diff = comparison.diff
            func raw(_ revision: StoredRevision) -> String {
                revision.isCurrent ? "/advisories/\(encoded).json" : "/advisories/\(encoded)/revisions/\(revision.documentID).json"
            }
            links = ChangesLinks(html: "/advisories/\(encoded)/changes?from=\(Format.queryValue(from))&to=\(Format.queryValue(to))",
                                 fromRaw: raw(comparison.from), toRaw: raw(comparison.to))
        }

        enum CodingKeys: String, CodingKey {
            case advisoryID = "advisoryId", from, to, summary, diff, links
        }
    }

    struct ChangesLinks: Encodable {
        let html: String
        let fromRaw: String
        let toRaw: String
    }

    @Sendable func vendors(_ request: Request, context: Context) async throws -> Response {
        JSONResponse.make(try await store.vendors())
    }
}

/// The API takes its query parameters exactly as the OpenAPI document describes them: the pages are lenient (values
/// trimmed, in any case, empty for "any"), but a client of the API is told when a value is not one the document allows,
/// rather than having it read another way or ignored.
enum APIParameters {
    static let severities: Set<String> = Set(Severity.allCases.map(\.rawValue))

    /// `/api/v1/advisories`: every value of every documented parameter present is checked; ListQuery then reads them.
    static func check(_ request: Request) throws {
        let parameters = request.uri.queryParameters
        func each(_ name: String, _ message: String, _ valid: (String) -> Bool) throws {
            for value in parameters.getAll(name) where !valid(value) {
                throw ListQuery.Invalid(parameter: name, message: message)
            }
        }
        try each("q", "q must be at most 500 characters") { $0.unicodeScalars.count <= 500 }
        try each("severity", "severity must be one of none, low, medium, high, critical") { severities.contains($0) }
        try each("year", "year must be a four-digit year") { integer($0, in: 1990...9999) != nil }
        try each("kev", "kev must be true or false") { ["true", "false", "1", "0"].contains($0) }
        try each("page", "page must be a whole number from 1 to 1000000") { integer($0, in: 1...1_000_000) != nil }
        try each("per_page", "per_page must be between 1 and 500") { integer($0, in: 1...500) != nil }
        try each("group", "group must be advisory or vulnerability") { ListGrouping(rawValue: $0) != nil }
        try each("after", "after must be the next_after of an earlier response: DATE~ID, or ~ID") { ListCursor(token: $0) != nil }
    }

    /// A whole number written plainly (digits, no sign, no leading zero, no spaces) within `range`.
    static func integer(_ text: String, in range: ClosedRange<Int>) -> Int? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0") || text.utf8.count == 1,
              text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int(text), range.contains(value) else { return nil }
        return value
    }
}
