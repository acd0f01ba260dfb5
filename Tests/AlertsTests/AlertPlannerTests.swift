import Alerts
import CSAF
import Foundation
import Testing
import VigilTestSupport

/// Which revisions alert whom, on real advisories: ICSA-22-172-04 (Phoenix Contact, CVSS 9.8, Multiple Sectors) and
/// isduba's interim and final revisions.
struct AlertPlannerTests {
    static func advisory(_ relative: String) throws -> Advisory {
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(try SharedData.bytes(relative)) else {
            throw NotCSAF()
        }
        return parsed.advisory
    }

    struct NotCSAF: Error {}

    static let phoenix = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"
    let planner = AlertPlanner()

    @Test("a new advisory alerts the organisations whose watches it matches, naming each watch and why")
    func newAdvisoryAlerts() throws {
        let advisory = try Self.advisory(Self.phoenix)
        let watches = [
            Watch(id: 1, rule: .vendor("PHOENIX CONTACT GmbH & Co. KG")),
            Watch(id: 2, rule: .minimumCVSS(9.0)),
            Watch(id: 3, rule: .vendor("Siemens")),
            Watch(id: 4, rule: .sector("multiple sectors")),
            Watch(id: 5, rule: .product("multiprog")),
            Watch(id: 6, rule: .keyword("CVE-2022-31801")),
            Watch(id: 7, rule: .knownExploited),
            Watch(id: 8, rule: .assets),
            Watch(id: 9, rule: .publisher("CISA")),
        ]
        let plan = try #require(planner.plan(organisationID: 7, previous: nil, current: advisory, watches: watches,
                                             context: AdvisoryContext()))
        #expect(plan.changes == ["new advisory"])
        #expect(plan.matches.map(\.watchID) == [1, 2, 4, 5, 6, 9])
        #expect(plan.matches.first?.reason == "names the vendor Phoenix Contact")
        #expect(plan.matches[1].reason == "scores CVSS 9.8 (at least 9.0)")
        #expect(plan.idempotencyKey == "7|ICSA-22-172-04|\(advisory.version)")
        // KEV and asset watches need the context.
        let context = AdvisoryContext(knownExploitedCVEs: ["CVE-2022-31801"], exposedAssets: 3)
        let withContext = try #require(planner.plan(organisationID: 7, previous: nil, current: advisory,
                                                    watches: [watches[6], watches[7]], context: context))
        #expect(withContext.matches.map(\.reason) == [
            "has CVE-2022-31801 in CISA's Known Exploited Vulnerabilities catalogue", "affects 3 of your assets",
        ])
        #expect(planner.plan(organisationID: 7, previous: nil, current: advisory, watches: [watches[2]], context: context) == nil)
    }

    @Test("a watch's minimum severity holds back advisories below it")
    func minimumSeverity() throws {
        var advisory = try Self.advisory(Self.phoenix)
        let watch = Watch(id: 1, rule: .vendor("Phoenix Contact"), minimumSeverity: .critical)
        #expect(planner.plan(organisationID: 1, previous: nil, current: advisory, watches: [watch], context: .init()) != nil)
        advisory.highestScore?.score = 7.5
        advisory.highestScore?.severity = .high
        #expect(planner.plan(organisationID: 1, previous: nil, current: advisory, watches: [watch], context: .init()) == nil)
    }

    @Test("cosmetic revisions alert nobody; new products, CVEs, a higher score, a fix or final status do")
    func materialChanges() throws {
        let original = try Self.advisory(Self.phoenix)
        let watches = [Watch(id: 1, rule: .vendor("Phoenix Contact"))]
        var cosmetic = original
        cosmetic.version = "2"
        cosmetic.title += " (typo fixed)"
        cosmetic.notes = []
        cosmetic.acknowledgments = []
        #expect(AdvisoryChange.materialChanges(from: original, to: cosmetic).isEmpty)
        #expect(planner.plan(organisationID: 1, previous: original, current: cosmetic, watches: watches, context: .init()) == nil)

        var product = original
        product.products.append(AffectedProduct(productID: "X-1", vendor: "Phoenix Contact", product: "PLCnext Engineer",
                                                version: "< 2022.6", fullName: "PLCnext Engineer < 2022.6", status: .knownAffected))
        #expect(AdvisoryChange.materialChanges(from: original, to: product) == ["1 product added: PLCnext Engineer < 2022.6"])

        // A range written another way that covers the same versions is no news; one that covers others is.
        let affected = try #require(original.products.firstIndex { $0.status == .knownAffected })
        var ranged = original
        ranged.products[affected].version = "< V2.14.1"
        let old = ranged.products[affected]
        for spelling in ["<V2.14.1", "vers:generic/<2.14.1", "< v2.14.1"] {
            var respelled = ranged
            respelled.products[affected].version = spelling
            #expect(AdvisoryChange.materialChanges(from: ranged, to: respelled).isEmpty, "< V2.14.1 → \(spelling)")
            #expect(planner.plan(organisationID: 1, previous: ranged, current: respelled, watches: watches, context: .init()) == nil)
        }
        var widened = ranged
        widened.products[affected].version = "< V3.0"
        #expect(AdvisoryChange.materialChanges(from: ranged, to: widened)
                == ["affected versions changed: \(old.vendor) \(old.product) “< V2.14.1” → “< V3.0”"])
        var fixed = original
        fixed.products[affected].status = .fixed
        let fixedChanges = AdvisoryChange.materialChanges(from: original, to: fixed)
        #expect(fixedChanges.count == 1)
        #expect(fixedChanges.first?.hasPrefix("status changed: ") == true)
        #expect(fixedChanges.first?.hasSuffix("known affected → fixed") == true, "\(fixedChanges)")

        var cve = original
        cve.vulnerabilities.append(cve.vulnerabilities[0])
        cve.vulnerabilities[1].cve = "CVE-2099-0001"
        #expect(AdvisoryChange.materialChanges(from: original, to: cve) == ["new CVE CVE-2099-0001"])

        var lowered = original
        lowered.highestScore?.score = 7.0
        #expect(AdvisoryChange.materialChanges(from: original, to: lowered).isEmpty, "a lower score is not an alert")
        #expect(AdvisoryChange.materialChanges(from: lowered, to: original) == ["CVSS raised to 9.8 from 7.0"])

        var fix = original
        fix.remediations.append(AdvisoryRemediation(category: "vendor_fix", details: "Update to 2.0", url: nil, date: nil,
                                                    productIDs: [], products: [], cves: []))
        #expect(AdvisoryChange.materialChanges(from: original, to: fix) == ["a fix is now available"])
        let plan = try #require(planner.plan(organisationID: 1, previous: original, current: fix, watches: watches, context: .init()))
        #expect(plan.changes == ["a fix is now available"])
    }

    @Test("isduba's revision 3 going from interim to final is material: status changed to final")
    func interimToFinal() throws {
        let interim = try Self.advisory("revisions-isduba/3-interim/avendor-advisory-0004.json")
        let final = try Self.advisory("revisions-isduba/3-final/avendor-advisory-0004.json")
        #expect(AdvisoryChange.materialChanges(from: interim, to: final) == ["status changed to final"])
    }
}
