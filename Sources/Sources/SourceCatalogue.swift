import CSAF
import Storage

/// A source Vigil knows about out of the box.
public struct CatalogueEntry: Sendable, Equatable {
    public enum Feed: Sendable, Equatable {
        /// A CSAF 2.0 provider: its provider-metadata.json URL.
        case csafProvider(metadataURL: String)
        /// A CSAF aggregator (aggregator.json) whose providers are added one by one.
        case csafAggregator(url: String)
        /// No machine-readable feed: advisories are published as web pages only.
        case none(advisoryPage: String)
        /// CISA's Known Exploited Vulnerabilities catalogue (JSON feed): enrichment for the advisories' CVEs.
        case knownExploitedCatalogue(url: String)
    }

    public var slug: String        // lower-case, [a-z0-9-], unique, e.g. "cisa", "siemens", "phoenix-contact"
    public var name: String        // as people write it, e.g. "Siemens ProductCERT"
    public var feed: Feed
    /// Whether the source is enabled on a new installation (every CSAF provider: true; entries without feed: false).
    public var enabledByDefault: Bool
    /// One sentence for people: who publishes, what it covers, or why there is no feed.
    public var note: String

    public init(slug: String, name: String, feed: Feed, enabledByDefault: Bool, note: String) {
        self.slug = slug
        self.name = name
        self.feed = feed
        self.enabledByDefault = enabledByDefault
        self.note = note
    }
}

