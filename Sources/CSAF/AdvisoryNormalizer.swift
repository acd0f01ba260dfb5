import Foundation

/// Turns a decoded CSAF document into the `Advisory` Vigil stores and shows.
///
/// Pure: the same document always gives the same advisory. Nothing in the document is dropped silently: products
/// without a status are kept as `unlisted`, notes not consumed by a field are kept as notes.
public enum AdvisoryNormalizer {
    public static func normalize(_ csaf: CSAFDocument) -> Advisory {
        let doc = csaf.document
        let notes = doc.notes ?? []

        var catalogue = ProductCatalogue(tree: csaf.productTree, publisher: doc.publisher)
        let statuses = productStatuses(csaf.vulnerabilities ?? [])
        var products = catalogue.products
        for index in products.indices {
            products[index].status = statuses[products[index].productID] ?? .unlisted
        }

        var vendors: [String] = []
        var seenVendors = Set<String>()
        for product in products where !product.vendor.isEmpty && seenVendors.insert(product.vendor).inserted {
            vendors.append(product.vendor)
        }
        if vendors.isEmpty, doc.publisher.category == .vendor { vendors = [doc.publisher.name] }

        let vulnerabilities = (csaf.vulnerabilities ?? []).map { normalizeVulnerability($0) }
        let highest = highestScore(csaf.vulnerabilities ?? [])

        var remediations: [AdvisoryRemediation] = []
        for vulnerability in csaf.vulnerabilities ?? [] {
            for remediation in vulnerability.remediations ?? [] {
                let ids = catalogue.expand(productIDs: remediation.productIDs, groupIDs: remediation.groupIDs)
                let cves = vulnerability.cve.map { [$0] } ?? []
                // CISA repeats the same remediation under every CVE: show it once, naming all its CVEs.
                if let existing = remediations.firstIndex(where: {
                    $0.category == remediation.category.rawValue && $0.details == remediation.details
                        && $0.url == remediation.url && $0.productIDs == ids
                }) {
                    for cve in cves where !remediations[existing].cves.contains(cve) { remediations[existing].cves.append(cve) }
                    continue
                }
                remediations.append(AdvisoryRemediation(
                    category: remediation.category.rawValue, details: remediation.details, url: remediation.url,
                    date: remediation.date, productIDs: ids, products: ids.map { catalogue.displayName(of: $0) },
                    cves: cves))
            }
        }

        var consumed = Set<Int>()
        func noteText(title: String, category: Note.Category? = nil) -> String? {
            for (index, note) in notes.enumerated()
            where note.title?.trimmed.lowercased() == title.lowercased()
                && (category == nil || note.category == category) {
                consumed.insert(index)
                return note.text
            }
            return nil
        }
        var riskSummary = noteText(title: "Risk evaluation", category: .summary)
        if riskSummary == nil, let index = notes.firstIndex(where: { $0.category == .summary }) {
            consumed.insert(index)
            riskSummary = notes[index].text
        }
        let sectorText = noteText(title: "Critical infrastructure sectors")
        let countryText = noteText(title: "Countries/areas deployed")
        let headquarters = noteText(title: "Company headquarters location")?.trimmed

        let references = (doc.references ?? []).map {
            AdvisoryReference(category: $0.category?.rawValue ?? "external", summary: $0.summary, url: $0.url)
        }
        let selfReferences = references.filter { $0.category == "self" }
        let isJSON: (AdvisoryReference) -> Bool = { $0.url.lowercased().hasSuffix(".json") }

        return Advisory(
            id: doc.tracking.id,
            title: doc.title,
            publisher: PublisherInfo(name: doc.publisher.name, category: doc.publisher.category.rawValue,
                                     namespace: doc.publisher.namespace),
            category: doc.category,
            initialReleaseDate: Timestamp.parse(doc.tracking.initialReleaseDate),
            currentReleaseDate: Timestamp.parse(doc.tracking.currentReleaseDate),
            version: doc.tracking.version,
            status: doc.tracking.status.rawValue,
            tlp: doc.distribution?.tlp?.label.rawValue,
            aggregateSeverity: doc.aggregateSeverity?.text,
            highestScore: highest,
            riskSummary: riskSummary?.trimmed,
            vulnerabilities: vulnerabilities,
            remediations: remediations,
            vendors: vendors,
            products: products,
            sectors: sectorText.map(SectorList.split) ?? [],
            countries: countryText.map(SectorList.splitCountries) ?? [],
            headquarters: headquarters?.isEmpty == true ? nil : headquarters,
            sourceURL: (selfReferences.first { !isJSON($0) } ?? selfReferences.first)?.url,
            documentURL: selfReferences.first(where: isJSON)?.url,
            acknowledgments: (doc.acknowledgments ?? []).map {
                AdvisoryAcknowledgment(names: $0.names ?? [], organization: $0.organization, summary: $0.summary,
                                       urls: $0.urls ?? [])
            },
            references: references,
            revisions: doc.tracking.revisionHistory.map {
                AdvisoryRevision(number: $0.number, date: Timestamp.parse($0.date), summary: $0.summary)
            },
            aliases: doc.tracking.aliases ?? [],
            notes: notes.enumerated().filter { !consumed.contains($0.offset) }.map {
                AdvisoryNote(category: $0.element.category.rawValue, title: $0.element.title, text: $0.element.text)
            })
    }

