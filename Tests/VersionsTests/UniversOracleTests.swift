import Foundation
import Testing
import Versions
import VigilTestSupport

/// Cross-checks `VersRange.contains(_:)` against Python's `univers` (aboutcode-org), the reference implementation the
/// vers-spec suites were generated with: thousands of pseudo-random (seeded, reproducible) ranges and versions per
/// scheme, one `python3` process answering them all, and no disagreement allowed outside the documented list.
@Suite struct UniversOracleTests {
    /// Schemes compared, with univers' name for each where it differs.
    static let schemes: [(vigil: String, univers: String)] = [
        ("semver", "semver"), ("npm", "npm"), ("golang", "golang"), ("generic", "generic"), ("pypi", "pypi"),
        ("maven", "maven"), ("nuget", "nuget"), ("gem", "gem"), ("deb", "deb"), ("rpm", "rpm"), ("alpine", "apk"),
        ("gentoo", "ebuild"), ("alpm", "alpm"), ("conan", "conan"), ("intdot", "intdot"),
    ]
    static let rangesPerScheme = 40
    static let versionsPerRange = 10

    /// Cases where univers departs from the vers spec; Vigil must give the spec's answer (univers' answer is not
    /// checked, so a fixed univers does not break this test).
    static let documentedDisagreements: [(scheme: String, vers: String, version: String, spec: Bool, why: String)] = [
        // intdot compares integers: 10 > 2, so 1.10 >= 1.2 (spec: IN). univers 32.0.1 compares the version strings
        // character by character and answers NOT IN.
        ("intdot", "vers:intdot/>=1.2", "1.10", true, "univers compares intdot versions as text"),
        // A "!=" version "shall be excluded from the range"; with no other constraint everything else is in
        // (spec: IN). univers answers IN for a single "!=" but NOT IN for two or more.
        ("pypi", "vers:pypi/!=1.0|!=2.0", "1.5", true, "univers drops every version from a range of several !="),
        // Gentoo and Alpine order 7b before 11.3 (numbers compare as integers), so 7b <= 11.3 (spec: IN). univers'
        // GentooVersion compares the strings for <= and >= ("7b" > "11.3" as text) and answers NOT IN; the oracle
        // script gives it <= and >= from univers' own gentoo.vercmp.
        ("alpine", "vers:alpine/<=11.3", "7b", true, "univers compares <= and >= of apk versions as text"),
        ("gentoo", "vers:gentoo/>=12.11.4b", "8.12b", false, "univers compares <= and >= of ebuild versions as text"),
    ]

