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

        public var failsMandatory: Bool { error != nil || findings.contains { $0.group == .mandatory } }
    }

    public struct Report: Sendable {
        public var files: [FileResult]
        /// JSON in folders that is not a CSAF document.
        public var skipped: [String]
        /// FIFOs, sockets and devices, never opened.
        public var special: [String]
    }

    public static func run(paths: [String], groups: Set<ConformanceGroup>, maxBytes: Int = CSAFDocumentReader.defaultMaxBytes) throws -> Report {
        let candidates = try FileDiscovery.candidates(in: paths).filter { $0.explicit || $0.path.hasSuffix(".json") }
        let results = ConcurrentResults<Outcome>(count: candidates.count)
        DispatchQueue.concurrentPerform(iterations: candidates.count) { index in
            results.set(index, judge(candidates[index], groups: groups, maxBytes: maxBytes))
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

    static func judge(_ candidate: FileDiscovery.Candidate, groups: Set<ConformanceGroup>, maxBytes: Int) -> Outcome {
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
        return .file(FileResult(path: candidate.path, findings: CSAFConformance.check(json, groups: groups), error: nil))
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
