#!/usr/bin/env bash
# pedigree against its peers, all measured in one run on the same data:
#   hashing: `pedigree hash` against `openssl dgst -sha256` and `sha256sum`, with
#            `openssl speed -evp sha256` as the ceiling;
#   signing: `pedigree sign` against OpenSSF `model_signing sign key` (ECDSA P-256 key),
#            end to end, on the 4-file folder and on a folder holding the 2 GiB file.
#
#   Benchmarks/run.sh [DATA_DIR] [ROUNDS]
#
# DATA_DIR (default /tmp/pedigree-bench) receives 4 x 512 MiB files (set/) and one 2 GiB
# file (single/big.bin) of random bytes, made once and reused. Each command runs ROUNDS
# times (default 5), interleaved with the others; the best time of each is reported, since
# on a shared machine noise only ever adds time. Needs `model_signing` 1.1.1 and pyopenssl,
# which `bash Scripts/bootstrap.sh --tests` installs in .build/test-tools/venv.
#
# Optional sections (issue 12), off by default so the default run stays short:
#   BENCH_MANY_FILES=1    200,000 tiny files (many/): `pedigree sign`, `pedigree verify`,
#                         `model_signing sign key` and `find | xargs sha256sum`, time, peak RSS
#                         and files per second (MANY_ROUNDS, default 1).
#   BENCH_MILLION=1       1,000,000 tiny files (million/): `pedigree sign` and `verify`, time and
#                         peak RSS against the manifest's size (goal: <= 2.5 x the manifest +
#                         40 MiB), and files per second against the 200,000-file figures of
#                         model_signing when BENCH_MANY_FILES=1 ran too (MILLION_ROUNDS, default 1).
#   BENCH_INCREMENTAL=1   a 2 GiB file and 20,000 small ones (incremental/): a full sign
#                         (--no-cache) against a re-sign through the digest cache after one
#                         small edit (five re-signs per round); goal: the re-sign takes <= 5 %
#                         of the full sign.
#   BENCH_TENSORS=1       tensor digests and diff --tensors (Benchmarks/tensor-sign.sh).
#   BENCH_DEFAULT=0       skips the default sections (to run only the optional ones).
#   PEDIGREE_BIN=PATH     measures that pedigree binary (a release build) instead of building one.
set -euo pipefail

data=${1:-/tmp/pedigree-bench}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cores=$(nproc)

if [ -n "${PEDIGREE_BIN:-}" ]; then
  bin=$PEDIGREE_BIN  # a release binary built beforehand (no build here, so no wait on .build's lock)
else
  echo "== building pedigree (release)"
  swift build -c release --static-swift-stdlib --product pedigree --package-path "$root" >/dev/null
  bin=$(swift build -c release --static-swift-stdlib --product pedigree --package-path "$root" --show-bin-path)/pedigree
fi

tools=${PEDIGREE_TEST_TOOLS:-$root/.build/test-tools}
[ -d "$tools/venv/bin" ] && PATH="$tools/venv/bin:$PATH"
command -v model_signing >/dev/null || { echo "model_signing is not installed (run bash Scripts/bootstrap.sh --tests)" >&2; exit 2; }

run_default=${BENCH_DEFAULT:-1}
mkdir -p "$data/set" "$data/single"
if [ "$run_default" = 1 ]; then
  for i in 1 2 3 4; do
    [ -s "$data/set/part$i.bin" ] || head -c 512M /dev/urandom > "$data/set/part$i.bin"
  done
fi
[ -s "$data/single/big.bin" ] || head -c 2G /dev/urandom > "$data/single/big.bin"
keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT
openssl ecparam -name prime256v1 -genkey -noout -out "$keys/ec.key"
openssl ec -in "$keys/ec.key" -pubout -out "$keys/ec.pub" 2>/dev/null
sigs=$(mktemp -d)
trap 'rm -rf "$keys" "$sigs"' EXIT
set_files=("$data"/set/part*.bin)
set_bytes=$((4 * 512 * 1024 * 1024))
big_bytes=$((2 * 1024 * 1024 * 1024))

