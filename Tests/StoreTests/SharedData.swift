import CSAF
import Foundation
import Sources
import Store

/// The real provider data and the standard's material in `../shared/data`, found from this file's location
/// (`Tests/StoreTests/SharedData.swift` → `../../../shared/data`). Nothing is copied into the repository.
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

/// A temporary folder for one test; the test removes it with `defer { folder.remove() }`.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    /// Copies a file from the shared data folder, with whichever sidecars it has, to `name` in this folder.
    @discardableResult
    func copy(_ relative: String, as name: String? = nil, sidecars: Bool = true) throws -> String {
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

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target.path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}


/// Builds what an importer would hand the store, for tests that feed the store one document at a time.
enum Incoming {
    struct NotCSAF: Error, CustomStringConvertible {
        var origin: String
        var description: String { "\(origin) did not read as a CSAF document" }
    }

    static func document(_ bytes: [UInt8], origin: String) throws -> IncomingDocument {
        guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes) else { throw NotCSAF(origin: origin) }
        let (integrity, _) = IntegrityChecker.check(bytes: bytes, fileName: (origin as NSString).lastPathComponent, sidecars: .init())
        return IncomingDocument(origin: origin, bytes: bytes, parsed: parsed, integrity: integrity)
    }

    static func document(_ relative: String) throws -> IncomingDocument {
        try document(try SharedData.bytes(relative), origin: try SharedData.url(relative).path)
    }
}

extension TemporaryFolder {
    /// A fresh SQLite store in this folder.
    func store(_ name: String = "vigil.sqlite") throws -> SQLiteStore {
        try SQLiteStore(path: url.appendingPathComponent(name).path)
    }
}
