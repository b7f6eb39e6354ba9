#!/usr/bin/env bash
# Sets up a Debian or Ubuntu machine (with Swift 6) for pedigree. Safe to run again: it installs
# only what is missing, and does nothing when everything is there.
#
#   bash Scripts/bootstrap.sh           what the build needs: the headers of OpenSSL (libssl-dev) and
#                                       SQLite (libsqlite3-dev), and pkg-config, with apt (sudo when
#                                       not root)
#   bash Scripts/bootstrap.sh --tests   that, and the tools the tests cross-check pedigree against:
#                                       openssl, sha256sum, Graphviz, Node.js, unzip and Python 3
#                                       with venv from apt; the pinned Python packages of
#                                       Scripts/test-requirements.txt in a virtual environment at
#                                       .build/test-tools/venv (never the system Python); and the
#                                       Mermaid grammar in .build/test-tools/mermaid_parser
#
# PEDIGREE_TEST_TOOLS=DIR puts the test tools in DIR instead of .build/test-tools (the tests read
# the same variable); PEDIGREE_PYTHON=PATH builds the environment with another Python 3.
set -euo pipefail

# Debian packages the build needs. A new build need is one more word here.
build_packages=(libssl-dev libsqlite3-dev pkg-config)
# Debian packages the tests need.
test_packages=(openssl coreutils graphviz nodejs unzip python3 python3-venv)
# The Mermaid grammar: a self-contained parser for Node.js inside this PyPI wheel.
mermaid_parser=mermaid-syntax-parser==0.2.2

repo=$(cd "$(dirname "$0")/.." && pwd)
tests=false
case "${1:-}" in
  "") ;;
  --tests) tests=true ;;
  -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "usage: bash Scripts/bootstrap.sh [--tests]" >&2; exit 64 ;;
esac

# Swift itself comes from swift.org, not apt: say so before anything else fails without it.
if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: swift is not on PATH; install Swift 6 (https://www.swift.org/install/linux/) and put its usr/bin on PATH" >&2
  exit 1
fi

# The command each package gives; a package counts as present when dpkg has it, or when its
# command is already on PATH (installed some other way).
declare -A command_of=([pkg-config]=pkg-config [openssl]=openssl [coreutils]=sha256sum [graphviz]=dot
  [nodejs]=node [unzip]=unzip)

present() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
  [ -n "${command_of[$1]:-}" ] && command -v "${command_of[$1]}" >/dev/null 2>&1
}

apt_install() {
  local missing=() package
  for package in "$@"; do present "$package" || missing+=("$package"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "bootstrap: installing ${missing[*]} (apt)" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "bootstrap: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if ! $tests; then
  apt_install "${build_packages[@]}"
  exit 0
fi
apt_install "${build_packages[@]}" "${test_packages[@]}"

tools=${PEDIGREE_TEST_TOOLS:-$repo/.build/test-tools}
venv=$tools/venv
requirements=$repo/Scripts/test-requirements.txt
stamp=$venv/pedigree-requirements.txt   # the requirements the environment was built from
python=${PEDIGREE_PYTHON:-/usr/bin/python3}

# The virtual environment, rebuilt from scratch when the pinned requirements change (so a
# package taken off the list goes too), when its interpreter no longer runs, or when it was
# moved (its scripts name the interpreter by its old path).
current() {
  cmp -s "$requirements" "$stamp" && "$venv/bin/python3" -c '' 2>/dev/null \
    && [ "$(head -n 1 "$venv/bin/pip")" = "#!$venv/bin/python3" ]
}
if ! current; then
  echo "bootstrap: building the test tools' Python environment in $venv" >&2
  rm -rf "$venv"
  mkdir -p "$tools"
  "$python" -m venv "$venv"
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  cp "$requirements" "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
fi

parser_dir=$tools/mermaid_parser
if ! { [ -s "$parser_dir/lib/mermaid_syntax_parser.cjs" ] && [ "$(cat "$parser_dir/.pinned" 2>/dev/null)" = "$mermaid_parser" ]; }; then
  echo "bootstrap: fetching $mermaid_parser" >&2
  downloads=$(mktemp -d)
  trap 'rm -rf "$downloads"' EXIT
  "$venv/bin/python3" -m pip download --quiet --disable-pip-version-check --no-input --no-deps "$mermaid_parser" -d "$downloads"
  rm -rf "$parser_dir"
  unzip -q -o "$downloads"/*.whl 'mermaid_parser/lib/mermaid_syntax_parser.cjs' -d "$tools"
  echo "$mermaid_parser" > "$parser_dir/.pinned"
fi
