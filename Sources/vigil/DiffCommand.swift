import ArgumentParser
import CSAF
import Foundation
import Revisions
import Storage
import Store

/// `vigil diff ID [FROM TO]`: what changed between two stored revisions of an advisory.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two stored revisions of an advisory.",
        discussion: """
            Without versions, the current revision is compared with the one before it. A version stored twice (an interim \
            document made final without a new version) is named VERSION@DOCUMENT, as `vigil diff ID --list` prints it.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The advisory's ID (its document.tracking.id).") var id: String
    @Argument(help: "The older revision's version.") var from: String?
    @Argument(help: "The newer revision's version (default: the current one).") var to: String?
    @Flag(help: "List the stored revisions and how to name each.") var list = false
    @Flag(help: "Print JSON, with the keys and the diff object of /api/v1/advisories/ID/changes.") var json = false

    func validate() throws {
        if to != nil && from == nil { throw ValidationError("give FROM with TO") }
    }

    func run() async throws {
        let store: any VigilStore
        do {
            store = try await database.open()
        } catch {
            printError("vigil diff: \(error)")
            throw ExitCode(2)
        }
        try await store.closing { store in
            if list {
                guard let stored = try await store.advisory(id: id) else { throw notStored() }
                for revision in stored.revisions {
                    let date = revision.currentReleaseDate.map(Timestamp.format) ?? "-"
                    print("\(RevisionComparison.reference(revision, among: stored.revisions))\t\(date)\(revision.isCurrent ? "\tcurrent" : "")")
                }
                return
            }
            let comparison: RevisionComparison
            do {
                guard let found = try await store.changes(advisoryID: id, from: from, to: to) else { throw notStored() }
                comparison = found
            } catch let error as StoreError where error.kind == .notFound {
                printError("vigil diff: \(error.message)")
                throw ExitCode(1)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(comparison), as: UTF8.self))
                return
            }
            let from = RevisionComparison.reference(comparison.from, among: comparison.revisions)
            let to = RevisionComparison.reference(comparison.to, among: comparison.revisions)
            print("\(id): revision \(from) → \(to)")
            if comparison.diff.isEmpty {
                print("  no change in what Vigil reads from the document")
            }
            for line in comparison.diff.summary { print("  \(line)") }
        }
    }

    func notStored() -> some Error {
        printError("vigil diff: no advisory with the ID \(id) is stored")
        return ExitCode(1)
    }
}
