import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

/// Syncing a provider whose listed key URL cannot be read, as a mirror publishes it: the key is taken from beside the
/// metadata, under its fingerprint, and still pinned to it.
@Suite("Keys beside mirrored metadata, over loopback", .serialized)
struct MirrorKeySyncTests {
    static let cisaKey = "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"
    static let document = "csaf_files/OT/white/2022/icsa-22-172-04.json"

    /// CISA's folder whose metadata lists its key at a URL that answers 404; the key served at `keyPath` if given.
    static func mirror(keyPath: String?) throws -> ProviderMirror {
        let mirror = try ProviderMirror.cisa()
        let metadata = String(decoding: try #require(mirror.content("provider-metadata.json")), as: UTF8.self)
            .replacingOccurrences(of: "csaf/cisacsafsigning_public.asc", with: "csaf/keys/gone.asc")
        mirror.set("provider-metadata.json", Array(metadata.utf8))
        if let keyPath { mirror.set(keyPath, try SharedData.bytes("providers/cisa/cisacsafsigning_public.asc")) }
        mirror.only([document])
        return mirror
    }

    /// Syncs the mirror into a fresh store and hands `check` the report, and the stored document's integrity and
    /// signer.
    static func sync(_ mirror: ProviderMirror,
                     check: @Sendable (SyncReport, (status: IntegrityStatus, signer: String?)?) throws -> Void) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.url.appendingPathComponent("vigil.sqlite").path)
        try await mirror.run { mirror in
            try await HTTPFetcher.with(policy: ProviderSyncTests.policy()) { fetcher in
                let source = SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL)
                try await store.saveSource(source)
                let report = try await ProviderSync(store: store, fetcher: fetcher).sync(source)
                let stored = try await store.advisory(id: "ICSA-22-172-04")
                try check(report, stored.map { ($0.document.integrity, $0.document.signer) })
            }
        }
    }

    @Test("the listed key URL answers 404: the key beside the metadata, under its fingerprint or in openpgp/, verifies the documents",
          arguments: ["\(cisaKey).asc", "openpgp/\(cisaKey).asc"])
    func keyBesideMetadata(_ keyPath: String) async throws {
        let mirror = try Self.mirror(keyPath: keyPath)
        try await Self.sync(mirror) { report, integrity in
            #expect(report.error == nil, "\(report.error ?? "")")
            #expect(report.new == 1)
            #expect(integrity?.status == .verified)
            #expect(integrity?.signer == Self.cisaKey)
        }
        #expect(mirror.log.contains { $0.path == "keys/gone.asc" && $0.status == 404 })
        #expect(mirror.log.contains { $0.path == keyPath && $0.status == 200 })
    }

    @Test("no key at the listed URL nor beside the metadata: the sync stops with a sentence naming every place tried")
    func keyNowhere() async throws {
        let mirror = try Self.mirror(keyPath: nil)
        try await Self.sync(mirror) { report, integrity in
            let error = try #require(report.error)
            #expect(error.contains("keys/gone.asc"), "\(error)")
            #expect(error.contains("; nor is it beside the metadata at \(mirror.base)\(Self.cisaKey).asc or \(mirror.base)openpgp/\(Self.cisaKey).asc"),
                    "\(error)")
            #expect(report.fetched == 0)
            #expect(integrity == nil)
        }
    }
}
