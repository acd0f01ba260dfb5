import CSAF
import Foundation
import Sources
import Storage
import Testing
import VigilTestSupport

/// Collects what an import hands over. The SQLite store is not a dependency of this target; StoreTests runs the
/// importer against the real store.
actor RecordingSink: DocumentSink {
    private(set) var documents: [IncomingDocument] = []
    private(set) var rejected: [RejectedDocument] = []

    func ingest(_ document: IncomingDocument) async throws -> IngestOutcome {
        let seen = documents.contains { $0.advisory.id == document.advisory.id && $0.integrity.sha256 == document.integrity.sha256 }
        documents.append(document)
        return seen ? .unchanged : .new
    }

    func quarantine(_ document: RejectedDocument) async throws {
        rejected.append(document)
    }
}

/// Progress reports, in the order they came.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(done: Int, total: Int, path: String)] = []
    func add(_ done: Int, _ total: Int, _ path: String) { lock.withLock { entries.append((done, total, path)) } }
    var all: [(done: Int, total: Int, path: String)] { lock.withLock { entries } }
}

@Suite("Local import")
struct LocalImporterTests {
    static let limit = 1_000_000

    /// A folder mixing real documents with sidecars and the other files a provider mirror holds.
    struct Mirror {
        var folder: TemporaryFolder
        var truncatedLines: Int
    }

