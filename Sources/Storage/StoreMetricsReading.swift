import CSAF
import Foundation

/// What `GET /metrics` reads from the store at each scrape: a few counts over indexed columns, never a scan of the
/// documents' bytes.
public struct StoreMetricsReading: Sendable, Equatable {
    /// Stored documents (every revision) by integrity status (`IntegrityStatus` raw values).
    public var documentsByIntegrity: [String: Int]
    /// Files kept in quarantine.
    public var quarantined: Int
    /// Deliveries in the outbox not yet delivered, failed for good, held for a digest or folded into one.
    public var pendingDeliveries: Int
    /// When the longest-overdue delivery fell due (its next attempt, or the end of a lapsed claim); nil when none is due.
    public var oldestDue: Date?
    /// Bytes on disk: the SQLite file with its WAL, or the PostgreSQL database.
    public var sizeBytes: Int64

    public init(documentsByIntegrity: [String: Int] = [:], quarantined: Int = 0, pendingDeliveries: Int = 0, oldestDue: Date? = nil,
                sizeBytes: Int64 = 0) {
        self.documentsByIntegrity = documentsByIntegrity
        self.quarantined = quarantined
        self.pendingDeliveries = pendingDeliveries
        self.oldestDue = oldestDue
        self.sizeBytes = sizeBytes
    }
}