# measure NAME COMMAND...: records the best elapsed seconds and peak RSS (KiB) of ROUNDS runs.
# The time is taken to the millisecond around GNU time (which gives only hundredths, too coarse
# for a re-sign of a tenth of a second), so it includes GNU time's own start, well under one.
declare -A best rss
measure() {
  local name=$1; shift
  local out; out=$(mktemp)
  local start end secs kib
  start=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$out" "$@" > /dev/null
  end=$(date +%s%N)
  read -r kib < "$out"; rm -f "$out"
  secs=$(awk "BEGIN{printf \"%.3f\", ($end - $start) / 1e9}")
  if [ -z "${best[$name]:-}" ] || awk "BEGIN{exit !($secs < ${best[$name]})}"; then best[$name]=$secs; fi
  if [ -z "${rss[$name]:-}" ] || [ "$kib" -gt "${rss[$name]}" ]; then rss[$name]=$kib; fi
}
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }

if [ "$run_default" = 1 ]; then
echo "== warming the page cache"
cat "${set_files[@]}" "$data/single/big.bin" > /dev/null

echo "== $rounds rounds"
for round in $(seq "$rounds"); do
  measure "pedigree big"  "$bin" hash "$data/single/big.bin"
  measure "openssl big"   openssl dgst -sha256 "$data/single/big.bin"
  measure "sha256sum big" sha256sum "$data/single/big.bin"
  measure "pedigree set"  "$bin" hash "${set_files[@]}"
  measure "openssl set"   openssl dgst -sha256 "${set_files[@]}"
  measure "sha256sum set" sha256sum "${set_files[@]}"
  measure "pedigree sign set"  "$bin" sign "$data/set" --key "$keys/ec.key" --output "$sigs/set.json" --force --quiet --no-cache
  measure "model_signing set"  model_signing sign key "$data/set" --private_key "$keys/ec.key" --signature "$sigs/set.sig"
  measure "pedigree sign big"  "$bin" sign "$data/single" --key "$keys/ec.key" --output "$sigs/big.json" --force --quiet --no-cache
  measure "model_signing big"  model_signing sign key "$data/single" --private_key "$keys/ec.key" --signature "$sigs/big.sig"
  printf '.'
done
echo

