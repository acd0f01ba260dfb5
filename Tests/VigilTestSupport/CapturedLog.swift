import Logging
import Synchronization

/// Log events kept in memory, for tests that check what a component logged: each event's level, message and metadata
/// (the logger's merged with the event's).
public final class CapturedLog: Sendable {
    public struct Event: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: [String: String]
    }

    private let store = Mutex<[Event]>([])

    public init() {}

    /// Every event so far, in order.
    public var events: [Event] { store.withLock { $0 } }

    /// The events at `level` or above, each as a text log line shows it: the message, then `key=value` sorted.
    public func messages(atLeast level: Logger.Level) -> [String] {
        events.filter { $0.level >= level }.map { event in
            ([event.message] + event.metadata.keys.sorted().map { "\($0)=\(event.metadata[$0]!)" }).joined(separator: " ")
        }
    }

    /// A logger (at trace level, unless set lower) that records here.
    public func logger(label: String = "captured") -> Logger {
        Logger(label: label) { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues(\.description)
            log.store.withLock { $0.append(Event(level: event.level, message: event.message.description, metadata: merged)) }
        }
    }
}
