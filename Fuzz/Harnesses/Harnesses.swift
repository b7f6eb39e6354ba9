/// The fuzz harnesses, by the name `Scripts/fuzz.sh` and the corpus folders use.
///
/// A harness takes any bytes and hands them to the same library entry point the command line
/// uses; it must never crash, hang or leak whatever the bytes. Where the code has a property
/// that must hold for every input (what is written reads back the same), the harness checks
/// it with `fuzzCheck`, so a violation is a crash the fuzzer reports.
///
/// To add one: a file in this folder with a `func fuzzSomething(_ data: [UInt8])`, one line
/// below, and a seed corpus in `Fuzz/Corpus/<name>/`. The corpus replay test runs it.
public enum FuzzHarness {
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "bundle": fuzzBundle,
        "statement": fuzzStatement,
        "checksum-list": fuzzChecksumList,
        "digest-list": fuzzDigestList,
        "glob": fuzzGlob,
        "spec": fuzzSpec,
        "safetensors": fuzzSafetensors,
        "gguf": fuzzGGUF,
        "lfs-pointer": fuzzLFSPointer,
        "safetensors-index": fuzzSafetensorsIndex,
        "adapter-config": fuzzAdapterConfig,
        "cache-record": fuzzCacheRecord,
    ]
}

/// Stops the process when a property every input must have does not hold.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("fuzz property violated: \(message())", file: file, line: line) }
}
