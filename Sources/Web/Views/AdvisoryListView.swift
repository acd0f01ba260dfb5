import CSAF
import Storage

/// The advisory list (home page, vendor pages): filters, rows, pagination.
struct AdvisoryListView {
    struct Option {
        let value: String
        let label: String
        let selected: Bool
    }
    struct Row {
        let id: String
        let href: String
        let title: String
        let vendors: String
        let publisher: String
        let date: String?
        let dateMachine: String?
        let updated: String?
        let badge: SeverityBadge
        let cveCount: Int
        let hasCVEs: Bool
        let cveLabel: String
        let integrityWarning: Bool
        /// `KEV` or `2 KEV`: CVEs in CISA's Known Exploited Vulnerabilities catalogue.
        let kevLabel: String?
        /// One row per vulnerability: the other publications folded into this row, earliest first.
        let alsoPublishedAs: [Publication]
        let hasAlsoPublishedAs: Bool
    }
    /// An advisory folded into another's row ("also published as ICSA-… by CISA"). Field names are its own, so none
    /// is looked up in the row around it.
    struct Publication {
        /// ", " before every publication but the first.
        let alsoSeparator: String
        let alsoID: String
        let alsoHref: String
        let alsoPublisher: String
    }
    struct Pagination {
        let page: Int
        let pageCount: Int
        let previousHref: String?
        let nextHref: String?
        let firstItem: Int
        let lastItem: Int
    }

    let pageTitle: String
    let heading: String
    let vendorHeading: String?
    let vendorWatchHref: String?
    let text: String
    let publishers: [Option]
    let sectors: [Option]
    let severities: [Option]
    let years: [Option]
    let rows: [Row]
    let total: String
    let totalIsOne: Bool
    /// A full-text search matched more than are ranked: "more than 1,000", with advice to narrow it.
    let moreMatches: Bool
    let hasRows: Bool
    let storeIsEmpty: Bool
    let filtered: Bool
    let pagination: Pagination
    let feedHref: String
    let apiHref: String
    let clearHref: String
    let formAction: String
    let vendorSlug: String?
    let knownExploitedOnly: Bool
    /// The "Rows" choice: one per advisory or one per vulnerability.
    let groupings: [Option]
    /// With one row per vulnerability: how many advisories were folded into another's row.
    let groupNote: String?

