import { InterruptedError } from '../../harness/errors.ts';
import type { Guest, ProtectionReport } from '../../harness/testbeds/types.ts';
import { percentile } from '../../harness/util/order-stats.ts';
import { runInGuest } from '../run-in-guest.ts';
import {
  defineWorkload,
  type Measurement,
  type MetricSpec,
  type TrialContext,
  type TrialResult,
  type Workload,
  type WorkloadModule,
} from '../types.ts';
import { COMPILE_DEFAULTS, type CompileWorkloadConfig, compileWorkloadSchema } from './config.ts';
import { processesPerBuild } from './process-count.ts';
import { generateProject } from './project.ts';
import { removeProject, writeProject } from './project-files.ts';

const METRICS: MetricSpec[] = [
  {
    name: 'build_time_s',
    unit: 's',
    better: 'lower',
    primary: true,
    headline: true,
    label: 'build time (make -B)',
  },
  { name: 'units_per_s', unit: 'units/s', better: 'higher', headline: true, label: 'units compiled/s' },
  { name: 'builds', unit: 'count', better: 'info' },
  { name: 'processes_per_build', unit: 'count', better: 'info' },
  { name: 'processes_seen_per_build', unit: 'count', better: 'info' },
  { name: 'unseen_process_share', unit: 'ratio', better: 'info' },
  { name: 'processes_per_checkpoint_p50', unit: 'count', better: 'info' },
  { name: 'dirty_pages_per_checkpoint_p50', unit: 'pages', better: 'info' },
];

/**
 * A build like the Remus paper's kernel compile: a C project the workload generates from its seed,
 * rebuilt from scratch (`make -B -jN`) with the guest's compiler, again and again for the trial.
 * The cost of replication shows as build time; the guest's processes and dirty pages per
 * checkpoint show what the checkpoints had to copy.
 */
function configureCompile(config: CompileWorkloadConfig): WorkloadModule {
  return {
    name: 'compile',
    description: `make -B -j${config.jobs} of a generated C project (${config.units} units x ${config.functionsPerUnit} functions, ${config.optimization}, seed ${config.seed}) in the guest; seconds per build`,
    metrics: METRICS,
    requiredTools: [
      { command: 'cc', debianPackage: 'build-essential', neededBy: 'the compile workload' },
      // build-essential depends on make.
      { command: 'make', debianPackage: 'build-essential', neededBy: 'the compile workload' },
    ],
    create: () => new CompileWorkload(config),
  };
}

export const compileWorkload = defineWorkload({
  name: 'compile',
  configSchema: compileWorkloadSchema,
  defaults: COMPILE_DEFAULTS,
  quick: false,
  unavailableOn: {
    'xen-lab':
      "the lab's guest is a busybox initramfs held in its 160 MB of RAM, with no compiler: gcc's cc1, binutils and the C headers would add about 45 MB to it",
  },
  configure: configureCompile,
});

class CompileWorkload implements Workload {
  readonly name = 'compile';
  readonly metrics = METRICS;
  private guest: Guest | null = null;
  private dir = '';
  private perBuild = 0;
  /** Objects one build compiles, as the generated project says. */
  private objects = 0;
  /** Builds since the trial began (warm-up included): protection covered all of them. */
  private buildsThisTrial = 0;

  constructor(private readonly config: CompileWorkloadConfig) {}

  private get argv(): string[] {
    return [
      'make',
      '-s',
      '-B',
      '-C',
      this.dir,
      `-j${this.config.jobs}`,
      `CFLAGS=${this.config.optimization}`,
    ];
  }

  /** Writes the project and builds it once (warms the guest's caches; proves it compiles and runs). */
  async prepare(guest: Guest, signal: AbortSignal): Promise<void> {
    this.guest = guest;
    const project = generateProject({
      seed: this.config.seed,
      units: this.config.units,
      functionsPerUnit: this.config.functionsPerUnit,
    });
    this.dir = await writeProject(guest, project);
    const built = await guest.exec(this.argv, { signal, timeoutMs: 600_000 });
    if (signal.aborted) throw new InterruptedError();
    if (built.exitCode !== 0)
      throw new Error(`the compile workload's project does not build in the guest: ${built.stderr.trim()}`);
    const ran = await guest.exec([`${this.dir}/program`], { timeoutMs: 30_000 });
    if (!/^checksum [0-9a-f]{8}$/m.test(ran.stdout))
      throw new Error(`the compile workload's program did not run in the guest: ${ran.stderr.trim()}`);
    this.objects = project.objects;
    this.perBuild = await processesPerBuild(guest, this.dir, project.objects);
  }

  /** Builds until `seconds` have passed (the last build started in time runs to its end). */
  private async buildFor(context: TrialContext, seconds: number): Promise<number[]> {
    const times: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const began = performance.now();
      // A deadline, not a measurement: a protected guest on emulated hardware can be much slower.
      await runInGuest(context, this.argv, (seconds * 20 + 600) * 1000);
      times.push((performance.now() - began) / 1000);
      this.buildsThisTrial++;
    }
    return times;
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    this.buildsThisTrial = 0;
    if (context.warmupS > 0) await this.buildFor(context, context.warmupS);
    const times = await this.buildFor(context, context.durationS);
    const total = times.reduce((sum, t) => sum + t, 0);
    return {
      measurements: [
        { metric: 'build_time_s', value: Number((total / times.length).toFixed(4)) },
        { metric: 'units_per_s', value: Number(((times.length * this.objects) / total).toFixed(3)) },
        { metric: 'builds', value: times.length },
        { metric: 'processes_per_build', value: this.perBuild },
      ],
      artifacts: [],
    };
  }

  /**
   * What the checkpoints saw of the build: processes and dirty pages per checkpoint, and how many
   * of the build's processes were never seen by one (they began and ended within an epoch). Only
   * where the testbed reports them (the embedded testbed's memory replication).
   */
  afterProtection(report: ProtectionReport): Measurement[] {
    const steady = report.checkpoints.slice(1);
    const processes = steady.flatMap((r) => (r.processes === undefined ? [] : [r.processes]));
    const dirty = steady.flatMap((r) => (r.dirtyPages === undefined ? [] : [r.dirtyPages]));
    const out: Measurement[] = [];
    if (processes.length)
      out.push({ metric: 'processes_per_checkpoint_p50', value: percentile(processes, 50) });
    if (dirty.length) out.push({ metric: 'dirty_pages_per_checkpoint_p50', value: percentile(dirty, 50) });
    if (report.replication && this.buildsThisTrial > 0) {
      const seen = report.replication.processesSeen / this.buildsThisTrial;
      out.push({ metric: 'processes_seen_per_build', value: Number(seen.toFixed(2)) });
      if (this.perBuild > 0)
        out.push({
          metric: 'unseen_process_share',
          value: Number(Math.max(0, 1 - seen / this.perBuild).toFixed(4)),
        });
    }
    return out;
  }

  async teardown(): Promise<void> {
    if (this.guest && this.dir) await removeProject(this.guest, this.dir);
    this.dir = '';
  }
}
