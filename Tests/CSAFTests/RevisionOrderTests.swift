import CSAF
import Testing
import VigilTestSupport

@Suite("Revision order")
struct RevisionOrderTests {
    @Test("integer versions compare as numbers")
    func integers() {
        #expect(RevisionOrder.compareVersions("2", "10") < 0)
        #expect(RevisionOrder.compareVersions("10", "9") > 0)
        #expect(RevisionOrder.compareVersions("3", "3") == 0)
        #expect(RevisionOrder.compareVersions("0", "1") < 0)
    }

    @Test("semantic versions compare by precedence (semver 2.0.0 §11)")
    func semver() {
        // The ordering example from the semantic versioning specification.
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                       "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.9.0", "1.10.0", "2.0.0"]
        for (i, a) in ordered.enumerated() {
            for (j, b) in ordered.enumerated() {
                let result = RevisionOrder.compareVersions(a, b)
                #expect(result.signum() == (i < j ? -1 : i > j ? 1 : 0), "\(a) vs \(b) gave \(result)")
            }
        }
        // Build metadata does not take part in precedence.
        #expect(RevisionOrder.compareVersions("1.0.0+build.1", "1.0.0+build.2") == 0)
        #expect(RevisionOrder.compareVersions("1.0.0-rc.1+build.5", "1.0.0") < 0)
    }

    @Test("the current release date breaks a tie between equal versions, and only then")
    func dateTieBreak() {
        #expect(RevisionOrder.compare(version: "3", date: "2024-01-01T00:00:00Z", to: "3", date: "2024-02-01T00:00:00Z") < 0)
        #expect(RevisionOrder.compare(version: "3", date: "2024-02-01T00:00:00Z", to: "3", date: "2024-01-01T00:00:00Z") > 0)
        #expect(RevisionOrder.compare(version: "3", date: "2024-01-01T01:00:00+01:00", to: "3", date: "2024-01-01T00:00:00Z") == 0)
        #expect(RevisionOrder.compare(version: "4", date: "2020-01-01T00:00:00Z", to: "3", date: "2024-01-01T00:00:00Z") > 0)
        #expect(RevisionOrder.compare(version: "1.0.0", date: "2024-01-01T00:00:00Z", to: "1.0.0", date: "not a date") == 0)
    }

    @Test("with version and date equal, draft < interim < final (an interim advisory made final without a version bump)")
    func statusTieBreak() {
        let date = "2024-09-06T12:16:43Z"
        #expect(RevisionOrder.compare(version: "3", date: date, status: .interim, to: "3", date: date, status: .final) < 0)
        #expect(RevisionOrder.compare(version: "3", date: date, status: .final, to: "3", date: date, status: .interim) > 0)
        #expect(RevisionOrder.compare(version: "3", date: date, status: .draft, to: "3", date: date, status: .interim) < 0)
        #expect(RevisionOrder.compare(version: "3", date: date, status: .final, to: "3", date: date, status: .final) == 0)
        // Version and date still come first.
        #expect(RevisionOrder.compare(version: "4", date: date, status: .draft, to: "3", date: date, status: .final) > 0)
        #expect(RevisionOrder.compare(version: "3", date: "2024-09-07T00:00:00Z", status: .interim, to: "3", date: date, status: .final) > 0)
    }
}
