import Alerts
import AsyncHTTPClient
import CSAF
import Foundation
import Matching
import Sources
import NIOPosix
import Storage
import Store
import Testing
import VigilTestSupport

/// One vulnerability published twice, by the vendor and a week later by CISA: the people alerted by the first hear of
/// the second only when it brings something new for them; revisions say what they change for an organisation's assets.
@Suite(.serialized) struct RepublicationAlertTests {
    /// `YYYY-MM-DD`, `days` before now: alerts are made for advisories published lately, not for history.
    static func day(_ days: Int) -> String {
        String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-Double(days) * 86_400)).prefix(10))
    }

    static func ingest(_ store: any VigilStore, _ advisory: CraftedAdvisory) async throws {
        let bytes = advisory.bytes
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes) else { throw CocoaError(.coderReadCorrupt) }
        let name = "\(advisory.id.lowercased())-v\(advisory.version).json"
        let (integrity, _) = IntegrityChecker.check(bytes: bytes, fileName: name, sidecars: .init())
        _ = try await store.ingest(IncomingDocument(origin: "crafted/" + name, bytes: bytes, parsed: parsed, integrity: integrity))
    }

    /// The plant runs two Example devices and watches the vendor; the utility runs the same devices and watches only
    /// its inventory.
    static func organisations(_ store: any VigilStore) async throws -> (plant: Organisation, utility: Organisation) {
        let plant = try #require(try await store.organisation(named: "Plant", create: true))
        let utility = try #require(try await store.organisation(named: "Utility", create: true))
        let assets = [AssetDraft(externalID: "PLC-7", vendor: "Example", product: "Example PLC", version: "1.5"),
                      AssetDraft(externalID: "HMI-9", vendor: "Example", product: "Example HMI", version: "3.0")]
        for organisation in [plant, utility] {
            _ = try await store.importAssets(assets, organisationID: organisation.id, replace: false)
        }
        _ = try await store.addWatch(.init(kind: "vendor", value: "Example"), organisationID: plant.id)
        _ = try await store.addWatch(.init(kind: "assets", value: ""), organisationID: utility.id)
        return (plant, utility)
    }

    static let vendorAdvisory = CraftedAdvisory(
        id: "EXSA-123456", publisher: .example, products: [.init("Example PLC", "< 2.0")], cves: ["CVE-2026-1001"],
        released: day(8), cvss: 7.5)

    static func republication(_ id: String, naming vendorID: String, products: [CraftedAdvisory.Product], cvss: Double = 7.5) -> CraftedAdvisory {
        CraftedAdvisory(id: id, vendor: "Example Corp.", products: products, cves: ["CVE-2026-1001"],
                        references: ["https://example.com/advisories/\(vendorID.lowercased()).json"], released: day(1), cvss: cvss)
    }

    @Test("a week-later republication adds a note to the alert, not a second email; one adding a device the plant runs alerts as an update",
          arguments: Backend.allCases)
    func republications(backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let server = try AiosmtpdServer(mode: .plain, auth: .none)
        defer { server.stop() }
        try await backend.withStore(in: folder) { store, _ in
            let (plant, utility) = try await Self.organisations(store)
            _ = try await store.addChannel(.init(name: "ops", kind: .email, target: "ops@example.org"), organisationID: plant.id)
            let smtp = try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)?starttls=never", mailFrom: "Vigil <alerts@vigil.example>")
            func dispatch() async throws -> AlertDispatcher.Summary {
                try await DeliveryTests.withClient { client in
                    try await AlertDispatcher(store: store, configuration: .init(smtp: smtp, baseURL: "https://vigil.example/"),
                                              httpClient: client, eventLoopGroup: MultiThreadedEventLoopGroup.singleton).runOnce()
                }
            }

            // The vendor's advisory: both organisations alerted (the plant by its vendor watch, the utility by PLC-7).
            try await Self.ingest(store, Self.vendorAdvisory)
            let first = try await AlertCreator(store: store).processPending()
            #expect(first.alertsCreated == 2)
            #expect(try await dispatch().delivered == 1)
            #expect(try server.received().count == 1)
            let original = try #require(try await store.alerts(organisationID: plant.id, limit: 10).first)
            #expect(original.draft.advisoryID == "EXSA-123456" && original.isNew)

            // CISA's republication a week later, the same device: a note on each organisation's alert, no alert, no mail.
            let cisa = Self.republication("ICSA-26-100-01", naming: "EXSA-123456", products: [.init("Example PLC", "< 2.0")])
            try await Self.ingest(store, cisa)
            #expect(try await store.related(advisoryID: "ICSA-26-100-01").map(\.id) == ["EXSA-123456"])
            let second = try await AlertCreator(store: store).processPending()
            #expect(second.alertsCreated == 0 && second.republicationsNoted == 2)
            for organisation in [plant, utility] {
                let alerts = try await store.alerts(organisationID: organisation.id, limit: 10)
                #expect(alerts.map(\.draft.advisoryID) == ["EXSA-123456"])
                let events = try await store.alertEvents(alertID: try #require(alerts.first).id, organisationID: organisation.id)
                #expect(events.map(\.field) == ["note"])
                #expect(events.first?.newValue == "republished by CISA as ICSA-26-100-01 (7 days later)")
                #expect(events.first?.actor == "Vigil")
            }
            #expect(try await dispatch().delivered == 0)
            #expect(try server.received().count == 1)

            // Another vendor advisory, and CISA's republication of it that also lists the HMI both run.
            let secondVendor = CraftedAdvisory(id: "EXSA-223344", publisher: .example, products: [.init("Example PLC", "< 2.0")],
                                               cves: ["CVE-2026-2002"], released: Self.day(8))
            try await Self.ingest(store, secondVendor)
            #expect(try await AlertCreator(store: store).processPending().alertsCreated == 2)
            #expect(try await dispatch().delivered == 1)
            var wider = Self.republication("ICSA-26-100-02", naming: "EXSA-223344",
                                           products: [.init("Example PLC", "< 2.0"), .init("Example HMI", "< 4.0")])
            wider.cves = ["CVE-2026-2002"]
            try await Self.ingest(store, wider)
            let third = try await AlertCreator(store: store).processPending()
            #expect(third.alertsCreated == 2 && third.republicationsNoted == 0)
            let update = try #require(try await store.alerts(organisationID: plant.id, limit: 10).first)
            #expect(update.draft.advisoryID == "ICSA-26-100-02" && !update.isNew)
            #expect(update.draft.changes == ["republished by CISA as ICSA-26-100-02 (7 days later)",
                                             "affects 1 of your assets the original did not (HMI-9)"])
            #expect(try await dispatch().delivered == 1)
            let mails = try server.received()
            #expect(mails.count == 3)
            let last = try #require(mails.last)
            #expect(last.subject.contains("ICSA-26-100-02"))
            let text = last.parts[0].content.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(text.contains("updated advisory"))
            #expect(text.contains("What changed: republished by CISA as ICSA-26-100-02 (7 days later); affects 1 of your assets the original did not (HMI-9)"))
            // A republication has no earlier revision of its own to compare.
            #expect(!text.contains("/advisories/ICSA-26-100-02/changes"))

            // A republication with a higher severity is news for everyone alerted to the original.
            let thirdVendor = CraftedAdvisory(id: "EXSA-334455", publisher: .example, products: [.init("Example PLC", "< 2.0")],
                                              cves: ["CVE-2026-3003"], released: Self.day(8), cvss: 6.1)
            try await Self.ingest(store, thirdVendor)
            _ = try await AlertCreator(store: store).processPending()
            var graver = Self.republication("ICSA-26-100-03", naming: "EXSA-334455", products: [.init("Example PLC", "< 2.0")], cvss: 9.8)
            graver.cves = ["CVE-2026-3003"]
            try await Self.ingest(store, graver)
            #expect(try await AlertCreator(store: store).processPending().alertsCreated == 2)
            let graverAlert = try #require(try await store.alerts(organisationID: utility.id, limit: 10).first)
            #expect(graverAlert.draft.changes == ["republished by CISA as ICSA-26-100-03 (7 days later)",
                                                  "severity raised to critical from medium (CVSS 9.8)"])
        }
    }

    @Test("a revision says what it changes for the assets; one touching none alerts nobody whose only watch is the inventory",
          arguments: Backend.allCases)
    func revisionsAgainstAssets(backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await backend.withStore(in: folder) { store, _ in
            let (plant, utility) = try await Self.organisations(store)
            try await Self.ingest(store, Self.vendorAdvisory)
            #expect(try await AlertCreator(store: store).processPending().alertsCreated == 2)

            // Version 2 adds a gateway neither runs: the plant watches the vendor and hears of it, with no change for
            // its assets; the utility's inventory is untouched, so it hears nothing.
            var gateway = Self.vendorAdvisory
            gateway.version = 2
            gateway.products.append(.init("Example Gateway", "< 5.0"))
            try await Self.ingest(store, gateway)
            let second = try await AlertCreator(store: store).processPending()
            #expect(second.alertsCreated == 1 && second.unchangedForAssets == 1)
            let plantAlert = try #require(try await store.alerts(organisationID: plant.id, limit: 10).first)
            #expect(plantAlert.draft.advisoryVersion == "2")
            #expect(plantAlert.draft.changes == ["1 product added: Example Example Gateway < 5.0", "no change for your assets (1 still affected)"])
            #expect(try await store.alerts(organisationID: utility.id, limit: 10).count == 1)

            // Version 3 adds the HMI both run: newly affected, for both.
            var hmi = gateway
            hmi.version = 3
            hmi.products.append(.init("Example HMI", "< 4.0"))
            try await Self.ingest(store, hmi)
            #expect(try await AlertCreator(store: store).processPending().alertsCreated == 2)
            let utilityAlert = try #require(try await store.alerts(organisationID: utility.id, limit: 10).first)
            #expect(utilityAlert.draft.advisoryVersion == "3")
            #expect(utilityAlert.draft.changes.last == "your assets: 1 newly affected (HMI-9)")

            // Version 4 marks the PLC's range fixed: newly fixed, for both.
            var fixed = hmi
            fixed.version = 4
            fixed.products[0] = .init("Example PLC", "< 2.0", fixed: true)
            try await Self.ingest(store, fixed)
            #expect(try await AlertCreator(store: store).processPending().alertsCreated == 2)
            let fixedAlert = try #require(try await store.alerts(organisationID: utility.id, limit: 10).first)
            #expect(fixedAlert.draft.changes.last == "your assets: 1 now fixed (PLC-7)")
        }
    }
}
