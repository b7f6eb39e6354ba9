import Testing

@testable import PedigreeKit

@Suite struct InParallel {
    /// Both pieces run and both results come back, each with its own.
    @Test func bothResultsComeBack() {
        let made = inParallel({ (0..<1000).reduce(0, +) }, while: { "here" })
        #expect(made.other == 499_500)
        #expect(made.result == "here")
    }

    private struct Stop: Error, Equatable {}

    /// When the caller's piece throws, the other piece has still run before the error comes back.
    @Test func theOtherPieceRunsWhenTheCallersThrows() {
        let ran = Locked(false)
        #expect(throws: Stop()) {
            _ = try inParallel({ ran.update { $0 = true } }, while: { () throws(Stop) in throw Stop() })
        }
        #expect(ran.withLock { $0 })
    }

    /// An optional result of `nil` is a result, not a piece that did not run.
    @Test func aNilResultIsKept() {
        let count = Locked(0)
        let made = inParallel({ () -> Int? in
            count.update { $0 += 1 }
            return nil
        }, while: { 1 })
        #expect(made.other == nil && made.result == 1)
        #expect(count.withLock { $0 } == 1)
    }
}
