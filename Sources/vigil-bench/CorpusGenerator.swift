import ArgumentParser
@preconcurrency import Crypto
import CSAF
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `vigil-bench corpus`: a signed CSAF provider folder of N realistic documents made from real ones, for measuring how
/// Vigil scales past the 2,383 documents of CISA's corpus (issue 20).
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Generate a signed CSAF provider folder of N realistic documents from real ones used as templates.",
        discussion: """
            Each document takes the document section of one template and the product tree and vulnerabilities of \
            another, with a new tracking ID, vendor names drawn from the real ones and a growing pool of synthetic \
            ones, new CVE IDs, some words perturbed, and 1 to 5 revisions dated 2016-2026. The folder has \
            provider-metadata.json pinning a throwaway RSA key made for the run, the key, white/<year>/<file>.json \
            with .sha512 and an armored .asc beside each, white/index.txt and white/changes.csv: `vigil import DIR` \
            verifies every signature against the pinned key. Documents are written as they are made, on all cores; \
            nothing holds the whole corpus in memory. The last line is a JSON summary for scripts.
            """)

    @Option(help: "How many documents to make.") var count: Int
    @Option(help: ArgumentHelp("The provider folder to create (must not exist, or be empty).", valueName: "dir")) var out: String
    @Option(name: .customLong("source"), help: ArgumentHelp(
        "A folder of real CSAF documents to use as templates (repeatable; default ../shared/data/providers/cisa).", valueName: "path"))
    var sources: [String] = []
    @Option(help: "The seed: the same seed, count and templates make the same documents.") var seed: UInt64 = CorpusGenerator.defaultSeed
    @Option(name: .customLong("key-bits"), help: "RSA key size of the throwaway signing key: 2048 (quick), 3072, or 4096 as CISA's.")
    var keyBits = 3072

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard keyBits >= 2048, keyBits <= 8192, keyBits % 8 == 0 else { throw ValidationError("--key-bits must be 2048, 3072 or 4096") }
    }

    func run() throws {
        do {
            let folders = CorpusGenerator.templateFolders(sources)
            printNow("Corpus: \(count.grouped) documents into \(BenchPaths.absolute(out)), seed \(seed), RSA-\(keyBits)")
            printNow("templates: \(folders.joined(separator: ", "))")
            let loadStart = ContinuousClock.now
            let templates = try CorpusTemplates.load(folders: folders)
            printNow("read \(templates.templates.count.grouped) templates (\(CorpusGenerator.megabytes(templates.totalBytes)) MB, "
                  + "\(templates.vendorNames.count.grouped) vendors) in \(String(format: "%.2f", (ContinuousClock.now - loadStart).seconds)) s"
                  + (templates.skipped.isEmpty ? "" : "; \(templates.skipped.count) CSAF files Vigil refuses are not used"))
            for skipped in templates.skipped.prefix(3) { printNow("  not used: \(skipped.path): \(skipped.reason)") }
            let generator = try CorpusGenerator(templates: templates, count: count, seed: seed, keyBits: keyBits)
            let result = try generator.write(to: BenchPaths.absolute(out)) { done in
                if done % max(1_000, count / 10) == 0 { printNow("  \(done.grouped) of \(count.grouped)") }
            }
            for line in result.report(templates: templates) { printNow(line) }
        } catch let failure as CorpusGenerator.Failure {
            printError("vigil-bench corpus: \(failure.description)")
            throw ExitCode(2)
        } catch let failure as CorpusTemplates.Failure {
            printError("vigil-bench corpus: \(failure.description)")
            throw ExitCode(2)
        }
    }
}

/// Makes the documents of a corpus from templates and writes them as a provider folder. Every document is a pure
/// function of the seed, its number and the templates, so threads make them in any order and the same seed makes the
/// same corpus (only the signatures differ: the key is new each time).
struct CorpusGenerator: Sendable {
    typealias SeededRandom = MatchBenchmark.SeededRandom

    static let defaultSeed: UInt64 = 20
    static let defaultSource = "../shared/data/providers/cisa"
    /// The file that marks a finished corpus and says how it was made; written last, so a corpus cut short is never
    /// taken for a finished one. Hidden, so that `vigil import` passes over it (it would refuse it as JSON that is not CSAF).
    static let manifestName = ".vigil-bench-corpus.json"

