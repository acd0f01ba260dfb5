import Alerts
import CSAF
import Foundation
import Matching
import Storage
import Store
import Testing
import VigilTestSupport

/// A vendor's VEX document (CSAF's `csaf_vex` profile) says a device is not affected by CVEs another publisher's
/// advisory lists it as affected by: the exposure is closed, with the VEX document and its justification in the reason,
/// and the alert log of that advisory says so; a VEX covering some of the CVEs narrows the reason without closing.
@Suite(.serialized) struct VEXClosureTests {
    static let cisa = CraftedAdvisory(
        id: "ICSA-26-200-01", vendor: "Example", products: [.init("Example PLC", "< 2.0"), .init("Example HMI", "< 4.0")],
        cves: ["CVE-2026-3001", "CVE-2026-3002"], released: RepublicationAlertTests.day(2))

    static func vex(_ id: String, cves: [String], because: String = "vulnerable_code_not_present") -> CraftedAdvisory {
        var vex = CraftedAdvisory(id: id, publisher: .example, vendor: "Example", products: [.init("Example PLC", "<= 1.9")],
                                  cves: cves, released: RepublicationAlertTests.day(1), title: "Example PLC: not affected")
        vex.notAffectedBecause = because
        return vex
    }

    static func exposure(_ store: any VigilStore, _ organisation: Organisation, asset: String, advisory: String) async throws -> Exposure? {
        try await store.exposures(organisationID: organisation.id, filter: ExposureFilter(advisoryID: advisory, includeNotAffected: true))
            .first { $0.asset.externalID == asset }?.exposure
    }

    @Test("a VEX document closes an exposure another advisory opened, says why in the alert log, and is read by advisories after it",
          arguments: Backend.allCases)
    func closes(backend: Backend) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await backend.withStore(in: folder) { store, _ in
            let (plant, utility) = try await RepublicationAlertTests.organisations(store)
            try await RepublicationAlertTests.ingest(store, Self.cisa)
            #expect(try await AlertCreator(store: store).processPending().alertsCreated == 2)
            for organisation in [plant, utility] {
                #expect(try await Self.exposure(store, organisation, asset: "PLC-7", advisory: Self.cisa.id)?.status == .affected)
            }

            // The vendor's VEX for one of the two CVEs: still affected by the other; the reason says which is which.
            try await RepublicationAlertTests.ingest(store, Self.vex("EXVEX-2026-0001", cves: ["CVE-2026-3001"]))
            let partial = try #require(try await Self.exposure(store, plant, asset: "PLC-7", advisory: Self.cisa.id))
            #expect(partial.status == .affected)
            #expect(partial.reason.hasSuffix("; VEX: EXVEX-2026-0001 (VEX by Example ProductCERT) lists Example Example PLC <= 1.9 (CSAFPID-1) as known not affected by CVE-2026-3001: vulnerable code not present; still open for CVE-2026-3002"), "\(partial.reason)")
            #expect(try await AlertCreator(store: store).processPending().vexClosuresNoted == 0)

            // A VEX for both: closed, with the justification; the HMI, which no VEX names, stays affected.
            try await RepublicationAlertTests.ingest(store, Self.vex("EXVEX-2026-0002", cves: ["CVE-2026-3001", "CVE-2026-3002"]))
            for organisation in [plant, utility] {
                let closed = try #require(try await Self.exposure(store, organisation, asset: "PLC-7", advisory: Self.cisa.id))
                #expect(closed.status == .notAffected)
                // Each CVE with the first VEX document that clears it.
                #expect(closed.reason.hasSuffix("; closed by VEX: EXVEX-2026-0001 (VEX by Example ProductCERT) lists Example Example PLC <= 1.9 (CSAFPID-1) as known not affected by CVE-2026-3001: vulnerable code not present; EXVEX-2026-0002 (VEX by Example ProductCERT) lists Example Example PLC <= 1.9 (CSAFPID-1) as known not affected by CVE-2026-3002: vulnerable code not present"), "\(closed.reason)")
                #expect(try await Self.exposure(store, organisation, asset: "HMI-9", advisory: Self.cisa.id)?.status == .affected)
            }
            let pass = try await AlertCreator(store: store).processPending()
            #expect(pass.vexClosuresNoted == 2, "one note per organisation's alert")
            for organisation in [plant, utility] {
                let alert = try #require(try await store.alerts(organisationID: organisation.id, limit: 10).first { $0.draft.advisoryID == Self.cisa.id })
                let notes = try await store.alertEvents(alertID: alert.id, organisationID: organisation.id).filter { $0.field == "note" }
                #expect(notes.count == 1, "\(notes.map(\.newValue))")
                #expect(notes.first?.newValue?.hasPrefix("exposure closed by VEX for 1 asset (PLC-7): EXVEX-2026-0001 (VEX by Example ProductCERT) lists Example Example PLC <= 1.9 (CSAFPID-1) as known not affected by CVE-2026-3001: vulnerable code not present; EXVEX-2026-0002") == true,
                        "\(notes.first?.newValue ?? "")")
                #expect(notes.first?.actor == "Vigil")
            }
            // Processing again notes nothing twice.
            try await RepublicationAlertTests.ingest(store, { var v = Self.vex("EXVEX-2026-0002", cves: ["CVE-2026-3001", "CVE-2026-3002"]); v.version = 2; return v }())
            #expect(try await AlertCreator(store: store).processPending().vexClosuresNoted == 0)

