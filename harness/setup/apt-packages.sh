#!/usr/bin/env bash
# The Debian packages remus-bench needs, installed before `npm ci`: node-canvas (for the PDF report's
# charts) builds from source against cairo and pango, the workloads run sysbench, and a shaped
# backup link (testbed.emulated.backupLink) is made with ip and tc (iproute2).
#   bash harness/setup/apt-packages.sh          # what `npm run setup` runs
#   bash harness/setup/apt-packages.sh --test   # plus what the tests use (chromium, pdftoppm, sshd,
#                                               # every workload server variant: socat, busybox;
#                                               # Slurm and munge for the job-array test)
#   bash harness/setup/apt-packages.sh --list [--test]   # only print the package names
# As root it installs what is missing; otherwise it prints the exact apt-get line and exits 2.
set -euo pipefail

list_only=false
with_tests=false
for arg in "$@"; do
  case "$arg" in
    --list) list_only=true ;;
    --test) with_tests=true ;;
    *) echo "apt-packages.sh: unknown option $arg (expected --test, --list)" >&2; exit 2 ;;
  esac
done

packages=(sysbench util-linux procps iproute2 build-essential pkg-config python3
  libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev)
if $with_tests; then
  # The tests also run the servers of guests without node (the Xen lab's): socat and busybox httpd;
  # and the shards under a real scheduler: a one-node Slurm cluster (slurmctld, slurmd, munge).
  packages+=(chromium poppler-utils openssh-server socat busybox-static slurmctld slurmd slurm-client munge)
fi
if $list_only; then
  printf '%s\n' "${packages[@]}"
  exit 0
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
