/**
 * Whether a dom0 can run Remus with network buffering (output commit): libxl built with libnl, its
 * hotplug script, the tools that script calls and the kernel modules it loads. One shell script runs
 * on the dom0 and prints one `missing <what>` line per absent piece; the parser is pure.
 */

/** The pieces `xl remus` without -n needs on the primary, checked as libxl and its script use them. */
export const NETBUF_CHECK_SCRIPT = [
  'PATH=$PATH:/usr/sbin:/sbin',
  // The libxenlight the dynamic linker gives xl: Debian's links no libnl (built without it).
  "lib=$(ldconfig -p 2>/dev/null | awk '/libxenlight\\.so\\./{print $NF; exit}')",
  'if [ -z "$lib" ]; then echo "missing libxenlight (not in the ldconfig cache)";',
  'elif ! grep -q "libnl-route-3\\.so" "$(readlink -f "$lib")"; then echo "missing libnl in $(readlink -f "$lib") (libxl was built without network buffering)"; fi',
  '[ -x /etc/xen/scripts/remus-netbuf-setup ] || echo "missing /etc/xen/scripts/remus-netbuf-setup (the hotplug script libxl runs per vif)"',
  'for c in nl-qdisc-add nl-qdisc-list nl-qdisc-delete; do command -v $c >/dev/null || echo "missing $c (Debian package libnl-utils)"; done',
  // nl-qdisc-add loads "plug" as a libnl CLI module; Debian installs those under libnl-3/cli/.
  'plug=; for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do [ -e $d/libnl/cli/qdisc/plug.so ] && plug=$d; done',
  '[ -n "$plug" ] || echo "missing libnl/cli/qdisc/plug.so (the plug module nl-qdisc-add loads; Debian puts it in libnl-3/cli/)"',
  'command -v ifconfig >/dev/null || echo "missing ifconfig (Debian package net-tools)"',
  'for m in ifb sch_plug sch_ingress act_mirred cls_u32; do [ -e /sys/module/$m ] || modinfo $m >/dev/null 2>&1 || echo "missing kernel module $m"; done',
  'exit 0',
].join('\n');

/** What the check found missing, in the order it checks (empty: network buffering can run). */
export function parseNetbufCheck(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('missing '))
    .map((line) => line.slice('missing '.length).trim());
}

/**
 * Releases what an ended `xl remus` left of network buffering on the primary's copy of the guest
 * (`$1`, the domain name): libxl tears it down when it ends normally, but a killed xl (or a failed
 * set-up) leaves the vif's ingress redirected into a plugged IFB, so the guest's output never
 * leaves dom0 again, and leaves that IFB looking taken to the next set-up. One line per release.
 */
export const NETBUF_RELEASE_SCRIPT = [
  'PATH=$PATH:/usr/sbin:/sbin',
  'd=$(xl domid "$1" 2>/dev/null) || exit 0',
  'for p in $(xenstore-list /libxl/$d/remus/netbuf 2>/dev/null); do',
  '  x=/libxl/$d/remus/netbuf/$p; vif=vif$d.$p',
  '  ifb=$(xenstore-read $x/ifb 2>/dev/null || true)',
  '  tc qdisc show dev $vif ingress 2>/dev/null | grep -q ingress || [ -n "$ifb" ] || continue',
  '  vifname=$vif XENBUS_PATH=$x REMUS_IFB=$ifb /etc/xen/scripts/remus-netbuf-setup teardown >/dev/null 2>&1 || true',
  '  tc qdisc del dev $vif ingress 2>/dev/null || true',
  // Down, then a qdisc with a handle replaced and deleted: back to none (the set-up skips any IFB with one).
  '  [ -n "$ifb" ] && { ip link set dev $ifb down; tc qdisc replace dev $ifb root handle 1: pfifo && tc qdisc del dev $ifb root; } 2>/dev/null',
  '  [ -n "$ifb" ] && echo "released $ifb from $vif" || echo "released the ingress redirect of $vif"',
  'done',
  'xenstore-rm /libxl/$d/remus 2>/dev/null',
  'exit 0',
].join('\n');
