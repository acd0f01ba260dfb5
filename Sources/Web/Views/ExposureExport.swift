import Foundation
import Matching
import Storage

/// CSV and JSON renderings of exposures, shared by the command line and the web export.
public enum ExposureExport {
    public static func csv(_ rows: [ExposureRow]) -> String {
        CSVWriter.table(header: ["status", "confidence", "advisory", "title", "severity", "cvss", "known_exploited", "vendor",
                                 "product", "version", "model_number", "serial_number", "site", "area", "owner",
                                 "criticality", "first_seen", "reason"],
                        rows: rows.map { row in
            [row.exposure.status.rawValue, row.exposure.confidence.rawValue, row.exposure.advisoryID, row.advisoryTitle,
             row.severity, row.cvssScore.map { String($0) } ?? "", row.knownExploitedCount > 0 ? "yes" : "no",
             row.asset.vendor, row.asset.product, row.asset.version ?? "", row.asset.modelNumber ?? "",
             row.asset.serialNumber ?? "", row.asset.site ?? "", row.asset.area ?? "", row.asset.owner ?? "",
             row.asset.criticality?.rawValue ?? "", ISO8601DateFormatter().string(from: row.firstSeen), row.exposure.reason]
        })
    }

    public static func json(_ rows: [ExposureRow]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(rows)
    }
}
