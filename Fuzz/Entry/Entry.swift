#if canImport(Glibc)
import Glibc
#endif
import FuzzHarnesses

/// The harness named by `PEDIGREE_FUZZ_HARNESS` (see `FuzzHarness.all`).
private let harness: @Sendable ([UInt8]) -> Void = {
    let name = getenv("PEDIGREE_FUZZ_HARNESS").map { String(cString: $0) } ?? ""
    guard let harness = FuzzHarness.all[name] else {
        let known = FuzzHarness.all.keys.sorted().joined(separator: ", ")
        let message = Array("PEDIGREE_FUZZ_HARNESS is '\(name)'; set it to one of: \(known)\n".utf8)
        _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(64)
    }
    return harness
}()

/// libFuzzer's entry point: one input to the selected harness.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    harness(start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}
