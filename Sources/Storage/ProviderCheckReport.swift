import Foundation


/// What `vigil check-provider` found: each requirement of CSAF 2.0 §7.1 passed, failed or not applicable, with the
/// reason, and the roles of §7.2 the provider (or aggregator) meets. Stored per source as its quality on `/sources`.
public struct ProviderCheckReport: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable { case passed, failed, notApplicable = "not_applicable" }

    public struct Requirement: Sendable, Codable, Equatable {
        public var number: Int
        public var title: String
        public var verdict: Verdict
        /// One sentence: why it passed, failed or does not apply.
        public var reason: String
        /// What is wrong, one sentence each naming the URL at fault (at most `ProviderCheckReport.maxProblems`).
        public var problems: [String]
        /// How many problems there were in all.
        public var problemCount: Int
        /// What the standard recommends (SHOULD) and the provider does not do: said, never a failure.
        public var advice: [String]

        enum CodingKeys: String, CodingKey { case number, title, verdict, reason, problems, problemCount = "problem_count", advice }

        public init(number: Int, title: String, verdict: Verdict, reason: String, problems: [String], problemCount: Int, advice: [String]) {
            self.number = number
            self.title = title
            self.verdict = verdict
            self.reason = reason
            self.problems = problems
            self.problemCount = problemCount
            self.advice = advice
        }
    }

    public struct Role: Sendable, Codable, Equatable {
        /// `csaf_publisher`, `csaf_provider`, `csaf_trusted_provider`, `csaf_lister` or `csaf_aggregator`.
        public var role: String
        public var met: Bool
        public var reason: String

        public init(role: String, met: Bool, reason: String) {
            self.role = role
            self.met = met
            self.reason = reason
        }
    }

    public static let maxProblems = 20

    public var input: String
    /// `provider` or `aggregator`; `unknown` when nothing readable was found.
    public var kind: String
    /// The provider metadata (or aggregator.json) checked.
    public var url: String?
    public var name: String?
    /// The role the metadata claims (`role`, or the aggregator's category).
    public var claimedRole: String?
    public var checkedAt: Date
    public var documentsListed: Int
    public var documentsChecked: Int
    public var requirements: [Requirement]
    public var roles: [Role]

    enum CodingKeys: String, CodingKey {
        case input, kind, url, name, claimedRole = "claimed_role", checkedAt = "checked_at", documentsListed = "documents_listed",
             documentsChecked = "documents_checked", requirements, roles
    }

    public init(input: String, kind: String, url: String?, name: String?, claimedRole: String?, checkedAt: Date,
                documentsListed: Int, documentsChecked: Int, requirements: [Requirement], roles: [Role]) {
        self.input = input
        self.kind = kind
        self.url = url
        self.name = name
        self.claimedRole = claimedRole
        self.checkedAt = checkedAt
        self.documentsListed = documentsListed
        self.documentsChecked = documentsChecked
        self.requirements = requirements
        self.roles = roles
    }

    /// The highest role met (`csaf_trusted_provider` …), or nil when none is.
    public var quality: String? {
        let order = ["csaf_trusted_provider", "csaf_provider", "csaf_publisher", "csaf_aggregator", "csaf_lister"]
        return order.first { name in roles.contains { $0.role == name && $0.met } }
    }

    public var failed: [Requirement] { requirements.filter { $0.verdict == .failed } }

    /// `trusted provider`, from `csaf_trusted_provider`.
    public static func roleName(_ role: String) -> String {
        role.hasPrefix("csaf_") ? String(role.dropFirst(5)).replacingOccurrences(of: "_", with: " ") : role
    }

    /// One line for a page or a log: "meets trusted provider (claims trusted provider); 2 of 20 requirements failed: 18, 19".
    public var summary: String {
        let met = quality.map { "meets " + Self.roleName($0) } ?? "meets no role"
        let claim = claimedRole.map { " (claims \(Self.roleName($0)))" } ?? ""
        let applicable = requirements.filter { $0.verdict != .notApplicable }.count
        let failing = failed
        let tail = failing.isEmpty ? "all \(applicable) applicable requirements passed"
            : "\(failing.count) of \(applicable) applicable requirements failed: " + failing.map { String($0.number) }.joined(separator: ", ")
        return met + claim + "; " + tail
    }
}

extension ProviderCheckReport {
    /// The report as JSON, as `vigil check-provider --json` prints it and `/sources` keeps it.
    public func json(pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// What a source keeps of this check.
    public func sourceQuality() throws -> SourceQuality {
        SourceQuality(checkedAt: checkedAt, role: quality, summary: summary, report: try json(pretty: false))
    }

    public static func decode(_ json: String) -> ProviderCheckReport? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(ProviderCheckReport.self, from: Data(json.utf8))
    }
}
