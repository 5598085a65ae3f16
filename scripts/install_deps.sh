#!/usr/bin/env bash
# Installs what building and testing ember needs on Debian 12 (run as root or with sudo).
# Everything comes from Debian's packages or PyPI; nothing is vendored.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libopenblas-dev liblapack-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libpcre2-dev libutf8proc-dev
  clang-14 libclang-rt-14-dev
  python3 python3-pip
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
python3 -m pip install -q --disable-pip-version-check -r "$(dirname "$0")/requirements-test.txt"
