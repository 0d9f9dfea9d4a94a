/**
 * The lab's guest segment: a vde_switch hub whose tap lives in the lab's network namespace (the
 * clients' address). Both QEMUs join it through the switch's unix socket, so nothing is added to
 * this machine's root network namespace and lab traffic never leaves it.
 * Usage: LAB_DIR=<cache> node --import tsx net.ts up|down|status
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { $ } from 'zx';
import { GUEST_SEGMENT, LAB_NETNS, LAB_PREFIX, VDE_FILES } from '../topology.ts';
import { runSteps, UsageError } from './lab-script.ts';

const NS = LAB_NETNS;
const { tap: TAP, clientAddress: CLIENT_ADDRESS } = GUEST_SEGMENT;

/** The pid of this folder's vde_switch, or null (a stale pid file's reused pid is not ours). */
function switchPid(): number | null {
  if (!existsSync(VDE_FILES.pid)) return null;
  const pid = Number(readFileSync(VDE_FILES.pid, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('vde_switch') ? pid : null;
  } catch {
    return null;
  }
}

async function namespaceExists(): Promise<boolean> {
  const list = (await $`ip netns list`).stdout;
  return list.split('\n').some((line) => line.split(' ')[0] === NS);
}

async function namespacePids(): Promise<string[]> {
  const pids = await $({ nothrow: true })`ip netns pids ${NS}`;
  return pids.stdout.split('\n').filter(Boolean);
}

/** The namespace name is machine-wide: never take over or delete one that another lab folder's switch uses. */
async function usedByAnotherLab(): Promise<boolean> {
  if (!(await namespaceExists())) return false;
  const pids = await namespacePids();
  const ours = switchPid();
  return pids.length > 0 && !(ours !== null && pids.includes(String(ours)));
}

async function down(): Promise<string> {
  const pid = switchPid();
  if (pid !== null) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && switchPid() === pid; i++) await sleep(100);
  }
  for (const file of Object.values(VDE_FILES)) rmSync(file, { recursive: true, force: true });
  if (await usedByAnotherLab())
    return `guest segment of this folder down; network namespace ${NS} left alone (another lab uses it)`;
  await $({ nothrow: true })`ip netns del ${NS}`;
  return 'guest segment down';
}

async function up(): Promise<string> {
  if (switchPid() !== null && (await namespaceExists())) return 'guest segment already up';
  if (await usedByAnotherLab())
    throw new Error(
      `network namespace ${NS} is in use by another lab (pids ${(await namespacePids()).join(' ')}); stop that lab first (npm run lab -- down with its REMUS_BENCH_LAB_DIR)`,
    );
  await down();
  await $`ip netns add ${NS}`;
  await $`ip -n ${NS} link set lo up`;
  await $`ip netns exec ${NS} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`;
  // Each trial's TCP connection starts fresh: no RTT estimates cached from earlier (protected) trials.
  await $`ip netns exec ${NS} sysctl -qw net.ipv4.tcp_no_metrics_save=1`;
  // Started inside the namespace, so the tap port it creates exists only there.
  const cwd = process.cwd();
  await $`ip netns exec ${NS} vde_switch --hub -s ${`${cwd}/${VDE_FILES.control}`} -M ${`${cwd}/${VDE_FILES.management}`} -t ${TAP} -d -p ${`${cwd}/${VDE_FILES.pid}`}`;
  for (let i = 0; i < 50; i++) {
    if ((await $({ nothrow: true })`ip -n ${NS} link show ${TAP}`).exitCode === 0) break;
    await sleep(100);
  }
  await $`ip -n ${NS} addr add ${`${CLIENT_ADDRESS}/${LAB_PREFIX}`} dev ${TAP}`;
  await $`ip -n ${NS} link set ${TAP} up`;
  return `guest segment up: netns ${NS}, ${TAP} ${CLIENT_ADDRESS}/${LAB_PREFIX}, vde_switch pid ${switchPid()}`;
}

/** The switch and the tap's address; exit 1 when either is missing (`lab status` prints it as is). */
async function status(): Promise<string> {
  const pid = switchPid();
  if (pid === null) {
    process.exitCode = 1;
    return 'vde_switch not running';
  }
  const address = await $({ nothrow: true })`ip -n ${NS} -br addr show ${TAP}`;
  if (address.exitCode !== 0) process.exitCode = 1;
  return `vde_switch pid ${pid}\n${address.exitCode === 0 ? address.stdout.trimEnd() : `netns ${NS} absent`}`;
}

await runSteps('net', async () => {
  // Only the outcome is printed: `lab status` and `lab down` show it to the user as it is.
  $.verbose = false;
  $.quiet = true;
  const action = process.argv[2];
  const actions: Record<string, () => Promise<string>> = { up, down, status };
  const run = action && Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (!run) throw new UsageError(`up, down or status, not ${JSON.stringify(action ?? '')}`);
  console.log(await run());
});
