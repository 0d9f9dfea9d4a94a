import type { Guest } from '../../harness/testbeds/types.ts';
import { runInGuest } from '../run-in-guest.ts';
import {
  defineWorkload,
  type MetricSpec,
  type TrialContext,
  type TrialResult,
  type Workload,
  type WorkloadModule,
} from '../types.ts';
import { CPU_DEFAULTS, type CpuWorkloadConfig, cpuWorkloadSchema } from './config.ts';
import { parseSysbenchCpu } from './parse.ts';

const METRICS: MetricSpec[] = [
  {
    name: 'events_per_s',
    unit: 'events/s',
    better: 'higher',
    primary: true,
    headline: true,
    label: 'sysbench cpu events/s',
  },
  { name: 'event_latency_p95_ms', unit: 'ms', better: 'lower' },
  { name: 'event_latency_max_ms', unit: 'ms', better: 'lower' },
];

/** `sysbench cpu` in the guest: CPU throughput, the workload Remus's pauses cost least. */
function configureCpu(config: CpuWorkloadConfig): WorkloadModule {
  return {
    name: 'cpu',
    description: 'sysbench cpu (prime search) in the guest; events per second',
    metrics: METRICS,
    requiredTools: [{ command: 'sysbench', debianPackage: 'sysbench', neededBy: 'the cpu workload' }],
    create: () => new CpuWorkload(config),
  };
}

export const cpuWorkload = defineWorkload({
  name: 'cpu',
  configSchema: cpuWorkloadSchema,
  defaults: CPU_DEFAULTS,
  quick: true,
  configure: configureCpu,
});

class CpuWorkload implements Workload {
  readonly name = 'cpu';
  readonly metrics = METRICS;
  constructor(private readonly config: CpuWorkloadConfig) {}

  async prepare(_guest: Guest): Promise<void> {}

  private async sysbench(context: TrialContext, seconds: number): Promise<string> {
    const argv = [
      'sysbench',
      'cpu',
      `--threads=${this.config.threads}`,
      `--cpu-max-prime=${this.config.maxPrime}`,
      `--time=${seconds}`,
      'run',
    ];
    // A deadline, not a measurement: under Remus on emulated hosts (the lab's QEMU TCG) the guest
    // spends most of its time suspended for checkpoints, and --time counts the guest's own clock,
    // so a 1 s run has been seen taking over 30 s of wall time.
    return runInGuest(context, argv, (seconds * 4 + 60) * 1000);
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    // Debian's sysbench 1.0.20 has no --warmup-time: warm up with a separate, discarded run.
    if (context.warmupS > 0) await this.sysbench(context, Math.ceil(context.warmupS));
    const result = parseSysbenchCpu(await this.sysbench(context, context.durationS));
    return {
      measurements: [
        { metric: 'events_per_s', value: result.eventsPerSecond },
        { metric: 'event_latency_p95_ms', value: result.latencyP95Ms },
        { metric: 'event_latency_max_ms', value: result.latencyMaxMs },
      ],
      artifacts: [],
    };
  }

  async teardown(): Promise<void> {}
}
