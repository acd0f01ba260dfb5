import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A progress bar on a terminal; plain lines (every 10%) when standard error is not one.
final class ProgressDisplay: Sendable {
    let label: String
    let isTerminal: Bool
    private let state = Mutex<(lastPercent: Int, lastDraw: ContinuousClock.Instant?)>((-1, nil))

    init(label: String) {
        self.label = label
        self.isTerminal = isatty(STDERR_FILENO) == 1
    }

    func update(done: Int, total: Int) {
        let percent = total == 0 ? 100 : done * 100 / total
        let now = ContinuousClock.now
        let line: String? = state.withLock { state in
            if isTerminal {
                // Redraw at most 20 times a second: drawing must not slow the import down.
                if let last = state.lastDraw, now - last < .milliseconds(50), done < total { return nil }
                state.lastDraw = now
                let width = 30
                let filled = total == 0 ? width : done * width / total
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                return "\r\(label) \(bar) \(percent)% \(done)/\(total)"
            }
            guard percent / 10 != state.lastPercent / 10 || done == total, percent != state.lastPercent else { return nil }
            state.lastPercent = percent
            return "\(label): \(done)/\(total) files (\(percent)%)\n"
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