    static func normalizeVulnerability(_ vulnerability: Vulnerability) -> AdvisoryVulnerability {
        let notes = vulnerability.notes ?? []
        let summary = notes.first { $0.category == .summary } ?? notes.first { $0.category == .description }
            ?? notes.first { $0.category == .details }
        return AdvisoryVulnerability(
            cve: vulnerability.cve,
            title: vulnerability.title,
            cweID: vulnerability.cwe?.id,
            cweName: vulnerability.cwe?.name,
            score: highestScore([vulnerability]),
            summary: summary?.text,
            ids: (vulnerability.ids ?? []).map { "\($0.systemName): \($0.text)" })
    }

    /// The highest score over the vulnerabilities: CVSS v3 when any is present, otherwise CVSS v2.
    static func highestScore(_ vulnerabilities: [Vulnerability]) -> CVSSScore? {
        var bestV3: CVSSScore?
        var bestV2: CVSSScore?
        for vulnerability in vulnerabilities {
            for score in vulnerability.scores ?? [] {
                if let v3 = score.cvssV3, v3.baseScore > (bestV3?.score ?? -1) {
                    let severity = Severity(rawValue: v3.baseSeverity.lowercased()) ?? Severity(score: v3.baseScore)
                    bestV3 = CVSSScore(score: v3.baseScore, severity: severity, vector: v3.vectorString, version: v3.version)
                }
                if let v2 = score.cvssV2, v2.baseScore > (bestV2?.score ?? -1) {
                    // CVSS v2 has no "critical" band: NVD's v2 ranges are low < 4, medium < 7, high ≥ 7.
                    let severity: Severity = v2.baseScore >= 7 ? .high : v2.baseScore >= 4 ? .medium
                        : v2.baseScore > 0 ? .low : .none
                    bestV2 = CVSSScore(score: v2.baseScore, severity: severity, vector: v2.vectorString, version: v2.version)
                }
            }
        }
        return bestV3 ?? bestV2
    }

