import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDir, labGuestTarget, labTarget } from '../../harness/lab/hosts.ts';
import { LAB_GUEST } from '../../harness/lab/topology.ts';
import { RemoteHost } from '../../harness/remote/ssh.ts';
import type { SampleRow } from '../../harness/store/samples.ts';
import { parseXlList } from '../../harness/testbeds/xen/xl-output.ts';
import { placeLabGuest } from '../../harness/testbeds/xen-lab/guest-placement.ts';
import { runCli, startCli } from '../helpers/cli.ts';

/**
 * The Xen lab in a box, end to end: two Xen 4.17 hosts under QEMU on this machine, real `xl remus`
 * driven by the xen testbed code (`--testbed xen-lab`). Boots the lab (building the image when it
 * is not cached), runs a tiny matrix, kills Remus on the primary twice (Remus alone: split brain
 * cleaned; Remus and the guest: failover to the backup), then powers the lab off.
 */
const dir = labDir();
const results = mkdtempSync(join(tmpdir(), 'rb-lab-results-'));

async function onHost<T>(host: 'a' | 'b', use: (remote: RemoteHost) => Promise<T>): Promise<T> {
  const remote = await RemoteHost.connect(labTarget(host, dir));
  try {
    return await use(remote);
  } finally {
    remote.close();
  }
}

const guestDomains = (host: 'a' | 'b') =>
  onHost(host, async (r) =>
    parseXlList((await r.exec(['xl', 'list'])).stdout).filter((d) => d.name.startsWith(LAB_GUEST.domain)),
  );

/** The guest's uptime and /tick counter, read over SSH from the lab namespace. */
async function guestClock(): Promise<{ uptimeS: number; tick: number }> {
  const guest = await RemoteHost.connect(labGuestTarget(dir));
  try {
    const out = (
      await guest.exec(['sh', '-c', 'cut -d" " -f1 /proc/uptime; cat /www/tick'], { timeoutMs: 60_000 })
    ).stdout;
    const [uptime, tick] = out.trim().split('\n');
    return { uptimeS: Number(uptime), tick: Number(tick) };
  } finally {
    guest.close();
  }
}

function runDirOf(output: string): string {
  const match = /^Results: (\S+) /m.exec(output);
  if (!match) throw new Error(`no results folder in the output:\n${output}`);
  return match[1] as string;
}

