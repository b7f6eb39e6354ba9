#!/usr/bin/env bash
# Installs what pedigree's build and tests need, where it is missing: OpenSSL's and SQLite's
# headers and pkg-config (the build); and for the tests' independent cross-checks, the openssl and
# sha256sum tools, Graphviz (dot), Node.js with the Mermaid grammar from the PyPI package
# mermaid-syntax-parser, and Python 3 with jsonschema, the OpenSSF reference signer
# model_signing 1.1.1 (with pyopenssl), the CycloneDX schemas (cyclonedx-python-lib), the SPDX
# 3 bindings (spdx-python-model) and the in-toto attestation bindings. Safe to run again: it
# installs nothing that is already there.
set -euo pipefail

apt_packages=()
have() { command -v "$1" >/dev/null 2>&1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

installed libssl-dev || apt_packages+=(libssl-dev)
installed libsqlite3-dev || apt_packages+=(libsqlite3-dev)
have pkg-config || apt_packages+=(pkg-config)
have openssl || apt_packages+=(openssl)
have sha256sum || apt_packages+=(coreutils)
have python3 || apt_packages+=(python3 python3-pip)
have dot || apt_packages+=(graphviz)
have node || apt_packages+=(nodejs)
have unzip || apt_packages+=(unzip)

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
python3 -c 'import cyclonedx.validation.json, license_expression' 2>/dev/null \
  || python_missing+=("cyclonedx-python-lib[json-validation]==11.12.0")
python3 -c 'import spdx_python_model' 2>/dev/null || python_missing+=("spdx-python-model==0.0.6")
python3 -c 'import in_toto_attestation' 2>/dev/null || python_missing+=("in-toto-attestation==0.9.3")
python3 - <<'PY' 2>/dev/null || python_missing+=("model-signing==1.1.1" "pyopenssl")
import importlib.metadata as m, OpenSSL
assert m.version("model-signing") == "1.1.1"
PY
if [ ${#python_missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${python_missing[*]}" >&2
  python3 -m pip install --quiet --disable-pip-version-check "${python_missing[@]}"
fi
command -v model_signing >/dev/null || { echo "bootstrap: model_signing is not on PATH after installing it" >&2; exit 1; }

# The Mermaid grammar (a self-contained parser for Node.js inside a PyPI wheel), for checking
# the diagrams `pedigree lineage --format mermaid` writes. Tests find it through the same path.
tools=${PEDIGREE_TEST_TOOLS:-$HOME/.cache/pedigree-test-tools}
parser="$tools/mermaid_parser/lib/mermaid_syntax_parser.cjs"
if [ ! -s "$parser" ]; then
  echo "bootstrap: fetching mermaid-syntax-parser 0.2.2" >&2
  mkdir -p "$tools"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check mermaid-syntax-parser==0.2.2 -d "$tools"
  unzip -q -o "$tools"/mermaid_syntax_parser-0.2.2-*.whl 'mermaid_parser/lib/mermaid_syntax_parser.cjs' -d "$tools"
fi
