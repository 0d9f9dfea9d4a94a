/**
 * Network workloads against the reference tools, on the same path (through the emulated testbed's
 * output-commit proxy), first unprotected, then with protection at 25 ms:
 * - RTT: our closed-loop ping-pong vs `sockperf ping-pong --full-rtt` (both back-to-back, UDP,
 *   against the same echo server, which answers sockperf's messages as `sockperf server` would),
 *   our open-loop paced client (with its own send lag: how late each request left against its
 *   schedule), and `ping` (ICMP cannot cross an L4 proxy: it shows the host's
 *   loopback floor only);
 * - HTTP: autocannon vs `wrk -t1` on the same server, req/s and client CPU seconds;
 * - under protection: the RTT of each paced request against the mechanism's prediction (a reply
 *   is released when the first checkpoint after its send commits) and the phase plot data.
 * Each measurement is repeated; medians and [min, max] are printed.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { median } from '../analysis/stats.ts';
import { ensureTools } from '../harness/setup/system-packages.ts';
import { EmulatedTestbed } from '../harness/testbeds/emulated/index.ts';
import type { Endpoint, GuestSession, Protection } from '../harness/testbeds/types.ts';
import { PROJECT_ROOT } from '../harness/version.ts';
import { startGuestServer } from '../workloads/guest-server.ts';
import { runPacedClient } from '../workloads/latency/paced-client.ts';
import { phaseAnalysis } from '../workloads/latency/phase.ts';
import { runPingPong } from '../workloads/latency/ping-pong.ts';

const REPETITIONS = Number(process.env.NETWORK_BENCH_REPETITIONS ?? 3);
const SECONDS = 3;
const INTERVAL_MS = 25;
const signal = new AbortController().signal;

const stats = (values: number[], digits = 1) =>
  `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}, ${Math.max(...values).toFixed(digits)}]`;

/** sockperf prints ANSI colours even into a pipe; percentiles in µs (full RTT). */
async function sockperfPingPong(endpoint: Endpoint): Promise<{ p50: number; p99: number }> {
  const { stdout } = await execa(
    'sockperf',
    ['ping-pong', '-i', endpoint.host, '-p', String(endpoint.port), '--full-rtt', '-t', String(SECONDS)],
    { reject: false },
  );
  const text = stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  if (/No messages were received/.test(text))
    throw new Error('sockperf: no messages received from the server');
  const pct = (p: string) => Number(new RegExp(`percentile ${p} =\\s+([\\d.]+)`).exec(text)?.[1]);
  return { p50: pct('50.000'), p99: pct('99.000') };
}

async function pingLoopback(): Promise<{ p50: number; p99: number }> {
  const { stdout } = await execa('ping', ['-c', '300', '-i', '0.01', '-n', '127.0.0.1']);
  const times = [...stdout.matchAll(/time=([\d.]+) ms/g)]
    .map((m) => Number(m[1]) * 1000)
    .sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length * 0.5)] as number,
    p99: times[Math.floor(times.length * 0.99)] as number,
  };
}

async function wrk(endpoint: Endpoint): Promise<{ reqPerS: number; p50Us: number; cpuS: number }> {
  const { stdout, stderr } = await execa('/usr/bin/time', [
    '-f',
    'CPU %U %S',
    'wrk',
    '-t1',
    '-c10',
    `-d${SECONDS}s`,
    '--latency',
    `http://${endpoint.host}:${endpoint.port}/`,
  ]);
  const reqPerS = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const p50Us = p50 ? Number(p50[1]) * (p50[2] === 'ms' ? 1000 : p50[2] === 's' ? 1e6 : 1) : Number.NaN;
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(stderr);
  return { reqPerS, p50Us, cpuS: Number(cpu?.[1]) + Number(cpu?.[2]) };
}

function autocannonChild(endpoint: Endpoint): { reqPerS: number; p50Ms: number; cpuS: number } {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(PROJECT_ROOT, 'bench/autocannon-child.ts'),
      `http://${endpoint.host}:${endpoint.port}/`,
      '10',
      String(SECONDS),
    ],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

interface Servers {
  session: GuestSession;
  echo: Endpoint;
  http: Endpoint;
}

async function startServers(testbed: EmulatedTestbed): Promise<Servers> {
  const session = await testbed.startGuest({ label: 'bench-network' });
  // One echo server answers both our clients and sockperf's (--sockperf), so only the client differs.
  const echo = await startGuestServer(
    session.guest,
    join(PROJECT_ROOT, 'workloads/latency/guest/echo-server.mjs'),
    ['--sockperf'],
    'udp',
  );
  const http = await startGuestServer(
    session.guest,
    join(PROJECT_ROOT, 'workloads/http/guest/http-server.mjs'),
  );
  return { session, echo: echo.endpoint, http: http.endpoint };
}

