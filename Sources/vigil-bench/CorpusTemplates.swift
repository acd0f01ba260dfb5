import CSAF
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Real CSAF documents read once as templates for `vigil-bench corpus`, with what the generator draws from them: the
/// vendor names as the product trees spell them (one entry per advisory that names the vendor, so a draw follows the
/// real frequencies: Siemens about one in three for CISA), words of their titles and notes, the summaries of later
/// revisions, and the reference URLs many advisories share (CISA's "Recommended Practices"), which are kept as they
/// are while other references are made unique per generated document.
///
/// Only documents Vigil's reader accepts become templates; the rest are listed with the reason. Templates are kept as
/// their bytes and parsed again for each document made from them: a parsed tree of every template would take several
/// times the corpus's size in memory, and parsing one costs about as much as copying its tree would.
struct CorpusTemplates: Sendable {
    struct Template: Sendable {
        var path: String
        var bytes: [UInt8]
        var id: String
        /// The `vendor` branch names of its product tree, in tree order, without repeats.
        var vendors: [String]
        var vulnerabilityCount: Int
        /// §6 mandatory-test findings Vigil reports for it (the generated documents are compared with these).
        var mandatoryFindings: Int
    }

    var templates: [Template]
    /// Every template's vendors, once per template that names them: a uniform draw is frequency-weighted.
    var vendorDraws: [String]
    /// Distinct vendor names over the templates.
    var vendorNames: [String]
    /// ASCII words of at least five letters from titles and notes, without repeats.
    var vocabulary: [String]
    /// Summaries of revisions after the first (`Updated remediation information`), without repeats.
    var revisionSummaries: [String]
    /// URLs referenced by many templates: generic pages, kept as they are.
    var commonURLs: Set<String>
    /// Files that are not CSAF documents Vigil accepts, with the reason.
    var skipped: [(path: String, reason: String)]
    var folders: [String]

    var totalBytes: Int { templates.reduce(0) { $0 + $1.bytes.count } }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads every `.json` under `folders` (recursively; provider metadata, ROLIE feeds and other non-CSAF JSON are
    /// passed over), on all cores.
    static func load(folders: [String]) throws -> CorpusTemplates {
        var paths: [String] = []
        for folder in folders {
            guard BenchPaths.isDirectory(folder) else {
                throw Failure(description: "the template folder \(folder) does not exist: pass --source PATH (a folder of CSAF "
                              + "documents, such as ../shared/data/providers/cisa), or run from the package folder")
            }
            var found: [String] = []
            collectJSON(under: folder, into: &found)
            paths += found.sorted()
        }
        guard !paths.isEmpty else {
            throw Failure(description: "no .json files under \(folders.joined(separator: ", ")): pass --source with a folder of CSAF documents")
        }

        let files = paths
        let outcomes = Mutex<[Outcome?]>(Array(repeating: nil, count: files.count))
        let next = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: ProcessInfo.processInfo.activeProcessorCount) { _ in
            while true {
                let index = next.withLock { value -> Int in
                    defer { value += 1 }
                    return value
                }
                guard index < files.count else { return }
                let outcome = readTemplate(files[index])
                outcomes.withLock { $0[index] = outcome }
            }
        }

        var result = CorpusTemplates(templates: [], vendorDraws: [], vendorNames: [], vocabulary: [], revisionSummaries: [],
                                     commonURLs: [], skipped: [], folders: folders)
        var words = Set<String>()
        var summaries = Set<String>()
        var urlCounts: [String: Int] = [:]
        var ids = Set<String>()
        for (path, outcome) in zip(paths, outcomes.withLock { $0 }) {
            switch outcome {
            case .template(let template, let title, let notes, let revisionSummaries, let urls)?:
                // The same advisory in two folders (a CISA republication mirrored twice) would be drawn twice as often.
                guard ids.insert(template.id).inserted else { continue }
                result.templates.append(template)
                result.vendorDraws += template.vendors
                for text in [title] + notes { addWords(text, to: &words) }
                for summary in revisionSummaries where summaries.count < 5_000 { summaries.insert(summary) }
                for url in Set(urls) { urlCounts[url, default: 0] += 1 }
            case .skipped(let reason)?:
                result.skipped.append((path, reason))
            case .ignored?, nil:
                continue
            }
        }
        guard !result.templates.isEmpty else {
            throw Failure(description: "none of the \(paths.count) .json files under \(folders.joined(separator: ", ")) is a CSAF document Vigil accepts")
        }
        result.vendorNames = Array(Set(result.vendorDraws)).sorted()
        // Sorted, so that the same seed draws the same words whatever order the threads finished in.
        result.vocabulary = words.sorted()
        result.revisionSummaries = summaries.sorted()
        if result.revisionSummaries.isEmpty { result.revisionSummaries = ["Updated remediation information."] }
        let threshold = max(5, result.templates.count / 100)
        result.commonURLs = Set(urlCounts.filter { $0.value >= threshold }.map(\.key))
        return result
    }

