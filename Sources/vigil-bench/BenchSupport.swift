import Alerts
import Foundation
import Logging
import ServiceLifecycle
import Storage
import Store
import VigilTestSupport

// The few command-line helpers the benchmarks share with `vigil`'s commands. `vigil` keeps its own (they are part of
// the commands users run); the library targets have no place for command-line output, so these small ones are here
// for the benchmarks rather than in a library.

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension Int {
    /// `2,383`: thousands separated, as the summaries print counts.
    var grouped: String {
        let digits = String(Swift.abs(self))
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (self < 0 ? "-" : "") + String(out.reversed())
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

/// `AlertService` (Alerts) as a service of the benchmark's service group, as `vigil serve` runs it (its `AlertWork`):
/// cancelled at the graceful shutdown, which lets the pass under way finish.
struct BenchAlertService: Service {
    let service: AlertService

    func run() async throws {
        await cancelWhenGracefulShutdown { await service.run() }
    }
}

/// The Python interpreter a benchmark was given (`--python`): the default `python3` is found as the tests find it
/// (the checkout's `.venv` first, where `scripts/test` installs aiosmtpd); another name is looked up on PATH.
func benchPython(_ given: String) throws -> String {
    if given.contains("/") { return given }
    return try Executables.find(given, hint: "install Python 3 with `pip install aiosmtpd`, or pass --python COMMAND")
}

extension SMTPPeer {
    /// Arrival times (Unix seconds) of the messages so far, in order.
    func receipts() throws -> [Double] {
        try received().map(\.arrived)
    }

    /// The messages so far, in order: arrival time (Unix seconds) and the benchmark tags (`BENCH-<tag>-` in a
    /// tracking ID) their subject and text carry, so a late message is never taken for the next publication's.
    func taggedReceipts() -> [(time: Double, tags: Set<String>)] {
        ((try? received()) ?? []).map { message in
            let text = ([message.subject, message.text] + message.parts.map(\.content)).joined(separator: "\n")
            return (message.arrived, Self.benchTags(in: text))
        }
    }

    /// The `<tag>`s of every `BENCH-<tag>-` in `text` (tags are letters and digits).
    static func benchTags(in text: String) -> Set<String> {
        var tags = Set<String>()
        var rest = Substring(text)
        while let start = rest.range(of: "BENCH-") {
            let after = rest[start.upperBound...]
            let tag = after.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
            if !tag.isEmpty, after.dropFirst(tag.count).first == "-" { tags.insert(String(tag)) }
            rest = after
        }
        return tags
    }
}
