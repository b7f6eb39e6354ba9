#!/usr/bin/env bash
# Installs what pedigree's build and tests need, where it is missing: OpenSSL's headers and
# pkg-config (the build), the openssl and sha256sum tools and Python 3 (the tests' independent
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
