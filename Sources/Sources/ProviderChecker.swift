import CSAF
import Foundation
import Storage
import OpenPGP
import Synchronization

/// Checks a CSAF provider (or aggregator) against the distribution requirements of CSAF 2.0 §7.1, and tells which
/// roles of §7.2 it meets: `vigil check-provider URL|DOMAIN`.
///
/// Everything is fetched as an anonymous reader would (no credentials), under the same outbound rules as a sync. The
/// listings (ROLIE feeds, `index.txt`, `changes.csv`) are read whole; documents are checked newest first, up to
/// `Options.maxDocuments`, each with its hash and signature files. Every problem names the URL at fault.
public struct ProviderChecker: Sendable {
    public struct Options: Sendable {
        /// Documents fetched and checked, newest first; nil checks every listed document.
        public var maxDocuments: Int? = 100
        /// Documents checked at once.
        public var concurrency = 8
        /// Lets the check reach private and loopback addresses that the input does not name itself.
        public var allowPrivateNetwork = false
        public var now: @Sendable () -> Date = { Date() }
        public init() {}
    }

    let fetcher: HTTPFetcher
    let options: Options

    public init(fetcher: HTTPFetcher, options: Options = Options()) {
        self.fetcher = fetcher
        self.options = options
    }

    static let titles = [
        1: "Valid CSAF document", 2: "Filename", 3: "TLS", 4: "TLP:WHITE", 5: "TLP:AMBER and TLP:RED", 6: "No redirects",
        7: "provider-metadata.json", 8: "security.txt", 9: "Well-known URL for provider-metadata.json", 10: "DNS path",
        11: "One folder per year", 12: "index.txt", 13: "changes.csv", 14: "Directory listings", 15: "ROLIE feed",
        16: "ROLIE service document", 17: "ROLIE category document", 18: "Integrity", 19: "Signatures", 20: "Public OpenPGP key",
        21: "List of CSAF providers", 22: "Two disjoint issuing parties", 23: "Mirror",
    ]

    public func check(_ input: String) async -> ProviderCheckReport {
        let run = CheckRun(input: input.trimmingCharacters(in: .whitespacesAndNewlines), fetcher: fetcher, options: options)
        await run.perform()
        return run.report()
    }
}

/// What one check collects, requirement by requirement.
struct Tally: Sendable {
    var problems: [Int: [String]] = [:]
    var counts: [Int: Int] = [:]
    var notApplicable: [Int: String] = [:]
    var passes: [Int: String] = [:]
    var advice: [Int: [String]] = [:]

    mutating func fail(_ number: Int, _ problem: String) {
        counts[number, default: 0] += 1
        if problems[number, default: []].count < ProviderCheckReport.maxProblems { problems[number, default: []].append(problem) }
    }

    mutating func advise(_ number: Int, _ text: String) {
        if advice[number, default: []].count < ProviderCheckReport.maxProblems, !advice[number, default: []].contains(text) {
            advice[number, default: []].append(text)
        }
    }

    mutating func merge(_ other: Tally) {
        for (number, list) in other.problems {
            for problem in list { fail(number, problem) }
            counts[number, default: 0] += other.counts[number, default: 0] - list.count
        }
        for (number, list) in other.advice { for text in list { advise(number, text) } }
    }

    func failed(_ number: Int) -> Bool { counts[number, default: 0] > 0 }
}

/// One document to check, as a listing names it.
struct ListedDocument: Sendable {
    enum Origin: Sendable {
        /// A ROLIE feed with its TLP label; the sidecars the entry links.
        case rolie(feed: String, tlp: String, hashes: [String], signatures: [String])
        /// A directory distribution: its base URL, the path below it, and the time `changes.csv` gives.
        case directory(base: String, path: String, changed: String?)
    }
    var url: String
    var updated: Date?
    var origins: [Origin]
}

