#!/usr/bin/env bash
# The main job on the example model: make a key, sign a copy of Examples/tiny-model, verify it.
# Runs in a scratch folder that is removed afterwards; set PEDIGREE to use a built binary.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PEDIGREE:-}" ]; then
  swift build --package-path "$repo" --product pedigree >&2
  PEDIGREE=$(swift build --package-path "$repo" --show-bin-path)/pedigree
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -R "$repo/Examples/tiny-model" "$scratch/"
cd "$scratch"

run() {
  echo "\$ pedigree $*"
  "$PEDIGREE" "$@"
  echo
}
run keygen --out publisher.key
run sign tiny-model --key publisher.key --license openatom
run verify tiny-model --trusted-key publisher.pub