    let templates: CorpusTemplates
    let count: Int
    let seed: UInt64
    let keyBits: Int
    /// Synthetic vendor names in the pool (see `pickVendor`).
    let syntheticVendorCount: Int
    /// Where each document's vulnerabilities start in the corpus's numbering, for unique CVE IDs.
    let cveOffsets: [Int]
    /// The CVE numbers' bijection works modulo 2^cveBits, at least the corpus's vulnerability count.
    let cveBits: Int

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(templates: CorpusTemplates, count: Int, seed: UInt64, keyBits: Int) throws {
        self.templates = templates
        self.count = count
        self.seed = seed
        self.keyBits = keyBits
        syntheticVendorCount = max(50, Int(8 * Double(count).squareRoot()))
        var offsets: [Int] = []
        offsets.reserveCapacity(count)
        var total = 0
        // The counts are known before any document is made: the template draw has a random stream of its own.
        let partial = CorpusGenerator(templates: templates, count: count, seed: seed, keyBits: keyBits, offsets: [], bits: 0)
        for index in 0..<count {
            offsets.append(total)
            total += templates.templates[partial.templateIndices(of: index).content].vulnerabilityCount
        }
        cveOffsets = offsets
        var bits = 14
        while (1 << bits) < total { bits += 1 }
        // Numbers stay under 8 digits up to about 8 million vulnerabilities: 2.4 million documents.
        guard bits <= 23 else { throw Failure(description: "\(count) documents would need more CVE numbers than the generator makes") }
        cveBits = bits
    }

    private init(templates: CorpusTemplates, count: Int, seed: UInt64, keyBits: Int, offsets: [Int], bits: Int) {
        self.templates = templates
        self.count = count
        self.seed = seed
        self.keyBits = keyBits
        syntheticVendorCount = 0
        cveOffsets = offsets
        cveBits = bits
    }

    /// The template folders: those given, else CISA's beside the package, looked for from the current folder and from
    /// the package this executable was built in.
    static func templateFolders(_ given: [String]) -> [String] {
        if !given.isEmpty { return given.map(BenchPaths.absolute) }
        return [BenchPaths.packageRelative(defaultSource)]
    }

    // MARK: Writing

    /// What a generation made.
    struct Result: Codable {
        var documents: Int
        var jsonBytes: Int
        var seconds: Double
        /// Seconds spent making RSA signatures, summed over the threads (about the CPU time they took on an idle machine;
        /// the rest of the CPU time is making, hashing and writing documents).
        var signingCPUSeconds: Double
        var cpuSeconds: Double
        var vendors: Int
        var vulnerabilities: Int
        var checked: Int
        var checkedRejected: Int
        var checkedMandatoryFindings: Int
        var fingerprint: String
        var keyBits: Int
        var seed: UInt64
        var templates: Int
        var templateFolders: [String]

        enum CodingKeys: String, CodingKey {
            case documents, seconds, vendors, vulnerabilities, checked, fingerprint, seed, templates
            case jsonBytes = "json_bytes"
            case signingCPUSeconds = "signing_cpu_seconds"
            case cpuSeconds = "cpu_seconds"
            case checkedRejected = "checked_rejected"
            case checkedMandatoryFindings = "checked_mandatory_findings"
            case keyBits = "key_bits"
            case templateFolders = "template_folders"
        }

        /// The summary lines `vigil-bench corpus` prints, the last one JSON.
        func report(templates: CorpusTemplates) -> [String] {
            let templateFindings = Double(templates.templates.reduce(0) { $0 + $1.mandatoryFindings }) / Double(max(1, templates.templates.count))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return [
                "made \(documents.grouped) documents, \(CorpusGenerator.megabytes(jsonBytes)) MB of JSON, in \(String(format: "%.1f", seconds)) s "
                    + "(\(Int(Double(documents) / max(seconds, 0.001)).grouped)/s on \(ProcessInfo.processInfo.activeProcessorCount) cores; "
                    + "CPU \(String(format: "%.1f", cpuSeconds)) s; RSA-\(keyBits) signing \(String(format: "%.1f", signingCPUSeconds)) s summed over threads)",
                "\(vendors.grouped) distinct vendors, \(vulnerabilities.grouped) vulnerabilities with new CVE IDs; key \(fingerprint)",
                "checked \(checked.grouped) of them with Vigil's reader: \(checkedRejected) refused; §6 mandatory findings "
                    + "\(String(format: "%.2f", Double(checkedMandatoryFindings) / Double(max(1, checked)))) per document "
                    + "(templates: \(String(format: "%.2f", templateFindings)))",
                json,
            ]
        }
    }