async function phase(servers: Servers, protection: Protection | null, label: string): Promise<void> {
  const ours: number[][] = [[], [], [], []];
  const sendLag: number[][] = [[], []];
  const sock: number[][] = [[], []];
  const pings: number[][] = [[], []];
  const ac: number[][] = [[], []];
  const wr: number[][] = [[], []];
  const model: number[][] = [[], []];
  const deciles: number[][] = [];
  for (let r = 0; r < REPETITIONS; r++) {
    const client = {
      endpoint: servers.echo,
      transport: 'udp' as const,
      payloadBytes: 64,
      timeoutMs: 1000,
      signal,
    };
    const pp = await runPingPong({ ...client, durationS: SECONDS });
    ours[0]?.push(pp.histogram.getValueAtPercentile(50));
    ours[1]?.push(pp.histogram.getValueAtPercentile(99));
    const s = await sockperfPingPong(servers.echo);
    sock[0]?.push(s.p50);
    sock[1]?.push(s.p99);
    const paced = await runPacedClient({ ...client, ratePerS: 211, warmupS: 0.5, durationS: SECONDS });
    ours[2]?.push(paced.histogram.getValueAtPercentile(50));
    ours[3]?.push(paced.histogram.getValueAtPercentile(99));
    sendLag[0]?.push(paced.sendLagUs.p50);
    sendLag[1]?.push(paced.sendLagUs.p99);
    const p = await pingLoopback();
    pings[0]?.push(p.p50);
    pings[1]?.push(p.p99);
    const a = autocannonChild(servers.http);
    ac[0]?.push(a.reqPerS);
    ac[1]?.push(a.cpuS);
    const w = await wrk(servers.http);
    wr[0]?.push(w.reqPerS);
    wr[1]?.push(w.cpuS);
    if (protection) {
      // The protection keeps running; its checkpoint times so far cover this repetition.
      const report = await protection.stop();
      const analysis = phaseAnalysis(paced.times, paced.measureStartMs, report.checkpoints, INTERVAL_MS);
      model[0]?.push(analysis.withinOneMs * 100);
      model[1]?.push(analysis.errorUs.p50);
      deciles.push(analysis.medianByDecile);
      protection = await servers.session.protect(INTERVAL_MS);
      currentProtection = protection;
    }
  }
  const ratio = (a: number[], b: number[]) =>
    stats(
      a.map((x, i) => x / (b[i] as number)),
      3,
    );
  console.log(`\n-- ${label} (${REPETITIONS} repetitions of ${SECONDS} s each; median [min, max]) --`);
  console.log(
    `RTT UDP, closed loop, µs     ours p50 ${stats(ours[0] as number[])}  p99 ${stats(ours[1] as number[])}`,
  );
  console.log(
    `                             sockperf p50 ${stats(sock[0] as number[])}  p99 ${stats(sock[1] as number[])}`,
  );
  console.log(
    `                             ours/sockperf p50 ${ratio(ours[0] as number[], sock[0] as number[])}  p99 ${ratio(ours[1] as number[], sock[1] as number[])}`,
  );
  console.log(
    `                             p50 difference ours - sockperf, µs: ${stats((ours[0] as number[]).map((x, i) => x - ((sock[0] as number[])[i] as number)))}`,
  );
  console.log(
    `RTT UDP, open loop 211/s, µs ours p50 ${stats(ours[2] as number[])}  p99 ${stats(ours[3] as number[])}`,
  );
  console.log(
    `  its send lag (actual send - due time), µs p50 ${stats(sendLag[0] as number[])}  p99 ${stats(sendLag[1] as number[])}`,
  );
  console.log(
    `ping 127.0.0.1 (host floor, not through the proxy), µs p50 ${stats(pings[0] as number[])}  p99 ${stats(pings[1] as number[])}`,
  );
  console.log(
    `HTTP req/s                   autocannon ${stats(ac[0] as number[])}  wrk ${stats(wr[0] as number[])}  ratio ${ratio(ac[0] as number[], wr[0] as number[])}`,
  );
  console.log(
    `HTTP client CPU s per run    autocannon ${stats(ac[1] as number[])}  wrk ${stats(wr[1] as number[])}`,
  );
  if (model[0]?.length) {
    console.log(
      `Mechanism model (reply released at the first commit after the send): ${stats(model[0])} % of requests within 1 ms; |error| p50 ${stats(model[1] as number[])} µs`,
    );
    const byDecile = Array.from({ length: 10 }, (_, d) => median(deciles.map((row) => row[d] as number)));
    console.log(
      `Phase plot data, median RTT (ms) by send phase decile 0-10 % .. 90-100 %: ${byDecile.map((v) => v.toFixed(1)).join(', ')}`,
    );
    console.log(
      `  (prediction for ${INTERVAL_MS} ms epochs: from about ${INTERVAL_MS} ms at phase 0 down to about 0 at phase 1, mean ${INTERVAL_MS / 2} ms + pause)`,
    );
  }
}

let currentProtection: Protection | null = null;

export async function benchNetwork(): Promise<void> {
  await ensureTools(
    [
      { command: 'sockperf', debianPackage: 'sockperf', neededBy: 'the network bench' },
      { command: 'wrk', debianPackage: 'wrk', neededBy: 'the network bench' },
      { command: 'ping', debianPackage: 'iputils-ping', neededBy: 'the network bench' },
      { command: '/usr/bin/time', debianPackage: 'time', neededBy: 'the network bench' },
    ],
    (line) => console.log(line),
  );
  const testbed = new EmulatedTestbed({ freezer: 'auto', priority: 'auto', tracking: 'auto' });
  const facts = await testbed.probe();
  console.log(
    `network bench: emulated testbed, freezer ${facts.mechanisms.freezer}, controller ${facts.mechanisms.controllerPriority}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const servers = await startServers(testbed);
  try {
    await phase(servers, null, 'no protection');
    currentProtection = await servers.session.protect(INTERVAL_MS);
    await phase(servers, currentProtection, `protection at ${INTERVAL_MS} ms`);
  } finally {
    await currentProtection?.stop().catch(() => {});
    await servers.session.stop();
    await testbed.dispose();
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}
