#!/usr/bin/env bash
# Tensor evidence, end to end through the command line, every ratio measured in one run:
#   sign --no-tensors against sign --tensors on one 2 GiB safetensors file (32 F32 tensors of
#   4096 x 4096) and on 4 x 512 MiB safetensors files; `diff --tensors` with value comparison
#   of a 2 GiB pair (the file and a perturbed copy: every tensor changed, so every value is
#   read, decoded and compared) against `pedigree hash` of both files.
# Goals on a 2-core machine: tensors <= 1.3 x plain on the single file, <= 2.1 x on the four;
# the value comparison <= 2 x the time to hash both.
#
#   Benchmarks/tensor-sign.sh [DATA_DIR] [ROUNDS]      (also: BENCH_TENSORS=1 Benchmarks/run.sh)
#
# DATA_DIR (default /tmp/pedigree-bench) receives tensors/, tensors-set/ and tensors-pair/,
# made once with numpy and safetensors (the test tools' Python) and reused. Best of ROUNDS
# (default 3) runs, interleaved: on a shared machine noise only ever adds time.
set -euo pipefail
data=${1:-/tmp/pedigree-bench}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${PEDIGREE_TEST_TOOLS:-$root/.build/test-tools}
python=$tools/venv/bin/python3
bin=${PEDIGREE_BIN:-}
if [ -z "$bin" ]; then
  swift build -c release --static-swift-stdlib --product pedigree --package-path "$root" >/dev/null
  bin=$(swift build -c release --static-swift-stdlib --product pedigree --package-path "$root" --show-bin-path)/pedigree
fi

mkdir -p "$data/tensors" "$data/tensors-set" "$data/tensors-pair"
"$python" - "$data" <<'PY'
import os, sys
import numpy as np
from safetensors.numpy import save_file
data = sys.argv[1]
def make(path, count, seed, noise=None):
    if os.path.exists(path):
        return
    rng = np.random.default_rng(seed)
    tensors = {}
    for i in range(count):
        t = rng.standard_normal((4096, 4096), dtype=np.float32)
        if noise is not None:
            t += np.float32(noise) * np.random.default_rng(seed + 1000 + i).standard_normal((4096, 4096), dtype=np.float32)
        tensors[f"layers.{i}.weight"] = t
    save_file(tensors, path)
make(f"{data}/tensors/model.safetensors", 32, 1)
for part in range(4):
    make(f"{data}/tensors-set/model-{part:05d}.safetensors", 8, 10 + part)
# The pair: the single file's tensors and a perturbed copy of them.
if not os.path.exists(f"{data}/tensors-pair/a"):
    os.makedirs(f"{data}/tensors-pair/a", exist_ok=True)
    os.link(f"{data}/tensors/model.safetensors", f"{data}/tensors-pair/a/model.safetensors")
os.makedirs(f"{data}/tensors-pair/b", exist_ok=True)
make(f"{data}/tensors-pair/b/model.safetensors", 32, 1, noise=0.01)
PY

keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT
"$bin" keygen --out "$keys/k.key" >/dev/null
declare -A best
measure() {
  local name=$1; shift
  local start end secs
  start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N)
  secs=$(awk "BEGIN{printf \"%.3f\", $end - $start}")
  if [ -z "${best[$name]:-}" ] || awk "BEGIN{exit !($secs < ${best[$name]})}"; then best[$name]=$secs; fi
}
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
cat "$data/tensors/model.safetensors" "$data"/tensors-set/*.safetensors "$data/tensors-pair/b/model.safetensors" >/dev/null
for round in $(seq "$rounds"); do
  measure "sign single plain"   "$bin" sign "$data/tensors" --key "$keys/k.key" -o "$keys/s.json" --force --no-cache --no-tensors
  measure "sign single tensors" "$bin" sign "$data/tensors" --key "$keys/k.key" -o "$keys/s.json" --force --no-cache --tensors
  measure "sign set plain"      "$bin" sign "$data/tensors-set" --key "$keys/k.key" -o "$keys/s.json" --force --no-cache --no-tensors
  measure "sign set tensors"    "$bin" sign "$data/tensors-set" --key "$keys/k.key" -o "$keys/s.json" --force --no-cache --tensors
  measure "hash pair"           "$bin" hash "$data/tensors-pair/a/model.safetensors" "$data/tensors-pair/b/model.safetensors"
  measure "diff pair"           "$bin" diff --tensors "$data/tensors-pair/a" "$data/tensors-pair/b"
done
echo "best of $rounds, $(nproc) cores"
printf '%-22s %8s s\n' "sign 2 GiB plain" "${best[sign single plain]}"
printf '%-22s %8s s  %s x plain (goal <= 1.3)\n' "sign 2 GiB --tensors" "${best[sign single tensors]}" "$(ratio "${best[sign single tensors]}" "${best[sign single plain]}")"
printf '%-22s %8s s\n' "sign 4x512 MiB plain" "${best[sign set plain]}"
printf '%-22s %8s s  %s x plain (goal <= 2.1)\n' "sign 4x512 --tensors" "${best[sign set tensors]}" "$(ratio "${best[sign set tensors]}" "${best[sign set plain]}")"
printf '%-22s %8s s\n' "hash both of the pair" "${best[hash pair]}"
printf '%-22s %8s s  %s x hashing both (goal <= 2)\n' "diff --tensors pair" "${best[diff pair]}" "$(ratio "${best[diff pair]}" "${best[hash pair]}")"