# Ceiling: SHA-256 of 1 MiB blocks in memory, one core and all cores.
speed() { openssl speed "$@" -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ {sub(/k$/, "", $2); print $2 * 1000}'; }
ceiling_one=$(speed)
ceiling_all=$(speed -multi "$cores")

rate() { awk "BEGIN{printf \"%.0f\", $1 / $2 / 1e6}"; }

echo
echo "One 2 GiB file (best of $rounds)"
printf '  %-22s %8s %10s %10s\n' tool seconds "MB/s" "peak RSS"
for tool in pedigree openssl sha256sum; do
  printf '  %-22s %8s %10s %8s KiB\n' "$tool" "${best[$tool big]}" "$(rate $big_bytes "${best[$tool big]}")" "${rss[$tool big]}"
done
printf '  %-22s %8s %10s\n' "openssl speed (1 core)" "" "$(awk "BEGIN{printf \"%.0f\", $ceiling_one / 1e6}")"
echo
echo "4 x 512 MiB files (best of $rounds)"
printf '  %-22s %8s %10s %10s\n' tool seconds "MB/s" "peak RSS"
for tool in pedigree openssl sha256sum; do
  printf '  %-22s %8s %10s %8s KiB\n' "$tool" "${best[$tool set]}" "$(rate $set_bytes "${best[$tool set]}")" "${rss[$tool set]}"
done
printf '  %-22s %8s %10s\n' "openssl speed -multi $cores" "" "$(awk "BEGIN{printf \"%.0f\", $ceiling_all / 1e6}")"

big_vs_openssl=$(ratio "${best[openssl big]}" "${best[pedigree big]}")
big_vs_sha256sum=$(ratio "${best[sha256sum big]}" "${best[pedigree big]}")
set_vs_ceiling=$(awk "BEGIN{printf \"%.2f\", ($set_bytes / ${best[pedigree set]}) / $ceiling_all}")
set_vs_sha256sum=$(ratio "${best[sha256sum set]}" "${best[pedigree set]}")
big_vs_ceiling=$(awk "BEGIN{printf \"%.2f\", ($big_bytes / ${best[pedigree big]}) / $ceiling_one}")

echo
echo "Signing, end to end (best of $rounds; ECDSA P-256 key)"
printf '  %-16s %-14s %8s %12s\n' folder tool seconds "peak RSS"
for which in set big; do
  label=$([ "$which" = set ] && echo "4 x 512 MiB" || echo "one 2 GiB file")
  printf '  %-16s %-14s %8s %8s KiB\n' "$label" pedigree "${best[pedigree sign $which]}" "${rss[pedigree sign $which]}"
  printf '  %-16s %-14s %8s %8s KiB\n' "" model_signing "${best[model_signing $which]}" "${rss[model_signing $which]}"
done
sign_set=$(ratio "${best[model_signing set]}" "${best[pedigree sign set]}")
sign_big=$(ratio "${best[model_signing big]}" "${best[pedigree sign big]}")

echo
echo "Ratios (higher is better for pedigree)"
echo "  one file:  ${big_vs_openssl} x openssl dgst speed (target >= 0.95), ${big_vs_sha256sum} x sha256sum, ${big_vs_ceiling} x the 1-core ceiling"
echo "  4 files:   ${set_vs_ceiling} x the -multi $cores ceiling (target >= 0.85), ${set_vs_sha256sum} x sha256sum"
echo "  sign:      ${sign_set} x faster than model_signing on 4 files, ${sign_big} x on one 2 GiB file (target >= 1.3)"
fi

# Writes COUNT tiny files into FOLDER (1,000 per subfolder), once (FOLDER.done marks it made).
tiny_files() {
  local folder=$1 count=$2
  [ -f "$folder.done" ] && return
  rm -rf "$folder"; mkdir -p "$folder"
  python3 - "$folder" "$count" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    d = os.path.join(root, "d%04d" % (i // 1000))
    if i % 1000 == 0: os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d.bin" % i), "wb") as f: f.write(b"file %d\n" % i)
PY
  touch "$folder.done"
}

if [ "${BENCH_MANY_FILES:-0}" = 1 ]; then
  many_rounds=${MANY_ROUNDS:-1}
  echo "== 200,000 tiny files ($many_rounds rounds)"
  tiny_files "$data/many" 200000
  find "$data/many" -type f -exec cat {} + > /dev/null
  for round in $(seq "$many_rounds"); do
    measure "sign many"   "$bin" sign "$data/many" --key "$keys/ec.key" --output "$sigs/many.json" --force --quiet --no-cache
    measure "verify many" "$bin" verify "$data/many" --manifest "$sigs/many.json" --trusted-key "$keys/ec.pub" --quiet
    measure "model_signing many" model_signing sign key "$data/many" --private_key "$keys/ec.key" --signature "$sigs/many.sig"
    measure "sha256sum many" sh -c 'find "$1" -type f -print0 | xargs -0 -P "$2" -n 2000 sha256sum' sh "$data/many" "$cores"
    printf '.'
  done
  echo
  manifest_kib=$(( $(stat -c %s "$sigs/many.json") / 1024 ))
  echo
  echo "200,000 tiny files (best of $many_rounds; manifest $manifest_kib KiB)"
  printf '  %-24s %8s %12s %12s\n' command seconds "peak RSS" "files/s"
  for which in "sign many" "verify many" "model_signing many" "sha256sum many"; do
    printf '  %-24s %8s %8s KiB %12s\n' "${which% many}" "${best[$which]}" "${rss[$which]}" \
      "$(awk "BEGIN{printf \"%.0f\", 200000 / ${best[$which]}}")"
  done
  echo "  sign: $(ratio "${best[model_signing many]}" "${best[sign many]}") x faster than model_signing, $(ratio "${best[sha256sum many]}" "${best[sign many]}") x the speed of find | xargs sha256sum"
  echo "  peak RSS: sign $(ratio "${rss[sign many]}" "$manifest_kib") x the manifest, verify $(ratio "${rss[verify many]}" "$manifest_kib") x"
fi

if [ "${BENCH_MILLION:-0}" = 1 ]; then
  million_rounds=${MILLION_ROUNDS:-1}
  echo "== 1,000,000 tiny files ($million_rounds rounds)"
  tiny_files "$data/million" 1000000
  find "$data/million" -type f -exec cat {} + > /dev/null
  for round in $(seq "$million_rounds"); do
    measure "sign million"   "$bin" sign "$data/million" --key "$keys/ec.key" --output "$sigs/million.json" --force --quiet --no-cache
    measure "verify million" "$bin" verify "$data/million" --manifest "$sigs/million.json" --trusted-key "$keys/ec.pub" --quiet
    printf '.'
  done
  echo
  million_kib=$(( $(stat -c %s "$sigs/million.json") / 1024 ))
  goal_kib=$(( million_kib * 5 / 2 + 40 * 1024 ))
  echo
  echo "1,000,000 tiny files (best of $million_rounds; manifest $million_kib KiB; memory goal $goal_kib KiB = 2.5 x manifest + 40 MiB)"
  printf '  %-24s %8s %12s %12s %14s\n' command seconds "peak RSS" "files/s" "RSS/manifest"
  for which in "sign million" "verify million"; do
    printf '  %-24s %8s %8s KiB %12s %14s\n' "${which% million}" "${best[$which]}" "${rss[$which]}" \
      "$(awk "BEGIN{printf \"%.0f\", 1000000 / ${best[$which]}}")" "$(ratio "${rss[$which]}" "$million_kib")"
  done
  if [ -n "${best[model_signing many]:-}" ]; then
    echo "  sign: $(awk "BEGIN{printf \"%.1f\", (1000000 / ${best[sign million]}) / (200000 / ${best[model_signing many]})}") x the files per second of model_signing on 200,000 files; $(ratio "${best[sign million]}" "${best[sign many]}") x the time of the 200,000-file sign"
  fi
fi

if [ "${BENCH_INCREMENTAL:-0}" = 1 ]; then
  echo "== incremental re-sign: 2 GiB + 20,000 files ($rounds rounds)"
  inc="$data/incremental"
  tiny_files "$inc/shards" 20000
  [ -e "$inc/big.bin" ] || ln "$data/single/big.bin" "$inc/big.bin" 2>/dev/null || cp "$data/single/big.bin" "$inc/big.bin"
  echo "# a model" > "$inc/README.md"
  cat "$inc/big.bin" > /dev/null
  export XDG_CACHE_HOME="$keys/cache"
  # The cache is filled once (not measured); the files' change times must lie a moment in the past.
  sleep 1
  "$bin" sign "$inc" --key "$keys/ec.key" --output "$sigs/inc.json" --force --quiet --rehash > /dev/null
  # A re-sign is short (a few hundredths of a second) and noise only adds time, relatively more
  # to a short command: five of them (each after an edit) per round.
  for round in $(seq "$rounds"); do
    measure "full sign inc" "$bin" sign "$inc" --key "$keys/ec.key" --output "$sigs/inc.json" --force --quiet --no-cache
    for edit in 1 2 3 4 5; do
      echo "edit $round.$edit" >> "$inc/README.md"
      measure "re-sign inc" "$bin" sign "$inc" --key "$keys/ec.key" --output "$sigs/inc.json" --force --quiet
    done
    printf '.'
  done
  echo
  echo
  echo "Re-sign after one small edit, 2 GiB + 20,000 files (full sign: best of $rounds; re-sign: best of $((5 * rounds)))"
  printf '  %-24s %8s %12s\n' command seconds "peak RSS"
  printf '  %-24s %8s %8s KiB\n' "full sign (--no-cache)" "${best[full sign inc]}" "${rss[full sign inc]}"
  printf '  %-24s %8s %8s KiB\n' "re-sign (digest cache)" "${best[re-sign inc]}" "${rss[re-sign inc]}"
  echo "  re-sign: $(awk "BEGIN{printf \"%.1f\", 100 * ${best[re-sign inc]} / ${best[full sign inc]}}") % of the full sign (goal <= 5 %)"
fi

# Optional section (issue 11): tensor digests and the tensor diff, end to end.
#   BENCH_TENSORS=1   sign with and without --tensors (one 2 GiB and 4 x 512 MiB safetensors
#                     files) and diff --tensors of a 2 GiB pair against hashing both.
if [ "${BENCH_TENSORS:-0}" = 1 ]; then
  echo
  echo "Tensor digests and the tensor diff (Benchmarks/tensor-sign.sh)"
  PEDIGREE_BIN="$bin" bash "$root/Benchmarks/tensor-sign.sh" "$data" "$rounds"
fi
