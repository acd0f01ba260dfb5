import CSAF
import Foundation
import Sources
import Testing
import VigilTestSupport

/// `vigil validate` and the §6 tests over every real provider's documents in `../shared/data/providers`.
@Suite("vigil validate")
struct ValidateCommandTests {
    /// The real providers' documents that fail a mandatory test, and why; each was read by hand:
    /// - NI's remediations name product IDs (`FlexLogger-affected`) its product trees never define (6.1.1), and one
    ///   document gives the base score as the environmental score, which CVSS 3.1 computes as 8.3 for its changed
    ///   scope (6.1.9).
    /// - NI writes CWE-681's name with a capital "Between"; MITRE's list says "between" (6.1.11).
    /// - Siemens' SSA-130874 starts its revision history at version 3, the first two revisions left out (6.1.21).
    static let knownMandatoryFailures: [String: [String]] = [
        "ni/csaf/advisories/2021/ni_cve-2021-38304.json": ["6.1.9"],
        "ni/csaf/advisories/2022/ni_cve-2022-27237.json": ["6.1.1", "6.1.1"],
        "ni/csaf/advisories/2023/ni_cve-2023-4601.json": ["6.1.1"],
        "ni/csaf/advisories/2024/ni_cve-2024-4044.json": ["6.1.1", "6.1.1"],
        "ni/csaf/advisories/2024/ni_cve-2024-5602.json": ["6.1.1"],
        "ni/csaf/advisories/2024/ni_cve-2024-6122.json": ["6.1.1"],
        "ni/csaf/advisories/2026/ni_cve-2026-9143.json": ["6.1.11"],
        "siemens-sample/siemens-security-advisories-csaf-feed-tlp-white/ssa-130874.json": ["6.1.21"],
    ]

    @Test("every provider's documents are validated; the mandatory failures are exactly the explained ones; the findings per provider are printed")
    func realProviders() throws {
        let root = try SharedData.url("providers")
        let providers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(providers.count >= 7)
        var mandatory: [String: [String]] = [:]
        var documents = 0
        for provider in providers {
            let report = try ConformanceRun.run(paths: [root.appendingPathComponent(provider).path], groups: Set(ConformanceGroup.allCases))
            #expect(report.files.allSatisfy { $0.error == nil }, "\(provider): \(report.files.compactMap(\.error).prefix(3))")
            documents += report.files.count
            var counts: [String: Int] = [:]
            for file in report.files {
                for finding in file.findings { counts[finding.test, default: 0] += 1 }
                let failed = file.findings.filter { $0.group == .mandatory }.map(\.test)
                if !failed.isEmpty { mandatory[String(file.path.dropFirst(root.path.count + 1)), default: []] += failed }
            }
            let summary = counts.sorted { CSAFConformance.order($0.key).lexicographicallyPrecedes(CSAFConformance.order($1.key)) }
                .map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            print("validate \(provider): \(report.files.count) documents, \(report.skipped.count) other JSON skipped; findings: \(summary.isEmpty ? "none" : summary)")
        }
        #expect(documents > 2_600, "\(documents) documents")
        #expect(mandatory == Self.knownMandatoryFailures, "\(mandatory)")
    }

