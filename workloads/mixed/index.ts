import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Guest } from '../../harness/testbeds/types.ts';
import { endpointLabel, runClientFor, type WorkloadClient } from '../client-process.ts';
import { GuestServer, startGuestServer } from '../guest-server.ts';
import { decodeOpenLoop, type OpenLoopTimes } from '../latency/client.ts';
import {
  defineWorkload,
  type MetricSpec,
  type TrialContext,
  type TrialResult,
  type Workload,
  type WorkloadModule,
} from '../types.ts';
import { type MixedClientInput, runClient } from './client.ts';
import { MIXED_DEFAULTS, type MixedWorkloadConfig, mixedWorkloadSchema } from './config.ts';

const MIXED_SERVER = fileURLToPath(new URL('./guest/mixed-server.mjs', import.meta.url));
const CLIENT: WorkloadClient<MixedClientInput, OpenLoopTimes> = {
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
    // Not `roundTrip`: finding (ii) is read on the latency-sensitive application alone (the latency
    // workload); this request time also holds the guest's CPU work.
    label: 'request time p50',
  },
  { name: 'rtt_p90_us', unit: 'µs', better: 'lower' },
  { name: 'rtt_p99_us', unit: 'µs', better: 'lower', headline: true, label: 'request time p99' },
  { name: 'rtt_max_us', unit: 'µs', better: 'lower' },
  {
    name: 'replies_per_s',
    unit: 'req/s',
    better: 'higher',
    headline: true,
    label: 'replies/s',
  },
  { name: 'requests', unit: 'count', better: 'info' },
  { name: 'lost', unit: 'count', better: 'lower' },
  { name: 'work_iterations_per_s', unit: 'iterations/s', better: 'higher' },
  { name: 'send_lag_p99_us', unit: 'µs', better: 'info' },
];

/**
 * Processing and communication together (Adaptive Remus's case): an HTTP server in the guest that
 * does a fixed amount of CPU work per request, driven open-loop at a set rate from outside. Request
 * time counts from each request's due time (no coordinated omission), so a paused or slowed guest
 * shows as time, and replies per second fall only when the guest cannot keep up.
 */
function configureMixed(config: MixedWorkloadConfig): WorkloadModule {
  return {
    name: 'mixed',
    description: `HTTP server in the guest doing ${config.workIterations} xorshift rounds per request; open-loop client at ${config.ratePerS} req/s outside; request time in µs`,
    metrics: METRICS,
    requiredTools: [],
    create: () => new MixedWorkload(config),
  };
}

export const mixedWorkload = defineWorkload({
  name: 'mixed',
  configSchema: mixedWorkloadSchema,
  defaults: MIXED_DEFAULTS,
  quick: false,
  unavailableOn: { 'xen-lab': "its server is a Node program and the lab's guest has no Node" },
  configure: configureMixed,
});

class MixedWorkload implements Workload {
  readonly name = 'mixed';
  readonly metrics = METRICS;
  private readonly server = new GuestServer('mixed');

  constructor(private readonly config: MixedWorkloadConfig) {}

  async prepare(guest: Guest): Promise<void> {
    await this.server.start(
      startGuestServer(guest, MIXED_SERVER, ['--work-iterations', String(this.config.workIterations)]),
    );
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    const endpoint = this.server.endpoint;
    const input: MixedClientInput = {
      endpoint: { host: endpoint.host, port: endpoint.port },
      ratePerS: this.config.ratePerS,
      timeoutMs: this.config.timeoutMs,
      warmupS: context.warmupS,
      durationS: context.durationS,
    };
    const open = decodeOpenLoop(
      await runClientFor(endpoint, CLIENT, input, context.signal),
      context.durationS,
    );
    if (open.measuredReceived === 0)
      throw new Error(
        `no reply came back from ${endpointLabel(endpoint)} (${open.measuredSent} requests sent, all lost)`,
      );
    writeFileSync(
      join(context.artifactsDir, 'rtt-histogram.hdr.b64'),
      `${encodeIntoCompressedBase64(open.histogram)}\n`,
    );
    const h = open.histogram;
    const repliesPerS = open.measuredReceived / context.durationS;
    return {
      measurements: [
        { metric: 'rtt_p50_us', value: h.getValueAtPercentile(50) },
        { metric: 'rtt_p90_us', value: h.getValueAtPercentile(90) },
        { metric: 'rtt_p99_us', value: h.getValueAtPercentile(99) },
        { metric: 'rtt_max_us', value: h.maxValue },
        { metric: 'replies_per_s', value: Number(repliesPerS.toFixed(2)) },
        { metric: 'requests', value: open.measuredSent },
        { metric: 'lost', value: open.lost },
        // Work the guest completed and answered for: every reply stands for the same work.
        { metric: 'work_iterations_per_s', value: Math.round(repliesPerS * this.config.workIterations) },
        { metric: 'send_lag_p99_us', value: open.sendLagUs.p99 },
      ],
      artifacts: ['rtt-histogram.hdr.b64'],
    };
  }

  teardown(): Promise<void> {
    return this.server.stop();
  }
}
