import CSAF
import Foundation
import VigilTestSupport

/// Advisories read from `../shared/data` for the Revisions tests (never copied into the repository).
enum RevisionsCorpus {
    /// Every CSAF advisory under `relative` (a folder of ../shared/data), normalised, in path order. Sidecars,
    /// metadata and feeds are skipped.
    static func advisories(under relative: String) throws -> [Advisory] {
        let root = try SharedData.url(relative)
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }
            .filter { $0.pathExtension == "json" && !$0.lastPathComponent.contains("provider") && !$0.lastPathComponent.contains("feed")
                && !$0.lastPathComponent.contains("aggregator") }
            .sorted { $0.path < $1.path } ?? []
        return try files.compactMap { url in
            let bytes = [UInt8](try Data(contentsOf: url))
            guard case .csaf(let parsed) = try? CSAFDocumentReader.read(bytes) else { return nil }
            return parsed.advisory
        }
    }
}
