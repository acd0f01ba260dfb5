import CSAF
import Hummingbird
import Storage

/// Reads the list filters from a URL's query (`?q=&vendor=&sector=&severity=&year=&publisher=&kev=&page=`), the same for
/// pages, the JSON API and the Atom feed, so every filtered view is linkable; and how the list's rows are made
/// (`?group=advisory|vulnerability`, `grouping(from:default:)`; the pages and the API, not the feed).
enum ListQuery {
    struct Invalid: Error {
        let parameter: String
        let message: String
    }

    static func parse(from request: Request, strict: Bool) throws -> AdvisoryQuery {
        let params = request.uri.queryParameters
        func value(_ name: String) -> String? {
            guard let raw = params.get(name) else { return nil }
            let trimmed = raw.trimmed
            return trimmed.isEmpty ? nil : trimmed
        }
        var query = AdvisoryQuery(text: value("q"), vendor: value("vendor"), sector: value("sector"),
                                  publisher: value("publisher"))
        if let severity = value("severity") {
            if let parsed = Severity(rawValue: severity.lowercased()) { query.severity = parsed }
            else if strict { throw Invalid(parameter: "severity", message: "severity must be one of none, low, medium, high, critical") }
        }
        if let year = value("year") {
            if let parsed = Int(year), (1990...9999).contains(parsed) { query.year = parsed }
            else if strict { throw Invalid(parameter: "year", message: "year must be a four-digit year") }
        }
        if let kev = value("kev") {
            switch kev.lowercased() {
            case "1", "true", "on", "yes": query.knownExploited = true
            case "0", "false", "off", "no": query.knownExploited = false
            default: if strict { throw Invalid(parameter: "kev", message: "kev must be true or false") }
            }
        }
        if let page = value("page") {
            if let parsed = Int(page), parsed >= 1, parsed <= 1_000_000 { query.page = parsed }
            else if strict { throw Invalid(parameter: "page", message: "page must be a positive integer") }
        }
        if let perPage = value("per_page") {
            if let parsed = Int(perPage), (1...500).contains(parsed) { query.perPage = parsed }
            else if strict { throw Invalid(parameter: "per_page", message: "per_page must be between 1 and 500") }
        }
        if let text = query.text, text.count > 500 {
            if strict { throw Invalid(parameter: "q", message: "q must be at most 500 characters") }
            query.text = String(text.prefix(500))
        }
        return query
    }

    /// `group`: one row per advisory or per vulnerability. The pages read it leniently (any case, padded; anything
    /// else is the page's `default`); the API checks it first (`APIParameters`).
    static func grouping(from request: Request, default fallback: ListGrouping) -> ListGrouping {
        guard let raw = request.uri.queryParameters.get("group") else { return fallback }
        return ListGrouping(rawValue: raw.trimmed.lowercased()) ?? fallback
    }

    /// Everything a list page shows depends on, in one order: the page cache's key. Two URLs with the same filters
    /// (in another order, with unknown parameters, with values that parse the same) share it.
    static func cacheKey(_ query: AdvisoryQuery, grouping: ListGrouping = .advisory) -> String {
        queryString(query, includeVendor: true) + "&page=\(query.page)&per_page=\(query.perPage)&group=\(grouping.rawValue)"
    }

    /// The filters as a query string (without page), for links that keep them; with `grouping` when given (links that
    /// must keep a grouping other than their page's default).
    static func queryString(_ query: AdvisoryQuery, includeVendor: Bool, grouping: ListGrouping? = nil) -> String {
        var parts: [String] = []
        func add(_ name: String, _ value: String?) {
            if let value { parts.append("\(name)=\(Format.queryValue(value))") }
        }
        add("q", query.text)
        if includeVendor { add("vendor", query.vendor) }
        add("sector", query.sector)
        add("severity", query.severity?.rawValue)
        add("year", query.year.map(String.init))
        add("publisher", query.publisher)
        if query.knownExploited { add("kev", "1") }
        add("group", grouping?.rawValue)
        return parts.joined(separator: "&")
    }
}
