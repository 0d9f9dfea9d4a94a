#!/bin/bash
# A libxenlight with Remus network buffering (output commit), built from Debian's own xen
# source of the version the dom0 (or the lab image) installs (xen-source.sh), with libnl3, which Debian's build lacks.
# Only tools/include and tools/libs are built (libxenlight and the libraries it links), in a
# throwaway Debian 12 build root (the same release as the dom0, so the same ABI), configured with
# Debian's own configure flags (debian/rules). The result is a tarball of the two files that differ
# from Debian's packages:
#   usr/lib/x86_64-linux-gnu/libxenlight.so.4.17.0   (links libnl-3 and libnl-route-3)
#   etc/xen/scripts/remus-netbuf-setup               (the hotplug script libxl runs per vif)
# Usage: NETBUF_DIR=<work folder> build-netbuf.sh <tarball>    (after xen-source.sh)
set -euo pipefail
OUT=${1:?usage: build-netbuf.sh <tarball>}
W=${NETBUF_DIR:?set NETBUF_DIR}
W=$(cd "$W" && pwd)
V=$(cat "$W/xen-version")
[ -d "$W/src/xen" ] || { echo "build-netbuf.sh: no source in $W/src/xen (run xen-source.sh first)" >&2; exit 1; }
B=$W/buildroot
rm -rf "$B"
trap 'rm -rf "$B"' EXIT

SOURCES=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && SOURCES+=("$f")
done
APTOPTS=()
while IFS= read -r l; do APTOPTS+=(--aptopt="$l"); done < <(
  apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date) ' || true)
# What Xen's tools/configure insists on (a subset of the source package's Build-Depends), plus libnl3.
DEPS=build-essential,dpkg-dev,autoconf,autotools-dev,pkg-config,python3-dev,acpica-tools,bison,flex
DEPS+=,uuid-dev,libyajl-dev,zlib1g-dev,libzstd-dev,liblzma-dev,libext2fs-dev,libncurses-dev
DEPS+=,libglib2.0-dev,libpixman-1-dev,libaio-dev,libnl-3-dev,libnl-route-3-dev
mmdebstrap --quiet --mode=root --variant=apt --include="$DEPS" \
  --aptopt='APT::Install-Recommends "false"' "${APTOPTS[@]}" bookworm "$B" "${SOURCES[@]}"

mkdir -p "$B/src"
cp -a "$W/src/xen" "$B/src/xen"
# Debian's configure flags (debian/rules, override_dh_auto_configure), so that every path compiled
# into libxl (scripts, libexec, run and lock directories) is the one Debian's xl and scripts use.
cat > "$B/src/build.sh" <<'BUILD'
set -euo pipefail
cd /src/xen
export WGET=/bin/false GIT=/bin/false
cp /usr/share/misc/config.sub /usr/share/misc/config.guess .
autoconf -f
(cd tools && autoconf -f && autoheader)
upstream=$(dpkg-parsechangelog -S Version | sed 's/\(\.[0-9]*\)\..*/\1/')
./configure --disable-stubdom --prefix=/usr --includedir=/usr/include \
  --libdir=/usr/lib/x86_64-linux-gnu --with-libexec-libdir-suffix=/x86_64-linux-gnu \
  --host=x86_64-linux-gnu --mandir=/usr/share/man --infodir=/usr/share/info --sysconfdir=/etc \
  --localstatedir=/var --with-libexec-leaf-dir="xen-$upstream" --disable-blktap1 --disable-blktap2 \
  --disable-qemu-traditional --disable-rombios --with-system-qemu=/usr/libexec/xen-qemu-system-i386 \
  --enable-ovmf --with-system-ovmf=/usr/share/ovmf/OVMF.fd \
  --with-system-seabios=/usr/share/seabios/bios-256k.bin --disable-ocamltools >configure.log 2>&1 ||
  { tail -20 configure.log; exit 1; }
grep -qx 'CONFIG_LIBNL *:= *y' config/Tools.mk || { echo "configure did not enable libnl (Remus netbuf)"; exit 1; }
flags=(XEN_TARGET_ARCH=x86_64 "EXTRA_CFLAGS_XEN_TOOLS=$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
  "PREPEND_LDFLAGS_XEN_TOOLS=$(dpkg-buildflags --get LDFLAGS)")
make -j"$(nproc)" -C tools/include "${flags[@]}" >make.log 2>&1 || { tail -20 make.log; exit 1; }
make -j"$(nproc)" -C tools/libs "${flags[@]}" >>make.log 2>&1 || { tail -20 make.log; exit 1; }
BUILD
chroot "$B" bash /src/build.sh

lib=$B/src/xen/tools/libs/light/libxenlight.so.4.17.0
grep -q 'libnl-route-3\.so' "$lib" || { echo "build-netbuf.sh: the built libxenlight does not link libnl" >&2; exit 1; }
stage=$W/stage
rm -rf "$stage"
install -D -m644 "$lib" "$stage/usr/lib/x86_64-linux-gnu/libxenlight.so.4.17.0"
strip --strip-unneeded "$stage/usr/lib/x86_64-linux-gnu/libxenlight.so.4.17.0"
install -D -m755 "$B/src/xen/tools/hotplug/Linux/remus-netbuf-setup" "$stage/etc/xen/scripts/remus-netbuf-setup"
mkdir -p "$stage/usr/share/doc/remus-bench"
printf 'xen %s\nbuilt %s from Debian source xen_%s with libnl3 (CONFIG_LIBNL=y)\n' "$V" "$(date -u +%FT%TZ)" "$V" \
  > "$stage/usr/share/doc/remus-bench/netbuf.txt"
tar -C "$stage" -czf "$OUT.tmp" .
mv "$OUT.tmp" "$OUT"
rm -rf "$stage"
echo "netbuf libxl for xen $V: $OUT"
