#!/usr/bin/env bash
# Builds the libFuzzer harnesses (the package in Fuzz/, with -sanitize=fuzzer,address) and runs
# one of them for a given time.
#
#   Scripts/fuzz.sh HARNESS SECONDS [libFuzzer options…]
#
# HARNESS is a name from Fuzz/Harnesses/Harnesses.swift (bundle, statement, checksum-list, glob,
# spec, …). The seeds in Fuzz/Corpus/HARNESS/ are read, never written: new inputs go to a
# working corpus in .build-fuzz/corpus/HARNESS/, and a crashing input to
# .build-fuzz/artifacts/HARNESS/ (copy it into Fuzz/Corpus/HARNESS/ once fixed, so the replay
# test in `swift test` keeps it fixed). Exit status: libFuzzer's (0 when nothing was found).
set -euo pipefail

harness=${1:?usage: Scripts/fuzz.sh HARNESS SECONDS [libFuzzer options...]}
seconds=${2:?usage: Scripts/fuzz.sh HARNESS SECONDS [libFuzzer options...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
seeds="$root/Fuzz/Corpus/$harness"
if [ ! -d "$seeds" ]; then
    echo "fuzz.sh: no harness '$harness' (no $seeds); known: $(ls "$root/Fuzz/Corpus" | tr '\n' ' ')" >&2
    exit 64
fi
scratch="$root/.build-fuzz"
flags=(--package-path "$root/Fuzz" --scratch-path "$scratch" -c release
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -g
       -Xcc -fsanitize=fuzzer-no-link,address)
swift build "${flags[@]}" --product PedigreeFuzzer >&2
binary="$(swift build "${flags[@]}" --show-bin-path)/PedigreeFuzzer"
work="$scratch/corpus/$harness"
artifacts="$scratch/artifacts/$harness/"
mkdir -p "$work" "$artifacts"
# Swift's own crash backtracer would race ASan's report of the same crash; leave it to ASan.
SWIFT_BACKTRACE=enable=no PEDIGREE_FUZZ_HARNESS="$harness" exec "$binary" "$work" "$seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts" -print_final_stats=1 "$@"
