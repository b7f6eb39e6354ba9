#!/usr/bin/env bash
# Per-tensor digests against the plain file digest, and the value comparison, on one 2 GiB
# safetensors file (32 F32 tensors), in-process, release build. Prints timings; asserts none.
#
#   Benchmarks/tensor-digests.sh [DATA_DIR] [ROUNDS]
#
# DATA_DIR (default /tmp/pedigree-bench) receives tensors/model.safetensors, made once and
# reused. The test is TensorBenchmarkTests, skipped unless PEDIGREE_BENCHMARK=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PEDIGREE_BENCHMARK=1
export PEDIGREE_BENCHMARK_DIR=${1:-/tmp/pedigree-bench}
export PEDIGREE_BENCHMARK_ROUNDS=${2:-3}
swift build -c release --build-tests -Xswiftc -enable-testing --package-path "$root" >/dev/null
swift test -c release --skip-build -Xswiftc -enable-testing --package-path "$root" --filter TensorBenchmarkTests 2>&1 \
  | grep -v -E '^(\[|Test Suite|\s+Executed|◇|↳)'
