#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PedigreeKit
import Synchronization

/// A one-line progress display on standard error: bytes, rate and time left.
///
/// It appears only when standard error is a terminal, and only for work that lasts longer
/// than about a second; `finish()` erases it.
final class ProgressLine: Sendable {
    private let counter: ByteCounter
    private let total: Int64
    private let active: Bool
    private let done = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Starts the display for `total` bytes counted by `counter`, unless `enabled` is false
    /// or standard error is not a terminal.
    init(counter: ByteCounter, total: Int64, enabled: Bool) {
        self.counter = counter
        self.total = total
        active = enabled && Console.stderrIsTerminal
        guard active else { return }
        Thread { [self] in run() }.start()
    }

    private func run() {
        let start = Date()
        var shown = false
        while wake.wait(timeout: .now() + 0.2) == .timedOut, !done.load(ordering: .acquiring) {
            let elapsed = Date().timeIntervalSince(start)
            guard elapsed >= 1 else { continue }
            let bytes = counter.total
            let rate = Double(bytes) / elapsed
            var line = "\(formatBytes(bytes)) of \(formatBytes(total))  \(formatBytes(Int64(rate)))/s"
            if rate > 0, total > bytes {
                line += "  ETA \(formatDuration(Double(total - bytes) / rate))"
            }
            Console.raw("\r\u{1B}[K" + line)
            shown = true
        }
        if shown { Console.raw("\r\u{1B}[K") }
        exited.signal()
    }

    /// Stops and erases the display before anything else is written.
    func finish() {
        guard active, !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        exited.wait()
    }
}

/// `1.5 GiB`, `512 MiB`, `12 B`.
func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// `1m05s`, `42s`.
func formatDuration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded(.up))
    return whole >= 60 ? String(format: "%dm%02ds", whole / 60, whole % 60) : "\(whole)s"
}
