import CSAF
import Foundation
import Storage

/// Finds a CSAF source from what a person types: a provider-metadata.json URL, an aggregator URL, or a domain
/// (CSAF 2.0 §7.3.1: `/.well-known/csaf/provider-metadata.json`, then the `CSAF:` fields of `security.txt`, then the
/// DNS path `csaf.data.security.<domain>`).
public enum SourceDiscovery {
    public enum Found: Sendable, Equatable {
        case provider(url: String, name: String)
        case aggregator(url: String, name: String, providers: [Provider])
    }

    public struct Provider: Sendable, Equatable {
        public var name: String
        public var url: String
        /// Mirror URLs of the provider metadata an aggregator offers.
        public var mirrors: [String]
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// `allowPrivateNetwork`: the source option of that name; every URL tried (and those a security.txt names) is held
    /// to the access the typed input grants, never its own.
    public static func find(_ input: String, fetcher: HTTPFetcher, allowPrivateNetwork: Bool = false) async throws(Failure) -> Found {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.contains("://") {
            return try await classify(text, fetcher: fetcher, access: .configured(text, allowPrivateNetwork: allowPrivateNetwork))
        }
        // A domain: the three places of §7.3.1, in order; loopback hosts (mirrors, tests) over plain HTTP.
        let host = text.split(separator: "/").first.map(String.init) ?? text
        let scheme = HTTPFetcher.isLoopback(host.split(separator: ":").first.map(String.init) ?? host) ? "http" : "https"
        let access = OutboundAccess.configured("\(scheme)://\(host)/", allowPrivateNetwork: allowPrivateNetwork)
        // Each place tried, with why it did not answer as a provider (each message names its URL): a timeout reads
        // differently from a 404.
        var tried: [String] = []
        func attempt(_ url: String) async -> Found? {
            do { return try await classify(url, fetcher: fetcher, access: access) } catch { tried.append(error.message) }
            return nil
        }
        if let found = await attempt("\(scheme)://\(host)/.well-known/csaf/provider-metadata.json") { return found }
        let securityTxt = "\(scheme)://\(host)/.well-known/security.txt"
        do {
            if case .fetched(let body, _, _) = try await fetcher.get(securityTxt, maxBytes: 1 << 20, access: access) {
                let fields = csafFields(in: String(decoding: body, as: UTF8.self))
                for url in fields {
                    if let found = await attempt(url) { return found }
                }
                if fields.isEmpty { tried.append("\(securityTxt) has no CSAF: field") }
            }
        } catch {
            tried.append("\(error)")
        }
        if let found = await attempt("\(scheme)://csaf.data.security.\(host)/") { return found }
        throw Failure(message: "no CSAF provider found for \(host); tried \(tried.joined(separator: "; ")). Give the provider-metadata.json URL instead.")
    }

    /// The `CSAF:` field values of a security.txt (RFC 9116 with CSAF 2.0's extension).
    static func csafFields(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix("csaf:") else { return nil }
            return trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
        }
    }

    static func classify(_ url: String, fetcher: HTTPFetcher, access: OutboundAccess? = nil) async throws(Failure) -> Found {
        let body: [UInt8]
        do {
            guard case .fetched(let fetched, _, _) = try await fetcher.get(url, maxBytes: fetcher.policy.maxListingBytes, expectJSON: true, access: access) else {
                throw Failure(message: "\(url) answered 304 to an unconditional request")
            }
            body = fetched
        } catch let error as FetchFailure {
            throw Failure(message: error.description)
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(message: "\(url): \(error)")
        }
        guard let value = try? JSONParser.parse(body) else { throw Failure(message: "\(url) is not JSON") }
        switch JSONDocumentKind.classify(value) {
        case .providerMetadata:
            let name = value["publisher"]?["name"]?.stringValue ?? URLComponents(string: url)?.host ?? url
            return .provider(url: url, name: name)
        case .aggregator:
            let name = value["aggregator"]?["name"]?.stringValue ?? URLComponents(string: url)?.host ?? url
            return .aggregator(url: url, name: name, providers: providers(in: value))
        case let kind:
            throw Failure(message: "\(url) is a \(kind.rawValue), not provider metadata or an aggregator list")
        }
    }

    static func providers(in aggregator: JSONValue) -> [Provider] {
        let entries = aggregator["csaf_providers"].arrayValue + aggregator["csaf_publishers"].arrayValue
        return entries.compactMap { entry in
            guard let url = entry["metadata"]?["url"]?.stringValue else { return nil }
            let name = entry["metadata"]?["publisher"]?["name"]?.stringValue ?? URLComponents(string: url)?.host ?? url
            let mirrors = entry["mirrors"].arrayValue.compactMap(\.stringValue)
            return Provider(name: name, url: url, mirrors: mirrors)
        }
    }

    static func aggregatorProviders(_ url: String, fetcher: HTTPFetcher, counters: FetchCounters) async throws(Failure) -> [Provider] {
        guard case .aggregator(_, _, let providers) = try await classify(url, fetcher: fetcher) else {
            throw Failure(message: "\(url) is not a CSAF aggregator list")
        }
        return providers
    }

    /// A slug from a name: lower-case letters, digits and dashes, unique among `taken`.
    public static func slug(for name: String, taken: Set<String>) -> String {
        var base = ""
        for scalar in name.lowercased().folding(options: .diacriticInsensitive, locale: nil).unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar), scalar.isASCII { base.unicodeScalars.append(scalar) }
            else if !base.hasSuffix("-"), !base.isEmpty { base.append("-") }
        }
        while base.hasSuffix("-") { base.removeLast() }
        if base.isEmpty { base = "source" }
        var slug = base
        var n = 2
        while taken.contains(slug) {
            slug = "\(base)-\(n)"
            n += 1
        }
        return slug
    }
}