    /// What one file gave: a template with the text the generator draws from, a reason it is not one, or nothing
    /// (not CSAF at all).
    enum Outcome: Sendable {
        case template(Template, title: String, notes: [String], summaries: [String], urls: [String])
        case skipped(String)
        case ignored
    }

    static func readTemplate(_ path: String) -> Outcome {
        guard let data = FileManager.default.contents(atPath: path) else { return .skipped("cannot be read") }
        let bytes = [UInt8](data)
        let parsed: ParsedCSAF
        do {
            guard case .csaf(let document) = try CSAFDocumentReader.read(bytes, conformance: true) else { return .ignored }
            parsed = document
        } catch {
            // JSON that is not CSAF (metadata, feeds) is no template and not worth a line; a CSAF document Vigil refuses is.
            return error.code == .notCSAF || error.code == .syntax ? .ignored : .skipped(error.message)
        }
        guard let tree = try? JSONParser.parse(bytes) else { return .skipped("cannot be parsed") }
        var vendors: [String] = []
        func walk(_ branches: [JSONValue]) {
            for branch in branches {
                if branch["category"]?.stringValue == "vendor", let name = branch["name"]?.stringValue, !vendors.contains(name) {
                    vendors.append(name)
                }
                walk(branch["branches"]?.items ?? [])
            }
        }
        walk(tree["product_tree"]?["branches"]?.items ?? [])
        let document = tree["document"]
        let notes = (document?["notes"]?.items ?? []).compactMap { $0["text"]?.stringValue }
        let summaries = (document?["tracking"]?["revision_history"]?.items ?? []).dropFirst().compactMap { $0["summary"]?.stringValue }
        let urls = (document?["references"]?.items ?? []).compactMap { $0["url"]?.stringValue }
        let template = Template(path: path, bytes: bytes, id: parsed.advisory.id, vendors: vendors,
                                vulnerabilityCount: tree["vulnerabilities"]?.items.count ?? 0,
                                mandatoryFindings: parsed.conformance?.mandatory ?? 0)
        return .template(template, title: parsed.advisory.title, notes: notes, summaries: summaries, urls: urls)
    }

    /// Adds the ASCII words of at least five letters in `text` (at most 60,000 in all: enough variety for perturbing).
    static func addWords(_ text: String, to words: inout Set<String>) {
        var run: [UInt8] = []
        func flush() {
            if run.count >= 5, run.count <= 20, words.count < 60_000 { words.insert(String(decoding: run, as: UTF8.self)) }
            run.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            if (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) { run.append(byte) } else { flush() }
        }
        flush()
    }

    /// The `.json` files under `folder`, hidden names skipped.
    static func collectJSON(under folder: String, into found: inout [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasPrefix(".") {
            let path = folder + "/" + name
            if name.hasSuffix(".json") {
                found.append(path)
            } else if BenchPaths.isDirectory(path) {
                collectJSON(under: path, into: &found)
            }
        }
    }
}
