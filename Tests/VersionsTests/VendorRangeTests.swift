import Foundation
import Testing
import Versions
import VigilTestSupport

/// The lenient reading of range text as vendors publish it, one case per form in the issue and the data.
struct VendorRangeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var normalized: String?
        var confidence: VendorRange.Confidence
        var inside: [String]
        var outside: [String]
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(text: "< V2.14.1", normalized: "vers:generic/<2.14.1", confidence: .exact,
             inside: ["V2.13.0", "2.14.0", "V2.9.99", "V2.14.1 Beta 2"], outside: ["V2.14.1", "2.14.1.0", "V3.0", "V2.14.1 SP1"]),
        Case(text: "<=V3.1", normalized: "vers:generic/<=3.1", confidence: .exact,
             inside: ["V3.1", "3.1.0", "3.0.9"], outside: ["3.1.1", "V3.1 SP1", "4"]),
        Case(text: "All versions < R1.23.0", normalized: "vers:generic/<1.23.0", confidence: .exact,
             inside: ["R1.22.9", "1.3"], outside: ["R1.23.0", "R1.23.1"]),
        Case(text: "vers:all/<V4.3.8", normalized: "vers:generic/<4.3.8", confidence: .exact,
             inside: ["V4.3.7", "4.2"], outside: ["V4.3.8", "V4.3.10"]),
        Case(text: "vers:all/>=V7.80<V9.40", normalized: "vers:generic/>=7.80|<9.40", confidence: .lenient,
             inside: ["V7.80", "V8.0", "9.39"], outside: ["V7.79", "V9.40", "10"]),
        Case(text: ">=1.220|<=1.281", normalized: "vers:generic/>=1.220|<=1.281", confidence: .exact,
             inside: ["1.220", "1.250", "1.281"], outside: ["1.219", "1.282"]),
        Case(text: "NMC2 <= 6.9.6", normalized: "vers:generic/<=6.9.6", confidence: .lenient,
             inside: ["6.9.6", "6.1"], outside: ["6.9.7", "7"]),
        Case(text: "<1.2 FP2 HF10 (Build Nr. 1.2.14002.506)", normalized: "vers:generic/<1.2-fp2-hf10", confidence: .lenient,
             inside: ["1.2 FP2 HF9", "1.2 FP1", "1.2"], outside: ["1.2 FP2 HF10", "1.2 FP3", "1.3"]),
        Case(text: "9.0.x", normalized: "vers:generic/>=9.0|<9.1", confidence: .lenient,
             inside: ["9.0", "9.0.7"], outside: ["8.9", "9.1", "9.1.0"]),
        Case(text: "2.2.0 | 2.2.1", normalized: "vers:generic/2.2.0|2.2.1", confidence: .exact,
             inside: ["2.2.0", "2.2.1"], outside: ["2.2.2", "2.1.9"]),
        Case(text: "All versions", normalized: "vers:all/*", confidence: .exact, inside: ["1.0", "anything"], outside: []),
        Case(text: "*", normalized: "vers:all/*", confidence: .exact, inside: ["0"], outside: []),
        Case(text: "vers:all/*", normalized: "vers:all/*", confidence: .exact, inside: ["V1"], outside: []),
        // Forms seen in the CISA data.
        Case(text: "<V18_Update_2", normalized: "vers:generic/<18-update2", confidence: .exact,
             inside: ["V18 Update 1", "V18", "V17 Update 8"], outside: ["V18 Update 2", "V18 Update 10", "V19"]),
        Case(text: "All versions < V14 SP1 Update 14", normalized: "vers:generic/<14-sp1-update14", confidence: .exact,
             inside: ["V14 SP1 Update 13", "V14", "V13 SP2"], outside: ["V14 SP1 Update 14", "V14 SP2", "V15"]),
        Case(text: ">= V7.80 < V9.30", normalized: "vers:generic/>=7.80|<9.30", confidence: .exact,
             inside: ["V8.0"], outside: ["V7.0", "V9.30"]),
        Case(text: ">= V2.3 and < V6.30.016", normalized: "vers:generic/>=2.3|<6.30.16", confidence: .exact,
             inside: ["V2.3", "V6.30.15"], outside: ["V2.2", "V6.30.016"]),
        Case(text: "<= 1.96A", normalized: "vers:generic/<=1.96a", confidence: .exact,
             inside: ["1.96", "1.96A"], outside: ["1.96B", "1.97"]),
        Case(text: "<= 3.4.4 Build 16102416", normalized: "vers:generic/<=3.4.4-build16102416", confidence: .exact,
             inside: ["3.4.4 Build 16102415", "3.4.3"], outside: ["3.4.4 Build 16102417", "3.4.5"]),
        Case(text: "< 02.07.07(10)", normalized: "vers:generic/<2.7.7-build10", confidence: .exact,
             inside: ["02.07.07(09)", "2.7.6"], outside: ["02.07.07(10)", "2.7.8"]),
        Case(text: "All versions prior to V1.5.1", normalized: "vers:generic/<1.5.1", confidence: .exact,
             inside: ["1.5.0"], outside: ["1.5.1"]),
        Case(text: "SCADA Web Server Version 2.02.0007 and prior", normalized: "vers:generic/<=2.2.7", confidence: .lenient,
             inside: ["2.02.0007", "2.01"], outside: ["2.02.0008"]),
        Case(text: "V04.00.02 and all versions >= V04.00.15 < 04.00.18",
             normalized: "vers:generic/4.0.2|>=4.0.15|<4.0.18", confidence: .exact,
             inside: ["V04.00.02", "V04.00.16"], outside: ["V04.00.03", "V04.00.18"]),
        Case(text: "Versions R5.01.00 through R5.04.20", normalized: "vers:generic/>=5.1.0|<=5.4.20", confidence: .exact,
             inside: ["R5.01.00", "R5.04.20"], outside: ["R5.04.21", "R4.9"]),
        Case(text: ">FW16_up_to_and_including_FW26", normalized: "vers:generic/>16|<=26", confidence: .exact,
             inside: ["FW17", "FW26"], outside: ["FW16", "FW27"]),
        Case(text: "<July/21/2023", normalized: "vers:datetime/<2023-07-21", confidence: .lenient,
             inside: ["2023-07-20", "July 1 2023"], outside: ["2023-07-21", "2024-01-01"]),
        Case(text: "<= 2.x", normalized: "vers:generic/<3", confidence: .lenient,
             inside: ["2.9.9", "1.0"], outside: ["3.0"]),
        Case(text: "< 1.5.0.0 Beta 4", normalized: "vers:generic/<1.5.0.0-beta4", confidence: .exact,
             inside: ["1.5.0.0 Beta 3", "1.5.0.0 alpha 9", "1.4"], outside: ["1.5.0.0", "1.5.0.0 RC1", "1.5.0.0 Beta 4"]),
        Case(text: "All versions < V4.7 SP5 HF7", normalized: "vers:generic/<4.7-sp5-hf7", confidence: .exact,
             inside: ["V4.7 SP5 HF6", "V4.7 SP4 HF9", "V4.7"], outside: ["V4.7 SP5 HF7", "V4.7 SP6"]),
        Case(text: "< 2.4.2-r29", normalized: "vers:generic/<2.4.2-r29", confidence: .exact,
             inside: ["2.4.2-r28", "2.4.1"], outside: ["2.4.2-r29", "2.4.3"]),
        Case(text: "<= 1-02-08", normalized: "vers:generic/<=1.2.8", confidence: .exact,
             inside: ["1-02-07"], outside: ["1-02-09", "1-03-00"]),
        Case(text: "All versions with enabled Ethernet options", normalized: "vers:all/*", confidence: .lenient,
             inside: ["1.0"], outside: []),
        Case(text: "<= 2.0.0.10 (RES670 2.0.0.4 and prior)", normalized: "vers:generic/<=2.0.0.10", confidence: .lenient,
             inside: ["2.0.0.10"], outside: ["2.0.0.11"]),
        Case(text: "< 1.99 | 2.20 | 2.40", normalized: "vers:generic/<1.99|2.20|2.40", confidence: .exact,
             inside: ["1.98", "2.20", "2.40"], outside: ["1.99", "2.30", "2.41"]),
        Case(text: "vers:semver/<21.0.0", normalized: "vers:semver/<21.0.0", confidence: .exact,
             inside: ["20.4.1"], outside: ["21.0.0", "22.1.0"]),
    ]

    @Test("reads published range text into the expected range", arguments: cases)
    func readsPublishedForms(_ example: Case) throws {
        let range = VendorRange.read(example.text)
        #expect(range.normalized == example.normalized, "\(range.reading) \(range.notes)")
        #expect(range.confidence == example.confidence, "\(range.notes)")
        for version in example.inside {
            let decision = range.decide(version: version)
            #expect(decision.answer == .inside, "\(version): \(decision.reason)")
        }
        for version in example.outside {
            let decision = range.decide(version: version)
            #expect(decision.answer == .outside, "\(version): \(decision.reason)")
        }
    }

    @Test("several upper bounds are one per maintenance branch, and a version between branches is undecided")
    func perBranchBounds() {
        let range = VendorRange.read("<= 4.2.21 | <= 5.0.27 | <= 5.1.19 | <= 6.0.16")
        #expect(range.confidence == .lenient)
        #expect(range.normalized == nil)
        #expect(range.decide(version: "5.0.20").answer == .inside)
        #expect(range.decide(version: "5.0.28").answer == .outside)
        #expect(range.decide(version: "5.1.19").answer == .inside)
        #expect(range.decide(version: "6.0.17").answer == .outside)
        #expect(range.decide(version: "3.9").answer == .inside)
        #expect(range.decide(version: "7.0").answer == .outside)
        let between = range.decide(version: "4.3.0")
        #expect(between.answer == .undecided)
        #expect(between.reason.contains("none of the listed branches"))
    }

    @Test("undecided reasons rendered when read say what they said when made, word for word")
    func undecidedReasonTexts() {
        let date = VendorRange.read("<July/21/2023").decide(version: "2.0")
        #expect(date.reason == "range \"<July/21/2023\" read as \(VendorRange.read("<July/21/2023").reading); version 2.0 cannot be ordered against it (a date against a version number, or a word against a number)")
        let branches = VendorRange.read("<= 4.2.21 | <= 5.0.27")
        #expect(branches.decide(version: "4.3.0").reason
                    == "range \"<= 4.2.21 | <= 5.0.27\" read as \(branches.reading); version 4.3.0 is in none of the listed branches")
        #expect(branches.decide(version: "abc").reason
                    == "range \"<= 4.2.21 | <= 5.0.27\" read as \(branches.reading); version abc has no branch to compare per branch")
        let plain = VendorRange.read("< V2.14.1")
        #expect(plain.decide(version: "---").reason == "range \"< V2.14.1\" read as <2.14.1; version \"---\" could not be read")
        // Equal verdicts render equal reasons.
        #expect(plain.verdict(version: "---", firmware: nil) == plain.verdict(version: "---", firmware: nil))
    }

    @Test("serial-number ranges bound the serial number, not the version")
    func serialNumberRange() {
        let range = VendorRange.read("<=the_first_5_digits_of_serial_number_22081")
        #expect(range.subject == .serialNumber(prefixDigits: 5))
        #expect(range.decide(version: "1.0", serialNumber: "2208012345").answer == .inside)
        #expect(range.decide(version: "1.0", serialNumber: "2208212345").answer == .outside)
        let noSerial = range.decide(version: "1.0")
        #expect(noSerial.answer == .undecided)
        #expect(noSerial.reason.contains("no serial number"))
    }

    @Test("an unreadable range or version is undecided with the reason, never outside")
    func unreadableIsNeverOutside() {
        for text in ["No version", "<= ", "< august 28", "* and >  could be affected", ""] {
            let range = VendorRange.read(text)
            #expect(range.confidence == .unreadable, "\(text): \(range.reading)")
            let decision = range.decide(version: "1.0")
            #expect(decision.answer == .undecided)
            #expect(decision.contains == nil)
            #expect(decision.reason.contains("could not be read"))
        }
        let range = VendorRange.read("< V2.14.1")
        #expect(range.decide(version: "  ").answer == .undecided)
        #expect(range.decide(version: nil).answer == .undecided)
        #expect(VendorRange.read("<July/21/2023").decide(version: "2.0").answer == .undecided)
        // A version starting with a word is not ordered against numbers: `SV3.20` is read as 3.20, `XYZ3` is undecided.
        #expect(VendorRange.read("< 2.80").decide(version: "SV3.20").answer == .outside)
        #expect(VendorRange.read("< 2.80").decide(version: "XYZ3").answer == .undecided)
    }

    @Test("a decision's reason quotes the range, its reading and the version")
    func reasonIsCheckable() {
        let decision = VendorRange.read("< V2.14.1").decide(version: "V2.13.0")
        #expect(decision.reason == "range \"< V2.14.1\" read as <2.14.1; version V2.13.0 is inside")
        #expect(decision.confidence == .exact)
        let generic = VendorRange.read("< SE2021MP4").decide(version: "SE2021MP2")
        #expect(generic.answer == .inside)
        #expect(generic.confidence == .lenient)
    }

    @Test("firmware ordering: prefixes, padding, letters, qualifiers")
    func firmwareOrdering() throws {
        let ascending = ["V1.0 Beta 1", "V1.0 RC2", "1.0", "1.0.1", "1.0.1a", "1.0.1b", "1.0.2", "V1.0.2 SP1",
                         "V1.0.2 SP1 Update 3", "V1.0.2 SP1 Update 3 HF2", "V1.0.2 SP2", "V1.1", "R1.10", "FW2"]
        let versions = try ascending.map { try #require(FirmwareVersion($0)) }
        for (a, b) in zip(versions, versions.dropFirst()) {
            #expect(FirmwareVersion.compare(a, b) == .ascending, "\(a.text) < \(b.text)")
            #expect(FirmwareVersion.compare(b, a) == .descending, "\(b.text) > \(a.text)")
        }
        #expect(FirmwareVersion.compare(try #require(FirmwareVersion("V2.1")), try #require(FirmwareVersion("2.1.0"))) == .same)
        #expect(FirmwareVersion.compare(try #require(FirmwareVersion("2023-01-05")), try #require(FirmwareVersion("2.0"))) == nil)
    }

    /// The issue's target: over every range in the CISA, NI and Stackable data, fewer than 1% unreadable.
    @Test("coverage over the real provider data: under 1% of ranges unreadable")
    func coverageOverProviderData() throws {
        let report = try RangeCoverage.measure(providers: ["cisa", "ni", "stackable"])
        print(report.summary)
        #expect(report.total > 13_000)
        #expect(Double(report.unreadable) / Double(report.total) < 0.01)
        #expect(report.exact > report.total / 2)
    }
}

