import CSAF
import Foundation
import Storage
import OpenPGP

/// Finding the provider metadata (requirements 7 to 10) and its keys (requirement 20).
extension CheckRun {
    enum Readout {
        case value(JSONValue)
        case problem(String)
    }

    struct Located {
        var url: String?
        var value: JSONValue?
        var problem: String?
    }

    /// Reads JSON at `url`: the value, or why not (naming the URL).
    func readJSON(_ url: String) async -> Readout {
        switch await fetch(url, json: true) {
        case .failed(let failure):
            return .problem(failure.description)
        case .body(let bytes):
            do {
                return .value(try JSONParser.parse(bytes))
            } catch {
                return .problem("\(url) is not JSON: \(error)")
            }
        }
    }

    /// Reads provider metadata at `url`, or why it is not that.
    func readMetadata(_ url: String, acceptAggregator: Bool = false) async -> Readout {
        switch await readJSON(url) {
        case .problem(let problem): return .problem(problem)
        case .value(let value):
            let kind = JSONDocumentKind.classify(value)
            if kind == .providerMetadata || (acceptAggregator && kind == .aggregator) { return .value(value) }
            return .problem("\(url) is a \(kind.rawValue), not provider metadata")
        }
    }

    /// The main domain's three places (§7.3.1), each judged as its requirement; the metadata to check.
    func locate() async -> Located {
        let typedURL = input.contains("://") ? input : nil
        let hostPort: String
        if let typedURL {
            let components = URLComponents(string: typedURL)
            hostPort = (components?.host ?? "") + (components?.port.map { ":\($0)" } ?? "")
        } else {
            hostPort = input.split(separator: "/").first.map(String.init) ?? input
        }
        let host = URLComponents(string: "http://" + hostPort)?.host ?? hostPort
        let scheme = LoopbackHost.contains(host) ? "http" : "https"

        var typed: Readout?
        if let typedURL {
            typed = await readMetadata(typedURL, acceptAggregator: true)
            if case .value(let value) = typed, JSONDocumentKind.classify(value) == .aggregator {
                return Located(url: typedURL, value: value)
            }
        }

        // Requirement 9: the well-known URL.
        let wellKnown = "\(scheme)://\(hostPort)/.well-known/csaf/provider-metadata.json"
        var wellKnownValue: JSONValue?
        switch await readMetadata(wellKnown) {
        case .value(let value):
            let problems = ProviderMetadataSchema.problems(value)
            if problems.isEmpty {
                wellKnownValue = value
                tally.passes[9] = "\(wellKnown) serves the provider metadata"
            } else {
                tally.fail(9, "\(wellKnown) serves provider metadata that breaks the schema: \(problems[0])")
            }
        case .problem(let problem):
            tally.fail(9, problem)
        }

        // Requirement 8: security.txt, at RFC 9116's place (or the legacy one, with advice).
        var securityFields: [String] = []
        var securityURL = "\(scheme)://\(hostPort)/.well-known/security.txt"
        var securityText: String?
        switch await fetch(securityURL, maxBytes: 1 << 20) {
        case .body(let body): securityText = String(decoding: body, as: UTF8.self)
        case .failed(let failure):
            let legacy = "\(scheme)://\(hostPort)/security.txt"
            if case .body(let body) = await fetch(legacy, maxBytes: 1 << 20) {
                securityText = String(decoding: body, as: UTF8.self)
                tally.advise(8, "security.txt is at \(legacy); RFC 9116 places it at \(securityURL), which answered: \(failure.description)")
                securityURL = legacy
            } else {
                tally.fail(8, failure.description)
            }
        }
        if let securityText {
            securityFields = SourceDiscovery.csafFields(in: securityText)
            if securityFields.isEmpty { tally.fail(8, "\(securityURL) has no CSAF: field naming the provider metadata") }
            for field in securityFields {
                let components = URLComponents(string: field)
                let secure = components?.scheme?.lowercased() == "https"
                    || (components?.scheme?.lowercased() == "http" && LoopbackHost.contains(components?.host ?? ""))
                if !secure { tally.fail(8, "\(securityURL): \"CSAF: \(field)\" does not begin with https://") }
            }
            if securityFields.count > 1 {
                tally.advise(8, "\(securityURL) names \(securityFields.count) provider metadata files; more than one SHOULD NOT be advertised")
                if wellKnownValue != nil, securityFields.contains(wellKnown), securityFields.first != wellKnown {
                    tally.fail(8, "\(securityURL): the well-known URL \(wellKnown) must be the first CSAF: field")
                }
            }
        }

        // Requirement 10: the DNS path, for a name (an address has none).
        var dnsValue: JSONValue?
        let dnsURL = "https://csaf.data.security.\(host)/"
        if OutboundPolicy.scope(ofAddress: OutboundPolicy.bare(host)) != nil || LoopbackHost.contains(host) {
            tally.notApplicable[10] = "\(host) is an address or this machine, not a domain: there is no csaf.data.security name"
        } else {
            switch await readMetadata(dnsURL) {
            case .value(let value):
                dnsValue = value
                tally.passes[10] = "\(dnsURL) serves the provider metadata"
            case .problem(let problem):
                tally.fail(10, problem)
            }
        }

        // A relative field (gocsaf's test providers write "CSAF: /provider-metadata.json") is failed above for its
        // scheme; from here on it is read against the security.txt's own URL.
        let named = securityFields.map { URL(string: $0, relativeTo: URL(string: securityURL))?.absoluteString ?? $0 }

        // The metadata to check: the typed URL, else the places in §7.3.1's order.
        var chosen: (String, JSONValue)?
        var problem: String?
        if let typedURL, let typed {
            switch typed {
            case .value(let value): chosen = (typedURL, value)
            case .problem(let why): problem = why
            }
        } else if let wellKnownValue {
            chosen = (wellKnown, wellKnownValue)
        } else {
            for field in named {
                if case .value(let value) = await readMetadata(field) {
                    chosen = (field, value)
                    break
                }
            }
            if chosen == nil, let dnsValue { chosen = (dnsURL, dnsValue) }
            if chosen == nil { problem = "no provider metadata found for \(hostPort): not at \(wellKnown), in security.txt, or at \(dnsURL)" }
        }
        if let (url, _) = chosen, securityText != nil, !securityFields.isEmpty, !named.contains(url) {
            tally.fail(8, "\(securityURL) names \(securityFields.joined(separator: ", ")), not the provider metadata checked (\(url))")
        } else if chosen != nil, securityText != nil, !tally.failed(8) {
            tally.passes[8] = "\(securityURL) names the provider metadata"
        }
        return Located(url: chosen?.0, value: chosen?.1, problem: problem)
    }

