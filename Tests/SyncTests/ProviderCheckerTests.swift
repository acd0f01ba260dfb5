import Crypto
import Foundation
import Sources
import Storage
import Testing
import VigilTestSupport

/// `ProviderChecker` (`vigil check-provider`) against real provider folders served on loopback: CISA's, gocsaf's two
/// test providers with their test server's switches, and providers broken on purpose.
@Suite("Provider checker (CSAF 2.0 §7)", .serialized)
struct ProviderCheckerTests {
    static func check(_ input: String, maxDocuments: Int? = 100) async throws -> ProviderCheckReport {
        var policy = FetchPolicy()
        policy.perHostRequestsPerSecond = nil
        policy.attempts = 1
        var options = ProviderChecker.Options()
        options.maxDocuments = maxDocuments
        return try await HTTPFetcher.with(policy: policy) { fetcher in
            await ProviderChecker(fetcher: fetcher, options: options).check(input)
        }
    }

    static func describe(_ report: ProviderCheckReport) -> String {
        report.requirements.map { "\($0.number) \($0.verdict.rawValue): \($0.reason) \($0.problems.dropFirst().prefix(3)) \($0.advice)" }
            .joined(separator: "\n") + "\n" + report.roles.map { "\($0.role) \($0.met): \($0.reason)" }.joined(separator: "\n")
    }

    static func verdicts(_ report: ProviderCheckReport) -> [Int: ProviderCheckReport.Verdict] {
        Dictionary(uniqueKeysWithValues: report.requirements.map { ($0.number, $0.verdict) })
    }

