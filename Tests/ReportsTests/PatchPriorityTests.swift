import Foundation
import Matching
import Testing
@testable import Reports

@Suite("Patch priority")
struct PatchPriorityTests {
    static let now = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z
    static func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }

    static let critical31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

    /// A crafted list reaching every decision, in a shuffled input order.
    static let candidates: [PatchCandidate] = [
        // Track: physical access, low impact, low criticality; four ties broken by age, advisory, asset.
        PatchCandidate(assetID: 9, assetName: "Panel 9", criticality: .low, advisoryID: "ICSA-24-010-01",
                       publicProofOfConcept: false, cvssScore: 2.4,
                       cvssVector: "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", firstSeen: daysAgo(10)),
        PatchCandidate(assetID: 1, assetName: "PLC-1", site: "North", criticality: .high, advisoryID: "ICSA-24-001-01",
                       cves: ["CVE-2024-0001"], kevListed: true, cvssScore: 9.8, cvssVector: critical31,
                       firstSeen: daysAgo(41.5)),
        PatchCandidate(assetID: 20, assetName: "Historian", criticality: .high, advisoryID: "ICSA-24-020-01",
                       status: .fixed, firstSeen: daysAgo(100)),
        PatchCandidate(assetID: 8, assetName: "Panel 8", criticality: .low, advisoryID: "ICSA-24-010-01",
                       publicProofOfConcept: false, cvssScore: 2.4,
                       cvssVector: "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", firstSeen: daysAgo(10)),
        // Track: unscored, unknown criticality, no vector, still under investigation.
        PatchCandidate(assetID: 6, assetName: "Gateway", advisoryID: "ICSA-24-006-01",
                       status: .underInvestigation, confidence: .medium, firstSeen: daysAgo(0.5)),
        // Attend: KEV without a vector (assumed automatable, total) on a low-criticality asset.
        PatchCandidate(assetID: 13, assetName: "Badge reader", criticality: .low, advisoryID: "ICSA-24-013-01",
                       kevListed: true, cvssScore: 7.5, firstSeen: daysAgo(3)),
        // Track*: a CVSS 4.0 vector, adjacent network only.
        PatchCandidate(assetID: 5, assetName: "RTU-5", criticality: .high, advisoryID: "ICSA-24-005-01",
                       publicProofOfConcept: false, cvssScore: 8.7,
                       cvssVector: "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                       firstSeen: daysAgo(1)),
        // Attend: no exploitation known, automatable, total, critical asset.
        PatchCandidate(assetID: 4, assetName: "SIS-4", criticality: .critical, advisoryID: "ICSA-24-004-01",
                       cvssScore: 9.8, cvssVector: critical31, firstSeen: daysAgo(20)),
        PatchCandidate(assetID: 14, assetName: "HMI-14", criticality: .high, advisoryID: "ICSA-24-004-01",
                       publicProofOfConcept: false, cvssScore: 9.8, cvssVector: critical31, firstSeen: daysAgo(20)),
        // Attend: public PoC, high complexity.
        PatchCandidate(assetID: 3, assetName: "Drive-3", criticality: .high, advisoryID: "ICSA-24-003-01",
                       publicProofOfConcept: true, cvssScore: 8.1,
                       cvssVector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", firstSeen: daysAgo(7)),
        PatchCandidate(assetID: 30, assetName: "Old switch", advisoryID: "ICSA-24-030-01", status: .notAffected,
                       firstSeen: daysAgo(5)),
        // Track with KEV: local access, partial impact, medium criticality.
        PatchCandidate(assetID: 2, assetName: "EWS-2", criticality: .medium, advisoryID: "ICSA-24-002-01",
                       kevListed: true, cvssScore: 5.5,
                       cvssVector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:H", firstSeen: daysAgo(60)),
        PatchCandidate(assetID: 7, assetName: "Panel 7", criticality: .low, advisoryID: "ICSA-24-009-01",
                       publicProofOfConcept: false, cvssScore: 2.4,
                       cvssVector: "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", firstSeen: daysAgo(10)),
        PatchCandidate(assetID: 10, assetName: "Panel 10", criticality: .low, advisoryID: "ICSA-24-011-01",
                       publicProofOfConcept: false, cvssScore: 2.4,
                       cvssVector: "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", firstSeen: daysAgo(12)),
    ]

    @Test("the order: decision, then KEV, CVSS, criticality, age, advisory and asset IDs; closed ones left out")
    func order() {
        let priority = PatchPriority(candidates: Self.candidates, now: Self.now)
        #expect(priority.items.map(\.candidate.assetID) == [1, 13, 4, 14, 3, 5, 2, 10, 7, 8, 9, 6])
        #expect(priority.items.map(\.rank) == Array(1...12))
        #expect(priority.items.map(\.ssvc.decision) == [.act, .attend, .attend, .attend, .attend, .trackStar,
                                                         .track, .track, .track, .track, .track, .track])
        #expect(Set(priority.items.map(\.ssvc.decision)) == Set(SSVC.Decision.allCases))
        #expect(priority.closed.map(\.assetID) == [20, 30])
    }

    @Test("the order does not depend on the input order")
    func deterministic() {
        let forward = PatchPriority(candidates: Self.candidates, now: Self.now)
        let backward = PatchPriority(candidates: Self.candidates.reversed(), now: Self.now)
        #expect(forward.items == backward.items)
    }

    func item(_ assetID: Int64) throws -> PatchPriorityItem {
        try #require(PatchPriority(candidates: Self.candidates, now: Self.now).items
            .first { $0.candidate.assetID == assetID })
    }

    @Test("KEV-listed, network-reachable, total impact on a high-criticality asset: Act, and why")
    func act() throws {
        let item = try item(1)
        #expect(item.reasons == [
            "SSVC Act: exploitation active, automatable yes, technical impact total, mission and well-being high",
            "listed in CISA KEV (exploitation: active)",
            "network-reachable without privileges or user interaction (automatable: yes)",
            "confidentiality impact high, integrity impact high (technical impact: total)",
            "CVSS 9.8",
            "asset criticality high (mission prevalence: essential, public well-being: material)",
            "open 41 days",
        ])
        #expect(item.missingInputs.isEmpty)
        #expect(item.daysOpen == 41)
    }

    @Test("KEV-listed without a vector: the cautious assumptions are named as missing inputs")
    func kevWithoutVector() throws {
        let item = try item(13)
        #expect(item.ssvc.decision == .attend)
        #expect(item.reasons == [
            "SSVC Attend: exploitation active, automatable yes, technical impact total, mission and well-being low",
            "listed in CISA KEV (exploitation: active)",
            "CVSS 7.5",
            "asset criticality low (mission prevalence: minimal, public well-being: minimal)",
            "open 3 days",
        ])
        #expect(item.missingInputs == ["no CVSS vector: automatable assumed yes and technical impact assumed total"])
    }

    @Test("no exploitation known on a critical asset: Attend, with the unknown proof of concept reported")
    func attendWithoutExploitation() throws {
        let item = try item(4)
        #expect(item.reasons == [
            "SSVC Attend: exploitation none, automatable yes, technical impact total, mission and well-being high",
            "not listed in CISA KEV (exploitation: none)",
            "network-reachable without privileges or user interaction (automatable: yes)",
            "confidentiality impact high, integrity impact high (technical impact: total)",
            "CVSS 9.8",
            "asset criticality critical (mission prevalence: essential, public well-being: irreversible)",
            "open 20 days",
        ])
        #expect(item.missingInputs == [
            "no proof-of-concept information: exploitation taken as none, since not in CISA KEV",
        ])
        #expect(try self.item(14).missingInputs.isEmpty, "a stated 'no proof of concept' is not missing")
    }

    @Test("a public proof of concept with high attack complexity: Attend")
    func proofOfConcept() throws {
        let item = try item(3)
        #expect(item.reasons == [
            "SSVC Attend: exploitation poc, automatable no, technical impact total, mission and well-being high",
            "public proof of concept known (exploitation: poc)",
            "not reliably automatable: high attack complexity (automatable: no)",
            "confidentiality impact high, integrity impact high (technical impact: total)",
            "CVSS 8.1",
            "asset criticality high (mission prevalence: essential, public well-being: material)",
            "open 7 days",
        ])
    }

    @Test("a CVSS 4.0 vector is read: adjacent network only is not automatable; Track*")
    func cvss4() throws {
        let item = try item(5)
        #expect(item.ssvc.decision == .trackStar)
        #expect(item.reasons == [
            "SSVC Track*: exploitation none, automatable no, technical impact total, mission and well-being high",
            "not listed in CISA KEV (exploitation: none)",
            "not reliably automatable: needs adjacent network access (automatable: no)",
            "confidentiality impact high, integrity impact high (technical impact: total)",
            "CVSS 8.7",
            "asset criticality high (mission prevalence: essential, public well-being: material)",
            "open 1 day",
        ])
    }

    @Test("KEV-listed but local, with partial impact on a medium asset: Track, ahead of other Tracks")
    func kevTrack() throws {
        let item = try item(2)
        #expect(item.reasons == [
            "SSVC Track: exploitation active, automatable no, technical impact partial, mission and well-being medium",
            "listed in CISA KEV (exploitation: active)",
            "not reliably automatable: needs local access and needs low privileges (automatable: no)",
            "confidentiality impact low, integrity impact low (technical impact: partial)",
            "CVSS 5.5",
            "asset criticality medium (mission prevalence: support, public well-being: material)",
            "open 60 days",
        ])
    }

    @Test("every missing input is named with the value assumed for it")
    func missingInputs() throws {
        let item = try item(6)
        #expect(item.ssvc.decision == .track)
        #expect(item.ssvc.missionPrevalence == .support && item.ssvc.publicWellBeing == .material)
        #expect(item.missingInputs == [
            "no proof-of-concept information: exploitation taken as none, since not in CISA KEV",
            "no CVSS vector: automatable assumed yes and technical impact assumed total",
            "no CVSS base score: ordered after scored exposures with the same decision",
            "no asset criticality: assumed medium (mission prevalence: support, public well-being: material)",
        ])
        #expect(item.reasons == [
            "SSVC Track: exploitation none, automatable yes, technical impact total, mission and well-being medium",
            "not listed in CISA KEV (exploitation: none)",
            "open less than a day",
            "status under investigation, match confidence medium",
        ])
    }

    @Test("an unreadable vector (CVSS 2.0) is reported, not guessed from")
    func unreadableVector() throws {
        let candidate = PatchCandidate(assetID: 1, assetName: "a", criticality: .low, advisoryID: "X",
                                       publicProofOfConcept: false, cvssScore: 7.5,
                                       cvssVector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", firstSeen: Self.now)
        let item = try #require(PatchPriority(candidates: [candidate], now: Self.now).items.first)
        #expect(item.missingInputs == ["CVSS vector \"AV:N/AC:L/Au:N/C:P/I:P/A:P\" unreadable: automatable assumed "
            + "yes and technical impact assumed total"])
    }

    @Test("technical impact from the vector: both high, or one high without privileges, or scope changed")
    func technicalImpact() throws {
        let total = ["CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N",
                     "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N",
                     "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:N/A:N",
                     "AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:N",
                     "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N"]
        let partial = ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:L/A:N",
                       "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H",
                       "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H"]
        for vector in total { #expect(try #require(CVSSVector(vector)).technicalImpactIsTotal, "\(vector)") }
        for vector in partial { #expect(try !#require(CVSSVector(vector)).technicalImpactIsTotal, "\(vector)") }
        #expect(CVSSVector("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")?.automationBarriers
            == ["has attack requirements"])
        #expect(CVSSVector("CVSS:2.0/AV:N") == nil)
        #expect(CVSSVector("") == nil)
    }

    /// CERT/CC, github.com/CERTCC/SSVC data/csv/cisa/cisa_coordinator_2_0_3.csv, verbatim (the CISA guide's table).
    static let cisaTable = """
        0,none,no,partial,low,track
        1,none,no,partial,medium,track
        2,none,no,partial,high,track
        3,none,no,total,low,track
        4,none,no,total,medium,track
        5,none,no,total,high,track*
        6,none,yes,partial,low,track
        7,none,yes,partial,medium,track
        8,none,yes,partial,high,attend
        9,none,yes,total,low,track
        10,none,yes,total,medium,track
        11,none,yes,total,high,attend
        12,public poc,no,partial,low,track
        13,public poc,no,partial,medium,track
        14,public poc,no,partial,high,track*
        15,public poc,no,total,low,track
        16,public poc,no,total,medium,track*
        17,public poc,no,total,high,attend
        18,public poc,yes,partial,low,track
        19,public poc,yes,partial,medium,track
        20,public poc,yes,partial,high,attend
        21,public poc,yes,total,low,track
        22,public poc,yes,total,medium,track*
        23,public poc,yes,total,high,attend
        24,active,no,partial,low,track
        25,active,no,partial,medium,track
        26,active,no,partial,high,attend
        27,active,no,total,low,track
        28,active,no,total,medium,attend
        29,active,no,total,high,act
        30,active,yes,partial,low,attend
        31,active,yes,partial,medium,attend
        32,active,yes,partial,high,act
        33,active,yes,total,low,attend
        34,active,yes,total,medium,act
        35,active,yes,total,high,act
        """

    @Test("the decision table is CISA's, row for row")
    func decisionTable() throws {
        let rows = Self.cisaTable.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 36)
        for row in rows {
            let exploitation = try #require(SSVC.Exploitation(rawValue: row[1] == "public poc" ? "poc" : row[1]))
            let impact = try #require(SSVC.TechnicalImpact(rawValue: row[3]))
            let mission = try #require(SSVC.MissionAndWellBeing(rawValue: row[4]))
            let decision = SSVC.decide(exploitation: exploitation, automatable: row[2] == "yes",
                                       technicalImpact: impact, missionAndWellBeing: mission)
            #expect(decision.label.lowercased() == row[5], "row \(row[0])")
        }
    }

    @Test("mission and well-being combine as the CISA guide's table 8")
    func missionAndWellBeing() {
        let expected: [SSVC.MissionPrevalence: [SSVC.MissionAndWellBeing]] = [
            .minimal: [.low, .medium, .high], .support: [.medium, .medium, .high], .essential: [.high, .high, .high],
        ]
        for (prevalence, row) in expected {
            #expect(SSVC.PublicWellBeingImpact.allCases.map {
                SSVC.MissionAndWellBeing(prevalence: prevalence, wellBeing: $0)
            } == row)
        }
    }
}
