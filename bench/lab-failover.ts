/**
 * Failover in the Xen lab, timed from outside: brings the lab up (if it is not), starts a protected
 * latency trial (xl remus -i 200), waits for 5 acknowledged checkpoints, then runs FAULT on xena
 * (default: kill xl remus and destroy the guest, i.e. the primary is lost). Prints the guest's clock
 * before and after, when xenb lists the guest and when it answers SSH again, the harness's verdict,
 * both hosts' domains and what the latency client saw (its one TCP connection: survived or broken).
 * Root, 8 GB; lab traffic stays in the lab's network namespace. NETBUF=off runs xl remus -F -n
 * (default: buffered).
 * Usage: [NETBUF=on|off] node --import tsx bench/lab-failover.ts ["pkill -KILL -x xl"]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { $ } from 'zx';
import { labDir, labGuestTarget, labTarget } from '../harness/lab/hosts.ts';
import { HOSTS, LAB_GUEST, type LabHost } from '../harness/lab/topology.ts';
import { tsScriptCommand } from '../harness/util/node-script.ts';
import { PROJECT_ROOT } from '../harness/version.ts';

const fault = process.argv[2] ?? `pkill -KILL -x xl; xl destroy ${LAB_GUEST.domain}`;
const netbuf = process.env.NETBUF ?? 'on';
if (netbuf !== 'on' && netbuf !== 'off')
  throw new Error(`NETBUF is on or off, not ${JSON.stringify(netbuf)}`);
const INTERVAL_MS = 200;
const TRIAL_S = 90;
const CHECKPOINTS_BEFORE_FAULT = 5;
const dir = labDir();
$.cwd = PROJECT_ROOT;

const sshOptions = (target: { keyFile?: string; knownHosts: string }, connectTimeoutS: number) => [
  ...['-i', target.keyFile ?? '', '-o', `UserKnownHostsFile=${target.knownHosts}`, '-o', 'BatchMode=yes'],
  ...['-o', `ConnectTimeout=${connectTimeoutS}`],
];

/** A command on a lab dom0; its output, or null when it failed. */
async function onHost(host: LabHost, command: string): Promise<string | null> {
  const target = labTarget(host, dir);
  const result = await $({
    nothrow: true,
    quiet: true,
  })`ssh ${sshOptions(target, 10)} -p ${target.port} root@${target.host} ${command}`;
  return result.exitCode === 0 ? result.stdout : null;
}

/**
 * A command in the guest, from the lab's namespace. The connect timeout is long where it matters:
 * under buffered Remus every round trip of the SSH handshake waits for a checkpoint.
 */
async function inGuest(command: string, connectTimeoutS = 5): Promise<string | null> {
  const target = labGuestTarget(dir);
  const result = await $({
    nothrow: true,
    quiet: true,
  })`ip netns exec ${LAB_GUEST.netns} ssh ${sshOptions(target, connectTimeoutS)} root@${target.host} ${command}`;
  return result.exitCode === 0 ? result.stdout : null;
}

const secondsSince = (startMs: number) => ((performance.now() - startMs) / 1000).toFixed(1);
const guestClock = async () =>
  ((await inGuest('cut -d" " -f1 /proc/uptime; cat /www/tick', 90)) ?? '(no answer)')
    .trim()
    .replace(/\n/g, ' ');

/** Waits (0.5 s steps, at most 150 s) until `check` passes; the seconds since `startMs`, or null. */
async function timeUntil(check: () => Promise<boolean>, startMs: number): Promise<string | null> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return secondsSince(startMs);
    await sleep(500);
  }
  return null;
}

/** What the latency client logged: replies, losses, the longest gap, and whether its connection lived. */
function describeClient(csv: string): string {
  let lastSend = 0;
  let lastReply = 0;
  let previous: number | null = null;
  let longestGap = 0;
  let replies = 0;
  let lost = 0;
  for (const line of readFileSync(csv, 'utf8').trim().split('\n').slice(1)) {
    const fields = line.split(',');
    const sent = Number(fields[2]);
    const reply = fields[3] ?? '';
    if (sent > lastSend) lastSend = sent;
    if (reply === '') {
      lost++;
      continue;
    }
    const at = Number(reply);
    if (previous !== null && at - previous > longestGap) longestGap = at - previous;
    previous = at;
    replies++;
    if (at > lastReply) lastReply = at;
  }
  // One TCP connection carries every request: it survived when replies still came in the last 5 s of sending.
  const silentMs = Math.max(0, lastSend - lastReply);
  return `latency client: ${replies} replies, ${lost} lost, longest gap between replies ${longestGap.toFixed(0)} ms, last reply ${(silentMs / 1000).toFixed(1)} s before the last send: TCP connection ${silentMs < 5000 ? 'survived' : 'broken'}`;
}