    /// Serves at `path` the mirror's provider metadata with `change` made to its first distribution's `rolie` object.
    static func setMetadata(_ mirror: ProviderMirror, at path: String, _ change: (inout [String: Any]) throws -> Void) throws {
        let served = try #require(mirror.served("provider-metadata.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(served)) as? [String: Any])
        var distributions = try #require(object["distributions"] as? [[String: Any]])
        var rolie = try #require(distributions[0]["rolie"] as? [String: Any])
        try change(&rolie)
        distributions[0]["rolie"] = rolie
        object["distributions"] = distributions
        mirror.set(path, [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])))
    }

    @Test("CISA's provider on loopback, found from its host name: a trusted provider but for its IT feed's \"ref\" links")
    func cisa() async throws {
        let mirror = try ProviderMirror.cisa()
        try await mirror.run { mirror in
            mirror.set(".well-known/csaf/provider-metadata.json", try #require(mirror.content("provider-metadata.json")))
            mirror.set(".well-known/security.txt", Array("Contact: mailto:central@cisa.dhs.gov\nCSAF: \(mirror.base).well-known/csaf/provider-metadata.json\n".utf8))
            let host = "127.0.0.1:\(mirror.port.withLock { $0 })"
            let report = try await Self.check(host, maxDocuments: 200)
            let verdicts = Self.verdicts(report)
            #expect(report.kind == "provider")
            #expect(report.name == "CISA")
            #expect(report.url == mirror.base + ".well-known/csaf/provider-metadata.json")
            #expect(report.claimedRole == "csaf_trusted_provider")
            #expect(report.documentsListed == 2_383)
            #expect(report.documentsChecked == 200)
            // Everything CISA's folder holds passes: valid documents named by their IDs, hashes, signatures by the key
            // the metadata pins, the well-known URL and security.txt (set above, as CISA's site serves them).
            for number in [1, 2, 4, 6, 7, 8, 9, 18, 19, 20] {
                #expect(verdicts[number] == .passed, "\(number): \(Self.describe(report))")
            }
            // Plain HTTP on loopback is not judged; an address has no DNS name; a ROLIE provider has no directory.
            for number in [3, 5, 10, 11, 12, 13, 14, 16, 17, 21, 22, 23] {
                #expect(verdicts[number] == .notApplicable, "\(number): \(Self.describe(report))")
            }
            // CISA's IT feed links its hash and signature files with "ref" where RFC 8322 says "rel".
            let feed = try #require(report.requirements.first { $0.number == 15 })
            #expect(feed.verdict == .failed)
            #expect(feed.problems.allSatisfy { $0.contains("cisa-csaf-it-feed-tlp-white.json") && $0.contains("with \"ref\"") }, "\(feed.problems)")
            #expect(report.quality == "csaf_publisher")
            #expect(report.summary.hasPrefix("meets publisher (claims trusted provider); 1 of 11 applicable requirements failed: 15"), "\(report.summary)")
            let provider = try #require(report.roles.first { $0.role == "csaf_provider" })
            #expect(!provider.met && provider.reason == "requirement 15 failed")
            // The OT feed alone, as CISA's OT users would follow it, is a trusted provider's.
            try Self.setMetadata(mirror, at: "ot/provider-metadata.json") { rolie in
                rolie["feeds"] = (try #require(rolie["feeds"] as? [[String: Any]])).filter { ($0["url"] as? String)?.contains("/OT/") == true }
            }
            mirror.set(".well-known/security.txt", Array("CSAF: \(mirror.base)ot/provider-metadata.json\n".utf8))
            let ot = try await Self.check(mirror.base + "ot/provider-metadata.json", maxDocuments: 50)
            #expect(ot.quality == "csaf_trusted_provider", "\(Self.describe(ot))")
            #expect(ot.failed.isEmpty)
            // Read from another URL than its canonical one: said, not failed.
            #expect(ot.requirements[6].advice.contains { $0.contains("canonical_url is \(mirror.base)provider-metadata.json") })
        }
    }

    @Test("gocsaf's directory provider with its test server's switches: hash files 404 unless enabled")
    func gocsafDirectory() async throws {
        for enabled in [false, true] {
            let mirror = try ProviderMirror.gocsaf(directory: true, flags: ["EnableSha256": enabled, "EnableSha512": enabled])
            try await mirror.run { mirror in
                let report = try await Self.check(mirror.base + "provider-metadata.json")
                let verdicts = Self.verdicts(report)
                #expect(report.documentsListed == 1 && report.documentsChecked == 1)
                for number in [1, 2, 4, 6, 7, 12, 13, 14, 19, 20] { #expect(verdicts[number] == .passed, "\(number): \(Self.describe(report))") }
                for number in [15, 16, 17] { #expect(verdicts[number] == .notApplicable) }
                // gocsaf's own checker agrees on 11 (the document is not in a year folder: processor-requirements/directory.json).
                #expect(report.requirements[10].problems == ["\(mirror.base)white/avendor-advisory-0004.json is not in the folder 2020/ of its initial release date (2020-01-01T00:00:00Z)"])
                // Its security.txt is at the legacy place and names the metadata by a relative reference.
                #expect(report.requirements[7].problems == ["\(mirror.base)security.txt: \"CSAF: /provider-metadata.json\" does not begin with https://"])
                #expect(report.requirements[7].advice.first?.hasPrefix("security.txt is at \(mirror.base)security.txt; RFC 9116 places it at") == true)
                #expect(verdicts[9] == .failed && verdicts[10] == .notApplicable)
                // Without hash files a document breaks §7.1.18 ("SHALL have at least one hash file"); gocsaf's checker
                // reports the 404s only as information here.
                if enabled {
                    #expect(verdicts[18] == .passed)
                } else {
                    #expect(report.requirements[17].problems == ["\(mirror.base)white/avendor-advisory-0004.json has no hash file (avendor-advisory-0004.json.sha256 or .sha512)"])
                }
                #expect(report.quality == "csaf_publisher")
            }
        }
    }

    @Test("gocsaf's ROLIE provider: hash links as enabled, forbidden hash files, a service document")
    func gocsafROLIE() async throws {
        let cases: [(flags: [String: Bool], feed: ProviderCheckReport.Verdict, integrity: ProviderCheckReport.Verdict)] = [
            (["EnableSha256": true, "EnableSha512": true], .passed, .passed),
            // The files exist beside the document but the feed does not link them: §7.1.15 says it must.
            ([:], .failed, .passed),
            // The feed links a hash file that answers 403.
            (["EnableSha256": true, "EnableSha512": true, "ForbidSha512": true], .passed, .failed),
        ]
        for (flags, feed, integrity) in cases {
            let mirror = try ProviderMirror.gocsaf(directory: false, flags: flags)
            try await mirror.run { mirror in
                // The service document gocsaf's testdata holds, named in the metadata as a provider would.
                try Self.setMetadata(mirror, at: "meta/provider-metadata.json") { rolie in rolie["services"] = [mirror.base + "service.json"] }
                let report = try await Self.check(mirror.base + "meta/provider-metadata.json")
                let verdicts = Self.verdicts(report)
                #expect(verdicts[15] == feed, "\(flags): \(Self.describe(report))")
                #expect(verdicts[18] == integrity, "\(flags): \(Self.describe(report))")
                #expect(verdicts[16] == .passed, "\(Self.describe(report))")
                #expect(verdicts[17] == .notApplicable)
                for number in [1, 2, 4, 6, 7, 19, 20] { #expect(verdicts[number] == .passed, "\(number): \(Self.describe(report))") }
                for number in [11, 12, 13, 14] { #expect(verdicts[number] == .notApplicable) }
                if feed == .failed {
                    #expect(report.requirements[14].problems.contains("the hash file \(mirror.base)white/avendor-advisory-0004.json.sha512 exists but the feed entry for avendor-advisory-0004.json does not link it (rel \"hash\")"))
                }
                if integrity == .failed {
                    #expect(report.requirements[17].problems.count == 1)
                    #expect(report.requirements[17].problems.first?.hasPrefix("the feed links the hash file \(mirror.base)white/avendor-advisory-0004.json.sha512, which cannot be read") == true)
                    #expect(report.requirements[17].problems.first?.contains("403") == true)
                }
            }
        }
    }

    @Test("A broken directory provider: an index.txt entry missing from changes.csv, a file not named by its ID, a hash file naming another file")
    func brokenDirectory() async throws {
        let mirror = try ProviderMirror.gocsaf(directory: true, flags: ["EnableSha256": true, "EnableSha512": true])
        try await mirror.run { mirror in
            mirror.set("white/index.txt", Array("avendor-advisory-0004.json\navendor-advisory-0004-not-listed.json\n".utf8))
            let document = try #require(mirror.served("white/avendor-advisory-0004.json"))
            let digest = SHA256.hash(data: document).map { String(format: "%02x", $0) }.joined()
            mirror.set("white/avendor-advisory-0004.json.sha256", Array("\(digest)  avendor-advisory-0005.json\n".utf8))
            let report = try await Self.check(mirror.base + "provider-metadata.json")
            let problems = Dictionary(uniqueKeysWithValues: report.requirements.map { ($0.number, $0.problems) })
            #expect(report.documentsListed == 2)
            #expect(problems[13] == ["avendor-advisory-0004-not-listed.json is in index.txt but not in \(mirror.base)white/changes.csv"])
            #expect(problems[2] == ["\(mirror.base)white/avendor-advisory-0004-not-listed.json: the file is named avendor-advisory-0004-not-listed.json; its tracking ID Avendor-advisory-0004 makes it avendor-advisory-0004.json"])
            #expect(problems[14] == ["the directory listing \(mirror.base)white/ does not show avendor-advisory-0004-not-listed.json"])
            #expect(problems[18]?.contains("\(mirror.base)white/avendor-advisory-0004.json.sha256 names \"avendor-advisory-0005.json\", not \"avendor-advisory-0004.json\"") == true, "\(problems[18] ?? [])")
            #expect(problems[18]?.contains("\(mirror.base)white/avendor-advisory-0004-not-listed.json has no hash file (avendor-advisory-0004-not-listed.json.sha256 or .sha512)") == true)
            #expect(problems[19] == ["\(mirror.base)white/avendor-advisory-0004-not-listed.json has no OpenPGP signature (avendor-advisory-0004-not-listed.json.asc)"])
            // The digest is right; the name is another file's: a hash-file check (sha256sum -c) would fail.
            #expect(!(problems[18] ?? []).contains { $0.contains("hashes to") })
            // changes.csv out of order, and a line that is not two fields.
            mirror.set("white/changes.csv", Array("\"avendor-advisory-0004.json\",\"2020-01-01T00:00:00Z\"\n\"avendor-advisory-0004-not-listed.json\",\"2021-01-01T00:00:00Z\"\nnot a line\n".utf8))
            let unsorted = try await Self.check(mirror.base + "provider-metadata.json")
            let changes = try #require(unsorted.requirements.first { $0.number == 13 })
            #expect(changes.problems.contains("\(mirror.base)white/changes.csv line 2 (2021-01-01T00:00:00Z) is newer than line 1 (2020-01-01T00:00:00Z): lines must be sorted latest first"))
            #expect(changes.problems.contains("\(mirror.base)white/changes.csv line 3 is not \"file name\",\"time\": not a line"))
        }
    }

    @Test("A ROLIE provider that redirects a document to plain HTTP, and opens its TLP:AMBER feed to anyone")
    func redirectsAndAmber() async throws {
        let mirror = try ProviderMirror.gocsaf(directory: false, flags: ["EnableSha256": true, "EnableSha512": true])
        try await mirror.run { mirror in
            let target = "http://csaf.example.invalid/white/avendor-advisory-0004.json"
            mirror.fault("white/avendor-advisory-0004.json", .redirect(target))
            try Self.setMetadata(mirror, at: "meta/provider-metadata.json") { rolie in
                var feeds = try #require(rolie["feeds"] as? [[String: Any]])
                feeds.append(["tlp_label": "AMBER", "url": mirror.base + "white/amber-feed.json", "summary": "TLP:AMBER advisories"])
                rolie["feeds"] = feeds
            }
            mirror.set("white/amber-feed.json", try #require(mirror.served("white/white-feed.json")))
            let report = try await Self.check(mirror.base + "meta/provider-metadata.json")
            let problems = Dictionary(uniqueKeysWithValues: report.requirements.map { ($0.number, $0.problems) })
            #expect(problems[6] == ["\(mirror.base)white/avendor-advisory-0004.json redirects (HTTP 302) to \(target)"])
            #expect(problems[3] == ["\(target) is not served over TLS (https)"])
            #expect(problems[1]?.first?.hasPrefix("\(mirror.base)white/avendor-advisory-0004.json could not be read") == true)
            #expect(problems[5] == ["the TLP:AMBER feed \(mirror.base)white/amber-feed.json can be read without credentials",
                                    "the TLP:AMBER feed \(mirror.base)white/amber-feed.json is in the same folder as a TLP:WHITE, TLP:GREEN or unlabeled feed"])
            #expect(report.quality == nil)
            #expect(report.roles.first { $0.role == "csaf_publisher" }?.reason == "requirements 1, 3 failed")
        }
    }

    @Test("An aggregator: its list, two issuing parties, one mirror beside it, and the mirrored documents checked")
    func aggregator() async throws {
        let mirror = try ProviderMirror.cisa()
        try await mirror.run { mirror in
            let metadata = try #require(mirror.served("provider-metadata.json"))
            mirror.set("agg/cisa/provider-metadata.json", metadata)
            let list: [String: Any] = [
                "aggregator": ["category": "aggregator", "name": "Loopback Aggregator", "namespace": "https://aggregator.example"],
                "aggregator_version": "2.0",
                "canonical_url": mirror.base + "agg/aggregator.json",
                "last_updated": "2026-12-01T00:00:00Z",
                "csaf_providers": [
                    ["metadata": ["last_updated": "2024-07-19T15:17:34Z", "url": "https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json",
                                  "publisher": ["category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov/"]],
                     "mirrors": [mirror.base + "agg/cisa/provider-metadata.json"]],
                    ["metadata": ["last_updated": "2024-01-01T00:00:00Z", "url": "https://psirt.example.com/provider-metadata.json",
                                  "publisher": ["category": "vendor", "name": "Example", "namespace": "https://psirt.example.com"]]],
                ],
            ]
            mirror.set("agg/aggregator.json", [UInt8](try JSONSerialization.data(withJSONObject: list, options: [.withoutEscapingSlashes])))
            let report = try await Self.check(mirror.base + "agg/aggregator.json", maxDocuments: 20)
            let verdicts = Self.verdicts(report)
            #expect(report.kind == "aggregator")
            #expect(report.name == "Loopback Aggregator")
            #expect(report.claimedRole == "aggregator")
            #expect(report.documentsChecked == 20)
            for number in [1, 2, 4, 18, 19, 21, 22, 23] { #expect(verdicts[number] == .passed, "\(number): \(Self.describe(report))") }
            for number in [7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 20] { #expect(verdicts[number] == .notApplicable, "\(number)") }
            let aggregatorRole = try #require(report.roles.first { $0.role == "csaf_aggregator" })
            #expect(!aggregatorRole.met)
            #expect(aggregatorRole.reason == "it mirrors 1 issuing party on its own domain; at least two are required")
            // Beside a provider-metadata.json, the list breaks §7.1.21.
            mirror.set("agg/provider-metadata.json", metadata)
            let beside = try await Self.check(mirror.base + "agg/aggregator.json", maxDocuments: 5)
            #expect(beside.requirements[20].problems == ["\(mirror.base)agg/aggregator.json is stored beside a provider-metadata.json (\(mirror.base)agg/provider-metadata.json); an aggregator list must not be"])
        }
    }

    @Test("Hostile listings: 5,000 changes.csv lines naming nothing real, a feed of the wrong shape: each problem named, lists capped, nothing checked twice")
    func hostile() async throws {
        let directory = try ProviderMirror.gocsaf(directory: true, flags: ["EnableSha256": true])
        try await directory.run { mirror in
            var lines = ""
            for i in 0..<5_000 { lines += "\"2020/x-\(i).json\",\"2020-01-01T00:00:00Z\"\n" }
            mirror.set("white/changes.csv", Array(lines.utf8))
            let report = try await Self.check(mirror.base + "provider-metadata.json", maxDocuments: 10)
            #expect(report.documentsListed == 5_001 && report.documentsChecked == 10)
            let index = report.requirements[11]
            // 5,000 lines index.txt does not have, and the ten checked answering 404.
            #expect(index.verdict == .failed && index.problemCount == 5_010 && index.problems.count == ProviderCheckReport.maxProblems)
            #expect(index.problems.first == "2020/x-0.json is in changes.csv but not in \(mirror.base)white/index.txt")
            #expect(report.requirements[12].problems == ["avendor-advisory-0004.json is in index.txt but not in \(mirror.base)white/changes.csv"])
            #expect(mirror.requests(for: "white/2020/x-0.json") <= 1)
        }
        let rolie = try ProviderMirror.gocsaf(directory: false)
        try await rolie.run { mirror in
            mirror.set("white/white-feed.json", Array(#"{"feed": {"id": 5, "link": "self", "entry": "everything"}}"#.utf8))
            let report = try await Self.check(mirror.base + "provider-metadata.json")
            #expect(report.requirements[14].problems == [
                "\(mirror.base)white/white-feed.json: $.feed.id is missing", "\(mirror.base)white/white-feed.json: $.feed.title is missing",
                "\(mirror.base)white/white-feed.json: $.feed.link has no self link",
                "\(mirror.base)white/white-feed.json: $.feed.updated is missing or not a date-time",
                "\(mirror.base)white/white-feed.json: $.feed.entry is missing or not an array",
            ])
            #expect(report.documentsListed == 0)
            for number in [1, 2, 18, 19] { #expect(report.requirements[number - 1].reason == "no document is listed") }
        }
    }

    @Test("Nothing at the address: requirement 7 fails with every place tried, the rest is not checked")
    func nothingThere() async throws {
        let mirror = try ProviderMirror.gocsaf(directory: true)
        try await mirror.run { mirror in
            let host = "127.0.0.1:\(mirror.port.withLock { $0 })"
            mirror.fault("security.txt", .status(404))
            let report = try await Self.check(host)
            #expect(report.kind == "unknown")
            #expect(report.requirements[6].problems == ["no provider metadata found for \(host): not at \(mirror.base).well-known/csaf/provider-metadata.json, in security.txt, or at https://csaf.data.security.127.0.0.1/"])
            #expect(report.requirements.filter { $0.verdict == .notApplicable }.count == 20)
            #expect(report.quality == nil)
        }
    }

    @Test("An unreachable provider: a refused connection is named for each place tried, and the check ends at once")
    func unreachable() async throws {
        // Port 9 (discard) on loopback: nothing listens there.
        let report = try await Self.check("http://127.0.0.1:9/provider-metadata.json")
        #expect(report.kind == "unknown")
        let metadata = report.requirements[6]
        #expect(metadata.verdict == .failed)
        #expect(metadata.problems.first?.hasPrefix("http://127.0.0.1:9/provider-metadata.json") == true, "\(metadata.problems)")
        #expect(report.requirements[8].problems.first?.hasPrefix("http://127.0.0.1:9/.well-known/csaf/provider-metadata.json") == true)
        #expect(report.roles.allSatisfy { !$0.met && $0.reason == "no provider metadata was found" })
    }

    @Test("vigil check-provider: the report in words or JSON, status 1 when a requirement fails, --source keeps it for /sources")
    func command() async throws {
        let mirror = try ProviderMirror.gocsaf(directory: false, flags: ["EnableSha256": true, "EnableSha512": true])
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        try await mirror.run { mirror in
            let url = mirror.base + "provider-metadata.json"
            let text = try await Executables.runVigil(["check-provider", url, "--host-rate", "0"])
            #expect(text.status == 1, "\(text.stderr)")
            #expect(text.stdout.hasPrefix("Provider: ACME Inc (\(url))\nMeets publisher (claims trusted provider); 2 of 11 applicable requirements failed: 8, 9.\nDocuments: 1 listed, 1 checked.\n"), "\(text.stdout)")
            #expect(text.stdout.contains("  9 Well-known URL for provider-metadata.json  failed\n      - \(mirror.base).well-known/csaf/provider-metadata.json answered HTTP 404"), "\(text.stdout)")
            #expect(text.stdout.contains(" 19 Signatures                                 passed every document checked has a signature that verifies with the provider's key"))
            #expect(text.stdout.contains("Trusted Provider: not met (not a provider)"))

            let json = try await Executables.runVigil(["check-provider", url, "--json", "--host-rate", "0"])
            #expect(json.status == 1)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(report["kind"] as? String == "provider")
            #expect(report["claimed_role"] as? String == "csaf_trusted_provider")
            let requirements = try #require(report["requirements"] as? [[String: Any]])
            #expect(requirements.map { $0["number"] as? Int } == (1...23).map { $0 })
            #expect(requirements[14]["verdict"] as? String == "passed" && requirements[10]["verdict"] as? String == "not_applicable")
            #expect((report["roles"] as? [[String: Any]])?.map { $0["met"] as? Bool } == [true, false, false])

            // Kept as a source's quality; a source that does not exist is said so, with nothing kept.
            #expect(try await Executables.runVigil(["sources", "add", "--db", db, "--slug", "acme", url]).status == 0)
            let kept = try await Executables.runVigil(["check-provider", url, "--db", db, "--source", "acme", "--host-rate", "0"])
            #expect(kept.status == 1, "\(kept.stderr)")
            let list = try await Executables.runVigil(["sources", "list", "--db", db])
            #expect(list.stdout.contains("    CSAF §7: meets publisher (claims trusted provider); 2 of 11 applicable requirements failed: 8, 9 (checked "), "\(list.stdout)")
            let missing = try await Executables.runVigil(["check-provider", url, "--db", db, "--source", "nope", "--host-rate", "0"])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("no source \"nope\""))
            // Nothing to check: a usage error names what to give.
            let empty = try await Executables.runVigil(["check-provider", " "])
            #expect(empty.status != 0 && empty.stderr.contains("give a provider-metadata.json URL or a domain"))
        }
    }
}
