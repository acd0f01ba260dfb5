import CSAF
import Foundation
import Revisions
import Storage

/// Everything the advisory page shows, in the order it shows it.
struct AdvisoryPageView {
    /// One finding of the CSAF 2.0 §6 tests, as the page lists it.
    struct ConformanceLine {
        let test: String
        let group: String
        let path: String
        let message: String
        let mandatory: Bool
    }

    /// At most this many findings are listed; `vigil validate` and the API give them all.
    static let conformanceLimit = 200

    struct Link {
        let label: String
        let href: String
    }
    /// A URL given by the document: a link only for `http`, `https` and `mailto` (`Format.documentLink`), else shown
    /// as text. Field names are the page's own, so a missing link is not looked up in the enclosing context.
    struct DocumentLink {
        let docLabel: String
        let docHref: String?
        let docURL: String

        init(label: String, url: String) {
            docLabel = label
            docHref = Format.documentLink(url)
            docURL = url
        }
    }
    /// Field names differ from the page's own: Mustache looks a missing (nil) name up in the enclosing context, so a
    /// CVE without a score would otherwise show the advisory's badge as its own.
    struct CVE {
        let cve: String
        let anchor: String
        let cveTitle: String?
        let cwe: String?
        let cweName: String?
        let cveBadge: SeverityBadge?
        let cveVector: String?
        let cveSummary: String?
        let nvdHref: String?
        let ids: [String]
        /// CISA KEV: when the CVE was added to the catalogue and the remediation due date.
        let kevAdded: String?
        let kevDue: String?
    }
    struct KnownExploited {
        let kevCVE: String
        let kevAnchor: String
        let kevName: String
        let kevAddedOn: String
        let kevDueOn: String
        let kevAction: String
        let kevRansomware: Bool
    }
    struct Remediation {
        let label: String
        let cssClass: String
        let details: String
        let url: String?
        /// `url` when it may be a link.
        let urlHref: String?
        let products: [String]
        let hasProducts: Bool
        let productCount: String
        let cves: String
    }
    struct Product {
        let vendor: String
        let product: String
        let version: String
        let status: String
        let identifiers: String?
    }
    struct ProductGroup {
        let title: String
        let count: Int
        let products: [Product]
    }
    struct Revision {
        let number: String
        let date: String?
        let dateMachine: String?
        let summary: String
    }
    struct StoredRevision {
        let version: String
        let date: String?
        let sha256: String
        let href: String
        let current: Bool
        let size: String
        let integrity: String
        /// What changed from the stored revision before this one (nil for the oldest).
        let changesHref: String?
    }
    struct Acknowledgment {
        let text: String
        let urls: [DocumentLink]
    }
    struct Note {
        let title: String
        let text: String
    }

    let id: String
    let title: String
    let pageTitle: String
    let publisher: String
    let publishedDate: String?
    let publishedMachine: String?
    let updatedDate: String?
    let updatedMachine: String?
    let version: String
    let status: String
    let tlp: String?
    let sourceLink: Link?
    /// The document's own web page when it is not a link that may be followed (another scheme), shown as text.
    let sourceText: String?
    let badge: SeverityBadge
    let vector: String?
    let cvssVersion: String?
    let riskSummary: String?
    let cves: [CVE]
    let knownExploited: [KnownExploited]
    let hasKnownExploited: Bool
    let cveCount: Int
    let remediations: [Remediation]
    let remediationCount: Int
    let vendors: [Link]
    let affectedProducts: [Product]
    let affectedCount: Int
    let hasAffected: Bool
    let hasWarnings: Bool
    let warningCount: Int
    let hasAcknowledgments: Bool
    let hasNotes: Bool
    let hasConflicts: Bool
    let otherProductGroups: [ProductGroup]
    let sectors: [String]
    let countries: String?
    let headquarters: String?
    let revisions: [Revision]
    let storedRevisions: [StoredRevision]
    let hasHistory: Bool
    let acknowledgments: [Acknowledgment]
    let references: [DocumentLink]
    let notes: [Note]
    let rawHref: String
    let sidecars: [Link]
    let integrityStatus: String
    let integrityClass: String
    let integrityExplanation: String
    let integrityDetail: String
    let integrityVerified: Bool
    /// The signer's fingerprint in groups of four, as gpg prints it.
    let signerFingerprint: String?
    let sha256: String
    let warnings: [String]
    /// The CSAF 2.0 §6 tests: "2 mandatory, 5 optional and 12 informative findings", or that it passes them.
    let conformanceSummary: String
    let conformanceFindings: [ConformanceLine]
    let hasConformanceFindings: Bool
    let conformanceFailsMandatory: Bool
    let conformanceMore: Int
    let hasConformanceMore: Bool
    let conflictCount: Int
    /// No vulnerability: the page says what the document is instead of "CVEs (0)" and a severity of none.
    let isInformational: Bool
    let watchHref: String
    let watchVendors: String
    let apiHref: String
    /// "Also published as": other publishers' advisories linked to this one; nil without links.
    let alsoPublished: RelatedAdvisoriesView?

