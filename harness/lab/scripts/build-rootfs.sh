#!/bin/bash
# Xen lab, step 1: a Debian 12 root filesystem with Xen 4.17, the dom0 kernel and SSH, from this
# machine's own apt sources (no mirror is named here); sysbench, dropbear and socat are for the guest;
# libnl, libnl-utils and net-tools are what Remus's network buffering needs in dom0 (netbuf-install.sh).
# Usage: LAB_DIR=<cache> XEN_VERSION=<debian version> build-rootfs.sh
# Every binary package of Debian's xen source is pinned to XEN_VERSION: the version whose source
# xen-source.sh fetched and build-netbuf.sh built libxl from.
# mmdebstrap takes about 55-72 s on a 2-core machine (README, "The Xen lab in a box").
set -euo pipefail
cd "${LAB_DIR:?set LAB_DIR}"
: "${XEN_VERSION:?set XEN_VERSION (from xen-source.sh)}"
rm -rf rootfs
PKGS=systemd-sysv,udev,kmod,dbus,iproute2,procps,openssh-server,openssh-client,linux-image-amd64,xen-hypervisor-4.17-amd64,xen-utils-4.17,xen-utils-common,xenstore-utils,busybox-static,cpio,gzip,sysbench,dropbear-bin,socat,libnl-3-200,libnl-route-3-200,libnl-utils,net-tools
SOURCES=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && SOURCES+=("$f")
done
[ ${#SOURCES[@]} -gt 0 ] || { echo "no apt sources are configured on this machine" >&2; exit 1; }
# mmdebstrap does not read /etc/apt/apt.conf.d: pass on proxies and Release date checks.
APTOPTS=()
while IFS= read -r l; do APTOPTS+=(--aptopt="$l"); done < <(
  apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date) ' || true)
PIN="Package: src:xen\nPin: version $XEN_VERSION\nPin-Priority: 1001\n"
mmdebstrap --mode=root --variant=minbase --include="$PKGS" \
  --setup-hook="mkdir -p \"\$1/etc/apt/preferences.d\" && printf '$PIN' > \"\$1/etc/apt/preferences.d/xen-version\"" \
  --aptopt='APT::Install-Recommends "false"' "${APTOPTS[@]}" \
  bookworm rootfs "${SOURCES[@]}"
have=$(chroot rootfs dpkg-query -W -f='${Version}' xen-utils-4.17)
[ "$have" = "$XEN_VERSION" ] || { echo "build-rootfs.sh: installed xen $have, wanted $XEN_VERSION" >&2; exit 1; }
