import Foundation
import Revisions

/// The advisory page's "Also published as" section: other publishers' advisories linked to this one
/// (`AdvisoryStore.related(advisoryID:)`), each with why it is linked and which came first.
///
/// Strong and medium links are listed as the same advisory published elsewhere: a reference between the two or the same
/// CVEs (strong), or most of the CVEs shared, one revised to add a few (medium). Weak links (a few CVEs shared by the
/// same vendor's advisories, usually a common component) are listed apart as "Related advisories": worth knowing
/// when assessing the vulnerabilities, but another advisory with other products and other fixes, which a reader must not
/// take for a copy of this one.
///
/// Field names are the section's own (`rel…`): Mustache looks a missing (nil) name up in the enclosing context, and the
/// page's `publisher` or `id` must never stand in for a linked advisory's.
struct RelatedAdvisoriesView {
    struct Row {
        let relID: String
        let relHref: String
        let relPublisher: String
        let relDate: String?
        let relDateMachine: String?
        /// Why the two are linked, in words: "names this advisory in its references", "same CVEs (…)", "shares CVE-…".
        let relWhy: String
        /// Which came first and by how long: "published 7 days after this one".
        let relWhen: String
    }

    /// The same advisory published by others (strong and medium links), in the store's order (strongest first).
    let samePublications: [Row]
    let hasSamePublications: Bool
    /// "First published: Example ProductCERT (EXSA-123456), 7 days before CISA." Nil when the dates do not tell.
    let firstPublished: String?
    /// Weak links: other publishers' advisories for the same vendor sharing a few of the CVEs.
    let related: [Row]
    let hasRelated: Bool
    let count: Int

    /// The section for the advisory `id`, published by `publisher` on `published`, with its `links`; nil without links.
    init?(id: String, publisher: String, published: Date?, links: [AdvisoryLink]) {
        guard !links.isEmpty else { return nil }
        func row(_ link: AdvisoryLink) -> Row {
            Row(relID: link.id, relHref: Format.advisoryHref(link.id), relPublisher: link.publisher,
                relDate: Format.day(link.initialReleaseDate), relDateMachine: Format.machine(link.initialReleaseDate),
                relWhy: Self.why(link), relWhen: Self.when(link.initialReleaseDate, comparedWith: published))
        }
        let same = links.filter { $0.strength != .weak }
        samePublications = same.map(row)
        hasSamePublications = !same.isEmpty
        related = links.filter { $0.strength == .weak }.map(row)
        hasRelated = !related.isEmpty
        count = links.count
        firstPublished = Self.firstPublished(id: id, publisher: publisher, published: published, others: same)
    }

    /// Why a link holds, in words a reader checks against the two documents.
    static func why(_ link: AdvisoryLink) -> String {
        switch link.reason {
        case .reference:
            switch link.reference {
            case .namedByOther: return "names this advisory in its references"
            case .namesOther: return "named in this advisory's references"
            case .both: return "each names the other in its references"
            case nil: return "a reference links the two"
            }
        case .sameCVEs:
            return "same CVEs (\(list(link.sharedCVEs)))"
        case .overlappingCVEs:
            return link.sharedCVEs.count <= 3 ? "shares \(list(link.sharedCVEs))"
                : "shares \(link.sharedCVEs.count) CVEs: \(list(link.sharedCVEs))"
        }
    }

    /// `other`'s first publication against this advisory's: "published 7 days after this one".
    static func when(_ other: Date?, comparedWith this: Date?) -> String {
        guard let other, let this else { return "release date not given" }
        guard let span = span(other.timeIntervalSince(this)) else { return "published at the same time as this one" }
        return "published \(span) \(other > this ? "after" : "before") this one"
    }

    /// Which publisher came first among this advisory and the same advisory published elsewhere, and by how long
    /// before the next one.
    static func firstPublished(id: String, publisher: String, published: Date?, others: [AdvisoryLink]) -> String? {
        guard let published else { return nil }
        let dated = others.compactMap { link in link.initialReleaseDate.map { (id: link.id, publisher: link.publisher, date: $0) } }
        let all = ([(id: id, publisher: publisher, date: published)] + dated)
            .enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }.map(\.element)
        guard all.count > 1 else { return nil }
        let (first, next) = (all[0], all[1])
        let name = first.id == id ? "\(first.publisher) (this advisory)" : "\(first.publisher) (\(first.id))"
        guard let span = span(next.date.timeIntervalSince(first.date)) else {
            return "Published at the same time by \(first.publisher) and \(next.publisher)."
        }
        return "First published: \(name), \(span) before \(next.publisher)."
    }

    /// A time between two publications in words ("7 days", "5 hours"); nil under an hour, which CSAF dates (often
    /// midnight) do not resolve.
    static func span(_ interval: TimeInterval) -> String? {
        let seconds = abs(interval)
        guard seconds >= 3600 else { return nil }
        if seconds < 2 * 86400 {
            let hours = Int(seconds / 3600)
            return hours == 1 ? "1 hour" : "\(hours) hours"
        }
        let days = Int((seconds / 86400).rounded())
        return "\(days) days"
    }

    /// CVE IDs as a sentence lists them: "A", "A and B", "A, B and C", "A, B, C and 4 more".
    static func list(_ items: [String], shown: Int = 3) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        if items.count > shown {
            return items.prefix(shown).joined(separator: ", ") + " and \(items.count - shown) more"
        }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }
}
