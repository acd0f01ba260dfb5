import Foundation

/// Crafted advisories of two publishers describing the same vulnerabilities, for `vigil related`, the lead time of
/// `vigil stats` and `/sources`:
/// - Example ProductCERT's EXSA-123456 (2026-04-03, five CVEs) and CISA's republication ICSA-26-100-01 seven days later,
///   whose references name `https://example.com/advisories/exsa-123456.json` (a strong `reference` link);
/// - EXSA-123457 (2026-05-01) and ICSA-26-125-02 four days later with the same one CVE (a strong `sameCVEs` link);
/// - CISA's ICSA-26-130-03, sharing one of EXSA-123456's CVEs among four (a weak overlap, no republication);
/// - Other CERT's OTHER-2026-0001, linked to nothing.
///
/// So Example ProductCERT leads CISA in two pairs, by 7 and 4 days: a median of 5.5 days.
public enum RelatedAdvisoryFixtures {
    public static let other = CraftedAdvisory.Publisher(name: "Other CERT", category: "vendor", namespace: "https://other.example")

    public static var advisories: [CraftedAdvisory] {
        let fiveCVEs = (1000...1004).map { "CVE-2026-\($0)" }
        return [
            CraftedAdvisory(id: "EXSA-123456", publisher: .example, cves: fiveCVEs, released: "2026-04-03"),
            CraftedAdvisory(id: "ICSA-26-100-01", publisher: .cisa, cves: fiveCVEs,
                            references: ["https://example.com/advisories/exsa-123456.json"], released: "2026-04-10"),
            CraftedAdvisory(id: "EXSA-123457", publisher: .example, cves: ["CVE-2026-3000"], released: "2026-05-01"),
            CraftedAdvisory(id: "ICSA-26-125-02", publisher: .cisa, cves: ["CVE-2026-3000"], released: "2026-05-05"),
            CraftedAdvisory(id: "ICSA-26-130-03", publisher: .cisa, cves: ["CVE-2026-1000", "CVE-2026-4000", "CVE-2026-4001", "CVE-2026-4002"],
                            released: "2026-05-10"),
            CraftedAdvisory(id: "OTHER-2026-0001", publisher: other, vendor: "Other", products: [.init("Other HMI", "< 3.0")],
                            cves: ["CVE-2026-2000"], released: "2026-04-01"),
        ]
    }

    /// Writes the advisories into `directory`, each named as CSAF names it (`exsa-123456.json`); returns the paths.
    @discardableResult
    public static func write(to directory: URL) throws -> [String] {
        try advisories.map { advisory in
            let url = directory.appendingPathComponent(advisory.id.lowercased() + ".json")
            try Data(advisory.bytes).write(to: url)
            return url.path
        }
    }
}
