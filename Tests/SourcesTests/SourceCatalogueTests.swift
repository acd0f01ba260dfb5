import CSAF
import Foundation
import Sources
import Storage
import Testing

@Suite("Source catalogue")
struct SourceCatalogueTests {
    @Test("unique slugs, HTTPS feed URLs, sorted by name; CISA, its KEV catalogue and a no-feed vendor as expected")
    func catalogue() {
        let entries = SourceCatalogue.entries
        #expect(Set(entries.map(\.slug)).count == entries.count)
        #expect(entries.allSatisfy { $0.slug.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" } })
        #expect(entries.map { $0.name.lowercased() } == entries.map { $0.name.lowercased() }.sorted())
        for entry in entries {
            switch entry.feed {
            case .csafProvider(let url), .csafAggregator(let url), .knownExploitedCatalogue(let url):
                #expect(HTTPFetcher.check(url) == nil, "\(entry.slug): \(url)")
                #expect(url.hasPrefix("https://"), "\(entry.slug)")
            case .none(let page):
                #expect(page.hasPrefix("https://"), "\(entry.slug)")
                #expect(!entry.enabledByDefault, "\(entry.slug) has no feed and cannot be enabled")
            }
        }
        #expect(SourceCatalogue.entry(slug: "cisa")?.feed == .csafProvider(metadataURL: "https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json"))
        #expect(SourceCatalogue.entry(slug: "cisa-kev")?.feed == .knownExploitedCatalogue(url: KnownExploitedSync.defaultURL))
        #expect(SourceCatalogue.withoutFeed.contains { $0.name == "Rockwell Automation" })

        let seeded = SourceCatalogue.seedRecords()
        #expect(seeded.count == entries.count - SourceCatalogue.withoutFeed.count)
        #expect(seeded.first { $0.slug == "cisa-kev" }?.kind == .kev)
        #expect(seeded.first { $0.slug == "cisa-kev" }?.pollInterval == 3600)
        #expect(seeded.filter { $0.kind == .provider }.allSatisfy { $0.enabled })
    }
}