    /// The most urgent status each product ID has across all vulnerabilities.
    static func productStatuses(_ vulnerabilities: [Vulnerability]) -> [String: ProductStatusKind] {
        var result: [String: ProductStatusKind] = [:]
        let order = ProductStatusKind.allCases
        func note(_ ids: [String]?, _ kind: ProductStatusKind) {
            for id in ids ?? [] {
                if let current = result[id], order.firstIndex(of: current)! <= order.firstIndex(of: kind)! { continue }
                result[id] = kind
            }
        }
        for vulnerability in vulnerabilities {
            guard let status = vulnerability.productStatus else { continue }
            note(status.knownAffected, .knownAffected)
            note(status.firstAffected, .knownAffected)
            note(status.lastAffected, .knownAffected)
            note(status.underInvestigation, .underInvestigation)
            note(status.fixed, .fixed)
            note(status.firstFixed, .fixed)
            note(status.knownNotAffected, .knownNotAffected)
            note(status.recommended, .recommended)
        }
        return result
    }
}

/// Every product the tree defines, with vendor, product name and version text resolved from its branch path.
struct ProductCatalogue {
    private(set) var products: [AffectedProduct] = []
    private var index: [String: Int] = [:]
    private var groups: [String: [String]] = [:]
    private var displayNames: [String?] = []

    init(tree: ProductTree?, publisher: Publisher) {
        guard let tree else { return }
        let fallbackVendor = publisher.category == .vendor ? publisher.name : ""
        for branch in tree.branches ?? [] {
            walk(branch, vendor: nil, product: nil, family: nil, version: nil, fallbackVendor: fallbackVendor)
        }
        for name in tree.fullProductNames ?? [] {
            add(name, vendor: fallbackVendor, product: name.name, version: nil)
        }
        for relationship in tree.relationships ?? [] {
            let component = index[relationship.productReference].map { products[$0] }
            add(relationship.fullProductName, vendor: component?.vendor ?? fallbackVendor,
                product: relationship.fullProductName.name, version: component?.version)
        }
        for group in tree.productGroups ?? [] { groups[group.groupID] = group.productIDs }
        displayNames = Array(repeating: nil, count: products.count)
    }

    private mutating func walk(_ branch: Branch, vendor: String?, product: String?, family: String?, version: String?,
                               fallbackVendor: String) {
        var vendor = vendor, product = product, family = family, version = version
        let name = branch.name.trimmed
        switch branch.category {
        case .vendor: vendor = name
        case .productName: product = name
        case .productFamily: family = name
        case .productVersion, .productVersionRange: version = branch.name
        default: break
        }
        if let leaf = branch.product {
            add(leaf, vendor: vendor ?? fallbackVendor, product: product ?? family ?? leaf.name, version: version)
        }
        for child in branch.branches ?? [] {
            walk(child, vendor: vendor, product: product, family: family, version: version, fallbackVendor: fallbackVendor)
        }
    }

    private mutating func add(_ name: FullProductName, vendor: String, product: String, version: String?) {
        guard index[name.productID] == nil else { return }
        let helper = name.productIdentificationHelper
        index[name.productID] = products.count
        products.append(AffectedProduct(
            productID: name.productID, vendor: vendor, product: product, version: version, fullName: name.name,
            status: .unlisted, cpe: helper?.cpe, purl: helper?.purl, modelNumbers: helper?.modelNumbers ?? []))
    }

    /// Product IDs plus the members of the named groups, in order, without repeats.
    func expand(productIDs: [String]?, groupIDs: [String]?) -> [String] {
        if groupIDs?.isEmpty ?? true, let productIDs, productIDs.count < 2 { return productIDs }
        var seen = Set<String>()
        var result: [String] = []
        for id in (productIDs ?? []) + (groupIDs ?? []).flatMap({ groups[$0] ?? [] }) where seen.insert(id).inserted {
            result.append(id)
        }
        return result
    }

    /// `Vendor · Product  version` for a product ID; the ID itself when the tree does not define it.
    /// Made once per product: CISA lists every product under every remediation of every CVE.
    mutating func displayName(of id: String) -> String {
        guard let position = index[id] else { return id }
        if let cached = displayNames[position] { return cached }
        let product = products[position]
        var name = product.vendor.isEmpty ? product.product : product.vendor + " · " + product.product
        if let version = product.version { name += " " + version }
        displayNames[position] = name
        return name
    }
}
