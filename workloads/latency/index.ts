import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { LatencyWorkloadConfig } from '../../harness/config/schema.ts';
import type { Endpoint, Guest, GuestProcess } from '../../harness/testbeds/types.ts';
import type { MetricSpec, TrialContext, TrialResult, Workload, WorkloadModule } from '../types.ts';
import { type PacedResult, runPacedClient } from './paced-client.ts';

const ECHO_SERVER = fileURLToPath(new URL('./guest/echo-server.mjs', import.meta.url));

const METRICS: MetricSpec[] = [
  { name: 'rtt_p50_us', unit: 'µs', better: 'lower', headline: true, label: 'RTT p50' },
  { name: 'rtt_p90_us', unit: 'µs', better: 'lower' },
  { name: 'rtt_p99_us', unit: 'µs', better: 'lower', headline: true, label: 'RTT p99' },
  { name: 'rtt_p999_us', unit: 'µs', better: 'lower' },
  { name: 'rtt_max_us', unit: 'µs', better: 'lower' },
  { name: 'rtt_mean_us', unit: 'µs', better: 'lower' },
  { name: 'requests', unit: 'count', better: 'info' },
  { name: 'lost', unit: 'count', better: 'lower' },
  { name: 'send_lag_p99_us', unit: 'µs', better: 'info' },
];

/**
 * Latency-sensitive network workload: a TCP echo server in the guest, an open-loop paced client on
 * the harness side whose replies cross the testbed's output-commit path.
 */
export function latencyWorkload(config: LatencyWorkloadConfig): WorkloadModule {
  return {
    name: 'latency',
    description: `TCP echo in the guest, open-loop paced client outside (${config.ratePerS} req/s); RTT in µs`,
    metrics: METRICS,
    requiredTools: [],
    create: () => new LatencyWorkload(config),
  };
}

class LatencyWorkload implements Workload {
  readonly name = 'latency';
  readonly metrics = METRICS;
  private server: GuestProcess | null = null;
  private endpoint: Endpoint | null = null;

  constructor(private readonly config: LatencyWorkloadConfig) {}

  async prepare(guest: Guest): Promise<void> {
    this.server = guest.spawn([process.execPath, ECHO_SERVER, '--host', guest.bindAddress, '--port', '0']);
    const match = await this.server.waitForLine(/^listening (\d+)$/, 10_000);
    this.endpoint = await guest.endpoint(Number(match[1]));
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    if (!this.endpoint) throw new Error('latency workload: trial before prepare');
    const result = await runPacedClient({
      endpoint: this.endpoint,
      ratePerS: this.config.ratePerS,
      warmupS: context.warmupS,
      durationS: context.durationS,
      payloadBytes: this.config.payloadBytes,
      timeoutMs: this.config.timeoutMs,
      signal: context.signal,
    });
    return { measurements: measurements(result), artifacts: writeArtifacts(context.artifactsDir, result) };
  }

  async teardown(): Promise<void> {
    await this.server?.kill();
    this.server = null;
  }
}

function measurements(result: PacedResult): TrialResult['measurements'] {
  const h = result.histogram;
  if (result.measuredReceived === 0) {
    throw new Error(`no echo came back (${result.measuredSent} requests sent, all lost)`);
  }
  return [
    { metric: 'rtt_p50_us', value: h.getValueAtPercentile(50) },
    { metric: 'rtt_p90_us', value: h.getValueAtPercentile(90) },
    { metric: 'rtt_p99_us', value: h.getValueAtPercentile(99) },
    { metric: 'rtt_p999_us', value: h.getValueAtPercentile(99.9) },
    { metric: 'rtt_max_us', value: h.maxValue },
    { metric: 'rtt_mean_us', value: Number(h.mean.toFixed(1)) },
    { metric: 'requests', value: result.measuredSent },
    { metric: 'lost', value: result.lost },
    { metric: 'send_lag_p99_us', value: result.sendLagUs.p99 },
  ];
}

/** The lossless histogram (HdrHistogram V2, base64) and the per-request log, for later merging. */
function writeArtifacts(dir: string, result: PacedResult): string[] {
  writeFileSync(join(dir, 'rtt-histogram.hdr.b64'), `${encodeIntoCompressedBase64(result.histogram)}\n`);
  const { intended, sent, received } = result.times;
  const rows = ['seq,intended_ms,sent_ms,received_ms,measured'];
  for (let i = 0; i < intended.length; i++) {
    const r = received[i] as number;
    rows.push(
      `${i},${(intended[i] as number).toFixed(3)},${(sent[i] as number).toFixed(3)},${Number.isNaN(r) ? '' : r.toFixed(3)},${(intended[i] as number) >= result.measureStartMs ? 1 : 0}`,
    );
  }
  writeFileSync(join(dir, 'requests.csv'), `${rows.join('\n')}\n`);
  return ['rtt-histogram.hdr.b64', 'requests.csv'];
}