            // An advisory arriving after the VEX is read against it.
            let later = CraftedAdvisory(id: "ICSA-26-210-01", vendor: "Example", products: [.init("Example PLC", "< 2.0")],
                                        cves: ["CVE-2026-3002"], released: RepublicationAlertTests.day(0))
            try await RepublicationAlertTests.ingest(store, later)
            #expect(try await Self.exposure(store, plant, asset: "PLC-7", advisory: later.id)?.status == .notAffected)
            _ = try await AlertCreator(store: store).processPending()
            // The utility watches only its inventory, whose one match the VEX document closed: no alert. The plant
            // watches the vendor: alerted, as for any advisory of it.
            #expect(!(try await store.alerts(organisationID: utility.id, limit: 20)).contains { $0.draft.advisoryID == later.id })
            #expect(try await store.alerts(organisationID: plant.id, limit: 20).contains { $0.draft.advisoryID == later.id })

            // The whole inventory recomputed gives the same.
            _ = try await store.recomputeExposures()
            #expect(try await Self.exposure(store, plant, asset: "PLC-7", advisory: Self.cisa.id)?.status == .notAffected)
            #expect(try await Self.exposure(store, utility, asset: "PLC-7", advisory: later.id)?.status == .notAffected)
            #expect(try await Self.exposure(store, plant, asset: "HMI-9", advisory: Self.cisa.id)?.status == .affected)
            // The VEX documents' own exposures are "not affected", as they say.
            #expect(try await Self.exposure(store, plant, asset: "PLC-7", advisory: "EXVEX-2026-0002")?.status == .notAffected)
        }
    }

    @Test("the statements of a real VEX document (Stackable's), with each product's justification")
    func stackableStatements() throws {
        let url = try SharedData.url("providers/stackable/csaf/v2/advisories/2026/cve-2026-42778.json")
        guard case .csaf(let parsed) = try CSAFDocumentReader.read([UInt8](try Data(contentsOf: url))) else {
            Issue.record("not read as CSAF")
            return
        }
        let statements = VEXStatement.statements(in: parsed.document, advisoryID: parsed.advisory.id)
        #expect(statements.count == 1)
        let statement = try #require(statements.first)
        #expect(statement.cve == "CVE-2026-42778")
        #expect(statement.publisher == "Stackable GmbH")
        #expect(statement.products.count == 14)
        #expect(Set(statement.products.values) == ["vulnerable code not in execute path"])
        // A security advisory says nothing for products it does not call affected.
        guard case .csaf(let advisory) = try CSAFDocumentReader.read(Self.cisa.bytes) else { return }
        #expect(VEXStatement.statements(in: advisory.document, advisoryID: Self.cisa.id).isEmpty)
    }

    @Test("the overlay: closes only when every CVE is covered, keeps the weaker confidence, leaves advisories without CVEs alone")
    func overlay() {
        let statement = VEXStatement(advisoryID: "VEX-1", publisher: "Example", cve: "CVE-1", products: ["P1": "component not present"])
        let vexExposure = Exposure(assetID: 1, advisoryID: "VEX-1", status: .notAffected, confidence: .medium, reason: "", productIDs: ["P1"])
        let open = Exposure(assetID: 1, advisoryID: "A", status: .affected, confidence: .high, reason: "matched", productIDs: ["X"])
        let other = Exposure(assetID: 2, advisoryID: "A", status: .affected, confidence: .high, reason: "matched", productIDs: ["X"])
        let noCVE = Exposure(assetID: 1, advisoryID: "B", status: .affected, confidence: .high, reason: "matched", productIDs: ["X"])
        let (result, changes) = VEXOverlay.apply([open, other, noCVE, vexExposure], context: [vexExposure], statements: [statement],
                                                 cves: ["A": ["CVE-1"], "VEX-1": ["CVE-1"]])
        #expect(result[0].status == .notAffected && result[0].confidence == .medium)
        #expect(result[0].reason == "matched; closed by VEX: VEX-1 (VEX by Example) lists P1 as known not affected by CVE-1: component not present")
        #expect(result[1] == other, "another asset is not covered")
        #expect(result[2] == noCVE, "an advisory without CVEs is left alone")
        #expect(result[3] == vexExposure)
        #expect(changes.count == 1 && changes[0].before == .affected && changes[0].after == .notAffected)
        // A VEX document's product that the asset does not match covers nothing.
        let elsewhere = Exposure(assetID: 1, advisoryID: "VEX-1", status: .notAffected, confidence: .high, reason: "", productIDs: ["P9"])
        #expect(VEXOverlay.apply([open], context: [elsewhere], statements: [statement], cves: ["A": ["CVE-1"]]).changes.isEmpty)
        // Not affected through a fixed range is no VEX statement: only known_not_affected products count.
        let fixed = Exposure(assetID: 1, advisoryID: "VEX-1", status: .fixed, confidence: .high, reason: "", productIDs: ["P1"])
        #expect(VEXOverlay.apply([open], context: [fixed], statements: [statement], cves: ["A": ["CVE-1"]]).changes.isEmpty)
    }
}
