import CSAF
import Testing

/// Remediation categories: one enum, each with the label pages and messages show.
@Suite struct RemediationCategoryTests {
    @Test("every CSAF category has its label; a value CSAF does not define is shown as it is")
    func labels() {
        #expect(Remediation.Category.allCases.map(\.label) == ["Mitigation", "Workaround", "No fix planned", "None available", "Vendor fix"])
        #expect(Remediation.Category.label(for: "vendor_fix") == "Vendor fix")
        #expect(Remediation.Category.label(for: "no_fix_planned") == "No fix planned")
        #expect(Remediation.Category.label(for: "optional_patch") == "optional_patch")
    }
}
