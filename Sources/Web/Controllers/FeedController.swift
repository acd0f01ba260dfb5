import CSAF
import Foundation
import Hummingbird
import Storage

/// `/feed.atom`: the newest advisories as an Atom 1.0 feed, honouring the list filters.
struct FeedController<Context: RequestContext>: Sendable {
    let store: any AdvisoryStore
    /// Where people reach this server (`vigil serve --base-url`): the start of every link in the feed. Never the
    /// request's `Host` header, which the client chooses: a feed cached or shared must not point somewhere else.
    let baseURL: String

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/feed.atom", use: feed)
        return routes
    }

    @Sendable func feed(_ request: Request, context: Context) async throws -> Response {
        var query: AdvisoryQuery
        do {
            query = try ListQuery.parse(from: request, strict: true)
        } catch let invalid as ListQuery.Invalid {
            throw HTTPError(.badRequest, message: invalid.message)
        }
        query.page = 1
        query.perPage = min(query.perPage, 100)
        let page = try await store.search(query)
        let base = baseURL
        let selfPath = request.uri.description
        let updated = page.items.compactMap(\.currentReleaseDate).max() ?? Date(timeIntervalSince1970: 0)
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title>\(Format.xml(FeedController.title(query)))</title>
              <id>\(Format.xml(base + selfPath))</id>
              <link rel="self" type="application/atom+xml" href="\(Format.xml(base + selfPath))"/>
              <link rel="alternate" type="text/html" href="\(Format.xml(base + "/" + (selfPath.split(separator: "?", maxSplits: 1).dropFirst().first.map { "?" + $0 } ?? "")))"/>
              <updated>\(Timestamp.format(updated))</updated>
              <generator>Vigil</generator>

            """
        for item in page.items {
            let href = base + Format.advisoryHref(item.id)
            let severity = item.score.map { "CVSS \(String(format: "%.1f", $0)) \(item.severity.label)" } ?? "not scored"
            let summary = "\(item.id) · \(severity) · \(item.vendors.joined(separator: ", "))"
                + (item.cveCount > 0 ? " · \(item.cveCount) CVE\(item.cveCount == 1 ? "" : "s")" : "")
            xml += """
                  <entry>
                    <title>\(Format.xml("[\(item.severity.label)] \(item.id): \(item.title)"))</title>
                    <id>\(Format.xml(href))#v\(Format.xml(item.version))</id>
                    <link rel="alternate" type="text/html" href="\(Format.xml(href))"/>
                    <link rel="related" type="application/json" href="\(Format.xml(href)).json"/>
                    <updated>\(Timestamp.format(item.currentReleaseDate ?? updated))</updated>
                    <published>\(Timestamp.format(item.initialReleaseDate ?? item.currentReleaseDate ?? updated))</published>
                    <author><name>\(Format.xml(item.publisher))</name></author>
                \(item.vendors.map { "    <category term=\"\(Format.xml($0))\"/>\n" }.joined())    <summary>\(Format.xml(summary))</summary>
                  </entry>

                """
        }
        xml += "</feed>\n"
        return Response(status: .ok, headers: [.contentType: "application/atom+xml; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    static func title(_ query: AdvisoryQuery) -> String {
        var parts: [String] = []
        if let text = query.text { parts.append("“\(text)”") }
        if let vendor = query.vendor { parts.append("vendor \(vendor)") }
        if let sector = query.sector { parts.append(sector) }
        if let severity = query.severity { parts.append(severity.label) }
        if let year = query.year { parts.append("\(year)") }
        if let publisher = query.publisher { parts.append(publisher) }
        return "Vigil advisories" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }
}
