import CSAF
import Foundation

/// What changed between two revisions of one advisory, computed from their normalised `Advisory` values: tracking
/// fields, products (with status and version-range changes, and ranges merely respelled), vulnerabilities and their
/// scores, remediations, notes (word by word), and references.
///
/// Pure and deterministic: the same two advisories always give the same diff, every list sorted, so its JSON (served
/// at `/api/v1/advisories/{id}/changes`) is stable. Property names are camelCase; the API's encoder turns them into
/// snake_case keys, and no name holds an upper-case run (`ID`), so the keys read back with `convertFromSnakeCase`.
///
/// Products are matched by what they are, not by their product IDs, which are labels local to one document and often
/// renumbered between revisions: vendor, product name and version text first; then vendor and product name with a
/// version range of the same meaning (a respelling, decided by reading both texts with `VendorRange.read` as matching
/// does); then the one remaining product of that vendor and name on each side (a range change). Among products that
/// share vendor, name and version (one per order number), the identification helpers (CPE, package URL, model
/// numbers), then the product ID, tell them apart; the product ID also names a product that has neither vendor nor
/// name. Products left over are added or removed.
public struct AdvisoryDiff: Sendable, Equatable, Codable {
    /// The advisory's tracking ID (of the newer revision).
    public var advisory: String
    /// The older revision's tracking version.
    public var from: String
    /// The newer revision's tracking version.
    public var to: String
    public var tracking: Tracking
    public var products: Products
    public var vulnerabilities: Vulnerabilities
    public var remediations: Remediations
    /// Notes added, removed or reworded, sorted by category, title and kind.
    public var notes: [NoteChange]
    public var references: References

    public init(advisory: String, from: String, to: String, tracking: Tracking = Tracking(), products: Products = Products(),
                vulnerabilities: Vulnerabilities = Vulnerabilities(), remediations: Remediations = Remediations(),
                notes: [NoteChange] = [], references: References = References()) {
        self.advisory = advisory
        self.from = from
        self.to = to
        self.tracking = tracking
        self.products = products
        self.vulnerabilities = vulnerabilities
        self.remediations = remediations
        self.notes = notes
        self.references = references
    }

    /// Whether the two revisions say the same thing in every field the diff compares.
    public var isEmpty: Bool {
        tracking.isEmpty && products.isEmpty && vulnerabilities.isEmpty && remediations.isEmpty && notes.isEmpty
            && references.isEmpty
    }
}

extension AdvisoryDiff {
    /// One value before and after; nil on a side where the field is absent.
    public struct Change<Value: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
        public var old: Value?
        public var new: Value?

        public init(old: Value?, new: Value?) {
            self.old = old
            self.new = new
        }

