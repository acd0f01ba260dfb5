import CSAF
import Foundation

/// `vigil validate`: the CSAF 2.0 §6 tests over files and folders, offline. Each CSAF document gets its findings (an
/// empty list when it passes); a file that cannot be read or parsed, or that is named on the command line but is not
/// a CSAF document, gets the reason instead. JSON found in a folder that is not a CSAF document (provider metadata,
/// ROLIE feeds) is skipped and counted.
public enum ConformanceRun {
    public struct FileResult: Sendable, Encodable {
        public var path: String
        public var findings: [ConformanceFinding]
        /// Why the file could not be judged (unreadable, not JSON, not CSAF); nil when it was.
        public var error: String?
        /// The URLs tests 6.3.6 and 6.3.7 would request (collected only when asked for).
        public var links: [CSAFConformance.ReferencedURL] = []

        enum CodingKeys: String, CodingKey { case path, findings, error }

        public var failsMandatory: Bool { error != nil || findings.contains { $0.group == .mandatory } }
    }

    public struct Report: Sendable {
        public var files: [FileResult]
        /// JSON in folders that is not a CSAF document.
        public var skipped: [String]
        /// FIFOs, sockets and devices, never opened.
        public var special: [String]
    }

    /// `links`: also collect the URLs of tests 6.3.6 and 6.3.7, for `resolve`.
    public static func run(paths: [String], groups: Set<ConformanceGroup>, maxBytes: Int = CSAFDocumentReader.defaultMaxBytes,
                           links: Bool = false) throws -> Report {
        let candidates = try FileDiscovery.candidates(in: paths).filter { $0.explicit || $0.path.hasSuffix(".json") }
        let results = ConcurrentResults<Outcome>(count: candidates.count)
        DispatchQueue.concurrentPerform(iterations: candidates.count) { index in
            results.set(index, judge(candidates[index], groups: groups, maxBytes: maxBytes, links: links))
        }
        var report = Report(files: [], skipped: [], special: [])
        for outcome in results.values {
            switch outcome {
            case .file(let result)?: report.files.append(result)
            case .skipped(let path)?: report.skipped.append(path)
            case .special(let path)?: report.special.append(path)
            case nil: break
            }
        }
        return report
    }

    enum Outcome: Sendable {
        case file(FileResult)
        case skipped(String)
        case special(String)
    }

    static func judge(_ candidate: FileDiscovery.Candidate, groups: Set<ConformanceGroup>, maxBytes: Int, links: Bool = false) -> Outcome {
        if candidate.special { return .special(candidate.path) }
        let bytes: [UInt8]
        switch FileReader.read(candidate.path, maxBytes: maxBytes) {
        case .success(let read): bytes = read
        case .failure(.notRegular): return .special(candidate.path)
        case .failure(let failure): return .file(FileResult(path: candidate.path, findings: [], error: failure.description))
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            return candidate.explicit ? .file(FileResult(path: candidate.path, findings: [], error: "\(error)")) : .skipped(candidate.path)
        }
        let kind = JSONDocumentKind.classify(json)
        guard kind == .csaf || json["document"] != nil else {
            return candidate.explicit
                ? .file(FileResult(path: candidate.path, findings: [], error: "not a CSAF document: it is \(kind == .other ? "JSON without a document member" : "a \(kind.rawValue)")"))
                : .skipped(candidate.path)
        }
        return .file(FileResult(path: candidate.path, findings: CSAFConformance.check(json, groups: groups), error: nil,
                                links: links ? CSAFConformance.referencedURLs(json) : []))
    }
}

/// Results written by index from `concurrentPerform`'s threads, each slot once.
final class ConcurrentResults<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value?]

    init(count: Int) {
        storage = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: Value?) {
        lock.withLock { storage[index] = value }
    }

    var values: [Value?] { lock.withLock { storage } }
}

extension ConformanceRun {
    /// Tests 6.3.6 and 6.3.7 (`vigil validate --online`): each URL the standard lists, requested once however many
    /// documents name it, must answer with a 2xx or 3xx status (a redirect's first answer counts, as the standard
    /// says). A finding names the document's path to the URL and what the request met. Plain-HTTP URLs are
    /// requested too (this is a link check, not a fetch Vigil trusts); private and loopback addresses only with
    /// `allowPrivateNetwork`.
    public static func resolve(_ report: inout Report, fetcher: HTTPFetcher, allowPrivateNetwork: Bool = false,
                               concurrency: Int = 8) async {
        var allowed = OutboundAccess(loopback: false, privateNetwork: allowPrivateNetwork)
        allowed.plainHTTP = true
        let access = allowed
        let urls = Array(Set(report.files.flatMap { $0.links.map(\.url) })).sorted()
        var problems: [String: String] = [:]
        await withTaskGroup(of: (String, String?).self) { group in
            var next = 0
            func schedule() {
                guard next < urls.count else { return }
                let url = urls[next]
                next += 1
                group.addTask { (url, await problem(url, fetcher: fetcher, access: access)) }
            }
            for _ in 0..<max(1, concurrency) { schedule() }
            for await (url, problem) in group {
                if let problem { problems[url] = problem }
                schedule()
            }
        }
        for index in report.files.indices {
            let found = report.files[index].links.compactMap { link -> ConformanceFinding? in
                guard let problem = problems[link.url] else { return nil }
                let what = link.test == "6.3.7" ? "the document's own (self) reference" : "the URL"
                return ConformanceFinding(test: link.test, group: .informative, path: link.path, message: "\(what) \(link.url) does not resolve: \(problem)")
            }
            guard !found.isEmpty else { continue }
            report.files[index].findings = (report.files[index].findings + found).sorted {
                CSAFConformance.order($0.test).lexicographicallyPrecedes(CSAFConformance.order($1.test))
            }
        }
    }

    /// Why `url` does not resolve with a status below 400, or nil when it does.
    static func problem(_ url: String, fetcher: HTTPFetcher, access: OutboundAccess) async -> String? {
        let redirects = RedirectLog()
        do {
            _ = try await fetcher.get(url, maxBytes: 1 << 20, access: access, redirects: redirects)
            return nil
        } catch {
            // The first answer was a redirect: resolved, whatever the next hop does.
            if redirects.all.first?.from == url { return nil }
            // Larger than a link check reads: it answered.
            if error.kind == .tooLarge { return nil }
            return error.description
        }
    }
}
