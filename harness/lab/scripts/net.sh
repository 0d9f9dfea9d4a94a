#!/bin/bash
# The lab's guest segment: a vde_switch hub whose tap lives in the network namespace remuslab
# (client address 10.99.1.100/24). Both QEMUs join it through the switch's unix socket, so nothing
# is added to this machine's root network namespace and lab traffic never leaves it.
# Usage: LAB_DIR=<cache> net.sh up|down|status
set -uo pipefail
cd "${LAB_DIR:?set LAB_DIR}"
NS=remuslab
CLIENT_IP=10.99.1.100
alive() { [ -f vde.pid ] && kill -0 "$(cat vde.pid)" 2>/dev/null && grep -q vde_switch /proc/"$(cat vde.pid)"/cmdline; }
ns_exists() { ip netns list | grep -qw "^$NS"; }
# The namespace name is machine-wide: never take over or delete one that another lab folder's switch uses.
foreign() { ns_exists && [ -n "$(ip netns pids $NS 2>/dev/null)" ] && ! { alive && ip netns pids $NS | grep -qx "$(cat vde.pid)"; }; }
case ${1:-} in
up)
  if alive && ns_exists; then echo "guest segment already up"; exit 0; fi
  if foreign; then
    echo "network namespace $NS is in use by another lab (pids $(ip netns pids $NS | tr '\n' ' ')); stop that lab first (npm run lab -- down with its REMUS_BENCH_LAB_DIR)" >&2
    exit 1
  fi
  "$0" down >/dev/null
  ip netns add $NS || exit 1
  ip -n $NS link set lo up
  ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  # Each trial's TCP connection starts fresh: no RTT estimates cached from earlier (protected) trials.
  ip netns exec $NS sysctl -qw net.ipv4.tcp_no_metrics_save=1
  # Started inside the namespace, so the tap port it creates (-t rl0) exists only there.
  ip netns exec $NS vde_switch --hub -s "$LAB_DIR/vde.ctl" -M "$LAB_DIR/vde.mgmt" -t rl0 -d -p "$LAB_DIR/vde.pid" || exit 1
  for _ in $(seq 1 50); do ip -n $NS link show rl0 >/dev/null 2>&1 && break; sleep 0.1; done
  ip -n $NS addr add $CLIENT_IP/24 dev rl0 && ip -n $NS link set rl0 up || exit 1
  echo "guest segment up: netns $NS, rl0 $CLIENT_IP/24, vde_switch pid $(cat vde.pid)";;
down)
  if alive; then
    pid=$(cat vde.pid); kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf vde.pid vde.ctl vde.mgmt
  if foreign; then echo "guest segment of this folder down; network namespace $NS left alone (another lab uses it)"; exit 0; fi
  ip netns del $NS 2>/dev/null
  echo "guest segment down";;
status)
  if alive; then echo "vde_switch pid $(cat vde.pid)"; else echo "vde_switch not running"; exit 1; fi
  ip -n $NS -br addr show rl0 2>/dev/null || { echo "netns $NS absent"; exit 1; };;
*) echo "usage: $0 up|down|status" >&2; exit 2;;
esac
