#!/bin/bash
# Failover in the Xen lab, timed from outside: brings the lab up (if it is not), starts a protected
# latency trial (xl remus -i 200), waits for 5 acknowledged checkpoints, then runs FAULT on xena
# (default: kill xl remus and destroy the guest, i.e. the primary is lost). Prints the guest's clock
# before and after, when xenb lists the guest and when it answers SSH again, the harness's verdict,
# both hosts' domains and what the latency client saw (its one TCP connection: survived or broken).
# Root, 8 GB; lab traffic stays in netns remuslab. NETBUF=off runs xl remus -F -n (default: buffered).
# Usage: [NETBUF=on|off] bash bench/lab-failover.sh ["pkill -KILL -x xl"]
set -uo pipefail
cd "$(dirname "$0")/.."
LAB=${REMUS_BENCH_LAB_DIR:-$PWD/.lab}
FAULT=${1:-"pkill -KILL -x xl; xl destroy bench"}
NETBUF=${NETBUF:-on}
K="$LAB/keys/id_ed25519"; KH="$LAB/known_hosts"
# CT: SSH connect timeout; under buffered Remus every round trip of the handshake waits a checkpoint.
gssh() { ip netns exec remuslab ssh -i "$K" -o UserKnownHostsFile="$KH" -o BatchMode=yes -o ConnectTimeout="${CT:-5}" root@10.99.1.10 "$@"; }
hssh() { local port=$1; shift; ssh -i "$K" -o UserKnownHostsFile="$KH" -o BatchMode=yes -p "$port" root@127.0.0.1 "$@"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

npm run --silent lab -- up >/dev/null || { echo "lab up failed: npm run lab -- up says why" >&2; exit 1; }
out=$(mktemp -d)
printf '{"matrix":{"baseline":false,"intervals":[200],"workloads":["latency"],"trials":1,"durationS":90,"warmupS":0,"seed":1},"retries":0,"results":"%s"}\n' "$out" > "$out/config.json"
hssh 10021 'rm -f /root/remus-bench/*.log'
setsid node --import tsx harness/cli.ts experiment --testbed xen-lab --netbuf "$NETBUF" --config "$out/config.json" > "$out/run.log" 2>&1 &
run=$!
# Stopped early: the whole run gets Ctrl-C (it stops Remus and cleans up), never left behind.
trap 'kill -INT -- -$run 2>/dev/null; wait $run' EXIT
until [ "$(hssh 10021 'pgrep -x xl >/dev/null || { echo 0; exit 0; }; cat /root/remus-bench/*.log | grep -c "All records processed"; true')" -ge 5 ]; do
  kill -0 $run 2>/dev/null || { echo "the run ended before Remus checkpointed:"; tail -5 "$out/run.log"; exit 1; }
  sleep 2
done
# The latency client connects once protection is ready; the fault must hit its open connection.
sleep 15
echo "guest before (uptime s, /tick): $(CT=90 gssh 'cut -d" " -f1 /proc/uptime; cat /www/tick' | tr '\n' ' ')"
t0=$(date +%s.%N)
hssh 10021 "$FAULT"
echo "fault at $(date +%T.%N) on xena (network buffering $NETBUF): $FAULT"
for _ in $(seq 1 300); do hssh 10022 'xl list bench' >/dev/null 2>&1 && { echo "xenb lists bench $(since "$t0") s after the fault"; break; }; sleep 0.5; done
for _ in $(seq 1 300); do gssh true 2>/dev/null && { echo "the guest answers SSH $(since "$t0") s after the fault"; break; }; sleep 0.5; done
echo "guest after (uptime s, /tick): $(CT=90 gssh 'cut -d" " -f1 /proc/uptime; cat /www/tick' | tr '\n' ' ')"
wait $run; echo "run exit $?"
grep -o "failed: .*" "$out/run.log" | head -1 | cut -c1-700
echo "xena:"; hssh 10021 'xl list'; echo "xenb:"; hssh 10022 'xl list'
csv=$(ls "$out"/*/artifacts/*/requests.csv 2>/dev/null | head -1)
# One TCP connection carries every request: it survived when replies still came in the last 5 s of sending.
if [ -n "$csv" ]; then
  awk -F, 'NR>1 && $3>ls {ls=$3} NR>1 && $4!="" {if (p!="" && $4-p>g) g=$4-p; p=$4; n++; if ($4>lr) lr=$4} NR>1 && $4=="" {lost++}
    END {printf "latency client: %d replies, %d lost, longest gap between replies %.0f ms, last reply %.1f s before the last send: TCP connection %s\n",
      n, lost, g, (ls-lr)/1000, (ls-lr < 5000 ? "survived" : "broken")}' "$csv"
else
  echo "latency client: no request log (the client failed: its TCP connection broke):"
  grep -o "connection to [^ ]* failed[^|]*" "$out/run.log" | head -1 | cut -c1-300
fi
echo "run folder: $out"