    static func makeMirror() throws -> Mirror {
        let folder = try TemporaryFolder()
        try folder.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json", as: "cisa/2022/icsa-22-172-04.json")
        try folder.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-01.json", as: "cisa/2022/icsa-22-172-01.json")
        try folder.copy("providers/stackable/csaf/v2/advisories/2026/cve-2026-42581.json", as: "stackable/2026/cve-2026-42581.json")
        try folder.copy("providers/ni/csaf/advisories/2024/ni_cve-2024-10494.json", as: "ni/ni_cve-2024-10494.json")
        try folder.copy("providers/cisa/provider-metadata.json", as: "cisa/provider-metadata.json")
        try folder.copy("providers/cisa/csaf_files/IT/white/cisa-csaf-it-feed-tlp-white.json", as: "cisa/cisa-csaf-it-feed-tlp-white.json")
        try folder.copy("providers/cisa/csaf_files/IT/white/index.txt", as: "cisa/index.txt")
        try folder.copy("providers/cisa/csaf_files/IT/white/changes.csv", as: "cisa/changes.csv")
        _ = try folder.write(Array(#"{"name": "vigil", "version": "1.0.0", "dependencies": {}}"#.utf8), to: "package.json")

        // A genuine document padded past the limit with trailing whitespace (still valid JSON).
        var big = try SharedData.bytes("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")
        big += [UInt8](repeating: 0x20, count: 1_200_000 - big.count)
        _ = try folder.write(big, to: "big/icsa-22-172-04.json")

        // A document cut right after a line break, about half-way: the parser meets the end of file in an object.
        let whole = try SharedData.bytes("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-01.json")
        let cut = whole[(whole.count / 2)...].firstIndex(of: 0x0A)! + 1
        _ = try folder.write(Array(whole[..<cut]), to: "truncated/icsa-22-172-01.json")
        let lines = whole[..<cut].filter { $0 == 0x0A }.count
        return Mirror(folder: folder, truncatedLines: lines)
    }

    @Test("a mixed folder: documents stored with their sidecars checked, distribution files skipped, the rest rejected or ignored")
    func mixedFolder() async throws {
        let mirror = try Self.makeMirror()
        defer { mirror.folder.remove() }
        let sink = RecordingSink()
        let log = ProgressLog()
        let summary = try await LocalImporter(options: .init(maxBytes: Self.limit)).run(paths: [mirror.folder.path], into: sink) {
            log.add($0, $1, $2)
        }

        #expect(summary.files == 11)
        #expect(summary.new == 4)
        #expect(summary.unchanged == 0)
        #expect(summary.rejected == 3)
        #expect(summary.skipped == 2)
        #expect(summary.ignored == 2)
        #expect(summary.accepted == 4)
        #expect(summary.conflicts.isEmpty)

        let base = mirror.folder.path
        let documents = await sink.documents
        #expect(documents.map(\.origin) == [
            "\(base)/cisa/2022/icsa-22-172-01.json", "\(base)/cisa/2022/icsa-22-172-04.json",
            "\(base)/ni/ni_cve-2024-10494.json", "\(base)/stackable/2026/cve-2026-42581.json",
        ])
        #expect(documents.map(\.advisory.id) == ["ICSA-22-172-01", "ICSA-22-172-04", "ni_CVE-2024-10494", "CVE-2026-42581"])
        for document in documents {
            #expect(document.integrity.status == .hashOnly, "\(document.origin): \(document.integrity.detail)")
            #expect(document.bytes == [UInt8](try Data(contentsOf: URL(fileURLWithPath: document.origin))))
        }
        #expect(documents[3].integrity.detail == "SHA-512 and SHA-256 matched; OpenPGP signature stored, not verified (no key is known for this source)")
        #expect(documents[2].integrity.detail == "SHA-512 matched; no OpenPGP signature")

        #expect(Set(summary.skippedFiles.map(\.path)) == ["\(base)/cisa/provider-metadata.json", "\(base)/cisa/cisa-csaf-it-feed-tlp-white.json"])
        // The metadata pins CISA's key, but the mirror lacks the key file: the import says so and checks hashes only.
        #expect(summary.keyProblems == ["\(base)/cisa/provider-metadata.json lists key 144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17 at https://www.cisa.gov/sites/default/files/csaf/cisacsafsigning_public.asc, but no file named cisacsafsigning_public.asc is in \(base)/cisa; signatures by it cannot be checked (pass the key with --key)"])
        #expect(Set(summary.skippedFiles.map(\.kind)) == [JSONDocumentKind.providerMetadata.rawValue, JSONDocumentKind.rolieFeed.rawValue])

        let reasons = Dictionary(uniqueKeysWithValues: summary.errors.map { ($0.path, $0.reason) })
        #expect(reasons.count == 3)
        #expect(reasons["\(base)/package.json"] == #"not a CSAF document: the top level has no "document" object (its keys are "name", "version", "dependencies")"#)
        #expect(reasons["\(base)/big/icsa-22-172-04.json"] == "the file is 1200000 bytes, over the limit of 1000000 bytes (raise it with --max-size if the document is genuine)")
        let truncated = try #require(reasons["\(base)/truncated/icsa-22-172-01.json"])
        #expect(truncated.hasPrefix("invalid JSON at line \(mirror.truncatedLines + 1), column 1: unexpected end of file"), "\(truncated)")
        #expect(truncated.contains("truncated"))

        let rejected = await sink.rejected
        #expect(Dictionary(uniqueKeysWithValues: rejected.map { ($0.origin, $0.code) }) == [
            "\(base)/package.json": .notCSAF, "\(base)/big/icsa-22-172-04.json": .tooLarge,
            "\(base)/truncated/icsa-22-172-01.json": .syntax,
        ])
        // The bytes are kept for inspection, except for a file over the limit, which is never read.
        #expect(rejected.first { $0.code == .tooLarge }?.bytes == nil)
        #expect(rejected.first { $0.code == .syntax }?.bytes?.isEmpty == false)

        let progress = log.all
        #expect(progress.map(\.done) == Array(1...11))
        #expect(progress.allSatisfy { $0.total == 11 })
    }

    @Test("a document whose sidecar does not match is rejected as hash-mismatch, with its advisory ID")
    func hashMismatch() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Change the title's first letter: still a valid document, no longer the published one.
        let title = Array(#""title": "Phoenix"#.utf8)
        let at = try #require(bytes.firstRange(of: title)).lowerBound + title.count - 7
        bytes[at] = UInt8(ascii: "F")
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let sink = RecordingSink()
        let summary = try await LocalImporter().run(paths: [folder.path], into: sink)
        #expect(summary.new == 0)
        #expect(summary.rejected == 1)
        let rejected = try #require(await sink.rejected.first)
        #expect(rejected.code == .hashMismatch)
        #expect(rejected.advisoryID == "ICSA-22-172-04")
        #expect(rejected.reason.hasPrefix("SHA-512 mismatch"))
        #expect(rejected.bytes == bytes)
        #expect(await sink.documents.isEmpty)
    }

    @Test("importing the same files twice reports them unchanged the second time")
    func secondRun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.copy("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")
        let sink = RecordingSink()
        let first = try await LocalImporter().run(paths: [folder.path], into: sink)
        let second = try await LocalImporter().run(paths: [folder.path], into: sink)
        #expect(first.new == 1)
        #expect(second.new == 0)
        #expect(second.unchanged == 1)
    }

    @Test("a file named on the command line is read whatever its extension; a missing path is an error")
    func explicitPaths() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write(try SharedData.bytes("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json"), to: "advisory.txt")
        let summary = try await LocalImporter().run(paths: [path], into: RecordingSink())
        #expect(summary.new == 1)
        #expect(summary.ignored == 0)

        // Found by walking a folder, a .txt file that is not JSON is ignored.
        _ = try folder.write(Array("ICSA-22-172-04\n".utf8), to: "index.txt")
        let walked = try await LocalImporter().run(paths: [folder.path], into: RecordingSink())
        #expect(walked.new == 1)
        #expect(walked.ignored == 1)

        await #expect(throws: ImportPathError.self) {
            try await LocalImporter().run(paths: [folder.path + "/missing"], into: RecordingSink())
        }
    }
}
