import Logging

/// swift-log's standard-output handler, with the metadata rendered only when a message is logged.
///
/// Hummingbird gives every request's logger a request ID; `StreamLogHandler` renders all of a logger's metadata each
/// time any of it is set, which was a noticeable part of what serving a cached page cost. Messages look the same.
struct ServerLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    let label: String

    init(label: String) {
        self.label = label
        metadataProvider = LoggingSystem.metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var handler = StreamLogHandler.standardOutput(label: label, metadataProvider: metadataProvider)
        handler.logLevel = logLevel
        handler.metadata = metadata
        handler.log(event: event)
    }
}
