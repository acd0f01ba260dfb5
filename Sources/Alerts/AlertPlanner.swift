import CSAF

/// One alert to create: an organisation, an advisory revision that matters, and the watches it matched.
public struct AlertPlan: Sendable, Equatable, Codable {
    public var advisoryID: String
    /// The revision (`tracking.version`) that triggered the alert.
    public var advisoryVersion: String
    /// What changed that matters (`new advisory`, `new CVE CVE-2024-1234`, `a fix is now available`).
    public var changes: [String]
    public var matches: [WatchMatch]
    /// One alert per organisation and triggering revision, across restarts and nodes: the store keeps this unique.
    public var idempotencyKey: String
}

/// Decides whether an advisory revision alerts an organisation. Pure: the caller passes the previous revision (nil
/// when the advisory is new), the organisation's watches and what is known about the advisory.
public struct AlertPlanner: Sendable {
    let evaluator: WatchEvaluator

    public init(evaluator: WatchEvaluator = WatchEvaluator()) {
        self.evaluator = evaluator
    }

    /// The alert for `organisationID`, or nil when the revision is cosmetic or no watch matches.
    /// `knownExploitedAdded`: CVEs of the advisory newly listed in CISA's KEV catalogue (the revision itself may be
    /// unchanged); that alone is material, and the alert is distinct from the revision's own.
    public func plan(organisationID: Int64, previous: Advisory?, current: Advisory, watches: [Watch],
                     context: AdvisoryContext, knownExploitedAdded: [String] = []) -> AlertPlan? {
        var changes = AdvisoryChange.materialChanges(from: previous, to: current)
        if !knownExploitedAdded.isEmpty { changes.append(AdvisoryChange.knownExploitedNote(knownExploitedAdded)) }
        guard !changes.isEmpty else { return nil }
        let matches = evaluator.matches(watches, advisory: current, context: context)
        guard !matches.isEmpty else { return nil }
        let suffix = knownExploitedAdded.isEmpty ? "" : "|kev:" + knownExploitedAdded.sorted().joined(separator: ",")
        return AlertPlan(advisoryID: current.id, advisoryVersion: current.version, changes: changes, matches: matches,
                         idempotencyKey: "\(organisationID)|\(current.id)|\(current.version)" + suffix)
    }
}