/// Counts how every `product_version_range` in the providers' documents reads.
enum RangeCoverage {
    struct Report {
        var total = 0, exact = 0, lenient = 0, unreadable = 0
        var unreadableTexts: [String: Int] = [:]
        var summary: String {
            "ranges: \(total); exact \(exact), lenient \(lenient), unreadable \(unreadable) "
                + "(\(String(format: "%.2f", 100 * Double(unreadable) / Double(max(total, 1))))%)"
        }
    }

    static func measure(providers: [String]) throws -> Report {
        var counts: [String: Int] = [:]
        for provider in providers {
            let base = try SharedData.url("providers/\(provider)")
            for relative in try SharedData.jsonFiles(under: "providers/\(provider)") {
                let data = try Data(contentsOf: base.appendingPathComponent(relative))
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      object["document"] != nil,
                      let tree = object["product_tree"] as? [String: Any] else { continue }
                collect(tree["branches"], into: &counts)
            }
        }
        var report = Report()
        for (text, count) in counts {
            let range = VendorRange.read(text)
            report.total += count
            switch range.confidence {
            case .exact: report.exact += count
            case .lenient: report.lenient += count
            case .unreadable:
                report.unreadable += count
                report.unreadableTexts[text] = count
            }
        }
        return report
    }

    private static func collect(_ branches: Any?, into counts: inout [String: Int]) {
        guard let branches = branches as? [[String: Any]] else { return }
        for branch in branches {
            if branch["category"] as? String == "product_version_range", let name = branch["name"] as? String {
                counts[name, default: 0] += 1
            }
            collect(branch["branches"], into: &counts)
        }
    }
}
