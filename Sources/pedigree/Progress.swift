import Foundation
import PedigreeKit
import Synchronization

/// A one-line progress display on standard error: bytes done of the total, rate and time left.
///
/// It appears only when standard error is a terminal, and only for work that lasts longer than
/// about a second. It draws through `Console`, which erases it before any other output, so a
/// line printed meanwhile is never mixed into it; `finish()` stops it and erases it.
final class ProgressLine: Sendable {
    private let counter: ByteCounter
    private let active: Bool
    private let done = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Starts the display of the bytes counted by `counter` (the total is what the hash engine
    /// announces on it), unless `enabled` is false or standard error is not a terminal.
    init(counter: ByteCounter, enabled: Bool) {
        self.counter = counter
        active = enabled && Console.stderrIsTerminal
        guard active else { return }
        Thread { [self] in run() }.start()
    }

    private func run() {
        let start = Date()
        while wake.wait(timeout: .now() + 0.2) == .timedOut, !done.load(ordering: .acquiring) {
            let elapsed = Date().timeIntervalSince(start)
            guard elapsed >= 1 else { continue }
            let line = ProgressFormat.line(done: counter.total, total: counter.expected, elapsed: elapsed)
            Console.showProgress("\(line)")
        }
        Console.clearProgress()
        exited.signal()
    }

    /// Stops and erases the display.
    func finish() {
        guard active, !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        exited.wait()
    }
}
