import CSAF
import Foundation
import Hummingbird
import HummingbirdTesting
import Matching
import Revisions
import Sources
import Storage
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
    struct FailingStore: ServedStore {
        let base: SQLiteStore
        let failure: @Sendable () -> any Error

        func advisory(id: String) async throws -> StoredAdvisory? { throw failure() }
        func search(_ query: AdvisoryQuery) async throws -> AdvisoryPage { throw failure() }
        func revisions(advisoryID: String) async throws -> [StoredRevision] { try await base.revisions(advisoryID: advisoryID) }
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
        func related(advisoryIDs: [String]) async throws -> [String: [AdvisoryLink]] { try await base.related(advisoryIDs: advisoryIDs) }
        func allLinks() async throws -> [String: [AdvisoryLink]] { try await base.allLinks() }
        func advisoryCountsByMonth(since: Date) async throws -> [AdvisoryMonthCount] { try await base.advisoryCountsByMonth(since: since) }
        func ingest(_ document: IncomingDocument) async throws -> IngestOutcome { try await base.ingest(document) }
        func quarantine(_ document: RejectedDocument) async throws { try await base.quarantine(document) }
        func ingest(batch documents: [IncomingDocument]) async throws -> [IngestOutcome] { try await base.ingest(batch: documents) }
        func batchPipeline() -> (any BatchPipeline)? { nil }

        // The rest of the store, handed to the real one (generated from the protocols in Storage).
    // AccountStore
    func hasUsers() async throws -> Bool { try await base.hasUsers() }
    func createUser(_ draft: UserAccount.Draft, now: Date) async throws -> UserAccount { try await base.createUser(draft, now: now) }
    func user(email: String) async throws -> UserAccount? { try await base.user(email: email) }
    func user(id: Int64) async throws -> UserAccount? { try await base.user(id: id) }
    func users(organisationID: Int64?) async throws -> [UserAccount] { try await base.users(organisationID: organisationID) }
    func setPasswordHash(userID: Int64, hash: String, now: Date) async throws { try await base.setPasswordHash(userID: userID, hash: hash, now: now) }
    func clearPassword(userID: Int64) async throws { try await base.clearPassword(userID: userID) }
    func setInstanceAdmin(userID: Int64, _ on: Bool) async throws -> Bool { try await base.setInstanceAdmin(userID: userID, on) }
    func setEmailVerified(userID: Int64, at: Date) async throws { try await base.setEmailVerified(userID: userID, at: at) }
    func removeUser(id: Int64) async throws -> Bool { try await base.removeUser(id: id) }
    func setMembership(userID: Int64, organisationID: Int64, role: MemberRole, delivery: NotificationChannel.Schedule) async throws -> Membership { try await base.setMembership(userID: userID, organisationID: organisationID, role: role, delivery: delivery) }
    func setDeliveryPreference(userID: Int64, organisationID: Int64, delivery: NotificationChannel.Schedule) async throws -> Bool { try await base.setDeliveryPreference(userID: userID, organisationID: organisationID, delivery: delivery) }
    func removeMembership(userID: Int64, organisationID: Int64) async throws -> Bool { try await base.removeMembership(userID: userID, organisationID: organisationID) }
    func memberships(userID: Int64) async throws -> [Membership] { try await base.memberships(userID: userID) }
    func membership(userID: Int64, organisationID: Int64) async throws -> Membership? { try await base.membership(userID: userID, organisationID: organisationID) }
    func createSession(_ session: SessionRecord) async throws { try await base.createSession(session) }
    func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> SessionRecord? { try await base.session(tokenHash: tokenHash, now: now, idleTimeout: idleTimeout) }
    func deleteSession(tokenHash: String) async throws { try await base.deleteSession(tokenHash: tokenHash) }
    func setSessionOrganisation(tokenHash: String, organisationID: Int64) async throws -> Bool { try await base.setSessionOrganisation(tokenHash: tokenHash, organisationID: organisationID) }
    func createOneTimeToken(_ token: OneTimeToken) async throws { try await base.createOneTimeToken(token) }
    func oneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? { try await base.oneTimeToken(hash: hash, purpose: purpose, now: now) }
    func consumeOneTimeToken(hash: String, purpose: OneTimeToken.Purpose, now: Date) async throws -> OneTimeToken? { try await base.consumeOneTimeToken(hash: hash, purpose: purpose, now: now) }
    func createAPIToken(hash: String, name: String, userID: Int64, organisationID: Int64, now: Date) async throws -> APITokenRecord { try await base.createAPIToken(hash: hash, name: name, userID: userID, organisationID: organisationID, now: now) }
    func apiTokens(userID: Int64, organisationID: Int64) async throws -> [APITokenRecord] { try await base.apiTokens(userID: userID, organisationID: organisationID) }
    func revokeAPIToken(id: Int64, userID: Int64, organisationID: Int64) async throws -> Bool { try await base.revokeAPIToken(id: id, userID: userID, organisationID: organisationID) }
    func apiToken(hash: String, now: Date) async throws -> APITokenRecord? { try await base.apiToken(hash: hash, now: now) }
    // AlertStore
    func addWatch(_ watch: StoredWatch.Draft, organisationID: Int64) async throws -> StoredWatch { try await base.addWatch(watch, organisationID: organisationID) }
    func watches(organisationID: Int64) async throws -> [StoredWatch] { try await base.watches(organisationID: organisationID) }
    func allWatches() async throws -> [StoredWatch] { try await base.allWatches() }
    func removeWatch(id: Int64, organisationID: Int64) async throws -> Bool { try await base.removeWatch(id: id, organisationID: organisationID) }
    func pendingChanges(limit: Int) async throws -> [AdvisoryChangeRecord] { try await base.pendingChanges(limit: limit) }
    func alertContext(advisoryID: String) async throws -> (knownExploited: Set<String>, exposedAssets: [Int64: Int]) { try await base.alertContext(advisoryID: advisoryID) }
    func createAlert(_ alert: StoredAlert.Draft) async throws -> Bool { try await base.createAlert(alert) }
    func createAlerts(_ alerts: [StoredAlert.Draft]) async throws -> [Bool] { try await base.createAlerts(alerts) }
    func markProcessed(changeID: Int64) async throws { try await base.markProcessed(changeID: changeID) }
    func discardPendingChanges() async throws -> Int { try await base.discardPendingChanges() }
    func alerts(organisationID: Int64, status: AlertStatus?, limit: Int) async throws -> [StoredAlert] { try await base.alerts(organisationID: organisationID, status: status, limit: limit) }
    func alerts(advisoryIDs: [String]) async throws -> [StoredAlert] { try await base.alerts(advisoryIDs: advisoryIDs) }
    // AssetStore
    func organisation(named name: String, create: Bool) async throws -> Organisation? { try await base.organisation(named: name, create: create) }
    func organisations() async throws -> [Organisation] { try await base.organisations() }
    func importAssets(_ drafts: [AssetDraft], organisationID: Int64, replace: Bool) async throws -> AssetImportSummary { try await base.importAssets(drafts, organisationID: organisationID, replace: replace) }
    func assets(organisationID: Int64) async throws -> [StoredAsset] { try await base.assets(organisationID: organisationID) }
    func exposures(organisationID: Int64, filter: ExposureFilter) async throws -> [ExposureRow] { try await base.exposures(organisationID: organisationID, filter: filter) }
    func recomputeExposures() async throws -> Int { try await base.recomputeExposures() }
    func vendorAliases() async throws -> [String: String] { try await base.vendorAliases() }
    func setVendorAlias(_ alias: String, canonical: String?) async throws { try await base.setVendorAlias(alias, canonical: canonical) }
    func organisationSettings(organisationID: Int64) async throws -> OrganisationSettings? { try await base.organisationSettings(organisationID: organisationID) }
    func saveOrganisationSettings(_ settings: OrganisationSettings, organisationID: Int64, actor: String, at: Date) async throws {
        try await base.saveOrganisationSettings(settings, organisationID: organisationID, actor: actor, at: at)
    }
    // OutboxStore
    func addChannel(_ channel: NotificationChannel.Draft, organisationID: Int64) async throws -> NotificationChannel { try await base.addChannel(channel, organisationID: organisationID) }
    func channels(organisationID: Int64) async throws -> [NotificationChannel] { try await base.channels(organisationID: organisationID) }
    func removeChannel(id: Int64, organisationID: Int64) async throws -> Bool { try await base.removeChannel(id: id, organisationID: organisationID) }
    func setChannelEnabled(id: Int64, organisationID: Int64, enabled: Bool, reason: String?) async throws -> Bool { try await base.setChannelEnabled(id: id, organisationID: organisationID, enabled: enabled, reason: reason) }
    func setChannelSchedule(id: Int64, organisationID: Int64, schedule: NotificationChannel.Schedule) async throws -> Bool { try await base.setChannelSchedule(id: id, organisationID: organisationID, schedule: schedule) }
    func channel(unsubscribeToken token: String) async throws -> NotificationChannel? { try await base.channel(unsubscribeToken: token) }
    func enqueueTest(channelID: Int64, organisationID: Int64, now: Date) async throws -> Int64 { try await base.enqueueTest(channelID: channelID, organisationID: organisationID, now: now) }
    func channelsWithHeldAlerts() async throws -> [HeldChannel] { try await base.channelsWithHeldAlerts() }
    func composeDigest(channelID: Int64, periodEnd boundary: Date, now: Date) async throws -> Int { try await base.composeDigest(channelID: channelID, periodEnd: boundary, now: now) }
    func claimDeliveries(now: Date, lease: TimeInterval, limit: Int, only: Int64?, kinds: Set<NotificationChannel.Kind>?) async throws -> [ClaimedDelivery] { try await base.claimDeliveries(now: now, lease: lease, limit: limit, only: only, kinds: kinds) }
    func deliveryContent(_ delivery: ClaimedDelivery, cache: AdvisoryCache) async throws -> DeliveryContent { try await base.deliveryContent(delivery, cache: cache) }
    func markDelivered(deliveryID: Int64, at: Date, detail: String) async throws { try await base.markDelivered(deliveryID: deliveryID, at: at, detail: detail) }
    func markFailed(deliveryID: Int64, error: String, retryAt: Date?) async throws { try await base.markFailed(deliveryID: deliveryID, error: error, retryAt: retryAt) }
    func recordOutcomes(_ outcomes: [DeliveryOutcome]) async throws { try await base.recordOutcomes(outcomes) }
    func deliveries(organisationID: Int64, status: DeliveryStatus?, limit: Int) async throws -> [DeliveryRecord] { try await base.deliveries(organisationID: organisationID, status: status, limit: limit) }
    func alert(id: Int64, organisationID: Int64) async throws -> StoredAlert? { try await base.alert(id: id, organisationID: organisationID) }
    func updateAlert(id: Int64, organisationID: Int64, update: AlertUpdate, actor: String, at: Date) async throws -> StoredAlert? { try await base.updateAlert(id: id, organisationID: organisationID, update: update, actor: actor, at: at) }
    func alertEvents(alertID: Int64, organisationID: Int64) async throws -> [AlertEvent] { try await base.alertEvents(alertID: alertID, organisationID: organisationID) }
    func alertDeliveries(alertID: Int64, organisationID: Int64) async throws -> [DeliveryRecord] { try await base.alertDeliveries(alertID: alertID, organisationID: organisationID) }
    func reportSettings(organisationID: Int64) async throws -> ReportSettings? { try await base.reportSettings(organisationID: organisationID) }
    func updateWatch(id: Int64, organisationID: Int64, draft: StoredWatch.Draft) async throws -> StoredWatch? {
        try await base.updateWatch(id: id, organisationID: organisationID, draft: draft)
    }
    func rotateChannelSecret(id: Int64, organisationID: Int64) async throws -> String? { try await base.rotateChannelSecret(id: id, organisationID: organisationID) }
    func retryDelivery(id: Int64, organisationID: Int64, now: Date) async throws -> Bool { try await base.retryDelivery(id: id, organisationID: organisationID, now: now) }
    func saveReportSettings(_ settings: ReportSettings, organisationID: Int64, actor: String, at: Date) async throws {
        try await base.saveReportSettings(settings, organisationID: organisationID, actor: actor, at: at)
    }
    func enqueueMonthlyReports(period: String, periodEnd: Date, now: Date) async throws -> Int {
        try await base.enqueueMonthlyReports(period: period, periodEnd: periodEnd, now: now)
    }
    // SourceStateStore
    func sources() async throws -> [SourceRecord] { try await base.sources() }
    func source(slug: String) async throws -> SourceRecord? { try await base.source(slug: slug) }
    func saveSource(_ source: SourceRecord) async throws { try await base.saveSource(source) }
    func saveSourceQuality(slug: String, quality: SourceQuality) async throws -> Bool { try await base.saveSourceQuality(slug: slug, quality: quality) }
    func removeSource(slug: String) async throws -> Bool { try await base.removeSource(slug: slug) }
    func cachedResponse(for url: String) async throws -> CachedResponse? { try await base.cachedResponse(for: url) }
    func saveCachedResponse(_ response: CachedResponse, for url: String) async throws { try await base.saveCachedResponse(response, for: url) }
    func seedSourcesOnce(_ sources: [SourceRecord]) async throws -> Int { try await base.seedSourcesOnce(sources) }
    func remoteDocuments(source: String) async throws -> [String: RemoteDocumentState] { try await base.remoteDocuments(source: source) }
    func saveRemoteDocument(_ state: RemoteDocumentState) async throws { try await base.saveRemoteDocument(state) }
    func failingDocuments(source: String, limit: Int) async throws -> [RemoteDocumentState] { try await base.failingDocuments(source: source, limit: limit) }
    func replaceKnownExploited(_ entries: [KnownExploitedVulnerability], catalogVersion: String) async throws -> (added: Int, removed: Int) { try await base.replaceKnownExploited(entries, catalogVersion: catalogVersion) }
    func claimSourcePoll(slug: String, holder: String, until: Date, now: Date) async throws -> Bool { try await base.claimSourcePoll(slug: slug, holder: holder, until: until, now: now) }
    func releaseSourcePoll(slug: String, holder: String) async throws { try await base.releaseSourcePoll(slug: slug, holder: holder) }

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
