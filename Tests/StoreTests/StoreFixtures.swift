import CSAF
import Foundation
import Sources
import Storage
import Store
import VigilTestSupport

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
