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
 * Releases what an ended `xl remus` left of network buffering on the primary. libxl tears it down
 * when it ends normally, but a killed xl (or a failed set-up) leaves the vif's ingress redirected
 * into an IFB whose plug qdisc never opens again: the guest's output stays in dom0, the IFB looks
 * taken to the next set-up, and the held packets keep guest pages mapped, so a destroyed guest
 * cannot finish dying (`(null)` in `xl list`, state `--pssd`). When no other `xl remus` runs on
 * the host, every plugged IFB and every vif redirect is released; otherwise only those of the
 * domain named `$1`. One line per release.
 */
export const NETBUF_RELEASE_SCRIPT = [
  'PATH=$PATH:/usr/sbin:/sbin',
  // [x]: the pattern does not match this script's own command line.
  'if pgrep -f "[x]l remus" >/dev/null; then',
  '  d=$(xl domid "$1" 2>/dev/null) || exit 0',
  '  echo "another Remus replication runs on this host: released only what belongs to $1"',
  '  vifs=$(for p in $(xenstore-list /libxl/$d/remus/netbuf 2>/dev/null); do echo vif$d.$p; done)',
  '  ifbs=$(for p in $(xenstore-list /libxl/$d/remus/netbuf 2>/dev/null); do xenstore-read /libxl/$d/remus/netbuf/$p/ifb 2>/dev/null; done)',
  '  doms=$d',
  'else',
  '  vifs=$(ls /sys/class/net | grep "^vif")',
  '  ifbs=$(ls /sys/class/net | grep "^ifb")',
  '  doms=$(xenstore-list /libxl 2>/dev/null)',
  'fi',
  'for v in $vifs; do',
  '  tc filter show dev $v parent ffff: 2>/dev/null | grep -q mirred || continue',
  '  tc qdisc del dev $v ingress && echo "removed the redirect of $v into an IFB"',
  'done',
  // Down first: deleting the plug of a down device leaves no qdisc, which the set-up takes as free.
  'for i in $ifbs; do',
  '  tc qdisc show dev $i 2>/dev/null | grep -q "qdisc plug" || continue',
  '  ip link set dev $i down; tc qdisc del dev $i root && echo "released the plug on $i (output it held was dropped)"',
  'done',
  'for d in $doms; do xenstore-rm /libxl/$d/remus 2>/dev/null; done',
  'exit 0',
].join('\n');