final class CheckRun: @unchecked Sendable {
    let input: String
    let fetcher: HTTPFetcher
    let options: ProviderChecker.Options
    let redirects = RedirectLog()
    let access: OutboundAccess
    /// Every URL requested or named by the metadata, for requirement 3.
    let urls = Mutex<Set<String>>([])
    var tally = Tally()
    var kind = "unknown"
    var metadataURL: String?
    var name: String?
    var claimedRole: String?
    var listed = 0
    var checked = 0
    var usesDirectory = false
    var usesROLIE = false
    var keyring: Keyring?
    /// The metadata's publisher namespace, compared with the documents' (§7.1.7 says they SHOULD match).
    var metadataPublisher: String?
    /// Aggregators: issuing parties mirrored on the aggregator's own host.
    var ownMirrors = 0

    init(input: String, fetcher: HTTPFetcher, options: ProviderChecker.Options) {
        self.input = input
        self.fetcher = fetcher
        self.options = options
        let typed = input.contains("://") ? input : (CheckRun.isLoopbackHost(input) ? "http://" : "https://") + input + "/"
        access = .configured(typed, allowPrivateNetwork: options.allowPrivateNetwork)
    }

    static func isLoopbackHost(_ text: String) -> Bool {
        let host = text.split(separator: "/").first.map(String.init) ?? text
        return LoopbackHost.contains(URLComponents(string: "http://" + host)?.host ?? host)
    }

    // MARK: Fetching

    enum Fetched {
        case body([UInt8])
        case failed(FetchFailure)
    }

    func fetch(_ url: String, json: Bool = false, maxBytes: Int? = nil) async -> Fetched {
        urls.withLock { _ = $0.insert(url) }
        do {
            let result = try await fetcher.get(url, maxBytes: maxBytes ?? fetcher.policy.maxListingBytes, expectJSON: json,
                                               access: access, redirects: redirects)
            guard case .fetched(let body, _, _) = result else {
                return .failed(FetchFailure(url: url, kind: .httpStatus, status: 304, message: "\(url) answered 304 to an unconditional request"))
            }
            return .body(body)
        } catch {
            return .failed(error)
        }
    }

    // MARK: The check

    func perform() async {
        let located = await locate()
        guard let metadataURL = located.url, let metadata = located.value else {
            tally.fail(7, located.problem ?? "no provider metadata was found")
            for number in 1...23 where ![7, 8, 9, 10].contains(number) {
                tally.notApplicable[number] = "not checked: the provider metadata could not be read"
            }
            return
        }
        self.metadataURL = metadataURL
        if JSONDocumentKind.classify(metadata) == .aggregator {
            kind = "aggregator"
            await checkAggregator(metadata, url: metadataURL)
            return
        }
        kind = "provider"
        name = metadata["publisher"]?["name"]?.stringValue
        claimedRole = metadata["role"]?.stringValue
        checkMetadata(metadata, url: metadataURL)
        for number in 21...23 { tally.notApplicable[number] = "a requirement of aggregators and listers" }
        await checkKeys(metadata)
        let documents = await checkDistributions(metadata)
        await checkDocuments(documents)
        finish()
    }

    /// Requirements 6 and 3, from every request made.
    func finish() {
        let hops = redirects.all
        for hop in hops { tally.fail(6, "\(hop.from) redirects (HTTP \(hop.status)) to \(hop.to)") }
        if hops.isEmpty { tally.passes[6] = "no request was redirected" }
        let requested = urls.withLock { $0 }.union(hops.map(\.to))
        var local = 0
        for url in requested.sorted() {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { continue }
            if scheme == "https" { continue }
            if LoopbackHost.contains(components.host ?? "") { local += 1; continue }
            tally.fail(3, "\(url) is not served over TLS (https)")
        }
        if !tally.failed(3) {
            if local > 0, local == requested.count {
                tally.notApplicable[3] = "served from this machine over plain HTTP (a mirror or a test): TLS applies to a provider on the network"
            } else {
                tally.passes[3] = "all \(requested.count) URLs requested use HTTPS"
                    + (local > 0 ? " (\(local) on this machine over plain HTTP were not judged)" : "")
            }
        }
    }

