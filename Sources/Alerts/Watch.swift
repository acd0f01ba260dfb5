import CSAF
import Matching

/// What an organisation watches: one rule, with the least severity an advisory must have to alert.
public struct Watch: Sendable, Equatable, Codable {
    /// The kinds of watch the issue names: a vendor, a product, a sector, a publisher, a CVSS threshold, CVEs in
    /// CISA's KEV catalogue, a keyword, or anything affecting the organisation's inventory.
    public enum Rule: Sendable, Equatable, Codable {
        case vendor(String)
        case product(String)
        case sector(String)
        case publisher(String)
        case minimumCVSS(Double)
        case knownExploited
        case keyword(String)
        case assets

        /// `vendor Siemens`, `CVSS ≥ 9.0`: how the rule reads in lists and alert reasons.
        public var label: String {
            switch self {
            case let .vendor(name): "vendor \(name)"
            case let .product(name): "product \(name)"
            case let .sector(name): "sector \(name)"
            case let .publisher(name): "publisher \(name)"
            case let .minimumCVSS(score): "CVSS ≥ \(score)"
            case .knownExploited: "known exploited (CISA KEV)"
            case let .keyword(word): "keyword \"\(word)\""
            case .assets: "your asset inventory"
            }
        }
    }

    public var id: Int64
    public var rule: Rule
    /// Advisories below this severity do not alert through this watch; nil alerts at every severity.
    public var minimumSeverity: Severity?

    public init(id: Int64, rule: Rule, minimumSeverity: Severity? = nil) {
        self.id = id
        self.rule = rule
        self.minimumSeverity = minimumSeverity
    }
}

/// What is known about an advisory beyond its document when watches are checked.
public struct AdvisoryContext: Sendable {
    /// CVEs of the advisory in CISA's KEV catalogue.
    public var knownExploitedCVEs: Set<String>
    /// The organisation's assets the advisory affects or may affect (affected, under investigation, unknown).
    public var exposedAssets: Int

    public init(knownExploitedCVEs: Set<String> = [], exposedAssets: Int = 0) {
        self.knownExploitedCVEs = knownExploitedCVEs
        self.exposedAssets = exposedAssets
    }
}

/// One watch that matched, and why.
public struct WatchMatch: Sendable, Equatable, Codable {
    public var watchID: Int64
    public var reason: String
}

/// Checks an organisation's watches against one advisory. Pure: the caller supplies the context.
public struct WatchEvaluator: Sendable {
    let directory: VendorDirectory

    public init(directory: VendorDirectory = VendorDirectory()) {
        self.directory = directory
    }

    /// The watches the advisory matches, each with a reason a person can check.
    public func matches(_ watches: [Watch], advisory: Advisory, context: AdvisoryContext) -> [WatchMatch] {
        watches.compactMap { watch in
            if let minimum = watch.minimumSeverity, advisory.severity < minimum { return nil }
            return reason(watch.rule, advisory: advisory, context: context).map { WatchMatch(watchID: watch.id, reason: $0) }
        }
    }

    func reason(_ rule: Watch.Rule, advisory: Advisory, context: AdvisoryContext) -> String? {
        switch rule {
        case let .vendor(name):
            let wanted = Set(directory.vendorKeys(name))
            let named = advisory.vendors + advisory.products.map(\.vendor)
            guard let hit = named.first(where: { !wanted.isDisjoint(with: directory.vendorKeys($0)) }) else { return nil }
            return "names the vendor \(hit)"
        case let .product(name):
            let wanted = Set(ProductName.tokens(name))
            guard !wanted.isEmpty else { return nil }
            guard let hit = advisory.products.first(where: { product in
                let words = Set(ProductName.tokens(product.vendor + " " + product.product))
                return wanted.isSubset(of: words)
            }) else { return nil }
            return "names the product \(hit.fullName)"
        case let .sector(name):
            guard let hit = advisory.sectors.first(where: { $0.caseInsensitiveEquals(name) }) else { return nil }
            return "concerns the sector \(hit)"
        case let .publisher(name):
            guard advisory.publisher.name.caseInsensitiveEquals(name) || advisory.publisher.namespace.lowercased().contains(name.lowercased())
            else { return nil }
            return "is published by \(advisory.publisher.name)"
        case let .minimumCVSS(threshold):
            guard let score = advisory.highestScore?.score, score >= threshold else { return nil }
            return "scores CVSS \(score) (at least \(threshold))"
        case .knownExploited:
            let listed = advisory.cves.filter(context.knownExploitedCVEs.contains)
            guard !listed.isEmpty else { return nil }
            return "has \(listed.joined(separator: ", ")) in CISA's Known Exploited Vulnerabilities catalogue"
        case let .keyword(word):
            let needle = word.lowercased()
            guard !needle.isEmpty else { return nil }
            let haystacks = [advisory.title, advisory.riskSummary ?? ""] + advisory.cves
                + advisory.products.map { "\($0.vendor) \($0.fullName)" }
            guard haystacks.contains(where: { $0.lowercased().contains(needle) }) else { return nil }
            return "mentions \"\(word)\""
        case .assets:
            guard context.exposedAssets > 0 else { return nil }
            return "affects \(context.exposedAssets) of your assets"
        }
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}