    /// SplitMix64: a small, seeded generator, so every run checks the same cases.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A random version that both implementations read the same way.
    static func version(for scheme: String, using rng: inout SeededGenerator) -> String {
        func n(_ upper: Int) -> Int { Int.random(in: 0...upper, using: &rng) }
        func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
        func core(_ count: Int, _ upper: Int = 12) -> String { (0..<count).map { _ in String(n(upper)) }.joined(separator: ".") }
        switch scheme {
        case "semver", "npm":
            return core(3) + (n(3) == 0 ? "-" + pick(["alpha", "beta", "rc.1", "alpha.2", "0", "rc.10"]) : "")
        case "golang":
            return (n(1) == 0 ? "v" : "") + core(3) + (n(4) == 0 ? "-" + pick(["rc.1", "beta", "0.20230101120000-abcdef123456"]) : "")
        case "generic":
            return core(1 + n(2))
        case "pypi":
            var text = (n(8) == 0 ? "1!" : "") + core(1 + n(2))
            if n(3) == 0 { text += pick(["a", "b", "rc"]) + String(n(3)) }
            if n(5) == 0 { text += ".post" + String(n(2)) }
            if n(5) == 0 { text += ".dev" + String(n(2)) }
            return text
        case "maven":
            return core(1 + n(2)) + (n(2) == 0 ? pick(["-SNAPSHOT", "-alpha-1", "-beta", "-RC2", ".Final", "-sp1", "-M3", "-ga", "-jre", "a1"]) : "")
        case "nuget":
            return core(3 + n(1), 5) + (n(3) == 0 ? "-" + pick(["beta", "beta.2", "rc.1", "alpha"]) : "")
        case "gem":
            return core(1 + n(2)) + (n(3) == 0 ? pick([".pre", ".beta.2", ".rc1", "-rc.1", ".a"]) : "")
        case "deb":
            return (n(5) == 0 ? "1:" : "") + core(1 + n(2)) + pick(["", "", "~rc1", "+dfsg", "a"]) + (n(1) == 0 ? "-" + String(1 + n(3)) : "")
        case "rpm":
            return (n(5) == 0 ? "1:" : "") + core(1 + n(2)) + pick(["", "", "~rc1", "^git1", "a", ".el8"]) + (n(1) == 0 ? "-" + String(1 + n(3)) : "")
        case "alpine", "gentoo":
            return core(1 + n(2)) + (n(4) == 0 ? "b" : "") + (n(3) == 0 ? pick(["_alpha", "_beta2", "_pre1", "_rc3", "_p1"]) : "")
                + (n(2) == 0 ? "-r" + String(n(3)) : "")
        case "alpm":
            return (n(6) == 0 ? "1:" : "") + core(1 + n(2)) + pick(["", "", "a", "rc1", ".r2"]) + (n(1) == 0 ? "-" + String(1 + n(2)) : "")
        case "conan":
            return core(1 + n(2)) + (n(4) == 0 ? "-" + pick(["pre", "rc1", "alpha.2"]) : "")
        default: // intdot: three one-digit numbers, where univers' text comparison agrees with integers
            return core(3, 9)
        }
    }

    /// A random valid range over versions of `scheme`.
    static func range(for scheme: String, using rng: inout SeededGenerator) throws -> VersRange {
        let ordering = VersionSchemes.named(scheme)!
        while true {
            var versions: [String] = []
            for _ in 0..<(1 + Int.random(in: 0...4, using: &rng)) {
                let candidate = version(for: scheme, using: &rng)
                if !versions.contains(where: { ordering.compare($0, candidate) == .same }) { versions.append(candidate) }
            }
            versions.sort { ordering.compare($0, $1) == .ascending }
            // Walk the versions with the spec's comparator grammar: outside an interval "=", "!=", ">", ">=" (and
            // "<", "<=" before anything else); inside one "!=", "<", "<=".
            var constraints: [VersConstraint] = []
            var inside = false
            for (index, version) in versions.enumerated() {
                let choices: [VersComparator]
                if inside {
                    choices = [.less, .lessOrEqual, .notEqual]
                } else if index == 0 {
                    choices = [.equal, .notEqual, .greater, .greaterOrEqual, .less, .lessOrEqual]
                } else {
                    choices = [.equal, .notEqual, .greater, .greaterOrEqual]
                }
                let comparator = choices[Int.random(in: 0..<choices.count, using: &rng)]
                if comparator.rawValue.hasPrefix(">") { inside = true }
                if comparator.rawValue.hasPrefix("<") { inside = false }
                constraints.append(VersConstraint(comparator: comparator, version: version))
            }
            // Ranges of several "!=" alone are a documented disagreement; they are not drawn at random.
            if constraints.count > 1, constraints.allSatisfy({ $0.comparator == .notEqual }) { continue }
            return try VersRange(scheme: scheme, constraints: constraints)
        }
    }

    static let script = #"""
    import sys
    from urllib.parse import unquote
    from univers import gentoo, versions
    from univers.version_range import RANGE_CLASS_BY_SCHEMES, VersionRange

    class SemverVersionRange(VersionRange):
        scheme = "semver"
        version_class = versions.SemverVersion

    RANGE_CLASS_BY_SCHEMES.setdefault("semver", SemverVersionRange)

