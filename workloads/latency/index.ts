import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Guest, ProtectionReport } from '../../harness/testbeds/types.ts';
import { endpointLabel, runClientFor, type WorkloadClient } from '../client-process.ts';
import { GuestServer, startGuestServer, startSocatEcho } from '../guest-server.ts';
import {
  defineWorkload,
  type Measurement,
  type MetricSpec,
  type TrialContext,
  type TrialResult,
  type Workload,
  type WorkloadModule,
} from '../types.ts';
import {
  decodeClientOutput,
  type LatencyClientInput,
  type LatencyClientOutput,
  runClient,
} from './client.ts';
import {
  LATENCY_DEFAULTS,
  LATENCY_XEN_LAB,
  type LatencyWorkloadConfig,
  latencyWorkloadSchema,
} from './config.ts';
import type { PacedResult } from './paced-client.ts';
import { phaseAnalysis } from './phase.ts';
import type { PingPongResult } from './ping-pong.ts';

const ECHO_SERVER = fileURLToPath(new URL('./guest/echo-server.mjs', import.meta.url));
const CLIENT: WorkloadClient<LatencyClientInput, LatencyClientOutput> = {
  module: fileURLToPath(new URL('./client.ts', import.meta.url)),
  run: runClient,
};

const METRICS: MetricSpec[] = [
  {
    name: 'rtt_p50_us',
    unit: 'µs',
    better: 'lower',
    primary: true,
    headline: true,
    roundTrip: true,
    label: 'RTT p50',
  },
  { name: 'rtt_p90_us', unit: 'µs', better: 'lower' },
  { name: 'rtt_p99_us', unit: 'µs', better: 'lower', headline: true, label: 'RTT p99' },
  { name: 'rtt_p999_us', unit: 'µs', better: 'lower' },
  { name: 'rtt_max_us', unit: 'µs', better: 'lower' },
  { name: 'rtt_mean_us', unit: 'µs', better: 'lower' },
  { name: 'requests', unit: 'count', better: 'info' },
  { name: 'lost', unit: 'count', better: 'lower' },
  { name: 'achieved_rate_per_s', unit: 'req/s', better: 'info' },
  { name: 'send_lag_p99_us', unit: 'µs', better: 'info' },
  { name: 'closed_rtt_p50_us', unit: 'µs', better: 'lower' },
  { name: 'closed_rtt_p99_us', unit: 'µs', better: 'lower' },
  { name: 'closed_samples', unit: 'count', better: 'info' },
  { name: 'closed_timeouts', unit: 'count', better: 'lower' },
  { name: 'model_error_p50_us', unit: 'µs', better: 'info' },
  { name: 'model_within_1ms', unit: 'fraction', better: 'info' },
];

/**
 * Latency-sensitive network workload: a TCP/UDP echo server in the guest; outside it, an open-loop
 * paced client (the RTT of record, from intended send times) and a closed-loop ping-pong (second
 * view). Under protection each request's phase in the checkpoint epoch is related to its RTT.
 */
function configureLatency(config: LatencyWorkloadConfig): WorkloadModule {
  return {
    name: 'latency',
    description: `${config.transport.toUpperCase()} echo (${config.echoServer}) in the guest; open-loop paced client (${config.ratePerS} req/s) and closed-loop ping-pong outside; RTT in µs`,
    metrics: METRICS,
    requiredTools:
      config.echoServer === 'socat'
        ? [{ command: 'socat', debianPackage: 'socat', neededBy: 'the latency workload (echoServer socat)' }]
        : [],
    create: () => new LatencyWorkload(config),
  };
}

export const latencyWorkload = defineWorkload({
  name: 'latency',
  configSchema: latencyWorkloadSchema,
  defaults: LATENCY_DEFAULTS,
  testbedDefaults: { 'xen-lab': LATENCY_XEN_LAB },
  quick: true,
  configure: configureLatency,
});

class LatencyWorkload implements Workload {
  readonly name = 'latency';
  readonly metrics = METRICS;
  private readonly server = new GuestServer('latency');
  private openLoop: PacedResult | null = null;

  constructor(private readonly config: LatencyWorkloadConfig) {}