    /// The list of `page`, shown as `rows` (`VulnerabilityGroups`; every advisory in its own row when nil). Links
    /// keep `grouping` when it is not the page's `defaultGrouping`.
    init(page: AdvisoryPage, rows: [VulnerabilityGroups.Row]? = nil, grouping: ListGrouping = .advisory,
         defaultGrouping: ListGrouping = .advisory, options: FilterOptions, storeIsEmpty: Bool, basePath: String,
         vendor: VendorSummary? = nil) {
        let query = page.query
        self.pageTitle = vendor.map { "\($0.name) advisories" } ?? (query.text.map { "Search: \($0)" } ?? "Latest advisories")
        self.heading = vendor.map { "\($0.name)" } ?? "Latest advisories"
        self.vendorHeading = vendor?.name
        self.vendorWatchHref = vendor.map { "/watches/new?vendor=" + Format.queryValue($0.name) }
        self.vendorSlug = vendor?.slug
        self.text = query.text ?? ""
        self.publishers = options.publishers.map { Option(value: $0, label: $0, selected: $0 == query.publisher) }
        self.sectors = options.sectors.map { Option(value: $0, label: $0, selected: $0 == query.sector) }
        self.severities = Severity.allCases.reversed().map {
            Option(value: $0.rawValue, label: $0.label.capitalized, selected: $0 == query.severity)
        }
        self.years = options.years.map { Option(value: "\($0)", label: "\($0)", selected: $0 == query.year) }
        let rows = rows ?? VulnerabilityGroups.unfolded(page.items)
        self.rows = rows.map { row in
            let item = row.item
            let published = Format.day(item.initialReleaseDate ?? item.currentReleaseDate)
            let current = Format.day(item.currentReleaseDate)
            return Row(
                id: item.id, href: Format.advisoryHref(item.id), title: item.title,
                vendors: item.vendors.joined(separator: ", "), publisher: item.publisher,
                date: published, dateMachine: Format.machine(item.initialReleaseDate ?? item.currentReleaseDate),
                updated: current != published ? current : nil,
                badge: item.isInformational ? .informational : SeverityBadge(severity: item.severity, score: item.score), cveCount: item.cveCount,
                hasCVEs: item.cveCount > 0, cveLabel: item.cveCount == 1 ? "1 CVE" : "\(item.cveCount) CVEs",
                integrityWarning: !item.integrity.isAcceptable,
                kevLabel: item.knownExploitedCount == 0 ? nil : item.knownExploitedCount == 1 ? "KEV" : "\(item.knownExploitedCount) KEV",
                alsoPublishedAs: row.alsoPublishedAs.enumerated().map { index, other in
                    Publication(alsoSeparator: index == 0 ? "" : ", ", alsoID: other.id, alsoHref: Format.advisoryHref(other.id),
                                alsoPublisher: other.publisher)
                },
                hasAlsoPublishedAs: !row.alsoPublishedAs.isEmpty)
        }
        self.groupings = [
            Option(value: ListGrouping.advisory.rawValue, label: "One per advisory", selected: grouping == .advisory),
            Option(value: ListGrouping.vulnerability.rawValue, label: "One per vulnerability", selected: grouping == .vulnerability),
        ]
        if grouping == .vulnerability {
            let folded = rows.reduce(0) { $0 + $1.alsoPublishedAs.count }
            self.groupNote = folded == 0 ? "one row per vulnerability"
                : "one row per vulnerability (\(folded) republication\(folded == 1 ? "" : "s") shown in the row of the first publication)"
        } else {
            self.groupNote = nil
        }
        self.total = page.total.formatted()
        self.totalIsOne = page.total == 1
        self.moreMatches = page.moreMatches
        self.hasRows = !page.items.isEmpty
        self.storeIsEmpty = storeIsEmpty
        self.filtered = query.text != nil || query.sector != nil || query.severity != nil || query.year != nil || query.publisher != nil
            || query.knownExploited
        self.knownExploitedOnly = query.knownExploited
        let queryString = ListQuery.queryString(query, includeVendor: vendor == nil,
                                                grouping: grouping == defaultGrouping ? nil : grouping)
        func pageHref(_ number: Int) -> String {
            let parts = [queryString, number > 1 ? "page=\(number)" : ""].filter { !$0.isEmpty }
            return basePath + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&"))
        }
        self.pagination = Pagination(
            page: query.page, pageCount: page.pageCount,
            previousHref: query.page > 1 ? pageHref(query.page - 1) : nil,
            nextHref: query.page < page.pageCount ? pageHref(query.page + 1) : nil,
            firstItem: page.total == 0 ? 0 : (query.page - 1) * query.perPage + 1,
            lastItem: min(page.total, query.page * query.perPage))
        let fullQuery = ListQuery.queryString(query, includeVendor: true)
        self.feedHref = "/feed.atom" + (fullQuery.isEmpty ? "" : "?" + fullQuery)
        // The API lists one row per advisory unless asked: its link says which rows this page shows.
        let apiQuery = ListQuery.queryString(query, includeVendor: true, grouping: grouping == .advisory ? nil : grouping)
        self.apiHref = "/api/v1/advisories" + (apiQuery.isEmpty ? "" : "?" + apiQuery)
        self.clearHref = basePath
        self.formAction = basePath
    }
}

extension Int {
    func formatted() -> String {
        let digits = String(Swift.abs(self))
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (self < 0 ? "-" : "") + String(out.reversed())
    }
}
