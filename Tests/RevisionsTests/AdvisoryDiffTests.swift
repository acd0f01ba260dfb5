import CSAF
import Foundation
import Revisions
import Testing
import VigilTestSupport

@Suite struct AdvisoryDiffTests {
    typealias Fixture = AdvisoryDiffFixture

    // MARK: - The ISDuBA revisions (../shared/data/revisions-isduba)

    @Test func isdubaDraftToInterim() throws {
        let diff = AdvisoryDiff.between(try Fixture.isduba("2"), try Fixture.isduba("3-interim"))
        #expect(diff.advisory == "Avendor-advisory-0004")
        #expect(diff.from == "2")
        #expect(diff.to == "3")
        #expect(diff.tracking.status == .init(old: "draft", new: "interim"))
        #expect(diff.tracking.version == .init(old: "2", new: "3"))
        let current = try #require(diff.tracking.currentReleaseDate)
        #expect(current.new?.timeIntervalSince(try #require(current.old)) == 1)
        #expect(diff.tracking.initialReleaseDate == nil)
        #expect(diff.tracking.title == nil && diff.tracking.tlp == nil && diff.tracking.highestScore == nil)
        #expect(diff.tracking.riskSummary == nil)
        #expect(diff.tracking.revisionsAdded.map(\.number) == ["3"])
        #expect(diff.tracking.revisionsAdded.map(\.summary) == ["Final version?"])

        // Product 1.1 gained a package URL; nothing else about the five products changed.
        #expect(diff.products.added.isEmpty && diff.products.removed.isEmpty)
        #expect(diff.products.changed == [AdvisoryDiff.ProductChange(
            product: .init(name: "AVendor product_1 1.1", vendor: "AVendor", product: "product_1", version: "1.1",
                           status: .underInvestigation),
            purl: .init(old: nil, new: "pkg:npm/acme/CSAFPID_0001"))])
        #expect(diff.vulnerabilities.isEmpty)
        #expect(diff.remediations.isEmpty)
        #expect(diff.notes.isEmpty)
        #expect(diff.references.isEmpty)
        #expect(diff.summary == [
            "status draft → interim",
            "version 2 → 3",
            "revision 3 added: Final version?",
            "product identifiers (CPE, package URL, model numbers) changed for AVendor product_1 1.1",
        ])
    }

    @Test func isdubaInterimToFinal() throws {
        let diff = AdvisoryDiff.between(try Fixture.isduba("3-interim"), try Fixture.isduba("3-final"))
        #expect(diff.from == "3" && diff.to == "3")
        #expect(diff.tracking == .init(status: .init(old: "interim", new: "final")))
        #expect(diff.products.isEmpty && diff.vulnerabilities.isEmpty && diff.remediations.isEmpty)
        #expect(diff.references.isEmpty)
        // The first summary note is the risk summary in both; the second, with the same title, is new.
        #expect(diff.notes == [AdvisoryDiff.NoteChange(
            category: "summary", title: "Test document summary",
            change: .init(kind: .added, text: "Test document with two notes that share the same title. Don't use title as key for #each template because multiple notes can have the same title.")),
        ])
        #expect(diff.summary == ["status interim → final", "note \"Test document summary\" added"])
    }

    @Test func isdubaDraftToFinalAddsBothSteps() throws {
        let diff = AdvisoryDiff.between(try Fixture.isduba("2"), try Fixture.isduba("3-final"))
        #expect(diff.tracking.status == .init(old: "draft", new: "final"))
        #expect(diff.tracking.version == .init(old: "2", new: "3"))
        #expect(diff.products.changed.map(\.product.name) == ["AVendor product_1 1.1"])
        #expect(diff.notes.map(\.change.kind) == [.added])
        // Backwards, the same changes the other way round.
        let back = AdvisoryDiff.between(try Fixture.isduba("3-final"), try Fixture.isduba("2"))
        #expect(back.tracking.status == .init(old: "final", new: "draft"))
        #expect(back.tracking.revisionsAdded.isEmpty)
        #expect(back.products.changed.first?.purl == .init(old: "pkg:npm/acme/CSAFPID_0001", new: nil))
        #expect(back.notes.map(\.change.kind) == [.removed])
    }

    @Test func aRevisionComparedWithItselfIsEmpty() throws {
        for revision in ["2", "3-interim", "3-final"] {
            let advisory = try Fixture.isduba(revision)
            let diff = AdvisoryDiff.between(advisory, advisory)
            #expect(diff.isEmpty)
            #expect(diff.summary.isEmpty)
        }
    }

    // MARK: - Products

    @Test func productsAddedAndRemoved() throws {
        var old = try Fixture.plain(), new = old
        old.products = [Fixture.product("1", "SIMATIC S7-1500", "< V2.9"), Fixture.product("2", "SCALANCE X200", "All versions")]
        new.products = [Fixture.product("1", "SIMATIC S7-1500", "< V2.9"), Fixture.product("2", "RUGGEDCOM ROX", "< V2.16"),
                        Fixture.product("3", "SIPROTEC 5", "< V9.50", status: .fixed)]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.products.added.map(\.name) == ["RUGGEDCOM ROX < V2.16", "SIPROTEC 5 < V9.50"])
        #expect(diff.products.added.map(\.status) == [.knownAffected, .fixed])
        #expect(diff.products.removed.map(\.name) == ["SCALANCE X200 All versions"])
        #expect(diff.products.changed.isEmpty)
        #expect(diff.summary == ["2 products added: RUGGEDCOM ROX < V2.16 and SIPROTEC 5 < V9.50",
                                 "1 product removed: SCALANCE X200 All versions"])
    }

    @Test func statusChanged() throws {
        var old = try Fixture.plain(), new = old
        old.products = [Fixture.product("1", "SIMATIC S7-1500", "V2.9"), Fixture.product("2", "SIMATIC S7-1200", "V4.5")]
        new.products = [Fixture.product("1", "SIMATIC S7-1500", "V2.9", status: .fixed),
                        Fixture.product("2", "SIMATIC S7-1200", "V4.5", status: .knownAffected)]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.products.changed.count == 1)
        #expect(diff.products.changed.first?.status == .init(old: .knownAffected, new: .fixed))
        #expect(diff.products.changed.first?.range == nil)
        #expect(diff.summary == ["SIMATIC S7-1500 V2.9: known affected → fixed"])
    }

    @Test func manyStatusChangesShareOneSentence() throws {
        var old = try Fixture.plain(), new = old
        old.products = (1...6).map { Fixture.product("\($0)", "SCALANCE XM-400 model \($0)", "< V6.4") }
        new.products = (1...6).map { Fixture.product("\($0)", "SCALANCE XM-400 model \($0)", "< V6.4", status: .fixed) }
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.summary == [
            "known affected → fixed for 6 products: SCALANCE XM-400 model 1 < V6.4, SCALANCE XM-400 model 2 < V6.4, "
                + "SCALANCE XM-400 model 3 < V6.4 and 3 more",
        ])
    }

    @Test func rangeChangedIsAChangeOfAffectedness() throws {
        var old = try Fixture.plain(), new = old
        old.products = [Fixture.product("1", "SIMATIC S7-1500", "< V2.14.1")]
        new.products = [Fixture.product("7", "SIMATIC S7-1500", "< V3.0")]
        let diff = AdvisoryDiff.between(old, new)
        let change = try #require(diff.products.changed.first)
        #expect(diff.products.changed.count == 1)
        #expect(diff.products.added.isEmpty && diff.products.removed.isEmpty)
        #expect(change.range == .init(kind: .changed, old: "< V2.14.1", new: "< V3.0", oldReading: "<2.14.1", newReading: "<3.0"))
        #expect(change.status == nil)
        #expect(diff.products.respelled.isEmpty)
        #expect(change.fullName == nil)
        #expect(diff.summary == ["version range of SIMATIC S7-1500 changed: < V2.14.1 → < V3.0"])
    }

    @Test(arguments: [
        ("< V2.14.1", "<V2.14.1"),
        ("< V2.14.1", "< v2.14.1"),
        ("< V2.14.1", "<  V2.14.1 "),
        ("vers:generic/<2.14.1", "< 2.14.1"),
        ("vers:all/<V2.14.1", "< V2.14.1"),
        (">=V1.0 <V2.14.1", "vers:generic/>=1.0|<2.14.1"),
        ("All versions", "vers:all/*"),
        ("see the vendor's page", "See  the vendor's page"),
    ])
    func rangeRespelledKeepsItsMeaning(old oldText: String, new newText: String) throws {
        var old = try Fixture.plain(), new = old
        old.products = [AffectedProduct(productID: "CSAFPID-0001", vendor: "Siemens", product: "SIMATIC S7-1500",
                                        version: oldText, fullName: "SIMATIC S7-1500", status: .knownAffected)]
        new.products = [AffectedProduct(productID: "CSAFPID-0009", vendor: "Siemens", product: "SIMATIC S7-1500",
                                        version: newText, fullName: "SIMATIC S7-1500", status: .knownAffected)]
        let diff = AdvisoryDiff.between(old, new)
        let change = try #require(diff.products.changed.first)
        #expect(change.range?.kind == .respelled)
        #expect(change.range?.old == oldText && change.range?.new == newText)
        #expect(change.status == nil)
        #expect(diff.products.added.isEmpty && diff.products.removed.isEmpty)
        let newName = "SIMATIC S7-1500 " + newText.split(separator: " ").joined(separator: " ")
        #expect(change.product.name == newName)
        #expect(diff.summary == ["version range respelled for \(newName), meaning unchanged"])
    }

    @Test(arguments: [
        ("< V2.14.1", "<= V2.14.1"),
        ("vers:generic/<2.14.1", "< 2.14.2"),
        ("All versions", "< V2.0"),
        ("see the vendor's page", "ask the vendor"),
        ("see the vendor's page", "< V2.0"),
    ])
    func rangeOfOtherMeaningIsAChange(old oldText: String, new newText: String) throws {
        var old = try Fixture.plain(), new = old
        old.products = [Fixture.product("1", "SIMATIC S7-1500", oldText)]
        new.products = [Fixture.product("1", "SIMATIC S7-1500", newText)]
        let change = try #require(AdvisoryDiff.between(old, new).products.changed.first)
        #expect(change.range?.kind == .changed)
    }

    @Test func renumberedProductIDsAreNoChange() throws {
        let products = [
            Fixture.Product(id: "CSAFPID-0001", name: "SIMATIC S7-1500", version: "< V2.9"),
            Fixture.Product(id: "CSAFPID-0002", name: "SIMATIC S7-1200", version: "< V4.5", status: "fixed"),
            Fixture.Product(id: "CSAFPID-0003", name: "SIMATIC S7-1200", version: "V4.5"),
        ]
        let renumbered = zip(products, ["CSAFPID-0103", "CSAFPID-0101", "CSAFPID-0102"]).map { product, id in
            var product = product
            product.id = id
            return product
        }
        let fix = Fixture.Remediation(details: "Update to V2.9 or later", productIDs: ["CSAFPID-0001"])
        let old = try Fixture.csaf(products: products, remediations: [fix])
        let new = try Fixture.csaf(products: renumbered.reversed(),
                                   remediations: [.init(details: "Update to V2.9 or later", productIDs: ["CSAFPID-0103"])])
        #expect(old.products.map(\.productID) != new.products.map(\.productID))
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.isEmpty)
        #expect(diff.summary.isEmpty)
    }

    @Test func duplicateProductsPairByIDBeforeOrder() throws {
        var old = try Fixture.plain(), new = old
        old.products = [Fixture.product("A", "SIMATIC S7-1500", "V2.9"), Fixture.product("B", "SIMATIC S7-1500", "V2.9", status: .fixed)]
        new.products = [Fixture.product("B", "SIMATIC S7-1500", "V2.9", status: .fixed), Fixture.product("A", "SIMATIC S7-1500", "V2.9")]
        #expect(AdvisoryDiff.between(old, new).isEmpty)
    }

    @Test func productOrderDoesNotChangeTheDiff() throws {
        var old = try Fixture.plain(), new = old
        old.products = [Fixture.product("1", "A", "< V1"), Fixture.product("2", "B", "< V2"), Fixture.product("3", "C", "< V3"),
                        Fixture.product("4", "D", "All versions")]
        new.products = [Fixture.product("1", "A", "<V1"), Fixture.product("2", "B", "< V2.1"), Fixture.product("3", "C", "< V3", status: .fixed),
                        Fixture.product("5", "E", "< V5")]
        let diff = AdvisoryDiff.between(old, new)
        var shuffledOld = old, shuffledNew = new
        shuffledOld.products.reverse()
        shuffledNew.products.swapAt(0, 3)
        #expect(AdvisoryDiff.between(shuffledOld, shuffledNew) == diff)
        #expect(diff.products.changed.map(\.product.product) == ["A", "B", "C"])
        #expect(diff.products.added.map(\.product) == ["E"])
        #expect(diff.products.removed.map(\.product) == ["D"])
    }

    // MARK: - Vulnerabilities

    @Test func cvesAddedAndRemoved() throws {
        var old = try Fixture.plain(), new = old
        old.vulnerabilities = [try Fixture.vulnerability("CVE-2024-0001", score: 5.3), try Fixture.vulnerability("CVE-2024-0002")]
        new.vulnerabilities = [try Fixture.vulnerability("CVE-2024-0001", score: 5.3), try Fixture.vulnerability("CVE-2024-1234", score: 9.8)]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.vulnerabilities.added.map(\.key) == ["CVE-2024-1234"])
        #expect(diff.vulnerabilities.removed.map(\.key) == ["CVE-2024-0002"])
        #expect(diff.vulnerabilities.changed.isEmpty)
        #expect(diff.summary == ["CVE-2024-1234 added (CVSS 9.8 CRITICAL)", "CVE-2024-0002 removed"])
    }

    @Test func scoreChangedWithItsVector() throws {
        var old = try Fixture.plain(), new = old
        let oldVector = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"
        let newVector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
        old.vulnerabilities = [try Fixture.vulnerability("CVE-2024-1234", score: 7.5, vector: oldVector, cwe: "CWE-79")]
        new.vulnerabilities = [try Fixture.vulnerability("CVE-2024-1234", score: 9.8, vector: newVector, cwe: "CWE-89")]
        let diff = AdvisoryDiff.between(old, new)
        let change = try #require(diff.vulnerabilities.changed.first)
        #expect(change.key == "CVE-2024-1234")
        #expect(change.score?.old?.score == 7.5 && change.score?.new?.score == 9.8)
        #expect(change.score?.old?.severity == .high && change.score?.new?.severity == .critical)
        #expect(change.score?.old?.vector == oldVector && change.score?.new?.vector == newVector)
        #expect(change.cwe == .init(old: "CWE-79", new: "CWE-89"))
        #expect(diff.summary == ["CVSS of CVE-2024-1234 7.5 HIGH → 9.8 CRITICAL", "CWE of CVE-2024-1234: CWE-79 → CWE-89"])

        // The same score with another vector is a change too.
        new.vulnerabilities = [try Fixture.vulnerability("CVE-2024-1234", score: 7.5, vector: newVector, cwe: "CWE-79")]
        #expect(AdvisoryDiff.between(old, new).summary == ["CVSS vector of CVE-2024-1234 changed: \(oldVector) → \(newVector)"])
    }

    @Test func vulnerabilitiesWithoutCVEAreMatchedByIDThenTitle() throws {
        var old = try Fixture.plain(), new = old
        old.vulnerabilities = [try Fixture.vulnerability(nil, score: 4.0, title: "Weak cipher", ids: ["SSA-1: 1"]),
                               try Fixture.vulnerability(nil, title: "Hard-coded key")]
        new.vulnerabilities = [try Fixture.vulnerability(nil, title: "Hard-coded key", summary: "A key is built in."),
                               try Fixture.vulnerability(nil, score: 4.0, title: "Weak ciphers", ids: ["SSA-1: 1"])]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.vulnerabilities.added.isEmpty && diff.vulnerabilities.removed.isEmpty)
        #expect(diff.vulnerabilities.changed.map(\.key) == ["Hard-coded key", "SSA-1: 1"])
        #expect(diff.vulnerabilities.changed.last?.title == .init(old: "Weak cipher", new: "Weak ciphers"))
        #expect(diff.vulnerabilities.changed.first?.summary == .init(kind: .added, text: "A key is built in."))
    }

    // MARK: - Remediations

    @Test func remediationAddedAndChangedNameTheProducts() throws {
        let products = [
            Fixture.Product(id: "P1", name: "SIMATIC S7-1500", version: "< V2.9"),
            Fixture.Product(id: "P2", name: "SIMATIC S7-1200", version: "< V4.5"),
        ]
        let old = try Fixture.csaf(products: products, remediations: [
            .init(details: "Update to V2.9 or later version", productIDs: ["P1"], url: "https://example.com/v2.9"),
        ])
        let new = try Fixture.csaf(products: products, remediations: [
            .init(details: "Update to V2.9.1 or later version", productIDs: ["P1"], url: "https://example.com/v2.9"),
            .init(category: "mitigation", details: "Block port 102", productIDs: ["P1", "P2"]),
        ])
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.remediations.added == [AdvisoryDiff.RemediationRef(
            category: "mitigation", details: "Block port 102", url: nil, date: nil,
            products: ["Example Vendor · SIMATIC S7-1200 < V4.5", "Example Vendor · SIMATIC S7-1500 < V2.9"],
            cves: ["CVE-2024-1234"])])
        #expect(diff.remediations.removed.isEmpty)
        let change = try #require(diff.remediations.changed.first)
        #expect(change.new.products == ["Example Vendor · SIMATIC S7-1500 < V2.9"])
        #expect(change.details?.deletedWords == ["V2.9"])
        #expect(change.details?.insertedWords == ["V2.9.1"])
        #expect(diff.summary == [
            "remediation (mitigation) added for Example Vendor · SIMATIC S7-1200 < V4.5 and Example Vendor · SIMATIC S7-1500 < V2.9",
            "remediation (vendor fix) for Example Vendor · SIMATIC S7-1500 < V2.9 changed: details",
        ])
    }

    @Test func remediationAppliedToOtherProductsIsAChangeNotAReplacement() throws {
        var old = try Fixture.plain(), new = old
        old.remediations = [AdvisoryRemediation(category: "vendor_fix", details: "Update to V3.0", url: nil, date: nil,
                                                productIDs: ["1"], products: ["Siemens · SIMATIC S7-1500 < V3.0"], cves: ["CVE-2024-1234"])]
        new.remediations = [AdvisoryRemediation(category: "vendor_fix", details: "Update to V3.0", url: nil, date: nil,
                                                productIDs: ["4", "5"],
                                                products: ["Siemens · SIMATIC S7-1500 < V3.0", "Siemens · SIMATIC S7-1200 < V3.0"],
                                                cves: ["CVE-2024-1234"])]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.remediations.added.isEmpty && diff.remediations.removed.isEmpty)
        #expect(diff.remediations.changed.first?.details == nil)
        #expect(diff.summary == ["remediation (vendor fix) for Siemens · SIMATIC S7-1200 < V3.0 and Siemens · SIMATIC S7-1500 < V3.0 changed: products"])

        new.remediations = []
        #expect(AdvisoryDiff.between(old, new).summary == ["remediation (vendor fix) removed for Siemens · SIMATIC S7-1500 < V3.0"])
    }

    // MARK: - Notes, references, tracking

    @Test func noteTextChangedWordByWord() throws {
        var old = try Fixture.plain(), new = old
        old.notes = [try Fixture.note("general", "Recommended practices", "Restrict network access to the device.\nUse a VPN.")]
        new.notes = [try Fixture.note("general", "Recommended practices", "Restrict network access to affected devices.   Use a VPN.")]
        let diff = AdvisoryDiff.between(old, new)
        let note = try #require(diff.notes.first)
        #expect(note.change.kind == .changed)
        let words = try #require(note.change.words)
        #expect(words.runs == [
            .init(kind: .equal, words: ["Restrict", "network", "access", "to"]),
            .init(kind: .deleted, words: ["the", "device."]),
            .init(kind: .inserted, words: ["affected", "devices."]),
            .init(kind: .equal, words: ["Use", "a", "VPN."]),
        ])
        #expect(diff.summary == ["note \"Recommended practices\" changed (2 words inserted, 2 deleted)"])

        // Whitespace alone is no change.
        new.notes = [try Fixture.note("general", "Recommended practices", "Restrict network access to the device. Use a VPN.")]
        #expect(AdvisoryDiff.between(old, new).isEmpty)
    }

    @Test func notesAddedAndRemoved() throws {
        var old = try Fixture.plain(), new = old
        old.notes = [try Fixture.note("legal_disclaimer", nil, "As is."), try Fixture.note("general", "FAQ", "None yet.")]
        new.notes = [try Fixture.note("legal_disclaimer", nil, "As is."), try Fixture.note("general", "Workaround", "Disable SNMP.")]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.notes.map(\.title) == ["FAQ", "Workaround"])
        #expect(diff.notes.map(\.change.kind) == [.removed, .added])
        #expect(diff.summary == ["note \"FAQ\" removed", "note \"Workaround\" added"])
    }

    @Test func notesOfOneTitleShareASentence() throws {
        var old = try Fixture.plain(), new = old
        old.notes = [try Fixture.note("general", "Recommended Practices", "Minimize network exposure."),
                     try Fixture.note("general", "Recommended Practices", "Use VPNs."),
                     try Fixture.note("general", "Additional Resources", "See ICS-CERT."),
                     try Fixture.note("general", "Additional Resources", "See CISA.")]
        new.notes = [try Fixture.note("general", "Recommended Practices", "Minimize network exposure for all devices."),
                     try Fixture.note("general", "Recommended Practices", "Use secure VPNs.")]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.notes.map(\.change.kind) == [.removed, .removed, .changed, .changed])
        #expect(diff.summary == ["2 notes \"Additional Resources\" removed",
                                 "2 notes \"Recommended Practices\" changed (5 words inserted, 1 deleted)"])
    }

    @Test func remediationsOfOneCategoryShareASentence() throws {
        var old = try Fixture.plain(), new = old
        func fix(_ details: String, _ product: String) -> AdvisoryRemediation {
            AdvisoryRemediation(category: "vendor_fix", details: details, url: nil, date: nil, productIDs: [product],
                                products: ["Siemens · \(product)"], cves: [])
        }
        new.remediations = [fix("Update to V3.0", "SIMATIC S7-1500"), fix("Update to V4.6", "SIMATIC S7-1200"),
                            fix("Update to V9.1", "SIPROTEC 5")]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.remediations.added.count == 3)
        #expect(diff.summary == ["3 remediations (vendor fix) added for Siemens · SIMATIC S7-1200, Siemens · SIMATIC S7-1500 and Siemens · SIPROTEC 5"])
        old.remediations = new.remediations
        new.remediations = []
        #expect(AdvisoryDiff.between(old, new).summary.first?.hasPrefix("3 remediations (vendor fix) removed for") == true)
    }

    @Test func aMovedReleaseDateAloneIsStillSaid() throws {
        let old = try Fixture.plain()
        var new = old
        new.currentReleaseDate = old.currentReleaseDate?.addingTimeInterval(3 * 86_400)
        let diff = AdvisoryDiff.between(old, new)
        #expect(!diff.isEmpty)
        #expect(diff.summary == ["current release date 2024-01-01 → 2024-01-04"])
    }

    @Test func referencesAddedAndRemoved() throws {
        var old = try Fixture.plain(), new = old
        old.references = [try Fixture.reference("https://example.com/a"), try Fixture.reference("https://example.com/b")]
        new.references = [try Fixture.reference("https://example.com/b", summary: "renamed"), try Fixture.reference("https://example.com/d"),
                          try Fixture.reference("https://example.com/c")]
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.references.added.map(\.url) == ["https://example.com/c", "https://example.com/d"])
        #expect(diff.references.removed.map(\.url) == ["https://example.com/a"])
        #expect(diff.summary == ["2 references added: https://example.com/c and https://example.com/d",
                                 "1 reference removed: https://example.com/a"])
    }

    @Test func trackingFields() throws {
        var old = try Fixture.plain(), new = old
        new.title = "Crafted advisory, updated"
        new.tlp = "CLEAR"
        old.tlp = "WHITE"
        new.aggregateSeverity = "Critical"
        new.highestScore = try Fixture.vulnerability("CVE-2024-1234", score: 9.8).score
        old.riskSummary = nil
        new.riskSummary = "Exploitation is easy."
        new.initialReleaseDate = old.initialReleaseDate?.addingTimeInterval(86_400)
        let diff = AdvisoryDiff.between(old, new)
        #expect(diff.tracking.title == .init(old: "Crafted advisory", new: "Crafted advisory, updated"))
        #expect(diff.tracking.tlp == .init(old: "WHITE", new: "CLEAR"))
        #expect(diff.tracking.aggregateSeverity == .init(old: nil, new: "Critical"))
        #expect(diff.tracking.highestScore?.new?.score == 9.8)
        #expect(diff.summary == [
            "title changed: \"Crafted advisory\" → \"Crafted advisory, updated\"",
            "initial release date 2024-01-01 → 2024-01-02",
            "TLP WHITE → CLEAR",
            "aggregate severity none → Critical",
            "highest CVSS none → 9.8 CRITICAL",
            "risk summary added",
        ])
    }

    @Test func identicalRevisionsAreEmpty() throws {
        let products = [Fixture.Product(id: "P1", name: "SIMATIC S7-1500", version: "< V2.9")]
        let old = try Fixture.csaf(products: products, remediations: [.init(details: "Update", productIDs: ["P1"])])
        let diff = AdvisoryDiff.between(old, old)
        #expect(diff.isEmpty)
        #expect(diff.summary.isEmpty)
        #expect(diff == AdvisoryDiff(advisory: "EXAMPLE-2024-0001", from: "1", to: "1"))
    }

    // MARK: - Summary and JSON

    @Test func summarySentencesStayShort() throws {
        var old = try Fixture.plain(), new = old
        let long = String(repeating: "SIMATIC S7-1500 Software Controller CPU 1507S F ", count: 4)
        old.products = []
        new.products = (1...9).map { Fixture.product("\($0)", "\(long)\($0)", "< V\($0).0") }
        old.notes = [try Fixture.note("general", String(repeating: "Long title ", count: 30), "a")]
        new.notes = [try Fixture.note("general", String(repeating: "Long title ", count: 30), "b")]
        new.vulnerabilities = [try Fixture.vulnerability(String(repeating: "X", count: 300))]
        let diff = AdvisoryDiff.between(old, new)
        #expect(!diff.summary.isEmpty)
        for sentence in diff.summary { #expect(sentence.count <= AdvisoryDiff.maxSentenceLength, "\(sentence)") }
        #expect(diff.summary.first?.hasPrefix("9 products added: SIMATIC S7-1500") == true)
        #expect(diff.summary.first?.hasSuffix(" and 8 more") == true)
    }

    @Test func jsonIsStableAndReadsBack() throws {
        var old = try Fixture.isduba("2"), new = try Fixture.isduba("3-final")
        old.products[1].version = "< V2.14.1"
        new.products[1].version = "<V2.14.1"
        new.vulnerabilities[0].score?.score = 9.8
        new.highestScore = new.vulnerabilities[0].score
        let diff = AdvisoryDiff.between(old, new)
        let encoder = Fixture.apiEncoder()
        let data = try encoder.encode(diff)
        #expect(try encoder.encode(AdvisoryDiff.between(old, new)) == data)
        #expect(try Fixture.apiDecoder().decode(AdvisoryDiff.self, from: data) == diff)
        let text = try #require(String(data: data, encoding: .utf8))
        for key in ["\"revisions_added\"", "\"old_reading\"", "\"current_release_date\"", "\"highest_score\"", "\"respelled\""] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        // Plain camelCase keys with the default encoder too.
        let plain = try JSONEncoder().encode(diff)
        #expect(try JSONDecoder().decode(AdvisoryDiff.self, from: plain) == diff)
    }

    // MARK: - Real advisories

    /// Siemens advisories with every range respelled (no space after a comparator, a lower-case `v`) and the product
    /// IDs renumbered: only respellings, never a change of affectedness.
    @Test func respelledSiemensRangesAreRespellings() throws {
        let advisories = try RevisionsCorpus.advisories(under: "providers/siemens-sample")
        #expect(advisories.count > 10)
        var respelled = 0
        for advisory in advisories {
            var new = advisory
            for index in new.products.indices {
                new.products[index].productID = "renumbered-\(new.products.count - index)"
                guard let version = new.products[index].version else { continue }
                var text = version
                for comparator in ["<=", ">=", "<", ">"] {
                    text = text.replacingOccurrences(of: "\(comparator) V", with: "\(comparator)v")
                }
                new.products[index].version = text
            }
            new.products.reverse()
            let diff = AdvisoryDiff.between(advisory, new)
            #expect(diff.products.added.isEmpty && diff.products.removed.isEmpty, "\(advisory.id)")
            for change in diff.products.changed {
                #expect(change.range?.kind == .respelled, "\(advisory.id): \(String(describing: change.range))")
                #expect(change.status == nil)
            }
            respelled += diff.products.respelled.count
            #expect(diff.vulnerabilities.isEmpty && diff.remediations.isEmpty && diff.notes.isEmpty && diff.tracking.isEmpty)
        }
        #expect(respelled > 50)
    }

    /// Every CISA advisory with its products listed backwards under new product IDs: no change at all.
    @Test func renumberedCISAAdvisoriesAreUnchanged() throws {
        let advisories = try RevisionsCorpus.advisories(under: "providers/cisa")
        #expect(advisories.count > 1_000)
        for advisory in advisories {
            var new = advisory
            var renumbered: [String: String] = [:]
            for index in new.products.indices {
                let id = "R\(new.products.count - index)-\(new.products[index].productID.count)"
                renumbered[new.products[index].productID] = id
                new.products[index].productID = id
            }
            new.products.reverse()
            for index in new.remediations.indices {
                new.remediations[index].productIDs = new.remediations[index].productIDs.map { renumbered[$0] ?? $0 }
            }
            let diff = AdvisoryDiff.between(advisory, new)
            let unchanged = diff.isEmpty
            #expect(unchanged, "\(advisory.id): \(diff.summary)")
        }
    }

    /// Neighbouring advisories of one publisher compared as if revisions of each other: nothing crashes, every
    /// sentence is short, and the diff reads back from JSON.
    @Test func unrelatedAdvisoriesGiveShortSentences() throws {
        let advisories = try RevisionsCorpus.advisories(under: "providers/siemens-sample")
            + RevisionsCorpus.advisories(under: "providers/festo")
        for (old, new) in zip(advisories, advisories.dropFirst()) {
            let diff = AdvisoryDiff.between(old, new)
            for sentence in diff.summary { #expect(sentence.count <= AdvisoryDiff.maxSentenceLength, "\(sentence)") }
            let data = try Fixture.apiEncoder().encode(diff)
            #expect(try Fixture.apiDecoder().decode(AdvisoryDiff.self, from: data) == diff)
        }
    }
}