    # univers' GentooVersion (also used for apk) defines < and > with its vercmp but inherits <= and >= from a plain
    # comparison of the version strings; give it <= and >= from the same vercmp (see documentedDisagreements).
    versions.GentooVersion.__le__ = lambda a, b: gentoo.vercmp(a.value, b.value) <= 0
    versions.GentooVersion.__ge__ = lambda a, b: gentoo.vercmp(a.value, b.value) >= 0

    with open(sys.argv[1], encoding="utf-8") as cases:
        for line in cases:
            scheme, vers, version = line.rstrip("\n").split("\t")
            try:
                cls = RANGE_CLASS_BY_SCHEMES[scheme]
                # univers does not percent-decode versions (a PyPI epoch "1!2" is written "1%212"): decode here.
                vers = "vers:" + scheme + "/" + unquote(vers.split("/", 1)[1])
                value = VersionRange.from_string(vers)
                print("true" if value.version_class(version) in value else "false")
            except Exception as error:
                print("error " + type(error).__name__ + ": " + str(error).replace("\n", " "))
    """#

    /// univers' answers for `(scheme, vers, version)` cases, one line each.
    static func universAnswers(_ cases: [(String, String, String)]) throws -> [String] {
        let python = try Executables.find("python3", hint: "install Python 3 and then `pip install univers`")
        do {
            _ = try Executables.run(python, arguments: ["-c", "import univers"])
        } catch {
            throw TestSetupError("Python's univers package is missing: run `pip install univers` (scripts/test installs it)")
        }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let scriptPath = try folder.write(Array(script.utf8), to: "oracle.py")
        let input = cases.map { "\($0.0)\t\($0.1)\t\($0.2)\n" }.joined()
        let inputPath = try folder.write(Array(input.utf8), to: "cases.tsv")
        return try Executables.run(python, arguments: [scriptPath, inputPath]).split(separator: "\n").map(String.init)
    }

    @Test("containment agrees with univers on thousands of random ranges and versions")
    func agreesWithUnivers() throws {
        var rng = SeededGenerator(state: 0x5EED_0F_7E45)
        var cases: [(vigil: String, univers: String, vers: String, version: String)] = []
        for (vigil, univers) in Self.schemes {
            for _ in 0..<Self.rangesPerScheme {
                let range = try Self.range(for: vigil, using: &rng)
                var probes = range.constraints.map(\.version)
                while probes.count < Self.versionsPerRange { probes.append(Self.version(for: vigil, using: &rng)) }
                for probe in probes { cases.append((vigil, univers, range.description, probe)) }
            }
        }
        let answers = try Self.universAnswers(cases.map { ($0.univers, $0.vers, $0.version) })
        try #require(answers.count == cases.count, "univers answered \(answers.count) of \(cases.count) cases")
        var disagreements: [String] = []
        for (test, answer) in zip(cases, answers) {
            let mine: String
            do { mine = try VersRange.parse(test.vers).contains(test.version) ? "true" : "false" } catch { mine = "error \(error)" }
            if mine != answer { disagreements.append("\(test.vers) contains \(test.version): Vigil \(mine), univers \(answer)") }
        }
        #expect(cases.count >= 5000, "only \(cases.count) pairs compared")
        // Both answers must be common, or the comparison would prove little.
        let inside = answers.filter { $0 == "true" }.count
        #expect(inside > cases.count / 5 && inside < cases.count * 4 / 5, "univers found \(inside) of \(cases.count) inside")
        let listing = disagreements.prefix(40).joined(separator: "\n")
        #expect(disagreements.isEmpty, "\(disagreements.count) of \(cases.count) disagree:\n\(listing)")
    }

    @Test("the documented departures of univers from the spec get the spec's answer")
    func documentedDisagreementsFollowTheSpec() throws {
        for entry in Self.documentedDisagreements {
            let got = try VersRange.parse(entry.vers).contains(entry.version)
            #expect(got == entry.spec, "\(entry.vers) contains \(entry.version): expected \(entry.spec) (\(entry.why))")
        }
    }
}
