#!/bin/bash
# Xen lab, step 1: a Debian 12 root filesystem with Xen 4.17, the dom0 kernel and SSH, from this
# machine's own apt sources (no mirror is named here); sysbench, dropbear and socat are for the guest. Usage: LAB_DIR=<cache> build-rootfs.sh
# Recipe and timings: ../shared/reference/xen-lab.md sections 4-5 (55-72 s on a 2-core machine).
set -euo pipefail
cd "${LAB_DIR:?set LAB_DIR}"
rm -rf rootfs
PKGS=systemd-sysv,udev,kmod,dbus,iproute2,procps,openssh-server,openssh-client,linux-image-amd64,xen-hypervisor-4.17-amd64,xen-utils-4.17,xen-utils-common,xenstore-utils,busybox-static,cpio,gzip,sysbench,dropbear-bin,socat
SOURCES=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && SOURCES+=("$f")
done
[ ${#SOURCES[@]} -gt 0 ] || { echo "no apt sources are configured on this machine" >&2; exit 1; }
# mmdebstrap does not read /etc/apt/apt.conf.d: pass on proxies and Release date checks.
APTOPTS=()
while IFS= read -r l; do APTOPTS+=(--aptopt="$l"); done < <(
  apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date) ' || true)
mmdebstrap --mode=root --variant=minbase --include="$PKGS" \
  --aptopt='APT::Install-Recommends "false"' "${APTOPTS[@]}" \
  bookworm rootfs "${SOURCES[@]}"
