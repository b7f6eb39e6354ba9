#!/usr/bin/env bash
# Installs what pedigree's build and tests need, where it is missing: OpenSSL's headers and
# pkg-config (the build); the openssl and sha256sum tools, Python 3 with jsonschema, and the
# OpenSSF reference signer model_signing 1.1.1 with pyopenssl (the tests' independent
# cross-checks). Safe to run again: it installs nothing that is already there.
set -euo pipefail

apt_packages=()
have() { command -v "$1" >/dev/null 2>&1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

installed libssl-dev || apt_packages+=(libssl-dev)
have pkg-config || apt_packages+=(pkg-config)
have openssl || apt_packages+=(openssl)
have sha256sum || apt_packages+=(coreutils)
have python3 || apt_packages+=(python3 python3-pip)

if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "bootstrap: installing ${apt_packages[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

# Python packages the tests cross-check against, pinned where the format matters.
python_missing=()
python3 -c 'import jsonschema' 2>/dev/null || python_missing+=("jsonschema>=4.18")
python3 - <<'PY' 2>/dev/null || python_missing+=("model-signing==1.1.1" "pyopenssl")
import importlib.metadata as m, OpenSSL
assert m.version("model-signing") == "1.1.1"
PY
if [ ${#python_missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${python_missing[*]}" >&2
  python3 -m pip install --quiet --disable-pip-version-check "${python_missing[@]}"
fi
command -v model_signing >/dev/null || { echo "bootstrap: model_signing is not on PATH after installing it" >&2; exit 1; }
