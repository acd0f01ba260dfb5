import Foundation
import Testing
import VigilTestSupport

/// `vigil related` and the lead time of `vigil stats`, as a user runs them, over `RelatedAdvisoryFixtures`: a vendor's
/// advisories, CISA's republications of them days later, a weak overlap and an unrelated advisory.
@Suite("vigil related")
struct RelatedCommandTests {
    static func store() async throws -> (TemporaryFolder, String) {
        let folder = try TemporaryFolder()
        let files = folder.url.appendingPathComponent("advisories")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try RelatedAdvisoryFixtures.write(to: files)
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        let output = try await Executables.runVigil(["import", "--db", db, files.path])
        #expect(output.status == 0, "\(output.stderr)")
        return (folder, db)
    }

    @Test("one line per linked advisory: publisher, reason in words, strength, shared CVEs shortened, and which came first")
    func humanOutput() async throws {
        let (folder, db) = try await Self.store()
        defer { folder.remove() }
        let vendor = try await Executables.runVigil(["related", "--db", db, "EXSA-123456"])
        #expect(vendor.status == 0, "\(vendor.stderr)")
        let lines = vendor.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "EXSA-123456 (Example ProductCERT, first published 2026-04-03): 2 related advisories", "\(vendor.stdout)")
        #expect(lines.count == 3)
        // Strongest first: CISA's republication, then the weak overlap.
        let republication = try #require(lines.dropFirst().first)
        #expect(republication.hasPrefix("  ICSA-26-100-01  CISA  references this one"), "\(republication)")
        #expect(republication.contains("strong"))
        #expect(republication.contains("CVE-2026-1000, CVE-2026-1001, CVE-2026-1002 and 2 more"), "\(republication)")
        #expect(republication.hasSuffix("published 2026-04-10, 7 days later"), "\(republication)")
        let overlap = lines[2]
        #expect(overlap.hasPrefix("  ICSA-26-130-03  CISA  overlapping CVEs"), "\(overlap)")
        #expect(overlap.contains("weak"))
        #expect(overlap.contains("CVE-2026-1000 "))
        #expect(overlap.hasSuffix("published 2026-05-10, 37 days later"))

