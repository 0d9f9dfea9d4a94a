import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { InterruptedError } from '../../harness/errors.ts';
import { buildCProgram } from '../../harness/setup/guest-programs.ts';
import type { Guest, GuestProcess } from '../../harness/testbeds/types.ts';
import { runInGuest } from '../run-in-guest.ts';
import {
  defineWorkload,
  type MetricSpec,
  type TrialContext,
  type TrialResult,
  type Workload,
  type WorkloadModule,
} from '../types.ts';
import {
  MEMORY_DEFAULTS,
  MEMORY_XEN_LAB,
  type MemoryWorkloadConfig,
  memoryWorkloadSchema,
} from './config.ts';
import { type Progress, parseProgress } from './progress.ts';
import { parseSysbenchMemory } from './sysbench.ts';

const DIRTIER_SOURCE = fileURLToPath(new URL('./guest/dirtier.c', import.meta.url));
/** The dirtier runs for the whole trial; this only bounds it if the harness dies. */
const DIRTIER_MAX_S = 3600;

/** Waits `ms`; a Ctrl-C (the trial's signal) ends the wait with InterruptedError. */
async function wait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new InterruptedError();
  }
}

const METRICS: MetricSpec[] = [
  { name: 'pages_per_s', unit: 'pages/s', better: 'higher', label: 'dirtier pages written/s' },
  { name: 'missed_ticks_per_s', unit: '1/s', better: 'lower' },
  { name: 'mib_per_s', unit: 'MiB/s', better: 'higher', label: 'sysbench memory MiB/s' },
];

/** The program decides the metric of record: pages written per second, or sysbench's MiB/s. */
function memoryMetrics(config: MemoryWorkloadConfig): MetricSpec[] {
  const primary = config.program === 'dirtier' ? 'pages_per_s' : 'mib_per_s';
  return METRICS.map((m) => (m.name === primary ? { ...m, primary: true, headline: true } : m));
}

/**
 * Remus's page dirtier in the guest: a working set written at random, as fast as it can or at a
 * set rate (pages per ms). The replication cost shows as pages per second lost (the share of time
 * the guest is paused or slowed) and, on the protection's side, as copied pages and pause time per
 * checkpoint.
 */
function configureMemory(config: MemoryWorkloadConfig): WorkloadModule {
  return {
    name: 'memory',
    description:
      config.program === 'dirtier'
        ? `page dirtier in the guest: ${config.workingSetMB} MB working set, ${config.dirtyPagesPerMs ? `${config.dirtyPagesPerMs} pages/ms (paced; late ticks lost)` : 'as fast as it can (saturating)'}`
        : `sysbench memory in the guest: sequential writes over a ${config.workingSetMB} MB block`,
    metrics: memoryMetrics(config),
    requiredTools:
      config.program === 'dirtier'
        ? config.guestDirtier
          ? [] // the guest brings its own
          : [
              {
                command: 'cc',
                debianPackage: 'build-essential',
                neededBy: 'the memory workload (page dirtier)',
              },
            ]
        : [
            {
              command: 'sysbench',
              debianPackage: 'sysbench',
              neededBy: 'the memory workload (sysbench memory)',
            },
          ],
    create: () => new MemoryWorkload(config),
  };
}

export const memoryWorkload = defineWorkload({
  name: 'memory',
  configSchema: memoryWorkloadSchema,
  defaults: MEMORY_DEFAULTS,
  testbedDefaults: { 'xen-lab': MEMORY_XEN_LAB },
  quick: false,
  configure: configureMemory,
});

class MemoryWorkload implements Workload {
  readonly name = 'memory';
  readonly metrics: MetricSpec[];
  private dirtier: GuestProcess | null = null;
  private progressFile = '';

  constructor(private readonly config: MemoryWorkloadConfig) {
    this.metrics = memoryMetrics(config);
  }

  /** Starts the dirtier before protection, so that touching the working set is not measured. */
  async prepare(guest: Guest): Promise<void> {
    if (this.config.program !== 'dirtier') return;
    const binary = this.config.guestDirtier ?? (await buildCProgram(DIRTIER_SOURCE));
    // A name no one can guess ahead: the dirtier creates it (O_EXCL) and refuses one that exists.
    this.progressFile = join(tmpdir(), `remus-bench-dirtier-${randomBytes(12).toString('hex')}.progress`);
    const argv = [
      binary,
      String(this.config.workingSetMB),
      String(this.config.dirtyPagesPerMs),
      String(DIRTIER_MAX_S),
    ];
    this.dirtier = guest.spawn([...argv, '-', '-', this.progressFile]);
    await this.dirtier.waitForLine(/^ready /, 60_000 + this.config.workingSetMB * 20);
  }

  private async progress(guest: Guest): Promise<Progress> {
    const result = await guest.exec(['cat', this.progressFile], { timeoutMs: 10_000 });
    const parsed = parseProgress(result.stdout);
    if (!parsed)
      throw new Error(`the page dirtier wrote no progress to ${this.progressFile}: ${result.stderr.trim()}`);
    return parsed;
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    return this.config.program === 'dirtier' ? this.dirtierTrial(context) : this.sysbenchTrial(context);
  }

  private async sysbenchRun(context: TrialContext, seconds: number): Promise<string> {
    const argv = [
      'sysbench',
      'memory',
      `--memory-block-size=${this.config.workingSetMB}M`,
      '--memory-total-size=100T',
      '--memory-oper=write',
      '--memory-access-mode=seq',
      `--time=${seconds}`,
      'run',
    ];
    return runInGuest(context, argv, (seconds + 60) * 1000);
  }

  /**
   * sysbench runs as a new guest process per call, so under protection its first checkpoints copy
   * it in full; Debian's sysbench 1.0.20 has no --warmup-time, hence a separate warm-up run.
   */
  private async sysbenchTrial(context: TrialContext): Promise<TrialResult> {
    if (context.warmupS > 0) await this.sysbenchRun(context, Math.ceil(context.warmupS));
    const result = parseSysbenchMemory(await this.sysbenchRun(context, context.durationS));
    return {
      measurements: [
        { metric: 'mib_per_s', value: result.mibPerSecond },
        // The same figure in 4 KiB pages written per second, the unit of the dirtier.
        { metric: 'pages_per_s', value: Math.round(result.mibPerSecond * 256) },
      ],
      artifacts: [],
    };
  }

  private async dirtierTrial(context: TrialContext): Promise<TrialResult> {
    await wait(context.warmupS * 1000, context.signal);
    const first = await this.progress(context.guest);
    await wait(context.durationS * 1000, context.signal);
    const last = await this.progress(context.guest);
    if (context.signal.aborted) throw new InterruptedError();
    const seconds = last.elapsedS - first.elapsedS;
    if (seconds <= 0) throw new Error('the page dirtier made no progress during the measurement');
    return {
      measurements: [
        { metric: 'pages_per_s', value: Math.round((last.pagesWritten - first.pagesWritten) / seconds) },
        // Saturating, it has no ticks to miss.
        ...(this.config.dirtyPagesPerMs > 0
          ? [
              {
                metric: 'missed_ticks_per_s',
                value: Number(((last.missedTicks - first.missedTicks) / seconds).toFixed(2)),
              },
            ]
          : []),
      ],
      artifacts: [],
    };
  }

  async teardown(): Promise<void> {
    await this.dirtier?.kill();
    this.dirtier = null;
  }
}