    /// Requirement 7.
    func checkMetadata(_ metadata: JSONValue, url: String) {
        let problems = ProviderMetadataSchema.problems(metadata)
        for problem in problems { tally.fail(7, "\(url): \(problem)") }
        if let canonical = metadata["canonical_url"]?.stringValue, canonical != url {
            tally.advise(7, "canonical_url is \(canonical), but the metadata was read from \(url)")
        }
        if problems.isEmpty {
            tally.passes[7] = "\(url) is valid provider metadata (role \(metadata["role"]?.stringValue ?? "?"))"
        }
        metadataPublisher = metadata["publisher"]?["namespace"]?.stringValue
    }

    /// Requirement 20: every listed key read, pinned to its fingerprint; a key ring for requirement 19.
    func checkKeys(_ metadata: JSONValue) async {
        let listed = metadata["public_openpgp_keys"].arrayValue
        guard !listed.isEmpty else {
            tally.fail(20, "the provider metadata lists no public OpenPGP key (public_openpgp_keys)")
            return
        }
        var certificates: [Certificate] = []
        var described: [String] = []
        for (index, entry) in listed.enumerated() {
            guard let url = entry["url"]?.stringValue else {
                tally.fail(20, "public_openpgp_keys[\(index)] has no url")
                continue
            }
            let fetched = await fetch(url, maxBytes: 1 << 20)
            guard case .body(let bytes) = fetched else {
                if case .failed(let failure) = fetched { tally.fail(20, "the key \(url) cannot be fetched: \(failure.description)") }
                continue
            }
            let read: [Certificate]
            do {
                read = try Certificate.read(bytes)
            } catch {
                tally.fail(20, "\(url) is not a readable OpenPGP public key: \(error)")
                continue
            }
            var usable = read
            if let fingerprint = entry["fingerprint"]?.stringValue {
                let pinned = Keyring.normalise(fingerprint)
                usable = read.filter { $0.fingerprintHex == pinned }
                if usable.isEmpty {
                    tally.fail(20, "\(url) holds \(read.map(\.fingerprintHex).joined(separator: ", ")), not the key \(pinned) the metadata lists")
                    continue
                }
            } else {
                tally.advise(20, "public_openpgp_keys[\(index)] gives no fingerprint: readers cannot pin the key at \(url)")
            }
            for certificate in usable {
                let algorithm = certificate.primary.algorithmDescription
                if let bits = algorithm.hasPrefix("RSA-") ? Int(algorithm.dropFirst(4)) : nil, bits < 2048 {
                    tally.advise(20, "the key \(certificate.fingerprintHex) is \(algorithm): keys SHOULD have a strength considered secure (RSA of 3072 bits or more, or elliptic curves)")
                }
                described.append("\(certificate.fingerprintHex) (\(algorithm))")
            }
            certificates += usable
        }
        if !certificates.isEmpty { keyring = Keyring(certificates: certificates) }
        if !tally.failed(20) { tally.passes[20] = "\(described.count) key\(described.count == 1 ? "" : "s") read and matching the metadata: " + described.joined(separator: ", ") }
    }
}

