import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import VigilTestSupport

/// How the tests run the shared `ProviderMirror` (VigilTestSupport): through HummingbirdTesting's live server.
extension ProviderMirror {
    /// Runs `body` with the server listening on a free loopback port.
    func run(_ body: @Sendable (ProviderMirror) async throws -> Void) async throws {
        let router = Router()
        router.get("**") { request, _ in try await self.respond(request) }
        router.get("/") { request, _ in try await self.respond(request) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            port.withLock { $0 = client.port ?? 0 }
            try await body(self)
        }
    }

    /// Replaces a feed entry's `updated` time, in the overlay (for revised documents).
    func setUpdated(feed: String, document: String, to updated: String) throws {
        let original = try #require(content(feed))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(original)) as? [String: Any])
        var feedObject = try #require(object["feed"] as? [String: Any])
        var entries = try #require(feedObject["entry"] as? [[String: Any]])
        var found = false
        for index in entries.indices {
            let links = entries[index]["link"] as? [[String: Any]] ?? []
            if links.contains(where: { ($0["href"] as? String)?.hasSuffix("/" + document) == true && $0["rel"] as? String == "self" }) {
                entries[index]["updated"] = updated
                found = true
            }
        }
        try #require(found, "no feed entry for \(document)")
        feedObject["entry"] = entries
        object["feed"] = feedObject
        set(feed, [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])))
    }
}
