import CSAF
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Sources
import Store
import Testing
import VigilTestSupport
@testable import Web

/// The JSON API against its OpenAPI document: Schemathesis (PyPI) generates requests from the document and checks every
/// answer against it, on a live loopback server holding the whole CISA corpus; and the router and the document are
/// compared so neither can change without the other.
@Suite("API conformance", .serialized)
struct APIConformanceTests {
    /// The CISA corpus, an organisation with a member, a personal API token, two alerts (one with an owner, a due date,
    /// history and a delivery; one without) and two sources (one healthy, one failing): every optional field of the
    /// document appears both present and absent.
    struct Corpus {
        let store: SQLiteStore
        let directory: URL
        let token: String
        let alert: StoredAlert

        static func make() async throws -> Corpus {
            let (store, directory) = try await Fixtures.store(importing: [try Fixtures.data("providers/cisa")])
            // One advisory in two revisions (a product renamed, the title reworded), so that /changes has changes to show.
            for (version, title, product, date) in [("1", "Widget controller", "Widget PLC", "2024-03-01T10:00:00Z"),
                                                     ("2", "Widget controller, updated", "Widget PLC Pro", "2024-04-01T10:00:00Z")] {
                let file = directory.appendingPathComponent("vigil-test-0001-v\(version).json")
                try Fixtures.craftedDocument(title: title, product: product, version: version, date: date)
                    .write(to: file, atomically: true, encoding: .utf8)
                let summary = try await LocalImporter().run(paths: [file.path], into: store)
                #expect(summary.rejected == 0, "\(summary.errors)")
            }
            // A vendor's advisory and CISA's republication of it, so that `related` and `also_published_as` have items.
            try await LinkFixtures.importing([LinkFixtures.vendorAdvisory, LinkFixtures.republication], into: store, directory: directory)
            let plant = try #require(try await store.organisation(named: "Plant A", create: true))
            let member = try await AccountFixtures.member("api@plant.example", of: plant, store: store)
            let token = AccountTokens.apiToken()
            _ = try await store.createAPIToken(hash: AccountTokens.hash(token), name: "conformance", userID: member.user.id,
                                               organisationID: plant.id, now: Date())
            let ops = try await store.addChannel(.init(name: "ops", kind: .email, target: "ops@example.org"), organisationID: plant.id)
            #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                      idempotencyKey: "conformance|1", changes: ["new advisory"],
                                                      matches: [AlertMatch(watchID: 1, watch: "vendor Phoenix Contact", reason: "names Phoenix Contact")],
                                                      channelIDs: [ops.id])))
            let alert = try #require(try await store.alerts(organisationID: plant.id, limit: 5).first)
            _ = try await store.updateAlert(id: alert.id, organisationID: plant.id,
                                            update: AlertUpdate(status: .investigating, owner: "Jörg", dueDate: "2026-12-15", note: "checked"),
                                            actor: "api@plant.example", at: Date())
            #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "2",
                                                      idempotencyKey: "conformance|2", changes: ["revised"],
                                                      matches: [AlertMatch(watchID: 1, watch: "vendor Phoenix Contact", reason: "names Phoenix Contact")])))
            let now = Date()
            try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: "https://www.cisa.gov/.well-known/csaf/provider-metadata.json",
                                                    lastAttempt: now, lastSuccess: now, nextPoll: now.addingTimeInterval(300), documentsHeld: 2383))
            try await store.saveSource(SourceRecord(slug: "mirror", name: "Mirror", url: "https://csaf.example/provider-metadata.json",
                                                    lastAttempt: now, lastError: "connection refused", nextPoll: now.addingTimeInterval(600)))
            return Corpus(store: store, directory: directory, token: token, alert: alert)
        }

        func router() async throws -> Router<VigilRequestContext> {
            try await buildRouter(store: store, accounts: AccountFixtures.settings)
        }
    }

    static let python3: String? = try? Executables.find("python3", hint: "")

    /// Test cases per operation and phase; with the seed fixed, a run is repeatable.
    static let maxExamples = 100
    static let seed = 20_261_206
    /// Longest the whole Schemathesis run may take before the test kills it and fails.
    static let timeLimit: Duration = .seconds(170)

    @Test("Schemathesis finds no failure: no 500s, every status documented, every response matching its schema",
          .enabled(if: python3 != nil, "python3 is not installed: Schemathesis runs on Python 3"))
    func schemathesis() async throws {
        let python = try #require(Self.python3)
        let probe = ChildProcess()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import schemathesis"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        try await Executables.runToExit(probe)
        guard probe.terminationStatus == 0 else {
            Issue.record("Schemathesis is not installed for \(python): scripts/test installs it (python3 -m pip install schemathesis)")
            return
        }

        let corpus = try await Corpus.make()
        defer { try? FileManager.default.removeItem(at: corpus.directory) }
        let work = try TemporaryFolder()
        defer { work.remove() }
        let app = Application(router: try await corpus.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let workURL = work.url
        let report = work.url.appendingPathComponent("report.json")
        let log = work.url.appendingPathComponent("schemathesis.log")

        try await app.test(.live) { client in
            let port = try #require(client.port)
            let arguments = [
                "-m", "schemathesis.cli", "run", "http://localhost:\(port)/api/v1/openapi.json",
                "--checks", "all", "--max-examples", "\(Self.maxExamples)", "--seed", "\(Self.seed)", "--workers", "2",
                // Timing is not this test's claim: the suite shares two cores, and a slow answer under that load is no
                // conformance failure (Schemathesis otherwise flags answers over 10 s, ST112).
                "--request-timeout", "60", "--max-response-time", "60", "--header", "Authorization: Bearer \(corpus.token)",
                "--report", "json", "--report-json-path", report.path,
            ]
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = arguments
            // Loopback only: no proxy, and the work folder as the current one, so no project configuration is read and
            // Hypothesis keeps its example database out of the repository.
            var environment = ProcessInfo.processInfo.environment
            for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] { environment[name] = nil }
            environment["NO_PROXY"] = "*"
            environment["no_proxy"] = "*"
            environment["NO_COLOR"] = "1"
            process.environment = environment
            process.currentDirectoryURL = workURL
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = process.standardOutput
            process.standardInput = FileHandle.nullDevice
            let watchdog = Task {
                try await Task.sleep(for: Self.timeLimit)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            try await Executables.runToExit(process)
            watchdog.cancel()
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            guard process.terminationReason == .exit else {
                Issue.record("Schemathesis took longer than \(Self.timeLimit) and was stopped:\n\(output.suffix(4000))")
                return
            }
            guard let data = try? Data(contentsOf: report),
                  let summary = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let cases = summary["test_cases"] as? [String: Any] else {
                Issue.record("Schemathesis wrote no report (exit status \(process.terminationStatus)):\n\(output.suffix(4000))")
                return
            }
            let generated = cases["generated"] as? Int ?? 0
            let failing = cases["with_failures"] as? Int ?? -1
            let errored = cases["errored"] as? Int ?? -1
            let operations = (summary["operations"] as? [String: Any])?["total"] as? Int
            print("Schemathesis \(summary["schemathesis_version"] as? String ?? "?"): \(generated) test cases over "
                  + "\(operations.map(String.init) ?? "?") operations, \(failing) with failures, \(errored) errored (seed \(Self.seed), "
                  + "--max-examples \(Self.maxExamples))")
            #expect(generated > 0, "Schemathesis generated no test case:\n\(output.suffix(4000))")
            #expect(failing == 0 && errored == 0 && process.terminationStatus == 0,
                    "Schemathesis found failures (exit status \(process.terminationStatus)):\n\(output.suffix(12000))")
            let missingAuth = (summary["warnings"] as? [String: Any])?["missing_auth"] as? [String] ?? []
            #expect(missingAuth.isEmpty, "the token did not reach \(missingAuth)")
        }
        await corpus.store.close()
    }

    /// A request made for one documented operation, and the status it must get.
    struct Sample: Sendable {
        let uri: String
        let bearer: Bool
        let status: Int
    }

    @Test("The router under /api/v1 and the OpenAPI document list the same paths and methods; real responses match the documented schemas")
    func documentMatchesHandlers() async throws {
        let corpus = try await Corpus.make()
        defer { try? FileManager.default.removeItem(at: corpus.directory) }
        let router = try await corpus.router()
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let components = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])

        // Both directions: every route is documented, every documented operation is routed. (HEAD comes with every
        // GET; the document itself is not one of its own paths.)
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }
            .filter { $0.contains(" /api/v1/") && !$0.hasPrefix("HEAD ") && $0 != "GET /api/v1/openapi.json" })
        let documented = Set(paths.flatMap { path, item in item.keys.map { "\($0.uppercased()) \(path)" } })
        #expect(routed.subtracting(documented).isEmpty, "routes missing from the OpenAPI document: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented operations with no route: \(documented.subtracting(routed).sorted())")

        // Every documented response, produced for real and checked against its schema; every status a sample gets is documented.
        let alertID = corpus.alert.id
        let samples: [String: [Sample]] = [
            "GET /api/v1/advisories": [
                Sample(uri: "/api/v1/advisories?per_page=500", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories?group=vulnerability&per_page=500", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories?group=bogus", bearer: false, status: 400),
                Sample(uri: "/api/v1/advisories?vendor=phoenix-contact&kev=true&page=1000000", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories?severity=extreme", bearer: false, status: 400),
                Sample(uri: "/api/v1/advisories?page=1000001", bearer: false, status: 400),
                Sample(uri: "/api/v1/advisories?per_page=3&after=\(Self.cursor.token)", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories?after=~ICSA-22-172-04&page=2", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories?after=2022-06-21", bearer: false, status: 400),
            ],
            "GET /api/v1/advisories/{id}": [
                Sample(uri: "/api/v1/advisories/ICSA-22-172-04", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories/EXSA-123456", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories/ICSA-26-100-01", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories/ICSA-00-000-00", bearer: false, status: 404),
            ],
            "GET /api/v1/advisories/{id}/changes": [
                Sample(uri: "/api/v1/advisories/VIGIL-TEST-0001/changes", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories/VIGIL-TEST-0001/changes?from=1&to=2", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories/VIGIL-TEST-0001/changes?from=2&to=1", bearer: false, status: 200),
                Sample(uri: "/api/v1/advisories/VIGIL-TEST-0001/changes?from=", bearer: false, status: 400),
                Sample(uri: "/api/v1/advisories/VIGIL-TEST-0001/changes?from=7", bearer: false, status: 404),
                Sample(uri: "/api/v1/advisories/ICSA-22-172-04/changes", bearer: false, status: 404),
                Sample(uri: "/api/v1/advisories/ICSA-00-000-00/changes", bearer: false, status: 404),
            ],
            "GET /api/v1/vendors": [Sample(uri: "/api/v1/vendors", bearer: false, status: 200)],
            "GET /api/v1/sources": [Sample(uri: "/api/v1/sources", bearer: false, status: 200)],
            "GET /api/v1/alerts": [
                Sample(uri: "/api/v1/alerts", bearer: true, status: 200),
                Sample(uri: "/api/v1/alerts?status=bogus", bearer: true, status: 400),
                Sample(uri: "/api/v1/alerts?limit=0", bearer: true, status: 400),
                Sample(uri: "/api/v1/alerts", bearer: false, status: 401),
            ],
            "GET /api/v1/alerts/{id}": [
                Sample(uri: "/api/v1/alerts/\(alertID)", bearer: true, status: 200),
                Sample(uri: "/api/v1/alerts/\(alertID)", bearer: false, status: 401),
                Sample(uri: "/api/v1/alerts/999999", bearer: true, status: 404),
            ],
        ]
        #expect(Set(samples.keys) == documented, "every documented operation needs samples here")

        // The answers, fetched first (the test client's closure may only capture sendable values), then checked.
        struct Answer: Sendable {
            let operation: String
            let sample: Sample
            let status: Int
            let contentType: String?
            let body: Data
        }
        let token = corpus.token
        let app = Application(router: router)
        let answers = try await app.test(.router) { client in
            var answers: [Answer] = []
            for (operation, cases) in samples.sorted(by: { $0.key < $1.key }) {
                for sample in cases {
                    let headers: HTTPFields = sample.bearer ? [.authorization: "Bearer \(token)"] : [:]
                    let response = try await client.executeRequest(uri: sample.uri, method: .get, headers: headers, body: nil)
                    answers.append(Answer(operation: operation, sample: sample, status: response.status.code,
                                          contentType: response.headers[.contentType], body: Data(buffer: response.body)))
                }
            }
            return answers
        }
        let checker = SchemaChecker(components: components)
        for (operation, cases) in samples.sorted(by: { $0.key < $1.key }) {
            let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
            let item = try #require(paths[parts[1]]?[parts[0].lowercased()] as? [String: Any], "\(operation) is not documented")
            let responses = try #require(item["responses"] as? [String: Any])
            #expect(Set(cases.map { String($0.status) }) == Set(responses.keys),
                    "\(operation): the samples get \(Set(cases.map(\.status)).sorted()), the document lists \(responses.keys.sorted())")
        }
        for answer in answers {
            let uri = answer.sample.uri
            #expect(answer.status == answer.sample.status, "\(uri): \(answer.status), expected \(answer.sample.status)")
            let parts = answer.operation.split(separator: " ", maxSplits: 1).map(String.init)
            let responses = (paths[parts[1]]?[parts[0].lowercased()] as? [String: Any])?["responses"] as? [String: Any]
            let documented = responses?[String(answer.status)] as? [String: Any]
            guard let content = documented?["content"] as? [String: Any],
                  let schema = (content["application/json"] as? [String: Any])?["schema"] as? [String: Any] else {
                Issue.record("\(answer.operation): status \(answer.status) has no documented JSON schema")
                continue
            }
            #expect(answer.contentType?.hasPrefix("application/json") == true, "\(uri): \(answer.contentType ?? "no content type")")
            let body = try JSONDecoder().decode(ResponseJSON.self, from: answer.body)
            let problems = checker.problems(body, schema, at: "$")
            #expect(problems.isEmpty, "\(uri) (\(answer.status)) does not match the document: \(problems.prefix(10))")
        }
        // The optional parts the link samples are there for were checked with items in them, not only empty.
        func member(_ uri: String, _ key: String) throws -> ResponseJSON? {
            let answer = try #require(answers.first { $0.sample.uri == uri })
            guard case .object(let members) = try JSONDecoder().decode(ResponseJSON.self, from: answer.body) else { return nil }
            return members[key]
        }
        for uri in ["/api/v1/advisories/EXSA-123456", "/api/v1/advisories/ICSA-26-100-01"] {
            guard case .array(let related) = try member(uri, "related") else { Issue.record("\(uri): no related list"); continue }
            #expect(related.count == 1, "\(uri): \(related.count) related")
        }
        if case .array(let grouped) = try member("/api/v1/advisories?group=vulnerability&per_page=500", "items") {
            let folded = grouped.filter { item in
                if case .object(let fields) = item, case .array(let also) = fields["also_published_as"] { return !also.isEmpty }
                return false
            }
            #expect(folded.count == 1, "\(folded.count) items with also_published_as")
        } else {
            Issue.record("the grouped list has no items")
        }
        await corpus.store.close()
    }

    @Test("A method the API does not serve is 405 with Allow (OPTIONS is 204 with Allow), even where form posts need a token")
    func undeclaredMethods() async throws {
        let corpus = try await Corpus.make()
        defer { try? FileManager.default.removeItem(at: corpus.directory) }
        let app = Application(router: try await corpus.router())
        try await app.test(.router) { client in
            for (method, uri) in [(HTTPRequest.Method.put, "/api/v1/advisories/ICSA-22-172-04"), (.post, "/api/v1/advisories"),
                                  (.delete, "/api/v1/alerts/\(corpus.alert.id)"), (.patch, "/api/v1/vendors"),
                                  (.trace, "/api/v1/sources"), (HTTPRequest.Method("PROPFIND")!, "/api/v1/openapi.json")] {
                let response = try await client.executeRequest(uri: uri, method: method, headers: [:], body: nil)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri): \(response.status)")
                #expect(response.headers[.allow] == "GET, HEAD", "\(method) \(uri)")
                #expect(String(buffer: response.body).contains("\"status\":405"))
            }
            let options = try await client.executeRequest(uri: "/api/v1/advisories", method: .options, headers: [:], body: nil)
            #expect(options.status == .noContent)
            #expect(options.headers[.allow] == "GET, HEAD")
            // The documented methods still work, an undocumented path is still 404, and form posts elsewhere still need their token.
            #expect(try await client.executeRequest(uri: "/api/v1/vendors", method: .head, headers: [:], body: nil).status == .ok)
            #expect(try await client.executeRequest(uri: "/api/v1/nothing", method: .put, headers: [:], body: nil).status != .methodNotAllowed)
            #expect(try await client.executeRequest(uri: "/login", method: .post, headers: [:], body: nil).status == .forbidden)
        }
        await corpus.store.close()
    }
}

