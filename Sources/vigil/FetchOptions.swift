import ArgumentParser
import Foundation
import Sources
import Storage

/// How `vigil serve` and `vigil sources` reach providers: a timeout for every phase of a request, and per-host
/// politeness. The defaults are what a careful client would choose; a plant behind a slow proxy may raise them.
struct FetchOptions: ParsableArguments {
    @Option(name: .customLong("dns-timeout"), help: ArgumentHelp("Longest wait for a host name to resolve (default 5s).", valueName: "duration"))
    var dnsTimeout: String?
    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("Longest wait to open a TCP connection (default 5s).", valueName: "duration"))
    var connectTimeout: String?
    @Option(name: .customLong("tls-timeout"), help: ArgumentHelp("Longest TLS handshake (default 5s).", valueName: "duration"))
    var tlsTimeout: String?
    @Option(name: .customLong("first-byte-timeout"), help: ArgumentHelp("Longest wait from a request to its response's headers (default 15s).", valueName: "duration"))
    var firstByteTimeout: String?
    @Option(name: .customLong("read-timeout"), help: ArgumentHelp("Longest silence while reading a response (default 15s).", valueName: "duration"))
    var readTimeout: String?
    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Longest whole request, first byte to last (default 120s).", valueName: "duration"))
    var requestTimeout: String?
    @Option(name: .customLong("host-rate"), help: ArgumentHelp("Requests started per second to one host, at most (default 20; 0 for no cap).", valueName: "n"))
    var hostRate: Double?
    @Option(name: .customLong("host-connections"), help: ArgumentHelp("Requests in flight to one host, at most (default 4).", valueName: "n"))
    var hostConnections: Int?

    func validate() throws {
        for (name, value) in [("--dns-timeout", dnsTimeout), ("--connect-timeout", connectTimeout), ("--tls-timeout", tlsTimeout),
                              ("--first-byte-timeout", firstByteTimeout), ("--read-timeout", readTimeout), ("--request-timeout", requestTimeout)] {
            if let value, FetchOptions.seconds(value) == nil {
                throw ValidationError("\(name) must be a duration such as 500ms, 10s or 2m, not \(value)")
            }
        }
        if let hostRate, hostRate < 0 { throw ValidationError("--host-rate must be 0 (no cap) or more") }
        if let hostConnections, !(1...64).contains(hostConnections) { throw ValidationError("--host-connections must be between 1 and 64") }
    }

    /// The default policy with what was given on the command line.
    var policy: FetchPolicy {
        var policy = FetchPolicy()
        if let value = dnsTimeout.flatMap(FetchOptions.seconds) { policy.resolveTimeout = value }
        if let value = connectTimeout.flatMap(FetchOptions.seconds) { policy.connectTimeout = value }
        if let value = tlsTimeout.flatMap(FetchOptions.seconds) { policy.tlsHandshakeTimeout = value }
        if let value = firstByteTimeout.flatMap(FetchOptions.seconds) { policy.firstByteTimeout = value }
        if let value = readTimeout.flatMap(FetchOptions.seconds) { policy.idleReadTimeout = value }
        if let value = requestTimeout.flatMap(FetchOptions.seconds) { policy.timeout = value }
        if let hostRate { policy.perHostRequestsPerSecond = hostRate == 0 ? nil : hostRate }
        if let hostConnections { policy.perHostConcurrency = hostConnections }
        return policy
    }

    /// `500ms`, `10s`, `2m`, or plain seconds; nil for anything else, zero or negative, or over a day.
    static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let value: Double?
        if trimmed.hasSuffix("ms") { value = Double(trimmed.dropLast(2)).map { $0 / 1000 } }
        else if trimmed.hasSuffix("s") { value = Double(trimmed.dropLast()) }
        else if trimmed.hasSuffix("m") { value = Double(trimmed.dropLast()).map { $0 * 60 } }
        else { value = Double(trimmed) }
        guard let value, value > 0, value <= 86_400 else { return nil }
        return value
    }
}
