import CSAF
import Foundation
import Hummingbird
import HummingbirdTesting
import Sources
import Store
import Testing
import VigilTestSupport
@testable import Web

/// Store failures reach people as the right status with a page or JSON they can act on, and never with the driver's
/// words, SQL or file paths; those go to the log line of the request (with its request ID).
@Suite("Web: store errors answered by kind")
struct StoreErrorPagesTests {
    /// A real SQLite store that throws `failure` from the calls an advisory page and the API make (the failure
    /// injector for kinds no real store here produces on demand).
    struct FailingStore: AdvisoryStore {
        let base: SQLiteStore
        let failure: @Sendable () -> any Error

        func advisory(id: String) async throws -> StoredAdvisory? { throw failure() }
        func search(_ query: AdvisoryQuery) async throws -> AdvisoryPage { throw failure() }
        func rawDocument(advisoryID: String, documentID: Int64?) async throws -> RawDocument? {
            try await base.rawDocument(advisoryID: advisoryID, documentID: documentID)
        }
        func vendors() async throws -> [VendorSummary] { try await base.vendors() }
        func vendor(slug: String) async throws -> VendorSummary? { try await base.vendor(slug: slug) }
        func vendorSlugs(for names: [String]) async throws -> [String: String] { try await base.vendorSlugs(for: names) }
        func filterOptions() async throws -> FilterOptions { try await base.filterOptions() }
        func statistics() async throws -> StoreStatistics { try await base.statistics() }
        func quarantined(limit: Int) async throws -> [QuarantinedDocument] { try await base.quarantined(limit: limit) }
        func conflicts(advisoryID: String?) async throws -> [RevisionConflict] { try await base.conflicts(advisoryID: advisoryID) }
        func generation() async throws -> Int64 { try await base.generation() }
        func ingest(_ document: IncomingDocument) async throws -> IngestOutcome { try await base.ingest(document) }
        func quarantine(_ document: RejectedDocument) async throws { try await base.quarantine(document) }
        func ingest(batch documents: [IncomingDocument]) async throws -> [IngestOutcome] { try await base.ingest(batch: documents) }
        func batchPipeline() -> (any BatchPipeline)? { nil }
    }

    /// An error no mapping knows, worded as a driver would word it.
    struct DriverFailure: Error, CustomStringConvertible {
        var description: String { "SQLite error 1: no such column: secret_column - while executing `SELECT secret_column FROM advisories`" }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let error: @Sendable () -> any Error
        let status: HTTPResponse.Status
        let code: String
        let field: String?
        /// Text the user must see (nil: none in particular).
        let shown: String?
        /// Text that must stay in the log and out of the page.
        let hidden: String?
        var testDescription: String { name }
    }

    static let secretPath = "/srv/secret-volume/vigil.sqlite"
    static let cases: [Case] = [
        Case(name: "not found", error: { StoreError.notFound("organisation 9 does not exist") }, status: .notFound, code: "not_found",
             field: nil, shown: "Organisation 9 does not exist.", hidden: nil),
        Case(name: "invalid", error: { StoreError.invalid("the due date soon is not a date: write it as YYYY-MM-DD", field: "due") },
             status: .badRequest, code: "invalid", field: "due", shown: "write it as YYYY-MM-DD", hidden: nil),
        Case(name: "conflict", error: { StoreError.conflict("a record with this email exists already", detail: "SQLite error 19: UNIQUE constraint failed: users.email - while executing `INSERT INTO users`") },
             status: .conflict, code: "conflict", field: nil, shown: "A record with this email exists already.", hidden: "INSERT INTO users"),
        Case(name: "unavailable", error: { StoreError.unavailable("could not connect to vigil@db.internal:5432/vigil: connection refused", detail: "PostgreSQL connection: connectionError") },
             status: .serviceUnavailable, code: "unavailable", field: nil, shown: "Vigil cannot reach its database right now; try again in a minute.", hidden: "db.internal"),
        Case(name: "corrupt", error: { StoreError.corrupt("the stored document of ICSA-22-172-04 no longer parses (database \(secretPath))") },
             status: .internalServerError, code: "internal", field: nil, shown: nil, hidden: secretPath),
        Case(name: "unexpected driver error", error: { DriverFailure() },
             status: .internalServerError, code: "internal", field: nil, shown: nil, hidden: "secret_column"),
    ]

