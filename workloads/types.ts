import type { z } from 'zod';
import type { RequiredTool } from '../harness/setup/system-packages.ts';
import type { MetricSpec } from '../harness/store/samples.ts';
import type { Guest, Protection, ProtectionReport } from '../harness/testbeds/types.ts';

export interface Measurement {
  metric: string;
  value: number;
}

export interface TrialContext {
  guest: Guest;
  warmupS: number;
  durationS: number;
  /** Aborted on Ctrl-C: stop measuring, reject with InterruptedError. */
  signal: AbortSignal;
  /** Folder for this trial's raw artifacts (histograms, per-request logs). */
  artifactsDir: string;
  /** The running protection, or null for the baseline. */
  protection: Protection | null;
}

export interface TrialResult {
  measurements: Measurement[];
  /** Artifact files written, relative to the artifacts folder. */
  artifacts: string[];
}

/** One workload: a server or program in the guest and, for network workloads, a client outside it. */
export interface Workload {
  readonly name: string;
  readonly metrics: readonly MetricSpec[];
  /** Starts what must run in the guest before protection starts (servers). */
  prepare(guest: Guest, signal: AbortSignal): Promise<void>;
  /** Warm-up, then one measurement. */
  trial(context: TrialContext): Promise<TrialResult>;
  /**
   * Optional: called with the protection's report (checkpoint times) after protection stopped,
   * for metrics that relate the workload's own timeline to the checkpoints.
   */
  afterProtection?(report: ProtectionReport, artifactsDir: string): Measurement[];
  /** Stops what prepare started; must be safe after a failed prepare. */
  teardown(): Promise<void>;
}

export type { MetricSpec } from '../harness/store/samples.ts';

/** A workload bound to its config section: what it measures, the tools it needs, one trial's instance. */
export interface WorkloadModule {
  readonly name: string;
  readonly description: string;
  readonly metrics: readonly MetricSpec[];
  readonly requiredTools: readonly RequiredTool[];
  create(): Workload;
}

/**
 * What the module list (workloads/index.ts) holds: a workload that describes itself. The config
 * schema, the presets, the run loop, analysis and the console summary all read it from there.
 */
export interface WorkloadDefinition<N extends string = string, S extends z.ZodType = z.ZodType> {
  readonly name: N;
  /** Its `workloads.<name>` section of the config. */
  readonly configSchema: S;
  readonly defaults: z.output<S>;
  /** Defaults that differ per testbed kind (e.g. a guest without node), under the user's layers. */
  readonly testbedDefaults?: Readonly<Record<string, Partial<z.output<S>>>>;
  /** Part of the `quick` matrix preset (the `full` one has every workload). */
  readonly quick: boolean;
  /**
   * Testbed kinds it cannot run on, each with why: its cells there are planned as not runnable,
   * with the reason in the dry run and the run log, and skipped.
   */
  readonly unavailableOn?: Readonly<Record<string, string>>;
  /** The workload bound to its config section; its metrics name exactly one primary. */
  configure(config: z.output<S>): WorkloadModule;
}

/** Declares a workload; keeps its name a literal type, so that the config's type names each section. */
export function defineWorkload<const N extends string, S extends z.ZodType>(
  definition: WorkloadDefinition<N, S>,
): WorkloadDefinition<N, S> {
  return definition;
}

/** Problems with a module's metric specs (exactly one primary, names unique), empty when none. */
export function metricSpecProblems(module: Pick<WorkloadModule, 'name' | 'metrics'>): string[] {
  const problems: string[] = [];
  const primaries = module.metrics.filter((m) => m.primary);
  if (primaries.length !== 1)
    problems.push(
      `workload ${module.name}: expected exactly one primary metric, found ${primaries.map((m) => m.name).join(', ') || 'none'}`,
    );
  const names = module.metrics.map((m) => m.name);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length)
    problems.push(`workload ${module.name}: metric names repeated: ${repeated.join(', ')}`);
  return problems;
}