    @Test("text and --json output, the profile, exit status 1 for a mandatory failure or an unreadable document, 2 for a missing path")
    func commandLine() async throws {
        let data = try SharedData.url("oasis-csaf-2.0/test/validator/data")
        let failing = data.appendingPathComponent("mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json").path
        let passing = data.appendingPathComponent("mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-11.json").path
        let optionalOnly = data.appendingPathComponent("optional/oasis_csaf_tc-csaf_2_0-2021-6-2-04-01.json").path

        let clean = try await Executables.runVigil(["validate", passing, "--profile", "mandatory"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("\(passing): passes"))

        let text = try await Executables.runVigil(["validate", failing])
        #expect(text.status == 1)
        #expect(text.stdout.contains("  6.1.1 (mandatory) $.") && text.stdout.contains("is used here but no product in the product tree defines it"))
        #expect(text.stdout.contains("Not run: 6.3.6"))

        // Only optional findings: reported, exit 0; with --profile mandatory, not even reported.
        let optional = try await Executables.runVigil(["validate", optionalOnly])
        #expect(optional.status == 0 && optional.stdout.contains("6.2.4 (optional)"), "\(optional.stdout)")
        let mandatoryOnly = try await Executables.runVigil(["validate", optionalOnly, "--profile", "mandatory"])
        #expect(mandatoryOnly.status == 0 && !mandatoryOnly.stdout.contains("6.2.4"))

        // --json: a files entry for every document, an empty list when it passes.
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let truncated = folder.url.appendingPathComponent("truncated.json").path
        try Data(#"{"document": {"category": "csaf_base""#.utf8).write(to: URL(fileURLWithPath: truncated))
        let feed = folder.url.appendingPathComponent("feed.json").path
        try Data(#"{"feed": {"id": "x", "entry": []}}"#.utf8).write(to: URL(fileURLWithPath: feed))
        let json = try await Executables.runVigil(["validate", "--json", failing, passing, truncated, feed])
        #expect(json.status == 1)
        struct Output: Decodable {
            struct File: Decodable {
                struct Finding: Decodable { var test: String; var group: String; var path: String; var message: String }
                var path: String
                var findings: [Finding]
                var error: String?
            }
            struct NotRun: Decodable { var test: String; var reason: String }
            var files: [File]
            var not_run: [NotRun]
        }
        let output = try JSONDecoder().decode(Output.self, from: Data(json.stdout.utf8))
        #expect(output.files.map(\.path) == [failing, passing, truncated, feed])
        #expect(output.files[0].findings.contains { $0.test == "6.1.1" && $0.group == "mandatory" && $0.path.hasPrefix("$.") })
        #expect(output.files[1].findings.filter { $0.group == "mandatory" }.isEmpty && output.files[1].error == nil)
        #expect(output.files[2].error?.contains("invalid JSON at line 1") == true, "\(output.files[2])")
        #expect(output.files[3].error == "not a CSAF document: it is a ROLIE feed", "\(output.files[3])")
        #expect(output.not_run.map(\.test) == ["6.3.6", "6.3.7", "6.3.8"])

        let missing = try await Executables.runVigil(["validate", folder.url.appendingPathComponent("nowhere").path])
        #expect(missing.status == 2 && missing.stderr.contains("vigil validate:"))
    }

    @Test("--online runs 6.3.6 and 6.3.7: a 404 fails, a redirect's first answer counts, each URL is requested once; loopback needs --allow-private-network")
    func online() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let server = ProviderMirror(root: folder.url, prefixes: [])
        server.set("ok.html", Array("<p>here</p>".utf8))
        let serving = try await server.start()
        defer { serving.stop() }
        let base = server.base
        server.fault("moved", .redirect(base + "gone-too"))
        var crafted = CraftedAdvisory(id: "EX-2026-0042", publisher: .init(name: "Example", category: "vendor", namespace: base + "ok.html"),
                                      references: [base + "ok.html", base + "moved", base + "gone"])
        crafted.title = "Example PLC"
        var object = try #require(try JSONSerialization.jsonObject(with: Data(crafted.bytes)) as? [String: Any])
        var header = try #require(object["document"] as? [String: Any])
        var references = try #require(header["references"] as? [[String: Any]])
        references.append(["category": "self", "summary": "This advisory", "url": base + "advisories/ex-2026-0042.json"])
        header["references"] = references
        object["document"] = header
        let path = folder.url.appendingPathComponent("ex-2026-0042.json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        // The same URLs twice: requested once each.
        let copy = folder.url.appendingPathComponent("copy.json").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)

        struct Output: Decodable {
            struct File: Decodable { var path: String; var findings: [ConformanceFinding] }
            struct NotRun: Decodable { var test: String }
            var files: [File]
            var not_run: [NotRun]
        }
        let run = try await Executables.runVigil(["validate", "--online", "--allow-private-network", "--json", path, copy])
        let output = try JSONDecoder().decode(Output.self, from: Data(run.stdout.utf8))
        #expect(output.not_run.map(\.test) == ["6.3.8"])
        for file in output.files {
            let links = file.findings.filter { ["6.3.6", "6.3.7"].contains($0.test) }
            #expect(links.map(\.test) == ["6.3.6", "6.3.7"], "\(links)")
            #expect(links.first?.path == "$.document.references[2].url")
            #expect(links.first?.message.hasPrefix("the URL \(base)gone does not resolve: \(base)gone answered HTTP 404") == true, "\(links)")
            #expect(links.last?.path == "$.document.references[3].url")
            #expect(links.last?.message.hasPrefix("the document's own (self) reference \(base)advisories/ex-2026-0042.json does not resolve") == true)
        }
        #expect(server.requests(for: "gone") == 1 && server.requests(for: "ok.html") == 1 && server.requests(for: "moved") == 1)
        #expect(server.requests(for: "gone-too") == 1, "the redirect is followed, but its first answer decides")

        // Without --allow-private-network, a loopback URL is refused, and said so.
        let refused = try await Executables.runVigil(["validate", "--online", path])
        #expect(refused.stdout.contains("6.3.6 (informative) $.document.references[0].url: the URL \(base)ok.html does not resolve: refused"), "\(refused.stdout)")
        #expect(!refused.stdout.contains("Not run: 6.3.6"))
        let usage = try await Executables.runVigil(["validate", "--online", "--profile", "mandatory", path])
        #expect(usage.status != 0 && usage.stderr.contains("--online runs informative tests"))
    }
}