    /// Writes the provider folder at `folder` (created; it must not exist or must be empty). `progress` is called with
    /// the number of documents done, from any thread.
    func write(to folder: String, progress: (@Sendable (Int) -> Void)? = nil) throws -> Result {
        let manager = FileManager.default
        if manager.fileExists(atPath: folder) {
            guard BenchPaths.isDirectory(folder), (try? manager.contentsOfDirectory(atPath: folder))?.isEmpty == true else {
                throw Failure(description: "\(folder) exists and is not an empty folder: give a new folder to --out")
            }
        }
        let started = ContinuousClock.now
        let cpuBefore = BenchPaths.cpuSeconds()
        let now = UInt32(Date().timeIntervalSince1970)
        let signer: OpenPGPSigner
        do {
            signer = try OpenPGPSigner(bits: keyBits, userID: "Vigil Bench Corpus Signing (throwaway) <bench@vigil-bench.example>",
                                       created: now - 60)
        } catch {
            throw Failure(description: "could not make the signing key: \(error)")
        }
        let fingerprint = signer.fingerprintHex
        let white = folder + "/white"
        for year in Timestamp.civil(seconds: Self.firstDate).year...Timestamp.civil(seconds: Self.lastDate).year {
            try manager.createDirectory(atPath: "\(white)/\(year)", withIntermediateDirectories: true)
        }
        try Self.writeFile(folder + "/\(fingerprint).asc", Array(try signer.armoredPublicKey().utf8))
        try Self.writeFile(folder + "/provider-metadata.json", providerMetadata(fingerprint: fingerprint, now: Int(now)))

        struct Tally {
            var bytes = 0
            var signingSeconds = 0.0
            var vendors = Set<String>()
            var vulnerabilities = 0
            var checked = 0
            var rejected = 0
            var mandatory = 0
            var index: [(path: String, current: Int)] = []
        }
        let next = Mutex(0)
        let done = Mutex(0)
        let firstError = Mutex<String?>(nil)
        let tallies = Mutex<[Tally]>([])
        let checkEvery = max(1, count / 500)
        DispatchQueue.concurrentPerform(iterations: ProcessInfo.processInfo.activeProcessorCount) { _ in
            var tally = Tally()
            defer { tallies.withLock { $0.append(tally) } }
            while firstError.withLock({ $0 == nil }) {
                let start = next.withLock { value -> Int in
                    defer { value += 16 }
                    return value
                }
                guard start < count else { return }
                for index in start..<min(start + 16, count) {
                    do {
                        let document = try self.document(index)
                        var hasher = SHA512()
                        hasher.update(data: document.bytes)
                        let sha512 = Self.hex(hasher.finalize())
                        let signStart = ContinuousClock.now
                        let signature = try signer.armoredSignature(continuing: hasher, time: now)
                        tally.signingSeconds += (ContinuousClock.now - signStart).seconds
                        let path = "\(white)/\(document.relativePath)"
                        let name = document.relativePath.split(separator: "/").last.map(String.init) ?? document.relativePath
                        try Self.writeFile(path, document.bytes)
                        try Self.writeFile(path + ".sha512", Array("\(sha512)  \(name)\n".utf8))
                        try Self.writeFile(path + ".asc", signature)
                        tally.bytes += document.bytes.count
                        tally.vendors.formUnion(document.vendors)
                        tally.vulnerabilities += templates.templates[templateIndices(of: index).content].vulnerabilityCount
                        tally.index.append((document.relativePath, document.currentRelease))
                        if index % checkEvery == 0 {
                            tally.checked += 1
                            do {
                                if case .csaf(let parsed) = try CSAFDocumentReader.read(document.bytes, conformance: true) {
                                    tally.mandatory += parsed.conformance?.mandatory ?? 0
                                } else {
                                    tally.rejected += 1
                                }
                            } catch {
                                tally.rejected += 1
                                firstError.withLock { $0 = $0 ?? "a generated document, \(path), is refused by Vigil's reader: \(error)" }
                            }
                        }
                    } catch {
                        firstError.withLock { $0 = $0 ?? "document \(index + 1): \(error)" }
                        return
                    }
                    let finished = done.withLock { value -> Int in
                        value += 1
                        return value
                    }
                    progress?(finished)
                }
            }
        }
        if let message = firstError.withLock({ $0 }) { throw Failure(description: message) }

        var total = Tally()
        for tally in tallies.withLock({ $0 }) {
            total.bytes += tally.bytes
            total.signingSeconds += tally.signingSeconds
            total.vendors.formUnion(tally.vendors)
            total.vulnerabilities += tally.vulnerabilities
            total.checked += tally.checked
            total.rejected += tally.rejected
            total.mandatory += tally.mandatory
            total.index += tally.index
        }
        // CSAF §7.1.13 and §7.1.14: index.txt lists every document, changes.csv every one newest first.
        total.index.sort { $0.current != $1.current ? $0.current > $1.current : $0.path < $1.path }
        var index: [UInt8] = []
        var changes: [UInt8] = []
        for entry in total.index {
            index.append(contentsOf: "\(entry.path)\n".utf8)
            changes.append(contentsOf: "\"\(entry.path)\",\"\(Self.timestamp(entry.current))\"\n".utf8)
        }
        try Self.writeFile(white + "/index.txt", index)
        try Self.writeFile(white + "/changes.csv", changes)

        let result = Result(documents: count, jsonBytes: total.bytes, seconds: (ContinuousClock.now - started).seconds,
                            signingCPUSeconds: total.signingSeconds, cpuSeconds: BenchPaths.cpuSeconds() - cpuBefore,
                            vendors: total.vendors.count, vulnerabilities: total.vulnerabilities, checked: total.checked,
                            checkedRejected: total.rejected, checkedMandatoryFindings: total.mandatory, fingerprint: fingerprint,
                            keyBits: keyBits, seed: seed, templates: templates.templates.count, templateFolders: templates.folders)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try Self.writeFile(folder + "/" + Self.manifestName, [UInt8](try encoder.encode(result)))
        return result
    }

