#!/bin/bash
# Debian's own xen source package, from this machine's apt sources (as deb-src, in a
# private apt configuration: the machine's own apt state is not touched). Picks the newest Xen 4.17
# version whose source AND binary packages the mirror serves (a security update's binaries can be
# there while its source is not), so the netbuf-capable libxl (build-netbuf.sh) is built from exactly
# the source of the Xen the dom0 runs (the lab's build-rootfs.sh pins that version).
#   NETBUF_DIR=<work folder> xen-source.sh [VERSION]   # VERSION: that version only, or fail
# Writes $NETBUF_DIR/xen-version and unpacks the source (Debian's patches applied) into
# $NETBUF_DIR/src/xen.
set -euo pipefail
W=${NETBUF_DIR:?set NETBUF_DIR}
mkdir -p "$W"
W=$(cd "$W" && pwd)
mkdir -p "$W/apt/lists/partial" "$W/apt/cache/archives/partial" "$W/apt/sources.list.d"
rm -f "$W"/apt/sources.list.d/*
n=0
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] || continue
  n=$((n + 1))
  case "$f" in
    # One-line format: every deb line also as deb-src.
    *.list) sed -n 's/^\s*deb\s/deb-src /p; /^\s*deb\s/p' "$f" > "$W/apt/sources.list.d/$n.list" ;;
    # deb822 format: binary and source indexes from the same entries.
    *.sources) sed 's/^Types:.*/Types: deb deb-src/' "$f" > "$W/apt/sources.list.d/$n.sources" ;;
  esac
done
[ "$n" -gt 0 ] || { echo "xen-source.sh: no apt sources are configured on this machine" >&2; exit 1; }
cat > "$W/apt/apt.conf" <<CONF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$W/apt/sources.list.d";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$W/apt/none";
Dir::State::Lists "$W/apt/lists";
Dir::State::status "/var/lib/dpkg/status";
Dir::Cache "$W/apt/cache";
APT::Sandbox::User "root";
CONF
# The machine's own proxy and date-check settings still apply.
apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date) ' >> "$W/apt/apt.conf" || true
export APT_CONFIG=$W/apt/apt.conf
apt-get update -qq

if [ $# -ge 1 ]; then
  candidates=("$1")
else
  # Newest first (sort -V orders these Debian versions as dpkg does: no epochs, no tildes).
  mapfile -t candidates < <(apt-cache showsrc xen | awk '/^Version: 4\.17\./{print $2}' | sort -rVu)
fi
[ ${#candidates[@]} -gt 0 ] || { echo "xen-source.sh: the apt sources list no Xen 4.17 source package" >&2; exit 1; }

rm -rf "$W/src"
mkdir -p "$W/src"
chosen=
for v in "${candidates[@]}"; do
  # The binaries of that version must be installable too.
  if ! apt-cache madison xen-utils-4.17 | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$v"; then
    echo "xen-source.sh: xen $v: source listed, binaries not; skipped"
    continue
  fi
  if (cd "$W/src" && apt-get source -qq --download-only "xen=$v" >/dev/null 2>"$W/src/fetch.err"); then
    chosen=$v
    break
  fi
  echo "xen-source.sh: xen $v: the mirror does not serve its source ($(grep -m1 -o '[0-9]\{3\} [A-Za-z ]*' "$W/src/fetch.err" || echo 'fetch failed')); trying an older one"
done
[ -n "$chosen" ] || { echo "xen-source.sh: no Xen 4.17 version with both source and binaries on this machine's mirror (tried: ${candidates[*]})" >&2; exit 1; }
(cd "$W/src" && dpkg-source -x --no-check ./*.dsc xen >/dev/null)
echo "$chosen" > "$W/xen-version"
echo "xen source $chosen unpacked in $W/src/xen"