        // From the other side: the vendor's advisory came first, and is the one referenced.
        let cisa = try await Executables.runVigil(["related", "--db", db, "ICSA-26-100-01"])
        #expect(cisa.status == 0, "\(cisa.stderr)")
        #expect(cisa.stdout.contains("ICSA-26-100-01 (CISA, first published 2026-04-10): 1 related advisory"), "\(cisa.stdout)")
        #expect(cisa.stdout.contains("EXSA-123456  Example ProductCERT  referenced by this one  strong"), "\(cisa.stdout)")
        #expect(cisa.stdout.contains("published 2026-04-03, 7 days earlier"))
        let same = try await Executables.runVigil(["related", "--db", db, "ICSA-26-125-02"])
        #expect(same.stdout.contains("EXSA-123457  Example ProductCERT  same CVEs  strong  CVE-2026-3000  published 2026-05-01, 4 days earlier"),
                "\(same.stdout)")
    }

    @Test("an advisory without links says so and succeeds; an unknown ID names it and exits 1")
    func unlinkedAndUnknown() async throws {
        let (folder, db) = try await Self.store()
        defer { folder.remove() }
        let unlinked = try await Executables.runVigil(["related", "--db", db, "OTHER-2026-0001"])
        #expect(unlinked.status == 0, "\(unlinked.stderr)")
        #expect(unlinked.stdout == "OTHER-2026-0001 (Other CERT, first published 2026-04-01): no related advisories of other publishers are stored\n")
        let json = try #require(try await Executables.runVigil(["related", "--db", db, "--json", "OTHER-2026-0001"]).json)
        #expect((json["related"] as? [Any])?.isEmpty == true)

        let unknown = try await Executables.runVigil(["related", "--db", db, "NOPE-1"])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr.contains("vigil related: no advisory with the ID NOPE-1 is stored"), "\(unknown.stderr)")
        let unknownJSON = try await Executables.runVigil(["related", "--db", db, "--json", "NOPE-1"])
        #expect(unknownJSON.status == 1)
    }

    @Test("JSON: advisory_id and each related advisory's id, publisher, reason, strength, shared CVEs, date and lag in snake_case")
    func json() async throws {
        let (folder, db) = try await Self.store()
        defer { folder.remove() }
        let output = try await Executables.runVigil(["related", "--db", db, "--json", "EXSA-123456"])
        #expect(output.status == 0, "\(output.stderr)")
        let json = try #require(output.json, "\(output.stdout)")
        #expect(json["advisory_id"] as? String == "EXSA-123456")
        #expect(json["publisher"] as? String == "Example ProductCERT")
        #expect(json["initial_release_date"] as? String == "2026-04-03T10:00:00Z")
        let related = try #require(json["related"] as? [[String: Any]])
        #expect(related.map { $0["id"] as? String } == ["ICSA-26-100-01", "ICSA-26-130-03"])
        let first = related[0]
        #expect(first["publisher"] as? String == "CISA")
        #expect(first["reason"] as? String == "reference")
        #expect(first["strength"] as? String == "strong")
        #expect(first["reference"] as? String == "namedByOther")
        #expect((first["shared_cves"] as? [String])?.count == 5)
        #expect(first["initial_release_date"] as? String == "2026-04-10T10:00:00Z")
        #expect(first["days_after"] as? Int == 7)
        #expect(related[1]["reason"] as? String == "overlappingCVEs")
        #expect(related[1]["strength"] as? String == "weak")
        #expect(related[1]["shared_cves"] as? [String] == ["CVE-2026-1000"])
        #expect(related[1]["days_after"] as? Int == 37)
    }

    @Test("vigil stats: the vendor leads CISA in both republished pairs by a median of 5.5 days; the weak overlap does not count")
    func statsLeadTime() async throws {
        let (folder, db) = try await Self.store()
        defer { folder.remove() }
        let output = try await Executables.runVigil(["stats", "--db", db, "--json"])
        #expect(output.status == 0, "\(output.stderr)")
        let json = try #require(output.json, "\(output.stdout)")
        #expect(json["advisories"] as? Int == 6, "the statistics' own keys stay beside leadTime")
        let leads = try #require(json["leadTime"] as? [[String: Any]], "\(output.stdout)")
        #expect(leads.map { $0["publisher"] as? String } == ["CISA", "Example ProductCERT"])
        let vendor = try #require(leads.first { $0["publisher"] as? String == "Example ProductCERT" })
        #expect(vendor["pairs"] as? Int == 2)
        #expect(vendor["first"] as? Int == 2)
        #expect(vendor["sameDay"] as? Int == 0)
        #expect(vendor["medianLeadDays"] as? Double == 5.5)
        #expect(vendor["others"] as? [String] == ["CISA"])
        let cisa = try #require(leads.first { $0["publisher"] as? String == "CISA" })
        #expect(cisa["pairs"] as? Int == 2)
        #expect(cisa["first"] as? Int == 0)
        #expect(cisa["later"] as? Int == 2)
        #expect(cisa["medianLeadDays"] as? Double == -5.5)

        let text = try await Executables.runVigil(["stats", "--db", db])
        #expect(text.status == 0, "\(text.stderr)")
        let section = try #require(text.stdout.components(separatedBy: "\nLead time").last, "\(text.stdout)")
        #expect(section.contains("Example ProductCERT  2 pairs  first in 2, same day in 0; median 5.5 days earlier (vs CISA)"), "\(section)")
        #expect(section.contains("CISA                 2 pairs  first in 0, same day in 0; median 5.5 days later (vs Example ProductCERT)"),
                "\(section)")
    }
}
