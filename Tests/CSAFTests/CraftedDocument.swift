import VigilTestSupport
import Foundation

/// Small hand-written CSAF documents for tests that need a particular defect.
enum CraftedDocument {
    /// The smallest document the CSAF 2.0 schema accepts (category `csaf_base`).
    static let minimal = """
        {
          "document": {
            "category": "csaf_base",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "Example Vendor", "namespace": "https://example.com"},
            "title": "Crafted test advisory",
            "tracking": {
              "current_release_date": "2024-01-02T00:00:00Z",
              "id": "EXAMPLE-2024-0001",
              "initial_release_date": "2024-01-01T00:00:00Z",
              "revision_history": [{"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "Initial version"}],
              "status": "final",
              "version": "1"
            }
          }
        }
        """

    /// The minimal document with one change made to its parsed form.
    static func minimal(editing edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        guard var json = try JSONSerialization.jsonObject(with: Data(minimal.utf8)) as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        edit(&json)
        return [UInt8](try JSONSerialization.data(withJSONObject: json))
    }

    /// Changes the value at a path of object keys, or removes it when `value` is nil.
    static func set(_ value: Any?, at path: [String], in object: inout [String: Any]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            object[first] = value
            return
        }
        var child = object[first] as? [String: Any] ?? [:]
        set(value, at: Array(path.dropFirst()), in: &child)
        object[first] = child
    }
}
