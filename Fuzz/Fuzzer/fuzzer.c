// The fuzzer executable. libFuzzer (linked by -sanitize=fuzzer) brings `main`, and the
// FuzzEntry target defines the entry point it calls:
//
//     int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
//
// This target is C, not Swift, because SwiftPM links a Swift executable with
// `--defsym main=<Module>_main`, a symbol a fuzzer (built with -parse-as-library, no main of
// its own) never has; a C executable is linked as it is.
typedef int pedigree_fuzzer_has_no_code_of_its_own;
