#!/usr/bin/env bash
# Throughput of `pedigree hash` against `openssl dgst -sha256` and `sha256sum`, with
# `openssl speed -evp sha256` as the ceiling, all measured in one run on the same data.
#
#   Benchmarks/hash.sh [DATA_DIR] [ROUNDS]
#
# DATA_DIR (default /tmp/pedigree-bench) receives 4 x 512 MiB files (set/) and one 2 GiB
# file (big.bin) of random bytes, made once and reused. Each command runs ROUNDS times
# (default 5), interleaved with the others; the best time of each is reported, since on a
# shared machine noise only ever adds time.
set -euo pipefail

data=${1:-/tmp/pedigree-bench}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cores=$(nproc)

echo "== building pedigree (release)"
swift build -c release --package-path "$root" >/dev/null
bin=$(swift build -c release --package-path "$root" --show-bin-path)/pedigree

mkdir -p "$data/set"
for i in 1 2 3 4; do
  [ -s "$data/set/part$i.bin" ] || head -c 512M /dev/urandom > "$data/set/part$i.bin"
done
[ -s "$data/big.bin" ] || head -c 2G /dev/urandom > "$data/big.bin"
set_files=("$data"/set/part*.bin)
set_bytes=$((4 * 512 * 1024 * 1024))
big_bytes=$((2 * 1024 * 1024 * 1024))

echo "== warming the page cache"
cat "${set_files[@]}" "$data/big.bin" > /dev/null

# time_best NAME COMMAND...: records the best elapsed seconds and peak RSS (KiB) of ROUNDS runs.
declare -A best rss
measure() {
  local name=$1; shift
  local out; out=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" > /dev/null
  read -r secs kib < "$out"; rm -f "$out"
  if [ -z "${best[$name]:-}" ] || awk "BEGIN{exit !($secs < ${best[$name]})}"; then best[$name]=$secs; fi
  if [ -z "${rss[$name]:-}" ] || [ "$kib" -gt "${rss[$name]}" ]; then rss[$name]=$kib; fi
}

echo "== $rounds rounds"
for round in $(seq "$rounds"); do
  measure "pedigree big"  "$bin" hash "$data/big.bin"
  measure "openssl big"   openssl dgst -sha256 "$data/big.bin"
  measure "sha256sum big" sha256sum "$data/big.bin"
  measure "pedigree set"  "$bin" hash "${set_files[@]}"
  measure "openssl set"   openssl dgst -sha256 "${set_files[@]}"
  measure "sha256sum set" sha256sum "${set_files[@]}"
  printf '.'
done
echo

# Ceiling: SHA-256 of 1 MiB blocks in memory, one core and all cores.
speed() { openssl speed "$@" -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ {sub(/k$/, "", $2); print $2 * 1000}'; }
ceiling_one=$(speed)
ceiling_all=$(speed -multi "$cores")

rate() { awk "BEGIN{printf \"%.0f\", $1 / $2 / 1e6}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }

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
echo "Ratios (higher is better for pedigree)"
echo "  one file:  ${big_vs_openssl} x openssl dgst speed (target >= 0.95), ${big_vs_sha256sum} x sha256sum, ${big_vs_ceiling} x the 1-core ceiling"
echo "  4 files:   ${set_vs_ceiling} x the -multi $cores ceiling (target >= 0.85), ${set_vs_sha256sum} x sha256sum"