const up = await $({ nothrow: true, quiet: true })`npm run --silent lab -- up`;
if (up.exitCode !== 0) {
  console.error('lab up failed: npm run lab -- up says why');
  process.exit(1);
}
const out = mkdtempSync(join(tmpdir(), 'lab-failover-'));
const config = {
  matrix: {
    baseline: false,
    intervals: [INTERVAL_MS],
    workloads: ['latency'],
    trials: 1,
    durationS: TRIAL_S,
    warmupS: 0,
    seed: 1,
  },
  retries: 0,
  results: out,
};
writeFileSync(join(out, 'config.json'), `${JSON.stringify(config)}\n`);
const runLog = join(out, 'run.log');
await onHost('a', 'rm -f /root/remus-bench/*.log');
const [node, args] = tsScriptCommand(join(PROJECT_ROOT, 'harness/cli.ts'), [
  ...['experiment', '--testbed', 'xen-lab', '--netbuf', netbuf, '--config', join(out, 'config.json')],
]);
const logFd = openSync(runLog, 'w');
// Its own process group: stopped early, the whole run gets Ctrl-C (it stops Remus and cleans up).
const run = spawn(node, args, { cwd: PROJECT_ROOT, detached: true, stdio: ['ignore', logFd, logFd] });
const runEnded = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
let running = true;
runEnded.then(() => {
  running = false;
});
const stopRun = () => {
  if (running && run.pid) process.kill(-run.pid, 'SIGINT');
};
process.once('SIGINT', () => {
  stopRun();
  void runEnded.then(() => process.exit(130));
});

try {
  for (;;) {
    const acked = await onHost(
      'a',
      'pgrep -x xl >/dev/null || { echo 0; exit 0; }; cat /root/remus-bench/*.log | grep -c "All records processed"; true',
    );
    if (Number(acked ?? 0) >= CHECKPOINTS_BEFORE_FAULT) break;
    if (!running) {
      console.log('the run ended before Remus checkpointed:');
      console.log(readFileSync(runLog, 'utf8').trim().split('\n').slice(-5).join('\n'));
      process.exit(1);
    }
    await sleep(2000);
  }
  // The latency client connects once protection is ready; the fault must hit its open connection.
  await sleep(15_000);
  console.log(`guest before (uptime s, /tick): ${await guestClock()}`);
  const faultAt = performance.now();
  await onHost('a', fault);
  console.log(
    `fault at ${new Date().toISOString()} on ${HOSTS.a.name} (network buffering ${netbuf}): ${fault}`,
  );
  const listed = await timeUntil(
    async () => (await onHost('b', `xl list ${LAB_GUEST.domain}`)) !== null,
    faultAt,
  );
  if (listed) console.log(`${HOSTS.b.name} lists ${LAB_GUEST.domain} ${listed} s after the fault`);
  const answers = await timeUntil(async () => (await inGuest('true')) !== null, faultAt);
  if (answers) console.log(`the guest answers SSH ${answers} s after the fault`);
  console.log(`guest after (uptime s, /tick): ${await guestClock()}`);
  console.log(`run exit ${await runEnded}`);
  const verdict = /failed: .*/.exec(readFileSync(runLog, 'utf8'))?.[0];
  if (verdict) console.log(verdict.slice(0, 700));
  for (const host of ['a', 'b'] as const)
    console.log(`${HOSTS[host].name}:\n${(await onHost(host, 'xl list')) ?? ''}`);
  const csv = findRequestLog(out);
  if (csv) console.log(describeClient(csv));
  else {
    console.log('latency client: no request log (the client failed: its TCP connection broke):');
    console.log(/connection to \S* failed[^|]*/.exec(readFileSync(runLog, 'utf8'))?.[0]?.slice(0, 300) ?? '');
  }
  console.log(`run folder: ${out}`);
} finally {
  stopRun();
  await runEnded;
}

/** The latency client's request log of the run (<run>/artifacts/<trial>/requests.csv). */
function findRequestLog(results: string): string | null {
  for (const runDir of readdirSync(results, { withFileTypes: true })) {
    if (!runDir.isDirectory()) continue;
    const artifacts = join(results, runDir.name, 'artifacts');
    if (!existsSync(artifacts)) continue;
    for (const trial of readdirSync(artifacts)) {
      const csv = join(artifacts, trial, 'requests.csv');
      if (existsSync(csv)) return csv;
    }
  }
  return null;
}
