import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { percentile } from '../../analysis/stats.ts';
import type { Endpoint } from '../../harness/testbeds/types.ts';
import { monotonicMs } from '../../harness/util/precise-wait.ts';
import { measurements } from '../../workloads/latency/index.ts';
import { newHistogram, runPacedClient, summarize } from '../../workloads/latency/paced-client.ts';
import { runPingPong } from '../../workloads/latency/ping-pong.ts';
import { requireTools } from '../helpers/tools.ts';

const ECHO_SERVER = fileURLToPath(new URL('../../workloads/latency/guest/echo-server.mjs', import.meta.url));
const servers: ChildProcess[] = [];
afterEach(() => {
  // Each server leads its own process group: SIGKILL to the group ends socat's forked children too.
  for (const server of servers.splice(0)) {
    if (server.pid === undefined) continue;
    process.kill(-server.pid, 'SIGCONT');
    process.kill(-server.pid, 'SIGKILL');
  }
});

/** A real echo server (TCP + UDP) on loopback. */
async function startEchoServer(extra: string[] = []): Promise<{ endpoint: Endpoint; process: ChildProcess }> {
  const child = spawn(process.execPath, [ECHO_SERVER, '--host', '127.0.0.1', '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  servers.push(child);
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  return { endpoint: { host: '127.0.0.1', port }, process: child };
}

/** The pids of a process's children (pgrep -P). */
function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

const signal = () => new AbortController().signal;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops the server process for `ms` after `afterMs` (a guest stall, as a long pause would cause);
 * resolves with the monotonicMs time the stall began.
 */
function stallLater(server: ChildProcess, afterMs: number, ms: number): Promise<number> {
  return sleep(afterMs).then(async () => {
    server.kill('SIGSTOP');
    const began = monotonicMs();
    await sleep(ms);
    server.kill('SIGCONT');
    return began;
  });
}

describe('paced (open-loop) client against a real echo server', { timeout: 30_000 }, () => {
  it('sends at the configured rate on its own schedule, and measures its send lag', async () => {
    const { endpoint } = await startEchoServer();
    const result = await runPacedClient({
      endpoint,
      transport: 'tcp',
      ratePerS: 500,
      warmupS: 0.2,
      durationS: 2,
      payloadBytes: 32,
      timeoutMs: 1000,
      signal: signal(),
    });
    expect(result.measuredSent).toBe(1000);
    expect(result.achievedRatePerS).toBe(500);
    expect(result.lost).toBe(0);
    // Actual send times: mean spacing 2 ms within 1 % (the schedule does not drift; a late send
    // does not push the later ones back), never before the due time, and the client's own lag is
    // measured from those times. How small that lag is on an idle machine is the network bench's
    // figure (bench/network.ts), not a bound here: a loaded machine delays any client's sends.
    const sent = [...result.times.sent];
    const due = [...result.times.intended];
    const spacing = ((sent.at(-1) as number) - (sent[0] as number)) / (sent.length - 1);
    expect(Math.abs(spacing - 2) / 2).toBeLessThan(0.01);
    const lagsUs = sent.map((t, i) => (t - (due[i] as number)) * 1000);
    expect(Math.min(...lagsUs)).toBeGreaterThanOrEqual(-10);
    const measured = lagsUs.filter((_, i) => (due[i] as number) >= result.measureStartMs);
    const expectedP99 = Math.max(1, Math.round(percentile(measured, 99)));
    // The lag histogram keeps 3 significant digits.
    expect(Math.abs(result.sendLagUs.p99 - expectedP99)).toBeLessThanOrEqual(Math.max(1, expectedP99 / 500));
  });

  it('shows a 200 ms server stall in its tail without losing samples; the closed-loop view hides it', async () => {
    const { endpoint, process: server } = await startEchoServer();
    const common = {
      endpoint,
      transport: 'tcp' as const,
      payloadBytes: 32,
      timeoutMs: 2000,
      signal: signal(),
    };

    const [open] = await Promise.all([
      runPacedClient({ ...common, ratePerS: 500, warmupS: 0, durationS: 2 }),
      stallLater(server, 800, 200),
    ]);
    expect(open.measuredSent).toBe(1000); // the schedule did not slow down
    expect(open.lost).toBe(0);
    expect(open.histogram.maxValue).toBeGreaterThan(180_000);
    // Requests due during the stall waited up to 200 ms: about 100 of them over 50 ms.
    const slow = [...open.times.received].filter(
      (r, i) => r - (open.times.intended[i] as number) > 50,
    ).length;
    expect(slow).toBeGreaterThan(60);

    const [closed, stallStart] = await Promise.all([
      runPingPong({ ...common, durationS: 1.5 }),
      stallLater(server, 500, 200),
    ]);
    // Closed loop: one request waited out the stall and the ~200 ms of samples are simply missing,
    // so the stall hardly shows in its percentiles.
    expect(closed.histogram.maxValue).toBeGreaterThan(180_000);
    expect(closed.histogram.getValueAtPercentile(99)).toBeLessThan(50_000);
    const within = (from: number, to: number) => closed.sendTimesMs.filter((t) => t >= from && t < to).length;
    expect(within(stallStart + 5, stallStart + 195)).toBeLessThanOrEqual(1);
    expect(within(stallStart - 200, stallStart - 10)).toBeGreaterThan(100);
  });

  it('counts lost UDP datagrams instead of dropping them silently', async () => {
    const { endpoint } = await startEchoServer(['--drop-every', '10']);
    const result = await runPacedClient({
      endpoint,
      transport: 'udp',
      ratePerS: 500,
      warmupS: 0,
      durationS: 1,
      payloadBytes: 32,
      timeoutMs: 300,
      signal: signal(),
    });
    expect(result.measuredSent).toBe(500);
    expect(result.lost).toBe(50);
    expect(result.measuredReceived).toBe(450);
    expect(result.histogram.totalCount).toBe(450);
  });
});

/** socat's UDP echo (PIPE), the Xen lab guest's server, on loopback; SIGKILL ends it and its children. */
async function startSocatUdpEcho(): Promise<{ endpoint: Endpoint; process: ChildProcess }> {
  const child = spawn('socat', ['-d', '-d', 'UDP4-LISTEN:0,bind=127.0.0.1,fork,reuseaddr', 'PIPE'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  servers.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /listening on UDP AF=2 [\d.]+:(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  return { endpoint: { host: '127.0.0.1', port }, process: child };
}

describe('UDP echo through a byte stream (socat PIPE)', () => {
  it('counts every request answered when a stalled server returns several in one datagram', async () => {
    await requireTools([
      { command: 'socat', debianPackage: 'socat', neededBy: 'this test (the socat UDP echo)' },
    ]);
    const { endpoint } = await startSocatUdpEcho();
    const input = {
      endpoint,
      transport: 'udp' as const,
      payloadBytes: 32,
      timeoutMs: 2000,
      signal: signal(),
    };
    // socat forks a child for the first peer; stall that child (the one that echoes) repeatedly.
    const [result] = await Promise.all([
      runPacedClient({ ...input, ratePerS: 500, warmupS: 0.1, durationS: 1.5 }),
      (async () => {
        await sleep(300);
        for (let i = 0; i < 5; i++) {
          for (const pid of childPids(servers.at(-1)?.pid)) process.kill(pid, 'SIGSTOP');
          await sleep(40);
          for (const pid of childPids(servers.at(-1)?.pid)) process.kill(pid, 'SIGCONT');
          await sleep(150);
        }
      })(),
    ]);
    expect(result.measuredSent).toBe(750);
    expect(result.lost).toBe(0);
    expect(result.histogram.totalCount).toBe(750);
  });
});

describe('latency metrics of a trial', () => {
  it('a closed loop in which every round trip timed out has no percentiles (not 0 µs), only its counts', () => {
    const times = {
      intended: new Float64Array([0]),
      sent: new Float64Array([0]),
      received: new Float64Array([5]),
    };
    const open = summarize(times, 0, 1);
    const closed = { histogram: newHistogram(), samples: 0, timeouts: 1, sendTimesMs: [0] };
    const metrics = Object.fromEntries(measurements(open, closed).map((m) => [m.metric, m.value]));
    expect(metrics.closed_rtt_p50_us).toBeUndefined();
    expect(metrics.closed_rtt_p99_us).toBeUndefined();
    expect(metrics.closed_samples).toBe(0);
    expect(metrics.closed_timeouts).toBe(1);
    expect(metrics.rtt_p50_us).toBeGreaterThan(4000);
  });
});
