import ArgumentParser
import Foundation
import Logging
import Web

extension LogFormat: ExpressibleByArgument {}

/// `--log-format text|json` for the long-running commands (`vigil serve`, `vigil sources sync`), and the process's
/// logging set up from it.
struct LogFormatOption: ParsableArguments {
    @Option(name: .customLong("log-format"), help: ArgumentHelp("""
        Log lines as text (default) or json: one object per line with ts, level, logger, message and the metadata \
        (source, delivery, request, …) as keys. Default: $VIGIL_LOG_FORMAT, else text.
        """, valueName: "format"))
    var logFormat: LogFormat?

    static var environmentValue: String? { environmentValue(in: ProcessInfo.processInfo.environment) }

    /// `VIGIL_LOG_FORMAT` in `environment`, lowercased; nil when unset or empty.
    static func environmentValue(in environment: [String: String]) -> String? {
        environment["VIGIL_LOG_FORMAT"].flatMap { $0.isEmpty ? nil : $0.lowercased() }
    }

    func validate() throws {
        _ = try format(environment: ProcessInfo.processInfo.environment)
    }

    /// The format in force: the option, else `VIGIL_LOG_FORMAT` in `environment`, else text; an error naming the
    /// variable when its value is neither text nor json.
    func format(environment: [String: String]) throws(ValidationError) -> LogFormat {
        if let logFormat { return logFormat }
        guard let value = Self.environmentValue(in: environment) else { return .text }
        guard let format = LogFormat(rawValue: value) else { throw ValidationError("VIGIL_LOG_FORMAT must be text or json, not \(value)") }
        return format
    }

    /// The format in force: the option, else `$VIGIL_LOG_FORMAT`, else text.
    var format: LogFormat { logFormat ?? Self.environmentValue.flatMap(LogFormat.init(rawValue:)) ?? .text }

    /// Makes every `Logger(label:)` in this process write `format` to standard error at `level` and above (as
    /// swift-log's default handler did, in text). Once per process, before any logger is made.
    func bootstrap(level: Logger.Level) { Self.bootstrap(format: format, level: level) }

    /// `bootstrap(level:)` with a format already resolved (`vigil serve`'s configuration).
    static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = ServerLogHandler(label: label, format: format, output: .standardError)
            handler.logLevel = level
            return handler
        }
    }

    /// A line for the operator on standard error: as it is in text, or as a log line at notice level in JSON, so
    /// that every line a JSON-logging process writes there is JSON.
    func say(_ text: String, level: Logger.Level = .notice, metadata: Logger.Metadata = [:]) {
        Self.say(text, format: format, level: level, metadata: metadata)
    }

    /// `say` with a format already resolved.
    static func say(_ text: String, format: LogFormat, level: Logger.Level = .notice, metadata: Logger.Metadata = [:]) {
        guard format == .json else {
            printError(text)
            return
        }
        Logger(label: "vigil").log(level: level, "\(text)", metadata: metadata)
    }
}