    func report() -> ProviderCheckReport {
        let requirements = (1...23).map { number -> ProviderCheckReport.Requirement in
            let title = ProviderChecker.titles[number] ?? ""
            let advice = tally.advice[number] ?? []
            if tally.failed(number) {
                let count = tally.counts[number] ?? 0
                let problems = tally.problems[number] ?? []
                let reason = count == 1 ? problems.first ?? "" : "\(count) problems; the first: \(problems.first ?? "")"
                return .init(number: number, title: title, verdict: .failed, reason: reason, problems: problems, problemCount: count, advice: advice)
            }
            if let why = tally.notApplicable[number] {
                return .init(number: number, title: title, verdict: .notApplicable, reason: why, problems: [], problemCount: 0, advice: advice)
            }
            return .init(number: number, title: title, verdict: .passed, reason: tally.passes[number] ?? "no problem found",
                         problems: [], problemCount: 0, advice: advice)
        }
        return ProviderCheckReport(input: input, kind: kind, url: metadataURL, name: name, claimedRole: claimedRole,
                                   checkedAt: options.now(), documentsListed: listed, documentsChecked: checked,
                                   requirements: requirements, roles: roles(requirements))
    }

    func roles(_ requirements: [ProviderCheckReport.Requirement]) -> [ProviderCheckReport.Role] {
        func ok(_ number: Int) -> Bool { requirements[number - 1].verdict != .failed }
        func passed(_ number: Int) -> Bool { requirements[number - 1].verdict == .passed }
        func missing(_ numbers: [Int]) -> [Int] { numbers.filter { !ok($0) } }
        func because(_ numbers: [Int]) -> String {
            numbers.count == 1 ? "requirement \(numbers[0]) failed" : "requirements " + numbers.map(String.init).joined(separator: ", ") + " failed"
        }
        if kind == "unknown" {
            return ["csaf_publisher", "csaf_provider", "csaf_trusted_provider"].map {
                .init(role: $0, met: false, reason: "no provider metadata was found")
            }
        }
        if kind == "aggregator" {
            let lister = missing([6, 21, 22])
            let aggregator = missing([1, 2, 3, 4, 5, 6, 21, 22, 23])
            let category = claimedRole ?? ""
            return [
                .init(role: "csaf_lister", met: lister.isEmpty && category == "lister",
                      reason: !lister.isEmpty ? because(lister) : category == "lister" ? "requirements 6, 21 and 22 passed" : "its category is \(category), not lister"),
                .init(role: "csaf_aggregator", met: aggregator.isEmpty && category == "aggregator" && ownMirrors >= 2,
                      reason: !aggregator.isEmpty ? because(aggregator) : category != "aggregator" ? "its category is \(category), not aggregator"
                        : ownMirrors < 2 ? "it mirrors \(ownMirrors) issuing part\(ownMirrors == 1 ? "y" : "ies") on its own domain; at least two are required"
                        : "requirements 1 to 6 and 21 to 23 passed, with mirrors of \(ownMirrors) issuing parties"),
            ]
        }
        let publisher = missing([1, 2, 3, 4])
        var provider = publisher + missing([5, 6, 7])
        var providerReason: String?
        if ![8, 9, 10].contains(where: passed) {
            providerReason = "none of requirements 8 to 10 (security.txt, well-known URL, DNS path) passed"
        }
        var distribution: [Int] = []
        if usesROLIE { distribution += missing([15, 16, 17]) }
        if usesDirectory { distribution += missing([11, 12, 13, 14]) }
        if !usesROLIE && !usesDirectory { providerReason = providerReason ?? "the metadata names no distribution (ROLIE feeds or a directory)" }
        provider += distribution
        let trusted = missing([18, 19, 20])
        let providerMet = provider.isEmpty && providerReason == nil
        return [
            .init(role: "csaf_publisher", met: publisher.isEmpty, reason: publisher.isEmpty ? "requirements 1 to 4 passed" : because(publisher)),
            .init(role: "csaf_provider", met: providerMet,
                  reason: providerMet ? "a publisher meeting requirements 5 to 7, one of 8 to 10, and those of its distribution"
                    : [provider.isEmpty ? nil : because(provider), providerReason].compactMap { $0 }.joined(separator: "; ")),
            .init(role: "csaf_trusted_provider", met: providerMet && trusted.isEmpty,
                  reason: !providerMet ? "not a provider" : trusted.isEmpty ? "a provider meeting requirements 18 to 20" : because(trusted)),
        ]
    }
}
