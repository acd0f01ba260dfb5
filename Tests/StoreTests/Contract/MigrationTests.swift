import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Moving an installation from SQLite to PostgreSQL (`vigil export --to`): a SQLite store populated through the
/// command line (a year of CISA advisories, an inventory, a watch with an email channel, the alerts it raised and their
/// queued deliveries, a user with an invitation link) is copied, then every count and a sample of content is compared
/// between the two stores field by field, through the same store API the web pages and alerts use.
@Suite struct MigrationTests {
    @Test func sqliteInstallationMovesToPostgresWithNothingLost() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        func vigil(_ arguments: [String], allowing statuses: Set<Int32> = [0]) async throws -> Executables.Output {
            let output = try await Executables.runVigil(arguments)
            #expect(statuses.contains(output.status), "vigil \(arguments.prefix(2).joined(separator: " ")): \(output.stderr)")
            return output
        }
        _ = try await vigil(["watch", "add", "--db", db, "--org", "plant", "--publisher", "CISA", "--notify", "email:ot@plant.example"])
        _ = try await vigil(["watch", "add", "--db", db, "--org", "plant", "--vendor", "Siemens", "--min-severity", "high"])
        let inventory = Executables.packageRoot.appendingPathComponent("Tests/MatchingTests/Fixtures/plant-inventory.csv").path
        _ = try await vigil(["assets", "import", "--db", db, "--org", "plant", inventory])
        // Status 1: some files of the folder are not CSAF documents (sidecars are read, others rejected with reasons).
        _ = try await vigil(["import", "--db", db, "--quiet", try SharedData.url("providers/cisa/csaf_files/OT/white/2022").path], allowing: [0, 1])
        // Five advisories published "now" (dates rewritten): news that alerts, unlike the year of history above.
        let fresh = folder.url.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        let year = try SharedData.url("providers/cisa/csaf_files/OT/white/2023")
        let names = try FileManager.default.contentsOfDirectory(atPath: year.path).filter { $0.hasSuffix(".json") }.sorted().prefix(5)
        let now = ISO8601DateFormatter().string(from: Date())
        for name in names {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: year.appendingPathComponent(name))) as? [String: Any])
            var head = try #require(object["document"] as? [String: Any])
            var tracking = try #require(head["tracking"] as? [String: Any])
            tracking["initial_release_date"] = now
            tracking["current_release_date"] = now
            head["tracking"] = tracking
            object["document"] = head
            try JSONSerialization.data(withJSONObject: object).write(to: fresh.appendingPathComponent(name))
        }
        _ = try await vigil(["import", "--db", db, "--quiet", fresh.path], allowing: [0, 1])
        _ = try await vigil(["alerts", "process", "--db", db, "--no-deliver"])
        _ = try await vigil(["users", "add", "--db", db, "ops@plant.example", "--org", "plant", "--role", "admin", "--name", "Ops"])
        _ = try await vigil(["report-settings", "--db", db, "--org", "plant", "--framework", "iec-62443", "--evaluate-days", "critical=3"])

        let url = try PostgresServer.shared().makeDatabase(prefix: "move")
        let copy = try await vigil(["export", "--db", db, "--to", url])
        #expect(copy.stdout.contains("every count matches"), "\(copy.stdout)")
        #expect(!copy.stdout.contains(PostgresServer.password) && !copy.stderr.contains(PostgresServer.password))

        let sqlite = try SQLiteStore(path: db)
        let postgres = try await PostgresStore(url: url)
        defer { Task { await postgres.close() } }

        let statistics = try await sqlite.statistics()
        #expect(statistics.advisories > 300)
        #expect(try await postgres.statistics() == statistics)
        #expect(try await postgres.quarantined(limit: 1000).map(\.origin) == (try await sqlite.quarantined(limit: 1000)).map(\.origin))

        // Advisories: every 20th in full (parsed from the stored bytes, revisions, KEV) and its bytes exactly.
        let all = try await sqlite.search(AdvisoryQuery(perPage: 500))
        #expect(all.total == statistics.advisories)
        for summary in all.items.enumerated().filter({ $0.offset % 20 == 0 }).map(\.element) {
            let left = try #require(try await sqlite.advisory(id: summary.id))
            let right = try #require(try await postgres.advisory(id: summary.id))
            #expect(right.advisory == left.advisory)
            #expect(right.revisions == left.revisions)
            #expect(right.document == left.document)
            #expect(right.conflictCount == left.conflictCount)
            let leftBytes = try await sqlite.rawDocument(advisoryID: summary.id, documentID: nil)?.bytes
            let rightBytes = try await postgres.rawDocument(advisoryID: summary.id, documentID: nil)?.bytes
            #expect(leftBytes != nil && rightBytes == leftBytes)
        }
        #expect(try await postgres.search(AdvisoryQuery(perPage: 500)) == all)
        #expect(try await postgres.vendors() == (try await sqlite.vendors()))
        #expect(try await postgres.filterOptions() == (try await sqlite.filterOptions()))
        // Search finds the same advisories from the copied text (the ranking formulas differ between the engines).
        for text in ["Siemens", "SCALANCE", "CVE-2022", "remote code"] {
            let left = Set(try await sqlite.search(AdvisoryQuery(text: text, perPage: 500)).items.map(\.id))
            let right = Set(try await postgres.search(AdvisoryQuery(text: text, perPage: 500)).items.map(\.id))
            #expect(!left.isEmpty && right == left, "search \(text)")
        }

        // The organisation's inventory, exposures, watches, alerts and queued deliveries.
        let organisations = try await sqlite.organisations()
        #expect(try await postgres.organisations() == organisations)
        let plant = try #require(organisations.first { $0.name == "plant" })
        #expect(try await postgres.assets(organisationID: plant.id) == (try await sqlite.assets(organisationID: plant.id)))
        let exposures = try await sqlite.exposures(organisationID: plant.id, filter: ExposureFilter(includeNotAffected: true))
        #expect(!exposures.isEmpty)
        #expect(try await postgres.exposures(organisationID: plant.id, filter: ExposureFilter(includeNotAffected: true)) == exposures)
        let watches = try await sqlite.watches(organisationID: plant.id)
        #expect(watches.count == 2)
        #expect(try await postgres.watches(organisationID: plant.id) == watches)
        let alerts = try await sqlite.alerts(organisationID: plant.id, status: nil, limit: 10_000)
        #expect(alerts.count == 5)
        #expect(try await postgres.alerts(organisationID: plant.id, status: nil, limit: 10_000) == alerts)
        #expect(try await postgres.channels(organisationID: plant.id) == (try await sqlite.channels(organisationID: plant.id)))
        let deliveries = try await sqlite.deliveries(organisationID: plant.id, status: nil, limit: 10_000)
        #expect(deliveries.count == alerts.count)
        #expect(try await postgres.deliveries(organisationID: plant.id, status: nil, limit: 10_000) == deliveries)
        #expect(try await postgres.sources() == (try await sqlite.sources()))
        let reportSettings = try await sqlite.reportSettings(organisationID: plant.id)
        #expect(reportSettings?.evaluateDays == "critical=3")
        #expect(try await postgres.reportSettings(organisationID: plant.id) == reportSettings)

        // People: the user and their membership; the invitation link still works on PostgreSQL.
        let user = try #require(try await sqlite.user(email: "ops@plant.example"))
        #expect(try await postgres.user(email: "OPS@plant.example") == user)
        #expect(try await postgres.memberships(userID: user.id) == (try await sqlite.memberships(userID: user.id)))

        // New rows continue after the copied IDs.
        let watch = try await postgres.addWatch(StoredWatch.Draft(kind: "keyword", value: "PROFINET"), organisationID: plant.id)
        #expect(watch.id > watches.map(\.id).max()!)
        #expect(try await postgres.generation() > 0)

        // A second copy into the now-filled database is refused and changes nothing.
        let again = try await vigil(["export", "--db", db, "--to", url], allowing: [2])
        #expect(again.stderr.contains("already holds data"), "\(again.stderr)")
        #expect(try await postgres.statistics() == statistics)
    }
}
