import ArgumentParser
import CSAF
import Crypto
import Foundation
import Sources
import Storage
import VigilTestSupport

/// Publishing at run time on a `ProviderMirror` (VigilTestSupport), for `vigil-bench latency`: each ROLIE feed is
/// served with only its newest entries at first, and documents are then published one at a time by adding an entry to
/// a feed. The served feed changes, and with it its ETag (a hash of the body), as at a real provider.
///
/// What is published goes into the mirror's overlay, which it serves before the folder: a replaced feed hides the
/// folder's copy, and a published document needs no file.
final class FeedPublisher {
    let provider: ProviderMirror
    /// The feed documents are published in (the one with the most entries), as a path under the provider folder.
    let feedPath: String
    /// The documents publications are made from: the publishing feed's entries left out at the start, newest first,
    /// then those it listed.
    let candidates: [Entry]
    /// Entries the folder's feeds hold, over every feed.
    let total: Int
    private var feed: [String: Any]
    private var entries: [[String: Any]]

    /// One feed entry: its document's path under the provider folder, and its id.
    struct Entry {
        var path: String
        var id: String
    }

    /// Serves every feed of the metadata with only its `keep` newest entries (all of them when `keep` is nil). The
    /// provider must be serving (its `base` known): entries are read as served, with their URLs rewritten.
    init(provider: ProviderMirror, feedPaths: [String], keep: Int?) throws {
        self.provider = provider
        let base = provider.base
        var largest: (path: String, feed: [String: Any], kept: [[String: Any]], candidates: [Entry], total: Int)?
        var total = 0
        for path in feedPaths {
            guard let bytes = provider.served(path),
                  let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let feed = object["feed"] as? [String: Any] else {
                throw ValidationError("the feed \(path) is missing or is not a ROLIE feed")
            }
            let sorted = ((feed["entry"] as? [[String: Any]]) ?? []).sorted {
                (($0["updated"] as? String) ?? "") > (($1["updated"] as? String) ?? "")
            }
            let kept = Array(sorted.prefix(keep ?? sorted.count))
            let candidates: [Entry] = (sorted.dropFirst(kept.count) + kept).compactMap { entry in
                let links = (entry["link"] as? [[String: Any]]) ?? []
                guard let url = links.first(where: { ($0["rel"] as? String) == "self" })?["href"] as? String, url.hasPrefix(base) else { return nil }
                return Entry(path: String(url.dropFirst(base.count)), id: (entry["id"] as? String) ?? "")
            }
            total += sorted.count
            try Self.serve(feed: feed, entries: kept, at: path, in: provider)
            if sorted.count > largest?.total ?? -1 {
                largest = (path, feed, kept, candidates, sorted.count)
            }
        }
        guard let largest else { throw ValidationError("the provider metadata lists no ROLIE feed") }
        feedPath = largest.path
        feed = largest.feed
        entries = largest.kept
        candidates = largest.candidates
        self.total = total
    }

    /// Publishes a document: serves it and its `.sha512` beside the feed, then adds its entry at the top of the feed
    /// with `published` and `updated` set to now. Returns the instant the new feed became visible (Unix seconds) and
    /// the document's path under the provider folder.
    ///
    /// The entry names no signature: the bytes are not CISA's, so no `.asc` exists for them. With the provider's key
    /// known, a document with a matching hash and no signature is stored as hash-only, not quarantined.
    func publish(_ bytes: [UInt8], name: String, id: String, title: String) throws -> (instant: Double, path: String) {
        let base = provider.base
        let folder = (feedPath as NSString).deletingLastPathComponent
        let path = folder + "/bench/" + name
        let hash = IntegrityChecker.hex(SHA512.hash(data: bytes)) + "  " + name + "\n"
        provider.set(path, bytes)
        provider.set(path + ".sha512", Array(hash.utf8))
        let now = Timestamp.format(Date())
        let entry: [String: Any] = [
            "id": id,
            "title": title,
            "link": [["rel": "self", "href": base + path], ["rel": "hash", "href": base + path + ".sha512"]],
            "published": now,
            "updated": now,
            "content": ["src": base + path, "type": "application/json"],
            "format": ["schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"],
        ]
        entries.insert(entry, at: 0)
        feed["updated"] = now
        try Self.serve(feed: feed, entries: entries, at: feedPath, in: provider)
        return (Date().timeIntervalSince1970, path)
    }

    private static func serve(feed: [String: Any], entries: [[String: Any]], at path: String, in provider: ProviderMirror) throws {
        var feed = feed
        feed["entry"] = entries
        let bytes = try JSONSerialization.data(withJSONObject: ["feed": feed], options: [.withoutEscapingSlashes])
        provider.set(path, [UInt8](bytes))
    }

    /// The paths, under the provider folder, of the ROLIE feeds the metadata lists.
    static func feedPaths(metadata: JSONValue, prefixes: [String]) -> [String] {
        guard case .array(let distributions)? = metadata["distributions"] else { return [] }
        var paths: [String] = []
        for distribution in distributions {
            guard case .array(let feeds)? = distribution["rolie"]?["feeds"] else { continue }
            for feed in feeds {
                guard let url = feed["url"]?.stringValue, let prefix = prefixes.first(where: { url.hasPrefix($0) }) else { continue }
                paths.append(String(url.dropFirst(prefix.count)))
            }
        }
        return paths
    }
}
