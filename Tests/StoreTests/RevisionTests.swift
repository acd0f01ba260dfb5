import CSAF
import Foundation
import GRDB
import Storage
import Store
import Testing
import VigilTestSupport

/// isduba's test advisory in three versions: `2` (draft), `3` (interim) and `3` again (final, one note more, same date).
@Suite("Revisions and conflicts")
struct RevisionTests {
    static let id = "Avendor-advisory-0004"
    static let folders = ["2", "3-interim", "3-final"]

    static func revision(_ folder: String) throws -> IncomingDocument {
        try Incoming.document("revisions-isduba/\(folder)/avendor-advisory-0004.json")
    }

    @Test("the three revisions are what this suite assumes: versions 2, 3 and 3")
    func fixtures() throws {
        let tracking = try Self.folders.map { try Self.revision($0).tracking }
        #expect(tracking.map(\.id) == [Self.id, Self.id, Self.id])
        #expect(tracking.map(\.version) == ["2", "3", "3"])
        #expect(tracking.map(\.status) == [.draft, .interim, .final])
        #expect(tracking[1].currentReleaseDate == tracking[2].currentReleaseDate)
    }

    @Test("in order: new, updated, updated; the newest is current and every revision is kept")
    func inOrder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let documents = try Self.folders.map(Self.revision)

        var outcomes: [IngestOutcome] = []
        for document in documents { outcomes.append(try await store.ingest(document)) }
        #expect(outcomes == [.new, .updated, .updated])

        let stored = try #require(try await store.advisory(id: Self.id))
        #expect(stored.advisory.version == "3")
        #expect(stored.advisory.status == "final")
        #expect(stored.document.sha256 == documents[2].integrity.sha256)
        #expect(stored.revisions.count == 3)
        #expect(stored.revisions.map(\.sha256) == [documents[2], documents[1], documents[0]].map(\.integrity.sha256))
        #expect(stored.revisions.map(\.isCurrent) == [true, false, false])
        #expect(stored.conflictCount == 0)

        // Every revision's exact bytes can be fetched back.
        for revision in stored.revisions {
            let raw = try #require(try await store.rawDocument(advisoryID: Self.id, documentID: revision.documentID))
            let original = try #require(documents.first { $0.integrity.sha256 == revision.sha256 })
            #expect(raw.bytes == original.bytes)
        }
        #expect(try await store.conflicts(advisoryID: Self.id).isEmpty)

        let statistics = try await store.statistics()
        #expect(statistics.advisories == 1)
        #expect(statistics.documents == 3)

        // Search shows the current revision only.
        let page = try await store.search(AdvisoryQuery(text: "avendor"))
        #expect(page.items.map(\.id) == [Self.id])
        #expect(page.items.first?.version == "3")
    }

    @Test("in reverse order: new, historical, historical; the newest stays current")
    func reverseOrder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let documents = try Self.folders.reversed().map(Self.revision)

        var outcomes: [IngestOutcome] = []
        for document in documents { outcomes.append(try await store.ingest(document)) }
        #expect(outcomes == [.new, .historical, .historical])

        let stored = try #require(try await store.advisory(id: Self.id))
        #expect(stored.advisory.status == "final")
        #expect(stored.document.sha256 == documents[0].integrity.sha256)
        #expect(stored.revisions.map(\.sha256) == documents.map(\.integrity.sha256))
        #expect(stored.revisions.map(\.isCurrent) == [true, false, false])
        for (revision, document) in zip(stored.revisions, documents) {
            #expect(try await store.rawDocument(advisoryID: Self.id, documentID: revision.documentID)?.bytes == document.bytes)
        }
    }

    @Test("a database made before statuses were stored gets them from the stored documents when it is opened")
    func statusMigration() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("vigil.sqlite").path
        let documents = try Self.folders.map(Self.revision)
        let old = try SQLiteStore(path: path)
        #expect(try await old.ingest(documents[0]) == .new)
        #expect(try await old.ingest(documents[2]) == .updated)

        // Take the database back to the first schema: no status column, the status migration not yet run.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: """
                ALTER TABLE documents DROP COLUMN status;
                DELETE FROM grdb_migrations WHERE identifier = 'v2-document-status';
                """)
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        // The final 3 is known to be final again, so the interim 3 is an older revision, not a conflict.
        #expect(try await store.ingest(documents[1]) == .historical)
        let stored = try #require(try await store.advisory(id: Self.id))
        #expect(stored.revisions.map(\.sha256) == [documents[2], documents[1], documents[0]].map(\.integrity.sha256))
        #expect(stored.revisions.map(\.isCurrent) == [true, false, false])
    }

    @Test("the same revision again is unchanged and stores nothing")
    func unchanged() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let document = try Self.revision("3-final")
        #expect(try await store.ingest(document) == .new)
        let before = try await store.statistics()
        #expect(try await store.ingest(document) == .unchanged)
        #expect(try await store.statistics() == before)
    }

    @Test("same ID and version with different bytes is a conflict: recorded, not applied")
    func conflict() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try folder.store()
        let relative = "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"
        let original = try Incoming.document(relative)
        #expect(try await store.ingest(original) == .new)

        // The same document with one word of the title changed: same ID, version, date and status.
        var bytes = original.bytes
        let title = Array(#""title": "Phoenix Contact ProConOS"#.utf8)
        let range = try #require(bytes.firstRange(of: title))
        bytes.replaceSubrange(range, with: Array(#""title": "Phoenix Contact ProConOZ"#.utf8))
        let altered = try Incoming.document(bytes, origin: "/elsewhere/icsa-22-172-04.json")
        #expect(altered.tracking == original.tracking)
        #expect(altered.integrity.sha256 != original.integrity.sha256)

        #expect(try await store.ingest(altered) == .conflict)

        let conflicts = try await store.conflicts(advisoryID: "ICSA-22-172-04")
        #expect(conflicts.count == 1)
        let conflict = try #require(conflicts.first)
        #expect(conflict.version == "1")
        #expect(conflict.storedSHA256 == original.integrity.sha256)
        #expect(conflict.incomingSHA256 == altered.integrity.sha256)
        #expect(conflict.origin == "/elsewhere/icsa-22-172-04.json")
        #expect(try await store.conflicts(advisoryID: nil) == conflicts)
        #expect(try await store.conflicts(advisoryID: "ICSA-22-172-01").isEmpty)

        let stored = try #require(try await store.advisory(id: "ICSA-22-172-04"))
        #expect(stored.advisory.title == "Phoenix Contact ProConOS and MULTIPROG")
        #expect(stored.document.sha256 == original.integrity.sha256)
        #expect(stored.revisions.count == 1)
        #expect(stored.conflictCount == 1)
        #expect(try await store.rawDocument(advisoryID: "ICSA-22-172-04", documentID: nil)?.bytes == original.bytes)

        // Seen again, it is the same conflict, not a second one.
        #expect(try await store.ingest(altered) == .conflict)
        let statistics = try await store.statistics()
        #expect(statistics.conflicts == 1)
        #expect(statistics.documents == 1)
        #expect(statistics.advisories == 1)
    }
}