    @Test("each kind of store error gets its status, page and JSON; internal text stays in the log", arguments: cases)
    func answeredByKind(_ c: Case) async throws {
        let (base, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = CapturedLog()
        let app = Application(router: try await buildRouter(store: FailingStore(base: base, failure: c.error)), logger: log.logger())
        try await app.test(.router) { client in
            try await client.execute(uri: "/advisories/ICSA-22-172-04", method: .get) { response in
                #expect(response.status == c.status)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let html = String(buffer: response.body)
                if let shown = c.shown { #expect(html.contains(shown), "\(html)") }
                if let hidden = c.hidden { #expect(!html.contains(hidden)) }
                if c.status.code >= 500 {
                    #expect(!html.contains("SQLite") && !html.contains("PostgreSQL") && !html.contains("/srv/"))
                }
                #expect(response.headers[.retryAfter] == (c.status == .serviceUnavailable ? "60" : nil))
            }
            try await client.execute(uri: "/api/v1/advisories/ICSA-22-172-04", method: .get) { response in
                #expect(response.status == c.status)
                #expect(response.headers[.retryAfter] == (c.status == .serviceUnavailable ? "60" : nil))
                let text = String(buffer: response.body)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let error = try #require(object["error"] as? [String: Any], "\(text)")
                #expect(error["code"] as? String == c.code)
                #expect(error["field"] as? String == c.field)
                #expect(error.keys.contains("field"), "field is present, null when no field is at fault")
                if let shown = c.shown { #expect((error["message"] as? String)?.contains(shown) == true, "\(text)") }
                if let hidden = c.hidden { #expect(!text.contains(hidden)) }
                #expect(object["status"] as? Int == c.status.code)
            }
        }
        let lines = log.events.filter { $0.metadata["store_error"] != nil || $0.message == "request failed" }
        #expect(lines.count == 2, "one line per request: \(log.messages(atLeast: .trace))")
        for line in lines {
            #expect(line.metadata["hb.request.id"] != nil, "the line carries the request ID")
            #expect(line.level == (c.status.code >= 500 ? .error : .info))
            if let hidden = c.hidden { #expect(line.metadata["error"]?.contains(hidden) == true, "\(line.metadata)") }
        }
    }

    @Test("a PostgreSQL database that goes away: pages and API answer 503 with Retry-After, without the server's words")
    func realUnavailablePostgres() async throws {
        let server = try PostgresServer.shared()
        let url = try server.makeDatabase(prefix: "webgone")
        let store = try await PostgresStore(url: url)
        _ = try await LocalImporter().run(paths: [try Fixtures.cisaAdvisory], into: store)
        let log = CapturedLog()
        let app = Application(router: try await buildRouter(store: store), logger: log.logger())
        let name = String(try #require(URLComponents(string: url)).path.dropFirst())
        try server.runPSQL(["-c", "DROP DATABASE \(name) WITH (FORCE)"])
        try await app.test(.router) { client in
            for path in ["/advisories/ICSA-22-172-04", "/", "/api/v1/advisories"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .serviceUnavailable, "\(path)")
                    #expect(response.headers[.retryAfter] == "60")
                    let body = String(buffer: response.body)
                    #expect(body.contains("Vigil cannot reach its database right now; try again in a minute."), "\(path): \(body)")
                    for secret in [name, "PostgreSQL", "SQLSTATE", "127.0.0.1", "localhost", "vigil@"] {
                        #expect(!body.contains(secret), "\(path) shows \(secret)")
                    }
                    if path.hasPrefix("/api/") {
                        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                        #expect((object?["error"] as? [String: Any])?["code"] as? String == "unavailable")
                    }
                }
            }
        }
        let failures = log.events.filter { $0.level == .error && $0.metadata["store_error"] == "unavailable" }
        #expect(failures.count == 3, "\(log.messages(atLeast: .info))")
        #expect(failures.allSatisfy { $0.metadata["hb.request.id"] != nil && $0.metadata["error"]?.isEmpty == false })
        await store.close()
    }

    @Test("the alert form shows the store's refusal of a due date next to the field, with the date as typed")
    func invalidDueDateNextToTheField() async throws {
        let fixture = try await AccountPagesTests.TwoOrganisations.make()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try await AccountFixtures.member("max@plant.example", of: fixture.plant, role: .member, store: fixture.store)
        let app = Application(router: try await fixture.router())
        let path = "/alerts/\(fixture.plantAlert.id)"
        try await app.test(.router) { client in
            let member = TestBrowser(client)
            try await member.signIn("max@plant.example", AccountFixtures.password)
            let csrf = TestBrowser.csrf(in: try await member.get(path))
            let bad = try await member.post(path, [("status", "investigating"), ("due", "next week")], csrf: csrf)
            #expect(bad.status == .badRequest)
            let html = String(buffer: bad.body)
            #expect(html.contains(#"aria-invalid="true" aria-describedby="due-error""#), "\(html)")
            #expect(html.contains(#"<span class="field-error" id="due-error" role="alert">The due date next week is not a date: write it as YYYY-MM-DD.</span>"#), "\(html)")
            #expect(html.contains(#"value="next week""#))
            #expect(html.contains("The change was not saved."))
        }
    }
}
