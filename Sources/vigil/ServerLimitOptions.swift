import ArgumentParser
import Foundation
import Web

/// `vigil serve`'s limits on what one client can hold: timeouts, connections, body sizes, page cache memory.
struct ServerLimitOptions: ParsableArguments {
    @Option(name: .customLong("header-timeout"), help: ArgumentHelp("""
        Time a client has to send a request's headers, from connecting (or from the first byte of a later request on \
        the connection); then the connection is closed. Default 10s.
        """, valueName: "duration"))
    var headerTimeout = "10s"

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Time a kept-alive connection may wait for its next request. Default 60s.", valueName: "duration"))
    var idleTimeout = "60s"

    @Option(name: .customLong("body-timeout"), help: ArgumentHelp("Time a client has to send a request body, after its headers. Default 30s.", valueName: "duration"))
    var bodyTimeout = "30s"

    @Option(name: .customLong("max-connections"), help: ArgumentHelp("""
        Client connections open at once (default 512; lowered to fit `ulimit -n`). At the limit a new connection \
        replaces the one idle longest; when all are busy, new ones wait in the listen queue.
        """, valueName: "n"))
    var maxConnections = 512

    @Option(name: .customLong("max-form-size"), help: ArgumentHelp("Largest form post body (sign-in, watches, alerts, account); larger ones get 413. Default 64KiB.", valueName: "size"))
    var maxFormSize = "64KiB"

    @Option(name: .customLong("page-cache-size"), help: ArgumentHelp("Memory for rendered pages; the least recently used go first. Default 64MiB.", valueName: "size"))
    var pageCacheSize = "64MiB"

    func validate() throws {
        for (name, text) in [("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout), ("--body-timeout", bodyTimeout)]
        where Self.duration(text) == nil {
            throw ValidationError("\(name) must be a duration such as 500ms, 10s or 2m (at most 1h), not \(text)")
        }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 1000000") }
        guard let form = Self.bytes(maxFormSize), form >= 1024 else {
            throw ValidationError("--max-form-size must be a size such as 64KiB or 1MiB (at least 1KiB), not \(maxFormSize)")
        }
        guard Self.bytes(pageCacheSize) != nil else {
            throw ValidationError("--page-cache-size must be a size such as 64MiB or 0 (no page cache), not \(pageCacheSize)")
        }
    }

    var limits: ServerLimits {
        var limits = ServerLimits()
        limits.headerTimeout = Self.duration(headerTimeout) ?? limits.headerTimeout
        limits.idleTimeout = Self.duration(idleTimeout) ?? limits.idleTimeout
        limits.bodyTimeout = Self.duration(bodyTimeout) ?? limits.bodyTimeout
        limits.maxConnections = maxConnections
        limits.maxFormBody = Self.bytes(maxFormSize) ?? limits.maxFormBody
        limits.pageCacheBytes = Self.bytes(pageCacheSize) ?? limits.pageCacheBytes
        return limits
    }

    /// `500ms`, `10s`, `2m`, or plain seconds; more than zero and at most an hour.
    static func duration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var milliseconds: Int?
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            milliseconds = Int(trimmed.dropLast(suffix.count)).map { $0 * factor }
            break
        }
        if milliseconds == nil, let seconds = Int(trimmed) { milliseconds = seconds * 1000 }
        guard let milliseconds, milliseconds > 0, milliseconds <= 3_600_000 else { return nil }
        return .milliseconds(milliseconds)
    }

    /// `64KiB`, `64k`, `16MiB`, `16m`, `1GiB`, or plain bytes.
    static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30),
                                      ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let value = Int(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value >= 0, value <= (1 << 40) / factor else { return nil }
            return value * factor
        }
        guard let value = Int(trimmed), value >= 0 else { return nil }
        return value
    }
}