/// The OT/ICS advisory sources Vigil ships with.
///
/// Entries are sorted by name, ignoring case. Every URL below was taken from public material that states it; the
/// comment above each entry says where. Abbreviations used in those comments:
///
/// - VL: CIRCL's Vulnerability-Lookup (github.com/vulnerability-lookup/vulnerability-lookup), which reads each
///   provider below through `vulnerabilitylookup/feeders/<file>.py`, one file per provider, each holding the
///   provider-metadata URL as `csaf_metadata`. In its pull request #448 a maintainer re-verified the CERT@VDE tenant
///   URLs live ("each URL returns valid provider metadata and the publisher.name matches the feeder").
/// - CERT@VDE tenants: CERT@VDE hosts a CSAF trusted provider for each participating manufacturer at
///   `https://<vendor>.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json`.
///
/// Aggregators are off by default: their providers overlap the providers listed here, and the BSI list is mostly
/// IT vendors, so turning one on is a deliberate choice.
public enum SourceCatalogue {
    public static let entries: [CatalogueEntry] = [
        // Evidence: VL feeders/csaf_abb.py (added by merged PR #269, "CSAF ABB feeder"); ABB's CSAF documents are
        // served under the same folder (psirt.abb.com/csaf/2025/7paa022088.json, ROLIE feed
        // psirt.abb.com/csaf/abb-csaf-feed-tlp-white.json). Two other public lists give
        // https://psirt.abb.com/.well-known/csaf/provider-metadata.json instead; same host, likely the well-known alias.
        CatalogueEntry(
            slug: "abb",
            name: "ABB PSIRT",
            feed: .csafProvider(metadataURL: "https://psirt.abb.com/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "ABB's product security team publishes its cybersecurity advisories for automation, robotics and electrification products as CSAF."
        ),
        // Evidence: VL feeders/csaf_beckhoffautomationgmbhcokg.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "beckhoff",
            name: "Beckhoff Automation",
            feed: .csafProvider(metadataURL: "https://beckhoff.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Beckhoff's advisories for TwinCAT, PLCs and industrial PCs, published as CSAF through CERT@VDE."
        ),
        // Evidence: Bosch advisories are cited as pages under psirt.bosch.com/security-advisories/ (e.g.
        // bosch-sa-196933-bt.html) in several public projects; no Bosch CSAF provider-metadata URL was found.
        CatalogueEntry(
            slug: "bosch",
            name: "Bosch PSIRT",
            feed: .none(advisoryPage: "https://psirt.bosch.com/security-advisories/"),
            enabledByDefault: false,
            note: "Bosch publishes its security advisories as web pages; no CSAF feed from Bosch could be confirmed."
        ),
        // Evidence: VL feeders/csaf_certbund.py; also the curated provider list of several other public CSAF tools.
        CatalogueEntry(
            slug: "cert-bund",
            name: "BSI CERT-Bund",
            feed: .csafProvider(metadataURL: "https://wid.cert-bund.de/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Germany's Federal Office for Information Security publishes its CERT-Bund warnings (WID), which also cover industrial products, as CSAF."
        ),
        // Evidence: a Dependency-Track test that creates a CsafAggregator for this URL named "CSAF Lister des
        // Bundesamts für Sicherheit in der Informationstechnik"; also named as a source of CSAF providers in a VEX
        // reader's README and in two other CSAF ingesters. It is a lister: it points at providers, it mirrors nothing.
        CatalogueEntry(
            slug: "bsi-aggregator",
            name: "BSI CSAF lister",
            feed: .csafAggregator(url: "https://wid.cert-bund.de/.well-known/csaf-aggregator/aggregator.json"),
            enabledByDefault: false,
            note: "The BSI's list of known CSAF providers, IT and OT alike, including some OT vendors not listed separately here."
        ),
        // Evidence: VL feeders/csaf_certvde.py; also a second public tool's test whose fixture security.txt for
        // certvde.com names this URL as its CSAF field.
        CatalogueEntry(
            slug: "cert-vde",
            name: "CERT@VDE",
            feed: .csafProvider(metadataURL: "https://certvde.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "CERT@VDE, the VDE's CERT for industrial automation, publishes the advisories it coordinates for manufacturers without their own tenant."
        ),
        // Evidence: Vulnerability-Lookup issue #344, opened by CERT@VDE itself: "we suggest adding our aggregator at
        // https://aggregator.certvde.com as a CSAF-source ... more than 400 CSAF-Advisories for OT/ICS related
        // products"; the full aggregator.json URL, at the CSAF standard's well-known aggregator path, is used by two
        // public OT tools (constant CSAF_AGGREGATOR_URL). Off by default: it overlaps the CERT@VDE tenants listed here.
        CatalogueEntry(
            slug: "cert-vde-aggregator",
            name: "CERT@VDE aggregator",
            feed: .csafAggregator(url: "https://aggregator.certvde.com/.well-known/csaf-aggregator/aggregator.json"),
            enabledByDefault: false,
            note: "CERT@VDE's aggregator of the CSAF providers it hosts for German and European automation manufacturers."
        ),
        // Evidence: cisagov/CSAF README.md ("CISA CSAF Trusted Provider ... visit CISA CSAF Provider Metadata"); VL
        // feeders/csaf_cisa.py.
        CatalogueEntry(
            slug: "cisa",
            name: "CISA",
            feed: .csafProvider(metadataURL: "https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "The US Cybersecurity and Infrastructure Security Agency publishes its ICS and medical advisories (ICSA, ICSMA) as CSAF."
        ),
        // Evidence: CISA's KEV catalogue page links this JSON feed; ../shared/data/vectors/kev holds a copy of it.
        CatalogueEntry(
            slug: "cisa-kev",
            name: "CISA Known Exploited Vulnerabilities",
            feed: .knownExploitedCatalogue(url: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"),
            enabledByDefault: true,
            note: "CVEs known to be exploited in the wild, with the date CISA added each and its remediation due date; advisories carrying one are marked KEV-listed."
        ),
        // Evidence: VL feeders/csaf_cisco.py; also the supplier list of two other public tools.
        CatalogueEntry(
            slug: "cisco",
            name: "Cisco PSIRT",
            feed: .csafProvider(metadataURL: "https://www.cisco.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Cisco's security advisories, mostly IT but also its industrial networking products, as CSAF."
        ),
        // Evidence: VL feeders/csaf_codesysgmbh.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "codesys",
            name: "CODESYS",
            feed: .csafProvider(metadataURL: "https://codesys.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "CODESYS advisories, which matter for the many PLCs built on its runtime, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_endresshauserag.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "endress-hauser",
            name: "Endress+Hauser",
            feed: .csafProvider(metadataURL: "https://endress-hauser.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Endress+Hauser's advisories for process instrumentation, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_festosecokg.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "festo",
            name: "Festo",
            feed: .csafProvider(metadataURL: "https://festo.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Festo's advisories for pneumatic and electric automation products, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_helmholzgmbhcokg.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "helmholz",
            name: "Helmholz",
            feed: .csafProvider(metadataURL: "https://helmholz.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Helmholz's advisories for remote-access routers and fieldbus components, published as CSAF through CERT@VDE."
        ),
        // Evidence: advisory page as linked in The Hacker News' vendor patch round-ups. One public list says Hitachi
        // Energy is reachable "via CERT-Bund aggregator", but no provider-metadata URL for it was found, so no feed.
        CatalogueEntry(
            slug: "hitachi-energy",
            name: "Hitachi Energy",
            feed: .none(advisoryPage: "https://www.hitachienergy.com/in/en/products-and-solutions/cybersecurity/alerts-and-notifications"),
            enabledByDefault: false,
            note: "Hitachi Energy publishes its cybersecurity advisories as web pages; a CSAF feed may be listed by the BSI lister, but its address could not be confirmed."
        ),
        // Evidence: advisory page cited by many public projects and The Hacker News' round-ups; no CSAF found.
        CatalogueEntry(
            slug: "honeywell",
            name: "Honeywell",
            feed: .none(advisoryPage: "https://www.honeywell.com/us/en/product-security"),
            enabledByDefault: false,
            note: "Honeywell publishes its security notifications on its product security web page; no machine-readable feed was found."
        ),
        // Evidence: VL feeders/csaf_janitzaelectronicsgmbh.py (CERT@VDE tenant); Janitza CSAF documents are linked
        // at janitza.csaf-tp.certvde.com/.well-known/csaf/white/2025/vde-2025-079.json.
        CatalogueEntry(
            slug: "janitza",
            name: "Janitza",
            feed: .csafProvider(metadataURL: "https://janitza.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Janitza's advisories for power quality and energy measurement devices, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_lenzese.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "lenze",
            name: "Lenze",
            feed: .csafProvider(metadataURL: "https://lenze.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Lenze's advisories for drives and automation controllers, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_mbconnectlinegmbh.py (CERT@VDE tenant); MB connect line CSAF documents are
        // linked at mbconnectline.csaf-tp.certvde.com/.well-known/csaf/white/2026/vde-2026-030.json.
        CatalogueEntry(
            slug: "mb-connect-line",
            name: "MB connect line",
            feed: .csafProvider(metadataURL: "https://mbconnectline.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "MB connect line's advisories for mbNET and mbCONNECT24 remote maintenance products, published as CSAF through CERT@VDE."
        ),
        // Evidence: advisory index as linked in The Hacker News' round-ups; individual advisories are PDFs under
        // mitsubishielectric.com/psirt/vulnerability/pdf/ (cited by many projects); no CSAF found.
        CatalogueEntry(
            slug: "mitsubishi-electric",
            name: "Mitsubishi Electric",
            feed: .none(advisoryPage: "https://www.mitsubishielectric.com/en/psirt/vulnerability/index.html"),
            enabledByDefault: false,
            note: "Mitsubishi Electric publishes its advisories as PDF documents listed on its PSIRT page; no machine-readable feed was found."
        ),
        // Evidence: advisory page as linked in The Hacker News' round-ups and several public tools; no CSAF found.
        CatalogueEntry(
            slug: "moxa",
            name: "Moxa",
            feed: .none(advisoryPage: "https://www.moxa.com/en/support/product-support/security-advisory"),
            enabledByDefault: false,
            note: "Moxa publishes its security advisories (MPSA) as web pages; no machine-readable feed was found."
        ),
        // Evidence: VL feeders/csaf_murrelektronikgmbh.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "murrelektronik",
            name: "Murrelektronik",
            feed: .csafProvider(metadataURL: "https://murrelektronik.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Murrelektronik's advisories for decentralised automation components, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_nozominetworks.py; also two other public CSAF provider lists.
        CatalogueEntry(
            slug: "nozomi-networks",
            name: "Nozomi Networks",
            feed: .csafProvider(metadataURL: "https://csaf.data.security.nozominetworks.com/provider-metadata.json"),
            enabledByDefault: true,
            note: "Nozomi Networks publishes advisories for its own OT monitoring products as CSAF."
        ),
        // Evidence: VL feeders/csaf_pepperlfuchsse.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "pepperl-fuchs",
            name: "Pepperl+Fuchs",
            feed: .csafProvider(metadataURL: "https://pepperl-fuchs.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Pepperl+Fuchs's advisories for sensors, interface and explosion-protection products, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_phoenixcontactgmbhcokg.py (CERT@VDE tenant); Phoenix Contact CSAF documents are
        // linked at phoenixcontact.csaf-tp.certvde.com/.well-known/csaf/white/2026/vde-2026-008.json.
        CatalogueEntry(
            slug: "phoenix-contact",
            name: "Phoenix Contact",
            feed: .csafProvider(metadataURL: "https://phoenixcontact.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Phoenix Contact's advisories for PLCnext, controllers, routers and software, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_pilzgmbhcokg.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "pilz",
            name: "Pilz",
            feed: .csafProvider(metadataURL: "https://pilz.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Pilz's advisories for safety controllers and safe automation products, published as CSAF through CERT@VDE."
        ),
        // Evidence: Trust Center advisory page cited by many public projects (advisories at
        // .../trust-center/security-advisories/advisory.SD1787.html and similar); no CSAF found.
        CatalogueEntry(
            slug: "rockwell-automation",
            name: "Rockwell Automation",
            feed: .none(advisoryPage: "https://www.rockwellautomation.com/en-us/trust-center/security-advisories.html"),
            enabledByDefault: false,
            note: "Rockwell Automation publishes its security advisories on its Trust Center web pages; no machine-readable feed was found."
        ),
        // Evidence: VL feeders/csaf_se.py, added after VL issue #300 asked for exactly this URL; also several other
        // public CSAF tools.
        CatalogueEntry(
            slug: "schneider-electric",
            name: "Schneider Electric",
            feed: .csafProvider(metadataURL: "https://www.se.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Schneider Electric publishes its security notifications (SEVD) as CSAF."
        ),
        // Evidence: VL feeders/csaf_sick.py; SICK CSAF documents are linked at
        // www.sick.com/.well-known/csaf/white/2026/sca-2026-0010.json.
        CatalogueEntry(
            slug: "sick",
            name: "SICK PSIRT",
            feed: .csafProvider(metadataURL: "https://www.sick.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "SICK's product security team publishes its advisories for sensors and industrial software as CSAF."
        ),
        // Evidence: VL feeders/csaf_siemens.py; also at least five other public tools, one of which notes it was
        // verified live together with the ROLIE feed ssa-feed-tlp-white.json next to it.
        CatalogueEntry(
            slug: "siemens",
            name: "Siemens ProductCERT",
            feed: .csafProvider(metadataURL: "https://cert-portal.siemens.com/productcert/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Siemens ProductCERT publishes its security advisories (SSA) for industrial and other Siemens products as CSAF."
        ),
        // Evidence: VL feeders/csaf_wagogmbhcokg.py (CERT@VDE tenant); WAGO CSAF documents are linked at
        // wago.csaf-tp.certvde.com/.well-known/csaf/white/2026/vde-2024-008.json.
        CatalogueEntry(
            slug: "wago",
            name: "WAGO",
            feed: .csafProvider(metadataURL: "https://wago.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "WAGO's advisories for controllers, couplers and automation software, published as CSAF through CERT@VDE."
        ),
        // Evidence: VL feeders/csaf_weidmuellerinterfacegmbhcokg.py (CERT@VDE tenant).
        CatalogueEntry(
            slug: "weidmueller",
            name: "Weidmüller",
            feed: .csafProvider(metadataURL: "https://weidmueller.csaf-tp.certvde.com/.well-known/csaf/provider-metadata.json"),
            enabledByDefault: true,
            note: "Weidmüller's advisories for industrial routers, switches and automation products, published as CSAF through CERT@VDE."
        ),
        // Evidence: advisory report list cited by several public projects (scrapers of this exact page); no CSAF found.
        CatalogueEntry(
            slug: "yokogawa",
            name: "Yokogawa",
            feed: .none(advisoryPage: "https://www.yokogawa.com/library/resources/white-papers/yokogawa-security-advisory-report-list/"),
            enabledByDefault: false,
            note: "Yokogawa publishes its security advisory reports as a web page list; no machine-readable feed was found."
        ),
    ]

    public static func entry(slug: String) -> CatalogueEntry? { entries.first { $0.slug == slug } }
}

extension SourceCatalogue {
    /// The catalogue's CSAF providers and aggregators as sources for a new installation.
    public static func seedRecords(pollInterval: Int = 300) -> [SourceRecord] {
        entries.compactMap { entry in
            switch entry.feed {
            case .csafProvider(let url):
                SourceRecord(slug: entry.slug, name: entry.name, kind: .provider, url: url, enabled: entry.enabledByDefault, pollInterval: pollInterval)
            case .csafAggregator(let url):
                SourceRecord(slug: entry.slug, name: entry.name, kind: .aggregator, url: url, enabled: entry.enabledByDefault, pollInterval: pollInterval)
            case .knownExploitedCatalogue(let url):
                // Published about once a day: polling it hourly is plenty.
                SourceRecord(slug: entry.slug, name: entry.name, kind: .kev, url: url, enabled: entry.enabledByDefault, pollInterval: max(pollInterval, 3600))
            case .none:
                nil
            }
        }
    }

    /// Publishers without a machine-readable feed: shown as such, never faked.
    public static var withoutFeed: [(name: String, page: String, note: String)] {
        entries.compactMap { entry in
            if case .none(let page) = entry.feed { return (entry.name, page, entry.note) }
            return nil
        }
    }
}