  async prepare(guest: Guest): Promise<void> {
    await this.server.start(
      this.config.echoServer === 'socat'
        ? startSocatEcho(guest, this.config.transport)
        : startGuestServer(guest, ECHO_SERVER, [], this.config.transport),
    );
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    const endpoint = this.server.endpoint;
    const input: LatencyClientInput = {
      endpoint: { host: endpoint.host, port: endpoint.port },
      transport: this.config.transport,
      payloadBytes: this.config.payloadBytes,
      timeoutMs: this.config.timeoutMs,
      ratePerS: this.config.ratePerS,
      warmupS: context.warmupS,
      durationS: context.durationS,
      closedLoopS: this.config.closedLoopS,
    };
    const output = await runClientFor(endpoint, CLIENT, input, context.signal);
    const { open, closed } = decodeClientOutput(output, context.durationS);
    this.openLoop = open;
    if (open.measuredReceived === 0) {
      throw new Error(
        `no echo came back from ${endpointLabel(endpoint)} (${open.measuredSent} requests sent, all lost)`,
      );
    }
    writeFileSync(
      join(context.artifactsDir, 'rtt-histogram.hdr.b64'),
      `${encodeIntoCompressedBase64(open.histogram)}\n`,
    );
    if (closed) {
      writeFileSync(
        join(context.artifactsDir, 'closed-loop-histogram.hdr.b64'),
        `${encodeIntoCompressedBase64(closed.histogram)}\n`,
      );
    }
    writeRequestLog(context.artifactsDir, open, null);
    return { measurements: measurements(open, closed), artifacts: ['rtt-histogram.hdr.b64', 'requests.csv'] };
  }

  /** With the protection's checkpoint times: each request's epoch phase and the mechanism's prediction. */
  afterProtection(report: ProtectionReport, artifactsDir: string): Measurement[] {
    // The phase model reads a request's place in an epoch of fixed length; adaptive epochs vary.
    if (!this.openLoop || report.checkpoints.length < 2 || report.summary.adaptive) return [];
    const phases = phaseAnalysis(
      this.openLoop.times,
      this.openLoop.measureStartMs,
      report.checkpoints,
      report.summary.intervalMs,
    );
    writeRequestLog(artifactsDir, this.openLoop, phases.rows);
    writeFileSync(
      join(artifactsDir, 'phase.json'),
      `${JSON.stringify({ intervalMs: report.summary.intervalMs, errorUs: phases.errorUs, withinOneMs: phases.withinOneMs, medianRttMsByPhaseDecile: phases.medianByDecile })}\n`,
    );
    return [
      { metric: 'model_error_p50_us', value: phases.errorUs.p50 },
      { metric: 'model_within_1ms', value: Number(phases.withinOneMs.toFixed(4)) },
    ];
  }

  teardown(): Promise<void> {
    return this.server.stop();
  }
}

/** The stored metrics of one trial (exported for tests). */
export function measurements(open: PacedResult, closed: PingPongResult | null): Measurement[] {
  const h = open.histogram;
  const out: Measurement[] = [
    { metric: 'rtt_p50_us', value: h.getValueAtPercentile(50) },
    { metric: 'rtt_p90_us', value: h.getValueAtPercentile(90) },
    { metric: 'rtt_p99_us', value: h.getValueAtPercentile(99) },
    { metric: 'rtt_p999_us', value: h.getValueAtPercentile(99.9) },
    { metric: 'rtt_max_us', value: h.maxValue },
    { metric: 'rtt_mean_us', value: Number(h.mean.toFixed(1)) },
    { metric: 'requests', value: open.measuredSent },
    { metric: 'lost', value: open.lost },
    { metric: 'achieved_rate_per_s', value: Number(open.achievedRatePerS.toFixed(2)) },
    { metric: 'send_lag_p99_us', value: open.sendLagUs.p99 },
  ];
  if (closed) {
    // No round trip completed (every one timed out): no percentile, not a 0 µs one.
    if (closed.samples > 0)
      out.push(
        { metric: 'closed_rtt_p50_us', value: closed.histogram.getValueAtPercentile(50) },
        { metric: 'closed_rtt_p99_us', value: closed.histogram.getValueAtPercentile(99) },
      );
    out.push(
      { metric: 'closed_samples', value: closed.samples },
      { metric: 'closed_timeouts', value: closed.timeouts },
    );
  }
  return out;
}

/** The raw per-request log (µs resolution, ms units relative to the first due time). */
function writeRequestLog(
  dir: string,
  result: PacedResult,
  phases: ReturnType<typeof phaseAnalysis>['rows'] | null,
): void {
  const { intended, sent, received } = result.times;
  const t0 = intended[0] ?? 0;
  const bySeq = new Map((phases ?? []).map((p) => [p.seq, p]));
  const rows = ['seq,intended_ms,sent_ms,received_ms,measured,epoch_phase,predicted_rtt_ms'];
  const ms = (v: number) => (Number.isNaN(v) ? '' : (v - t0).toFixed(3));
  for (let i = 0; i < intended.length; i++) {
    const p = bySeq.get(i);
    rows.push(
      `${i},${ms(intended[i] as number)},${ms(sent[i] as number)},${ms(received[i] as number)},${(intended[i] as number) >= result.measureStartMs ? 1 : 0},${p ? p.phase.toFixed(4) : ''},${p ? p.predictedMs.toFixed(3) : ''}`,
    );
  }
  writeFileSync(join(dir, 'requests.csv'), `${rows.join('\n')}\n`);
}
