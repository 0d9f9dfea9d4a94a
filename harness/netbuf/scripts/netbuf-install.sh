#!/bin/bash
# Installs (or removes) the netbuf-capable libxl of build-netbuf.sh on a Debian 12 dom0 with Xen 4.17:
# the lab image (run with ROOT=<rootfs>, through chroot) or a real dom0 (run there as root).
#   netbuf-install.sh install <tarball>   # Debian's libxenlight kept aside by dpkg-divert
#   netbuf-install.sh restore             # Debian's libxenlight back, the netbuf files removed
#   netbuf-install.sh status              # prints "netbuf: on|off (...)"; exit 0 either way
# The Debian packages the hotplug script needs (libnl-utils for nl-qdisc-*, net-tools for ifconfig,
# libnl-3-200 and libnl-route-3-200 for libxl) must be installed; install refuses without them.
set -euo pipefail
ROOT=${ROOT:-/}
LIB=/usr/lib/x86_64-linux-gnu/libxenlight.so.4.17.0
# Debian's file is kept outside the linker's directories: beside ours, ldconfig would point the
# soname link libxenlight.so.4.17 at whichever of the two it likes.
KEPT=/usr/lib/remus-bench/libxenlight.so.4.17.0.debian
SCRIPT=/etc/xen/scripts/remus-netbuf-setup
MODULES=/etc/modules-load.d/remus-bench-netbuf.conf
UNIT=/etc/systemd/system/remus-bench-ifb.service
# nl-qdisc-add loads its qdisc modules (plug.so) from libnl/cli/, but Debian's libnl-cli-3-200 puts
# them in libnl-3/cli/: without this link the hotplug script fails with exit 2 at "plug".
NLCLI=/usr/lib/x86_64-linux-gnu/libnl
IFBS="0 1 2 3"
run() { if [ "$ROOT" = / ]; then "$@"; else chroot "$ROOT" "$@"; fi; }
installed_xen() { run dpkg-query -W -f='${Version}' xen-utils-4.17 2>/dev/null || true; }

case "${1:-}" in
  install)
    TARBALL=${2:?usage: netbuf-install.sh install <tarball>}
    want=$(tar -xzOf "$TARBALL" ./usr/share/doc/remus-bench/netbuf.txt | awk 'NR==1{print $2}')
    have=$(installed_xen)
    [ -n "$have" ] || { echo "netbuf-install.sh: xen-utils-4.17 is not installed in $ROOT" >&2; exit 3; }
    [ "$have" = "$want" ] || {
      echo "netbuf-install.sh: this libxl is built for xen $want, but $ROOT has xen $have; build it for $have" >&2
      exit 3
    }
    for p in libnl-3-200 libnl-route-3-200 libnl-utils net-tools; do
      run dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        { echo "netbuf-install.sh: Debian package $p is missing in $ROOT (apt-get install $p)" >&2; exit 3; }
    done
    # Debian's own file stays, renamed, and comes back with restore (or when the divert is removed).
    mkdir -p "$ROOT$(dirname "$KEPT")"
    run dpkg-divert --quiet --local --rename --divert "$KEPT" --add "$LIB"
    tar -C "$ROOT" --no-same-owner -xzf "$TARBALL" ./usr/lib/x86_64-linux-gnu/libxenlight.so.4.17.0 \
      ./etc/xen/scripts/remus-netbuf-setup ./usr/share/doc/remus-bench/netbuf.txt
    # The script needs these modules and free ifb devices (one per protected vif). The devices are
    # made by a unit, not by the module's numifbs option: systemd's own modprobe.d sets numifbs=0.
    printf 'ifb\nsch_plug\nsch_ingress\nact_mirred\ncls_u32\n' > "$ROOT$MODULES"
    cat > "$ROOT$UNIT" <<UNIT
[Unit]
Description=IFB devices for Remus network buffering (remus-bench)
After=systemd-modules-load.service
Before=xen.service xendomains.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for i in $IFBS; do ip link show ifb\$i >/dev/null 2>&1 || ip link add ifb\$i type ifb; done'

[Install]
WantedBy=multi-user.target
UNIT
    run systemctl enable --quiet remus-bench-ifb.service
    [ -e "$ROOT$NLCLI" ] || ln -s libnl-3 "$ROOT$NLCLI"
    [ -e "$ROOT$NLCLI/cli/qdisc/plug.so" ] ||
      { echo "netbuf-install.sh: no $NLCLI/cli/qdisc/plug.so (libnl-cli-3-200's plug module)" >&2; exit 1; }
    run ldconfig
    [ "$(readlink -f "$ROOT/usr/lib/x86_64-linux-gnu/libxenlight.so.4.17")" = "$(readlink -f "$ROOT$LIB")" ] ||
      { echo "netbuf-install.sh: libxenlight.so.4.17 does not point at the netbuf build after ldconfig" >&2; exit 1; }
    if [ "$ROOT" = / ]; then
      modprobe -a ifb sch_plug sch_ingress act_mirred cls_u32
      systemctl start remus-bench-ifb.service
    fi
    echo "netbuf: installed for xen $have"
    ;;
  restore)
    run systemctl disable --quiet remus-bench-ifb.service 2>/dev/null || true
    [ "$(readlink "$ROOT$NLCLI" 2>/dev/null)" = libnl-3 ] && rm -f "$ROOT$NLCLI"
    rm -f "$ROOT$SCRIPT" "$ROOT$MODULES" "$ROOT$UNIT" "$ROOT/usr/share/doc/remus-bench/netbuf.txt"
    if run dpkg-divert --list "$LIB" | grep -q .; then
      rm -f "$ROOT$LIB"
      run dpkg-divert --quiet --local --rename --remove "$LIB"
    fi
    run ldconfig
    echo "netbuf: Debian's libxenlight restored"
    ;;
  status)
    used=$(readlink -f "$ROOT/usr/lib/x86_64-linux-gnu/libxenlight.so.4.17")
    if grep -q 'libnl-route-3\.so' "$used" 2>/dev/null && [ -x "$ROOT$SCRIPT" ]; then
      echo "netbuf: on ($(head -2 "$ROOT/usr/share/doc/remus-bench/netbuf.txt" 2>/dev/null | tr '\n' ' '))"
    else
      echo "netbuf: off ($used links no libnl, or no $SCRIPT)"
    fi
    ;;
  *) echo "usage: netbuf-install.sh install <tarball> | restore | status" >&2; exit 2 ;;
esac