const samplesOf = (runDir: string): SampleRow[] =>
  readFileSync(join(runDir, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SampleRow);

/**
 * retries 0 for the fault tests (a fault must fail its trial); the plain run keeps the default
 * retry: under emulation a checkpoint can stall the guest's output for tens of seconds now and then.
 */
function config(name: string, matrix: Record<string, unknown>, retries = 0): string {
  const path = join(results, `${name}.json`);
  writeFileSync(path, JSON.stringify({ matrix, retries, results }));
  return path;
}

/** Starts a one-trial protected run, waits until xl remus checkpoints, then runs `fault` on xena. */
async function faultDuringRemus(
  fault: string,
): Promise<{ code: number | null; output: string; runDir: string }> {
  // Logs of earlier runs would count as this run's checkpoints.
  await onHost('a', (r) => r.exec(['sh', '-c', 'rm -f /root/remus-bench/*.log']));
  const run = startCli([
    'experiment',
    '--testbed',
    'xen-lab',
    '--config',
    config('fault', {
      baseline: false,
      intervals: [200],
      workloads: ['latency'],
      trials: 1,
      durationS: 40,
      warmupS: 0,
      seed: 1,
    }),
  ]);
  try {
    // Checkpoints acknowledged by the backup appear in the newest Remus log on xena.
    const deadline = performance.now() + 600_000;
    for (;;) {
      const count = await onHost('a', (r) =>
        r.exec([
          'sh',
          '-c',
          'pgrep -x xl >/dev/null || { echo 0; exit 0; }; cat /root/remus-bench/*.log 2>/dev/null | grep -c "All records processed"; true',
        ]),
      );
      // Then a margin, so that the latency client is connected before the fault: under buffered
      // Remus its SYN-ACK waits for a checkpoint, which a killed xl never commits on the primary.
      if (Number(count.stdout.trim()) >= 5) {
        await sleep(15_000);
        break;
      }
      if (performance.now() > deadline || run.child.exitCode !== null)
        throw new Error(`Remus did not start checkpointing:\n${run.output()}`);
      await sleep(2000);
    }
    await onHost('a', (r) => r.exec(['sh', '-c', fault]));
  } catch (error) {
    run.child.kill('SIGINT');
    await run.done;
    throw error;
  }
  const done = await run.done;
  return { ...done, runDir: runDirOf(done.output) };
}

describe('Xen lab in a box: real xl remus through the xen testbed code', () => {
  beforeAll(async () => {
    // Says why when this machine cannot run the lab (not root, under 8 GB, no QEMU): a failure, not a skip.
    const up = await runCli(['lab', 'up']);
    if (up.code !== 0) throw new Error(`npm run lab -- up failed (exit ${up.code}):\n${up.output}`);
    // The images hold both hosts' root keys: the lab folder is root's alone.
    expect(statSync(labDir()).mode & 0o077).toBe(0);
  });

  afterAll(async () => {
    const down = await runCli(['lab', 'down']);
    expect(down.code).toBe(0);
    expect(down.output).toMatch(/xena: powered off|xena: did not power off/);
  });

  it('runs baseline + 200 ms for cpu and latency with real xl remus; results on disk', async () => {
    const { code, output } = await runCli([
      'experiment',
      '--testbed',
      'xen-lab',
      '--config',
      config(
        'tiny',
        {
          baseline: true,
          intervals: [200],
          workloads: ['cpu', 'latency'],
          trials: 1,
          durationS: 5,
          warmupS: 1,
          seed: 1,
        },
        1,
      ),
    ]);
    expect(code, output).toBe(0);
    const runDir = runDirOf(output);
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    const facts = manifest.sessions[0].testbed;
    expect(facts.name).toBe('xen-lab');
    expect(facts.mechanisms.xen).toMatch(/^4\.17/);
    // Safe Remus: no unsafe flags, the guest's output held by the lab's netbuf-capable libxl.
    expect(facts.mechanisms.remusFlags).toBe('none');
    expect(facts.mechanisms.networkBuffering).toMatch(/^sch_plug via libnl/);
    const rows = samplesOf(runDir);
    const value = (workload: string, intervalMs: number | null, metric: string) =>
      rows.find((r) => r.workload === workload && r.intervalMs === intervalMs && r.metric === metric)?.value;
    for (const interval of [null, 200]) {
      expect(value('cpu', interval, 'events_per_s')).toBeGreaterThan(0);
      expect(value('latency', interval, 'rtt_p50_us')).toBeGreaterThan(0);
      expect(value('latency', interval, 'requests')).toBeGreaterThan(0);
    }
    // Real checkpoints: counted from the backup's acknowledgements, at most the configured 5/s
    // (xl waits the interval after each checkpoint), and not nothing.
    for (const workload of ['cpu', 'latency']) {
      const rate = value(workload, 200, 'effective_rate_hz') as number;
      expect(rate).toBeGreaterThan(0.3);
      expect(rate).toBeLessThanOrEqual(5);
      expect(value(workload, 200, 'dirty_pages_p50')).toBeGreaterThan(0);
    }
    // Remus was stopped from the backup side and the guest left running on the primary only.
    expect((await guestDomains('b')).map((d) => d.name)).toEqual([]);
    expect((await guestDomains('a')).map((d) => d.name)).toEqual([LAB_GUEST.domain]);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('xen-lab');
  });

  it("netbuf restore gives Debian's libxl back: the pre-flight refuses buffered Remus (exit 2, nothing started); install brings it back", async () => {
    const restored = await runCli(['xen', 'netbuf', 'restore', '--testbed', 'xen-lab']);
    expect(restored.code, restored.output).toBe(0);
    const status = await runCli(['xen', 'netbuf', 'status', '--testbed', 'xen-lab']);
    expect(status.code).toBe(1);
    expect(status.output).toMatch(
      /primary dom0: network buffering off \(missing: libnl in \S+libxenlight\.so\.4\.17\.0 \(libxl was built without network buffering\)/,
    );
    const refused = await runCli([
      'experiment',
      '--testbed',
      'xen-lab',
      '--config',
      config('refused', {
        baseline: false,
        intervals: [200],
        workloads: ['latency'],
        trials: 1,
        durationS: 5,
        warmupS: 0,
        seed: 1,
      }),
    ]);
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toMatch(/pre-flight failed \(1 problem\); nothing was started/);
    expect(refused.output).toMatch(
      /no network buffering \(missing: libnl in .*remus-netbuf-setup.*\).*npm run xen -- netbuf install/,
    );
    expect(refused.output).not.toMatch(/^Run /m);
    // The lab's own build of the netbuf libxl is reused (cached per Xen version and recipe).
    const installed = await runCli(['xen', 'netbuf', 'install', '--testbed', 'xen-lab'], {
      env: { ...process.env, REMUS_BENCH_NETBUF_DIR: join(dir, 'netbuf') },
    });
    expect(installed.code, installed.output).toBe(0);
    expect(installed.output).toMatch(/backup dom0: network buffering ready/);
    expect((await runCli(['xen', 'netbuf', 'status', '--testbed', 'xen-lab'])).code).toBe(0);
  });

  it('xl remus killed on the primary: the trial fails with the reason, one copy of the guest runs on', async () => {
    const { code, output, runDir } = await faultDuringRemus('pkill -KILL -x xl');
    expect(code, output).toBe(1);
    const state = JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8'));
    const reason = Object.values(
      state.cells as Record<string, { trials: Record<string, { reason?: string }> }>,
    )
      .flatMap((cell) => Object.values(cell.trials))
      .map((t) => t.reason ?? '')
      .join(' ');
    expect(reason).toMatch(/killed/);
    // Exactly one live copy is left. Killed between checkpoints: the primary's copy runs on (a copy
    // the backup promoted meanwhile is a split brain and was destroyed). Killed inside one: the
    // primary's copy stays suspended (Xen 4.17 has no xl resume), so the backup's promoted copy is
    // kept and the stuck one destroyed.
    const copies = [
      ...(await guestDomains('a')).map((d) => ({ ...d, host: 'xena' })),
      ...(await guestDomains('b')).map((d) => ({ ...d, host: 'xenb' })),
    ];
    expect(copies.map((d) => d.name)).toEqual([LAB_GUEST.domain]);
    expect(copies[0]?.state).not.toMatch(/[sp]/);
    if (copies[0]?.host === 'xenb') expect(reason).toMatch(/FAILOVER: the backup had promoted its copy/);
    expect((await guestClock()).tick).toBeGreaterThan(0);
  });

  it('the primary loses Remus and the guest: the backup takes over at the same address, state kept', async () => {
    // The guest must run (recreated if the previous test left it suspended) to read its clock first.
    await placeLabGuest(dir, () => {});
    const before = await guestClock();
    const { code, output, runDir } = await faultDuringRemus(
      `pkill -KILL -x xl; xl destroy ${LAB_GUEST.domain}`,
    );
    expect(code, output).toBe(1);
    const state = readFileSync(join(runDir, 'state.json'), 'utf8');
    expect(state).toMatch(/FAILOVER/);
    expect((await guestDomains('a')).map((d) => d.name)).toEqual([]);
    expect((await guestDomains('b')).map((d) => d.name)).toEqual([LAB_GUEST.domain]);
    // The copy on xenb answers at the guest's address and continues the guest's own clock: it is
    // the replicated guest, not a fresh boot (which would start both near zero).
    const after = await guestClock();
    expect(after.uptimeS).toBeGreaterThan(before.uptimeS);
    expect(after.tick).toBeGreaterThan(before.tick);
  });
});
