// swift-tools-version:6.0
import PackageDescription

// The libFuzzer harnesses, in a package of their own: a fuzzer binary has no `main` (libFuzzer
// brings it) and needs -sanitize=fuzzer, so it cannot live in the root package, whose
// `swift build` must keep working.
// Build and run one with `Scripts/fuzz.sh HARNESS SECONDS`. The harnesses themselves are the
// root package's FuzzHarnesses target (Fuzz/Harnesses/), which `swift test` also uses to replay
// Fuzz/Corpus; this package adds only libFuzzer's entry point.
let package = Package(
    name: "PedigreeFuzz",
    dependencies: [.package(name: "pedigree", path: "..")],
    targets: [
        // `@_cdecl("LLVMFuzzerTestOneInput")`: hands each input to the harness selected by the
        // environment variable PEDIGREE_FUZZ_HARNESS.
        .target(name: "FuzzEntry", dependencies: [.product(name: "FuzzHarnesses", package: "pedigree")], path: "Entry"),
        // The binary: libFuzzer's main around FuzzEntry (see Fuzzer/fuzzer.c for why it is C).
        .executableTarget(name: "PedigreeFuzzer", dependencies: ["FuzzEntry"], path: "Fuzzer"),
    ],
    swiftLanguageModes: [.v6]
)
