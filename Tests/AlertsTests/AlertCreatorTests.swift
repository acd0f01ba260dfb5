import Alerts
import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Alert creation through the change journal of a real store, SQLite and PostgreSQL: once per organisation and revision, never
/// retroactively, never for backfill, and not twice when processing is repeated.
struct AlertCreatorTests {
    /// ICSA-22-172-04 as if published now (dates rewritten), written into `folder`, with an optional version.
    static func freshCopy(in folder: URL, version: String = "1", extraCVE: String? = nil) throws -> String {
        let data = try Data(contentsOf: try SharedData.url("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var document = try #require(object["document"] as? [String: Any])
        var tracking = try #require(document["tracking"] as? [String: Any])
        let now = ISO8601DateFormatter().string(from: Date())
        tracking["initial_release_date"] = now
        tracking["current_release_date"] = now
        tracking["version"] = version
        var history = try #require(tracking["revision_history"] as? [[String: Any]])
        history.append(["number": version, "date": now, "summary": "Revision \(version)"])
        tracking["revision_history"] = history
        document["tracking"] = tracking
        object["document"] = document
        if let extraCVE, var vulnerabilities = object["vulnerabilities"] as? [[String: Any]] {
            var copy = vulnerabilities[0]
            copy["cve"] = extraCVE
            vulnerabilities.append(copy)
            object["vulnerabilities"] = vulnerabilities
        }
        let path = folder.appendingPathComponent("icsa-22-172-04-v\(version).json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a new advisory alerts each watching organisation once; a material revision alerts again; reprocessing adds nothing", arguments: Backend.allCases)
    func alertsOncePerRevision(backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await backend.withStore(in: folder) { store, _ in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let other = try #require(try await store.organisation(named: "Other", create: true))
            let quiet = try #require(try await store.organisation(named: "Quiet", create: true))
            _ = try await store.addWatch(.init(kind: "vendor", value: "Phoenix Contact"), organisationID: plant.id)
            _ = try await store.addWatch(.init(kind: "min_cvss", value: "9.0"), organisationID: other.id)
            _ = try await store.addWatch(.init(kind: "vendor", value: "Siemens"), organisationID: quiet.id)
            let creator = AlertCreator(store: store)

            let version1 = try Self.freshCopy(in: folder.url)
            _ = try await LocalImporter().run(paths: [version1], into: store)
            let first = try await creator.processPending()
            #expect(first.changesProcessed == 1)
            #expect(first.alertsCreated == 2)
            let alerts = try await store.alerts(organisationID: plant.id, limit: 10)
            #expect(alerts.count == 1)
            #expect(alerts.first?.draft.changes == ["new advisory"])
            #expect(alerts.first?.draft.matches.first?.reason == "names the vendor Phoenix Contact")
            #expect(try await store.alerts(organisationID: quiet.id, limit: 10).isEmpty)

            // Nothing pending: a second pass does nothing; the same revision imported again is unchanged.
            let again = try await LocalImporter().run(paths: [version1], into: store)
            #expect(again.unchanged == 1)
            #expect(try await creator.processPending() == AlertCreator.Summary())

            // A cosmetic revision alerts nobody; one with a new CVE alerts both again.
            _ = try await LocalImporter().run(paths: [try Self.freshCopy(in: folder.url, version: "2")], into: store)
            let cosmetic = try await creator.processPending()
            #expect(cosmetic.changesProcessed == 1 && cosmetic.alertsCreated == 0)
            _ = try await LocalImporter().run(paths: [try Self.freshCopy(in: folder.url, version: "3", extraCVE: "CVE-2099-0001")], into: store)
            let material = try await creator.processPending()
            #expect(material.alertsCreated == 2)
            let latest = try #require(try await store.alerts(organisationID: plant.id, limit: 10).first)
            #expect(latest.draft.advisoryVersion == "3")
            #expect(latest.draft.changes == ["new CVE CVE-2099-0001"])

            // Creating an alert again with the same key (a retry after a crash, another node) stores nothing new.
            #expect(try await store.createAlert(latest.draft) == false)
            #expect(try await store.alerts(organisationID: plant.id, limit: 10).count == 2)
        }
    }

    @Test("importing history alerts nobody, and a watch made later does not alert for what came before it", arguments: Backend.allCases)
    func backfillAndLateWatches(backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await backend.withStore(in: folder) { store, _ in
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            _ = try await store.addWatch(.init(kind: "vendor", value: "Phoenix Contact"), organisationID: plant.id)
            _ = try await LocalImporter().run(paths: [try SharedData.url("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json").path],
                                              into: store)
            let history = try await AlertCreator(store: store).processPending()
            #expect(history.backfillSkipped == 1 && history.alertsCreated == 0)

            let later = try #require(try await store.organisation(named: "Later", create: true))
            let laterFolder = folder.url.appendingPathComponent("later")
            try FileManager.default.createDirectory(at: laterFolder, withIntermediateDirectories: true)
            _ = try await LocalImporter().run(paths: [try Self.freshCopy(in: laterFolder, version: "2", extraCVE: "CVE-2099-0002")],
                                              into: store)
            try await Task.sleep(for: .milliseconds(1_100))
            _ = try await store.addWatch(.init(kind: "vendor", value: "Phoenix Contact"), organisationID: later.id)
            let summary = try await AlertCreator(store: store).processPending()
            #expect(summary.changesProcessed == 1)
            #expect(try await store.alerts(organisationID: later.id, limit: 10).isEmpty)
            #expect(try await store.alerts(organisationID: plant.id, limit: 10).count == 1)
        }
    }

    static func listing(_ cve: String) -> KnownExploitedVulnerability {
        KnownExploitedVulnerability(cve: cve, vendor: "Phoenix Contact", product: "ProConOS", name: "test listing",
                                    dateAdded: "2026-12-01", dueDate: "2026-12-22", requiredAction: "Apply mitigations.", ransomware: "Unknown")
    }

    @Test("a CVE newly listed in CISA's KEV catalogue alerts the advisories naming it, once; the first catalogue loaded alerts nobody", arguments: Backend.allCases)
    func knownExploitedListing(backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await backend.withStore(in: folder) { store, _ in
            // An old advisory (history: its import alerts nobody) that a plant's KEV and vendor watches concern.
            _ = try await LocalImporter().run(paths: [try SharedData.url("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json").path], into: store)
            let plant = try #require(try await store.organisation(named: "Plant", create: true))
            let quiet = try #require(try await store.organisation(named: "Quiet", create: true))
            _ = try await store.addWatch(.init(kind: "kev", value: ""), organisationID: plant.id)
            _ = try await store.addWatch(.init(kind: "vendor", value: "Siemens"), organisationID: quiet.id)
            let creator = AlertCreator(store: store)
            #expect(try await creator.processPending().alertsCreated == 0)

            // The first load of the catalogue already lists the CVE: history, no alert.
            _ = try await store.replaceKnownExploited([Self.listing("CVE-2022-31801"), Self.listing("CVE-2000-0001")], catalogVersion: "1")
            #expect(try await creator.processPending().alertsCreated == 0)
            // Removed, then listed again by a later catalogue: that is news.
            _ = try await store.replaceKnownExploited([Self.listing("CVE-2000-0001")], catalogVersion: "2")
            _ = try await store.replaceKnownExploited([Self.listing("CVE-2000-0001"), Self.listing("CVE-2022-31801")], catalogVersion: "3")
            let listed = try await creator.processPending()
            #expect(listed.alertsCreated == 1)
            let alert = try #require(try await store.alerts(organisationID: plant.id, limit: 5).first)
            #expect(alert.draft.advisoryID == "ICSA-22-172-04")
            #expect(alert.draft.changes == ["CVE-2022-31801 added to CISA's Known Exploited Vulnerabilities catalogue"])
            #expect(alert.draft.matches.first?.reason == "has CVE-2022-31801 in CISA's Known Exploited Vulnerabilities catalogue")
            #expect(try await store.alerts(organisationID: quiet.id, limit: 5).isEmpty)
            // The same catalogue again changes nothing and alerts nobody.
            _ = try await store.replaceKnownExploited([Self.listing("CVE-2000-0001"), Self.listing("CVE-2022-31801")], catalogVersion: "3")
            #expect(try await creator.processPending().alertsCreated == 0)
            #expect(try await store.alerts(organisationID: plant.id, limit: 5).count == 1)
        }
    }
}
