import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.ts';
import { startNpmRun } from '../helpers/process-group.ts';
import { SSHD } from '../helpers/sshd.ts';
import { GUEST, startXenTestHosts, type XenTestHosts } from '../helpers/xen-hosts.ts';

/**
 * The Xen testbed against two real SSH "dom0" hosts whose `xl` is the stand-in (test/xl-standin):
 * a run end to end, the pre-flight refusals, and one test per injected fault. Each fault must be
 * reported clearly, cleaned up (no copy of the guest left on the backup, the primary's guest
 * running), keep the finished trials, and leave a run that can be resumed.
 */
const canRun = existsSync(SSHD) && process.getuid?.() === 0;

interface Domain {
  name: string;
  state: string;
}

describe.skipIf(!canRun)('Xen testbed over SSH with the xl stand-in', { timeout: 120_000 }, () => {
  let hosts: XenTestHosts;
  let scratch: string;
  beforeAll(async () => {
    hosts = await startXenTestHosts();
  });
  afterAll(() => hosts?.stop());
  beforeEach(() => {
    hosts.reset();
    scratch = mkdtempSync(join(tmpdir(), 'rb-xen-test-'));
  });

  const domains = (host: 'primary' | 'backup'): Domain[] =>
    JSON.parse(
      readFileSync(join(host === 'primary' ? hosts.primaryState : hosts.backupState, 'domains.json'), 'utf8'),
    );
  const writeConfig = (overrides: { noNetbuf?: boolean; retries?: number } = {}) => {
    const config = structuredClone(hosts.config);
    config.remus.unsafe.noNetbuf = overrides.noNetbuf ?? true;
    const path = join(scratch, 'lab.json');
    writeFileSync(
      path,
      JSON.stringify({ testbed: { kind: 'xen', xen: config }, retries: overrides.retries ?? 0 }),
    );
    return path;
  };
  const run = (args: string[], config = writeConfig()) =>
    runCli([
      'experiment',
      '--config',
      config,
      '--results',
      join(scratch, 'results'),
      '--trials',
      '1',
      '--warmup',
      '0',
      ...args,
    ]);
  const runDir = () =>
    join(scratch, 'results', readdirSync(join(scratch, 'results')).find((n) => !n.startsWith('.')) as string);
  const trialReasons = () => {
    const state = JSON.parse(readFileSync(join(runDir(), 'state.json'), 'utf8'));
    return Object.values(state.cells).flatMap((cell) =>
      Object.values((cell as { trials: Record<string, { status: string; reason?: string }> }).trials),
    );
  };
  const expectCleanHosts = () => {
    expect(domains('backup').map((d) => d.name)).toEqual(['Domain-0']);
    const guest = domains('primary').find((d) => d.name === GUEST);
    expect(guest?.state).toBe('-b----');
  };

  it('runs cpu and latency cells with Remus, records the Remus facts per trial, and leaves both hosts clean', async () => {
    const { code, output } = await run([
      '--testbed',
      'xen',
      '--workloads',
      'cpu,latency',
      '--intervals',
      '100',
      '--duration',
      '2',
    ]);
    expect(code, output).toBe(0);
    const rows = readFileSync(join(runDir(), 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            cellId: string;
            metric: string;
            value: number;
            mechanisms: Record<string, string>;
          },
      );
    const value = (cell: string, metric: string) =>
      rows.find((r) => r.cellId === cell && r.metric === metric)?.value;
    expect(value('cpu@100ms', 'effective_rate_hz')).toBeGreaterThan(3);
    expect(value('cpu@100ms', 'effective_rate_hz')).toBeLessThan(10); // -i waits the interval after each checkpoint
    expect(value('cpu@100ms', 'dirty_pages_p50')).toBeGreaterThan(300);
    expect(value('latency@100ms', 'rtt_p50_us')).toBeGreaterThan(0);
    expect(value('cpu@100ms', 'harness_start_ms')).toBeGreaterThan(0);
    expect(rows.every((r) => r.mechanisms.remusFlags === '-F -n')).toBe(true);
    expect(output).toMatch(/Network buffering is off \(xl remus -F -n\)/);
    // This machine's sshd (sshd -T) has no keep-alives: said, not fatal.
    expect(output).toMatch(/The backup's sshd has ClientAliveInterval 0/);
    expectCleanHosts();
  });

  it('pre-flight: no network buffering and a leftover copy on the backup are both named; nothing starts', async () => {
    writeFileSync(
      join(hosts.backupState, 'domains.json'),
      JSON.stringify([
        ...domains('backup'),
        { name: `${GUEST}--incoming`, domid: 4, memMiB: 0, vcpus: 0, state: '--p---', type: 'pvh' },
      ]),
    );
    const { code, output } = await run(
      ['--workloads', 'cpu', '--intervals', '100'],
      writeConfig({ noNetbuf: false }),
    );
    expect(code).toBe(2);
    expect(output).toMatch(/pre-flight failed \(2 problems\); nothing was started/);
    expect(output).toMatch(
      /no network buffering \(missing: libxenlight.*\).*netbuf install --config.*testbed\.xen\.remus\.unsafe\.noNetbuf/,
    );
    expect(output).toMatch(
      /backup dom0 .*a copy of the guest is there already \("tinyh--incoming".*xl destroy tinyh--incoming/,
    );
  });

  it('pre-flight: a PV guest on a Xen without shadow paging is refused (no log-dirty mode)', async () => {
    writeFileSync(
      join(hosts.primaryState, 'domains.json'),
      JSON.stringify(domains('primary').map((d) => (d.name === GUEST ? { ...d, type: 'pv' } : d))),
    );
    const { code, output } = await run(['--workloads', 'cpu', '--intervals', '100']);
    expect(code).toBe(2);
    expect(output).toMatch(
      /"tinyh" is a PV guest and this Xen has no shadow paging .*Use a PVH or HVM guest/,
    );
  });

  const faults: {
    name: string;
    host: 'primary' | 'backup';
    fault: string;
    reason: RegExp;
    /** Xen version the stand-in plays on the primary (xl resume exists from 4.20). */
    version?: string;
    backupFault?: string;
  }[] = [
    {
      name: 'SSH from the primary to the backup fails',
      host: 'primary',
      fault: 'ssh-fails',
      reason: /ended before the first checkpoint .*transport/,
    },
    {
      name: 'the backup dies mid-run',
      host: 'backup',
      fault: 'backup-dies-after 4',
      reason: /backup or the link to it failed/,
    },
    {
      name: 'the guest does not suspend',
      host: 'primary',
      fault: 'suspend-timeout-at 4',
      reason: /did not suspend.*resumed it \(xl resume\)/,
      version: '4.20.0',
    },
    {
      name: 'the primary guest is left paused and the backup does not fail over',
      host: 'primary',
      fault: 'paused-at 4',
      backupFault: 'no-failover',
      reason: /left paused on the primary; unpaused it \(xl unpause\)/,
    },
    {
      name: 'xl remus is killed (split brain)',
      host: 'primary',
      fault: 'killed-at 4',
      reason: /was killed.*resumed it \(xl resume\).*SPLIT BRAIN: .*destroyed that copy/,
      version: '4.20.0',
    },
  ];
  for (const f of faults) {
    it(`fault: ${f.name}: reported, cleaned up, finished trials kept, resumable`, async () => {
      hosts.setFaults(f.host, [f.fault]);
      if (f.backupFault) hosts.setFaults('backup', [f.backupFault]);
      if (f.version) writeFileSync(join(hosts.primaryState, 'version'), f.version);
      const first = await run(['--workloads', 'cpu', '--intervals', '100', '--duration', '3']);
      expect(first.code, first.output).toBe(1);
      const reasons = trialReasons();
      expect(reasons.find((t) => t.status === 'done')).toBeDefined(); // the baseline trial is kept
      expect(reasons.find((t) => t.status === 'failed')?.reason).toMatch(f.reason);
      expect(first.output).toMatch(/npm run experiment -- --resume /);
      expectCleanHosts();
      hosts.setFaults(f.host, []);
      hosts.setFaults('backup', []);
      const resumed = await runCli(['experiment', '--resume', runDir()]);
      expect(resumed.code, resumed.output).toBe(0);
      expect(trialReasons().every((t) => t.status === 'done')).toBe(true);
      expectCleanHosts();
    });
  }

  it("xl remus killed inside a checkpoint on Xen 4.17 (no xl resume): the backup's copy is kept, the stuck one ended", async () => {
    hosts.setFaults('primary', ['killed-at 4']);
    const first = await run(['--workloads', 'cpu', '--intervals', '100', '--duration', '3']);
    expect(first.code, first.output).toBe(1);
    const failed = trialReasons().find((t) => t.status === 'failed');
    expect(failed?.reason).toMatch(
      /was killed.*xl resume failed \(command not implemented.*FAILOVER: the backup had promoted its copy of tinyh and the primary's is suspended; destroyed the primary's copy and kept the backup's running/,
    );
    expect(domains('primary').map((d) => d.name)).toEqual(['Domain-0']);
    expect(domains('backup').map((d) => d.name)).toEqual(['Domain-0', GUEST]);
    // Resuming refuses to start while the guest runs on the backup, and says what is wrong.
    const resumed = await runCli(['experiment', '--resume', runDir()]);
    expect(resumed.code).toBe(2);
    expect(resumed.output).toMatch(new RegExp(`${GUEST}`));
  });

  it('Ctrl-C while Remus runs: stops it through the backup, both hosts clean, exit 130, resumable', async () => {
    const args = [
      'experiment',
      '--config',
      writeConfig(),
      '--results',
      join(scratch, 'results'),
      '--trials',
      '1',
    ];
    const cli = startCli([
      ...args,
      '--workloads',
      'cpu',
      '--intervals',
      '100',
      '--duration',
      '8',
      '--warmup',
      '0',
      '--no-baseline',
    ]);
    await cli.waitFor(/\[1\/1\] cell/, 60_000);
    // Wait until the primary is replicating (its log shows acknowledged checkpoints), then interrupt.
    const logDir = hosts.config.remus.logDir;
    for (let i = 0; i < 100; i++) {
      const logs = existsSync(logDir)
        ? readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8'))
        : [];
      if (logs.some((text) => text.includes('All records processed'))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    cli.child.kill('SIGINT');
    const { code, output } = await cli.done;
    expect(code, output).toBe(130);
    expect(output).toMatch(/--resume /);
    expectCleanHosts();
    const resumed = await runCli(['experiment', '--resume', runDir()]);
    expect(resumed.code, resumed.output).toBe(0);
    expectCleanHosts();
  });

  it('fault: the primary guest is destroyed: clean failover, reported, the backup copy left as the only one', async () => {
    hosts.setFaults('primary', ['destroyed-at 4']);
    // A backup that takes seconds to fail over: the cleanup must wait for it, not end its receiver.
    hosts.setFaults('backup', ['failover-delay-ms 4000']);
    const { code } = await run(['--workloads', 'cpu', '--intervals', '100', '--duration', '3']);
    expect(code).toBe(1);
    expect(trialReasons().find((t) => t.status === 'failed')?.reason).toMatch(
      /guest was destroyed on the primary.*FAILOVER: tinyh is gone from the primary and now runs only on the backup/,
    );
    expect(domains('backup').map((d) => d.name)).toContain(GUEST);
    expect(domains('primary').map((d) => d.name)).not.toContain(GUEST);
  });
  /** Starts a one-trial protected run and resolves once the backup acknowledged checkpoints. */
  const startReplicating = async (config = writeConfig()) => {
    const earlier = new Set(
      existsSync(hosts.config.remus.logDir) ? readdirSync(hosts.config.remus.logDir) : [],
    );
    const cli = startCli([
      'experiment',
      '--config',
      config,
      '--results',
      join(scratch, 'results'),
      '--trials',
      '1',
      '--workloads',
      'cpu',
      '--intervals',
      '100',
      '--duration',
      '4',
      '--warmup',
      '0',
      '--no-baseline',
    ]);
    await cli.waitFor(/\[1\/1\] cell/, 60_000);
    // This trial's log: the folder keeps the logs of the earlier tests.
    const logDir = hosts.config.remus.logDir;
    for (let i = 0; i < 150; i++) {
      const logs = existsSync(logDir)
        ? readdirSync(logDir)
            .filter((f) => !earlier.has(f))
            .map((f) => readFileSync(join(logDir, f), 'utf8'))
        : [];
      if (logs.some((text) => text.includes('All records processed'))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return cli;
  };
  const guestOn = (host: 'primary' | 'backup') => domains(host).find((d) => d.name === GUEST)?.state;

  it('end states the harness cannot make safe stop the run and say why; nothing else is destroyed', async () => {
    // 1. xl list fails on the backup while Remus runs: which copies run cannot be told.
    const cli = await startReplicating();
    hosts.setFaults('backup', ['list-fails']);
    let done = await cli.done;
    expect(done.code, done.output).toBe(1);
    expect(done.output).toMatch(
      /cannot tell which copies of tinyh run \(primary: running, backup: unknown\): nothing was destroyed/,
    );
    expect(done.output).toMatch(/Stopping the run: the testbed is not safe for another trial/);
    expect(guestOn('primary')).toBe('-b----');
    hosts.setFaults('backup', []);
    hosts.reset();

    // 2. Split brain and the backup's copy cannot be destroyed: two copies, said so, run stopped.
    writeFileSync(join(hosts.primaryState, 'version'), '4.20.0');
    hosts.setFaults('primary', ['killed-at 4']);
    hosts.setFaults('backup', ['destroy-fails']);
    done = await run(['--workloads', 'cpu', '--intervals', '100', '--duration', '3', '--no-baseline']);
    expect(done.code, done.output).toBe(1);
    expect(done.output).toMatch(
      /SPLIT BRAIN.*PROBLEM: xl destroy tinyh on the backup failed \(exit 1: .*devices_destroy failed\)/,
    );
    expect(done.output).toMatch(
      /expected tinyh to run on the primary only, now: primary running, backup running/,
    );
    expect(done.output).toMatch(/Stopping the run/);
    hosts.setFaults('primary', []);
    hosts.setFaults('backup', []);
    hosts.reset();

    // 3. The primary's copy is left paused while the backup fails over: the backup's copy is the
    // guest; the paused one goes, and the run stops (the guest must move back first).
    hosts.setFaults('primary', ['paused-at 4']);
    done = await run(['--workloads', 'cpu', '--intervals', '100', '--duration', '3', '--no-baseline']);
    expect(done.code, done.output).toBe(1);
    expect(done.output).toMatch(
      /FAILOVER: the backup had promoted its copy of tinyh and the primary's is paused; destroyed the primary's copy/,
    );
    expect(guestOn('primary')).toBeUndefined();
    expect(guestOn('backup')).toBe('-b----');
    hosts.setFaults('primary', []);
    hosts.reset();

    // 4. The primary's copy is dying (not healthy) and the backup fails over: the same.
    hosts.setFaults('primary', ['dying-at 4']);
    done = await run(['--workloads', 'cpu', '--intervals', '100', '--duration', '3', '--no-baseline']);
    expect(done.code, done.output).toBe(1);
    expect(done.output).toMatch(
      /the primary's is dying; destroyed the primary's copy and kept the backup's running/,
    );
    expect(guestOn('backup')).toBe('-b----');
    hosts.setFaults('primary', []);
  });

  it('the SSH connection to the backup is lost mid-trial: the run stops and says what it could not see', async () => {
    const cli = await startReplicating();
    expect(hosts.backup.dropSessions()).toBeGreaterThan(0);
    const done = await cli.done;
    expect(done.code, done.output).toBe(1);
    expect(done.output).toMatch(/the backup cannot be reached/);
    expect(done.output).toMatch(
      /a copy it promoted after the stream broke cannot be seen: check `xl list` on 127\.0\.0\.1/,
    );
    expect(guestOn('primary')).toBe('-b----');
    // The harness was right not to trust the backup: its receiver lost the stream and failed over.
    expect(guestOn('backup')).toBe('-b----');
  });

  it('an xl remus for the guest that the harness did not start is refused before anything starts', async () => {
    // A stray replication stream, left by someone or something else (the stand-in with -b needs no backup).
    const xl = spawn(join(hosts.standin, 'xl'), ['remus', '-F', '-b', '-i', '1000', GUEST, 'nowhere'], {
      env: { ...process.env, XL_STANDIN_DIR: hosts.primaryState },
      stdio: 'ignore',
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { code, output } = await run(['--workloads', 'cpu', '--intervals', '100', '--no-baseline']);
      expect(code).toBe(2);
      expect(output).toMatch(
        /an xl remus for "tinyh" already runs there \(pid \d+: .*xl(\.mjs)? remus -F -b/,
      );
    } finally {
      xl.kill('SIGKILL');
    }
  });
  it('Ctrl-C to the process group during the initial copy stops at once (not after readyTimeoutS); both hosts clean', async () => {
    hosts.setFaults('primary', ['copy-ms 120000']);
    const logDir = hosts.config.remus.logDir;
    const earlier = new Set(existsSync(logDir) ? readdirSync(logDir) : []);
    const run = startNpmRun('experiment', [
      '--config',
      writeConfig(),
      '--results',
      join(scratch, 'results'),
      '--trials',
      '1',
      '--workloads',
      'cpu',
      '--intervals',
      '100',
      '--duration',
      '3',
      '--warmup',
      '0',
      '--no-baseline',
    ]);
    await run.waitFor(/\[1\/1\] cell/, 60_000);
    for (let i = 0; i < 100; i++) {
      const copying = (existsSync(logDir) ? readdirSync(logDir) : [])
        .filter((f) => !earlier.has(f))
        .some((f) => readFileSync(join(logDir, f), 'utf8').includes('Frames iteration'));
      if (copying) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const began = performance.now();
    run.killGroup('SIGINT');
    await run.allGone(90_000);
    // Without the abort the wait would last until readyTimeoutS (30 s here) and then clean up.
    expect(performance.now() - began).toBeLessThan(hosts.config.readyTimeoutS * 1000);
    expect(run.output()).toMatch(
      /interrupted while waiting for the first checkpoint|Interrupted\. Finished trials/,
    );
    expect(run.output()).toMatch(/--resume /);
    expectCleanHosts();
  });
});
