import CSAF
import Foundation
import Storage

/// Aggregators and listers: requirements 21 to 23 on `aggregator.json` and its mirrors, and 1 to 6, 18 and 19 on the
/// documents of the mirrors (each mirror checked as a provider, with a share of the document budget).
extension CheckRun {
    static let mirrorLimit = 20

    func checkAggregator(_ value: JSONValue, url: String) async {
        let aggregator = value["aggregator"]
        name = aggregator?["name"]?.stringValue
        claimedRole = aggregator?["category"]?.stringValue
        for number in 7...20 where ![18, 19].contains(number) {
            tally.notApplicable[number] = "a requirement of providers: check each listed provider with vigil check-provider"
        }

        // Requirement 21.
        for problem in AggregatorSchema.problems(value) { tally.fail(21, "\(url): \(problem)") }
        if let canonical = value["canonical_url"]?.stringValue, canonical != url {
            tally.advise(21, "canonical_url is \(canonical), but the list was read from \(url)")
        }
        let beside = folder(of: url) + "/provider-metadata.json"
        if case .value = await readMetadata(beside) {
            tally.fail(21, "\(url) is stored beside a provider-metadata.json (\(beside)); an aggregator list must not be")
        }
        if !tally.failed(21) { tally.passes[21] = "\(url) is a valid aggregator list" }

        // Requirement 22.
        let entries = value["csaf_providers"].arrayValue + value["csaf_publishers"].arrayValue
        let parties = Set(entries.compactMap { $0["metadata"]?["publisher"]?["namespace"]?.stringValue ?? $0["metadata"]?["url"]?.stringValue })
        if parties.count >= 2 {
            tally.passes[22] = "it lists \(parties.count) issuing parties"
        } else {
            tally.fail(22, "it lists \(parties.count) issuing part\(parties.count == 1 ? "y" : "ies"); at least two disjoint ones are required")
        }

        // Requirement 23, and the mirrors' documents.
        let mirrors = entries.flatMap { $0["mirrors"].arrayValue.compactMap(\.stringValue) }
        let host = URLComponents(string: url)?.host?.lowercased()
        if claimedRole == "lister" {
            tally.notApplicable[23] = "a lister mirrors no documents"
            for number in [1, 2, 4, 5, 18, 19] { tally.notApplicable[number] = "a lister mirrors no documents" }
            if mirrors.contains(where: { URLComponents(string: $0)?.host?.lowercased() == host }) {
                tally.advise(22, "a lister lists no mirror under its own domain, but \(url) does")
            }
            finish()
            return
        }
        if mirrors.isEmpty { tally.fail(23, "\(url) lists no mirror") }
        let share = max(1, (options.maxDocuments ?? 100) / max(1, min(mirrors.count, Self.mirrorLimit)))
        var mirrored = Set<String>()
        var mirrorPasses: [Int: String] = [:]
        for mirror in mirrors.prefix(Self.mirrorLimit) {
            let own = URLComponents(string: mirror)?.host?.lowercased() == host
            if own, folder(of: folder(of: mirror)) != folder(of: url) {
                tally.fail(23, "the mirror \(mirror) is not in a folder beside \(url)")
            }
            var options = self.options
            options.maxDocuments = share
            let sub = CheckRun(input: mirror, fetcher: fetcher, options: options)
            guard let metadata = await sub.mirrorMetadata() else {
                tally.fail(23, "the mirror \(mirror) cannot be read as provider metadata")
                continue
            }
            if metadata["distributions"].arrayValue.allSatisfy({ $0["rolie"] == nil }) {
                tally.fail(23, "the mirror \(mirror) names no ROLIE feed")
            }
            await sub.checkRest(metadata, url: mirror)
            if own { mirrored.insert(metadata["publisher"]?["namespace"]?.stringValue ?? mirror) }
            // 3 and 6 come from the requests themselves (merged below); the documents' requirements from the mirror's.
            for number in [1, 2, 4, 5, 18, 19] {
                var part = Tally()
                for problem in sub.tally.problems[number] ?? [] { part.fail(number, problem) }
                part.counts[number] = sub.tally.counts[number]
                for text in sub.tally.advice[number] ?? [] { part.advise(number, text) }
                tally.merge(part)
                if let passed = sub.tally.passes[number] { mirrorPasses[number] = mirrorPasses[number] ?? "on the mirrors: " + passed }
            }
            listed += sub.listed
            checked += sub.checked
            urls.withLock { $0.formUnion(sub.urls.withLock { $0 }) }
            for hop in sub.redirects.all { redirects.append(hop) }
        }
        ownMirrors = mirrored.count
        if mirrors.count > Self.mirrorLimit {
            tally.advise(23, "only the first \(Self.mirrorLimit) of \(mirrors.count) mirrors were checked")
        }
        if !tally.failed(23), !mirrors.isEmpty { tally.passes[23] = "\(min(mirrors.count, Self.mirrorLimit)) mirrors read, each with provider metadata and a ROLIE feed" }
        for number in [1, 2, 4, 5, 18, 19] where !tally.failed(number) {
            if let passed = mirrorPasses[number] { tally.passes[number] = passed }
            else { tally.notApplicable[number] = checked == 0 ? "no mirrored document was found" : "no mirrored document checked concerns it" }
        }
        finish()
    }