    /// The finished corpus at `folder`, if there is one made with this count, seed and these template folders.
    static func existing(at folder: String, count: Int, seed: UInt64, templateFolders: [String]) -> Result? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + manifestName),
              let result = try? JSONDecoder().decode(Result.self, from: data),
              result.documents == count, result.seed == seed, result.templateFolders == templateFolders else { return nil }
        return result
    }

    /// CSAF §7.1.7 provider metadata, pinning the key (found by the importer beside it, by the name its URL ends in).
    func providerMetadata(fingerprint: String, now: Int) -> [UInt8] {
        JSONWriter.write(.object([
            JSONMember(key: "canonical_url", value: .string("\(Self.baseURL)/.well-known/csaf/provider-metadata.json")),
            JSONMember(key: "distributions", value: .array([.object([
                JSONMember(key: "directory_url", value: .string("\(Self.baseURL)/white/")),
            ])])),
            JSONMember(key: "last_updated", value: .string(Self.timestamp(now))),
            JSONMember(key: "list_on_CSAF_aggregators", value: .bool(false)),
            JSONMember(key: "metadata_version", value: .string("2.0")),
            JSONMember(key: "mirror_on_CSAF_aggregators", value: .bool(false)),
            JSONMember(key: "public_openpgp_keys", value: .array([.object([
                JSONMember(key: "fingerprint", value: .string(fingerprint)),
                JSONMember(key: "url", value: .string("\(Self.baseURL)/\(fingerprint).asc")),
            ])])),
            JSONMember(key: "publisher", value: Self.publisher),
            JSONMember(key: "role", value: .string("csaf_trusted_provider")),
        ]))
    }

    /// Writes a whole file with POSIX calls (three files per document: Foundation's writers cost more than the rest).
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(descriptor, base + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let table = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_000_000) }
}