    /// "Your affected assets": the configured organisation's exposures to this advisory (nil: no inventory).
    let yourAssets: YourAssets?
    struct YourAssets {
        let organisation: String
        let rows: [ExposureRowView]
        let hasRows: Bool
    }

    init(stored: StoredAdvisory, vendorSlugs: [String: String], exposures: (organisation: String, rows: [ExposureRow])? = nil,
         links: [AdvisoryLink] = []) {
        yourAssets = exposures.map { YourAssets(organisation: $0.organisation, rows: $0.rows.map(ExposureRowView.init), hasRows: !$0.rows.isEmpty) }
        let a = stored.advisory
        let encodedID = Format.pathSegment(a.id)
        id = a.id
        title = a.title
        pageTitle = "\(a.id): \(a.title)"
        publisher = a.publisher.name
        publishedDate = Format.dateTime(a.initialReleaseDate)
        publishedMachine = Format.machine(a.initialReleaseDate)
        let updated = a.currentReleaseDate != a.initialReleaseDate ? a.currentReleaseDate : nil
        updatedDate = Format.dateTime(updated)
        updatedMachine = Format.machine(updated)
        version = a.version
        status = a.status
        tlp = a.tlp
        sourceLink = Format.documentLink(a.sourceURL).map { Link(label: "View on \(a.publisher.name) ↗", href: $0) }
        sourceText = sourceLink == nil ? a.sourceURL : nil
        // An informational advisory (or any document without vulnerabilities) has no severity to show.
        isInformational = a.category == "csaf_informational_advisory" || a.vulnerabilities.isEmpty
        badge = isInformational ? .informational : SeverityBadge(severity: a.severity, score: a.highestScore?.score)
        vector = a.highestScore?.vector
        cvssVersion = a.highestScore.map { "CVSS v\($0.version)" }
        riskSummary = a.riskSummary
        let kev = Dictionary(stored.knownExploited.map { ($0.cve, $0) }, uniquingKeysWith: { first, _ in first })
        knownExploited = stored.knownExploited.map {
            KnownExploited(kevCVE: $0.cve, kevAnchor: $0.cve, kevName: $0.name, kevAddedOn: $0.dateAdded, kevDueOn: $0.dueDate,
                           kevAction: $0.requiredAction, kevRansomware: $0.ransomware.lowercased() == "known")
        }
        hasKnownExploited = !stored.knownExploited.isEmpty
        cves = a.vulnerabilities.enumerated().map { index, v in
            CVE(cve: v.cve ?? v.title ?? "Vulnerability \(index + 1)", anchor: v.cve ?? "vulnerability-\(index + 1)",
                // CISA repeats the advisory title as every vulnerability's title: show it only when it adds something.
                cveTitle: v.cve == nil || v.title == a.title ? nil : v.title, cwe: v.cweID, cweName: v.cweName,
                cveBadge: v.score.map { SeverityBadge(severity: $0.severity, score: $0.score) }, cveVector: v.score?.vector,
                cveSummary: v.summary, nvdHref: v.cve.map { "https://nvd.nist.gov/vuln/detail/\(Format.pathSegment($0))" },
                ids: v.ids, kevAdded: v.cve.flatMap { kev[$0]?.dateAdded }, kevDue: v.cve.flatMap { kev[$0]?.dueDate })
        }
        cveCount = a.vulnerabilities.count
        remediations = a.remediations.map { r in
            Remediation(label: CSAF.Remediation.Category.label(for: r.category), cssClass: "rem-" + r.category.replacingOccurrences(of: "_", with: "-"),
                        details: r.details, url: r.url, urlHref: Format.documentLink(r.url), products: r.products, hasProducts: !r.products.isEmpty,
                        productCount: r.products.count == 1 ? "1 product" : "\(r.products.count) products",
                        cves: r.cves.joined(separator: ", "))
        }
        remediationCount = a.remediations.count
        vendors = a.vendors.map { Link(label: $0, href: vendorSlugs[$0].map { "/vendors/\($0)" } ?? "/vendors") }
        func product(_ p: AffectedProduct) -> Product {
            var identifiers: [String] = []
            if !p.modelNumbers.isEmpty { identifiers.append("Model: " + p.modelNumbers.joined(separator: ", ")) }
            if let cpe = p.cpe { identifiers.append(cpe) }
            if let purl = p.purl { identifiers.append(purl) }
            return Product(vendor: p.vendor, product: p.product, version: p.version ?? "", status: p.status.label,
                           identifiers: identifiers.isEmpty ? nil : identifiers.joined(separator: " · "))
        }
        let affected = a.products.filter { $0.status == .knownAffected }
        affectedProducts = affected.map(product)
        affectedCount = affected.count
        hasAffected = !affected.isEmpty
        otherProductGroups = [
            (ProductStatusKind.underInvestigation, "Under investigation"), (.fixed, "Fixed"),
            (.knownNotAffected, "Known not affected"), (.recommended, "Recommended"), (.unlisted, "Listed without a status"),
        ].compactMap { kind, title in
            let products = a.products.filter { $0.status == kind }
            return products.isEmpty ? nil : ProductGroup(title: title, count: products.count, products: products.map(product))
        }
        sectors = a.sectors
        countries = a.countries.isEmpty ? nil : a.countries.joined(separator: ", ")
        headquarters = a.headquarters
        revisions = a.revisions.reversed().map {
            Revision(number: $0.number, date: Format.dateTime($0.date), dateMachine: Format.machine($0.date), summary: $0.summary)
        }
        storedRevisions = stored.revisions.enumerated().map { index, r in
            // Newest first: the revision before this one is the next in the list.
            let changes = index + 1 < stored.revisions.count
                ? ChangesPageView.href(id: a.id, from: stored.revisions[index + 1], to: r, among: stored.revisions) : nil
            return StoredRevision(version: r.version, date: Format.dateTime(r.currentReleaseDate), sha256: String(r.sha256.prefix(16)),
                                  href: r.isCurrent ? "/advisories/\(encodedID).json" : "/advisories/\(encodedID)/revisions/\(r.documentID).json",
                                  current: r.isCurrent, size: Format.bytes(r.size), integrity: r.integrity.rawValue, changesHref: changes)
        }
        hasHistory = stored.revisions.count > 1
        acknowledgments = a.acknowledgments.map { ack in
            var parts: [String] = []
            if !ack.names.isEmpty { parts.append(ack.names.joined(separator: ", ")) }
            if let organization = ack.organization { parts.append(parts.isEmpty ? organization : "of \(organization)") }
            if let summary = ack.summary { parts.append("for \(summary)") }
            return Acknowledgment(text: parts.joined(separator: " "), urls: ack.urls.map { DocumentLink(label: $0, url: $0) })
        }
        references = a.references.map { DocumentLink(label: $0.summary, url: $0.url) }
        notes = a.notes.filter { $0.category != "legal_disclaimer" }.map { Note(title: $0.title ?? $0.category.capitalized, text: $0.text) }
        rawHref = "/advisories/\(encodedID).json"
        var sidecars: [Link] = []
        if stored.document.hasSHA512Sidecar { sidecars.append(Link(label: ".sha512", href: "/advisories/\(encodedID).json.sha512")) }
        if stored.document.hasSHA256Sidecar { sidecars.append(Link(label: ".sha256", href: "/advisories/\(encodedID).json.sha256")) }
        if stored.document.hasSignature { sidecars.append(Link(label: ".asc", href: "/advisories/\(encodedID).json.asc")) }
        self.sidecars = sidecars
        integrityStatus = stored.document.integrity.rawValue
        integrityClass = "integrity-" + stored.document.integrity.rawValue
        integrityExplanation = stored.document.integrity.explanation
        integrityDetail = stored.document.integrityDetail
        integrityVerified = stored.document.integrity == .verified
        signerFingerprint = stored.document.signer.map { fingerprint in
            let characters = Array(fingerprint)
            return stride(from: 0, to: characters.count, by: 4)
                .map { String(characters[$0..<min($0 + 4, characters.count)]) }
                .joined(separator: " ")
        }
        sha256 = stored.document.sha256
        warnings = stored.warnings.map(\.description)
        let findings = stored.conformance
        let summary = ConformanceSummary(findings)
        let parts = [(summary.mandatory, "mandatory"), (summary.optional, "optional"), (summary.informative, "informative")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        conformanceSummary = parts.isEmpty ? "passes every test of CSAF 2.0 §6 that Vigil runs"
            : "\(findings.count) finding\(findings.count == 1 ? "" : "s") (" + parts.joined(separator: ", ") + ")"
            + (summary.mandatory > 0 ? ": not valid CSAF 2.0, shown because it is authentic and readable" : "")
        conformanceFindings = findings.prefix(Self.conformanceLimit).map {
            ConformanceLine(test: $0.test, group: $0.group.rawValue, path: $0.path, message: $0.message, mandatory: $0.group == .mandatory)
        }
        hasConformanceFindings = !findings.isEmpty
        conformanceFailsMandatory = summary.mandatory > 0
        conformanceMore = max(findings.count - Self.conformanceLimit, 0)
        hasConformanceMore = findings.count > Self.conformanceLimit
        conflictCount = stored.conflictCount
        hasConflicts = stored.conflictCount > 0
        hasWarnings = !stored.warnings.isEmpty
        warningCount = stored.warnings.count
        hasAcknowledgments = !acknowledgments.isEmpty
        hasNotes = !notes.isEmpty
        watchHref = a.vendors.first.map { "/watches/new?vendor=" + Format.queryValue($0) } ?? "/watches/new?publisher=" + Format.queryValue(a.publisher.name)
        watchVendors = a.vendors.isEmpty ? "this publisher" : a.vendors.joined(separator: ", ")
        apiHref = "/api/v1/advisories/\(encodedID)"
        alsoPublished = RelatedAdvisoriesView(id: a.id, publisher: a.publisher.name, published: a.initialReleaseDate, links: links)
    }
}
