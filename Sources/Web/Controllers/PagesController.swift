import CSAF
import Foundation
import Hummingbird
import Matching
import Storage

/// The HTML pages: advisory list, advisory page with its raw document and sidecars, vendors, static assets.
struct PagesController<Context: ViewerRequestContext>: Sendable {
    let store: any ServedStore
    let renderer: TemplateRenderer
    let cache: PageCache
    let generation: GenerationClock
    let stylesheet: ByteBuffer
    let withoutFeed: [SourceWithoutFeed]
    /// Who decides whose exposures the pages show (the signed-in user's organisation, or without accounts the one of
    /// `vigil serve --org`).
    let scope: OrganisationScope

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/", use: home)
        routes.get("/vendors", use: vendors)
        routes.get("/vendors/{slug}", use: vendor)
        routes.get("/sources", use: sourcesPage)
        routes.get("/quarantine", use: quarantinePage)
        routes.get("/exposures", use: exposuresPage)
        routes.get("/exposures.csv", use: exposuresCSV)
        routes.get("/assets", use: assetsPage)
        routes.get("/advisories/{id}", use: advisory)
        routes.get("/advisories/{id}/revisions/{document}", use: revision)
        routes.get("/advisories/{id}/changes", use: changes)
        routes.get("/static/vigil.css", use: stylesheet)
        routes.get("/favicon.ico", use: favicon)
        routes.get("/healthz") { _, _ in "ok" }
        return routes
    }

    /// Serves a cached rendering when the store has not changed since it was made. `page` names what the page shows:
    /// its path and the parameters it reads, normalised (never the raw URL, or every distinct query string an
    /// outsider sends would be a new entry). Pages showing an organisation's data are cached per organisation, so one
    /// organisation's rendering is never served to another.
    func cached(_ page: String, organisation: Organisation? = nil, render: @escaping @Sendable () async throws -> String) async throws -> Response {
        let key = (organisation.map { "\($0.id)|" } ?? "") + page
        let generation = try await self.generation.current()
        if let body = cache.get(key, generation: generation) { return HTMLResponse.make(body) }
        return HTMLResponse.make(try await cache.body(key, generation: generation) { ByteBuffer(string: try await render()) })
    }

    @Sendable func home(_ request: Request, context: Context) async throws -> Response {
        let query = (try? ListQuery.parse(from: request, strict: false)) ?? AdvisoryQuery()
        let grouping = ListQuery.grouping(from: request, default: .advisory)
        return try await cached("/?" + ListQuery.cacheKey(query, grouping: grouping)) {
            try await renderList(query: query, grouping: grouping, defaultGrouping: .advisory, basePath: "/", vendor: nil)
        }
    }

    func renderList(query: AdvisoryQuery, grouping: ListGrouping, defaultGrouping: ListGrouping, basePath: String,
                    vendor: VendorSummary?) async throws -> String {
        let page = try await store.search(query)
        let rows = try await VulnerabilityGroups.rows(of: page, grouping: grouping, store: store)
        let options = try await store.filterOptions()
        let storeIsEmpty = page.total == 0 ? try await store.statistics().advisories == 0 : false
        let view = AdvisoryListView(page: page, rows: rows, grouping: grouping, defaultGrouping: defaultGrouping, options: options,
                                    storeIsEmpty: storeIsEmpty, basePath: basePath, vendor: vendor)
        return try renderer.render(view, template: "index")
    }

    @Sendable func sourcesPage(_ request: Request, context: Context) async throws -> Response {
        // Not cached: last success and next poll move without the advisories changing.
        let records = try await store.sources()
        var failures: [String: [RemoteDocumentState]] = [:]
        for record in records where record.documentsQuarantined + record.documentsFailing > 0 {
            failures[record.slug] = try await store.failingDocuments(source: record.slug, limit: 50)
        }
        // Each publisher's lead over the others it shares advisories with (strong links), and each source's publisher.
        let leadTimes = try await SourceLeadTimes.load(store: store, sources: records)
        var view = SourcesPageView(sources: records, failures: failures, withoutFeed: withoutFeed, leadTimes: leadTimes)
        view.canManage = context.viewer?.user.instanceAdmin == true && context.viewer?.csrfToken != nil
        return HTMLResponse.make(ByteBuffer(string: try renderer.render(view, template: "sources")))
    }

    /// The organisation whose data this request may see, with the inventory store; nil when there is none. Signed
    /// out with accounts in use, `signInRequired` redirects to the sign-in page.
    func currentOrganisation(_ request: Request, context: Context, signInRequired: Bool = true) async throws -> (any AssetStore, Organisation)? {
        guard let org = try await scope.organisation(request, viewer: context.viewer, signInRequired: signInRequired) else { return nil }
        return (store, org)
    }

    @Sendable func exposuresPage(_ request: Request, context: Context) async throws -> Response {
        let current = try await currentOrganisation(request, context: context)
        return try await cached("/exposures", organisation: current?.1) {
            guard let (assets, org) = current else {
                return try renderer.render(ExposurePageView(organisation: nil, rows: [], assetCount: 0), template: "exposures")
            }
            let rows = try await assets.exposures(organisationID: org.id, filter: ExposureFilter())
            let count = try await assets.assets(organisationID: org.id).count
            return try renderer.render(ExposurePageView(organisation: org.name, rows: rows, assetCount: count), template: "exposures")
        }
    }

    @Sendable func exposuresCSV(_ request: Request, context: Context) async throws -> Response {
        guard let (assets, org) = try await currentOrganisation(request, context: context) else {
            throw HTTPError(.notFound, message: "No asset inventory is configured on this server.")
        }
        let rows = try await assets.exposures(organisationID: org.id, filter: ExposureFilter(includeNotAffected: true, limit: 1_000_000))
        let csv = ExposureExport.csv(rows)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"vigil-exposures.csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    @Sendable func assetsPage(_ request: Request, context: Context) async throws -> Response {
        let current = try await currentOrganisation(request, context: context)
        return try await cached("/assets", organisation: current?.1) {
            guard let (assets, org) = current else {
                return try renderer.render(AssetListPageView(organisation: nil, assets: []), template: "assets")
            }
            return try renderer.render(AssetListPageView(organisation: org.name, assets: try await assets.assets(organisationID: org.id)),
                                       template: "assets")
        }
    }

    @Sendable func quarantinePage(_ request: Request, context: Context) async throws -> Response {
        try await cached("/quarantine") {
            try renderer.render(QuarantinePageView(entries: try await store.quarantined(limit: 500)), template: "quarantine")
        }
    }

    @Sendable func vendors(_ request: Request, context: Context) async throws -> Response {
        let filter = request.uri.queryParameters.get("q")?.trimmed.lowercased() ?? ""
        return try await cached(filter.isEmpty ? "/vendors" : "/vendors?q=" + Format.queryValue(filter)) {
            let vendors = try await store.vendors()
            let shown = filter.isEmpty ? vendors : vendors.filter { $0.name.lowercased().contains(filter) }
            let view = VendorListView(vendors: shown, total: vendors.count, filter: filter)
            return try renderer.render(view, template: "vendors")
        }
    }

    @Sendable func vendor(_ request: Request, context: Context) async throws -> Response {
        let slug = try context.parameters.require("slug")
        guard let vendor = try await store.vendor(slug: slug) else {
            throw HTTPError(.notFound, message: "No vendor is known as \"\(slug)\". The vendor list has every vendor named in a stored advisory.")
        }
        var query = (try? ListQuery.parse(from: request, strict: false)) ?? AdvisoryQuery()
        query.vendor = vendor.slug
        // A vendor's page shows each vulnerability once: a vendor advisory and CISA's republication of it name the
        // same vendor, and two rows for one fix would read as two problems. `?group=advisory` lists every advisory.
        let grouping = ListQuery.grouping(from: request, default: .vulnerability)
        return try await cached("/vendors/\(vendor.slug)?" + ListQuery.cacheKey(query, grouping: grouping)) { [query] in
            try await renderList(query: query, grouping: grouping, defaultGrouping: .vulnerability,
                                 basePath: "/vendors/\(vendor.slug)", vendor: vendor)
        }
    }

    @Sendable func advisory(_ request: Request, context: Context) async throws -> Response {
        let raw = try context.parameters.require("id")
        // Foundation's percent decoding goes through NSString, a few percent of a cached page: only when needed.
        let id = raw.contains("%") ? raw.removingPercentEncoding ?? raw : raw
        for suffix in [".json.sha512", ".json.sha256", ".json.asc", ".json"] where id.hasSuffix(suffix) {
            return try await rawFile(advisoryID: String(id.dropLast(suffix.count)), documentID: nil, suffix: suffix)
        }
        // The advisory is public; "Your affected assets" appears only for an organisation the viewer may see.
        let current = try await currentOrganisation(request, context: context, signInRequired: false)
        return try await cached("/advisories/" + id, organisation: current?.1) {
            guard let stored = try await store.advisory(id: id) else {
                throw HTTPError(.notFound, message: "No advisory with the ID \"\(id)\" is stored. Search for it on the advisory list, or import it with vigil import.")
            }
            let slugs = try await store.vendorSlugs(for: stored.advisory.vendors)
            var exposures: (organisation: String, rows: [ExposureRow])?
            if let (assets, org) = current {
                exposures = (org.name, try await assets.exposures(organisationID: org.id, filter: ExposureFilter(advisoryID: id)))
            }
            // Links are worked out from the stored advisories when the page is rendered; importing or removing any
            // advisory bumps the store's generation, so a cached page never shows links older than the store.
            let links = try await store.related(advisoryID: id)
            return try renderer.render(AdvisoryPageView(stored: stored, vendorSlugs: slugs, exposures: exposures, links: links),
                                       template: "advisory")
        }
    }

    /// What changed between two stored revisions: `from` and `to` as `RevisionComparison.reference` names them, by
    /// default the current revision against the one before it.
    @Sendable func changes(_ request: Request, context: Context) async throws -> Response {
        let raw = try context.parameters.require("id")
        let id = raw.contains("%") ? raw.removingPercentEncoding ?? raw : raw
        let parameters = request.uri.queryParameters
        let from = parameters.get("from").flatMap { $0.isEmpty ? nil : $0 }
        let to = parameters.get("to").flatMap { $0.isEmpty ? nil : $0 }
        for value in [from, to].compactMap({ $0 }) where value.unicodeScalars.count > 200 {
            throw HTTPError(.badRequest, message: "A revision is named by its version, at most 200 characters.")
        }
        // Keyed by the pair asked for: only pairs that exist are rendered, and each is cached until the store changes.
        return try await cached("/advisories/\(id)/changes?from=\(from ?? "")&to=\(to ?? "")") {
            guard let comparison = try await store.changes(advisoryID: id, from: from, to: to) else {
                throw HTTPError(.notFound, message: "No advisory with the ID \"\(id)\" is stored.")
            }
            return try renderer.render(ChangesPageView(comparison), template: "changes")
        }
    }

    @Sendable func revision(_ request: Request, context: Context) async throws -> Response {
        let raw = try context.parameters.require("id")
        let id = raw.contains("%") ? raw.removingPercentEncoding ?? raw : raw
        let document = try context.parameters.require("document")
        for suffix in [".json.sha512", ".json.sha256", ".json.asc", ".json"] where document.hasSuffix(suffix) {
            if let documentID = Int64(document.dropLast(suffix.count)) {
                return try await rawFile(advisoryID: id, documentID: documentID, suffix: suffix)
            }
        }
        throw HTTPError(.notFound, message: "Revision documents are addressed as /advisories/ID/revisions/N.json.")
    }

    /// The exact stored bytes, or a sidecar as published.
    func rawFile(advisoryID: String, documentID: Int64?, suffix: String) async throws -> Response {
        guard let document = try await store.rawDocument(advisoryID: advisoryID, documentID: documentID) else {
            throw HTTPError(.notFound, message: "No stored document for \"\(advisoryID)\".")
        }
        let body: [UInt8]?
        let contentType: String
        switch suffix {
        case ".json": body = document.bytes; contentType = "application/json"
        case ".json.sha512": body = document.sha512Sidecar.map { Array($0.utf8) }; contentType = "text/plain; charset=utf-8"
        case ".json.sha256": body = document.sha256Sidecar.map { Array($0.utf8) }; contentType = "text/plain; charset=utf-8"
        default: body = document.signature; contentType = "application/pgp-signature"
        }
        guard let body else {
            throw HTTPError(.notFound, message: "The publisher did not provide a \(suffix.dropFirst(5)) file for this document.")
        }
        let fileName = document.fileName + suffix.dropFirst(5)
        return Response(status: .ok, headers: [
            .contentType: contentType,
            .contentDisposition: "inline; filename=\"\(fileName.replacingOccurrences(of: "\"", with: ""))\"",
        ], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    @Sendable func stylesheet(_ request: Request, context: Context) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                 body: .init(byteBuffer: stylesheet))
    }

    @Sendable func favicon(_ request: Request, context: Context) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "public, max-age=86400"],
                 body: .init(byteBuffer: ByteBuffer(string: StaticAssets.favicon)))
    }
}

/// The vendor index.
struct VendorListView {
    struct Row {
        let name: String
        let href: String
        let count: String
        let latest: String?
    }
    let pageTitle = "Vendors"
    let rows: [Row]
    let total: String
    let shown: String
    let filter: String
    let hasRows: Bool

    init(vendors: [VendorSummary], total: Int, filter: String) {
        rows = vendors.map { Row(name: $0.name, href: "/vendors/\($0.slug)", count: $0.advisoryCount.formatted(), latest: Format.day($0.latest)) }
        self.total = total.formatted()
        shown = vendors.count.formatted()
        self.filter = filter
        hasRows = !vendors.isEmpty
    }
}

/// Files served from the `Web` target's resources.
enum StaticAssets {
    static func stylesheet() throws -> String {
        guard let url = Bundle.module.url(forResource: "vigil", withExtension: "css", subdirectory: "Resources/static")
            ?? Bundle.module.resourceURL?.appendingPathComponent("Resources/static/vigil.css"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw WebSetupError("the stylesheet is missing from the installation")
        }
        return text
    }

    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f3a5f"/><path d="M8 9l8 15 8-15" fill="none" stroke="#f5b700" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>
        """
}