extension APIConformanceTests {
    /// A place in the list (ICSA-22-172-04's date, as stored) for samples that page by key.
    static let cursor = ListCursor(currentReleaseDate: "2022-06-21T00:00:00Z", id: "ICSA-22-172-04")

    @Test("The API pages by key: next_after and the Link header walk the whole list exactly as pages do; a search pages by page")
    func pagesByKey() async throws {
        let corpus = try await Corpus.make()
        defer { try? FileManager.default.removeItem(at: corpus.directory) }
        let app = Application(router: try await corpus.router())
        struct Walk: Sendable {
            var ids: [String] = []
            var links: [String] = []
            var afters: [String] = []
        }
        @Sendable func items(_ body: ByteBuffer) throws -> (ids: [String], next: String?, total: Int) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
            let items = try #require(object["items"] as? [[String: Any]])
            return (items.compactMap { $0["id"] as? String }, object["next_after"] as? String, try #require(object["total"] as? Int))
        }
        for filter in ["", "vendor=siemens&", "severity=critical&year=2022&"] {
            let (byPage, byKey) = try await app.test(.router) { client -> (Walk, Walk) in
                var byPage = Walk()
                for page in 1...100 {
                    let response = try await client.executeRequest(uri: "/api/v1/advisories?\(filter)per_page=500&page=\(page)", method: .get, headers: [:], body: nil)
                    let (ids, _, total) = try items(response.body)
                    byPage.ids += ids
                    if byPage.ids.count >= total { break }
                }
                // Followed as a client would: the Link header's address, page after page.
                var byKey = Walk()
                var uri: String? = "/api/v1/advisories?\(filter)per_page=300"
                while let next = uri, byKey.links.count < 100 {
                    let response = try await client.executeRequest(uri: next, method: .get, headers: [:], body: nil)
                    #expect(response.status == .ok, "\(next)")
                    let (ids, after, _) = try items(response.body)
                    byKey.ids += ids
                    let link = response.headers[HTTPField.Name("Link")!]
                    #expect((link == nil) == (after == nil), "a Link header exactly when there is a next page")
                    uri = nil
                    if let link, let after {
                        byKey.links.append(link)
                        byKey.afters.append(after)
                        #expect(link.hasPrefix("</api/v1/advisories?") && link.hasSuffix(">; rel=\"next\""), "\(link)")
                        uri = String(link.dropFirst().prefix { $0 != ">" })
                    }
                }
                return (byPage, byKey)
            }
            #expect(byKey.ids == byPage.ids, "?\(filter): \(byKey.ids.count) by key, \(byPage.ids.count) by page")
            #expect(byPage.ids.count > 0 && Set(byPage.ids).count == byPage.ids.count)
            #expect(byKey.links.count == (byPage.ids.count + 299) / 300 - 1)
            for (link, after) in zip(byKey.links, byKey.afters) {
                #expect(link.contains("after=\(after)") && link.contains("per_page=300"), "\(link)")
                #expect(!link.contains("&page=") && !link.contains("?page="), "the Link replaces page with after: \(link)")
                for part in filter.split(separator: "&") { #expect(link.contains(String(part)), "the Link keeps the filters: \(link)") }
            }
        }
        // A search pages by page: no next_after, no Link.
        try await app.test(.router) { client in
            let response = try await client.executeRequest(uri: "/api/v1/advisories?q=siemens&per_page=5", method: .get, headers: [:], body: nil)
            let (ids, after, total) = try items(response.body)
            #expect(ids.count == 5 && total > 5 && after == nil)
            #expect(response.headers[HTTPField.Name("Link")!] == nil)
        }
        await corpus.store.close()
    }

    @Test("The API reads parameters exactly as documented: values the lenient pages accept (any case, empty, padded) are 400 here")
    func parametersAsDocumented() async throws {
        let corpus = try await Corpus.make()
        defer { try? FileManager.default.removeItem(at: corpus.directory) }
        let app = Application(router: try await corpus.router())
        let token = corpus.token
        try await app.test(.router) { client in
            let longQuery = String(repeating: "e\u{301}", count: 300)  // 300 characters, 600 code points
            for (query, status) in [("severity=high&kev=1&year=2022&page=1&per_page=5", 200), ("kev=true", 200), ("kev=0", 200),
                                    ("group=vulnerability", 200), ("group=advisory", 200), ("group=Vulnerability", 400), ("group=", 400),
                                    ("severity=HIGH", 400), ("severity=", 400), ("severity=%20high", 400), ("year=+2022", 400),
                                    ("page=01", 400), ("per_page=", 400), ("kev=yes", 400), ("q=\(TestBrowser.encode(longQuery))", 400),
                                    ("severity=high&severity=bogus", 400), ("after=\(Self.cursor.token)", 200),
                                    ("after=\(Self.cursor.token)&vendor=siemens&q=%20", 200), ("after=~x", 200), ("after=2022-06-21~x", 200), ("after=", 400),
                                    ("after=~", 400), ("after=abc", 400), ("after=2022-06-21", 400), ("after=\(Self.cursor.token)&page=2", 200),
                                    ("after=\(Self.cursor.token)&q=siemens", 200), ("after=~\(String(repeating: "A", count: 1_000))", 400)] {
                let response = try await client.executeRequest(uri: "/api/v1/advisories?\(query)", method: .get, headers: [:], body: nil)
                #expect(response.status.code == status, "?\(query): \(response.status.code)")
            }
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            for (query, status) in [("status=investigating&limit=10", 200), ("status=not_applicable", 200), ("status=Not%20applicable", 400),
                                    ("status=", 400), ("limit=+5", 400), ("limit=10001", 400)] {
                let response = try await client.executeRequest(uri: "/api/v1/alerts?\(query)", method: .get, headers: bearer, body: nil)
                #expect(response.status.code == status, "?\(query): \(response.status.code)")
            }
            // The pages stay lenient.
            #expect(try await client.executeRequest(uri: "/?severity=HIGH&kev=yes", method: .get, headers: [:], body: nil).status == .ok)
        }
        await corpus.store.close()
    }
}

/// Any JSON value, decoded strictly (true is not 1), for checking responses against JSON Schema.
indirect enum ResponseJSON: Decodable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([ResponseJSON]), object([String: ResponseJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([ResponseJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: ResponseJSON].self)) }
    }
}

