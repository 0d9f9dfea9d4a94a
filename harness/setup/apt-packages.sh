#!/usr/bin/env bash
# The Debian packages remus-bench needs, installed before `npm ci`: node-canvas (for the PDF report's
# charts) builds from source against cairo and pango, and the workloads run sysbench.
#   bash harness/setup/apt-packages.sh          # what `npm run setup` runs
#   bash harness/setup/apt-packages.sh --test   # plus what the tests use (chromium, pdftoppm, sshd, socat)
# As root it installs what is missing; otherwise it prints the exact apt-get line and exits 2.
set -euo pipefail

packages=(sysbench util-linux procps build-essential pkg-config python3
  libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium poppler-utils openssh-server socat)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "remus-bench: missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root, then run again:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 2
fi
echo "remus-bench set-up: apt-get install -y ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