    /// A mirror's metadata, read without the main domain's discovery.
    func mirrorMetadata() async -> JSONValue? {
        if case .value(let value) = await readMetadata(input) { return value }
        return nil
    }

    /// The provider checks after discovery (keys, listings, documents), for a mirror.
    func checkRest(_ metadata: JSONValue, url: String) async {
        metadataURL = url
        kind = "provider"
        checkMetadata(metadata, url: url)
        await checkKeys(metadata)
        let documents = await checkDistributions(metadata)
        await checkDocuments(documents)
        finish()
    }
}

/// The CSAF aggregator schema (`aggregator_json_schema.json`), checked by hand.
enum AggregatorSchema {
    static func problems(_ value: JSONValue) -> [String] {
        var problems: [String] = []
        if let aggregator = value["aggregator"] {
            if !["aggregator", "lister"].contains(aggregator["category"]?.stringValue ?? "") { problems.append("$.aggregator.category must be aggregator or lister") }
            if (aggregator["name"]?.stringValue ?? "").isEmpty { problems.append("$.aggregator.name is missing") }
            if !ProviderMetadataSchema.isURI(aggregator["namespace"]?.stringValue) { problems.append("$.aggregator.namespace is missing or not a URL") }
        } else {
            problems.append("$.aggregator is missing (required)")
        }
        if value["aggregator_version"]?.stringValue != "2.0" { problems.append("$.aggregator_version must be \"2.0\"") }
        let canonical = value["canonical_url"]?.stringValue
        if !ProviderMetadataSchema.isURI(canonical) || !(canonical ?? "").hasSuffix("/aggregator.json") {
            problems.append("$.canonical_url must be a URL ending in /aggregator.json")
        }
        if value["last_updated"]?.stringValue.flatMap(Timestamp.parse) == nil { problems.append("$.last_updated is missing or not a date-time") }
        if value["csaf_providers"].arrayValue.isEmpty { problems.append("$.csaf_providers must list at least one provider") }
        for key in ["csaf_providers", "csaf_publishers"] {
            for (i, entry) in value[key].arrayValue.enumerated() {
                let path = "$.\(key)[\(i)]"
                guard let metadata = entry["metadata"] else {
                    problems.append("\(path).metadata is missing")
                    continue
                }
                if metadata["last_updated"]?.stringValue.flatMap(Timestamp.parse) == nil { problems.append("\(path).metadata.last_updated is missing or not a date-time") }
                let url = metadata["url"]?.stringValue
                if !ProviderMetadataSchema.isURI(url) || !(url ?? "").hasSuffix("/provider-metadata.json") {
                    problems.append("\(path).metadata.url must be a URL ending in /provider-metadata.json")
                }
                if let publisher = metadata["publisher"] { problems += ProviderMetadataSchema.publisherProblems(publisher, path: "\(path).metadata.publisher") }
                else { problems.append("\(path).metadata.publisher is missing") }
                if let mirrors = entry["mirrors"] {
                    if mirrors.arrayValue.isEmpty { problems.append("\(path).mirrors must list at least one URL") }
                    for (j, mirror) in mirrors.arrayValue.enumerated() where !(mirror.stringValue ?? "").hasSuffix("/provider-metadata.json") {
                        problems.append("\(path).mirrors[\(j)] must be a URL ending in /provider-metadata.json")
                    }
                } else if key == "csaf_publishers" {
                    problems.append("\(path).mirrors is missing (required for publishers)")
                }
                if key == "csaf_publishers", entry["update_interval"]?.stringValue == nil { problems.append("\(path).update_interval is missing") }
            }
        }
        return problems
    }
}
