import Foundation

/// The real provider data and the standard's material in `../shared/data`, found from this file's location
/// (`Tests/CSAFTests/SharedData.swift` → `../../../shared/data`). Nothing is copied into the repository.
enum SharedData {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data")
        .standardizedFileURL

    /// The folder or file at `relative` under the shared data folder; throws a message saying what is missing.
    static func url(_ relative: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: root.path) else { throw MissingSharedData(path: root.path) }
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingSharedData(path: url.path) }
        return url
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relative)))
    }

    /// Every `.json` file under a folder, as paths relative to it, sorted.
    static func jsonFiles(under relative: String) throws -> [String] {
        let base = try url(relative)
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { throw MissingSharedData(path: base.path) }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            if path.hasSuffix(".json") { files.append(path) }
        }
        return files.sorted()
    }
}

/// The shared data folder (or a file in it) is absent: the tests that read real data cannot run.
struct MissingSharedData: Error, CustomStringConvertible {
    var path: String
    var description: String {
        "\(path) does not exist: these tests read the real provider data in ../shared/data next to the package root (CI always has it)"
    }
}