/// The CSAF provider metadata schema (`provider_json_schema.json`), checked by hand: each problem with its JSON path.
enum ProviderMetadataSchema {
    static func problems(_ value: JSONValue) -> [String] {
        var problems: [String] = []
        func require(_ key: String) -> JSONValue? {
            guard let found = value[key] else {
                problems.append("$.\(key) is missing (required)")
                return nil
            }
            return found
        }
        if let url = require("canonical_url") {
            if !isURI(url.stringValue) { problems.append("$.canonical_url is not a URL") }
            else if !(url.stringValue ?? "").hasSuffix("/provider-metadata.json") { problems.append("$.canonical_url must end with /provider-metadata.json") }
        }
        if let date = require("last_updated"), date.stringValue.flatMap(Timestamp.parse) == nil {
            problems.append("$.last_updated is not a date-time (RFC 3339)")
        }
        for key in ["list_on_CSAF_aggregators", "mirror_on_CSAF_aggregators"] {
            if let flag = require(key), case .bool = flag {} else if value[key] != nil { problems.append("$.\(key) must be true or false") }
        }
        if let version = require("metadata_version"), version.stringValue != "2.0" { problems.append("$.metadata_version must be \"2.0\"") }
        if let role = require("role"), !["csaf_publisher", "csaf_provider", "csaf_trusted_provider"].contains(role.stringValue ?? "") {
            problems.append("$.role must be csaf_publisher, csaf_provider or csaf_trusted_provider")
        }
        if let publisher = require("publisher") { problems += publisherProblems(publisher, path: "$.publisher") }
        if let distributions = value["distributions"] {
            let items = distributions.arrayValue
            if items.isEmpty { problems.append("$.distributions must be a non-empty array") }
            for (i, item) in items.enumerated() {
                let path = "$.distributions[\(i)]"
                guard case .object(let members) = item, !members.isEmpty else {
                    problems.append("\(path) must be an object with directory_url or rolie")
                    continue
                }
                if let directory = item["directory_url"], !isURI(directory.stringValue) { problems.append("\(path).directory_url is not a URL") }
                if let rolie = item["rolie"] {
                    let feeds = rolie["feeds"].arrayValue
                    if feeds.isEmpty { problems.append("\(path).rolie.feeds must list at least one feed") }
                    for (j, feed) in feeds.enumerated() {
                        if !["UNLABELED", "WHITE", "GREEN", "AMBER", "RED"].contains(feed["tlp_label"]?.stringValue ?? "") {
                            problems.append("\(path).rolie.feeds[\(j)].tlp_label must be UNLABELED, WHITE, GREEN, AMBER or RED")
                        }
                        let url = feed["url"]?.stringValue
                        if !isURI(url) || !(url ?? "").hasSuffix(".json") { problems.append("\(path).rolie.feeds[\(j)].url must be a URL ending in .json") }
                    }
                    for key in ["services", "categories"] {
                        guard let list = rolie[key] else { continue }
                        if list.arrayValue.isEmpty { problems.append("\(path).rolie.\(key) must be a non-empty array") }
                        for (j, url) in list.arrayValue.enumerated() where !isURI(url.stringValue) || !(url.stringValue ?? "").hasSuffix(".json") {
                            problems.append("\(path).rolie.\(key)[\(j)] must be a URL ending in .json")
                        }
                    }
                }
            }
        }
        for (i, key) in value["public_openpgp_keys"].arrayValue.enumerated() {
            if !isURI(key["url"]?.stringValue) { problems.append("$.public_openpgp_keys[\(i)].url is missing or not a URL") }
            if let fingerprint = key["fingerprint"] {
                let text = fingerprint.stringValue ?? ""
                if text.count < 40 || !text.allSatisfy(\.isHexDigit) {
                    problems.append("$.public_openpgp_keys[\(i)].fingerprint must be 40 or more hexadecimal digits")
                }
            }
        }
        return problems
    }

    /// The CSAF document schema's publisher, as the provider and aggregator schemas refer to it.
    static func publisherProblems(_ publisher: JSONValue, path: String) -> [String] {
        var problems: [String] = []
        let categories = ["coordinator", "discoverer", "other", "translator", "user", "vendor"]
        if !categories.contains(publisher["category"]?.stringValue ?? "") {
            problems.append("\(path).category must be one of " + categories.joined(separator: ", "))
        }
        if (publisher["name"]?.stringValue ?? "").isEmpty { problems.append("\(path).name is missing or empty") }
        if !isURI(publisher["namespace"]?.stringValue) { problems.append("\(path).namespace is missing or not a URL") }
        return problems
    }

    static func isURI(_ text: String?) -> Bool {
        guard let text, let components = URLComponents(string: text), let scheme = components.scheme, !scheme.isEmpty else { return false }
        return !text.contains(" ")
    }
}
