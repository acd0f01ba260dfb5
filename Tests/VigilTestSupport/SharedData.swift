import Foundation

/// The real provider data and the standard's material in `../shared/data`, found from this file's location
/// (`Tests/VigilTestSupport/SharedData.swift` → `../../../shared/data`). Nothing is copied into the repository.
public enum SharedData {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data")
        .standardizedFileURL

    /// The folder or file at `relative` under the shared data folder; throws a message saying what is missing.
    public static func url(_ relative: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: root.path) else { throw MissingSharedData(path: root.path) }
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingSharedData(path: url.path) }
        return url
    }

    public static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relative)))
    }

    /// Every `.json` file under a folder, as paths relative to it, sorted.
    public static func jsonFiles(under relative: String) throws -> [String] {
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
public struct MissingSharedData: Error, CustomStringConvertible {
    public var path: String
    public var description: String {
        "\(path) does not exist: these tests read the real provider data in ../shared/data next to the package root (CI always has it)"
    }
}

/// A temporary folder for one test; the test removes it with `defer { folder.remove() }`.
public struct TemporaryFolder {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// Copies a file from the shared data folder, with whichever sidecars it has, to `name` in this folder.
    @discardableResult
    public func copy(_ relative: String, as name: String? = nil, sidecars: Bool = true) throws -> String {
        let source = try SharedData.url(relative)
        let target = url.appendingPathComponent(name ?? source.lastPathComponent)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: target)
        if sidecars {
            for suffix in [".sha256", ".sha512", ".asc"] {
                let sidecar = URL(fileURLWithPath: source.path + suffix)
                if FileManager.default.fileExists(atPath: sidecar.path) {
                    try FileManager.default.copyItem(at: sidecar, to: URL(fileURLWithPath: target.path + suffix))
                }
            }
        }
        return target.path
    }

    public func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target.path
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