/// The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) the Vigil document uses: `$ref` to components, `type`
/// (one or a list, with "null"), `enum` of strings, `required`, `properties`, `items`, and integer bounds.
struct SchemaChecker {
    let components: [String: Any]

    func problems(_ value: ResponseJSON, _ schema: [String: Any], at path: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            let name = String(reference.split(separator: "/").last ?? "")
            guard let target = components[name] as? [String: Any] else { return ["\(path): unresolved \(reference)"] }
            return problems(value, target, at: path)
        }
        var found: [String] = []
        let types: [String] = (schema["type"] as? String).map { [$0] } ?? (schema["type"] as? [String]) ?? []
        if !types.isEmpty, !types.contains(where: { matches(value, type: $0) }) {
            return ["\(path): \(describe(value)) is not \(types.joined(separator: " or "))"]
        }
        if let allowed = schema["enum"] as? [String], case .string(let text) = value, !allowed.contains(text) {
            found.append("\(path): \"\(text)\" is not one of \(allowed)")
        }
        if case .integer(let number) = value {
            if let minimum = schema["minimum"] as? Int, number < minimum { found.append("\(path): \(number) < \(minimum)") }
            if let maximum = schema["maximum"] as? Int, number > maximum { found.append("\(path): \(number) > \(maximum)") }
        }
        if case .object(let members) = value {
            for key in (schema["required"] as? [String]) ?? [] where members[key] == nil {
                found.append("\(path): required \(key) is missing")
            }
            for (key, property) in (schema["properties"] as? [String: Any]) ?? [:] {
                if let member = members[key], let property = property as? [String: Any] {
                    found += problems(member, property, at: "\(path).\(key)")
                }
            }
        }
        if case .array(let elements) = value, let items = schema["items"] as? [String: Any] {
            for (index, element) in elements.enumerated() {
                found += problems(element, items, at: "\(path)[\(index)]")
            }
        }
        return found
    }

    func matches(_ value: ResponseJSON, type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.integer, "integer"), (.integer, "number"), (.number, "number"),
             (.string, "string"), (.array, "array"), (.object, "object"): true
        default: false
        }
    }

    func describe(_ value: ResponseJSON) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
