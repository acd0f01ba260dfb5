import CSAF
import Foundation
import OpenPGP
import Sources
import Storage
import Store
import Testing
import VigilTestSupport

@Suite("Integrity on re-import")
struct IntegrityUpgradeTests {
    static let document = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"

    @Test("the same bytes imported again with the key known become verified; a weaker check never downgrades them")
    func upgradeNotDowngrade() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()

        // First on its own: no key is known, so the signature is stored unchecked.
        let alone = try await LocalImporter().run(paths: [try SharedData.url(Self.document).path], into: store)
        #expect(alone.integrity == ["hash-only": 1])
        #expect(try await store.advisory(id: "ICSA-22-172-04")?.document.integrity == .hashOnly)

        // Then with CISA's key: the bytes are unchanged, the integrity is now verified, with the signer, and the
        // generation moves so that cached pages are rendered again.
        let generation = try await store.generation()
        let key = try ProviderKeys.readKeyFiles([try SharedData.url("providers/cisa/cisacsafsigning_public.asc").path])
        let keyed = try await LocalImporter(options: .init(keys: key)).run(paths: [try SharedData.url(Self.document).path], into: store)
        #expect(keyed.unchanged == 1)
        #expect(keyed.integrity == ["verified": 1])
        let verified = try #require(try await store.advisory(id: "ICSA-22-172-04"))
        #expect(verified.document.integrity == .verified)
        #expect(verified.document.signer == "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17")
        #expect(verified.document.integrityDetail.contains("good RSA-4096 signature"))
        #expect(verified.revisions.count == 1)
        #expect(try await store.generation() > generation)

        // Once more without the key: still unchanged, still verified, nothing written.
        let settled = try await store.generation()
        _ = try await LocalImporter().run(paths: [try SharedData.url(Self.document).path], into: store)
        let after = try #require(try await store.advisory(id: "ICSA-22-172-04"))
        #expect(after.document.integrity == .verified)
        #expect(after.document.signer == "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17")
        #expect(try await store.generation() == settled)
    }
}
