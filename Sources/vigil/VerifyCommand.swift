import ArgumentParser
import CSAF
import Foundation
import OpenPGP
import Sources
import Storage

/// `vigil verify PATH...`: checks documents and their sidecars offline and prints a verdict per file.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check CSAF documents' hashes and OpenPGP signatures offline, without importing them.",
        discussion: """
            Each document is checked against its .sha256/.sha512 sidecars and its .asc signature. Signatures are \\
            verified with the keys given by --key and with those a provider folder's provider-metadata.json lists \\
            (pinned by fingerprint, read from the key files in that folder). Statuses: verified, hash-only, unsigned, \\
            hash-mismatch, bad-signature, unknown-key. Exits with status 1 when any document is not verified. FIFOs, \
            sockets and devices are never opened: each is named on standard error as skipped and does not change \
            the exit status.
            """)

    @Argument(help: ArgumentHelp("Files or folders to check.", valueName: "path"))
    var paths: [String]

    @Option(name: .customLong("key"), help: ArgumentHelp("An OpenPGP public key file (armored or binary) to trust; repeatable.", valueName: "keyfile"))
    var keyFiles: [String] = []

    @Flag(help: "Print a machine-readable report on standard output.")
    var json = false

    @Flag(help: "Print only documents that are not verified, and the totals.")
    var quiet = false

    func run() throws {
        let report: OfflineVerifier.Report
        do {
            report = try OfflineVerifier.run(paths: paths, keys: try ProviderKeys.readKeyFiles(keyFiles))
        } catch {
            printError("vigil verify: \(error)")
            throw ExitCode(2)
        }
        var counts: [String: Int] = [:]
        for status in OfflineVerifier.statuses { counts[status.rawValue] = 0 }
        for verdict in report.verdicts { counts[verdict.status, default: 0] += 1 }
        if json {
            struct Output: Encodable {
                var counts: [String: Int]
                var files: [OfflineVerifier.Verdict]
                var keys: [ImportSummary.ProviderKeySummary]
                var keyProblems: [String]
                var skipped: Int
                var special: [ImportSummary.FileError]
            }
            var keys = report.keys.providers.map {
                ImportSummary.ProviderKeySummary(root: $0.root, name: $0.name, fingerprints: $0.keyring.certificates.map(\.fingerprintHex))
            }
            if let explicit = report.keys.explicit {
                keys.append(ImportSummary.ProviderKeySummary(root: "--key", name: "--key", fingerprints: explicit.certificates.map(\.fingerprintHex)))
            }
            // The counts sit at the top level of the object, beside `files`.
            let encoded = try JSONEncoder().encode(Output(counts: counts, files: report.verdicts, keys: keys,
                                                          keyProblems: report.keys.problems, skipped: report.skipped.count,
                                                          special: report.special))
            guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else { throw ExitCode(2) }
            for (status, count) in counts { object[status] = count }
            object["counts"] = nil
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for problem in report.keys.problems { printError("warning: \(problem)") }
            for file in report.special { printError("\(file.path): \(file.reason)") }
            for verdict in report.verdicts where !quiet || verdict.status != IntegrityStatus.verified.rawValue {
                print("\(verdict.status.padding(toLength: 13, withPad: " ", startingAt: 0)) \(verdict.path): \(verdict.reason)")
            }
            let totals = OfflineVerifier.statuses.compactMap { status in
                counts[status.rawValue].flatMap { $0 > 0 ? "\($0.grouped) \(status.rawValue)" : nil }
            }
            print("\(report.verdicts.count.grouped) documents: \(totals.isEmpty ? "none found" : totals.joined(separator: ", "))")
        }
        if !report.allVerified || report.verdicts.isEmpty { throw ExitCode(1) }
    }
}