        /// The change, or nil when the two values are equal.
        static func of(_ old: Value?, _ new: Value?) -> Change? {
            old == new ? nil : Change(old: old, new: new)
        }
    }

    /// How a text or an item changed.
    public enum ChangeKind: String, Sendable, Codable, Comparable {
        case added, removed, changed

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
        private var order: Int {
            switch self {
            case .added: 0
            case .removed: 1
            case .changed: 2
            }
        }
    }

    // MARK: - Tracking

    /// The document-level fields; each nil when unchanged.
    public struct Tracking: Sendable, Equatable, Codable {
        public var status: Change<String>?
        public var version: Change<String>?
        public var initialReleaseDate: Change<Date>?
        public var currentReleaseDate: Change<Date>?
        public var title: Change<String>?
        public var tlp: Change<String>?
        public var aggregateSeverity: Change<String>?
        /// The highest CVSS score of the document, with its vector.
        public var highestScore: Change<CVSSScore>?
        /// The risk summary (the first summary note, which the normaliser takes out of the notes), word by word.
        public var riskSummary: TextChange?
        /// Revision history entries in the newer revision that the older one lacks, in the newer one's order.
        public var revisionsAdded: [AdvisoryRevision]

        public init(status: Change<String>? = nil, version: Change<String>? = nil, initialReleaseDate: Change<Date>? = nil,
                    currentReleaseDate: Change<Date>? = nil, title: Change<String>? = nil, tlp: Change<String>? = nil,
                    aggregateSeverity: Change<String>? = nil, highestScore: Change<CVSSScore>? = nil,
                    riskSummary: TextChange? = nil, revisionsAdded: [AdvisoryRevision] = []) {
            self.status = status
            self.version = version
            self.initialReleaseDate = initialReleaseDate
            self.currentReleaseDate = currentReleaseDate
            self.title = title
            self.tlp = tlp
            self.aggregateSeverity = aggregateSeverity
            self.highestScore = highestScore
            self.riskSummary = riskSummary
            self.revisionsAdded = revisionsAdded
        }

        public var isEmpty: Bool {
            status == nil && version == nil && initialReleaseDate == nil && currentReleaseDate == nil && title == nil
                && tlp == nil && aggregateSeverity == nil && highestScore == nil && riskSummary == nil
                && revisionsAdded.isEmpty
        }
    }

    /// A text added, removed or reworded: the whole text when added or removed, the word diff when reworded.
    public struct TextChange: Sendable, Equatable, Codable {
        public var kind: ChangeKind
        /// The text added or removed (nil when changed: the words hold both versions).
        public var text: String?
        /// The word diff from the old text to the new one (nil when added or removed).
        public var words: WordDiff?

        public init(kind: ChangeKind, text: String? = nil, words: WordDiff? = nil) {
            self.kind = kind
            self.text = text
            self.words = words
        }

        /// The change from `old` to `new`, or nil when they have the same words.
        static func of(_ old: String?, _ new: String?) -> TextChange? {
            switch (old, new) {
            case (nil, nil): return nil
            case let (nil, new?): return TextChange(kind: .added, text: new)
            case let (old?, nil): return TextChange(kind: .removed, text: old)
            case let (old?, new?):
                let words = WordDiff.between(old, new)
                return words.hasChanges ? TextChange(kind: .changed, words: words) : nil
            }
        }
    }

    // MARK: - Products

    /// Products added, removed and changed, each list sorted by display name.
    public struct Products: Sendable, Equatable, Codable {
        public var added: [ProductRef]
        public var removed: [ProductRef]
        public var changed: [ProductChange]

        public init(added: [ProductRef] = [], removed: [ProductRef] = [], changed: [ProductChange] = []) {
            self.added = added
            self.removed = removed
            self.changed = changed
        }

        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
        /// The changed products whose range text was respelled without a change in meaning.
        public var respelled: [ProductChange] { changed.filter { $0.range?.kind == .respelled } }
    }

    /// A product as a reader names it.
    public struct ProductRef: Sendable, Equatable, Codable {
        /// The product's full name (else vendor and product), followed by its version text unless the name holds it.
        public var name: String
        public var vendor: String
        public var product: String
        /// The version or range text as published.
        public var version: String?
        public var status: ProductStatusKind

        public init(name: String, vendor: String, product: String, version: String?, status: ProductStatusKind) {
            self.name = name
            self.vendor = vendor
            self.product = product
            self.version = version
            self.status = status
        }

        init(_ product: AffectedProduct) {
            var name = AdvisoryDiffText.collapsed(product.fullName)
            if name.isEmpty { name = AdvisoryDiffText.collapsed(product.vendor + " " + product.product) }
            // Full names often leave the version out (`Simcenter Femap`): add it, or three products read the same.
            let version = AdvisoryDiffText.collapsed(product.version ?? "")
            if !version.isEmpty, !AdvisoryDiffText.names(name, version: version) {
                name = name.isEmpty ? version : name + " " + version
            }
            self.init(name: name, vendor: product.vendor, product: product.product, version: product.version,
                      status: product.status)
        }
    }

    /// One product present in both revisions, with what changed about it; each field nil when unchanged.
    public struct ProductChange: Sendable, Equatable, Codable {
        /// The product as the newer revision names it.
        public var product: ProductRef
        public var status: Change<ProductStatusKind>?
        public var range: RangeChange?
        public var fullName: Change<String>?
        public var cpe: Change<String>?
        public var purl: Change<String>?
        public var modelNumbers: Change<[String]>?

        public init(product: ProductRef, status: Change<ProductStatusKind>? = nil, range: RangeChange? = nil,
                    fullName: Change<String>? = nil, cpe: Change<String>? = nil, purl: Change<String>? = nil,
                    modelNumbers: Change<[String]>? = nil) {
            self.product = product
            self.status = status
            self.range = range
            self.fullName = fullName
            self.cpe = cpe
            self.purl = purl
            self.modelNumbers = modelNumbers
        }

        var isEmpty: Bool {
            status == nil && range == nil && fullName == nil && cpe == nil && purl == nil && modelNumbers == nil
        }
        /// Whether a product identification helper (CPE, package URL, model numbers) changed.
        public var identifiersChanged: Bool { cpe != nil || purl != nil || modelNumbers != nil }
    }

    /// A product's version text that differs between the revisions.
    public struct RangeChange: Sendable, Equatable, Codable {
        /// Whether the range means something else or only reads differently.
        public enum Kind: String, Sendable, Codable {
            /// The same versions are covered: the text was respelled (`< V2.14.1` → `vers:generic/<2.14.1`).
            case respelled
            /// The covered versions differ, or one of the texts cannot be read and the texts differ.
            case changed
        }

        public var kind: Kind
        public var old: String?
        public var new: String?
        /// How Vigil reads each text (`<2.14.1`, `all versions`, `unreadable (…)`).
        public var oldReading: String
        public var newReading: String

        public init(kind: Kind, old: String?, new: String?, oldReading: String, newReading: String) {
            self.kind = kind
            self.old = old
            self.new = new
            self.oldReading = oldReading
            self.newReading = newReading
        }
    }

    // MARK: - Vulnerabilities

    /// Vulnerabilities added, removed and changed, sorted by key (the CVE when there is one).
    public struct Vulnerabilities: Sendable, Equatable, Codable {
        public var added: [VulnerabilityRef]
        public var removed: [VulnerabilityRef]
        public var changed: [VulnerabilityChange]

        public init(added: [VulnerabilityRef] = [], removed: [VulnerabilityRef] = [], changed: [VulnerabilityChange] = []) {
            self.added = added
            self.removed = removed
            self.changed = changed
        }

        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    /// A vulnerability as a reader names it.
    public struct VulnerabilityRef: Sendable, Equatable, Codable {
        /// The CVE, else the first other ID, else the title, else `vulnerability N`.
        public var key: String
        public var cve: String?
        public var title: String?
        public var score: CVSSScore?

        public init(key: String, cve: String?, title: String?, score: CVSSScore?) {
            self.key = key
            self.cve = cve
            self.title = title
            self.score = score
        }
    }

    /// One vulnerability present in both revisions; each field nil when unchanged.
    public struct VulnerabilityChange: Sendable, Equatable, Codable {
        public var key: String
        public var cve: String?
        /// The highest score of the vulnerability (score, severity, vector and CVSS version).
        public var score: Change<CVSSScore>?
        public var title: Change<String>?
        /// `CWE-79: Improper Neutralization…`, or the ID alone.
        public var cwe: Change<String>?
        /// The vulnerability's summary (its summary, else description, else details note), word by word.
        public var summary: TextChange?

        public init(key: String, cve: String?, score: Change<CVSSScore>? = nil, title: Change<String>? = nil,
                    cwe: Change<String>? = nil, summary: TextChange? = nil) {
            self.key = key
            self.cve = cve
            self.score = score
            self.title = title
            self.cwe = cwe
            self.summary = summary
        }

        var isEmpty: Bool { score == nil && title == nil && cwe == nil && summary == nil }
    }

    // MARK: - Remediations

    /// Remediations added, removed and changed, sorted by category, products and details.
    public struct Remediations: Sendable, Equatable, Codable {
        public var added: [RemediationRef]
        public var removed: [RemediationRef]
        public var changed: [RemediationChange]

        public init(added: [RemediationRef] = [], removed: [RemediationRef] = [], changed: [RemediationChange] = []) {
            self.added = added
            self.removed = removed
            self.changed = changed
        }

        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    /// A remediation with the names of the products and the CVEs it applies to, each sorted.
    public struct RemediationRef: Sendable, Equatable, Codable {
        /// The CSAF category (`vendor_fix`, `mitigation`, `workaround`, …).
        public var category: String
        public var details: String
        public var url: String?
        public var date: String?
        /// The products' names (`Vendor · Product version`), never their IDs.
        public var products: [String]
        public var cves: [String]

        public init(category: String, details: String, url: String?, date: String?, products: [String], cves: [String]) {
            self.category = category
            self.details = details
            self.url = url
            self.date = date
            self.products = products
            self.cves = cves
        }

        init(_ remediation: AdvisoryRemediation) {
            self.init(category: remediation.category, details: remediation.details, url: remediation.url,
                      date: remediation.date, products: Array(Set(remediation.products)).sorted(),
                      cves: Array(Set(remediation.cves)).sorted())
        }
    }

    /// One remediation in both revisions, found by its category and what it applies to, or by its details.
    public struct RemediationChange: Sendable, Equatable, Codable {
        public var old: RemediationRef
        public var new: RemediationRef
        /// The details, word by word, when they were reworded.
        public var details: WordDiff?

        public init(old: RemediationRef, new: RemediationRef, details: WordDiff? = nil) {
            self.old = old
            self.new = new
            self.details = details
        }
    }

    // MARK: - Notes and references

    /// A document note added, removed or reworded, identified by its category and title.
    public struct NoteChange: Sendable, Equatable, Codable {
        public var category: String
        public var title: String?
        public var change: TextChange

        public init(category: String, title: String?, change: TextChange) {
            self.category = category
            self.title = title
            self.change = change
        }
    }

    /// References added and removed, matched by URL and sorted by it.
    public struct References: Sendable, Equatable, Codable {
        public var added: [AdvisoryReference]
        public var removed: [AdvisoryReference]

        public init(added: [AdvisoryReference] = [], removed: [AdvisoryReference] = []) {
            self.added = added
            self.removed = removed
        }

        public var isEmpty: Bool { added.isEmpty && removed.isEmpty }
    }
}

/// Text normalisation for matching: trimmed, whitespace collapsed to single spaces, optionally case-folded.
enum AdvisoryDiffText {
    static func collapsed(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func folded(_ text: String) -> String {
        collapsed(text).lowercased()
    }

    /// Whether a product's full name already says its version: it holds the text, or every version number in it
    /// (`WebAccess/SCADA: versions prior to V8.2_20170817` for `< 8.2_20170817`), or, for a text without numbers,
    /// `all versions`.
    static func names(_ name: String, version: String) -> Bool {
        let name = folded(name), version = folded(version)
        if name.contains(version) { return true }
        let numbers = version.split { " <>=|/:,;()".contains($0) }
            .map { $0.hasPrefix("v") ? $0.dropFirst() : $0 }
            .filter { $0.contains(where: \.isNumber) }
        if numbers.isEmpty { return name.contains("all versions") }
        return numbers.allSatisfy { name.contains($0) }
    }
}
